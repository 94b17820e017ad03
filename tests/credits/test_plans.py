"""The plan table: the packaged defaults and the rules every edited table must follow."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from imagestudio.catalog import load_catalog
from imagestudio.credits.operations import Operation
from imagestudio.credits.plans import (
    OPERATION_KINDS,
    PlansError,
    check_against,
    load_plans,
    parse_plans,
)
from imagestudio.credits.policy import forbidden


def test_the_default_table_carries_the_prior_art_prices_and_limits() -> None:
    table = load_plans(catalog=load_catalog())
    assert table.ids == ("free", "basic", "pro", "enterprise")
    rows = {
        p.id: (p.price_monthly_micros, p.price_yearly_micros, p.quota("image_generation"),
               p.quota("image_edit"), p.quota("video"), p.spend_cap_micros)
        for p in table
    }
    assert rows == {
        "free": (0, 0, 10, 5, 2, 2_000_000),
        "basic": (29_000_000, 290_000_000, 25, 25, 10, 25_000_000),
        "pro": (79_000_000, 790_000_000, 100, 100, 30, 100_000_000),
        "enterprise": (199_000_000, 1_990_000_000, None, None, None, 500_000_000),
    }
    free = table.plans["free"]
    assert "premium" not in free.quality_tiers and free.rate_limit_per_minute == 10
    assert free.allows_model("local/draft-renderer", "image_generation")
    assert not free.allows_model("stability/ultra", "image_generation")
    assert all(p.models_apply_to == ("image_generation", "video") for p in table)
    assert all(set(p.quotas) == set(OPERATION_KINDS) for p in table)


def _plan(**changes: Any) -> dict[str, Any]:
    return load_plans().plans["free"].as_data() | changes


def test_zero_is_a_real_limit_and_unlimited_must_be_spelled_out() -> None:
    zero = parse_plans([_plan(quotas={k: 0 for k in OPERATION_KINDS})]).plans["free"]
    assert zero.quota("video") == 0
    with pytest.raises(PlansError, match="unlimited"):
        parse_plans([_plan(spend_cap_micros=None)])
    with pytest.raises(PlansError, match="all"):
        parse_plans([_plan(models=None)])
    with pytest.raises(PlansError, match="greater than or equal"):
        parse_plans([_plan(max_pixels=-1)])


def test_bad_tables_are_refused_with_the_place_at_fault() -> None:
    with pytest.raises(PlansError, match="no quota for"):
        parse_plans([_plan(quotas={"image_generation": 1})])
    with pytest.raises(PlansError, match="defined twice"):
        parse_plans([_plan(), _plan()])
    with pytest.raises(PlansError, match=r"plans\[0\]\.quality_tiers"):
        parse_plans([_plan(quality_tiers=["ultra"])])
    with pytest.raises(PlansError, match="unknown model"):
        check_against(parse_plans([_plan(models=["acme/v1"])]), load_catalog())
    with pytest.raises(PlansError, match="unknown provider"):
        check_against(parse_plans([_plan(providers=["acme"])]), load_catalog())
    with pytest.raises(PlansError, match="non-empty list"):
        parse_plans({})
    with pytest.raises(PlansError, match=r"plans\[0\]\.models_apply_to\.0"):
        parse_plans([_plan(models_apply_to=["paint"])])
    with pytest.raises(PlansError, match="twice in models_apply_to"):
        parse_plans([_plan(models_apply_to=["video", "video"])])
    with pytest.raises(PlansError, match="models_apply_to: Field required"):
        parse_plans([{k: v for k, v in _plan().items() if k != "models_apply_to"}])


def _op(kind: Any, model: str) -> Operation:
    return Operation(kind=kind, quantity=1, per_unit_micros=0, quality=None,
                     provider="stability", model=model, pixels=1)


def test_the_kinds_a_model_list_limits_are_plan_data() -> None:
    default = parse_plans([_plan()]).plans["free"]
    assert [r.limit for r in forbidden(default, _op("image_generation", "stability/ultra"))] \
        == ["models"]
    assert forbidden(default, _op("upscale", "stability/creative")) == []
    # the same list, told to limit upscales too and no longer image generation
    edited = parse_plans([_plan(models_apply_to=["upscale"])]).plans["free"]
    assert forbidden(edited, _op("image_generation", "stability/ultra")) == []
    assert [r.limit for r in forbidden(edited, _op("upscale", "stability/creative"))] \
        == ["models"]


def test_an_edited_file_replaces_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "plans.yaml"
    path.write_text(yaml.safe_dump([_plan(id="solo", name="Solo")]))
    assert load_plans(path).ids == ("solo",)
    with pytest.raises(PlansError, match="cannot read"):
        load_plans(tmp_path / "missing.yaml")
