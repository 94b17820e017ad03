from pathlib import Path
from typing import Any

import pytest
import typer
import uvicorn
from typer.testing import CliRunner

from imagestudio.api import app as api_app
from imagestudio.cli import serve as serve_module
from imagestudio.settings import Settings


@pytest.fixture(autouse=True)
def env(cli_env: Path) -> Path:
    return cli_env


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What ``serve`` would hand to uvicorn (nothing is actually served)."""
    calls: list[dict[str, Any]] = []

    def fake_create_app(settings: Settings, **kwargs: Any) -> str:
        calls.append({"settings": settings})
        return "app"

    def fake_run(app: str, **kwargs: Any) -> None:
        calls[-1].update(kwargs)

    # serve imports both when it starts serving (the CLI's other commands skip the web stack)
    monkeypatch.setattr(api_app, "create_app", fake_create_app)
    monkeypatch.setattr(uvicorn, "run", fake_run)
    return calls


def invoke(*args: str) -> tuple[int, str]:
    app = typer.Typer()
    serve_module.register(app)
    app.command("noop")(lambda: None)  # keep "serve" a sub-command
    result = CliRunner().invoke(app, ["serve", *args])
    return result.exit_code, result.output


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_single_user_is_enabled_only_by_the_flag(started: list[dict[str, Any]], host: str) -> None:
    assert invoke("--host", host, "--single-user")[0] == 0
    assert invoke("--host", host)[0] == 0
    assert [c["settings"].single_user for c in started] == [True, False]
    assert started[0]["host"] == host


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "studio.example.com"])
def test_single_user_refuses_a_non_loopback_host(started: list[dict[str, Any]], host: str) -> None:
    code, output = invoke("--host", host, "--single-user")
    assert code == 1
    assert "--single-user needs a loopback --host" in output
    assert started == []


def test_single_user_from_the_environment_also_needs_loopback(
    started: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMAGESTUDIO_SINGLE_USER", "true")
    code, output = invoke("--host", "0.0.0.0")
    assert code == 1
    assert "IMAGESTUDIO_SINGLE_USER" in output
    assert started == []


def test_the_procrastinate_queue_on_sqlite_is_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch, started: list[dict[str, Any]]
) -> None:
    monkeypatch.setenv("IMAGESTUDIO_JOB_QUEUE", "procrastinate")
    code, output = invoke()
    assert code == 1 and not started
    assert output.strip().splitlines() == [
        "error: IMAGESTUDIO_JOB_QUEUE=procrastinate needs PostgreSQL "
        "(IMAGESTUDIO_DATABASE_URL); with SQLite jobs run in serve (embedded)"
    ]
