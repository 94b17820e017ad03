"""``imagestudio optimize``: a file or a library asset to platform renditions."""

import io
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from imagestudio.cli import catalog, optimize, upscale
from imagestudio.errors import InvalidRequest


@pytest.fixture
def cli(cli_with: Callable[..., typer.Typer]) -> typer.Typer:
    return cli_with(optimize, upscale, catalog)


def _photo(path: Path) -> Path:
    y, x = np.mgrid[0:900, 0:1200].astype(np.float32)
    base = np.stack([100 + 80 * np.sin(x / 70), 60 + 0.15 * x, 220 - 0.2 * y], axis=-1)
    noisy = base + np.random.default_rng(3).normal(0, 8, base.shape)
    pixels = np.clip(noisy, 0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(path, "JPEG", quality=90)
    return path


def test_a_file_becomes_a_set_on_disk_and_in_the_library(cli: typer.Typer, cli_env: Path) -> None:
    source = _photo(cli_env / "photo.jpg")
    result = CliRunner().invoke(cli, ["optimize", str(source), "--platforms", "email,youtube",
                                      "--out", "out", "--json"])
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    names = sorted(str(p.relative_to(cli_env / "out")) for p in (cli_env / "out").rglob("*.*"))
    assert names == sorted(f"{r['platform']}/{r['template_id']}.jpg" for r in made["renditions"])
    for r in made["renditions"]:
        data = (cli_env / "out" / r["platform"] / f"{r['template_id']}.jpg").read_bytes()
        assert len(data) == r["bytes"] <= r["max_bytes"] and r["asset_id"]
        with Image.open(io.BytesIO(data)) as image:
            assert image.size == (r["width"], r["height"])
    # the source is now in the library: optimize it again by id, with a focal point
    again = CliRunner().invoke(cli, ["optimize", made["source_asset_id"], "--templates",
                                     "youtube_thumbnail", "--focal", "0,0", "--json"])
    assert again.exit_code == 0, again.output
    [thumb] = json.loads(again.stdout)["renditions"]
    assert thumb["crop"][:2] == [0.0, 0.0]


def test_bad_choices_fail_with_the_field(cli: typer.Typer, cli_env: Path) -> None:
    source = _photo(cli_env / "photo.jpg")
    result = CliRunner().invoke(cli, ["optimize", str(source), "--templates", "nope"])
    assert isinstance(result.exception, InvalidRequest)
    assert "unknown template 'nope'" in result.exception.message
    result = CliRunner().invoke(cli, ["optimize", str(source), "--all", "--focal", "x"])
    assert isinstance(result.exception, InvalidRequest)
    assert result.exception.message.startswith("--focal")


def test_upscale_a_file_to_a_width(cli: typer.Typer, cli_env: Path) -> None:
    source = _photo(cli_env / "photo.jpg")
    result = CliRunner().invoke(cli, ["upscale", str(source), "--width", "2400",
                                      "--out", "big.jpg", "--json"])
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    assert (made["width"], made["height"]) == (2400, 1800) and made["ai"] is False
    with Image.open(cli_env / "big.jpg") as image:
        assert image.size == (2400, 1800)
    refused = CliRunner().invoke(cli, ["upscale", str(source), "--scale", "3"])
    assert refused.exit_code != 0
