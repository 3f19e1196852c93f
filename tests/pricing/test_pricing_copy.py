"""`opdesk contracts copy`: a new season from an old contract, written into the file with its comments kept."""

from __future__ import annotations

import json
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.pricing import load_contracts
from core.pricing.copy import moved
from tui.cli import app

SPEC = Path(__file__).parent / "data" / "spec.toml"
SPEC_V2 = Path(__file__).parent / "data" / "spec_v2.toml"

PER_PERSON = """
[[contracts]]
code = "PP26"
rate_code = "TUI26"
room_types = ["DBL"]
board = "AI"
stay = [2026-07-01, 2026-08-31]
sales = [2026-01-01, 2026-08-31]
  [contracts.prices]
  pp_dbl = "60.10"
  multipliers = { sgl = 1.5, dbl = 2, trp = 2.75 }
  [contracts.children]
  first = { infant = 0, young = 12.5, older = "50%" }

# the discounts follow
"""


def copy(*args: str):
    return CliRunner().invoke(app, ["contracts", "copy", *args])


@pytest.fixture
def contracts(tmp_path):
    path = tmp_path / "contracts.toml"
    text = SPEC.read_text()
    at = text.index("[[discounts]]")
    path.write_text(text[:at] + PER_PERSON.lstrip("\n") + "\n" + text[at:])
    return path


@pytest.mark.parametrize(
    "amount, percent, expected",
    [
        ("120", "5", 126),
        ("90", "5", 94.5),
        ("165", "5", 173.25),
        ("35", "5", 36.75),
        ("60.10", "-3", 58.3),
        ("0", "5", 0),
        ("1", "0.5", 1.01),
        ("2.5", "-0.2", 2.5),
    ],
)
def test_amounts_move_by_the_percent_rounded_half_up(amount, percent, expected):
    assert moved(Decimal(amount), Decimal(percent)) == expected


def test_copy_prints_the_new_entry_without_touching_the_file(contracts):
    before = contracts.read_text()
    result = copy(
        "TUI26-S1",
        "--contracts",
        str(contracts),
        "--stay",
        "2027-05-01",
        "2027-06-30",
        "--code",
        "TUI27-S1",
        "--change-percent",
        "5",
    )
    assert result.exit_code == 0, result.output
    assert contracts.read_text() == before
    [entry] = tomllib.loads(result.stdout)["contracts"]
    assert entry["code"] == "TUI27-S1" and entry["stay"] == ["2027-05-01", "2027-06-30"]
    assert entry["prices"] == {"sgl": 94.5, "dbl": 126, "trp": 173.25, "quad": 210, "extra_bed": 36.75}
    assert entry["children"]["first"] == {"infant": 0, "young": 0, "older": "50%"}
    assert entry["supplements"]["UAI"] == {"adult": 21, "older": 10.5, "young": 5.25}
    assert entry["special_cases"][0]["night_total"] == 525
    # without --sales the sales dates move as far as the stay did: one year
    assert entry["sales"] == ["2026-10-01", "2027-06-30"]
    assert entry["rules"]["release_days"] == 7 and entry["commission_percent"] == 0


def test_write_adds_it_after_the_original_keeping_comments_and_order(contracts):
    before = contracts.read_text()
    result = copy(
        "PP26",
        "--contracts",
        str(contracts),
        "--stay",
        "2027-07-01",
        "2027-08-31",
        "--code",
        "PP27",
        "--change-percent",
        "-3",
        "--write",
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"code": "PP27", "copied_from": "PP26", "file": str(contracts), "written": True}
    after = contracts.read_text()
    for line in before.splitlines():
        assert line in after, f"lost: {line!r}"
    cs = load_contracts(contracts)
    assert [c.label for c in cs.contracts] == ["TUI26-S1", "PP26", "PP27"]
    new = cs.contracts[2]
    assert new.prices.pp_dbl == Decimal("58.3") and new.prices.by_adults[3] == Decimal("58.3") * Decimal("2.75")
    assert new.children["first"]["young"].value == Decimal("12.13") and new.children["first"]["older"].percent
    assert new.stay == (date(2027, 7, 1), date(2027, 8, 31)) and new.sales == (date(2027, 1, 1), date(2027, 8, 31))
    # the comment introducing the discounts still stands right before them, after the new entry
    assert after.index('code = "PP27"') < after.index("# the discounts follow") < after.index("[[discounts]]")
    assert "stay = [2027-07-01, 2027-08-31]" in after, "dates keep the form they were written in"


def test_sales_given_replace_the_sales_dates(contracts):
    result = copy(
        "TUI26-S1",
        "--contracts",
        str(contracts),
        "--stay",
        "2027-05-01",
        "2027-06-30",
        "--code",
        "TUI27-S1",
        "--sales",
        "2026-11-01",
        "2027-05-31",
    )
    [entry] = tomllib.loads(result.stdout)["contracts"]
    assert entry["sales"] == ["2026-11-01", "2027-05-31"] and entry["prices"]["dbl"] == 120


def test_sales_periods_move_with_the_stay(tmp_path):
    path = tmp_path / "web.toml"
    path.write_text(SPEC_V2.read_text())
    result = copy(
        "WEB-DE",
        "--contracts",
        str(path),
        "--stay",
        "2026-08-01",
        "2026-08-31",
        "--code",
        "WEB-DE-AUG",
        "--write",
        "--json",
    )
    assert result.exit_code == 0, result.output
    cs = load_contracts(path)
    new = next(c for c in cs.contracts if c.label == "WEB-DE-AUG")
    assert [(p.span, p.rate_type, p.eb_percent) for p in new.sales_periods] == [
        ((date(2026, 2, 1), date(2026, 5, 1)), "NRF", 10),
        ((date(2026, 5, 2), date(2026, 8, 31)), "", None),
    ]
    assert new.nationalities == {"DE", "AT"} and new.rules.max_arrival == 3
    bad = copy(
        "WEB-DE",
        "--contracts",
        str(path),
        "--stay",
        "2026-08-01",
        "2026-08-31",
        "--code",
        "X",
        "--sales",
        "2026-01-01",
        "2026-02-01",
    )
    assert bad.exit_code == 2 and "sales_periods" in bad.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["TUI26-S1", "--code", "PP26"], "PP26 exists already"),
        (["TUI26-S1", "--code", "TUI26-S1"], "exists already"),
        (["NOPE", "--code", "NEW"], "no contract NOPE"),
        (["X[/]\x1b[2J", "--code", "NEW"], "no contract X[/]␛[2J"),
        (["TUI26-S1", "--code", "NEW", "--change-percent", "abc"], "--change-percent"),
        (["TUI26-S1", "--code", "NEW", "--change-percent", "-100"], "--change-percent"),
    ],
)
def test_refused_copies_exit_2_and_leave_the_file(contracts, args, message):
    before = contracts.read_text()
    result = copy(
        *args[:1], "--contracts", str(contracts), "--stay", "2027-05-01", "2027-06-30", *args[1:], "--write", "--json"
    )
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.output
    assert contracts.read_text() == before


def test_a_stay_ending_before_it_starts_exits_2(contracts):
    result = copy("TUI26-S1", "--contracts", str(contracts), "--stay", "2027-06-30", "2027-05-01", "--code", "N")
    assert result.exit_code == 2 and "--stay" in result.stderr
