"""A chain's years of bookings, written in bulk: for ``opdesk demo --rows N`` and bench/scale.py.

Real bookings reach a store one message at a time through ``core.ingest``; a store of a
million rows built that way takes an hour. This fills one in a minute or two with rows of the
same shape (raw message, versions, guests, search text; tab counts and the trigram index are
kept by the schema's triggers as the rows go in), so anyone can feel what a big store is like.

The mix: 25 operators of different sizes; about one voucher in four has a change and one in
ten is cancelled later, each version its own row; guests with British, German, Dutch, Polish,
Turkish and Russian names, some operators sending them in capitals, Russian ones partly in
Cyrillic; rows of the last two weeks mostly pending, older ones decided. The rows arrive at
about ``ROWS_PER_DAY`` a day, as at a chain's central office of ten resorts, so a bigger store
holds more years, not busier days. Everything comes from a seed: the same arguments make
the same store.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from operator import itemgetter
from typing import Any

import orjson

from core.kept import COUNT_KEY, add_search, count_added
from core.store import Store, dumps, insert_rows

ROWS_PER_DAY = 550
"""Rows a chain of ten 500-room resorts takes in a day (20,000 bookings a year each, with their versions)."""

BATCH = 5_000
"""Rows written per statement batch and transaction: large enough to be fast, small enough to stay in memory."""

PENDING_DAYS = 14
"""Rows younger than this are mostly still pending; older ones were decided."""

# name, agency, share (how many of every 100 rows), capital-letter names, markets.
OPERATORS: tuple[tuple[str, str, int, bool, tuple[str, ...]], ...] = (
    ("tui", "TUI", 14, False, ("UK", "DE", "NL")),
    ("jet2", "JET2", 9, False, ("UK",)),
    ("pegas", "PEGAS", 8, True, ("RU", "PL")),
    ("anex", "ANEX", 8, True, ("RU", "PL", "TR")),
    ("hotelbeds", "HBEDS", 6, True, ("DE", "UK", "NL", "PL")),
    ("ets", "ETS", 6, False, ("TR",)),
    ("coral", "CORAL", 4, False, ("RU",)),
    ("fti", "FTI", 4, False, ("DE",)),
    ("dertour", "DER", 4, False, ("DE",)),
    ("alltours", "ALLT", 3, False, ("DE", "NL")),
    ("schauinsland", "SLR", 3, False, ("DE",)),
    ("itaka", "ITAKA", 3, False, ("PL",)),
    ("rainbow", "RNBW", 3, False, ("PL",)),
    ("webbeds", "WEBB", 3, True, ("UK", "DE", "RU")),
    ("w2m", "W2M", 2, True, ("UK", "NL")),
    ("sunexpress", "SUNX", 2, False, ("TR", "DE")),
    ("odeon", "ODEON", 2, False, ("TR",)),
    ("joinup", "JOIN", 2, True, ("RU", "TR")),
    ("intourist", "INTR", 2, False, ("RU",)),
    ("onthebeach", "OTB", 2, False, ("UK",)),
    ("loveholidays", "LOVE", 2, False, ("UK",)),
    ("corendon", "CORN", 2, False, ("NL", "TR")),
    ("sunweb", "SUNW", 2, False, ("NL",)),
    ("setur", "SETUR", 2, False, ("TR",)),
    ("jolly", "JOLLY", 2, False, ("TR",)),
)

NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "UK": (
        ("Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Emily", "Charlie", "Sophie"),
        ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Wright", "O'Brien"),
    ),
    "DE": (
        ("Lukas", "Anna", "Maximilian", "Lea", "Jonas", "Hannah", "Jürgen", "Käthe", "Felix", "Marie"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Schäfer", "Größer", "Koch", "Becker"),
    ),
    "NL": (
        ("Daan", "Emma", "Sem", "Julia", "Lucas", "Tess"),
        ("de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser"),
    ),
    "RU": (
        ("Александр", "Мария", "Дмитрий", "Анна", "Сергей", "Елена", "Иван", "Ольга", "Alexey", "Natalia"),
        ("Иванов", "Смирнова", "Кузнецов", "Попова", "Соколов", "Лебедева", "Petrov", "Volkova", "Ivanova", "Щукин"),
    ),
    "PL": (
        ("Jakub", "Zuzanna", "Łukasz", "Małgorzata", "Paweł", "Agnieszka", "Wojciech", "Joanna"),
        ("Nowak", "Kowalski", "Wiśniewska", "Wójcik", "Kamiński", "Lewandowska", "Zieliński", "Szymańska"),
    ),
    "TR": (
        ("Mehmet", "Ayşe", "Mustafa", "Fatma", "Ahmet", "Zeynep", "Emre", "Elif", "Çağrı", "Gülşen"),
        ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Öztürk", "Aydın", "Arslan", "Doğan"),
    ),
}
NATIONALITY = {"UK": "GB", "DE": "DE", "NL": "NL", "RU": "RU", "PL": "PL", "TR": "TR"}
ROOMS = (("STD", 50), ("SV", 22), ("FAM", 14), ("SGL", 6), ("SUI", 6), ("VIL", 2))
BOARDS = ("AI", "AI", "AI", "UAI", "HB", "BB", "FB")
NIGHTS = (3, 4, 5, 7, 7, 7, 10, 11, 14)
CHECKS = {name: {"state": "ok", "message": ""} for name in ("price", "stop_sale", "voucher", "release", "overbooking")}
PRICE_OFF = {**CHECKS, "price": {"state": "mismatch", "message": "operator price 8% under the contract"}}

RESERVATION_COLUMNS = (
    "id",
    "raw_id",
    "operator",
    "voucher",
    "version",
    "is_latest",
    "content",
    "status",
    "flags",
    "agency",
    "check_in",
    "check_out",
    "nights",
    "rooms",
    "adults",
    "child_ages",
    "room",
    "board",
    "rate",
    "market",
    "nationality",
    "hotel_room",
    "hotel_board",
    "hotel_rate",
    "hotel_market",
    "hotel_agency",
    "guest_names",
    "total_minor",
    "currency",
    "sale_date",
    "created_at",
    "fingerprint",
    "checks",
    "clean",
    "decided_at",
    "decided_by",
    "reject_reason",
)
RAW_COLUMNS = (
    "id",
    "sha256",
    "operator",
    "channel",
    "received_at",
    "stored_at",
    "size",
    "body",
    "parse_state",
    "parsed_at",
    "attempts",
)
_count_key_of = itemgetter(*(RESERVATION_COLUMNS.index(name) for name in COUNT_KEY))  # a row's, as a tuple
GUEST_COLUMNS = ("reservation_id", "position", "first_name", "last_name", "age", "nationality")


@dataclass
class _Batch:
    raws: list[tuple[Any, ...]]
    reservations: list[tuple[Any, ...]]
    guests: list[tuple[Any, ...]]
    search: list[tuple[int, str, str]]  # id, voucher, guest names


def fill(store: Store, rows: int, *, today: date, seed: int = 18, progress: Callable[[int], None] | None = None) -> int:
    """Add ``rows`` operator reservations (every version a row) ending ``today``; returns how many were added.

    The rows take ids after those already stored, so a demo hotel's own bookings stay as they are.
    """
    if rows <= 0:
        return 0
    first_id = int(store.scalar("SELECT COALESCE(MAX(id), 0) FROM operator_reservations")) + 1
    first_raw = int(store.scalar("SELECT COALESCE(MAX(id), 0) FROM raw_messages")) + 1
    written = 0
    for batch in _batches(rows, today, seed, first_id, first_raw):
        with store.transaction() as c:
            insert_rows(c, _into("raw_messages", RAW_COLUMNS), batch.raws)
            insert_rows(c, _into("operator_reservations", RESERVATION_COLUMNS), batch.reservations)
            insert_rows(c, _into("guests", GUEST_COLUMNS), batch.guests)
            add_search(c, batch.search)
            count_added(c, [_count_key_of(row) for row in batch.reservations])
        written += len(batch.reservations)
        if progress is not None:
            progress(written)
    store.conn.execute("ANALYZE")  # the planner's figures were those of a much smaller store
    return written


def span_days(rows: int) -> int:
    """Over how many days ``rows`` arrive: ``ROWS_PER_DAY`` a day, and two months at least."""
    return max(60, -(-rows // ROWS_PER_DAY))


def reservation_count(store: Store) -> int:
    """How many operator reservations (every version a row) the store holds."""
    return int(store.scalar("SELECT COUNT(*) FROM operator_reservations"))


def _into(table: str, columns: tuple[str, ...]) -> str:
    """The head of ``insert_rows``' statements for these columns, as ingest writes its rows."""
    return f"INSERT INTO {table}({', '.join(columns)})"


def _batches(rows: int, today: date, seed: int, first_id: int, first_raw: int) -> Iterator[_Batch]:
    rnd = random.Random(seed)
    end = datetime.combine(today, time(8), tzinfo=timezone.utc)
    span = timedelta(days=span_days(rows))
    step = span / rows
    operators = [op for op in OPERATORS for _ in range(op[2])]
    batch = _Batch([], [], [], [])
    made, serial = 0, first_id  # vouchers numbered after any earlier bulk history's
    while made < rows:
        arrived = end - span + step * made
        op = rnd.choice(operators)
        serial += 1
        versions = min(rnd.choices((1, 2, 3), (75, 18, 7))[0], rows - made)
        for row in _versions(rnd, op, serial, arrived, end, versions):
            rid, raw_id = first_id + made, first_raw + made
            _add(batch, row, rid, raw_id)
            made += 1
        if len(batch.reservations) >= BATCH:
            yield batch
            batch = _Batch([], [], [], [])
    if batch.reservations:
        yield batch


def _add(batch: _Batch, row: dict[str, Any], rid: int, raw_id: int) -> None:
    guests = row.pop("guests")
    stamp = row["created_at"]
    body = orjson.dumps(
        {
            "voucher": row["voucher"],
            "content": row["content"],
            "agency": row["agency"],
            "check_in": row["check_in"],
            "check_out": row["check_out"],
            "room": row["room"],
            "board": row["board"],
            "adults": row["adults"],
            "total": row["total_minor"] / 100,
            "currency": "EUR",
            "guests": [{"first_name": f, "last_name": n, "age": a} for f, n, a in guests],
        }
    )
    batch.raws.append(
        (raw_id, f"bulk-{raw_id:012d}", row["operator"], "bulk", stamp, stamp, len(body), body, "parsed", stamp, 1)
    )
    row.update(id=rid, raw_id=raw_id)
    batch.reservations.append(tuple(row[c] for c in RESERVATION_COLUMNS))
    batch.guests.extend((rid, k, first, last, age, row["nationality"]) for k, (first, last, age) in enumerate(guests))
    batch.search.append((rid, row["voucher"], row["guest_names"]))


def _versions(
    rnd: random.Random,
    op: tuple[str, str, int, bool, tuple[str, ...]],
    serial: int,
    arrived: datetime,
    end: datetime,
    count: int,
) -> Iterator[dict[str, Any]]:
    """One voucher's versions: new, then changes, the last perhaps a cancellation."""
    name, agency, _, capitals, markets = op
    market = rnd.choice(markets)
    room = rnd.choices([r for r, _ in ROOMS], [w for _, w in ROOMS])[0]
    nights = rnd.choice(NIGHTS)
    check_in = arrived.date() + timedelta(days=rnd.randrange(2, 180))
    adults = 1 if room == "SGL" else rnd.choice((2, 2, 2, 3, 1))
    kids = rnd.choice((0, 0, 0, 1, 2)) if room in ("STD", "SV", "FAM", "VIL") and adults < 3 else 0
    child_ages = sorted((rnd.choice((1, 3, 5, 8, 11)) for _ in range(kids)), reverse=True)
    guests = _guests(rnd, market, capitals, adults, child_ages)
    board = rnd.choice(BOARDS)
    per_night = {"SGL": 70, "STD": 110, "SV": 135, "FAM": 170, "SUI": 210, "VIL": 420}[room] + 30 * adults
    voucher = f"{agency[:4]}{serial:08d}"
    # Each change comes hours to days after the one before; none after ``end`` (today).
    times = [arrived]
    while len(times) < count:
        later = times[-1] + timedelta(hours=rnd.randrange(6, 240))
        if later > end:
            break
        times.append(later)
    count = len(times)
    for version, created in enumerate(times, start=1):
        content = "new" if version == 1 else ("cancel" if version == count and rnd.random() < 0.4 else "change")
        if content == "change":
            nights = max(2, nights + rnd.choice((-1, 1, 2)))
        latest = version == count
        status, decided = _status(rnd, created, end, latest)
        price_off = rnd.random() < 0.06
        yield {
            "operator": name,
            "voucher": voucher,
            "version": version,
            "is_latest": int(latest),
            "content": content,
            "status": status,
            "flags": "[]",
            "agency": agency,
            "check_in": check_in.isoformat(),
            "check_out": (check_in + timedelta(days=nights)).isoformat(),
            "nights": nights,
            "rooms": 1,
            "adults": adults,
            "child_ages": dumps(child_ages),
            "room": room,
            "board": board,
            "rate": f"{agency}26",
            "market": market,
            "nationality": NATIONALITY[market],
            "hotel_room": room,
            "hotel_board": board,
            "hotel_rate": f"{agency}26",
            "hotel_market": market,
            "hotel_agency": agency,
            "guest_names": "; ".join(" ".join(p for p in (last, first) if p) for first, last, _ in guests),
            "total_minor": per_night * nights * 100,
            "currency": "EUR",
            "sale_date": min(created.date(), check_in - timedelta(days=1)).isoformat(),
            "created_at": created.isoformat(timespec="seconds"),
            "fingerprint": f"bulk-{voucher}-{version}",
            "checks": dumps(PRICE_OFF if price_off else CHECKS),
            "clean": int(not price_off),
            "decided_at": decided,
            "decided_by": "desk" if decided else "",
            "reject_reason": "closed for sale on these dates" if status == "rejected" else "",
            "guests": guests,
        }


def _status(rnd: random.Random, created: datetime, end: datetime, latest: bool) -> tuple[str, str | None]:
    """Young rows wait for the desk; older ones were confirmed (a few rejected) within hours."""
    if latest and (end - created < timedelta(days=PENDING_DAYS) or rnd.random() < 0.04):
        return "pending", None
    decided = (created + timedelta(minutes=rnd.choice((4, 12, 25, 40, 90, 180, 420)))).isoformat(timespec="seconds")
    return ("rejected" if rnd.random() < 0.05 else "confirmed"), decided


def _guests(
    rnd: random.Random, market: str, capitals: bool, adults: int, child_ages: list[int]
) -> list[tuple[str, str, int | None]]:
    firsts, lasts = NAMES[market]
    surname = rnd.choice(lasts)
    people: list[tuple[str, str, int | None]] = [
        (rnd.choice(firsts), surname if k == 0 else rnd.choice(lasts), None) for k in range(adults)
    ]
    people += [(rnd.choice(firsts), surname, age) for age in child_ages]
    if market == "RU" and rnd.random() < 0.5:
        # Russian operators often send Latin capitals, as the passport spells them.
        from core.text import latin_form

        people = [(latin_form(f).title(), latin_form(n).title(), a) for f, n, a in people]
    if capitals:
        people = [(f.upper(), n.upper(), a) for f, n, a in people]
    return people
