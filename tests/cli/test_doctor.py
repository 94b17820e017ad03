import json
import os
import sqlite3
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from imagestudio.cli import _common, doctor, providers
from imagestudio.settings import get_settings

SECRET = "sk-live-supersecret-123"
DB_PASSWORD = "hunter2-db-pass"


@pytest.fixture(autouse=True)
def env(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.endswith(("_API_KEY", "_TOKEN")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COLUMNS", "200")
    return cli_env


def invoke(*args: str, env: dict[str, str | None] | None = None) -> tuple[int, str]:
    app = typer.Typer()
    doctor.register(app)
    providers.register(app)
    get_settings.cache_clear()  # settings another test module cached in this process
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})
    return result.exit_code, result.output


def checks(output: str) -> dict[str, dict[str, str]]:
    return {c["name"]: c for c in json.loads(output)["checks"]}


def test_a_fresh_install_passes() -> None:
    code, output = invoke("doctor")

    assert code == 0, output
    assert "✓" in output and "✗" not in output
    for name in ("settings", "data dir", "database", "catalog", "Pillow FreeType"):
        assert name in output


def test_json_lists_every_check_and_provider() -> None:
    code, output = invoke("doctor", "--json")

    found = checks(output)
    assert code == 0 and json.loads(output)["ok"] is True
    assert found["database"]["status"] == "ok"
    assert "created on first use" in found["database"]["detail"]
    assert found["provider stability"]["status"] == "skip"
    assert "STABILITY_API_KEY" in found["provider stability"]["detail"]
    assert found["provider local"]["status"] == "ok"
    assert found["providers"]["status"] == "warn"  # nothing but the offline renderer


def test_a_configured_provider_is_ok(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STABILITY_API_KEY", SECRET)

    code, output = invoke("doctor", "--json")

    assert code == 0
    assert checks(output)["provider stability"]["status"] == "ok"
    assert "providers" not in checks(output)
    assert SECRET not in output


def test_an_existing_sqlite_database_is_connected(env: Path) -> None:
    (env / "data").mkdir()
    sqlite3.connect(env / "data" / "imagestudio.db").close()

    code, output = invoke("doctor", "--json")

    assert code == 0
    assert checks(output)["database"]["detail"].startswith("connected to sqlite")


@pytest.mark.parametrize("as_json", [False, True])
def test_print_config_never_shows_secrets(monkeypatch: pytest.MonkeyPatch, as_json: bool) -> None:
    monkeypatch.setenv("STABILITY_API_KEY", SECRET)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET + "-openai")
    monkeypatch.setenv("IMAGESTUDIO_DATABASE_URL",
                       f"postgresql+asyncpg://studio:{DB_PASSWORD}@127.0.0.1:1/studio")

    code, output = invoke("doctor", "--print-config", *(["--json"] if as_json else []))

    assert code == 1  # nothing listens on port 1: the database check fails
    assert SECRET not in output and DB_PASSWORD not in output
    assert "**********" in output
    if as_json:
        config = json.loads(output)["config"]
        assert config["stability_api_key"] == "**********"
        assert config["gemini_api_key"] is None
        assert config["database_url"] == "postgresql+asyncpg://studio:**********@127.0.0.1:1/studio"
        assert checks(output)["database"]["status"] == "fail"


def test_an_unwritable_data_dir_fails(monkeypatch: pytest.MonkeyPatch, env: Path) -> None:
    (env / "not-a-dir").write_text("x")
    monkeypatch.setenv("IMAGESTUDIO_DATA_DIR", str(env / "not-a-dir"))

    code, output = invoke("doctor", "--json")

    assert code == 1
    assert checks(output)["data dir"]["status"] == "fail"


def test_invalid_settings_fail_without_echoing_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGESTUDIO_MAX_CONCURRENT_VARIATIONS", "99")

    code, output = invoke("doctor")

    assert code == 1
    assert "✗" in output and "max_concurrent_variations" in output
    assert "99" not in output


def test_providers_shows_keys_urls_models_and_prices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STABILITY_API_KEY", SECRET)
    monkeypatch.setenv("IMAGESTUDIO_WAVESPEED_BASE_URL", "http://127.0.0.1:9999")

    code, output = invoke("providers", "--json")

    assert code == 0 and SECRET not in output
    rows = {row["id"]: row for row in json.loads(output)["providers"]}
    assert rows["stability"]["configured"] is True
    assert rows["wavespeed"] | {"models": []} == rows["wavespeed"] | {
        "configured": False, "reason": "set WAVESPEED_API_KEY",
        "base_url": "http://127.0.0.1:9999", "models": [],
    }
    assert rows["local"]["name"] == "Offline draft renderer (not an AI model)"
    assert rows["local"]["configured"] is True
    prices = {m["id"]: m["price"] for row in rows.values() for m in row["models"]}
    assert prices["stability/ultra"] == "$0.08"
    assert all(p.startswith("$") or p == "free" for p in prices.values())


def test_providers_table_is_readable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_common.console, "width", 200)  # a worker process has no terminal
    no_keys: dict[str, str | None] = {
        f"{vendor}_API_KEY": None for vendor in ("STABILITY", "WAVESPEED", "HF", "GEMINI", "OPENAI")
    }
    code, output = invoke("providers", env=no_keys)

    assert code == 0
    assert "no: set STABILITY_API_KEY" in output
    assert "Offline draft renderer (not an AI model)" in output
