"""``imagestudio worker`` refuses, in one line, a deployment it cannot serve."""

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from imagestudio.cli import worker as worker_module


@pytest.fixture(autouse=True)
def env(cli_env: Path) -> Path:
    return cli_env


def invoke(*args: str) -> tuple[int, str]:
    app = typer.Typer()
    worker_module.register(app)
    app.command("noop")(lambda: None)  # keep "worker" a sub-command
    result = CliRunner().invoke(app, ["worker", *args])
    return result.exit_code, result.output


def test_worker_on_sqlite_is_refused_in_one_line() -> None:
    code, output = invoke()
    assert code == 1
    assert output.strip().splitlines() == [
        "error: imagestudio worker needs PostgreSQL: set IMAGESTUDIO_DATABASE_URL "
        "(with SQLite, `imagestudio serve` runs the jobs itself)"
    ]


def test_worker_concurrency_is_bounded() -> None:
    code, output = invoke("--concurrency", "0")
    assert code == 2 and "--concurrency" in output
