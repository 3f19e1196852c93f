"""A small desk for the app's tests, built through the real ingest pipeline.

Times are fixed (messages received, rows created) so screens and snapshots do
not depend on the clock. The contract price check belongs to the pricing
area; here it is replaced by one that passes, so that "clean" rows exist
without loading contracts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.config import Config
from core.ingest import Ingestor
from core.models import (
    CheckState,
    Content,
    Guest,
    NightPrice,
    OperatorBooking,
    RawMessage,
    UnparsedMessage,
)
from core.stay import CheckOutcome
from core.store import Store

RECEIVED = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
CREATED = datetime(2026, 3, 2, 9, 31, tzinfo=timezone.utc)
ROOMS = (("SGL", 10), ("STD", 80), ("SV", 40), ("FAM", 30), ("SUI", 12), ("VIL", 4))

# voucher, operator, room, board, check-in, nights, guests, child ages
BOOKINGS = (
    ("TUI1001", "tui", "STD", "AI", "2026-07-01", 7, [("Smith", "John"), ("Smith", "Mary")], [8, 4]),
    ("TUI1002", "tui", "SV", "HB", "2026-07-03", 5, [("Müller", "Anna")], []),
    ("TUI1003", "tui", "DZX9", "AI", "2026-07-05", 4, [("Ivanov", "Petr"), ("Ivanova", "Olga")], []),
    ("JET2001", "jet2", "STD", "AI", "2026-07-02", 3, [("Kowalski", "Jan")], []),
    ("JET2002", "jet2", "FAM", "AI", "2026-07-10", 10, [("Yilmaz", "Ayse"), ("Yilmaz", "Can")], [1]),
)
RATES = {"tui": "TUI26", "jet2": "JET26"}


@dataclass
class RecordingReplier:
    """Stands in for the operator: records every answer it is asked to send."""

    sent: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, action: str, reservation: dict[str, Any], *, hotel_number: str, reason: str) -> str:
        self.sent.append(
            {"action": action, "voucher": reservation["voucher"], "hotel_number": hotel_number, "reason": reason}
        )
        return "sent"


@dataclass
class Desk:
    config: Config
    store: Store
    replier: RecordingReplier

    def app(self, **kwargs: Any):
        from core.audit import Actor
        from tui.app import OpdeskApp

        return OpdeskApp(self.config, replier_factory=lambda store: self.replier, actor=Actor("night", "app"), **kwargs)

    def row(self, voucher: str) -> dict[str, Any]:
        return self.store.one("SELECT * FROM operator_reservations WHERE voucher = ? AND is_latest = 1", (voucher,))

    def id_of(self, voucher: str) -> int:
        return int(self.row(voucher)["id"])


def _booking(
    voucher: str,
    operator: str,
    room: str,
    board: str,
    check_in: str,
    nights: int,
    guests: list[tuple[str, str]],
    ages: list[int],
    content: Content = Content.NEW,
) -> OperatorBooking:
    start = date.fromisoformat(check_in)
    return OperatorBooking(
        voucher=voucher,
        content=content,
        agency=operator.upper(),
        check_in=start,
        check_out=start + timedelta(days=nights),
        adults=2 if len(guests) > 1 else 1,
        child_ages=ages,
        room=room,
        board=board,
        rate=RATES[operator],
        market="UK",
        nationality="GB",
        guests=[Guest(first_name=first, last_name=last) for last, first in guests],
        total=Decimal("100.00") * nights,
        currency="EUR",
        night_prices=[NightPrice(start + timedelta(days=i), Decimal("100.00")) for i in range(nights)],
        sale_date=date(2026, 2, 20),
        notes="late arrival" if voucher.endswith("1") else "",
        source="B2B",
        segment="package",
    )


def parse_json(raw: RawMessage) -> list[OperatorBooking]:
    if not raw.body.startswith(b"{"):
        raise UnparsedMessage("no parser reads this mail", raw.body.decode())
    data = json.loads(raw.body)
    return [
        _booking(
            data["voucher"],
            raw.operator,
            data["room"],
            data["board"],
            data["check_in"],
            data["nights"],
            [tuple(g) for g in data["guests"]],
            data["ages"],
            Content(data.get("content", "new")),
        )
    ]


def message(
    voucher: str,
    operator: str,
    room: str,
    board: str,
    check_in: str,
    nights: int,
    guests: list[tuple[str, str]],
    ages: list[int],
    content: str = "new",
) -> RawMessage:
    body = json.dumps(
        {
            "voucher": voucher,
            "room": room,
            "board": board,
            "check_in": check_in,
            "nights": nights,
            "guests": guests,
            "ages": ages,
            "content": content,
        }
    ).encode()
    return RawMessage(
        body, operator, "folder", received_at=RECEIVED, source_ref=f"in/{voucher}.json", filename=f"{voucher}.json"
    )


def _seed_codes(store: Store) -> None:
    with store.transaction() as c:
        c.executemany(
            "INSERT INTO room_types(code, name, capacity) VALUES (?, ?, ?)",
            [(code, f"{code} room", cap) for code, cap in ROOMS],
        )
        for board in ("BB", "HB", "FB", "AI", "UAI"):
            c.execute("INSERT INTO hotel_codes(kind, code, name) VALUES ('board', ?, ?)", (board, board))
        for operator, rate in RATES.items():
            c.execute("INSERT INTO hotel_codes(kind, code, name) VALUES ('rate', ?, ?)", (rate, rate))
            rows = (
                [("room", r, r) for r in ("STD", "SV", "FAM")]
                + [("board", b, b) for b in ("AI", "HB")]
                + [("rate", rate, rate), ("market", "UK", "UK"), ("agency", operator.upper(), operator.upper())]
            )
            c.executemany(
                "INSERT INTO mappings(operator, kind, code, hotel_code, updated_at) "
                "VALUES (?, ?, ?, ?, '2026-01-01T00:00:00+00:00')",
                [(operator, *r) for r in rows],
            )


def _fix_times(store: Store) -> None:
    with store.transaction() as c:
        for i, (rid,) in enumerate(c.execute("SELECT id FROM operator_reservations ORDER BY id").fetchall()):
            stamp = (CREATED + timedelta(minutes=i)).isoformat(timespec="seconds")
            c.execute("UPDATE operator_reservations SET created_at = ? WHERE id = ?", (stamp, rid))


@pytest.fixture
def passing_price(monkeypatch: pytest.MonkeyPatch) -> None:
    import core.checks
    import core.clock
    import core.pricing.check as price_check

    # The desk's stays are in July 2026, sold in February: checked as on the day the messages arrived.
    monkeypatch.setattr(core.clock, "now", lambda: RECEIVED)

    def passing(facts, ctx):
        return CheckOutcome(CheckState.OK, "matches the contract")

    monkeypatch.setattr(price_check, "check_price", passing)
    monkeypatch.setattr(core.checks, "check_price", passing)  # the name core.checks imported


def desk_config(tmp_path: Path) -> Config:
    return Config(
        path=tmp_path / "opdesk.toml",
        data={
            "store": {"path": str(tmp_path / "opdesk.db")},
            "hotel": {"name": "Sunbeach Resort Side", "timezone": "Europe/Istanbul", "currency": "EUR"},
            "operators": [
                {"name": "tui", "kind": "folder", "title": "TUI"},
                {"name": "jet2", "kind": "folder", "title": "Jet2holidays"},
            ],
        },
    )


@pytest.fixture
def desk(tmp_path: Path, passing_price: None) -> Desk:
    config = desk_config(tmp_path)
    store = Store(config.store_path, config.documents_dir)
    _seed_codes(store)
    ingestor = Ingestor(store, config)
    ingestor.ingest_many([(message(*b), parse_json) for b in BOOKINGS])
    # A change: the Yilmaz family stays two nights less.
    ingestor.ingest(
        message(
            "JET2002", "jet2", "FAM", "AI", "2026-07-10", 8, [("Yilmaz", "Ayse"), ("Yilmaz", "Can")], [1], "change"
        ),
        parse_json,
    )
    unread = RawMessage(
        b"Dear hotel, please hold two rooms for the Brown family in August.",
        "tui",
        "mail",
        received_at=RECEIVED,
        source_ref="imap:42",
        filename="Re: rooms in August",
    )
    ingestor.ingest(unread, parse_json)
    _fix_times(store)
    with store.transaction() as c:
        c.execute(
            "INSERT INTO scan_runs(operator, started_at, finished_at, state, total, new, changed, errors) "
            "VALUES ('tui', '2026-03-02T09:30:00+00:00', '2026-03-02T09:30:04+00:00', 'ok', 4, 3, 0, 1)"
        )
    yield Desk(config, store, RecordingReplier())
    store.close()


@pytest.fixture
def big_desk(tmp_path: Path, passing_price: None) -> Desk:
    """More than four pages of pending rows (the inbox pages by 100)."""
    config = desk_config(tmp_path)
    store = Store(config.store_path, config.documents_dir)
    _seed_codes(store)
    items = [
        (message(f"TUI{5000 + i}", "tui", "STD", "AI", "2026-08-01", 3, [(f"Guest{i:03d}", "Ann")], []), parse_json)
        for i in range(450)
    ]
    Ingestor(store, config).ingest_many(items)
    _fix_times(store)
    yield Desk(config, store, RecordingReplier())
    store.close()


async def settle(pilot: Any, rounds: int = 3) -> None:
    """Let workers finish and their messages land."""
    from textual.worker import WorkerCancelled

    for _ in range(rounds):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:
            pass  # a newer search replaced an older one: expected
        await pilot.pause()


def table_vouchers(app: Any) -> list[str]:
    from tui.widgets.inbox_table import InboxTable

    table = app.screen.query_one(InboxTable)
    return [table.rows_by_id[i]["voucher"] for i in table.page_ids]


@pytest.fixture(name="settle")
def settle_fixture():
    return settle


@pytest.fixture(name="vouchers")
def vouchers_fixture():
    return table_vouchers
