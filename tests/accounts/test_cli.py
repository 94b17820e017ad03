import json
from collections.abc import Callable

import pytest
import typer
from typer.testing import CliRunner

from imagestudio.cli import accounts, db
from imagestudio.db.migrate import HEAD_REVISION


@pytest.fixture
def cli(cli_with: Callable[..., typer.Typer]) -> typer.Typer:
    return cli_with(accounts, db)


def test_users_create_prints_the_key_once_and_keys_can_be_revoked(cli: typer.Typer) -> None:
    runner = CliRunner()
    created = runner.invoke(cli, ["users", "create", "alice", "--plan", "pro", "--json"])
    assert created.exit_code == 0, created.output
    body = json.loads(created.stdout)
    assert body["key"].startswith("isk_") and body["user"]["plan"] == "pro"

    plain = runner.invoke(cli, ["keys", "create", "alice", "--name", "ci"])
    assert plain.exit_code == 0
    assert plain.stdout.strip().splitlines()[-1].startswith("isk_")

    listed = json.loads(runner.invoke(cli, ["keys", "list", "--json"]).stdout)
    assert len(listed["keys"]) == 2
    assert all("isk_" not in k["id"] and len(k["prefix"]) == 12 for k in listed["keys"])

    revoked = runner.invoke(cli, ["keys", "revoke", body["key_info"]["id"]])
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout


def test_cli_errors_are_one_line_without_traceback(cli: typer.Typer) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["users", "create", "alice"]).exit_code == 0
    again = runner.invoke(cli, ["users", "create", "alice"])
    assert again.exit_code != 0
    assert "Traceback" not in again.output


def test_db_upgrade_reports_the_revision(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"revision {HEAD_REVISION}" in result.stdout
    current = CliRunner().invoke(cli, ["db", "current"])
    assert f"current: {HEAD_REVISION}" in current.stdout
