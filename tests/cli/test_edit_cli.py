"""``imagestudio edit``: a file or a library asset, edited into the library."""

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import typer
import uvicorn
from PIL import Image
from pydantic import ValidationError
from typer.testing import CliRunner

from imagestudio.cli import credits, edit, upscale
from imagestudio.emulators._base import Emulator
from imagestudio.emulators._multipart import parse_form_data
from imagestudio.emulators.asgi import create_app
from imagestudio.emulators.openai import OpenAIEmulator
from imagestudio.emulators.stability import StabilityEmulator
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


@contextmanager
def _served(emulator: Emulator) -> Iterator[str]:
    """``emulator`` on a loopback port (uvicorn in a thread: the CLI runs its own loop)."""
    server = uvicorn.Server(uvicorn.Config(create_app(emulator), host="127.0.0.1", port=0,
                                           lifespan="off", ws="none", log_level="warning",
                                           log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(5)


@pytest.fixture
def stability_url(monkeypatch: pytest.MonkeyPatch, cli_env: Path) -> Iterator[str]:
    """Stability's emulator, keyed and configured for the CLI."""
    with _served(StabilityEmulator("sk-cli")) as url:
        monkeypatch.setenv("STABILITY_API_KEY", "sk-cli")
        monkeypatch.setenv("IMAGESTUDIO_STABILITY_BASE_URL", url)
        yield url


def _grant(cli: typer.Typer, source: Path) -> None:
    first = CliRunner().invoke(cli, ["edit", str(source), "--op", "flip", "-p",
                                     "direction=vertical"])  # makes the user 'local'
    assert first.exit_code == 0, first.output
    granted = CliRunner().invoke(cli, ["credits", "grant", "local", "1"])
    assert granted.exit_code == 0, granted.output


def test_references_by_the_cli_reach_openai_as_image_parts(
    cli_with: Callable[..., typer.Typer], cli_env: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli = cli_with(edit, credits)
    source = _png(cli_env / "s.png", (160, 120))
    reference = _png(cli_env / "r.png", (70, 50))
    emulator = OpenAIEmulator("sk-cli")
    with _served(emulator) as url:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-cli")  # before the settings are first read
        monkeypatch.setenv("IMAGESTUDIO_OPENAI_BASE_URL", f"{url}/v1")
        _grant(cli, source)
        library = json.loads(CliRunner().invoke(cli, [
            "edit", str(reference), "--op", "flip", "-p", "direction=vertical",
            "--json"]).stdout)
        result = CliRunner().invoke(cli, [
            "edit", str(source), "--op", "instruct", "--engine", "openai/gpt-image-1",
            "--prompt", "add the logo", "--reference", str(reference),
            "-r", library["asset_id"], "--json"])
    assert result.exit_code == 0, result.output
    [sent] = emulator.requests("POST")
    parts = parse_form_data(sent.headers["content-type"], sent.content)
    assert [p.name for p in parts].count("image[]") == 3


def test_sketch_by_the_cli_reaches_stability_control(
    cli_with: Callable[..., typer.Typer], cli_env: Path, stability_url: str,
) -> None:
    cli = cli_with(edit, credits)
    source = _png(cli_env / "s.png", (160, 120))
    _grant(cli, source)
    result = CliRunner().invoke(cli, ["edit", str(source), "--op", "sketch", "--prompt",
                                      "a lighthouse", "-p", "control-strength=0.6", "--json"])
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    assert made["engine"] == "stability/sketch" and made["cost_micros"] == 50_000
    assert (made["width"], made["height"]) == (160, 120)
    wrong = CliRunner().invoke(cli, ["edit", str(source), "--op", "style", "--prompt", "x",
                                     "-p", "fidelity=2"])
    assert isinstance(wrong.exception, ValidationError)
    assert "fidelity" in str(wrong.exception)
