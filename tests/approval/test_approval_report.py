"""Operator report and daily trend, checked against a small hand-counted set of messages."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from approval.helpers import add_booking, cli, write_config

from core.models import Content, OperatorBooking
from core.report import daily_trend, operator_report

START, END = date(2025, 3, 1), date(2025, 3, 3)


def _booking(voucher, content, check_in, nights, rooms, total, currency="EUR", sale=None) -> OperatorBooking:
    first = date.fromisoformat(check_in)
    return OperatorBooking(
        voucher=voucher,
        content=content,
        agency="A",
        check_in=first,
        check_out=date.fromordinal(first.toordinal() + nights),
        rooms=rooms,
        adults=2,
        room="DZ",
        board="AI",
        rate="R",
        total=Decimal(total),
        currency=currency,
        sale_date=date.fromisoformat(sale) if sale else None,
    )


# (operator, booking, arrived, price check state, status, decided at)
MESSAGES = [
    (
        "tui",
        _booking("V1", Content.NEW, "2025-04-01", 7, 1, "700", sale="2025-03-01"),
        "2025-03-01T08:00:00+00:00",
        "mismatch",
        "pending",
        None,
    ),
    (
        "tui",
        _booking("V1", Content.CHANGE, "2025-04-01", 7, 2, "800", sale="2025-03-01"),
        "2025-03-02T08:00:00+00:00",
        "ok",
        "confirmed",
        "2025-03-02T09:00:00+00:00",
    ),
    # Arrived 10:00 in Istanbul: 07:00 UTC. No sale date: lead time counts from arrival.
    (
        "tui",
        _booking("V2", Content.NEW, "2025-03-12", 3, 1, "300"),
        "2025-03-02T10:00:00+03:00",
        "ok",
        "confirmed",
        "2025-03-02T07:30:00+00:00",
    ),
    (
        "tui",
        _booking("V2", Content.CANCEL, "2025-03-12", 3, 1, "0"),
        "2025-03-03T12:00:00+00:00",
        "skipped",
        "pending",
        None,
    ),
    # 23:30 at UTC-2 is 01:30 UTC on the 4th: outside the period.
    (
        "tui",
        _booking("V3", Content.NEW, "2025-05-01", 5, 1, "500"),
        "2025-03-03T23:30:00-02:00",
        "ok",
        "confirmed",
        "2025-03-04T02:00:00+00:00",
    ),
    (
        "tui",
        _booking("V4", Content.NEW, "2025-03-23", 2, 1, "200", sale="2025-03-01"),
        "2025-03-03T05:00:00+00:00",
        "no contract",
        "rejected",
        "2025-03-03T06:00:00+00:00",
    ),
    (
        "jet2",
        _booking("J1", Content.NEW, "2025-03-11", 4, 1, "400", "GBP", sale="2025-03-01"),
        "2025-03-01T12:00:00+00:00",
        "ok",
        "confirmed",
        "2025-03-01T14:00:00+00:00",
    ),
]


@pytest.fixture
def history(config, store):
    for operator, b, arrived, price_state, status, decided in MESSAGES:
        rid = add_booking(store, config, b, operator=operator, received_at=datetime.fromisoformat(arrived))
        store.conn.execute(
            "UPDATE operator_reservations SET checks = json_set(checks, '$.price.state', ?), "
            "status = ?, decided_at = ? WHERE id = ?",
            (price_state, status, decided, rid),
        )
    return config, store


EXPECTED = [
    {
        "operator": "jet2",
        "new": 1,
        "changes": 0,
        "cancellations": 0,
        "vouchers": 1,
        "room_nights": 4,
        "revenue": {"GBP": "400.00"},
        "lead_time_days": 10.0,
        "cancellation_rate": 0.0,
        "price_mismatch_rate": 0.0,
        "median_confirm_minutes": 120.0,
    },
    # V1 v2 (2 rooms x 7) counts; V2 ends cancelled, V4 was rejected. Revenue: V1's confirmed change 800 and
    # V2's confirmed new 300 (its cancellation is not confirmed yet). Lead: 31, 10, 22. Compared prices:
    # V1 v1 mismatch, V1 v2 ok, V2 ok (V4 had no contract). Confirm minutes: 60 and 30.
    {
        "operator": "tui",
        "new": 3,
        "changes": 1,
        "cancellations": 1,
        "vouchers": 3,
        "room_nights": 14,
        "revenue": {"EUR": "1100.00"},
        "lead_time_days": 21.0,
        "cancellation_rate": 33.3,
        "price_mismatch_rate": 33.3,
        "median_confirm_minutes": 45.0,
    },
]


def test_operator_figures_match_the_hand_count(history):
    _, store = history
    assert operator_report(store, START, END) == EXPECTED
    assert operator_report(store, START, END, "jet2") == EXPECTED[:1]


def test_the_period_is_by_utc_day_of_arrival(history):
    _, store = history
    fourth = operator_report(store, date(2025, 3, 4), date(2025, 3, 4))
    assert [(r["operator"], r["new"], r["room_nights"]) for r in fourth] == [("tui", 1, 5)]
    assert operator_report(store, date(2025, 2, 1), date(2025, 2, 28)) == []


def test_daily_trend_has_every_day_of_the_period(history):
    _, store = history
    assert daily_trend(store, START, END) == [
        {"date": "2025-03-01", "new": 2, "changes": 0, "cancellations": 0, "confirmed": 1},
        {"date": "2025-03-02", "new": 1, "changes": 1, "cancellations": 0, "confirmed": 2},
        {"date": "2025-03-03", "new": 1, "changes": 0, "cancellations": 1, "confirmed": 0},
    ]
    assert [d["new"] for d in daily_trend(store, START, END, "jet2")] == [1, 0, 0]


def test_report_command_json_csv_and_table(history, tmp_path):
    config, _ = history
    write_config(config)
    out = cli(config, "report", "--from", "2025-03-01", "--to", "2025-03-03", "--json")
    assert out.exit_code == 0, out.output
    shown = json.loads(out.output)
    assert shown["operators"] == EXPECTED and len(shown["trend"]) == 3

    table = cli(config, "report", "--from", "2025-03-01", "--to", "2025-03-03", "--csv", str(tmp_path / "r.csv"))
    assert table.exit_code == 0 and "1100.00 EUR" in table.output
    rows = list(csv.DictReader((tmp_path / "r.csv").open()))
    assert [(r["operator"], r["room_nights"], r["median_confirm_minutes"]) for r in rows] == [
        ("jet2", "4", "120.0"),
        ("tui", "14", "45.0"),
    ]

    bad = cli(config, "report", "--from", "2025-03-05", "--to", "2025-03-01")
    assert bad.exit_code == 2 and "is after --to" in bad.output
