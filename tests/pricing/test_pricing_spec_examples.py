"""Every worked example of the pricing spec, through the API and through `opdesk quote --json`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from core.pricing import QuoteRequest, quote
from tui.cli import app

SPEC = Path(__file__).parent / "data" / "spec.toml"


def ask(spec_set, **changes):
    values = dict(
        rate_code="TUI26",
        room_type="DBL",
        board="AI",
        check_in=date(2026, 5, 1),
        nights=7,
        adults=2,
        child_ages=[],
        booked=date(2025, 12, 1),
    )
    values.update(changes)
    return quote(spec_set, QuoteRequest(**values))


def test_example_1_two_adults_early_booking(spec_set):
    answer = ask(spec_set).as_dict()
    assert answer["totals"] == {"contract_price": "840.00", "discount": "168.00", "price": "672.00"}
    assert answer["nights"][0] == {
        "date": "2026-05-01",
        "contract_price": "120.00",
        "discount": "24.00",
        "price": "96.00",
    }
    assert len(answer["nights"]) == 7 and answer["applied"] == ["EB20"]
    assert answer["terms"] == {"cancellation_days": 14, "prepayment_days": 30, "prepayment_percent": 30}


def test_example_2_children_oldest_first(spec_set):
    answer = ask(spec_set, child_ages=[4, 8]).as_dict()
    assert {n["contract_price"] for n in answer["nights"]} == {"180.00"}
    assert {n["price"] for n in answer["nights"]} == {"144.00"}
    assert answer["totals"] == {"contract_price": "1260.00", "discount": "252.00", "price": "1008.00"}


def test_example_3_single_adult_with_child(spec_set):
    answer = ask(spec_set, adults=1, child_ages=[4])
    assert [n.contract_price for n in answer.nights] == [120] * 7


def test_example_4_release_days_refuses(spec_set):
    answer = ask(spec_set, booked=date(2026, 4, 28)).as_dict()
    assert answer["ok"] is False
    assert [e["rule"] for e in answer["errors"]] == ["release_days"]
    assert set(answer) == {"ok", "errors"}


def test_example_5_check_in_day_refuses(spec_set):
    answer = ask(spec_set, check_in=date(2026, 5, 6)).as_dict()
    assert [e["rule"] for e in answer["errors"]] == ["check_in_days"]


def run(*args: str):
    return CliRunner().invoke(
        app,
        [
            "quote",
            "--contracts",
            str(SPEC),
            "--rate-code",
            "TUI26",
            "--room",
            "DBL",
            "--board",
            "AI",
            "--adults",
            "2",
            *args,
        ],
    )


def test_cli_json_shape_matches_the_spec():
    result = run("--check-in", "2026-05-01", "--nights", "7", "--booked", "2025-12-01", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert list(answer) == ["ok", "currency", "nights", "totals", "applied", "refused", "terms", "rate_type"]
    assert answer["currency"] == "EUR" and answer["rate_type"] == "NRF"
    assert answer["totals"] == {"contract_price": "840.00", "discount": "168.00", "price": "672.00"}


def test_cli_check_out_gives_the_same_stay_as_nights():
    by_nights = run("--check-in", "2026-05-01", "--nights", "7", "--booked", "2025-12-01", "--json")
    by_date = run("--check-in", "2026-05-01", "--check-out", "2026-05-08", "--booked", "2025-12-01", "--json")
    assert json.loads(by_nights.stdout) == json.loads(by_date.stdout)


def test_cli_refused_stay_exits_1():
    result = run("--check-in", "2026-05-01", "--nights", "7", "--booked", "2026-04-28", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["errors"][0]["rule"] == "release_days"


def test_cli_bad_file_exits_2_naming_file_entry_and_field(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(SPEC.read_text().replace("dbl = 120", 'dbl = "abc"'))
    result = CliRunner().invoke(
        app,
        [
            "quote",
            "--contracts",
            str(bad),
            "--rate-code",
            "TUI26",
            "--room",
            "DBL",
            "--board",
            "AI",
            "--adults",
            "2",
            "--check-in",
            "2026-05-01",
            "--nights",
            "7",
            "--booked",
            "2025-12-01",
            "--json",
        ],
    )
    assert result.exit_code == 2
    assert f'{bad}: contracts[1] (code "TUI26-S1"): prices.dbl: must be a number, got "abc"' in result.stderr
    assert result.stdout == ""


def test_cli_bad_date_exits_2():
    result = run("--check-in", "2026-05-32", "--nights", "7", "--booked", "2025-12-01", "--json")
    assert result.exit_code == 2
    assert "--check-in" in result.stderr and "Traceback" not in result.output


def test_cli_readable_table_shows_nights_totals_and_discounts():
    result = run("--check-in", "2026-05-01", "--nights", "7", "--booked", "2025-12-01", "--child-age", "8")
    assert result.exit_code == 0
    assert "Fri 2026-05-01" in result.stdout and "Total" in result.stdout
    assert "Applied: EB20" in result.stdout and "cancellation days 14" in result.stdout


def test_totals_read_by_name_or_key(spec_set):
    totals = ask(spec_set).totals
    assert totals.price == totals["price"] == 672
    assert totals.contract_price == 840 and totals.discount == 168
