"""The contract wizard: season contracts from a per-person double price, written as TOML to review.

A revenue manager thinks in "the double costs 60 per person in high season,
sea view is 8 more, singles pay 1.5 persons, early booking until January is
20% off". The wizard turns that into one contract per season and room type
(price form (b), form (a) occupancy prices when given, or a unit price for
rooms sold per room). Sales periods become each contract's ``sales_periods``:
the period a booking is made in gives the stay its rate type and, with an
early-booking percent, the period's cut of every night.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import tomlkit

from core.errors import InvalidInput
from core.pricing.load import load_contracts
from core.pricing.model import OCCUPANCY_KEYS

DEFAULT_MULTIPLIERS = {"sgl": Decimal("1.5"), "dbl": Decimal(2), "trp": Decimal("2.75"), "quad": Decimal("3.4")}
DEFAULT_BANDS = [("infant", 0, 1.99), ("young", 2, 6.99), ("older", 7, 12.99)]


def children_rows(bands: list[str]) -> dict[str, dict[str, Any]]:
    """Usual child prices for bands listed youngest first: the youngest stay free, the oldest pay most.

    With infant, young, older: first child 0 / 0 / 50%, second 0 / 50% / 70%,
    with one adult 0 / 50% / 70% and 0 / 70% / 70%.
    """
    if not bands:
        return {}
    youngest, *middle = bands
    oldest = middle.pop() if middle else None

    def row(mid: Any, old: Any) -> dict[str, Any]:
        values = {youngest: 0, **{b: mid for b in middle}}
        if oldest:
            values[oldest] = old
        return values

    return {
        "first": row(0, "50%"),
        "second": row("50%", "70%"),
        "sgl_first": row("50%", "70%"),
        "sgl_second": row("70%", "70%"),
    }


class WizardError(InvalidInput, ValueError):
    """Input the wizard cannot use; the message says which value and why."""


@dataclass
class Season:
    name: str
    start: date
    end: date
    pp_dbl: Decimal = Decimal(0)
    # Price form (a) instead: room type -> {"sgl": .., "dbl": .., "trp": .., "quad": .., "extra_bed": ..}
    occupancy: dict[str, dict[str, Decimal]] = field(default_factory=dict)


@dataclass
class SalesPeriod:
    start: date
    end: date
    rate_type: str
    early_booking_percent: Decimal = Decimal(0)


@dataclass
class ContractPlan:
    rate_code: str
    board: str
    seasons: list[Season]
    sales_periods: list[SalesPeriod]
    room_differences: dict[str, Decimal]  # room type -> per-person difference to pp_dbl
    multipliers: dict[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_MULTIPLIERS))
    unit_rooms: set[str] = field(default_factory=set)  # sold per room: unit = dbl price of the room
    supplements: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    rules: dict[str, Any] = field(default_factory=dict)
    children: dict[str, dict[str, Any]] | None = None  # child rows as written; None = the usual ones

    def check(self) -> None:
        if not self.seasons:
            raise WizardError("give at least one season (--season NAME:FROM:TO:PP_DBL)")
        if not self.room_differences:
            raise WizardError("give at least one room type (--room CODE=DIFFERENCE)")
        for s in self.seasons:
            if s.end < s.start:
                raise WizardError(f"season {s.name}: ends {s.end} before it starts {s.start}")
            for room, prices in s.occupancy.items():
                if "dbl" not in prices:
                    raise WizardError(f"season {s.name}, room {room}: the dbl price is required")
        for p in self.sales_periods:
            if p.end < p.start:
                raise WizardError(f"sales period {p.rate_type}: ends {p.end} before it starts {p.start}")
        unknown = set(self.multipliers) - set(OCCUPANCY_KEYS)
        if unknown:
            raise WizardError(f"multipliers: unknown key {sorted(unknown)[0]} (use sgl, dbl, trp, quad)")
        if "dbl" not in self.multipliers:
            raise WizardError("multipliers: dbl is required (the double is what pp_dbl is the price of)")
        missing = self.unit_rooms - set(self.room_differences)
        if missing:
            raise WizardError(f"unit price for room {sorted(missing)[0]}, which has no --room difference")


def number(value: Decimal) -> int | float:
    """A TOML number for a Decimal: whole numbers stay integers."""
    return int(value) if value == value.to_integral_value() else float(value)


def plan_entries(
    plan: ContractPlan, bands: list[str] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(contracts, discounts) as plain TOML-ready tables; ``bands`` are the rate code's child bands."""
    plan.check()
    children = (
        plan.children
        if plan.children is not None
        else children_rows([b[0] for b in DEFAULT_BANDS] if bands is None else bands)
    )
    periods = sorted(plan.sales_periods, key=lambda p: p.start)
    base_type = next((p.rate_type for p in periods if not p.early_booking_percent), "")
    contracts = []
    for season in plan.seasons:
        for room, difference in plan.room_differences.items():
            pp = season.pp_dbl + difference
            prices: dict[str, Any]
            if room in season.occupancy:
                prices = {k: number(v) for k, v in season.occupancy[room].items()}
            elif room in plan.unit_rooms:
                prices = {"unit": number(pp * plan.multipliers["dbl"])}
            else:
                prices = {"pp_dbl": number(pp), "multipliers": {k: number(v) for k, v in plan.multipliers.items()}}
            entry: dict[str, Any] = {
                "code": f"{plan.rate_code}-{season.name}-{room}",
                "rate_code": plan.rate_code,
                "rate_type": base_type,
                "room_types": [room],
                "board": plan.board,
                "stay": [season.start, season.end],
            }
            if periods:
                entry["sales_periods"] = [_period(p) for p in periods]
            entry["prices"] = prices
            if room not in plan.unit_rooms and children:
                entry["children"] = children
            if plan.supplements:
                entry["supplements"] = {b: {k: number(v) for k, v in t.items()} for b, t in plan.supplements.items()}
            if plan.rules:
                entry["rules"] = plan.rules
            contracts.append(entry)
    discounts: list[dict[str, Any]] = []  # early booking is the sales periods' cut, not a discount
    return contracts, discounts


def _period(period: SalesPeriod) -> dict[str, Any]:
    entry: dict[str, Any] = {"from": period.start, "to": period.end}
    if period.rate_type:
        entry["rate_type"] = period.rate_type
    if period.early_booking_percent:
        entry["eb_percent"] = number(period.early_booking_percent)
    return entry


def plan_toml(plan: ContractPlan, base_text: str | None = None, *, hotel_currency: str = "EUR") -> str:
    """The plan's entries added to ``base_text`` (a contracts file, comments kept) or to a new file.

    The rate code, room types and boards the plan uses are added when the base
    does not have them. The result is validated before it is returned, so what
    the user reviews will load.
    """
    doc = tomlkit.parse(base_text) if base_text else tomlkit.document()
    if not base_text:
        doc.add(tomlkit.comment("Made by opdesk contracts wizard: review, then opdesk contracts load FILE"))
        hotel = tomlkit.table()
        hotel["currency"] = hotel_currency
        hotel.add(tomlkit.nl())
        doc["hotel"] = hotel
    _ensure(doc, "room_types", list(plan.room_differences), lambda code: {"code": code})
    _ensure(doc, "boards", [plan.board, *plan.supplements], lambda code: {"code": code})
    _ensure(doc, "rate_codes", [plan.rate_code], _new_rate_code)
    rate = next(r for r in doc["rate_codes"] if r.get("code") == plan.rate_code)
    bands = [str(b.get("name")) for b in rate.get("child_bands", []) if isinstance(b, dict)]
    contracts, discounts = plan_entries(plan, bands)
    _append(doc, "contracts", contracts)
    _append(doc, "discounts", discounts)
    text = tomlkit.dumps(doc)
    load_contracts(text, source="the wizard's output")
    return text


def _ensure(doc: Any, key: str, codes: list[str], make: Any) -> None:
    known = {entry.get("code") for entry in doc.get(key, [])}
    _append(doc, key, [make(code) for code in dict.fromkeys(codes) if code not in known])


def _new_rate_code(code: str) -> dict[str, Any]:
    bands = tomlkit.array()
    for name, low, high in DEFAULT_BANDS:
        bands.append(_inline({"name": name, "min": low, "max": high}))
    return {"code": code, "use_prices": "contract", "order_children_by_age": True, "child_bands": bands}


def _append(doc: tomlkit.TOMLDocument, key: str, entries: list[dict[str, Any]]) -> None:
    if not entries:
        return
    if key not in doc:
        doc[key] = tomlkit.aot()
    for entry in entries:
        table = toml_table(entry)
        if not any(isinstance(v, dict) for v in entry.values()):
            table.add(tomlkit.nl())  # tables with sub-tables get their blank lines from tomlkit
        doc[key].append(table)


def toml_table(entry: dict[str, Any]) -> Any:
    table = tomlkit.table()
    for key, value in entry.items():
        if isinstance(value, dict) and key in ("prices", "children", "supplements", "rules"):
            sub = tomlkit.table()
            for k, v in value.items():
                sub[k] = _inline(v) if isinstance(v, dict) else v
            table[key] = sub
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            rows = tomlkit.array()
            rows.multiline(True)
            for v in value:
                rows.append(_inline(v))
            table[key] = rows
        else:
            table[key] = value
    return table


def _inline(values: dict[str, Any]) -> Any:
    inline = tomlkit.inline_table()
    inline.update(values)
    return inline
