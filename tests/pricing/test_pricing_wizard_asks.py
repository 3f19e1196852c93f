"""`opdesk contracts wizard` with no flags asks for each value, checks it, shows the result and asks before writing.

The answers are fed on stdin, as a person would type them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.pricing import QuoteRequest, load_contracts, quote
from tui.cli import app

SPEC = Path(__file__).parent / "data" / "spec.toml"


@pytest.fixture
def wizard(tmp_path):
    cfg = tmp_path / "opdesk.toml"
    cfg.write_text(f'[store]\npath = "{tmp_path / "opdesk.db"}"\n')

    def run(*answers: str, args: tuple[str, ...] = ()):
        return CliRunner().invoke(
            app, ["--config", str(cfg), "contracts", "wizard", *args], input="".join(f"{a}\n" for a in answers)
        )

    return run


def test_per_person_prices_asked_in_turn_with_defaults_and_checks(wizard, tmp_path):
    out = tmp_path / "w27.toml"
    result = wizard(
        "",  # no base file: a new one
        "W27",
        "STD,SV",
        "AI",
        "",
        "",  # rate code, rooms, board, price form (pp), multipliers (default)
        "8",  # SV is 8 more per person than STD
        "",  # no unit rooms
        "LOW",
        "2027-05-01",
        "2027-04-01",
        "2027-06-15",
        "55",
        "y",  # a last night before the first is asked again
        "HIGH",
        "",
        "2027-09-15",
        "abc",
        "78",
        "n",  # first night defaults to the day after LOW
        "y",  # usual child prices
        "y",
        "2026-10-01",
        "2027-01-31",
        "EB",
        "20",  # a sales period with 20 % early booking
        "y",
        "",
        "2027-09-15",
        "STD",
        "",  # another, from the day after, no cut
        "n",
        str(out),
        "y",
    )
    assert result.exit_code == 0, result.output
    assert "Error: must be on or after 2027-05-01" in result.output
    assert "Error: expected a number, got 'abc'" in result.output
    assert "Rate code [W27]" in result.output and "# -- the result" in result.output
    assert f"Write 4 contract(s) to {out}? [Y/n]" in result.output
    cs = load_contracts(out)
    assert [c.label for c in cs.contracts] == ["W27-LOW-STD", "W27-LOW-SV", "W27-HIGH-STD", "W27-HIGH-SV"]
    high_sv = cs.contracts[3]
    assert high_sv.stay == (date(2027, 6, 16), date(2027, 9, 15)) and high_sv.prices.pp_dbl == 86
    assert [(p.span[0], p.rate_type, p.eb_percent) for p in high_sv.sales_periods] == [
        (date(2026, 10, 1), "EB", 20),
        (date(2027, 2, 1), "STD", None),
    ]
    early = quote(cs, QuoteRequest("W27", "SV", "AI", date(2027, 7, 1), 2, 2, [8], date(2026, 11, 1)))
    # 86 x 2 = 172, the 8-year-old 50 % of 86 = 43 -> 215; the 20 % early-booking cut -> 172
    assert [n.contract_price for n in early.nights] == [215, 215] and early.total == 344
    assert early.rate_type == "EB"


def test_occupancy_prices_and_own_child_rows(wizard, tmp_path):
    out = tmp_path / "occ.toml"
    children = ["0", "10", "50%"] + ["0", "50%", "70%"] + ["5", "x", "50%", "70%"] + ["0", "70%", "70%"]
    result = wizard(
        "",
        "OCC",
        "DBL",
        "BB",
        "occupancy",
        "S1",
        "2027-05-01",
        "2027-10-31",
        "70",
        "",
        "130",
        "165",
        "",
        "",  # sgl, dbl (required), trp, no quad, bed
        "n",
        "n",
        *children,
        "n",  # no sales period
        str(out),
        "y",
    )
    assert result.exit_code == 0, result.output
    assert "Error: expected a number, got 'x'" in result.output
    [c] = load_contracts(out).contracts
    assert c.prices.form == "occupancy" and c.prices.by_adults == {1: 70, 2: 130, 3: 165}
    assert c.children["first"]["young"].value == 10 and c.children["sgl_first"]["infant"].value == 5
    assert c.children["second"]["older"].percent and c.sales_periods == ()


def test_answering_no_writes_nothing(wizard, tmp_path):
    out = tmp_path / "no.toml"
    result = wizard("", "", "", "", "", "", "", "S1", "2027-05-01", "2027-05-31", "50", "n", "y", "n", str(out), "n")
    assert result.exit_code == 0 and "nothing written" in result.output and not out.exists()


def test_adding_to_a_base_file_keeps_its_comments(wizard, tmp_path):
    base = tmp_path / "base.toml"
    base.write_text(SPEC.read_text())
    result = wizard(
        str(base), "W27", "DBL", "AI", "", "", "", "S1", "2027-05-01", "2027-05-31", "50", "n", "y", "n", "", "y"
    )
    assert result.exit_code == 0, result.output
    assert f"Write it to which file? [{base}]" in result.output
    text = base.read_text()
    assert "# the board the prices are for" in text
    assert {c.label for c in load_contracts(base).contracts} == {"TUI26-S1", "W27-S1-DBL"}


def test_stopping_half_way_writes_nothing_and_exits_2(wizard, tmp_path):
    result = wizard("", "W27", "STD")
    assert result.exit_code == 2 and "nothing written" in result.stderr and "Traceback" not in result.output
    assert list(tmp_path.glob("*.toml")) == [tmp_path / "opdesk.toml"]


def test_flags_still_work_and_half_given_flags_say_what_is_missing(wizard):
    scripted = wizard(
        args=("--rate-code", "W", "--board", "AI", "--room", "STD=0", "--season", "LOW:2026-05-01:2026-06-01:50")
    )
    assert scripted.exit_code == 0 and 'code = "W-LOW-STD"' in scripted.stdout
    assert load_contracts(scripted.stdout, source="stdout").contracts[0].prices.pp_dbl == Decimal(50)
    half = wizard(args=("--rate-code", "W", "--board", "AI"))
    assert half.exit_code == 2 and "give --season, --room too" in half.stderr
