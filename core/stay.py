"""What the checks know of one stay, what a check answers, and what a check may read.

These are shared by ``core.checks`` and ``core.pricing.check``; they live on
their own so that neither module needs the other's import to describe a stay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from core import clock
from core.models import CheckState, Content, Guest, NightPrice

if TYPE_CHECKING:
    from core.config import Config
    from core.store import Store

T = TypeVar("T")


@dataclass
class StayFacts:
    """What the checks need to know about one operator reservation, in the hotel's codes."""

    operator: str
    voucher: str
    content: Content
    hotel_room: str | None
    hotel_board: str | None
    hotel_rate: str | None
    hotel_market: str | None
    hotel_agency: str | None
    check_in: date | None
    check_out: date | None
    rooms: int
    adults: int
    child_ages: list[int]
    sale_date: date | None
    total: Decimal | None
    currency: str
    night_prices: list[NightPrice] = field(default_factory=list)
    promo_code: str = ""
    discount_codes: list[str] = field(default_factory=list)
    surnames: list[str] = field(default_factory=list)
    reservation_id: int | None = None  # set when re-checking a stored row
    received: date | None = None  # when the message arrived (release falls back to it)
    nationality: str = ""  # ISO 3166-1 alpha-2, or empty when unknown
    guests: list[Guest] = field(default_factory=list)  # the price check reads ages and earlier stays

    @property
    def nights(self) -> list[date]:
        # Kept in __dict__ by hand: functools.cached_property takes a lock on every first read.
        nights = self.__dict__.get("_nights")
        if nights is None:
            nights = []
            if self.check_in and self.check_out:
                first = self.check_in.toordinal()
                nights = list(map(date.fromordinal, range(first, self.check_out.toordinal())))
            self.__dict__["_nights"] = nights
        return nights


@dataclass
class CheckOutcome:
    state: CheckState
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"state": str(self.state), "message": self.message}
        if self.details:
            out["details"] = self.details
        return out


@dataclass
class CheckContext:
    """What a check may read: the store, the config, and a cache kept for one batch.

    ``cache`` lets a check load something once (contracts, stop-sales,
    capacities) and reuse it for every row of a batch; ``reset()`` drops it
    when those facts change.
    """

    store: "Store"
    config: "Config"
    cache: dict[str, Any] = field(default_factory=dict)
    now: datetime | None = None  # injected by tests; else the clock (core.clock)

    def once(self, key: str, make: Callable[[], T]) -> T:
        """``make()``, worked out once per batch and kept under ``key`` until ``reset``."""
        if key not in self.cache:
            self.cache[key] = make()
        value: T = self.cache[key]
        return value

    @property
    def today(self) -> date:
        """Today in the hotel's time zone (stay dates are hotel-local); read once per batch (``reset``)."""
        return self.once("today", lambda: (self.now or clock.now()).astimezone(self.config.timezone).date())

    def capacities(self) -> dict[str, int]:
        """Rooms of each room type (``room_types.capacity``), by code."""
        return self.once(
            "capacities", lambda: dict(self.store.conn.execute("SELECT code, capacity FROM room_types").fetchall())
        )

    def reset(self) -> None:
        self.cache.clear()
