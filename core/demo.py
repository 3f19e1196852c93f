"""The demo hotel: Sunbeach Resort Side, its codes, its operators, and realistic bookings.

Everything is generated from a seed and today's date, so a demo made today
shows stays over the next six months. The operators' own codes differ from
the hotel's on purpose, and a few have no mapping, as in real life.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, Iterator

from core.errors import NotFound
from core.models import Content, Guest, NightPrice, OperatorBooking
from core.store import Store, iso

HOTEL = {"code": "SUNBEACH", "name": "Sunbeach Resort Side", "currency": "EUR", "timezone": "Europe/Istanbul"}

# code, name, capacity, max_adults, max_persons
ROOM_TYPES = [
    ("SGL", "Single room", 10, 1, 2),
    ("STD", "Standard double", 80, 3, 4),
    ("SV", "Sea-view double", 40, 3, 4),
    ("FAM", "Family room", 30, 4, 5),
    ("SUI", "Junior suite", 12, 3, 4),
    ("VIL", "Pool villa", 4, 6, 8),
]
BOARDS = [
    ("BB", "Bed & breakfast"),
    ("HB", "Half board"),
    ("FB", "Full board"),
    ("AI", "All inclusive"),
    ("UAI", "Ultra all inclusive"),
]
MARKETS = [
    ("UK", "United Kingdom"),
    ("DE", "Germany"),
    ("RU", "Russia"),
    ("PL", "Poland"),
    ("TR", "Türkiye"),
    ("NL", "Netherlands"),
]


@dataclass
class DemoOperator:
    name: str
    title: str
    agency: str
    rate_code: str
    kind: str  # how it would really connect
    markets: list[str]
    rooms: dict[str, str]  # operator code -> hotel room type
    boards: dict[str, str]
    unmapped: list[tuple[str, str]] = field(default_factory=list)  # (kind, code) left out on purpose
    rate_alias: str = ""  # the rate code the operator sends
    market_aliases: dict[str, str] = field(default_factory=dict)  # code sent -> hotel market, where they differ

    @property
    def sent_rate(self) -> str:
        return self.rate_alias or self.rate_code

    @property
    def demo_kind(self) -> str:
        """How the demo delivers this operator's messages: a loopback simulator, or a drop folder for mail."""
        return {"ota-pull": "ota-pull", "jsonapi": "jsonapi", "ota-push": "jsonapi"}.get(self.kind, "folder")


OPERATORS = [
    DemoOperator(
        "tui",
        "TUI Destimo",
        "TUI",
        "TUI26",
        "ota-pull",
        ["UK", "DE", "NL"],
        {"DZX": "STD", "DZS": "SV", "FAM4": "FAM", "SUIJ": "SUI", "EZX": "SGL", "VILP": "VIL"},
        # AlpineBits meal plan codes: 1 all inclusive, 10 full board, 12 half board
        {"1": "AI", "12": "HB", "10": "FB"},
        unmapped=[("room", "VILP")],
        market_aliases={"GB": "UK"},
    ),  # AlpineBits carries the guest's country
    DemoOperator(
        "jet2",
        "Jet2holidays",
        "JET2",
        "JET26",
        "mail",
        ["UK"],
        {"DBL": "STD", "DBLSV": "SV", "FAMILY": "FAM", "SGL": "SGL"},
        {"AI": "AI", "HB": "HB", "BB": "BB"},
        rate_alias="J2-SUMMER",
    ),
    DemoOperator(
        "pegas",
        "Pegas Touristik",
        "PEGAS",
        "PEG26",
        "jsonapi",
        ["RU", "PL"],
        {"STD DBL": "STD", "STD SV": "SV", "FAM ROOM": "FAM", "JR SUITE": "SUI"},
        {"AI": "AI", "UAI": "UAI", "FB": "FB"},
        unmapped=[("board", "FB")],
    ),
    DemoOperator(
        "anex",
        "Anex Tour",
        "ANEX",
        "ANX26",
        "jsonapi",
        ["RU", "PL", "TR"],
        {"DBL STD": "STD", "DBL SEA": "SV", "FAMILY": "FAM", "SNGL": "SGL"},
        {"AI": "AI", "UAI": "UAI"},
    ),
    DemoOperator(
        "hotelbeds",
        "Hotelbeds",
        "HBEDS",
        "HBD26",
        "mail",
        ["DE", "UK", "NL", "PL"],
        {"DBL.ST": "STD", "DBL.SV": "SV", "FAM.ST": "FAM", "JSU.ST": "SUI", "SGL.ST": "SGL"},
        {"BB": "BB", "HB": "HB", "AI": "AI"},
        rate_alias="HB-NET",
        unmapped=[("room", "JSU.ST")],
    ),
    DemoOperator(
        "ets",
        "ETS Tur",
        "ETS",
        "ETS26",
        "ota-push",
        ["TR"],
        {"STD": "STD", "DNZ": "SV", "AILE": "FAM", "SUIT": "SUI"},
        {"HB": "HB", "AI": "AI", "UAI": "UAI"},
    ),
]

NAMES = {
    "UK": (
        ["Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Emily", "Charlie", "Sophie", "Thomas", "Grace"],
        [
            "Smith",
            "Jones",
            "Taylor",
            "Brown",
            "Williams",
            "Wilson",
            "Johnson",
            "Davies",
            "Robinson",
            "Wright",
            "Thompson",
            "Evans",
        ],
    ),
    "DE": (
        [
            "Lukas",
            "Anna",
            "Maximilian",
            "Lea",
            "Jonas",
            "Hannah",
            "Felix",
            "Sophie",
            "Paul",
            "Marie",
            "Jürgen",
            "Käthe",
        ],
        [
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
            "Schäfer",
            "Koch",
            "Größer",
            "Hoffmann",
        ],
    ),
    "NL": (
        ["Daan", "Emma", "Sem", "Julia", "Lucas", "Tess"],
        ["de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser"],
    ),
    "RU": (
        ["Александр", "Мария", "Дмитрий", "Анна", "Сергей", "Елена", "Иван", "Ольга", "Alexey", "Natalia"],
        ["Иванов", "Смирнова", "Кузнецов", "Попова", "Соколов", "Лебедева", "Petrov", "Volkova"],
    ),
    "PL": (
        ["Jakub", "Zuzanna", "Łukasz", "Małgorzata", "Paweł", "Agnieszka", "Wojciech", "Joanna"],
        ["Nowak", "Kowalski", "Wiśniewska", "Wójcik", "Kamiński", "Lewandowska", "Zieliński", "Szymańska"],
    ),
    "TR": (
        ["Mehmet", "Ayşe", "Mustafa", "Fatma", "Ahmet", "Zeynep", "Emre", "Elif", "Çağrı", "Gülşen"],
        ["Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Öztürk", "Aydın", "Arslan", "Doğan"],
    ),
}
NATIONALITY = {"UK": "GB", "DE": "DE", "NL": "NL", "RU": "RU", "PL": "PL", "TR": "TR"}
NIGHT_BASE = {"SGL": 70, "STD": 110, "SV": 135, "FAM": 170, "SUI": 210, "VIL": 420}
BOARD_EXTRA = {"BB": 0, "HB": 15, "FB": 25, "AI": 35, "UAI": 50}


def stay_window(today: date) -> tuple[date, date]:
    return today + timedelta(days=1), today + timedelta(days=182)


def mappings() -> list[tuple[str, str, str, str]]:
    """(operator, kind, operator code, hotel code) for the demo, less the ones left out on purpose."""
    out = []
    for op in OPERATORS:
        skip = set(op.unmapped)
        for code, hotel in op.rooms.items():
            if ("room", code) not in skip:
                out.append((op.name, "room", code, hotel))
        for code, hotel in op.boards.items():
            if ("board", code) not in skip:
                out.append((op.name, "board", code, hotel))
        out.append((op.name, "rate", op.sent_rate, op.rate_code))
        out.append((op.name, "agency", op.agency, op.agency))
        for market in op.markets:
            out.append((op.name, "market", market, market))
        for sent, market in op.market_aliases.items():
            out.append((op.name, "market", sent, market))
    return out


Pricer = Callable[[DemoOperator, OperatorBooking, str, str], Decimal | None]


def simple_price(op: DemoOperator, booking: OperatorBooking, hotel_room: str, hotel_board: str) -> Decimal:
    """A plausible total when no contracts are at hand."""
    per_night = NIGHT_BASE[hotel_room] + BOARD_EXTRA[hotel_board] * booking.adults
    per_night += sum(0 if a < 2 else 20 for a in booking.child_ages)
    return Decimal(per_night * (booking.nights or 1) * booking.rooms)


@dataclass
class DemoBookings:
    """What the generator made: messages per operator, in arrival order."""

    messages: dict[str, list[OperatorBooking]]
    pms: list[dict[str, Any]]  # bookings already in the hotel's PMS
    stop_sales: list[tuple[str, date, date, str, str]]  # room, start, end, operator, reason


def operator(name: str) -> DemoOperator:
    for op in OPERATORS:
        if op.name == name:
            return op
    raise NotFound(f"no demo operator {name!r}")


def stream(
    op: DemoOperator, today: date, *, seed: int = 1, pricer: Pricer = simple_price, start: int = 50_000
) -> Iterator[OperatorBooking]:
    """Endless new bookings, changes and cancellations of one operator, as they would keep arriving."""
    rnd = random.Random(seed)
    first, last = stay_window(today)
    sent: list[OperatorBooking] = []
    for i in itertools.count(start):
        roll = rnd.random()
        if roll < 0.6 or not sent:
            booking = _new_booking(rnd, op, i, today, first, last, pricer)
            sent.append(booking)
            yield booking
        elif roll < 0.85:
            yield _changed(rnd, op, rnd.choice(sent), pricer)
        else:
            base = sent.pop(rnd.randrange(len(sent)))
            yield _cancelled(base, today)


def _cancelled(base: OperatorBooking, today: date) -> OperatorBooking:
    return OperatorBooking(
        voucher=base.voucher,
        content=Content.CANCEL,
        agency=base.agency,
        cancel_date=today,
        guests=list(base.guests),
        room=base.room,
        board=base.board,
        rate=base.rate,
        check_in=base.check_in,
        check_out=base.check_out,
        adults=base.adults,
        market=base.market,
        currency=base.currency,
    )


def generate(today: date, count: int = 500, seed: int = 7, pricer: Pricer = simple_price) -> DemoBookings:
    """About ``count`` operator messages (new, changes, cancellations) for stays in the next six months."""
    rnd = random.Random(seed)
    first, last = stay_window(today)
    messages: dict[str, list[OperatorBooking]] = {op.name: [] for op in OPERATORS}
    weights = [30, 18, 16, 14, 12, 10]
    news: list[tuple[DemoOperator, OperatorBooking]] = []
    n_new = int(count * 0.8)
    for i in range(n_new):
        op = rnd.choices(OPERATORS, weights)[0]
        booking = _new_booking(rnd, op, i, today, first, last, pricer)
        messages[op.name].append(booking)
        news.append((op, booking))
    # Changes and cancellations of earlier bookings.
    for _ in range(count - n_new):
        op, base = rnd.choice(news)
        if rnd.random() < 0.4:
            messages[op.name].append(_cancelled(base, today))
        else:
            messages[op.name].append(_changed(rnd, op, base, pricer))
    pms = _pms_bookings(rnd, news, first, last)
    stops = [
        ("SUI", first + timedelta(days=20), first + timedelta(days=34), "", "renovation"),
        ("STD", first + timedelta(days=60), first + timedelta(days=66), "anex", "allotment used up"),
    ]
    return DemoBookings(messages, pms, stops)


def _guest(rnd: random.Random, market: str, age: int | None = None, surname: str | None = None) -> Guest:
    firsts, lasts = NAMES[market]
    return Guest(
        first_name=rnd.choice(firsts), last_name=surname or rnd.choice(lasts), age=age, nationality=NATIONALITY[market]
    )


def _new_booking(
    rnd: random.Random, op: DemoOperator, i: int, today: date, first: date, last: date, pricer: Pricer
) -> OperatorBooking:
    market = rnd.choice(op.markets)
    room_code = rnd.choices(list(op.rooms), [5, 3, 2, 1, 1, 1][: len(op.rooms)])[0]
    hotel_room = op.rooms[room_code]
    board_code = rnd.choice(list(op.boards))
    check_in = first + timedelta(days=rnd.randrange((last - first).days - 14))
    nights = rnd.choice([3, 4, 5, 7, 7, 7, 10, 11, 14])
    adults = 1 if hotel_room == "SGL" else rnd.choice([2, 2, 2, 2, 3, 1])
    if hotel_room in ("FAM", "VIL"):
        adults = 2
    kids = rnd.choice([0, 0, 0, 1, 2]) if hotel_room in ("STD", "SV", "FAM", "VIL") and adults < 3 else 0
    child_ages = sorted((rnd.choice([1, 3, 5, 8, 11, 12]) for _ in range(kids)), reverse=True)
    surname = rnd.choice(NAMES[market][1])
    guests = [_guest(rnd, market, surname=surname if a == 0 else None) for a in range(adults)]
    guests += [_guest(rnd, market, age=age, surname=surname) for age in child_ages]
    sale_date = min(today, check_in - timedelta(days=rnd.choice([2, 10, 30, 45, 70, 90, 120])))
    booking = OperatorBooking(
        voucher=f"{op.agency[:3]}{OPERATORS.index(op) + 1}{i:05d}",
        content=Content.NEW,
        agency=op.agency,
        check_in=check_in,
        check_out=check_in + timedelta(days=nights),
        rooms=1,
        adults=adults,
        child_ages=child_ages,
        room=room_code,
        board=board_code,
        rate=op.sent_rate,
        market=market,
        nationality=NATIONALITY[market],
        guests=guests,
        currency="EUR",
        sale_date=sale_date,
        notes=rnd.choice(["", "", "", "honeymoon", "late arrival ~23:00", "baby cot please", "high floor"]),
        source=op.kind,
    )
    booking.total = _priced(rnd, op, booking, hotel_room, board_code, pricer)
    if booking.total is not None and rnd.random() < 0.5:
        per_night = (booking.total / nights).quantize(Decimal("0.01"))
        booking.night_prices = [NightPrice(check_in + timedelta(days=k), per_night) for k in range(nights)]
    return booking


def _priced(
    rnd: random.Random, op: DemoOperator, booking: OperatorBooking, hotel_room: str, board_code: str, pricer: Pricer
) -> Decimal | None:
    total = pricer(op, booking, hotel_room, op.boards.get(board_code, "AI"))
    if total is None:
        total = simple_price(op, booking, hotel_room, op.boards.get(board_code, "AI"))
    if rnd.random() < 0.08:  # a few operators' prices are off
        total = (total * Decimal(rnd.choice(["0.85", "0.9", "1.12"]))).quantize(Decimal("0.01"))
    return total


def _changed(rnd: random.Random, op: DemoOperator, base: OperatorBooking, pricer: Pricer) -> OperatorBooking:
    from dataclasses import replace

    change = replace(base, content=Content.CHANGE, guests=list(base.guests), night_prices=[])
    what = rnd.choice(["dates", "board", "guest", "nights"])
    if what == "dates":
        shift = timedelta(days=rnd.choice([-3, -1, 1, 2, 7]))
        assert base.check_in is not None and base.check_out is not None  # generated bookings have dates
        change.check_in, change.check_out = base.check_in + shift, base.check_out + shift
    elif what == "board":
        change.board = rnd.choice([b for b in op.boards if b != base.board] or [base.board])
    elif what == "nights":
        assert base.check_out is not None
        change.check_out = base.check_out + timedelta(days=rnd.choice([1, 2, 3]))
    else:
        change.notes = (base.notes + "; " if base.notes else "") + "guest name corrected"
        if change.guests:
            g = change.guests[0]
            firsts = NAMES[base.market][0]
            other = firsts[(firsts.index(g.first_name) + 1) % len(firsts)] if g.first_name in firsts else g.first_name
            change.guests[0] = Guest(other, g.last_name, g.age, g.birth_date, g.gender, g.nationality)
    change.total = _priced(rnd, op, change, op.rooms[change.room], change.board, pricer)
    return change


# Direct guests in the PMS: other families than the operators' guests, so few look like duplicates.
PMS_GUESTS = [
    "Albrecht Jana",
    "Bergmann Tobias",
    "Carter Lucy",
    "Dąbrowski Marek",
    "Ekinci Selin",
    "Fowler Ian",
    "Gündoğdu Kerem",
    "Hartmann Ute",
    "Ivanenko Pavel",
    "Jankowska Ewa",
    "Keller Nina",
    "Lloyd Owen",
    "Morozova Irina",
    "Nieminen Aino",
    "Oğuz Deniz",
    "Pearce Holly",
    "Quist Lars",
    "Rüdiger Sven",
]


def _pms_bookings(
    rnd: random.Random, news: list[tuple[DemoOperator, OperatorBooking]], first: date, last: date
) -> list[dict[str, Any]]:
    """Bookings the hotel already had in its PMS: direct guests, and a few operator vouchers."""
    out = []
    for n in range(60):
        check_in = first + timedelta(days=rnd.randrange((last - first).days - 10))
        room = rnd.choice(["STD", "STD", "SV", "FAM", "SUI", "SGL"])
        out.append(
            {
                "number": f"PMS{24000 + n}",
                "operator": "",
                "voucher": "",
                "room": room,
                "board": rnd.choice(["BB", "HB", "AI"]),
                "check_in": check_in.isoformat(),
                "check_out": (check_in + timedelta(days=rnd.choice([2, 3, 5, 7]))).isoformat(),
                "adults": "2",
                "children": "",
                "guest_names": rnd.choice(PMS_GUESTS),
                "total": "",
                "currency": "EUR",
                "status": "active",
            }
        )
    # Vouchers that reached the hotel by phone earlier: the same voucher arriving now is a duplicate.
    for k, (op, booking) in enumerate(rnd.sample(news, 8)):
        out.append(
            {
                "number": f"PMS{25000 + k}",
                "operator": op.name,
                "voucher": booking.voucher,
                "room": op.rooms[booking.room],
                "board": op.boards.get(booking.board, ""),
                "check_in": iso(booking.check_in) or "",
                "check_out": iso(booking.check_out) or "",
                "adults": str(booking.adults),
                "children": ";".join(map(str, booking.child_ages)),
                "guest_names": f"{booking.guests[0].last_name} {booking.guests[0].first_name}",
                "total": "",
                "currency": "EUR",
                "status": "active",
            }
        )
    return out


def spread_history(store: Store, today: date) -> None:
    """The history arrived over the last four weeks, not all at once: move each message's arrival
    to a day between its sale date and today, and each decision a few minutes to hours after it,
    so the dashboard's trend and response times look like a working desk's."""
    rnd = random.Random(11)
    end = datetime.combine(today, time(8), tzinfo=timezone.utc)
    with store.transaction() as c:
        for row in store.all("SELECT id, raw_id, sale_date, status FROM operator_reservations"):
            sold = (
                datetime.combine(date.fromisoformat(row["sale_date"]), time(9), tzinfo=timezone.utc)
                if row["sale_date"]
                else end
            )
            earliest = max(sold, end - timedelta(days=28))
            span = max((end - earliest).total_seconds(), 3600)
            arrived = earliest + timedelta(seconds=rnd.uniform(0, span))
            stamp = arrived.isoformat(timespec="seconds")
            c.execute("UPDATE operator_reservations SET created_at = ? WHERE id = ?", (stamp, row["id"]))
            c.execute(
                "UPDATE raw_messages SET received_at = ?, stored_at = ? WHERE id = ?", (stamp, stamp, row["raw_id"])
            )
            if row["status"] != "pending":
                decided = arrived + timedelta(minutes=rnd.choice([4, 12, 25, 40, 90, 180, 420]))
                c.execute(
                    "UPDATE operator_reservations SET decided_at = ? WHERE id = ?",
                    (decided.isoformat(timespec="seconds"), row["id"]),
                )
