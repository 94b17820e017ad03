"""``imagestudio edit``: a file or a library asset, edited into the library."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from imagestudio.cli import edit, upscale
from imagestudio.errors import InvalidRequest


@pytest.fixture
def cli(cli_with: Callable[..., typer.Typer]) -> typer.Typer:
    return cli_with(edit, upscale)


def _png(path: Path, size: tuple[int, int], mode: str = "RGB", colour: object = 200) -> Path:
    Image.new(mode, size, colour).save(path, "PNG")  # type: ignore[arg-type]
    return path


def test_a_file_is_edited_then_its_asset_again(cli: typer.Typer, cli_env: Path) -> None:
    source = _png(cli_env / "s.png", (120, 80))
    result = CliRunner().invoke(cli, ["edit", str(source), "--op", "rotate", "-p", "degrees=90",
                                      "--out", "out.png", "--json"])
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    assert (made["width"], made["height"]) == (80, 120) and made["asset_id"]
    with Image.open(cli_env / "out.png") as image:
        assert image.size == (80, 120)
    again = CliRunner().invoke(cli, ["edit", made["asset_id"], "--op", "crop",
                                     "-p", "width=40", "-p", "height=40", "--format", "jpeg"])
    assert again.exit_code == 0, again.output
    assert "40x40 jpeg" in again.stdout


def test_a_wrong_size_mask_fails_with_the_field(cli: typer.Typer, cli_env: Path) -> None:
    source = _png(cli_env / "s.png", (120, 80))
    mask = _png(cli_env / "m.png", (80, 80), "L", 255)
    result = CliRunner().invoke(cli, ["edit", str(source), "--op", "erase", "--mask", str(mask)])
    assert isinstance(result.exception, InvalidRequest)
    assert result.exception.field == "mask"
