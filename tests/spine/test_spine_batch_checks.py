"""A batch's checks read the hotel book once; they must say exactly what row-by-row queries say."""

from __future__ import annotations

import csv
import json
import random
from datetime import timedelta

from support.desk import TODAY, booking

from connectors.canonical import dumps_canonical, parse_canonical
from core.audit import Actor
from core.hotelbook import import_reservations
from core.ingest import Ingestor, recheck
from core.models import Content, RawMessage
from core.store import Store

SURNAMES = ["Yılmaz", "Kaya", "Schmidt", "Nowak", "Smith", "Ivanova"]


def book(desk, rnd: random.Random) -> list[tuple[int, int]]:
    """A busy stretch in the book: 40 stays of room STD (capacity 10), some holding tui vouchers.

    Returns the first eight stays (days ahead, nights): the ones holding vouchers V0..V7.
    """
    linked_stays = []
    path = desk.base_dir / "pms.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(
            [
                "number",
                "operator",
                "voucher",
                "room",
                "board",
                "check_in",
                "check_out",
                "adults",
                "children",
                "guest_names",
                "total",
                "currency",
                "status",
            ]
        )
        for n in range(40):
            ahead, nights = 30 + rnd.randrange(20), rnd.choice([3, 7, 10])
            start = TODAY + timedelta(days=ahead)
            linked = n < 8  # the first eight came by phone with a voucher that will arrive from tui too
            if linked:
                linked_stays.append((ahead, nights))
            out.writerow(
                [
                    f"PMS{n}",
                    "tui" if linked else "",
                    f"V{n}" if linked else "",
                    "STD",
                    "AI",
                    start.isoformat(),
                    (start + timedelta(days=nights)).isoformat(),
                    "2",
                    "",
                    f"{rnd.choice(SURNAMES)} Anna",
                    "",
                    "EUR",
                    "active",
                ]
            )
    with Store(desk.store_path) as store:
        import_reservations(store, path, Actor("tester"))
    return linked_stays


def test_batch_checks_match_row_by_row_checks(desk):
    rnd = random.Random(5)
    linked = book(desk, rnd)
    bookings = []
    for n in range(30):
        content = Content.CHANGE if n % 5 == 4 else Content.NEW
        # V0..V7 are in the book already: their own stay there must not count against them.
        ahead, nights = linked[n] if n < len(linked) else (25 + rnd.randrange(30), rnd.choice([2, 7, 14]))
        bookings.append(
            booking(
                f"V{n}",
                content,
                days_ahead=ahead,
                nights=nights,
                surname=rnd.choice(SURNAMES),
                rooms=rnd.choice([1, 1, 2]),
            )
        )
    raws = [RawMessage(dumps_canonical([b]), "tui", "test") for b in bookings]
    with Store(desk.store_path) as store:
        Ingestor(store, desk).ingest_many([(raw, lambda r: parse_canonical(r.body)) for raw in raws])
        at_ingest = {
            r["voucher"]: json.loads(r["checks"])
            for r in store.all("SELECT voucher, checks FROM operator_reservations")
        }
        recheck(store, desk)  # row by row, each check asking the store itself
        again = {
            r["voucher"]: json.loads(r["checks"])
            for r in store.all("SELECT voucher, checks FROM operator_reservations")
        }
    assert len(at_ingest) == 30
    for voucher in at_ingest:
        for name in ("voucher", "overbooking"):
            assert at_ingest[voucher][name] == again[voucher][name], (voucher, name)
    states = {(name, c[name]["state"]) for c in at_ingest.values() for name in ("voucher", "overbooking")}
    # The batch met every case: full nights, free nights, possible matches by surname, its own vouchers.
    assert {
        ("overbooking", "fail"),
        ("overbooking", "ok"),
        ("voucher", "warn"),
        ("voucher", "fail"),
        ("voucher", "ok"),
    } <= states
    assert any("possible match" in c["voucher"]["message"] for c in at_ingest.values())
    assert any(c["voucher"]["message"].startswith("matches PMS") for c in at_ingest.values())
