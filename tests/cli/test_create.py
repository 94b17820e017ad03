"""``imagestudio create``: through the workflow as the user 'local' (library and ledger),
or files only with ``--no-library``."""

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from imagestudio.accounts.local import LOCAL_USER
from imagestudio.cli import create, credits
from imagestudio.container import build_persistence
from imagestudio.db.models import Asset, Generation, User
from imagestudio.errors import GenerationFailed, PlanForbids
from imagestudio.settings import get_settings

QUICK_START = ["create", "Modern coffee shop interior, cozy atmosphere", "--template",
               "instagram_feed_square", "--quality", "premium", "-n", "3", "--out", "output"]


@pytest.fixture(autouse=True)
def no_vendor_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.endswith(("_API_KEY", "_TOKEN")):
            monkeypatch.delenv(name)


@pytest.fixture
def cli(cli_with: Callable[..., typer.Typer]) -> typer.Typer:
    return cli_with(create, credits)


def _library() -> tuple[list[tuple[str, str | None]], list[str], set[str]]:
    """(asset rows as (owner name, prompt), generation statuses, user names)."""

    async def read() -> tuple[list[tuple[str, str | None]], list[str], set[str]]:
        persistence = build_persistence(get_settings())
        try:
            async with persistence.db.engine.connect() as conn:
                assets = (await conn.execute(
                    select(User.name, Asset.prompt).join(User, User.id == Asset.owner_id)
                )).all()
                statuses = (await conn.execute(select(Generation.status))).scalars().all()
                users = set((await conn.execute(select(User.name))).scalars())
            return [tuple(a) for a in assets], list(statuses), users  # type: ignore[misc]
        finally:
            await persistence.aclose()

    return asyncio.run(read())


def test_create_records_in_the_library_as_the_local_user(cli: typer.Typer, cli_env: Path) -> None:
    result = CliRunner().invoke(cli, [*QUICK_START[:-2], "--out", "out", "--json"])

    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    files = sorted((cli_env / "out").glob("*.png"))
    assert len(files) == 3 and len(list((cli_env / "out").glob("*.png.json"))) == 3
    assert printed["generation_id"] and all(v["asset_id"] for v in printed["variations"])
    assets, statuses, users = _library()
    assert assets == [(LOCAL_USER, "Modern coffee shop interior, cozy atmosphere")] * 3
    assert statuses == ["succeeded"] and users == {LOCAL_USER}
    shown = json.loads(CliRunner().invoke(cli, ["credits", "show", LOCAL_USER, "--json"]).stdout)
    assert shown["usage"]["plan"]["id"] == "enterprise"
    assert shown["usage"]["quotas"]["image_generation"]["used"] == 3


def test_no_library_writes_files_only(cli: typer.Typer, cli_env: Path) -> None:
    result = CliRunner().invoke(cli, ["create", "A kite", "--provider", "local", "-n", "2",
                                      "--out", "out", "--no-library", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["generation_id"] is None
    assert len(list((cli_env / "out").glob("*.png"))) == 2
    assert not (cli_env / "data").exists()  # no database was opened


def test_the_local_users_plan_applies(cli: typer.Typer, monkeypatch: pytest.MonkeyPatch,
                                      cli_env: Path) -> None:
    monkeypatch.setenv("IMAGESTUDIO_SINGLE_USER_PLAN", "free")
    get_settings.cache_clear()

    result = CliRunner().invoke(cli, ["create", "A kite", "--quality", "premium", "--out", "o"])

    assert isinstance(result.exception, PlanForbids), result.output
    assert not (cli_env / "o").exists()
    assert _library()[0] == []


def test_readme_quick_start_works_in_a_fresh_directory(cli_env: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGESTUDIO_")}
    done = subprocess.run([sys.executable, "-m", "imagestudio", *QUICK_START], cwd=cli_env,
                          env=env, capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stderr
    assert len(list((cli_env / "output").glob("*.png"))) == 3
    assert (cli_env / "imagestudio-data" / "imagestudio.db").is_file()
    assert "in your library" in done.stdout and "Traceback" not in done.stderr


def test_refusals_are_one_line(cli_env: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGESTUDIO_")}
    env["IMAGESTUDIO_SINGLE_USER_PLAN"] = "free"
    done = subprocess.run([sys.executable, "-m", "imagestudio", "create", "x", "--quality",
                           "premium"], cwd=cli_env, env=env, capture_output=True, text=True,
                          timeout=300)

    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and len(done.stderr.strip().splitlines()) == 1



def test_a_failed_create_names_each_variations_reason() -> None:
    error = GenerationFailed("all 2 variation(s) failed", details={"variations": [
        {"index": 0, "provider": "stability", "code": "provider_unavailable", "message": "503"},
        {"index": 1, "provider": "stability", "code": "provider_timeout", "message": "slow"},
    ]})

    assert create._with_reasons(error).message == (
        "all 2 variations failed (#1: 503; #2: slow)"
    )
