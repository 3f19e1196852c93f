"""A new season from an old one: ``opdesk contracts copy``.

A revenue manager renews a contract each season with new dates and prices
moved by a percent. The copy is made on the file's own TOML (tomlkit), so the
file keeps its comments and order; the new entry goes right after the one it
was copied from. Every amount is moved and rounded half-up to cents; shares
("50%"), multipliers and percents of commission are not amounts and stay.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import tomlkit
from tomlkit.items import AoT, Comment, Table, Whitespace

from core.errors import InvalidInput
from core.pricing.load import load_contracts, to_decimal

CENT = Decimal("0.01")
PRICE_AMOUNTS = ("sgl", "dbl", "trp", "quad", "extra_bed", "pp_dbl", "unit")


class CopyError(InvalidInput):
    """A copy that cannot be made; the message names the contract or the value and says what to do."""


@dataclass
class CopyPlan:
    code: str  # the contract to copy
    new_code: str
    stay: tuple[date, date]
    sales: tuple[date, date] | None = None  # else the sales dates move with the stay
    change_percent: Decimal = Decimal(0)


@dataclass
class CopyResult:
    text: str  # the whole file with the new entry
    entry: str  # the new entry alone, as TOML


def moved(amount: Decimal, percent: Decimal) -> int | float:
    """``amount`` moved by ``percent`` and rounded half-up to cents, as a TOML number: 126, 94.5, 173.25."""
    value = (amount * (1 + percent / 100)).quantize(CENT, rounding=ROUND_HALF_UP)
    if value == value.to_integral_value():
        return int(value)
    return float(value.normalize())


def copy_contract(text: str, plan: CopyPlan, *, source: str = "") -> CopyResult:
    """The file ``text`` with contract ``plan.code`` copied as ``plan.new_code``; validated before it is returned.

    Raises ``CopyError`` for a copy that cannot be made and ``ContractsError`` when the result does not load.
    """
    if plan.stay[1] < plan.stay[0]:
        raise CopyError(f"--stay: ends {plan.stay[1]} before it starts {plan.stay[0]}")
    if plan.sales is not None and plan.sales[1] < plan.sales[0]:
        raise CopyError(f"--sales: ends {plan.sales[1]} before it starts {plan.sales[0]}")
    try:
        doc = tomlkit.parse(text)
    except Exception as exc:  # noqa: BLE001 - tomlkit has no single error root
        raise CopyError(f"{source}: not valid TOML: {exc}") from None
    entries = doc.get("contracts")
    if not isinstance(entries, AoT):
        raise CopyError(f"{source}: has no [[contracts]] entries")
    codes = [str(entry.get("code", "")) for entry in entries]
    if plan.code not in codes:
        raise CopyError(f"{source}: no contract {plan.code} (it has {', '.join(codes) or 'none'})")
    if plan.new_code in codes:
        raise CopyError(f"{source}: contract {plan.new_code} exists already: choose another --code")
    index = codes.index(plan.code)
    original = entries[index]
    entry = copy.deepcopy(original)
    tail = _pop_tail(original)
    _pop_tail(entry)
    _fill(entry, plan, original)
    _push_tail(original, [(None, Whitespace("\n"))])
    _push_tail(entry, tail)
    entries.insert(index + 1, entry)
    result = tomlkit.dumps(doc)
    load_contracts(result, source=source or "the copied file")
    single = tomlkit.document()
    shown = tomlkit.aot()
    shown.append(copy.deepcopy(entry))
    _pop_tail(shown[0])
    single["contracts"] = shown
    return CopyResult(result, tomlkit.dumps(single))


def _fill(entry: Table, plan: CopyPlan, original: Table) -> None:
    old_stay = _span(original.get("stay"), "stay", plan.code)
    shift = plan.stay[0] - old_stay[0]
    entry["code"] = plan.new_code
    entry["stay"] = _dates_like(original["stay"], plan.stay)
    periods = entry.get("sales_periods")
    if plan.sales is not None:
        if periods:
            raise CopyError(f"contract {plan.code} has sales_periods: leave out --sales and they move with the stay")
        entry["sales"] = (
            [plan.sales[0], plan.sales[1]] if "sales" not in original else _dates_like(original["sales"], plan.sales)
        )
    else:
        if "sales" in entry:
            first, last = _span(entry["sales"], "sales", plan.code)
            entry["sales"] = _dates_like(original["sales"], (first + shift, last + shift))
        for n, period in enumerate(periods or [], start=1):
            for key in ("from", "to"):
                if key in period:
                    day = _day(period[key], f"sales_periods[{n}].{key}", plan.code)
                    period[key] = _date_like(period[key], day + shift)
    percent = plan.change_percent
    prices = entry.get("prices")
    if isinstance(prices, dict):
        for key in PRICE_AMOUNTS:
            if key in prices:
                prices[key] = _moved_value(prices[key], percent, f"prices.{key}", plan.code)
    children = entry.get("children")
    if isinstance(children, dict):
        for row, bands in children.items():
            for band in list(bands) if isinstance(bands, dict) else []:
                if not _is_share(bands[band]):
                    bands[band] = _moved_value(bands[band], percent, f"children.{row}.{band}", plan.code)
    supplements = entry.get("supplements")
    if isinstance(supplements, dict):
        for board, table in supplements.items():
            for key in list(table) if isinstance(table, dict) else []:
                table[key] = _moved_value(table[key], percent, f"supplements.{board}.{key}", plan.code)
    for n, case in enumerate(entry.get("special_cases", []), start=1):
        if "night_total" in case:
            case["night_total"] = _moved_value(
                case["night_total"], percent, f"special_cases[{n}].night_total", plan.code
            )


def _plain(value: Any) -> Any:
    return value.unwrap() if hasattr(value, "unwrap") else value


def _is_share(value: Any) -> bool:
    plain = _plain(value)
    return isinstance(plain, str) and plain.strip().endswith("%")


def _moved_value(value: Any, percent: Decimal, field: str, code: str) -> int | float:
    plain = _plain(value)
    amount = to_decimal(plain) if not isinstance(plain, bool) else None
    if amount is None:
        raise CopyError(f"contract {code}: {field}: must be an amount, got {plain!r}")
    return moved(amount, percent)


def _day(value: Any, field: str, code: str) -> date:
    plain = _plain(value)
    if isinstance(plain, date):
        return plain
    try:
        return date.fromisoformat(str(plain))
    except ValueError:
        raise CopyError(f"contract {code}: {field}: must be a date YYYY-MM-DD, got {plain!r}") from None


def _span(value: Any, field: str, code: str) -> tuple[date, date]:
    plain = _plain(value)
    if not isinstance(plain, list) or len(plain) != 2:
        raise CopyError(f"contract {code}: {field}: must be [first, last] dates, got {plain!r}")
    return _day(plain[0], field, code), _day(plain[1], field, code)


def _date_like(old: Any, day: date) -> Any:
    """``day`` written the way ``old`` was: a TOML date, or text."""
    return day if isinstance(_plain(old), date) else day.isoformat()


def _dates_like(old: Any, span: tuple[date, date]) -> Any:
    items = list(_plain(old)) if isinstance(_plain(old), list) and len(_plain(old)) == 2 else ["", ""]
    return [_date_like(items[0], span[0]), _date_like(items[1], span[1])]


# -- keeping the file's comments where they belong -------------------------------------
def _last_container(table: Table) -> Table:
    """The table whose body ends the entry: the entry itself or its last sub-table."""
    body = table.value.body
    index = len(body) - 1
    while index >= 0 and body[index][0] is None and isinstance(body[index][1], (Comment, Whitespace)):
        index -= 1
    if index >= 0:
        last = body[index][1]
        if isinstance(last, Table) and index == len(body) - 1:
            return _last_container(last)
        if isinstance(last, AoT) and len(last) and index == len(body) - 1:
            return _last_container(last[-1])
    return table


def _pop_tail(table: Table) -> list[tuple[Any, Any]]:
    """Take off the blank lines and comments that end an entry: they introduce the entry after it."""
    body = _last_container(table).value.body
    tail: list[tuple[Any, Any]] = []
    while body and body[-1][0] is None and isinstance(body[-1][1], (Comment, Whitespace)):
        tail.insert(0, body.pop())
    return tail


def _push_tail(table: Table, tail: list[tuple[Any, Any]]) -> None:
    _last_container(table).value.body.extend(tail)


def parse_percent(text: str) -> Decimal:
    try:
        value = Decimal(text.strip().rstrip("%"))
    except InvalidOperation:
        raise CopyError(f"--change-percent: expected a number, got {text!r}") from None
    if not value.is_finite() or value <= -100 or value > 1000:
        raise CopyError(f"--change-percent: must be above -100 and at most 1000, got {text!r}")
    return value
