import asyncio
import io

import pytest
from PIL import Image

from imagestudio.catalog import load_catalog
from imagestudio.errors import InvalidRequest
from imagestudio.video.schemas import TransformRequest
from imagestudio.video.service import VideoService

pytest.importorskip("av")


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((200, 150)).convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


async def test_renders_beyond_the_limit_wait_their_turn() -> None:
    service = VideoService(load_catalog(), max_renders=1)
    plan = service.plan(TransformRequest(image=_png(), duration=1, target="youtube_shorts",
                                         fps=24))
    events: list[str] = []

    async def run(name: str) -> None:
        await service.run(plan, lambda done, total: events.append(name))

    await asyncio.gather(run("a"), run("b"))
    assert events in (["a"] * 3 + ["b"] * 3, ["b"] * 3 + ["a"] * 3)  # never interleaved


def test_plan_refuses_unknown_models_and_huge_images() -> None:
    service = VideoService(load_catalog())
    with pytest.raises(InvalidRequest, match="model: unknown video model 'x/y'"):
        service.plan(TransformRequest(image=_png(), model="x/y"))
    buffer = io.BytesIO()
    Image.new("L", (8000, 6000)).save(buffer, "PNG")
    with pytest.raises(InvalidRequest, match="image: 8000x6000 is over 40,000,000 pixels"):
        service.plan(TransformRequest(image=buffer.getvalue()))
    plan = service.plan(TransformRequest(image=_png(), target="reels"))
    assert plan.target.id == "instagram_reel" and plan.price_micros == 0
    assert plan.fitted.frame_count == 180 and plan.label.endswith("no AI model was used")
