"""A simulated operator's stream of bookings: new ones, then changes and cancellations over time.

The feed is deterministic for a given seed, so tests and benchmarks see the
same bookings every run. Each event is one version of a voucher, stamped with
the time it happened; the simulator serves the events nobody acknowledged yet.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Callable, Iterable, Iterator

from connectors.simulate.catalog import OperatorCatalog
from core.models import Content, Guest, NightPrice, OperatorBooking

FIRST_NAMES = ["Emma", "Oliver", "Anna", "Lukas", "Olga", "Ivan", "Zofia", "Jan", "Ayse", "Mehmet", "Sophie", "Daan"]
LAST_NAMES = [
    "Smith",
    "Jones",
    "Muller",
    "Schmidt",
    "Ivanova",
    "Petrov",
    "Kowalska",
    "Nowak",
    "Yilmaz",
    "Kaya",
    "de Vries",
    "Jansen",
]
COUNTRY_OF_MARKET = {"UK": "GB", "GB": "GB", "DE": "DE", "RU": "RU", "PL": "PL", "TR": "TR", "NL": "NL"}
# A plausible price per person per night by hotel room type, when no contract quotes one.
NIGHT_PRICE = {
    "SGL": Decimal("95"),
    "STD": Decimal("70"),
    "SV": Decimal("82"),
    "FAM": Decimal("75"),
    "SUI": Decimal("120"),
    "VIL": Decimal("150"),
}
BOARD_SUPPLEMENT = {
    "BB": Decimal("0"),
    "HB": Decimal("12"),
    "FB": Decimal("20"),
    "AI": Decimal("30"),
    "UAI": Decimal("38"),
}


@dataclass
class Event:
    at: datetime
    booking: OperatorBooking
    acked: bool = False
    rendered: bytes | None = None  # the event as the operator serves it, made once


class BookingFeed:
    """Thread-safe list of booking events for one operator."""

    def __init__(
        self,
        catalog: OperatorCatalog,
        *,
        seed: int = 1,
        initial: int = 20,
        today: date | None = None,
        churn: float = 0.0,
        history: Iterable[OperatorBooking] = (),
        supply: Iterator[OperatorBooking] | None = None,
    ) -> None:
        """``history``: messages waiting before the first read; ``supply``: where churn takes the next
        message from (default: bookings made up here from the catalog)."""
        self.catalog = catalog
        self.random = random.Random(seed)
        self.today = today or date.today()
        self.churn = churn  # events added per read, on average (0: a fixed feed)
        self.supply = supply
        self.events: list[Event] = []
        self.lock = threading.Lock()
        self.counter = 0
        self.latest: dict[str, OperatorBooking] = {}
        self.by_voucher: dict[str, list[Event]] = {}
        for booking in history:
            self._record(booking)
        for _ in range(initial):
            self.add_new()

    # -- making events -----------------------------------------------------------
    def add_new(self) -> OperatorBooking:
        with self.lock:
            self.counter += 1
            booking = self._booking(f"{self.catalog.agency}-{self.today:%y%m}-{self.counter:05d}")
            self._record(booking)
            return booking

    def add_change(self) -> OperatorBooking | None:
        with self.lock:
            open_ones = [b for b in self.latest.values() if b.content != Content.CANCEL]
            if not open_ones:
                return None
            old = self.random.choice(open_ones)
            if old.check_in is None or old.check_out is None:  # _price_stay gives every booking here both dates
                raise RuntimeError(f"simulated booking {old.voucher} has no stay dates")
            nights = (old.check_out - old.check_in).days + self.random.choice([-1, 1, 2])
            changed = replace(old, content=Content.CHANGE, extra=dict(old.extra), guests=list(old.guests))
            self._price_stay(changed, old.check_in, max(nights, 2))
            self._record(changed)
            return changed

    def add_cancel(self) -> OperatorBooking | None:
        with self.lock:
            open_ones = [b for b in self.latest.values() if b.content != Content.CANCEL]
            if not open_ones:
                return None
            old = self.random.choice(open_ones)
            cancelled = replace(old, content=Content.CANCEL, cancel_date=self.today, extra=dict(old.extra))
            self._record(cancelled)
            return cancelled

    def tick(self) -> None:
        """Let time pass: with churn, new bookings, changes and cancellations arrive."""
        if self.churn <= 0:
            return
        whole, part = int(self.churn), self.churn - int(self.churn)
        for _ in range(whole + (1 if self.random.random() < part else 0)):
            if self.supply is not None:
                with self.lock:
                    self._record(next(self.supply))
                continue
            roll = self.random.random()
            if roll < 0.6:
                self.add_new()
            elif roll < 0.85:
                self.add_change()
            else:
                self.add_cancel()

    # -- serving -------------------------------------------------------------------
    def pending(self, since: datetime | None = None) -> list[OperatorBooking]:
        with self.lock:
            return [e.booking for e in self.events if not e.acked and (since is None or e.at >= since)]

    def pending_rendered(self, since: datetime | None, render: Callable[[OperatorBooking], bytes]) -> list[bytes]:
        """What an AlpineBits read answers, as the operator serves it; each event is rendered once and kept.

        Without ``since`` (a regular read): every event not yet acknowledged. With it
        (an explicit re-read, ``SelectionCriteria Start``): every event at or after
        that time, acknowledged or not, as the standard has it.

        A real operator answers from its own store; rendering every event again on
        every read would make the simulator, not the hotel's side, the slow part.
        """
        with self.lock:
            events = [e for e in self.events if (not e.acked if since is None else e.at >= since)]
            for event in events:
                if event.rendered is None:
                    event.rendered = render(event.booking)
            return [e.rendered for e in events if e.rendered is not None]

    def page(self, start: int, size: int, since: datetime | None = None) -> list[tuple[datetime, OperatorBooking]]:
        """Events in order, with when each happened, for APIs that page (no acknowledgement).

        ``since``: only events at or after that time, as an API's "changed since" filter.
        """
        with self.lock:
            events = self.events if since is None else [e for e in self.events if e.at >= since]
            return [(e.at, e.booking) for e in events[start : start + size]]

    def acknowledge(self, voucher: str, cancelled: bool) -> None:
        """The hotel has it; an acknowledged cancellation settles every earlier event of its voucher too."""
        with self.lock:
            for event in self.by_voucher.get(voucher, []):
                if cancelled or event.booking.content != Content.CANCEL:
                    event.acked = True

    def unacked(self) -> int:
        with self.lock:
            return sum(1 for e in self.events if not e.acked)

    # -- inside ------------------------------------------------------------------------
    def _record(self, booking: OperatorBooking) -> None:
        at = datetime.now(timezone.utc).replace(microsecond=0)
        sold = datetime.combine(booking.sale_date, time(12), tzinfo=timezone.utc) if booking.sale_date else at
        booking.extra["create_datetime"] = booking.extra.get("create_datetime") or sold.isoformat()
        if booking.content != Content.NEW:
            booking.extra["last_modify_datetime"] = at.isoformat()
        event = Event(at, booking)
        self.events.append(event)
        self.by_voucher.setdefault(booking.voucher, []).append(event)
        self.latest[booking.voucher] = booking

    def _booking(self, voucher: str) -> OperatorBooking:
        r, c = self.random, self.catalog
        room = r.choice(list(c.rooms))
        board = r.choice(list(c.boards))
        market = r.choice(list(c.markets))
        adults = 1 if c.rooms[room] == "SGL" else r.choice([1, 2, 2, 2, 3])
        children = [] if adults == 1 else [r.choice([1, 4, 8, 11]) for _ in range(r.choice([0, 0, 1, 2]))]
        if c.rooms[room] in ("STD", "SV", "SUI"):
            children = children[: max(0, 4 - adults)]
        country = COUNTRY_OF_MARKET.get(market, "GB")
        last = r.choice(LAST_NAMES)
        guests = [Guest(r.choice(FIRST_NAMES), last, nationality=country)]
        guests += [Guest(r.choice(FIRST_NAMES), last) for _ in range(adults - 1)]
        guests += [Guest(r.choice(FIRST_NAMES), last, age=age) for age in children]
        booking = OperatorBooking(
            voucher=voucher,
            content=Content.NEW,
            agency=c.agency,
            adults=adults,
            child_ages=children,
            room=room,
            board=board,
            rate=c.rate,
            market=market,
            nationality=country,
            guests=guests,
            currency="EUR",
            sale_date=self.today,
            source=c.title,
            notes=r.choice(["", "", "late arrival", "honeymoon", "baby cot please", "quiet room"]),
        )
        check_in = self.today + timedelta(days=r.randint(7, 120))
        self._price_stay(booking, check_in, r.choice([3, 4, 5, 7, 7, 10, 14]))
        return booking

    def _price_stay(self, booking: OperatorBooking, check_in: date, nights: int) -> None:
        booking.check_in, booking.check_out = check_in, check_in + timedelta(days=nights)
        hotel_room = self.catalog.rooms.get(booking.room, "STD")
        hotel_board = self.catalog.boards.get(booking.board, "BB")
        per_person = NIGHT_PRICE.get(hotel_room, Decimal("70")) + BOARD_SUPPLEMENT.get(hotel_board, Decimal("0"))
        payers = Decimal(booking.adults) + Decimal("0.5") * sum(1 for a in booking.child_ages if a >= 2)
        night = (per_person * payers).quantize(Decimal("0.01"))
        booking.night_prices = [NightPrice(check_in + timedelta(days=i), night) for i in range(nights)]
        booking.total = night * nights
