from __future__ import annotations

import subprocess
import sys
import textwrap

import httpx
import pytest
import typer
from typer.testing import CliRunner

from imagestudio.cli.emulate import env_lines, is_loopback, register


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Root."""

    register(app)
    return app


@pytest.mark.parametrize(
    ("host", "ok"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.com", False),
    ],
)
def test_only_loopback_hosts_are_allowed(host: str, ok: bool) -> None:
    assert is_loopback(host) is ok


@pytest.mark.parametrize(
    "args", [["gemini", "--host", "0.0.0.0"], ["midjourney"], ["openai", "--latency", "-1"],
             ["openai", "--sync-timeout-rate", "0.5"], ["wavespeed", "--sync-timeout-rate", "2"]]
)
def test_bad_arguments_are_refused_before_serving(args: list[str]) -> None:
    result = CliRunner().invoke(_app(), ["emulate", *args])

    assert result.exit_code == 2


def test_env_lines_point_the_settings_at_the_emulator() -> None:
    assert env_lines("openai", "127.0.0.1", 8123, None) == [
        "IMAGESTUDIO_OPENAI_BASE_URL=http://127.0.0.1:8123/v1",
        "OPENAI_API_KEY=any-non-empty-key",
    ]
    assert env_lines("huggingface", "::1", 9, "k")[0] == (
        "IMAGESTUDIO_HUGGINGFACE_BASE_URL=http://[::1]:9/hf-inference"
    )


def test_emulate_serves_until_stopped() -> None:
    script = textwrap.dedent(
        """
        import typer
        from imagestudio.cli.emulate import register
        app = typer.Typer()
        app.callback()(lambda: None)
        register(app)
        app()
        """
    )
    command = [sys.executable, "-c", script, "emulate", "openai", "--api-key", "sk-cli"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline() for _ in range(3)]
            base = lines[1].split("=", 1)[1].strip()
            response = httpx.post(
                f"{base}/images/generations",
                json={"model": "gpt-image-1", "prompt": "x", "size": "1024x1024"},
                headers={"Authorization": "Bearer sk-cli"},
                timeout=10,
                trust_env=False,
            )
        finally:
            process.terminate()
            process.wait(timeout=10)

    assert "IMAGESTUDIO_OPENAI_BASE_URL=http://127.0.0.1:" in lines[1]
    assert response.status_code == 200
