"""The demo hotel's contracts: Sunbeach Resort Side, one rate code per operator, daily rates for its own.

Three seasons from ``today`` to ``today`` + 13 months, every room type, sold
bed and breakfast with supplements for the richer boards; early booking
discounts, a stay-7-pay-6 and a promotion. Dates are worked out from
``today`` so the demo always has contracts for the stays it books.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import tomlkit

from core import demo
from core.pricing.wizard import (
    ContractPlan,
    SalesPeriod,
    Season,
    children_rows,
    number,
    plan_entries,
    toml_table,
)

# Per-person difference to the standard double, by room type; the rooms themselves are core.demo's.
PP_DIFFERENCE = {"SGL": 0, "STD": 0, "SV": 8, "FAM": 12, "SUI": 30, "VIL": 55}
ROOM_TYPES = [  # code, capacity, max adults, max persons, per-person difference to the standard double
    (code, capacity, adults, persons, Decimal(PP_DIFFERENCE[code]))
    for code, _name, capacity, adults, persons in demo.ROOM_TYPES
]
BOARDS = [code for code, _name in demo.BOARDS]
SUPPLEMENTS = {  # per person per night on top of bed and breakfast
    "HB": {"adult": Decimal(12), "older": Decimal(6), "young": Decimal(4)},
    "FB": {"adult": Decimal(20), "older": Decimal(10), "young": Decimal(7)},
    "AI": {"adult": Decimal(30), "older": Decimal(15), "young": Decimal(10)},
    "UAI": {"adult": Decimal(42), "older": Decimal(21), "young": Decimal(14)},
}
OFFSETS = {"TUI26": 0, "JET26": 2, "PEG26": -3, "ANX26": -2, "HBD26": 5, "ETS26": -4}  # per person, by rate code
OPERATORS = [  # agency, rate code, per-person offset on the hotel's base price
    (op.agency, op.rate_code, Decimal(OFFSETS[op.rate_code])) for op in demo.OPERATORS
]
DIRECT = {"ONLINE": Decimal(10), "WALKIN": Decimal(20)}  # the hotel's own agencies, per-person above the base
SEASON_PRICES = [("S1", Decimal(48)), ("S2", Decimal(72)), ("S3", Decimal(56))]  # pp_dbl, bed and breakfast
RULES = {
    "min_stay": 2,
    "max_stay": 28,
    "release_days": 2,
    "cancellation_days": 14,
    "prepayment_days": 30,
    "prepayment_percent": 30,
}


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def seasons(today: date) -> list[tuple[str, date, date]]:
    """Three seasons, back to back, from ``today`` to ``today`` + 13 months."""
    bounds = [today, add_months(today, 4), add_months(today, 8), add_months(today, 13)]
    return [
        (name, bounds[i], bounds[i + 1] - timedelta(days=1 if i < 2 else 0))
        for i, (name, _) in enumerate(SEASON_PRICES)
    ]


def demo_contracts_toml(today: date) -> str:
    doc = tomlkit.document()
    doc.add(tomlkit.comment("Sunbeach Resort Side: demo contracts, one rate code per operator."))
    doc["hotel"] = {"code": "SUNBEACH", "currency": "EUR", "vat_percent": 10}
    doc["room_types"] = _aot(
        [{"code": c, "capacity": cap, "max_adults": a, "max_persons": p} for c, cap, a, p, _ in ROOM_TYPES]
    )
    doc["boards"] = _aot([{"code": b} for b in BOARDS])
    doc["agencies"] = _aot(
        [{"code": agency, "rate_codes": [rate]} for agency, rate, _ in OPERATORS]
        + [{"code": code, "rate_codes": [code]} for code in DIRECT]
    )
    doc["rate_codes"] = _aot(
        [_rate_code(rate) for _, rate, _ in OPERATORS] + [_rate_code(code, "daily") for code in DIRECT]
    )
    contracts = []
    for _, rate, offset in OPERATORS:
        made, _ = plan_entries(_plan(rate, offset, today))
        contracts.extend(made)
    doc["contracts"] = _aot(contracts)
    doc["daily_rates"] = _aot(_daily_rates(today))
    doc["discounts"] = _aot(_discounts(today))
    doc["promotions"] = _aot([_promotion(today)])
    return tomlkit.dumps(doc)


def _plan(rate: str, offset: Decimal, today: date) -> ContractPlan:
    return ContractPlan(
        rate_code=rate,
        board="BB",
        seasons=[Season(name, start, end, dict(SEASON_PRICES)[name] + offset) for name, start, end in seasons(today)],
        sales_periods=[SalesPeriod(today - timedelta(days=120), add_months(today, 13), "STD")],
        room_differences={code: diff for code, _, _, _, diff in ROOM_TYPES},
        unit_rooms={"VIL"},
        supplements=SUPPLEMENTS,
        rules=RULES,
    )


def _daily_rates(today: date) -> list[dict[str, Any]]:
    """The hotel's own sales, ONLINE and WALKIN: daily rates per season and room type, above the operators'."""
    rows = []
    for code, offset in DIRECT.items():
        plan = _plan(code, offset, today)
        for name, start, end in seasons(today):
            for room, difference in plan.room_differences.items():
                pp = dict(SEASON_PRICES)[name] + offset + difference
                prices: dict[str, Any] = (
                    {"unit": number(pp * 2)}
                    if room in plan.unit_rooms
                    else {"pp_dbl": number(pp), "multipliers": {k: number(v) for k, v in plan.multipliers.items()}}
                )
                row = {
                    "rate_code": code,
                    "room_type": room,
                    "board": "BB",
                    "from": start,
                    "to": end,
                    "prices": prices,
                    "supplements": {b: {k: number(v) for k, v in t.items()} for b, t in SUPPLEMENTS.items()},
                }
                if room not in plan.unit_rooms:
                    row["children"] = children_rows(["infant", "young", "older"])
                rows.append(row)
    return rows


def _rate_code(code: str, use_prices: str = "contract") -> dict[str, Any]:
    bands = tomlkit.array()
    for name, low, high in (("infant", 0, 1.99), ("young", 2, 6.99), ("older", 7, 12.99)):
        band = tomlkit.inline_table()
        band.update({"name": name, "min": low, "max": high})
        bands.append(band)
    return {"code": code, "use_prices": use_prices, "order_children_by_age": True, "child_bands": bands}


def _discounts(today: date) -> list[dict[str, Any]]:
    everyone = [rate for _, rate, _ in OPERATORS]
    stay = [today, add_months(today, 13)]
    return [
        {
            "code": "EB20",
            "type": "percent",
            "value": 20,
            "rate_codes": everyone[:4],
            "stay": stay,
            "sales": [today - timedelta(days=120), today + timedelta(days=45)],
            "order": 1,
            "incompatible_with": ["EB10"],
            "rules": {"min_days_before": 90, "min_stay": 5},
        },
        {
            "code": "EB10",
            "type": "percent",
            "value": 10,
            "rate_codes": everyone,
            "stay": stay,
            "sales": [today - timedelta(days=120), add_months(today, 6)],
            "order": 2,
            "rules": {"min_days_before": 45},
        },
        {
            "code": "STAY7PAY6",
            "type": "free_nights",
            "value": 1,
            "rate_codes": ["TUI26", "JET26"],
            "stay": stay,
            "order": 10,
            "rules": {"min_stay": 7},
        },
    ]


def _promotion(today: date) -> dict[str, Any]:
    _, start, end = seasons(today)[1]
    return {
        "code": "SUNNY5",
        "type": "percent",
        "value": number(Decimal(5)),
        "stay": [start, end],
        "sales": [today - timedelta(days=30), end],
        "min_stay": 5,
        "min_total": 600,
        "max_uses": 200,
    }


def _aot(entries: list[dict[str, Any]]) -> tomlkit.items.AoT:
    aot = tomlkit.aot()
    for entry in entries:
        aot.append(toml_table(entry))
    return aot
