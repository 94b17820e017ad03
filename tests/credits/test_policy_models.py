"""A plan's model list limits the kinds that choose catalog models, and only those."""

import pytest

from imagestudio.credits.operations import Operation
from imagestudio.credits.plans import load_plans
from imagestudio.credits.policy import forbidden


def _operation(kind: str, model: str, provider: str = "local") -> Operation:
    return Operation(kind=kind, quantity=1, per_unit_micros=0, quality=None,  # type: ignore[arg-type]
                     provider=provider, model=model, pixels=1_000_000)


@pytest.mark.parametrize(("kind", "model"), [
    ("optimize", "optimize/pillow"),
    ("upscale", "upscale/local"),
    ("image_edit", "local/crop"),
])
def test_free_plan_may_optimize_upscale_and_edit(kind: str, model: str) -> None:
    free = load_plans().plans["free"]
    assert forbidden(free, _operation(kind, model)) == []


@pytest.mark.parametrize("kind", ["image_generation", "video"])
def test_free_plan_refuses_a_catalog_model_it_does_not_list(kind: str) -> None:
    free = load_plans().plans["free"]
    reasons = forbidden(free, _operation(kind, "stability/ultra", provider="stability"))
    assert any("stability/ultra" in str(reason) for reason in reasons)
