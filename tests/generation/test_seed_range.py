"""One seed rule for every vendor: variation seeds wrap within the catalog's seed range."""

from __future__ import annotations

import random

import pytest

from imagestudio.catalog import load_catalog
from imagestudio.catalog.schemas import SeedSpec
from imagestudio.generation.planner import build_plan
from imagestudio.generation.schemas import CreateRequest

CATALOG = load_catalog()
ALL = {"local", "stability", "wavespeed", "huggingface", "gemini", "openai"}


def sent_seeds(model: str, seed: int, n: int) -> list[int | None]:
    request = CreateRequest(prompt="a kite", model=model, seed=seed, num_variations=n)
    plan = build_plan(CATALOG, request, ALL, random.Random(3))
    return [plan.provider_request(plan.primary, s).seed for s in plan.seeds]


@pytest.mark.parametrize(
    ("model", "seed", "expected"),
    [
        # Qwen on WaveSpeed takes 0..2147483647: the second variation wraps to 0.
        ("wavespeed/qwen-image", 2_147_483_647, [2_147_483_647, 0, 1]),
        # Stability takes 0..4294967294 but reads 0 as random: it wraps to 1, never 0.
        ("stability/core", 4_294_967_294, [4_294_967_294, 1, 2]),
        ("stability/core", 7, [7, 8, 9]),
    ],
)
def test_variation_seeds_wrap_within_the_models_range(
    model: str, seed: int, expected: list[int]
) -> None:
    assert sent_seeds(model, seed, 3) == expected


def test_a_seed_beyond_the_models_range_is_wrapped_into_it() -> None:
    seeds = sent_seeds("wavespeed/qwen-image", 3_000_000_000, 2)
    assert all(s is not None and 0 <= s <= 2_147_483_647 for s in seeds)
    assert seeds[1] == seeds[0] + 1  # type: ignore[operator]


def test_every_catalog_seed_range_is_respected_at_its_top() -> None:
    for model in CATALOG.models.values():
        if model.seed is None or not model.params.seed:
            continue
        top = model.seed.max
        for sent in sent_seeds(model.id, min(top, 4_294_967_294), 10):
            assert sent is not None and model.seed.first <= sent <= top, (model.id, sent)


def test_fit_keeps_seeds_in_range_and_skips_a_random_zero() -> None:
    spec = SeedSpec(min=0, max=9, zero_means_random=True)
    assert [spec.fit(s) for s in (0, 9, 10, 11, 19)] == [0, 9, 1, 2, 1]
    plain = SeedSpec(min=0, max=9)
    assert [plain.fit(s) for s in (9, 10, 25)] == [9, 0, 5]
