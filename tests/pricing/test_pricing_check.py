"""The price check at ingest, with a real store: no contract, ok, mismatch, refused, warn; loading
contracts re-checks pending rows; promotion uses are counted from the store."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from core.desk import load_contracts_text
from core.ingest import Ingestor
from core.mapping import set_mapping
from core.models import CheckState, Content, NightPrice, OperatorBooking, RawMessage
from core.pricing import ContractsError
from core.pricing.check import check_price
from core.pricing.store import active_contracts, promo_uses
from core.stay import CheckContext, StayFacts

SPEC = Path(__file__).parent / "data" / "spec.toml"
# Example 1 of the spec: 672.00 after EB20.


def booking(voucher: str = "V1", total: str | None = "672.00", **changes) -> OperatorBooking:
    values = dict(
        voucher=voucher,
        check_in=date(2026, 5, 1),
        check_out=date(2026, 5, 8),
        adults=2,
        room="DZ",
        board="AL",
        rate="T",
        currency="EUR",
        sale_date=date(2025, 12, 1),
        total=Decimal(total) if total is not None else None,
    )
    values.update(changes)
    return OperatorBooking(**values)


def ingest(store, config, *bookings: OperatorBooking) -> list[dict]:
    ingestor = Ingestor(store, config)
    ids = []
    for n, b in enumerate(bookings):
        raw = RawMessage(
            body=f"{b.voucher}-{n}-{b.total}-{b.adults}-{b.promo_code}".encode(),
            operator="tui",
            channel="folder",
            received_at=datetime(2025, 12, 1, tzinfo=timezone.utc),
        )
        ids += ingestor.ingest(raw, lambda _raw, b=b: [b]).reservation_ids
    return [price_of(store, rid) for rid in ids]


def price_of(store, rid: int) -> dict:
    row = store.one("SELECT checks, price_table FROM operator_reservations WHERE id = ?", (rid,))
    return {**json.loads(row["checks"])["price"], "table": json.loads(row["price_table"])}


@pytest.fixture
def mapped(store):
    for kind, code, hotel in (("room", "DZ", "DBL"), ("board", "AL", "AI"), ("rate", "T", "TUI26")):
        set_mapping(store, "tui", kind, code, hotel)
    return store


def load_spec(store, config, text: str | None = None):
    return load_contracts_text(store, config, text or SPEC.read_text(), source=str(SPEC), actor="tester")


def test_no_contracts_loaded_is_no_contract_never_ok(mapped, config):
    [price] = ingest(mapped, config, booking())
    assert price["state"] == CheckState.NO_CONTRACT


def test_exact_price_is_ok_with_the_night_table(mapped, config):
    load_spec(mapped, config)
    [price] = ingest(mapped, config, booking(night_prices=[NightPrice(date(2026, 5, 1), Decimal("96.00"))]))
    assert price["state"] == CheckState.OK
    table = price["table"]
    assert table["contract_total"] == "672.00" and table["operator_total"] == "672.00"
    assert table["difference"] == "0.00" and table["currency"] == "EUR" and table["applied"] == ["EB20"]
    assert table["nights"][0] == {
        "date": "2026-05-01",
        "contract_price": "120.00",
        "discount": "24.00",
        "price": "96.00",
        "operator_price": "96.00",
    }
    assert "operator_price" not in table["nights"][1]


def test_within_default_tolerance_is_ok_beyond_is_mismatch(mapped, config):
    load_spec(mapped, config)
    # tolerance: the larger of 1% of 672 (6.72) and 1.00
    near, far = ingest(mapped, config, booking("V1", "678.72"), booking("V2", "678.73"))
    assert near["state"] == CheckState.OK
    assert far["state"] == CheckState.MISMATCH and far["table"]["difference"] == "6.73"
    assert "+6.73" in far["message"]


def test_tolerance_from_config(mapped, config):
    config.data["pricing"] = {"tolerance_percent": 0, "tolerance_amount": 0.5}
    load_spec(mapped, config)
    ok, off = ingest(mapped, config, booking("V1", "672.50"), booking("V2", "671.49"))
    assert ok["state"] == CheckState.OK and off["state"] == CheckState.MISMATCH


def test_refused_stay_names_the_rule(mapped, config):
    load_spec(mapped, config)
    [price] = ingest(mapped, config, booking(sale_date=date(2026, 4, 28)))
    assert price["state"] == CheckState.REFUSED
    assert price["table"]["rule"] == "release_days" and "release_days" in price["message"]


def test_stay_outside_contracts_is_no_contract(mapped, config):
    load_spec(mapped, config)
    [price] = ingest(mapped, config, booking(check_in=date(2026, 9, 4), check_out=date(2026, 9, 11)))
    assert price["state"] == CheckState.NO_CONTRACT


def test_no_operator_price_is_a_warning(mapped, config):
    load_spec(mapped, config)
    [price] = ingest(mapped, config, booking(total=None))
    assert price["state"] == CheckState.WARN and price["message"] == "operator sent no price"
    assert price["table"]["contract_total"] == "672.00"


def test_several_rooms_compare_with_the_quote_times_rooms(mapped, config):
    load_spec(mapped, config)
    [price] = ingest(mapped, config, booking(total="1344.00", rooms=2))
    assert price["state"] == CheckState.OK and price["table"]["contract_total"] == "1344.00"


def test_other_currency_is_a_mismatch(mapped, config):
    load_spec(mapped, config)
    [price] = ingest(mapped, config, booking(currency="GBP"))
    assert price["state"] == CheckState.MISMATCH and "GBP" in price["message"]


def test_loading_contracts_rechecks_pending_rows(mapped, config):
    [before] = ingest(mapped, config, booking())
    assert before["state"] == CheckState.NO_CONTRACT
    loaded = load_spec(mapped, config)
    assert loaded.rechecked == 1
    rid = mapped.scalar("SELECT id FROM operator_reservations")
    assert price_of(mapped, rid)["state"] == CheckState.OK
    cheaper = SPEC.read_text().replace("dbl = 120", "dbl = 110")
    load_spec(mapped, config, cheaper)
    assert price_of(mapped, rid)["state"] == CheckState.MISMATCH


def test_load_replaces_the_active_set_atomically_and_keeps_history(mapped, config):
    first = load_spec(mapped, config)
    second = load_spec(mapped, config)
    rows = mapped.all("SELECT id, active FROM contract_sets ORDER BY id")
    assert rows == [{"id": first.set_id, "active": 0}, {"id": second.set_id, "active": 1}]
    assert mapped.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'contracts.load'") == 2


def test_broken_file_changes_nothing(mapped, config):
    good = load_spec(mapped, config)
    with pytest.raises(ContractsError):
        load_spec(mapped, config, SPEC.read_text().replace("dbl = 120", 'dbl = "x"'))
    assert mapped.all("SELECT id, active FROM contract_sets") == [{"id": good.set_id, "active": 1}]


def test_parsed_set_is_cached_by_its_id(mapped, config):
    load_spec(mapped, config)
    cache: dict = {}
    first = active_contracts(mapped, cache)
    assert active_contracts(mapped, cache)[1] is first[1]
    load_spec(mapped, config)
    assert active_contracts(mapped, cache)[0] == first[0], "within one batch the active set stays put"
    assert active_contracts(mapped, {})[0] != first[0], "the next batch sees the new set"


def test_promotion_uses_are_counted_from_the_store(mapped, config):
    text = (
        SPEC.read_text()
        .replace("max_uses = 100", "max_uses = 2")
        .replace('sales = ["2026-01-01", "2026-04-30"]', 'sales = ["2025-01-01", "2026-04-30"]')
    )
    load_spec(mapped, config, text)
    # SPRING5 5% on nights outside 05-15..05-20 of 672: 7 nights x 96 -> 91.20 a night = 638.40
    a, b, c = ingest(mapped, config, *(booking(f"P{i}", "638.40", promo_code="SPRING5") for i in range(3)))
    assert a["state"] == b["state"] == CheckState.OK
    assert c["state"] == CheckState.MISMATCH
    assert {"code": "SPRING5", "reason": "max_uses"} in c["table"]["refused"]
    assert promo_uses(mapped, "SPRING5") == 3
    mapped.conn.execute("UPDATE operator_reservations SET status = 'rejected' WHERE voucher = 'P0'")
    assert promo_uses(mapped, "SPRING5") == 2
    assert promo_uses(mapped, "SPRING5", operator="tui", voucher="P1") == 1


def test_check_price_skips_without_stay_dates(store, config):
    facts = StayFacts(
        operator="tui",
        voucher="X",
        content=Content.NEW,
        hotel_room="DBL",
        hotel_board="AI",
        hotel_rate="TUI26",
        hotel_market=None,
        hotel_agency=None,
        check_in=None,
        check_out=None,
        rooms=1,
        adults=2,
        child_ages=[],
        sale_date=None,
        total=None,
        currency="EUR",
    )
    assert check_price(facts, CheckContext(store, config)).state == CheckState.SKIPPED


def test_activate_contracts_records_who_loaded_them(store):
    from core.audit import Actor
    from core.pricing.store import activate_contracts

    set_id = activate_contracts(store, SPEC.read_text(), source="demo contracts", actor=Actor("demo", "system"))
    assert store.one("SELECT loaded_by, source_path, active FROM contract_sets WHERE id = ?", (set_id,)) == {
        "loaded_by": "demo",
        "source_path": "demo contracts",
        "active": 1,
    }
    audit = store.one("SELECT actor, origin, action FROM audit_log")
    assert audit == {"actor": "demo", "origin": "system", "action": "contracts.load"}
