"""`opdesk contracts show` lists every price source: contracts and daily rates, with their v2 keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tui.cli import app

SPEC_V2 = Path(__file__).parent / "data" / "spec_v2.toml"
DAILY = """
[[rate_codes]]
code = "ONLINE"
use_prices = "daily"

[[rate_codes]]
code = "PARTNER"
use_prices = "contract_daily"
base_rate_code = "ONLINE"
adjust_percent = -10

[[daily_rates]]
rate_code = "ONLINE"
room_type = "DBL"
board = "BB"
from = "2026-07-01"
to = "2026-07-15"
prices = { sgl = 75, dbl = 105 }

[[daily_rates]]
rate_code = "ONLINE"
room_type = "DBL"
board = "BB"
from = "2026-07-16"
to = "2026-07-31"
prices = { sgl = 85, dbl = 125 }
"""


@pytest.fixture
def cli(tmp_path):
    cfg = tmp_path / "opdesk.toml"
    cfg.write_text(f'[store]\npath = "{tmp_path / "opdesk.db"}"\n')

    def run(*args: str):
        return CliRunner().invoke(app, ["--config", str(cfg), "--as", "tester", *args])

    contracts = tmp_path / "contracts.toml"
    contracts.write_text(SPEC_V2.read_text() + DAILY)
    assert run("contracts", "load", str(contracts)).exit_code == 0
    return run


def test_show_lists_daily_rates(cli):
    shown = json.loads(cli("contracts", "show", "--json").stdout)
    assert [(r["rate_code"], r["from"], r["to"], r["prices"]) for r in shown["daily_rates"]] == [
        ("ONLINE", "2026-07-01", "2026-07-15", "sgl 75 dbl 105"),
        ("ONLINE", "2026-07-16", "2026-07-31", "sgl 85 dbl 125"),
    ]
    table = cli("contracts", "show").stdout
    assert "Daily rates" in table and "2026-07-16" in table and "2026-07-31" in table and "125" in table


def test_show_of_a_contract_daily_rate_code_lists_its_base_rates(cli):
    shown = json.loads(cli("contracts", "show", "--rate-code", "PARTNER", "--json").stdout)
    assert shown["contracts"] == [] and len(shown["daily_rates"]) == 2
    assert json.loads(cli("contracts", "show", "--rate-code", "WEB", "--json").stdout)["daily_rates"] == []


def test_show_gives_the_v2_keys_of_contracts(cli):
    shown = json.loads(cli("contracts", "show", "--rate-code", "WEB", "--json").stdout)
    web_de = shown["contracts"][0]
    assert web_de["nationalities"] == ["AT", "DE"] and web_de["inactive"] is False
    assert web_de["sales_periods"][0] == {
        "from": "2026-01-01",
        "to": "2026-03-31",
        "rate_type": "NRF",
        "eb_percent": "10",
    }


HOSTILE = """
[[rate_codes]]
code = "R[/]"

[[contracts]]
code = "C[bold]X[/bold]"
rate_code = "R[/]"
room_types = ["D[/]"]
board = "B[/]"
stay = ["2026-06-01", "2026-06-30"]
  [contracts.prices]
  dbl = 100
  [contracts.rules]
  min_stay = 5
"""


def test_codes_from_the_file_are_shown_as_text(tmp_path):
    path = tmp_path / "hostile.toml"
    path.write_text(HOSTILE)
    cfg = tmp_path / "opdesk.toml"
    cfg.write_text(f'[store]\npath = "{tmp_path / "opdesk.db"}"\n')

    def run(*args: str):
        return CliRunner().invoke(app, ["--config", str(cfg), *args])

    assert run("contracts", "load", str(path)).exit_code == 0
    assert "C[bold]X[/bold]" in run("contracts", "show").stdout
    refused = run(
        "quote",
        "--rate-code",
        "R[/]",
        "--room",
        "D[/]",
        "--board",
        "B[/]",
        "--adults",
        "2",
        "--check-in",
        "2026-06-01",
        "--nights",
        "2",
        "--booked",
        "2026-01-01",
    )
    assert refused.exit_code == 1 and "C[bold]X[/bold] needs at least 5 nights" in refused.stdout
