"""A loaded contracts file: rate codes, contracts, daily rates, discounts, promotions.

Everything here is built once by ``core.pricing.load`` and then only read, so a
``ContractSet`` can be shared by every quote of a batch. Lookups a quote needs
on every night are indexed at load time (``by_key``, ``daily_by_key``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OCCUPANCY_KEYS = ("sgl", "dbl", "trp", "quad")  # 1..4 adults
CHILD_ROWS = ("first", "second", "sgl_first", "sgl_second")
ADULT = "adult"

DateRange = tuple[date, date]


def in_range(day: date, span: DateRange | None) -> bool:
    """Both ends included; no range means any day."""
    return span is None or span[0] <= day <= span[1]


@dataclass(frozen=True)
class Hotel:
    code: str = ""
    currency: str = "EUR"
    vat_percent: Decimal = Decimal(0)


@dataclass(frozen=True)
class RoomType:
    code: str
    capacity: int = 0
    max_adults: int | None = None
    max_persons: int | None = None


@dataclass(frozen=True)
class ChildBand:
    name: str
    min: Decimal
    max: Decimal


@dataclass(frozen=True)
class RateCode:
    code: str
    use_prices: str = "contract"  # contract | daily | contract_daily
    base_rate_code: str = ""
    adjust_percent: Decimal = Decimal(0)
    order_children_by_age: bool = True
    child_bands: tuple[ChildBand, ...] = ()

    def band_of(self, age: Decimal) -> str | None:
        """The band a child of ``age`` falls in; None when older than every band (an adult).

        A gap between bands (2.0 .. 1.99) belongs to the band below the gap's upper end:
        the last band whose ``min`` is at most the age.
        """
        found = None
        for band in self.child_bands:
            if age >= band.min:
                found = band
        if found is None:
            return self.child_bands[0].name if self.child_bands else None
        if found is self.child_bands[-1] and age > found.max:
            return None
        return found.name


@dataclass(frozen=True)
class Prices:
    """One of the three price forms, reduced to a room price per number of adults."""

    form: str  # occupancy | per_person | unit
    by_adults: dict[int, Decimal]  # 1..4 adults -> room price (forms a and b)
    extra_bed: Decimal | None = None  # each adult beyond 4
    pp_dbl: Decimal | None = None  # base of a child's "N%"
    unit: Decimal | None = None

    def room_price(self, adults: int) -> Decimal | None:
        if self.form == "unit":
            return self.unit
        if adults <= 4:
            return self.by_adults.get(adults)
        quad = self.by_adults.get(4)
        if quad is None or self.extra_bed is None:
            return None
        return quad + self.extra_bed * (adults - 4)


@dataclass(frozen=True)
class ChildPrice:
    value: Decimal
    percent: bool = False  # value is a share of pp_dbl


@dataclass(frozen=True)
class SpecialCase:
    adults: int
    children: tuple[tuple[str, int], ...]  # (band, count) with count > 0, sorted
    night_total: Decimal


@dataclass(frozen=True)
class StayRules:
    min_stay: int | None = None
    max_stay: int | None = None
    min_persons: int | None = None
    max_persons: int | None = None
    check_in_days: frozenset[int] = frozenset()  # weekday numbers, Monday 0
    check_out_days: frozenset[int] = frozenset()
    stay_days: frozenset[int] = frozenset()
    release_days: int | None = None
    min_arrival: int | None = None  # the guest's earlier stays at the hotel, at least ...
    max_arrival: int | None = None  # ... and at most
    cancellation_days: int | None = None
    prepayment_days: int | None = None
    prepayment_percent: Decimal | None = None


@dataclass(eq=False)
class PriceSource:
    """What prices a night: a contract or a daily-rates row."""

    label: str  # contract code, or daily_rates[n]
    rate_code: str
    board: str
    prices: Prices
    children: dict[str, dict[str, ChildPrice]] = field(default_factory=dict)
    supplements: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    currency: str = "EUR"
    commission_percent: Decimal = Decimal(0)
    include_commission: bool = True
    add_vat: bool = False
    special_cases: tuple[SpecialCase, ...] = ()
    # Night prices already worked out, by (board, adults, children bands, factor).
    night_cache: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)

    def sells(self, board: str) -> bool:
        return board == self.board or board in self.supplements


@dataclass(frozen=True)
class SalesPeriod:
    """A contract's sales window: bookings made inside it get its rate type and early-booking cut."""

    span: DateRange
    rate_type: str = ""
    eb_percent: Decimal | None = None


@dataclass(eq=False)
class Contract(PriceSource):
    rate_type: str = ""
    room_types: tuple[str, ...] = ()
    stay: DateRange = (date.min, date.max)
    sales: DateRange | None = None
    price_basis: str = "stay_date"  # stay_date | check_in
    markets: frozenset[str] = frozenset()
    agencies: frozenset[str] = frozenset()
    nationalities: frozenset[str] = frozenset()
    allowed_discounts: frozenset[str] = frozenset()
    rules: StayRules = field(default_factory=StayRules)
    inactive: bool = False
    sales_periods: tuple[SalesPeriod, ...] = ()  # when given, they replace ``sales``

    def sales_period(self, booked: date) -> SalesPeriod | None:
        """The first sales period the booking date falls in."""
        return next((p for p in self.sales_periods if in_range(booked, p.span)), None)

    def sells_on(self, booked: date) -> bool:
        if self.sales_periods:
            return self.sales_period(booked) is not None
        return in_range(booked, self.sales)

    def left_out_by(self, market: str, agency: str, nationality: str) -> str | None:
        """The first restriction (markets, agencies, nationalities) that leaves the stay out, or None.

        An unknown (empty) market or nationality is left out by a non-empty list.
        """
        if self.markets and market not in self.markets:
            return "markets"
        if self.agencies and agency not in self.agencies:
            return "agencies"
        if self.nationalities and nationality not in self.nationalities:
            return "nationalities"
        return None

    def covers(self, night: date, check_in: date) -> bool:
        day = check_in if self.price_basis == "check_in" else night
        return self.stay[0] <= day <= self.stay[1]


@dataclass(eq=False)
class DailyRate(PriceSource):
    room_type: str = ""
    span: DateRange = (date.min, date.max)

    def covers(self, night: date, check_in: date) -> bool:
        return self.span[0] <= night <= self.span[1]


@dataclass(frozen=True)
class DiscountRules:
    min_stay: int | None = None
    max_stay: int | None = None
    min_days_before: int | None = None
    max_days_before: int | None = None
    check_in_days: frozenset[int] = frozenset()
    min_adults: int | None = None
    max_adults: int | None = None
    min_persons: int | None = None
    max_persons: int | None = None
    check_out_days: frozenset[int] = frozenset()
    stay_days: frozenset[int] = frozenset()  # only nights on these weekdays are eligible
    min_age: Decimal | None = None  # some guest of known age is at least ...
    max_age: Decimal | None = None  # ... and at most this old at check-in


@dataclass(frozen=True)
class Discount:
    code: str
    type: str  # percent | amount | free_nights
    value: Decimal
    kind: str = "discount"  # discount | addon
    rate_codes: frozenset[str] = frozenset()
    room_types: frozenset[str] = frozenset()
    stay: DateRange | None = None
    sales: DateRange | None = None
    applies_by: str = "stay_date"  # stay_date | check_in
    order: int = 0
    apply_alone: bool = False
    manual: bool = False
    inactive: bool = False
    incompatible_with: frozenset[str] = frozenset()
    nationalities: frozenset[str] = frozenset()
    rules: DiscountRules = field(default_factory=DiscountRules)


@dataclass(frozen=True)
class Promotion:
    code: str
    type: str  # percent | per_reservation | per_night | per_person_night
    value: Decimal
    stay: DateRange | None = None
    sales: DateRange | None = None
    min_stay: int | None = None
    min_total: Decimal | None = None
    max_uses: int | None = None
    room_types: frozenset[str] = frozenset()
    rate_codes: frozenset[str] = frozenset()
    excluded: tuple[DateRange, ...] = ()
    markets: frozenset[str] = frozenset()
    rate_types: frozenset[str] = frozenset()
    currency: str = ""  # for amount types: must be the contract's currency
    application_area: str = "both"  # accommodation | extras | both


@dataclass(eq=False)
class ContractSet:
    source: str
    hotel: Hotel
    room_types: dict[str, RoomType]
    boards: frozenset[str]
    agencies: dict[str, tuple[str, ...]]  # agency -> its rate codes, first is the default
    rate_codes: dict[str, RateCode]
    contracts: list[Contract]
    daily_rates: list[DailyRate]
    discounts: list[Discount]  # sorted by (order, code): the order they apply in
    promotions: dict[str, Promotion]
    # (rate code, room type, board) -> price sources in file order
    by_key: dict[tuple[str, str, str], list[Contract]] = field(default_factory=dict)
    daily_by_key: dict[tuple[str, str, str], list[DailyRate]] = field(default_factory=dict)

    @property
    def counts_arrivals(self) -> bool:
        """Whether any contract limits the guest's earlier stays (worth a look in the hotel book)."""
        return any(c.rules.min_arrival is not None or c.rules.max_arrival is not None for c in self.contracts)

    def index(self) -> None:
        self.by_key.clear()
        self.daily_by_key.clear()
        for contract in self.contracts:
            for room in contract.room_types:
                for board in (contract.board, *contract.supplements):
                    self.by_key.setdefault((contract.rate_code, room, board), []).append(contract)
        for row in self.daily_rates:
            for board in (row.board, *row.supplements):
                self.daily_by_key.setdefault((row.rate_code, row.room_type, board), []).append(row)
