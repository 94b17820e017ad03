"""Fitting an image into an engine's input limits: only down, keeping the aspect, only
for the operations where that costs the result nothing; otherwise refused naming
``image`` (the catalog's own limits, and made-up ones for the edge cases)."""

from __future__ import annotations

import pytest
from tests.edit.conftest import png

from imagestudio.edit.fitting import fitted_call
from imagestudio.edit.operations import EditOperation, InputLimits, load_operations
from imagestudio.edit.schemas import EditCall, EditRequest, SourceImage
from imagestudio.errors import InvalidRequest

OPERATIONS = load_operations()


def refusal(operation: EditOperation, width: int, height: int, nbytes: int = 1000) -> str:
    with pytest.raises(InvalidRequest) as caught:
        operation.fitting(width, height, nbytes)
    assert caught.value.details["field"] == "image"
    assert caught.value.details["operation"] == operation.id
    return caught.value.message


def test_every_vendor_operation_says_how_it_fits() -> None:
    fits = {o.id: o.fit for o in OPERATIONS.values() if o.provider != "local"}
    assert fits["stability/remove-background"] == "alpha"
    assert fits["stability/erase"] == "mask"
    assert fits["stability/search-and-recolor"] == "refuse"
    assert fits["stability/inpaint"] == fits["openai/gpt-image-1"] == "resize"
    # an operation that keeps the size is never plainly resized: its result would shrink
    assert all(o.fit != "resize" for o in OPERATIONS.values() if o.keeps_size
               and o.provider != "local")


def test_an_image_inside_the_limits_is_sent_as_it_is() -> None:
    assert OPERATIONS["stability/inpaint"].fitting(3000, 3000, 10**6) is None


@pytest.mark.parametrize(("width", "height"), [(3100, 3100), (6000, 4000), (6000, 2500)])
def test_an_image_over_the_maxima_is_reduced_to_fit_keeping_its_aspect(
    width: int, height: int,
) -> None:
    operation = OPERATIONS["stability/search-and-replace"]
    size = operation.fitting(width, height, 10**6)
    assert size is not None and operation.input.problem(*size) is None
    new_w, new_h = size
    assert new_w * new_h > 0.99 * operation.input.max_pixels  # no smaller than needed
    assert abs(new_w / new_h - width / height) < 0.002


def test_background_removal_fits_by_its_alpha() -> None:
    assert OPERATIONS["stability/remove-background"].fitting(2100, 2100, 10**6) == (2048, 2048)


def test_what_cannot_be_fitted_is_refused_with_the_limit_named() -> None:
    recolor = OPERATIONS["stability/search-and-recolor"]
    assert "keeps the image's size" in refusal(recolor, 3100, 3100)
    assert "9437184 pixels" in refusal(recolor, 3100, 3100)
    erase = OPERATIONS["stability/erase"]
    assert "only with a mask" in refusal(erase, 3100, 3100)
    assert erase.fitting(3100, 3100, 1000, has_mask=True) == (3072, 3072)
    assert "at least 64 px" in refusal(OPERATIONS["stability/inpaint"], 50, 500)
    assert "aspect ratios between 0.4 and 2.5" in refusal(
        OPERATIONS["stability/outpaint"], 3000, 1000)
    assert "this one is 6000x1000" in refusal(OPERATIONS["stability/outpaint"], 6000, 1000)


def test_a_byte_limit_reduces_the_image_further_or_refuses_it() -> None:
    limited = OPERATIONS["openai/gpt-image-1"].model_copy(update={
        "input": InputLimits(max_bytes=1_000_000)})
    size = limited.fitting(2000, 1000, 4_000_000)
    assert size is not None and size[0] * size[1] <= 0.2 * 2000 * 1000
    assert "in 1000000 bytes" in refusal(
        limited.model_copy(update={"fit": "refuse"}), 2000, 1000, 4_000_000)


def test_a_fitted_outpaint_asks_for_margins_at_the_sent_scale() -> None:
    call = EditCall(request=EditRequest(op="outpaint", left=400, up=1),
                    source=SourceImage(asset_id="a", sha256="0" * 64, width=400, height=300,
                                       data=png(400, 300)),
                    source_media_type="image/png")
    fitted = fitted_call(call, (200, 150))
    assert (fitted.source.width, fitted.source.height) == (200, 150)
    request = fitted.request
    assert (request.left, request.right, request.up, request.down) == (200, 0, 1, 0)
