"""Read and validate a contracts file (TOML) into a ``ContractSet``.

Validation is plain Python over what the TOML reader gives: every problem is collected
with the file, the entry and the field it is in, and a file with any problem
loads nothing (``ContractsError`` lists them all). Entries are counted from 1,
as a person reading the file counts them.
"""

from __future__ import annotations

import functools
import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable

import rtoml

from core.errors import InvalidInput
from core.nationality import is_alpha2
from core.pricing.model import (
    ADULT,
    CHILD_ROWS,
    OCCUPANCY_KEYS,
    WEEKDAYS,
    ChildBand,
    ChildPrice,
    Contract,
    ContractSet,
    DailyRate,
    DateRange,
    Discount,
    DiscountRules,
    Hotel,
    Prices,
    Promotion,
    RateCode,
    RoomType,
    SalesPeriod,
    SpecialCase,
    StayRules,
)

_MISSING = object()
TOP_LEVEL = (
    "hotel",
    "room_types",
    "boards",
    "agencies",
    "rate_codes",
    "contracts",
    "daily_rates",
    "discounts",
    "promotions",
)
USE_PRICES = ("contract", "daily", "contract_daily")
# The hotel's own sales: agencies (and rate codes of the same name, on daily rates) every file has.
DEFAULT_AGENCIES = ("ONLINE", "WALKIN")
DEFAULT_CHILD_BANDS = (
    ChildBand("infant", Decimal(0), Decimal("1.99")),
    ChildBand("young", Decimal(2), Decimal("6.99")),
    ChildBand("older", Decimal(7), Decimal("12.99")),
)


class ContractsError(InvalidInput):
    """A contracts file that cannot be used; each line names the file, the entry and the field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def _shown(value: Any) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


class Entry:
    """One table of the file being read: typed getters that record problems instead of raising."""

    def __init__(self, problems: list[str], source: str, where: str, data: Any, prefix: str = "") -> None:
        self.problems, self.source, self.where, self.prefix = problems, source, where, prefix
        self.ok = isinstance(data, dict)
        self.data: dict[str, Any] = data if self.ok else {}
        self.seen: set[str] = set()
        if not self.ok:
            self.problems.append(f"{source}: {where}: must be a table, got {_shown(data)}")

    def problem(self, key: str, message: str) -> None:
        field = f"{self.prefix}{key}" if key else self.prefix.rstrip(".")
        self.problems.append(f"{self.source}: {self.where}: {field}: {message}")

    def child(self, key: str, default: Any = _MISSING) -> "Entry":
        raw = self.get(key, {} if default is _MISSING else default)
        sub = Entry(self.problems, self.source, self.where, {}, f"{self.prefix}{key}.")
        if isinstance(raw, dict):
            sub.data, sub.ok = raw, True
        else:
            sub.ok = False
            self.problem(key, f"must be a table, got {_shown(raw)}")
        return sub

    def get(self, key: str, default: Any = _MISSING) -> Any:
        self.seen.add(key)
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            self.problem(key, "is required")
        return None if default is _MISSING else default

    def text(self, key: str, default: Any = _MISSING, choices: tuple[str, ...] = ()) -> str:
        value = self.get(key, default)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.problem(key, f"must be text, got {_shown(value)}")
            return ""
        if choices and value not in choices:
            self.problem(key, f"must be one of {', '.join(choices)}, got {_shown(value)}")
        return value

    def number(self, key: str, default: Any = _MISSING, *, minimum: Decimal | None = None) -> Decimal | None:
        value = self.get(key, default)
        if value is None:
            return None
        number = to_decimal(value)
        if number is None:
            self.problem(key, f"must be a number, got {_shown(value)}")
        elif minimum is not None and number < minimum:
            self.problem(key, f"must be at least {minimum}, got {_shown(value)}")
        return number

    def integer(self, key: str, default: Any = _MISSING, *, minimum: int = 0) -> int | None:
        value = self.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, f"must be a whole number, got {_shown(value)}")
            return None
        if value < minimum:
            self.problem(key, f"must be at least {minimum}, got {value}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            self.problem(key, f"must be true or false, got {_shown(value)}")
            return default
        return value

    def codes(self, key: str, known: Callable[[str], bool] | None = None, what: str = "") -> tuple[str, ...]:
        value = self.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(key, f"must be a list of codes, got {_shown(value)}")
            return ()
        if known is not None:
            for code in value:
                if not known(code):
                    self.problem(key, f"unknown {what} {_shown(code)}")
        return tuple(value)

    def nationalities(self, key: str = "nationalities") -> frozenset[str]:
        """ISO 3166-1 alpha-2 codes; written in any case, kept upper case."""
        codes = self.codes(key)
        for code in codes:
            if not is_alpha2(code.upper()):
                self.problem(key, f"{_shown(code)} is not an ISO 3166-1 alpha-2 country code (DE, GB, RU ...)")
        return frozenset(code.upper() for code in codes)

    def weekdays(self, key: str) -> frozenset[int]:
        value = self.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.lower() in WEEKDAYS for v in value):
            self.problem(key, f"must be a list of weekdays (mon..sun), got {_shown(value)}")
            return frozenset()
        return frozenset(WEEKDAYS.index(v.lower()) for v in value)

    def day(self, key: str, value: Any) -> date | None:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(key, f"must be a date YYYY-MM-DD, got {_shown(value)}")
        return None

    def date_range(self, key: str, default: Any = _MISSING, value: Any = _MISSING) -> DateRange | None:
        if value is _MISSING:
            value = self.get(key, default)
        if value is None:
            return None
        if not isinstance(value, list) or len(value) != 2:
            self.problem(key, f"must be [first, last] dates, got {_shown(value)}")
            return None
        first, last = self.day(key, value[0]), self.day(key, value[1])
        if first is None or last is None:
            return None
        if last < first:
            self.problem(key, f"ends ({last}) before it starts ({first})")
            return None
        return first, last

    def done(self) -> None:
        """Report keys nobody read: a misspelt key must not be silently ignored."""
        for key in self.data:
            if key not in self.seen:
                self.problem(key, "unknown key")


def to_decimal(value: Any) -> Decimal | None:
    """A number from TOML (int, float, or numeric text) as a Decimal; None when it is not one.

    Contracts repeat the same few numbers thousands of times, so answers are kept by value.
    """
    return _to_decimal(value) if isinstance(value, (int, float, str)) else None


@functools.lru_cache(maxsize=None, typed=True)  # typed: 1, 1.0 and True stay apart
def _to_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


# -- the file ----------------------------------------------------------------------
def load_contracts(path_or_text: str | Path, *, source: str = "") -> ContractSet:
    """Read a contracts file (a path) or TOML text; raise ``ContractsError`` naming every problem."""
    text, source = _read(path_or_text, source)
    return Reader(source).read(parse_toml(text, source))


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """TOML to plain values. rtoml (Rust) reads a large contracts file several times faster than
    tomllib and gives the same values."""
    try:
        return dict(rtoml.loads(text))
    except rtoml.TomlParsingError as exc:
        raise ContractsError([f"{source}: not valid TOML: {exc}"]) from exc


def _read(path_or_text: str | Path, source: str) -> tuple[str, str]:
    if isinstance(path_or_text, Path) or ("\n" not in path_or_text and "=" not in path_or_text and not source):
        path = Path(path_or_text)
        try:
            return path.read_text(encoding="utf-8"), source or str(path)
        except FileNotFoundError:
            raise ContractsError([f"{path}: file not found"]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ContractsError([f"{path}: cannot read: {exc}"]) from None
    return path_or_text, source or "<contracts>"


class Reader:
    """Builds a ContractSet from parsed TOML, collecting every problem on the way."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []
        self.rate_entries: dict[str, Entry] = {}
        self.discount_codes: set[Any] = set()

    def read(self, data: dict[str, Any]) -> ContractSet:
        for key in data:
            if key not in TOP_LEVEL:
                self.problems.append(f"{self.source}: {key}: unknown table (expected one of {', '.join(TOP_LEVEL)})")
        hotel = self._hotel(data.get("hotel", {}))
        room_types = {r.code: r for r in self._entries(data, "room_types", self._room_type)}
        self.room_types = room_types
        self.boards = frozenset(self._entries(data, "boards", self._board))
        self.rate_codes = {r.code: r for r in self._entries(data, "rate_codes", self._rate_code)}
        for code in DEFAULT_AGENCIES:
            self.rate_codes.setdefault(code, RateCode(code=code, use_prices="daily", child_bands=DEFAULT_CHILD_BANDS))
        self._check_base_rate_codes()
        self.hotel = hotel
        agencies = dict(self._entries(data, "agencies", self._agency))
        self._add_default_agencies(agencies)
        # Contracts name discounts (allowed_discounts) that are read after them.
        discounts_raw = data.get("discounts", [])
        self.discount_codes = (
            {d.get("code") for d in discounts_raw if isinstance(d, dict)} if isinstance(discounts_raw, list) else set()
        )
        contracts = self._entries(data, "contracts", self._contract)
        daily = self._entries(data, "daily_rates", self._daily_rate)
        discounts = self._entries(data, "discounts", self._discount)
        promotions = {p.code: p for p in self._entries(data, "promotions", self._promotion)}
        if self.problems:
            raise ContractsError(self.problems)
        result = ContractSet(
            source=self.source,
            hotel=hotel,
            room_types=room_types,
            boards=self.boards,
            agencies=agencies,
            rate_codes=self.rate_codes,
            contracts=contracts,
            daily_rates=daily,
            discounts=sorted(discounts, key=lambda d: (d.order, d.code)),
            promotions=promotions,
        )
        result.index()
        return result

    # -- entries ---------------------------------------------------------------
    def _entries(self, data: dict[str, Any], table: str, build: Callable[[Entry], Any]) -> list[Any]:
        raw = data.get(table, [])
        if not isinstance(raw, list):
            self.problems.append(f"{self.source}: {table}: must be an array of tables ([[{table}]])")
            return []
        built, codes = [], set()
        for n, item in enumerate(raw, start=1):
            code = item.get("code") if isinstance(item, dict) else None
            where = f"{table}[{n}]" + (f" (code {_shown(code)})" if isinstance(code, str) else "")
            entry = Entry(self.problems, self.source, where, item)
            if not entry.ok:
                continue
            if isinstance(code, str):
                if code in codes:
                    entry.problem("code", f"{_shown(code)} is used by an earlier entry")
                codes.add(code)
            value = build(entry)
            entry.done()
            if value is not None:
                built.append(value)
        return built

    def _hotel(self, raw: Any) -> Hotel:
        entry = Entry(self.problems, self.source, "hotel", raw)
        hotel = Hotel(
            code=entry.text("code", ""),
            currency=entry.text("currency", "EUR"),
            vat_percent=entry.number("vat_percent", 0, minimum=Decimal(0)) or Decimal(0),
        )
        entry.get("name", "")
        entry.done()
        return hotel

    def _room_type(self, e: Entry) -> RoomType:
        e.get("name", "")
        return RoomType(
            code=e.text("code"),
            capacity=e.integer("capacity", 0) or 0,
            max_adults=e.integer("max_adults", None, minimum=1),
            max_persons=e.integer("max_persons", None, minimum=1),
        )

    def _board(self, e: Entry) -> str:
        e.get("name", "")
        return e.text("code")

    def _agency(self, e: Entry) -> tuple[str, tuple[str, ...]]:
        e.get("name", "")
        codes = e.codes("rate_codes", self.rate_codes.__contains__, "rate code")
        if not codes:
            e.problem("rate_codes", "must name at least one rate code")
        return e.text("code"), codes

    def _rate_code(self, e: Entry) -> RateCode:
        e.get("name", "")
        bands = self._bands(e)
        rate = RateCode(
            code=e.text("code"),
            use_prices=e.text("use_prices", "contract", USE_PRICES),
            base_rate_code=e.text("base_rate_code", ""),
            adjust_percent=e.number("adjust_percent", 0, minimum=Decimal(-100)) or Decimal(0),
            order_children_by_age=e.flag("order_children_by_age", True),
            child_bands=bands,
        )
        self.rate_entries[rate.code] = e
        return rate

    def _bands(self, e: Entry) -> tuple[ChildBand, ...]:
        raw = e.get("child_bands", [])
        if not isinstance(raw, list):
            e.problem("child_bands", f"must be a list of {{ name, min, max }}, got {_shown(raw)}")
            return ()
        bands: list[ChildBand] = []
        for n, item in enumerate(raw, start=1):
            band = Entry(self.problems, self.source, e.where, item, f"child_bands[{n}].")
            if not band.ok:
                continue
            name = band.text("name")
            low, high = band.number("min", minimum=Decimal(0)), band.number("max", minimum=Decimal(0))
            band.done()
            if name in (ADULT, "adults"):
                band.problem("name", f"{_shown(name)} is kept for adults; choose another band name")
            if low is not None and high is not None:
                if high < low:
                    band.problem("max", f"is below min ({low})")
                elif bands and low <= bands[-1].max:
                    band.problem(
                        "min",
                        f"overlaps the band before ({bands[-1].name} up to {bands[-1].max}); list bands youngest first",
                    )
                bands.append(ChildBand(name, low, high))
        if len({b.name for b in bands}) != len(bands):
            e.problem("child_bands", "band names must differ")
        return tuple(bands)

    def _add_default_agencies(self, agencies: dict[str, tuple[str, ...]]) -> None:
        """Every hotel sells direct: ONLINE and WALKIN exist, each with a rate code of its name priced from
        daily rates (added with the rate codes), unless the file has its own. Their prices are
        ``[[daily_rates]]`` rows of that rate code."""
        for code in DEFAULT_AGENCIES:
            agencies.setdefault(code, (code,))

    def _check_base_rate_codes(self) -> None:
        for rate in self.rate_codes.values():
            if rate.use_prices != "contract_daily":
                continue
            e = self.rate_entries[rate.code]
            base = self.rate_codes.get(rate.base_rate_code)
            if base is None:
                e.problem(
                    "base_rate_code",
                    f"unknown rate code {_shown(rate.base_rate_code)}"
                    if rate.base_rate_code
                    else 'is required when use_prices = "contract_daily"',
                )
            elif base.use_prices != "daily":
                e.problem("base_rate_code", f"rate code {base.code} does not use daily prices")

    # -- prices ----------------------------------------------------------------
    def _rate_of(self, e: Entry) -> RateCode | None:
        code = e.text("rate_code")
        rate = self.rate_codes.get(code)
        if code and rate is None:
            e.problem("rate_code", f"unknown rate code {_shown(code)} (add it under [[rate_codes]])")
        return rate

    def _board_code(self, e: Entry, key: str = "board") -> str:
        board = e.text(key)
        if board and self.boards and board not in self.boards:
            e.problem(key, f"unknown board {_shown(board)} (add it under [[boards]])")
        return board

    def _price_parts(self, e: Entry, rate: RateCode | None) -> dict[str, Any]:
        bands = tuple(b.name for b in rate.child_bands) if rate else ()
        return dict(
            prices=self._prices(e.child("prices")),
            children=self._children(e.child("children", {}), bands),
            supplements=self._supplements(e.child("supplements", {}), bands),
            currency=e.text("currency", self.hotel.currency),
            commission_percent=e.number("commission_percent", 0, minimum=Decimal(0)) or Decimal(0),
            include_commission=e.flag("include_commission", True),
            add_vat=e.flag("add_vat", False),
        )

    def _prices(self, e: Entry) -> Prices:
        keys = set(e.data)
        forms = [
            name
            for name, marks in (
                ("occupancy", set(OCCUPANCY_KEYS)),
                ("per_person", {"pp_dbl", "multipliers"}),
                ("unit", {"unit"}),
            )
            if keys & marks
        ]
        positive = Decimal(0)
        extra = e.number("extra_bed", None, minimum=positive)
        if len(forms) != 1:
            e.problem(
                "",
                "give one price form: sgl/dbl/trp/quad, or pp_dbl with multipliers, or unit"
                + (f" (found {', '.join(forms)})" if forms else ""),
            )
            e.done()
            return Prices("unit", {}, unit=Decimal(0))
        form = forms[0]
        if form == "unit":
            unit = e.number("unit", minimum=positive)
            e.done()
            return Prices("unit", {}, unit=unit or Decimal(0))
        if form == "occupancy":
            by_adults = {
                n: v
                for n, key in enumerate(OCCUPANCY_KEYS, start=1)
                if (v := e.number(key, None, minimum=positive)) is not None
            }
            e.done()
            dbl = by_adults.get(2)
            return Prices(form, by_adults, extra, pp_dbl=dbl / 2 if dbl is not None else None)
        pp_dbl = e.number("pp_dbl", minimum=positive)
        multipliers = e.child("multipliers")
        factors = {
            n: v
            for n, key in enumerate(OCCUPANCY_KEYS, start=1)
            if (v := multipliers.number(key, None, minimum=positive)) is not None
        }
        multipliers.done()
        e.done()
        if not factors:
            e.problem("multipliers", "must give at least one of sgl, dbl, trp, quad")
        pp = pp_dbl or Decimal(0)
        return Prices(form, {n: pp * f for n, f in factors.items()}, extra, pp_dbl=pp_dbl)

    def _children(self, e: Entry, bands: tuple[str, ...]) -> dict[str, dict[str, ChildPrice]]:
        rows: dict[str, dict[str, ChildPrice]] = {}
        for row in CHILD_ROWS:
            if row not in e.data:
                continue
            table = e.child(row)
            rows[row] = {}
            for band, value in table.data.items():
                table.seen.add(band)
                if band not in bands:
                    table.problem(band, f"unknown child band (the rate code has {', '.join(bands) or 'none'})")
                    continue
                price = _child_price(value)
                if price is None:
                    table.problem(band, f'must be an amount or "N%", got {_shown(value)}')
                else:
                    rows[row][band] = price
        e.done()
        return rows

    def _supplements(self, e: Entry, bands: tuple[str, ...]) -> dict[str, dict[str, Decimal]]:
        result: dict[str, dict[str, Decimal]] = {}
        # A supplement names a board the contract also sells; it need not be listed in [[boards]].
        for board in list(e.data):
            table = e.child(board)
            amounts = {}
            for key in table.data:
                if key != ADULT and key not in bands:
                    table.seen.add(key)
                    table.problem(key, f'must be "adult" or a child band ({", ".join(bands) or "none"})')
                    continue
                amount = table.number(key)
                if amount is not None:
                    amounts[key] = amount
            result[board] = amounts
        return result

    def _special_cases(self, e: Entry, bands: tuple[str, ...]) -> tuple[SpecialCase, ...]:
        raw = e.get("special_cases", [])
        if not isinstance(raw, list):
            e.problem("special_cases", "must be an array of tables ([[contracts.special_cases]])")
            return ()
        cases = []
        for n, item in enumerate(raw, start=1):
            case = Entry(self.problems, self.source, e.where, item, f"special_cases[{n}].")
            if not case.ok:
                continue
            adults = case.integer("adults", minimum=0)
            total = case.number("night_total", minimum=Decimal(0))
            counts = []
            for key in case.data:
                if key in ("adults", "night_total"):
                    continue
                if key not in bands:
                    case.seen.add(key)
                    case.problem(key, f"must be adults, night_total or a child band ({', '.join(bands) or 'none'})")
                    continue
                count = case.integer(key, minimum=0)
                if count:
                    counts.append((key, count))
            if adults is not None and total is not None:
                cases.append(SpecialCase(adults, tuple(sorted(counts)), total))
        return tuple(cases)

    def _rules(self, e: Entry) -> StayRules:
        rules = StayRules(
            min_stay=e.integer("min_stay", None, minimum=1),
            max_stay=e.integer("max_stay", None, minimum=1),
            min_persons=e.integer("min_persons", None, minimum=1),
            max_persons=e.integer("max_persons", None, minimum=1),
            check_in_days=e.weekdays("check_in_days"),
            check_out_days=e.weekdays("check_out_days"),
            stay_days=e.weekdays("stay_days"),
            release_days=e.integer("release_days", None),
            min_arrival=e.integer("min_arrival", None),
            max_arrival=e.integer("max_arrival", None),
            cancellation_days=e.integer("cancellation_days", None),
            prepayment_days=e.integer("prepayment_days", None),
            prepayment_percent=e.number("prepayment_percent", None, minimum=Decimal(0)),
        )
        e.done()
        if rules.min_stay and rules.max_stay and rules.max_stay < rules.min_stay:
            e.problem("max_stay", f"is below min_stay ({rules.min_stay})")
        if rules.min_arrival is not None and rules.max_arrival is not None and rules.max_arrival < rules.min_arrival:
            e.problem("max_arrival", f"is below min_arrival ({rules.min_arrival})")
        return rules

    def _sales_periods(self, e: Entry) -> tuple[SalesPeriod, ...]:
        raw = e.get("sales_periods", [])
        if not isinstance(raw, list):
            e.problem("sales_periods", f"must be a list of {{ from, to, rate_type, eb_percent }}, got {_shown(raw)}")
            return ()
        periods = []
        for n, item in enumerate(raw, start=1):
            period = Entry(self.problems, self.source, e.where, item, f"sales_periods[{n}].")
            if not period.ok:
                continue
            first, last = period.get("from"), period.get("to")
            span = period.date_range("from", value=[first, last]) if first is not None and last is not None else None
            rate_type = period.text("rate_type", "")
            eb = period.number("eb_percent", None, minimum=Decimal(0))
            if eb is not None and eb > 100:
                period.problem("eb_percent", f"cannot exceed 100, got {eb}")
            period.done()
            if span is not None:
                periods.append(SalesPeriod(span, rate_type, eb))
        if periods and "sales" in e.data:
            e.problem("sales_periods", "give sales or sales_periods, not both (sales_periods replace sales)")
        return tuple(periods)

    # -- contracts and daily rates -------------------------------------------------
    def _contract(self, e: Entry) -> Contract:
        rate = self._rate_of(e)
        if rate is not None and rate.use_prices != "contract":
            e.problem("rate_code", f"rate code {rate.code} uses {rate.use_prices} prices, not contracts")
        bands = tuple(b.name for b in rate.child_bands) if rate else ()
        room_types = e.codes("room_types", self._known_room, "room type")
        if not room_types and "room_types" in e.data:
            e.problem("room_types", "must name at least one room type")
        e.get("name", "")
        e.get("notes", "")
        return Contract(
            label=e.text("code"),
            rate_code=rate.code if rate else "",
            board=self._board_code(e),
            **self._price_parts(e, rate),
            special_cases=self._special_cases(e, bands),
            rate_type=e.text("rate_type", ""),
            room_types=room_types,
            stay=e.date_range("stay") or (date.min, date.min),
            sales=e.date_range("sales", None),
            price_basis=e.text("price_basis", "stay_date", ("stay_date", "check_in")),
            markets=frozenset(e.codes("markets")),
            agencies=frozenset(e.codes("agencies")),
            nationalities=e.nationalities(),
            allowed_discounts=frozenset(e.codes("allowed_discounts", self.discount_codes_known, "discount")),
            rules=self._rules(e.child("rules", {})),
            inactive=e.flag("inactive", False),
            sales_periods=self._sales_periods(e),
        )

    def discount_codes_known(self, code: str) -> bool:
        return code in self.discount_codes

    def _known_room(self, code: str) -> bool:
        return not self.room_types or code in self.room_types

    def _daily_rate(self, e: Entry) -> DailyRate:
        rate = self._rate_of(e)
        if rate is not None and rate.use_prices != "daily":
            e.problem(
                "rate_code",
                f"rate code {rate.code} uses {rate.use_prices} prices; "
                'daily rates belong to a rate code with use_prices = "daily"',
            )
        room = e.text("room_type")
        if room and not self._known_room(room):
            e.problem("room_type", f"unknown room type {_shown(room)}")
        first, last = e.get("from"), e.get("to")
        span = e.date_range("from", value=[first, last]) if first is not None and last is not None else None
        return DailyRate(
            label=e.where.split(" ")[0],
            rate_code=rate.code if rate else "",
            board=self._board_code(e),
            **self._price_parts(e, rate),
            room_type=room,
            span=span or (date.min, date.min),
        )

    # -- discounts and promotions -------------------------------------------------
    def _discount(self, e: Entry) -> Discount:
        e.get("name", "")
        kind = e.text("kind", "discount", ("discount", "addon"))
        dtype = e.text("type", choices=("percent", "amount", "free_nights"))
        value = e.number("value", minimum=Decimal(0)) or Decimal(0)
        if dtype == "percent" and kind == "discount" and value > 100:
            e.problem("value", f"a percent discount cannot exceed 100, got {value}")
        if dtype == "free_nights":
            if kind == "addon":
                e.problem("type", "free_nights cannot be an addon")
            if value != value.to_integral_value() or value < 1:
                e.problem("value", f"free_nights must be a whole number of nights, at least 1, got {value}")
        incompatible = e.codes("incompatible_with", self.discount_codes_known, "discount")
        rules = e.child("rules", {})
        discount = Discount(
            code=e.text("code"),
            type=dtype,
            value=value,
            kind=kind,
            rate_codes=frozenset(e.codes("rate_codes", self.rate_codes.__contains__, "rate code")),
            room_types=frozenset(e.codes("room_types", self._known_room, "room type")),
            stay=e.date_range("stay", None),
            sales=e.date_range("sales", None),
            applies_by=e.text("applies_by", "stay_date", ("stay_date", "check_in")),
            order=e.integer("order", 0, minimum=-(10**9)) or 0,
            apply_alone=e.flag("apply_alone", False),
            manual=e.flag("manual", False),
            inactive=e.flag("inactive", False),
            incompatible_with=frozenset(incompatible),
            nationalities=e.nationalities(),
            rules=DiscountRules(
                min_stay=rules.integer("min_stay", None, minimum=1),
                max_stay=rules.integer("max_stay", None, minimum=1),
                min_days_before=rules.integer("min_days_before", None),
                max_days_before=rules.integer("max_days_before", None),
                check_in_days=rules.weekdays("check_in_days"),
                min_adults=rules.integer("min_adults", None),
                max_adults=rules.integer("max_adults", None),
                min_persons=rules.integer("min_persons", None),
                max_persons=rules.integer("max_persons", None),
                check_out_days=rules.weekdays("check_out_days"),
                stay_days=rules.weekdays("stay_days"),
                min_age=rules.number("min_age", None, minimum=Decimal(0)),
                max_age=rules.number("max_age", None, minimum=Decimal(0)),
            ),
        )
        rules.done()
        r = discount.rules
        if r.min_age is not None and r.max_age is not None and r.max_age < r.min_age:
            rules.problem("max_age", f"is below min_age ({r.min_age})")
        return discount

    def _promotion(self, e: Entry) -> Promotion:
        e.get("name", "")
        ptype = e.text("type", choices=("percent", "per_reservation", "per_night", "per_person_night"))
        value = e.number("value", minimum=Decimal(0)) or Decimal(0)
        if ptype == "percent" and value > 100:
            e.problem("value", f"a percent promotion cannot exceed 100, got {value}")
        excluded_raw = e.get("excluded", [])
        excluded = []
        if not isinstance(excluded_raw, list):
            e.problem("excluded", f"must be a list of [first, last] date ranges, got {_shown(excluded_raw)}")
        else:
            for span in excluded_raw:
                found = e.date_range("excluded", value=span)
                if found:
                    excluded.append(found)
        return Promotion(
            code=e.text("code"),
            type=ptype,
            value=value,
            stay=e.date_range("stay", None),
            sales=e.date_range("sales", None),
            min_stay=e.integer("min_stay", None, minimum=1),
            min_total=e.number("min_total", None, minimum=Decimal(0)),
            max_uses=e.integer("max_uses", None),
            room_types=frozenset(e.codes("room_types", self._known_room, "room type")),
            rate_codes=frozenset(e.codes("rate_codes", self.rate_codes.__contains__, "rate code")),
            excluded=tuple(excluded),
            markets=frozenset(e.codes("markets")),
            rate_types=frozenset(e.codes("rate_types")),
            currency=e.text("currency", ""),
            application_area=e.text("application_area", "both", ("accommodation", "extras", "both")),
        )


def _child_price(value: Any) -> ChildPrice | None:
    """A child row's entry: an amount, or "N%" of pp_dbl; kept by value, as numbers are."""
    return _parse_child_price(value) if isinstance(value, (int, float, str)) else None


@functools.lru_cache(maxsize=None, typed=True)
def _parse_child_price(value: Any) -> ChildPrice | None:
    if isinstance(value, str) and value.strip().endswith("%"):
        share = to_decimal(value.strip()[:-1])
        return ChildPrice(share, percent=True) if share is not None and share >= 0 else None
    amount = to_decimal(value)
    return ChildPrice(amount) if amount is not None and amount >= 0 else None
