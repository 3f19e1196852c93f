"""ONLINE and WALKIN exist in every contracts file, priced from daily rates; the app's agencies screen lists
agencies with their rate codes and edits them, writing the contracts file with its comments kept."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Select

from core.audit import Actor
from core.config import Config
from core.desk import load_contracts_text
from core.pricing import ContractsError, QuoteRequest, load_contracts, quote
from core.pricing.agencies import AgencyEdit, AgencyEditError, apply_edit, parse_bands
from core.pricing.store import active_contracts
from core.store import Store

SPEC = Path(__file__).parent / "data" / "spec.toml"
ONLINE_RATES = """
[[daily_rates]]
rate_code = "ONLINE"
room_type = "DBL"
board = "AI"
from = "2026-05-01"
to = "2026-06-30"
prices = { sgl = 110, dbl = 150 }
children = { first = { older = 25 } }
"""


def test_online_and_walkin_exist_by_default_priced_from_daily_rates():
    cs = load_contracts(SPEC.read_text() + ONLINE_RATES, source="spec+online")
    assert cs.agencies["ONLINE"] == ("ONLINE",) and cs.agencies["WALKIN"] == ("WALKIN",)
    assert cs.rate_codes["ONLINE"].use_prices == cs.rate_codes["WALKIN"].use_prices == "daily"
    answer = quote(cs, QuoteRequest("", "DBL", "AI", date(2026, 5, 1), 2, 2, [8], date(2026, 4, 1), agency="ONLINE"))
    assert [n.contract_price for n in answer.nights] == [175, 175] and answer.contract == ""
    walkin = quote(cs, QuoteRequest("", "DBL", "AI", date(2026, 5, 1), 2, 2, [], date(2026, 4, 1), agency="WALKIN"))
    assert walkin.errors[0]["rule"] == "no_contract", "WALKIN has no daily rates in this file yet"


def test_a_file_may_define_its_own_online_rate_code():
    own = (
        SPEC.read_text() + '\n[[rate_codes]]\ncode = "ONLINE"\nuse_prices = "contract_daily"\nbase_rate_code = '
        '"WALKIN"\n'
    )
    cs = load_contracts(own, source="own")
    assert cs.rate_codes["ONLINE"].use_prices == "contract_daily" and cs.agencies["ONLINE"] == ("ONLINE",)


def test_apply_edit_keeps_comments_and_refuses_what_would_not_load():
    text = SPEC.read_text()
    edited = apply_edit(
        text,
        AgencyEdit("ONLINE", ["ONLINE"], "ONLINE", "daily", child_bands=parse_bands("baby 0-2.99, kid 3-11.99")),
        source="x",
    )
    for line in text.splitlines():
        assert line in edited.splitlines(), line
    cs = load_contracts(edited, source="x")
    assert [b.name for b in cs.rate_codes["ONLINE"].child_bands] == ["baby", "kid"]
    with pytest.raises(ContractsError, match="unknown rate code"):
        apply_edit(text, AgencyEdit("B2C", ["B2C"], "B2C", "contract_daily", base_rate_code="NOPE"), source="x")
    with pytest.raises(AgencyEditError, match="youngest first"):
        parse_bands("older 7-12.99, young 2-6.99")


@pytest.fixture
def hotel(tmp_path):
    contracts = tmp_path / "contracts.toml"
    contracts.write_text(SPEC.read_text())
    config = Config(
        path=tmp_path / "opdesk.toml",
        data={"store": {"path": str(tmp_path / "opdesk.db")}, "hotel": {"name": "Sunbeach"}},
    )
    store = Store(config.store_path, config.documents_dir)
    load_contracts_text(store, config, contracts.read_text(), source=str(contracts), actor="tester")
    store.close()
    return config, contracts


def rows(app) -> list[list[str]]:
    table = app.screen.query_one(DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_agencies_screen_lists_and_edits_writing_the_file(hotel):
    from tui.app import OpdeskApp

    config, contracts = hotel
    app = OpdeskApp(config, actor=Actor("night", "app"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g")
        await pilot.pause()
        assert rows(app) == [
            ["TUI", "TUI26", "contract", "infant 0-1.99, young 2-5.99, older 6-12.99"],
            ["ONLINE", "ONLINE", "daily", "infant 0-1.99, young 2-6.99, older 7-12.99"],
            ["WALKIN", "WALKIN", "daily", "infant 0-1.99, young 2-6.99, older 7-12.99"],
        ]
        await pilot.press("down", "e")
        await pilot.pause()
        app.screen.query_one("#agency-bands", Input).value = "baby 0-2.99, kid 3-11.99"
        await pilot.click("#agency-save")
        await pilot.pause()
        assert rows(app)[1] == ["ONLINE", "ONLINE", "daily", "baby 0-2.99, kid 3-11.99"]
        # a new agency on the walk-in rates, ten percent off
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one("#agency-code", Input).value = "STAFF"
        app.screen.query_one("#agency-rates", Input).value = "STAFF"
        app.screen.query_one("#agency-prices", Select).value = "contract_daily"
        app.screen.query_one("#agency-base", Input).value = "WALKIN"
        app.screen.query_one("#agency-adjust", Input).value = "-10"
        await pilot.click("#agency-save")
        await pilot.pause()
        assert [
            "STAFF",
            "STAFF",
            "contract_daily of WALKIN -10%",
            "infant 0-1.99, young 2-6.99, older 7-12.99",
        ] in rows(app)
        # a bad value is said in the dialog and nothing is written
        before = contracts.read_text()
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one("#agency-code", Input).value = "[/]bad"
        await pilot.click("#agency-save")
        await pilot.pause()
        assert "is not a code" in str(app.screen.query_one("#agency-error").render())
        await pilot.press("escape")
        assert contracts.read_text() == before
    text = contracts.read_text()
    assert "# the board the prices are for" in text and 'code = "STAFF"' in text
    cs = load_contracts(contracts)
    assert cs.rate_codes["STAFF"].base_rate_code == "WALKIN" and cs.rate_codes["STAFF"].adjust_percent == -10
    store = Store(config.store_path, config.documents_dir)
    try:
        set_id, loaded = active_contracts(store)
        assert set_id == 3 and [b.name for b in loaded.rate_codes["ONLINE"].child_bands] == ["baby", "kid"]
        assert loaded.agencies["STAFF"] == ("STAFF",)
    finally:
        store.close()


async def test_contracts_that_are_not_a_file_are_listed_but_not_edited(tmp_path):
    from core.pricing.store import activate_contracts
    from tui.app import OpdeskApp

    config = Config(path=tmp_path / "opdesk.toml", data={"store": {"path": str(tmp_path / "opdesk.db")}})
    store = Store(config.store_path, config.documents_dir)
    activate_contracts(store, SPEC.read_text(), source="demo contracts", actor=Actor("demo", "system"))
    store.close()
    app = OpdeskApp(config, actor=Actor("night", "app"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g")
        await pilot.pause()
        assert "not a file" in str(app.screen.query_one("#agencies-title").render())
        await pilot.press("e")
        await pilot.pause()
        assert not app.screen.query("#agency-bands")
