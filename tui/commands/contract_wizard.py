"""`opdesk contracts wizard` without flags: the wizard asks for each value in turn.

Every answer has a default where one makes sense and is checked as it is
typed: a wrong date or number is asked again with the reason, so the person
never gets to the end to learn that the first answer was wrong. The plan is
the same ``ContractPlan`` the flags build, so both ways write the same file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

import tomlkit
import typer

from core.pricing.model import CHILD_ROWS, OCCUPANCY_KEYS
from core.pricing.wizard import DEFAULT_BANDS, DEFAULT_MULTIPLIERS, ContractPlan, SalesPeriod, Season, children_rows

T = TypeVar("T")
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
MAX_SEASONS = 24
MAX_PERIODS = 12


def ask(text: str, parse: Callable[[str], T], default: str | None = None) -> T:
    """Ask until ``parse`` takes the answer; ``parse`` raises ``typer.BadParameter`` with the reason."""
    value: T = typer.prompt(text, default=default, value_proc=parse, show_default=default not in (None, ""))
    return value


def code(text: str) -> str:
    value = text.strip()
    if not CODE.match(value):
        raise typer.BadParameter("letters, digits, '-', '_' or '.', at most 32, starting with a letter or digit")
    return value


def codes(text: str) -> list[str]:
    values = [code(part) for part in text.split(",") if part.strip()]
    if not values:
        raise typer.BadParameter("give at least one, separated by commas")
    if len(set(values)) != len(values):
        raise typer.BadParameter("each only once")
    return values


def number(text: str, *, minimum: Decimal = Decimal(0), maximum: Decimal | None = None) -> Decimal:
    try:
        value = Decimal(text.strip().rstrip("%"))
    except InvalidOperation:
        raise typer.BadParameter(f"expected a number, got {text.strip()!r}") from None
    if not value.is_finite() or value < minimum or (maximum is not None and value > maximum):
        limit = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
        raise typer.BadParameter(f"expected a number {limit}, got {text.strip()!r}")
    return value


def day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"expected a date YYYY-MM-DD, got {text.strip()!r}") from None


def day_from(first: date) -> Callable[[str], date]:
    def parse(text: str) -> date:
        value = day(text)
        if value < first:
            raise typer.BadParameter(f"must be on or after {first}")
        return value

    return parse


def multipliers(text: str) -> dict[str, Decimal]:
    found: dict[str, Decimal] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or key not in OCCUPANCY_KEYS:
            raise typer.BadParameter(f"expected KEY=NUMBER with keys {', '.join(OCCUPANCY_KEYS)}, got {part.strip()!r}")
        found[key] = number(value, minimum=Decimal("0.01"))
    if "dbl" not in found:
        raise typer.BadParameter("dbl is required (pp_dbl is the price of one person in a double)")
    return found


def child_price(text: str) -> Any:
    value = text.strip()
    if value.endswith("%"):
        return f"{number(value, maximum=Decimal(1000)).normalize():f}%"
    amount = number(value)
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def base_file(text: str) -> Path | None:
    if not text.strip():
        return None
    path = Path(text.strip()).expanduser()
    if not path.is_file():
        raise typer.BadParameter(f"{path}: no such file")
    return path


def _bands_of(base: Path | None, rate_code: str) -> list[str]:
    if base is not None:
        try:
            doc = tomlkit.parse(base.read_text(encoding="utf-8"))
        except Exception:  # noqa: BLE001 - a broken base file is reported when the result is built
            return [b[0] for b in DEFAULT_BANDS]
        for rate in doc.get("rate_codes", []):
            if rate.get("code") == rate_code:
                return [str(b.get("name")) for b in rate.get("child_bands", []) if isinstance(b, dict)]
    return [b[0] for b in DEFAULT_BANDS]


def ask_plan(base_default: Path | None) -> tuple[ContractPlan, Path | None]:
    """Every value of a plan, asked in turn: rate code, rooms, board, prices, seasons, children, sales periods."""
    base = ask(
        "Add to an existing contracts file (empty: a new file)", base_file, str(base_default) if base_default else ""
    )
    rate_code = ask("Rate code", code, "W27")
    rooms = ask("Room types, separated by commas", codes, "STD")
    board = ask("Board the prices are for (BB, HB, AI ...)", code, "BB")
    form = ask(
        "Price form: pp (per-person double price with multipliers) or occupancy (sgl/dbl/trp/quad)",
        _choice("pp", "occupancy"),
        "pp",
    )
    factors, differences, unit_rooms = dict(DEFAULT_MULTIPLIERS), {room: Decimal(0) for room in rooms}, set()
    if form == "pp":
        shown = ",".join(f"{k}={v}" for k, v in DEFAULT_MULTIPLIERS.items())
        factors = ask("Multipliers of pp_dbl by occupancy", multipliers, shown)
        for room in rooms[1:]:
            differences[room] = ask(f"{room}: per-person difference to the {rooms[0]} price", _signed, "0")
        unit_rooms = set(
            ask("Rooms sold per unit whoever stays, separated by commas (empty: none)", _subset(rooms), "")
        )
    seasons = _ask_seasons(form, rooms)
    plan = ContractPlan(
        rate_code=rate_code,
        board=board,
        seasons=seasons,
        sales_periods=[],
        room_differences=differences,
        multipliers=factors,
        unit_rooms=unit_rooms,
    )
    bands = _bands_of(base, rate_code)
    if bands and not typer.confirm(
        f"Usual child prices for bands {', '.join(bands)} (youngest free, "
        "the oldest 50% as first child, 70% otherwise)?",
        default=True,
    ):
        usual = children_rows(bands)
        plan.children = {
            row: {
                band: ask(
                    f"Child price, {row} child, {band} (an amount or N% of pp_dbl)", child_price, str(usual[row][band])
                )
                for band in bands
            }
            for row in CHILD_ROWS
        }
    plan.sales_periods = _ask_periods()
    return plan, base


def _ask_seasons(form: str, rooms: list[str]) -> list[Season]:
    seasons: list[Season] = []
    while len(seasons) < MAX_SEASONS:
        n = len(seasons) + 1
        name = ask(f"Season {n}: name", code, f"S{n}")
        start_default = str(seasons[-1].end + timedelta(days=1)) if seasons else None
        first = ask(f"Season {name}: first night (YYYY-MM-DD)", day, start_default)
        last = ask(f"Season {name}: last night (YYYY-MM-DD)", day_from(first))
        season = Season(name, first, last)
        if form == "pp":
            season.pp_dbl = ask(f"Season {name}: per-person double price (pp_dbl)", _positive)
        else:
            for room in rooms:
                prices: dict[str, Decimal] = {}
                for key in (*OCCUPANCY_KEYS, "extra_bed"):
                    required = key == "dbl"
                    value = ask(
                        f"Season {name}, {room}: {key} price{'' if required else ' (empty: none)'}",
                        _positive if required else _optional,
                        None if required else "",
                    )
                    if value is not None:
                        prices[key] = value
                season.occupancy[room] = prices
        seasons.append(season)
        if not typer.confirm("Another season?", default=False):
            break
    return seasons


def _ask_periods() -> list[SalesPeriod]:
    periods: list[SalesPeriod] = []
    while len(periods) < MAX_PERIODS and typer.confirm(
        "Add a sales period?" if not periods else "Another sales period?", default=False
    ):
        n = len(periods) + 1
        start_default = str(periods[-1].end + timedelta(days=1)) if periods else None
        first = ask(f"Sales period {n}: first booking date (YYYY-MM-DD)", day, start_default)
        last = ask(f"Sales period {n}: last booking date (YYYY-MM-DD)", day_from(first))
        rate_type = ask(f"Sales period {n}: rate type", code, "NRF" if n == 1 else "REF")
        eb = ask(f"Sales period {n}: early-booking percent (0: none)", _percent, "0")
        periods.append(SalesPeriod(first, last, rate_type, eb))
    return periods


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in choices:
            raise typer.BadParameter(f"one of {', '.join(choices)}")
        return value

    return parse


def _subset(allowed: list[str]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        if not text.strip():
            return []
        values = codes(text)
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise typer.BadParameter(f"{unknown[0]} is not one of the room types ({', '.join(allowed)})")
        return values

    return parse


def _positive(text: str) -> Decimal:
    return number(text, minimum=Decimal("0.01"))


def _signed(text: str) -> Decimal:
    return number(text, minimum=Decimal(-(10**6)))


def _percent(text: str) -> Decimal:
    return number(text, maximum=Decimal(100))


def _optional(text: str) -> Decimal | None:
    return _positive(text) if text.strip() else None
