"""Imagen 4 is retired on the Gemini Developer API: refused there, kept for another base
URL (Vertex AI, an emulator), and never chosen by Auto."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from imagestudio.catalog import load_catalog
from imagestudio.catalog.loader import DATA_DIR, CatalogError
from imagestudio.container import retired_models
from imagestudio.errors import UnsupportedByModel
from imagestudio.generation.planner import build_plan
from imagestudio.generation.schemas import CreateRequest
from imagestudio.settings import Settings

CATALOG = load_catalog()
ALL = {"local", "stability", "wavespeed", "huggingface", "gemini", "openai"}


def test_imagen_4_is_marked_retired_on_the_gemini_developer_api() -> None:
    retired = CATALOG.models["gemini/imagen-4"].retired
    assert retired is not None and retired.replacement == "gemini/gemini-3-pro-image"
    assert retired.applies_to("https://generativelanguage.googleapis.com")
    assert not retired.applies_to("https://us-central1-aiplatform.googleapis.com")


def test_the_default_gemini_api_retires_it_and_another_base_url_keeps_it() -> None:
    assert "gemini/imagen-4" in retired_models(CATALOG, Settings(_env_file=None))
    vertex = Settings(_env_file=None, gemini_base_url="https://aiplatform.googleapis.com/v1")
    assert "gemini/imagen-4" not in retired_models(CATALOG, vertex)


def test_an_explicit_request_on_the_developer_api_names_the_replacement() -> None:
    request = CreateRequest(prompt="a robot", model="gemini/imagen-4")
    with pytest.raises(UnsupportedByModel) as refused:
        build_plan(CATALOG, request, ALL, random.Random(1), {"gemini/imagen-4"})
    assert refused.value.field == "model"
    assert "gemini/gemini-3-pro-image" in refused.value.message
    kept = build_plan(CATALOG, request, ALL, random.Random(1), ())
    assert kept.primary.model.id == "gemini/imagen-4"


@pytest.mark.parametrize("quality", ["draft", "standard", "premium"])
@pytest.mark.parametrize("ratio", ["1:1", "16:9", "9:16", "4:3", "3:4"])
def test_auto_and_provider_choice_never_pick_a_retired_model(quality: str, ratio: str) -> None:
    for fields in ({}, {"provider": "gemini"}):
        request = CreateRequest(
            prompt="a robot", quality=quality, aspect_ratio=ratio, **fields  # type: ignore[arg-type]
        )
        plan = build_plan(CATALOG, request, {"gemini"}, random.Random(1))
        assert all(p.model.retired is None for p in plan.chain), [p.model.id for p in plan.chain]


def test_a_quality_tier_may_not_list_a_retired_model(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    tiers = data / "quality_tiers.yaml"
    text = tiers.read_text(encoding="utf-8")
    tiers.write_text(
        text.replace("    - stability/ultra\n", "    - gemini/imagen-4\n    - stability/ultra\n"),
        encoding="utf-8",
    )
    with pytest.raises(CatalogError, match="gemini/imagen-4 is retired"):
        load_catalog(data)
