"""``imagestudio credits …`` and ``users set-plan`` against a real SQLite database."""

import json
from collections.abc import Callable

import pytest
import typer
from typer.testing import CliRunner

from imagestudio.cli import accounts, credits
from imagestudio.errors import StudioError


@pytest.fixture
def cli(cli_with: Callable[..., typer.Typer]) -> typer.Typer:
    return cli_with(accounts, credits)


def _ok(cli: typer.Typer, *args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_grant_show_adjust_and_ledger(cli: typer.Typer) -> None:
    _ok(cli, "users", "create", "amy", "--plan", "basic")
    granted = json.loads(_ok(cli, "credits", "grant", "amy", "$12.5", "--note", "promo", "--json"))
    assert granted["amount"]["micros"] == 12_500_000 and granted["note"] == "promo"
    assert "available balance $12.51" in _ok(cli, "credits", "grant", "amy", "10000", "--micros")
    assert "-$2.00" in _ok(cli, "credits", "adjust", "amy", "-2", "--note", "typo")
    shown = json.loads(_ok(cli, "credits", "show", "amy", "--json"))
    assert shown["usage"]["balance"]["micros"] == 10_510_000
    assert shown["usage"]["quotas"]["image_generation"] == {"limit": 25, "used": 0,
                                                           "remaining": 25}
    text = _ok(cli, "credits", "show", "amy")
    assert "plan Basic" in text and "image_generation: 0 of 25" in text
    ledger = json.loads(_ok(cli, "credits", "ledger", "amy", "--json"))["entries"]
    assert [e["kind"] for e in ledger] == ["adjustment", "grant", "grant"]
    assert "settled 0" in _ok(cli, "credits", "sweep")
    assert "enterprise" in _ok(cli, "credits", "plans")


def test_set_plan_accepts_only_plans_in_the_table(cli: typer.Typer) -> None:
    _ok(cli, "users", "create", "ben")
    assert "now on plan pro" in _ok(cli, "users", "set-plan", "ben", "pro")
    bad = CliRunner().invoke(cli, ["users", "set-plan", "ben", "gold"])
    assert bad.exit_code != 0 and "unknown plan 'gold'" in str(bad.exception)
    refused = CliRunner().invoke(cli, ["users", "create", "cat", "--plan", "team"])
    assert refused.exit_code != 0


@pytest.mark.parametrize(
    "args",
    [["credits", "grant", "nobody", "1"], ["credits", "grant", "amy", "ten"],
     ["credits", "grant", "amy", "1.5", "--micros"], ["credits", "adjust", "amy", "-1"],
     # Issue 11 (9): no spend to refund, no bound, an OverflowError traceback.
     ["credits", "refund", "amy", "50"], ["credits", "adjust", "amy", "9e12", "--note", "x"],
     ["credits", "adjust", "amy", "-9223372036854", "--note", "x"],
     ["credits", "adjust", "amy", "--note", "x", "--micros", "--", "-99999999999999999999"],
     ["credits", "grant", "amy", "1e999999"], ["credits", "refund", "amy", "1e-999999"]],
)
def test_bad_input_is_one_line_and_nonzero(cli: typer.Typer, args: list[str]) -> None:
    _ok(cli, "users", "create", "amy")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    # A StudioError is rendered as one line by the entry point (imagestudio.cli.main).
    assert isinstance(result.exception, SystemExit | StudioError), repr(result.exception)
    assert len(result.output.strip().splitlines()) <= 1, result.output
