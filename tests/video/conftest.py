import io
import math
import struct
import wave

import pytest
from PIL import Image, ImageDraw
from tests.credits.conftest import studio, studio_factory

from imagestudio.catalog import load_catalog
from imagestudio.catalog.video_targets import VideoTarget


@pytest.fixture(scope="session")
def targets() -> dict[str, VideoTarget]:
    return dict(load_catalog().video_targets)


@pytest.fixture(scope="session")
def small(targets: dict[str, VideoTarget]) -> VideoTarget:
    """A small portrait target so each render costs little: 160×288 at 10 fps, 1 s min."""
    return targets["youtube_shorts"].model_copy(
        update={"id": "small", "width": 160, "height": 288,
                "fps": targets["youtube_shorts"].fps.model_copy(update={"min": 5, "default": 10})}
    )


@pytest.fixture(scope="session")
def still() -> Image.Image:
    """A landscape still with structure everywhere (stripes and a disc)."""
    image = Image.new("RGB", (640, 480), (40, 90, 160))
    draw = ImageDraw.Draw(image)
    for x in range(0, 640, 32):
        draw.rectangle([x, 0, x + 15, 480], fill=(x % 255, (x * 3) % 255, 200))
    draw.ellipse([200, 120, 440, 360], fill=(250, 200, 10))
    return image


def sine_wav(seconds: float, rate: int = 44100) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = int(seconds * rate)
        out.writeframes(b"".join(
            struct.pack("<h", int(12000 * math.sin(2 * math.pi * 440 * i / rate)))
            for i in range(frames)
        ))
    return buffer.getvalue()


__all__ = ["sine_wav", "studio", "studio_factory"]


class MemoryJournal:
    """A unit journal kept in memory (the job runner's is the job's rows; see
    tests/video/test_video_jobs.py): what a worker would find after a restart."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []
        self.unbilled_sends: list[tuple[int, str]] = []
        self.jobs: dict[tuple[int, str], str] = {}

    async def sending(self, unit: int, provider: str) -> None:
        self.sent.append((unit, provider))

    async def unbilled(self, unit: int, provider: str) -> None:
        self.unbilled_sends.append((unit, provider))

    async def vendor_job(self, unit: int, provider: str, job_id: str) -> None:
        self.jobs[(unit, provider)] = job_id

    def resume_job(self, unit: int, provider: str) -> str | None:
        return self.jobs.get((unit, provider))

    def refusal(self, unit: int) -> Exception | None:  # noqa: ARG002
        return None
