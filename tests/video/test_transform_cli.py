"""``imagestudio transform``: a file or an asset id of the user 'local' becomes an MP4 in
--out and in the library, with a progress bar; bad input is one line, exit code 2."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from imagestudio.cli import exit_code, transform
from imagestudio.errors import StudioError
from imagestudio.video.probe import probe

pytest.importorskip("av")
ARGS = ["--preset", "zoom-out", "--duration", "1", "--target", "youtube_shorts", "--fps", "24"]


@pytest.fixture
def cli(cli_with: Callable[..., typer.Typer]) -> typer.Typer:
    return cli_with(transform)


def _still(path: Path) -> Path:
    Image.linear_gradient("L").resize((400, 300)).convert("RGB").save(path)
    return path


def test_a_file_becomes_a_clip_in_out_and_the_library(cli: typer.Typer, cli_env: Path) -> None:
    still = _still(cli_env / "still.png")
    done = CliRunner().invoke(cli, [str(still), *ARGS, "--out", "clips", "--json"])
    assert done.exit_code == 0, done.output
    body = json.loads(done.stdout)
    assert body["ai_generated"] is False and body["asset_id"] and body["cost_micros"] == 0
    facts = probe(Path(body["file"]).read_bytes())
    assert (facts.width, facts.height, facts.frame_count, facts.duration_s) == (1080, 1920, 24, 1)
    assert Path(body["file"]).parent == Path("clips")

    again = CliRunner().invoke(cli, [body["asset_id"], *ARGS])  # a video is no still
    assert again.exit_code == 1 and isinstance(again.exception, StudioError)
    assert again.exception.message == f"image: asset {body['asset_id']} is not an image"
    assert exit_code(again.exception) == 2


def test_the_progress_bar_reaches_the_end(cli: typer.Typer, cli_env: Path) -> None:
    still = _still(cli_env / "still.png")
    done = CliRunner().invoke(cli, [str(still), *ARGS, "--headline", "New in"])
    assert done.exit_code == 0, done.output
    assert "100%" in done.stderr and "zoom-out · youtube_shorts · 1 s" in done.stderr
    assert "1080×1920 · 1 s · 24 fps · h264" in done.stdout
    assert "no AI model was used" in done.stdout


def test_bad_focal_point_is_refused(cli: typer.Typer, cli_env: Path) -> None:
    still = _still(cli_env / "still.png")
    done = CliRunner().invoke(cli, [str(still), *ARGS, "--focal", "left"])
    assert isinstance(done.exception, StudioError)
    assert done.exception.message == 'focal: write it as "x,y", e.g. 0.7,0.3'


def test_a_vendor_model_without_its_key_is_refused_before_anything_runs(
    cli: typer.Typer, cli_env: Path
) -> None:
    still = _still(cli_env / "still.png")
    done = CliRunner().invoke(cli, [str(still), "--model", "gemini/veo-3.1-generate-preview",
                                    "--prompt", "waves", "--duration", "8"])
    assert done.exit_code == 1 and isinstance(done.exception, StudioError)
    assert done.exception.code == "provider_not_configured"
    assert "gemini is not configured" in done.exception.message
