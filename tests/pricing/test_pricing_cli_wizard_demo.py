"""`opdesk contracts check|load|show|wizard` and `opdesk quote` from the store; the demo hotel's contracts."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.pricing import QuoteRequest, load_contracts, quote
from core.pricing.demo import demo_contracts_toml, seasons
from core.store import Store
from tui.cli import app

SPEC = Path(__file__).parent / "data" / "spec.toml"


@pytest.fixture
def cli(tmp_path):
    cfg = tmp_path / "opdesk.toml"
    cfg.write_text(f'[store]\npath = "{tmp_path / "opdesk.db"}"\n')

    def run(*args: str):
        return CliRunner().invoke(app, ["--config", str(cfg), "--as", "tester", *args])

    run.db = tmp_path / "opdesk.db"
    return run


def test_check_validates_without_loading(cli):
    result = cli("contracts", "check", str(SPEC), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["contracts"] == 1
    assert not cli.db.exists() or Store(cli.db).scalar("SELECT COUNT(*) FROM contract_sets") == 0


def test_check_lists_every_problem_and_exits_2(cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(SPEC.read_text().replace("dbl = 120", 'dbl = "abc"').replace("max_stay = 21", "max_stay = 0"))
    result = cli("contracts", "check", str(bad))
    assert result.exit_code == 2
    assert 'prices.dbl: must be a number, got "abc"' in result.stderr
    assert "rules.max_stay: must be at least 1, got 0" in result.stderr


def test_load_then_show_then_quote_from_the_store(cli):
    assert cli("contracts", "show").exit_code == 1
    loaded = cli("contracts", "load", str(SPEC), "--json")
    assert loaded.exit_code == 0, loaded.output
    assert json.loads(loaded.stdout)["contract_set"] == 1
    shown = json.loads(cli("contracts", "show", "--rate-code", "TUI26", "--json").stdout)
    assert [c["code"] for c in shown["contracts"]] == ["TUI26-S1"]
    assert shown["contracts"][0]["stay"] == ["2026-05-01", "2026-06-30"]
    assert [d["code"] for d in shown["discounts"]] == ["EB20"]
    assert cli("contracts", "show", "--rate-code", "NOPE").exit_code == 2
    table = cli("contracts", "show")
    assert "TUI26-S1" in table.stdout and "EB20" in table.stdout
    priced = cli(
        "quote",
        "--rate-code",
        "TUI26",
        "--room",
        "DBL",
        "--board",
        "AI",
        "--check-in",
        "2026-05-01",
        "--nights",
        "7",
        "--adults",
        "2",
        "--booked",
        "2025-12-01",
        "--json",
    )
    assert priced.exit_code == 0
    assert json.loads(priced.stdout)["totals"]["price"] == "672.00"


def test_quote_without_contracts_anywhere_says_what_to_do(cli):
    result = cli(
        "quote",
        "--rate-code",
        "TUI26",
        "--room",
        "DBL",
        "--board",
        "AI",
        "--check-in",
        "2026-05-01",
        "--nights",
        "7",
        "--adults",
        "2",
        "--booked",
        "2025-12-01",
    )
    assert result.exit_code == 2 and "opdesk contracts load FILE" in result.stderr


@pytest.mark.parametrize(
    "stay, message",
    [
        ([], "give either --nights N or --check-out YYYY-MM-DD"),
        (["--nights", "7", "--check-out", "2026-05-08"], "give either --nights N or --check-out YYYY-MM-DD"),
        (["--check-out", "2026-05-01"], "--check-out 2026-05-01 must be after --check-in 2026-05-01"),
    ],
    ids=["neither", "both", "check-out-not-after"],
)
def test_quote_needs_the_stay_given_once_by_nights_or_check_out(cli, stay, message):
    stay_args = ["--rate-code", "TUI26", "--room", "DBL", "--board", "AI", "--check-in", "2026-05-01"]
    result = cli("quote", *stay_args, *stay, "--adults", "2", "--booked", "2025-12-01", "--contracts", str(SPEC))
    assert result.exit_code == 2 and message in result.stderr, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_load_of_a_broken_file_keeps_the_loaded_contracts(cli, tmp_path):
    cli("contracts", "load", str(SPEC))
    bad = tmp_path / "bad.toml"
    bad.write_text(SPEC.read_text().replace('board = "AI"', 'board = "XX"'))
    result = cli("contracts", "load", str(bad))
    assert result.exit_code == 2 and 'board: unknown board "XX"' in result.stderr
    assert Store(cli.db).all("SELECT id, active FROM contract_sets") == [{"id": 1, "active": 1}]


WIZARD = [
    "contracts",
    "wizard",
    "--rate-code",
    "W26",
    "--board",
    "AI",
    "--season",
    "LOW:2026-05-01:2026-06-15:50",
    "--season",
    "HIGH:2026-06-16:2026-09-15:70",
    "--room",
    "STD=0",
    "--room",
    "SV=8",
    "--room",
    "VIL=40",
    "--unit",
    "VIL",
    "--sales",
    "2025-10-01:2026-01-31:EB1:20",
    "--sales",
    "2026-02-01:2026-09-15:NORMAL",
]


def test_wizard_writes_contracts_that_load_and_price(cli, tmp_path):
    out = tmp_path / "w.toml"
    result = cli(*WIZARD, "--output", str(out))
    assert result.exit_code == 0, result.output
    cs = load_contracts(out)
    assert [c.label for c in cs.contracts] == [
        "W26-LOW-STD",
        "W26-LOW-SV",
        "W26-LOW-VIL",
        "W26-HIGH-STD",
        "W26-HIGH-SV",
        "W26-HIGH-VIL",
    ]
    assert cs.contracts[4].prices.pp_dbl == 78 and cs.contracts[5].prices.unit == 220
    assert cs.contracts[0].rate_type == "NORMAL" and cs.contracts[0].sales is None
    assert [(p.span, p.rate_type, p.eb_percent) for p in cs.contracts[0].sales_periods] == [
        ((date(2025, 10, 1), date(2026, 1, 31)), "EB1", 20),
        ((date(2026, 2, 1), date(2026, 9, 15)), "NORMAL", None),
    ]
    assert cs.discounts == []
    early = quote(cs, QuoteRequest("W26", "SV", "AI", date(2026, 7, 1), 2, 3, [], date(2025, 12, 1)))
    assert [n.contract_price for n in early.nights] == [78 * 2.75] * 2
    assert early.applied == ["sales_period:2025-10-01"] and early.rate_type == "EB1"
    assert early.total == Decimal("343.20"), "214.50 a night less the 20 % early-booking cut, twice"
    late = quote(cs, QuoteRequest("W26", "SV", "AI", date(2026, 7, 1), 2, 2, [], date(2026, 3, 1)))
    assert late.total == 312 and late.applied == [] and late.rate_type == "NORMAL"
    too_early = quote(cs, QuoteRequest("W26", "SV", "AI", date(2026, 7, 1), 2, 2, [], date(2025, 9, 1)))
    assert too_early.errors[0]["rule"] == "sales"


def test_wizard_adds_to_a_base_file_keeping_its_comments(cli, tmp_path):
    base = tmp_path / "base.toml"
    base.write_text(
        SPEC.read_text().replace('code = "DBL"', 'code = "STD"').replace('["DBL"]', '["STD"]')
        + '\n[[room_types]]\ncode = "SV"\n'
    )
    result = cli(*WIZARD, "--base", str(base))
    assert result.exit_code == 0, result.output
    assert "# the board the prices are for" in result.stdout
    cs = load_contracts(result.stdout, source="stdout")
    assert len(cs.contracts) == 7 and {"EB20"} == {d.code for d in cs.discounts}
    assert set(cs.room_types) == {"STD", "SV", "VIL"} and set(cs.rate_codes) == {"TUI26", "W26", "ONLINE", "WALKIN"}
    assert set(cs.contracts[1].children["second"]) == {"infant", "young", "older"}


def test_wizard_children_follow_the_base_rate_codes_bands(cli, tmp_path):
    base = tmp_path / "base.toml"
    base.write_text(
        '[[rate_codes]]\ncode = "W26"\nchild_bands = [{ name = "baby", min = 0, max = 2.99 }, '
        '{ name = "kid", min = 3, max = 13.99 }]\n'
    )
    result = cli(*WIZARD, "--base", str(base))
    assert result.exit_code == 0, result.output
    cs = load_contracts(result.stdout, source="stdout")
    assert cs.contracts[0].children["first"]["kid"].percent and cs.contracts[0].children["first"]["baby"].value == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--season", "LOW:2026-05-01:2026-04-01:50"], "ends 2026-04-01 before it starts"),
        (["--season", "LOW:2026-05-01"], "expected NAME:FROM:TO:PP_DBL"),
        (["--multipliers", "sgl=1.5,dbl=x"], "--multipliers dbl: expected a number"),
    ],
)
def test_wizard_bad_input_exits_2(cli, args, message):
    base = ["contracts", "wizard", "--rate-code", "W", "--board", "AI", "--room", "STD=0"]
    if not any(a == "--season" for a in args):
        base += ["--season", "LOW:2026-05-01:2026-06-01:50"]
    result = cli(*base, *args)
    assert result.exit_code == 2 and message in result.stderr


# -- the demo hotel ---------------------------------------------------------------------
TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def demo():
    return load_contracts(demo_contracts_toml(TODAY), source="demo")


def test_demo_seasons_cover_thirteen_months():
    spans = seasons(TODAY)
    assert spans[0][1] == TODAY and spans[-1][2] == date(2027, 12, 23)
    for (_, _, end), (_, start, _) in zip(spans, spans[1:]):
        assert start == end + timedelta(days=1)


def test_demo_has_a_rate_code_per_operator_discounts_and_a_promotion(demo):
    assert set(demo.rate_codes) == {"TUI26", "JET26", "PEG26", "ANX26", "HBD26", "ETS26", "ONLINE", "WALKIN"}
    assert demo.agencies["TUI"] == ("TUI26",)
    assert {d.type for d in demo.discounts} == {"percent", "free_nights"}
    assert list(demo.promotions) == ["SUNNY5"]


@pytest.mark.parametrize("rate", ["TUI26", "JET26", "PEG26", "ANX26", "HBD26", "ETS26", "ONLINE", "WALKIN"])
@pytest.mark.parametrize(
    "room, board, adults, ages",
    [
        ("SGL", "BB", 1, [5]),
        ("STD", "HB", 2, [8]),
        ("SV", "AI", 3, []),
        ("FAM", "UAI", 2, [1, 4, 9]),
        ("SUI", "FB", 2, []),
        ("VIL", "AI", 6, [3, 10]),
    ],
)
def test_demo_prices_every_room_board_and_operator_through_the_year(demo, rate, room, board, adults, ages):
    for offset in (3, 140, 300, 380):
        answer = quote(
            demo,
            QuoteRequest(rate, room, board, TODAY + timedelta(days=offset), 7, adults, ages, TODAY, promo="SUNNY5"),
        )
        assert answer.ok, (offset, answer.errors)
        assert answer.total > 0
