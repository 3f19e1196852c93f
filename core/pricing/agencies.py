"""Agencies and their rate codes, as the app's agencies screen lists and edits them.

The contracts file stays the one place they are kept: an edit is made on the
file's own TOML through tomlkit (so its comments and order stay), checked by
loading the result, and only then written. The agencies every hotel has
(ONLINE, WALKIN: ``core.pricing.load.DEFAULT_AGENCIES``) are listed even when
the file leaves them out; editing one writes it into the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import tomlkit
from tomlkit.items import AoT

from core.errors import InvalidInput
from core.pricing.load import USE_PRICES, load_contracts
from core.pricing.model import ChildBand, ContractSet, RateCode

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
BAND = re.compile(r"^\s*(?P<name>[A-Za-z][A-Za-z0-9_]*)\s+(?P<min>[0-9.]+)\s*-\s*(?P<max>[0-9.]+)\s*$")


class AgencyEditError(InvalidInput):
    """An edit that cannot be written; the message names the field and says what it takes."""


@dataclass
class AgencyRow:
    """One line of the agencies screen: an agency and one of its rate codes."""

    agency: str
    rate_code: str
    prices: str  # "contract", "daily", "contract_daily of ONLINE -10%"
    child_bands: str  # "infant 0-1.99, young 2-6.99, older 7-12.99"
    rate: RateCode | None
    agency_rate_codes: tuple[str, ...] = ()


@dataclass
class AgencyEdit:
    agency: str
    rate_codes: list[str]
    rate_code: str  # the rate code whose price model and bands are set
    use_prices: str = "contract"
    base_rate_code: str = ""
    adjust_percent: Decimal = Decimal(0)
    child_bands: list[ChildBand] = field(default_factory=list)


def price_model(rate: RateCode) -> str:
    if rate.use_prices != "contract_daily":
        return rate.use_prices
    adjust = f" {rate.adjust_percent:+}%" if rate.adjust_percent else ""
    return f"contract_daily of {rate.base_rate_code}{adjust}"


def bands_text(bands: tuple[ChildBand, ...] | list[ChildBand]) -> str:
    return ", ".join(f"{b.name} {b.min}-{b.max}" for b in bands)


def agency_rows(cs: ContractSet) -> list[AgencyRow]:
    """Every agency with each of its rate codes, in the file's order (the default agencies last)."""
    rows = []
    for agency, codes in cs.agencies.items():
        for code in codes:
            rate = cs.rate_codes.get(code)
            rows.append(
                AgencyRow(
                    agency,
                    code,
                    price_model(rate) if rate else "?",
                    bands_text(rate.child_bands) if rate else "",
                    rate,
                    codes,
                )
            )
    return rows


def parse_codes(text: str, what: str) -> list[str]:
    codes = [part.strip() for part in text.split(",") if part.strip()]
    if not codes:
        raise AgencyEditError(f"{what}: give at least one code")
    for code in codes:
        if not CODE.match(code):
            raise AgencyEditError(f"{what}: {code!r} is not a code (letters, digits, '-', '_', '.')")
    return list(dict.fromkeys(codes))


def parse_bands(text: str) -> list[ChildBand]:
    """``infant 0-1.99, young 2-6.99`` as bands, youngest first; empty text is no bands (children are adults)."""
    bands: list[ChildBand] = []
    for part in (p for p in text.split(",") if p.strip()):
        match = BAND.match(part)
        if not match:
            raise AgencyEditError(f"child bands: {part.strip()!r} is not NAME MIN-MAX (e.g. young 2-6.99)")
        try:
            low, high = Decimal(match["min"]), Decimal(match["max"])
        except InvalidOperation:
            raise AgencyEditError(f"child bands: {part.strip()!r}: ages must be numbers") from None
        if high < low or (bands and low <= bands[-1].max):
            raise AgencyEditError(f"child bands: {part.strip()!r}: give bands youngest first, not overlapping")
        bands.append(ChildBand(match["name"], low, high))
    return bands


def parse_percent(text: str) -> Decimal:
    try:
        value = Decimal(text.strip() or "0")
    except InvalidOperation:
        raise AgencyEditError(f"adjust percent: expected a number, got {text.strip()!r}") from None
    if not value.is_finite() or not Decimal(-100) <= value <= Decimal(1000):
        raise AgencyEditError(f"adjust percent: from -100 to 1000, got {text.strip()!r}")
    return value


def apply_edit(text: str, edit: AgencyEdit, *, source: str) -> str:
    """The file ``text`` with the agency and its rate code as ``edit`` says; raises ``ContractsError`` (or
    ``AgencyEditError``) and gives nothing when the result would not load."""
    if edit.use_prices not in USE_PRICES:
        raise AgencyEditError(f"price model: one of {', '.join(USE_PRICES)}, got {edit.use_prices!r}")
    if edit.rate_code not in edit.rate_codes:
        raise AgencyEditError(f"rate codes: must include {edit.rate_code}")
    doc = tomlkit.parse(text)
    created: list[Any] = []
    agency = _entry(doc, "agencies", edit.agency, created)
    agency["rate_codes"] = list(edit.rate_codes)
    rate = _entry(doc, "rate_codes", edit.rate_code, created)
    # A value is only written when it changes, so an unchanged line keeps its comment as it was.
    _set(rate, "use_prices", edit.use_prices)
    if edit.use_prices == "contract_daily":
        _set(rate, "base_rate_code", edit.base_rate_code)
        _set(rate, "adjust_percent", _number(edit.adjust_percent))
    if _bands_of(rate) != [(b.name, b.min, b.max) for b in edit.child_bands]:
        bands = tomlkit.array()
        bands.multiline(True)
        for band in edit.child_bands:
            inline = tomlkit.inline_table()
            inline.update({"name": band.name, "min": _number(band.min), "max": _number(band.max)})
            bands.append(inline)
        rate["child_bands"] = bands
    for entry in created:
        entry.add(tomlkit.nl())  # a blank line before the table that follows
    result = tomlkit.dumps(doc)
    load_contracts(result, source=source)
    return result


def _entry(doc: Any, table: str, code: str, created: list[Any]) -> Any:
    """The ``[[table]]`` entry with ``code``; added at the end of the table when the file has none."""
    entries = doc.get(table)
    if entries is None:
        doc[table] = entries = tomlkit.aot()
    if not isinstance(entries, AoT):
        raise AgencyEditError(f"{table}: the file must give it as [[{table}]] entries")
    for entry in entries:
        if entry.get("code") == code:
            return entry
    entry = tomlkit.table()
    entry["code"] = code
    entries.append(entry)
    created.append(entries[-1])
    return entries[-1]


def _set(table: Any, key: str, value: Any) -> None:
    current = table.get(key)
    plain = current.unwrap() if hasattr(current, "unwrap") else current
    if key not in table or plain != value:
        table[key] = value


def _bands_of(rate: Any) -> list[tuple[str, Decimal, Decimal]]:
    found = []
    for band in rate.get("child_bands", []):
        try:
            found.append((str(band["name"]), Decimal(str(band["min"])), Decimal(str(band["max"]))))
        except (KeyError, TypeError, InvalidOperation):
            return []
    return found


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)
