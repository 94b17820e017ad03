"""Faces as a crop focus (the [faces] extra: OpenCV's bundled Haar cascade): a drawn face
is found, crops keep it where the saliency would have chosen a louder subject, an image
without a face falls back to the saliency, and without OpenCV the strategy is refused."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from tests.imaging.scenes import FACE_BOX, face_scene

from imagestudio.catalog.loader import load_catalog
from imagestudio.imaging.engines import rendition_engine
from imagestudio.imaging.faces import face_focus, faces_available
from imagestudio.imaging.renditions import RenderOptions, RenditionEngine, render_set
from imagestudio.optimize.targets import load_rules, select_targets, spec_for

pytest.importorskip("cv2", reason="the [faces] extra (in dev) is not installed")

MAX_PIXELS = 40_000_000
@pytest.fixture(scope="module", params=["pillow", "vips"])
def engine(request: pytest.FixtureRequest) -> RenditionEngine:
    return rendition_engine(request.param)


def _story_crop(engine: RenditionEngine, data: bytes, strategy: str) -> tuple:
    [target] = select_targets(load_catalog(), templates=["instagram_story"])
    spec = spec_for(target, load_rules(), alpha=False)
    source = engine.load(data, max_pixels=MAX_PIXELS)
    [rendition] = render_set(engine, source, [spec],
                             RenderOptions(strategy=strategy))  # type: ignore[arg-type]
    assert (rendition.width, rendition.height) == (1080, 1920)
    return rendition.crop, rendition.subject_in_safe_zone


def test_the_detector_finds_the_drawn_face() -> None:
    assert faces_available()
    with Image.open(io.BytesIO(face_scene())) as image:
        focus = face_focus(np.asarray(image.convert("RGB")))
    assert focus is not None
    x0, y0, x1, y1 = (focus.box[0] * 1200, focus.box[1] * 800,
                      focus.box[2] * 1200, focus.box[3] * 800)
    assert FACE_BOX[0] - 20 <= x0 and x1 <= FACE_BOX[2] + 20  # the face, not the stripes
    assert FACE_BOX[1] <= y0 and y1 <= FACE_BOX[3]
    with Image.open(io.BytesIO(face_scene(with_face=False))) as image:
        assert face_focus(np.asarray(image.convert("RGB"))) is None


def test_a_faces_crop_keeps_the_face_where_attention_would_not(engine: RenditionEngine) -> None:
    crop, in_zone = _story_crop(engine, face_scene(), "faces")
    assert crop[0] <= FACE_BOX[0] and FACE_BOX[2] <= crop[2]  # the whole face is inside
    assert in_zone is True
    attention, _ = _story_crop(engine, face_scene(), "attention")
    assert attention[2] < FACE_BOX[2]  # the saliency alone cuts the face off


def test_no_face_falls_back_to_attention(engine: RenditionEngine) -> None:
    assert _story_crop(engine, face_scene(False), "faces") == _story_crop(
        engine, face_scene(False), "attention")
