"""Quote a stay against a ContractSet: every night's contract price, discount and price.

The steps follow the pricing spec in order: sort the children into bands,
find what prices each night, work out each night's contract price, check the
check-in contract's rules, take the discounts in order, then the promotion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any, Sequence

from core.errors import Refused
from core.pricing.model import (
    ADULT,
    WEEKDAYS,
    Contract,
    ContractSet,
    DailyRate,
    Discount,
    PriceSource,
    Promotion,
    RateCode,
    in_range,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money(amount: Decimal) -> str:
    return str(amount.quantize(CENT, rounding=ROUND_HALF_UP))


@dataclass
class QuoteRequest:
    rate_code: str
    room_type: str
    board: str
    check_in: date
    nights: int
    adults: int
    child_ages: list[int | Decimal] = field(default_factory=list)
    booked: date | None = None
    market: str = ""
    agency: str = ""
    discounts: list[str] = field(default_factory=list)
    promo: str = ""
    nationality: str = ""  # ISO 3166-1 alpha-2; empty = unknown
    previous_stays: int = 0  # the guest's earlier stays at the hotel
    adult_ages: list[int | Decimal] = field(default_factory=list)  # ages of the adults whose age is known

    @property
    def check_out(self) -> date:
        return self.check_in + timedelta(days=self.nights)


@dataclass
class Night:
    date: date
    contract_price: Decimal
    discount: Decimal = ZERO
    price: Decimal = ZERO

    def as_dict(self) -> dict[str, str]:
        return {
            "date": self.date.isoformat(),
            "contract_price": money(self.contract_price),
            "discount": money(self.discount),
            "price": money(self.price),
        }


@dataclass(frozen=True)
class Totals:
    """The stay's sums; read as ``totals.price`` or ``totals["price"]``."""

    contract_price: Decimal
    discount: Decimal
    price: Decimal

    def __getitem__(self, key: str) -> Decimal:
        value: Decimal = getattr(self, key)
        return value

    def as_dict(self) -> dict[str, str]:
        return {
            "contract_price": money(self.contract_price),
            "discount": money(self.discount),
            "price": money(self.price),
        }


@dataclass
class Quote:
    ok: bool
    currency: str = ""
    nights: list[Night] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)
    terms: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    rate_code: str = ""
    contract: str = ""  # the check-in night's contract code
    rate_type: str | None = None  # the sales period's, else the check-in contract's

    @property
    def totals(self) -> Totals:
        return Totals(
            contract_price=sum((n.contract_price for n in self.nights), ZERO),
            discount=sum((n.discount for n in self.nights), ZERO),
            price=sum((n.price for n in self.nights), ZERO),
        )

    @property
    def total(self) -> Decimal:
        return sum((n.price for n in self.nights), ZERO)

    def as_dict(self) -> dict[str, Any]:
        if not self.ok:
            return {"ok": False, "errors": list(self.errors)}
        return {
            "ok": True,
            "currency": self.currency,
            "nights": [n.as_dict() for n in self.nights],
            "totals": self.totals.as_dict(),
            "applied": list(self.applied),
            "refused": list(self.refused),
            "terms": dict(self.terms),
            "rate_type": self.rate_type,
        }


class _Refusal(Refused):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule, self.message = rule, message


def _refused(rule: str, message: str) -> Quote:
    return Quote(ok=False, errors=[{"rule": rule, "message": message}])


# -- the quote -------------------------------------------------------------------------
def quote(contract_set: ContractSet, request: QuoteRequest, *, promo_uses: int = 0) -> Quote:
    """Price one room for the stay in ``request``. Never raises for a stay it cannot price:
    the answer is ``ok = False`` with the rule that refused it."""
    rate = _rate_code(contract_set, request)
    if isinstance(rate, Quote):
        return rate
    if request.nights < 1:
        return _refused("nights", f"a stay needs at least one night, got {request.nights}")
    booked = request.booked or request.check_in
    dates = [request.check_in + timedelta(days=i) for i in range(request.nights)]
    try:
        adults, children = _pax(rate, request)
        sources = _sources(contract_set, rate, request, dates)
    except _Refusal as exc:
        return _refused(exc.rule, exc.message)
    contract = sources[0] if isinstance(sources[0], Contract) else None
    errors = _stay_errors(contract_set, contract, request, adults, children, dates, booked)
    try:
        prices = [_night_price(contract_set, rate, src, request.board, adults, children) for src in sources]
    except _Refusal as exc:
        errors.append({"rule": exc.rule, "message": exc.message})
    if errors:
        return Quote(ok=False, errors=errors, rate_code=rate.code)
    currencies = {src.currency for src in sources}
    if len(currencies) > 1:
        return _refused(
            "currency",
            f"the stay's nights are priced in {', '.join(sorted(currencies))}: one stay must be priced in one currency",
        )
    nights = [Night(d, p) for d, p in zip(dates, prices)]
    left = list(prices)
    period = contract.sales_period(booked) if contract is not None else None
    rate_type = (period.rate_type if period is not None and period.rate_type else None) or (
        contract.rate_type if contract is not None and contract.rate_type else None
    )
    result = Quote(
        ok=True,
        currency=sources[0].currency,
        nights=nights,
        rate_code=rate.code,
        contract=contract.label if contract else "",
        terms=_terms(contract),
        rate_type=rate_type,
    )
    if period is not None and period.eb_percent is not None:
        _take_sales_period_cut(period.eb_percent, left)
        result.applied.append(f"sales_period:{period.span[0].isoformat()}")
    stay = _Stay(contract_set, request, rate, contract, dates, booked, adults, len(children), rate_type)
    _apply_discounts(stay, left, result)
    _apply_promotion(stay, left, result, promo_uses)
    for night, rest in zip(nights, left):
        night.price = rest
        night.discount = night.contract_price - rest
    return result


def _take_sales_period_cut(percent: Decimal, left: list[Decimal]) -> None:
    """The sales period's early-booking cut: its percent of every night's contract price, before any discount."""
    for i, price in enumerate(left):
        left[i] = price - (price * percent).scaleb(-2).quantize(CENT, rounding=ROUND_HALF_UP)


def _rate_code(cs: ContractSet, request: QuoteRequest) -> RateCode | Quote:
    code = request.rate_code
    if not code and request.agency:
        codes = cs.agencies.get(request.agency)
        if not codes:
            return _refused("no_contract", f"agency {request.agency} has no rate code in {cs.source}")
        code = codes[0]
    rate = cs.rate_codes.get(code)
    if rate is None:
        return _refused("no_contract", f"no rate code {code or '(none given)'} in {cs.source}")
    return rate


def _pax(rate: RateCode, request: QuoteRequest) -> tuple[int, tuple[str, ...]]:
    """Adults (children past the last band count as adults) and the children's bands, in pricing order."""
    ages = [Decimal(str(a)) for a in request.child_ages]
    if rate.order_children_by_age:
        ages.sort(reverse=True)
    adults, bands = request.adults, []
    for age in ages:
        band = rate.band_of(age)
        if band is None:
            adults += 1
        else:
            bands.append(band)
    return adults, tuple(bands)


def _sources(cs: ContractSet, rate: RateCode, request: QuoteRequest, dates: list[date]) -> list[PriceSource]:
    candidates: Sequence[Contract | DailyRate]
    if rate.use_prices == "contract":
        candidates = cs.by_key.get((rate.code, request.room_type, request.board), ())
    else:
        base = rate.base_rate_code if rate.use_prices == "contract_daily" else rate.code
        candidates = cs.daily_by_key.get((base, request.room_type, request.board), ())
    found: list[PriceSource] = []
    missing: list[date] = []
    nationality = request.nationality.upper()
    for night in dates:
        src: PriceSource | None = None
        left_out: tuple[Contract, str] | None = None
        for candidate in candidates:
            if not candidate.covers(night, request.check_in):
                continue
            if isinstance(candidate, Contract):
                if candidate.inactive:
                    continue
                key = candidate.left_out_by(request.market, request.agency, nationality)
                if key is not None:
                    left_out = left_out or (candidate, key)
                    continue
            src = candidate
            break
        if src is None and left_out is not None:
            raise _Refusal(left_out[1], _left_out_message(left_out[0], left_out[1], request, night))
        if src is None:
            missing.append(night)
        else:
            found.append(src)
    if missing:
        shown = ", ".join(d.isoformat() for d in missing[:3]) + (" …" if len(missing) > 3 else "")
        raise _Refusal(
            "no_contract",
            f"no {rate.use_prices.replace('_', ' ')} price for {rate.code} "
            f"{request.room_type}/{request.board} on {shown}",
        )
    return found


def _left_out_message(contract: Contract, key: str, request: QuoteRequest, night: date) -> str:
    allowed = {"markets": contract.markets, "agencies": contract.agencies, "nationalities": contract.nationalities}
    given = {"markets": request.market, "agencies": request.agency, "nationalities": request.nationality.upper()}
    return (
        f"{contract.label}, the contract for {night}, is for {key} {', '.join(sorted(allowed[key]))}, "
        f"not {given[key] or '(unknown)'}; no other contract admits the stay"
    )


def _night_price(
    cs: ContractSet, rate: RateCode, src: PriceSource, board: str, adults: int, children: tuple[str, ...]
) -> Decimal:
    """One night's contract price for the room; the same pax on the same source is worked out once."""
    key = (board, adults, children, rate.code)
    price = src.night_cache.get(key)
    if price is None:
        price = _work_out_night(cs, rate, src, board, adults, children)
        src.night_cache[key] = price
    if isinstance(price, _Refusal):
        raise price
    return price


def _work_out_night(
    cs: ContractSet, rate: RateCode, src: PriceSource, board: str, adults: int, children: tuple[str, ...]
) -> Decimal | _Refusal:
    try:
        amount = _special_case(src, adults, children)
        if amount is None:
            amount = _room_price(src, adults) + _children_price(src, adults, children)
    except _Refusal as exc:
        return exc
    if board != src.board:
        table = src.supplements.get(board, {})
        amount += table.get(ADULT, ZERO) * adults + sum((table.get(b, ZERO) for b in children), ZERO)
    if rate.use_prices == "contract_daily" and rate.adjust_percent:
        amount *= 1 + rate.adjust_percent / HUNDRED
    if not src.include_commission:
        amount *= 1 + src.commission_percent / HUNDRED
    if src.add_vat:
        amount *= 1 + cs.hotel.vat_percent / HUNDRED
    return cents(amount)


def _special_case(src: PriceSource, adults: int, children: tuple[str, ...]) -> Decimal | None:
    if not src.special_cases:
        return None
    counts = tuple(sorted((b, children.count(b)) for b in set(children)))
    for case in src.special_cases:
        if case.adults == adults and case.children == counts:
            return case.night_total
    return None


def _room_price(src: PriceSource, adults: int) -> Decimal:
    price = src.prices.room_price(adults)
    if price is None:
        raise _Refusal("no_price", f"{src.label}: no room price for {adults} adult(s)")
    return price


def _children_price(src: PriceSource, adults: int, children: tuple[str, ...]) -> Decimal:
    if src.prices.form == "unit" or not children:
        return ZERO
    prefix = "sgl_" if adults == 1 else ""
    total = ZERO
    for position, band in enumerate(children):
        row = prefix + ("first" if position == 0 else "second")
        price = src.children.get(row, {}).get(band)
        if price is None:
            raise _Refusal("no_price", f"{src.label}: no child price children.{row}.{band}")
        if price.percent:
            if src.prices.pp_dbl is None:
                raise _Refusal(
                    "no_price",
                    f"{src.label}: children.{row}.{band} is a share of the double "
                    "price, and the contract has no dbl price",
                )
            total += src.prices.pp_dbl * price.value / HUNDRED
        else:
            total += price.value
    return total


# -- step 4: the check-in contract's rules ----------------------------------------------
def _stay_errors(
    cs: ContractSet,
    contract: Contract | None,
    request: QuoteRequest,
    adults: int,
    children: tuple[str, ...],
    dates: list[date],
    booked: date,
) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []

    def broken(rule: str, message: str) -> None:
        errors.append({"rule": rule, "message": message})

    persons = adults + len(children)
    if contract is not None:
        label = contract.label
        if not contract.sells_on(booked):
            spans = [p.span for p in contract.sales_periods] or ([contract.sales] if contract.sales else [])
            broken(
                "sales",
                f"{label} sells bookings made {' or '.join(_span(s) for s in spans)}; this one was made {booked}",
            )
        if contract.markets and request.market not in contract.markets:
            broken(
                "markets",
                f"{label} is for markets {', '.join(sorted(contract.markets))}, not {request.market or '(none given)'}",
            )
        if contract.agencies and request.agency not in contract.agencies:
            broken(
                "agencies",
                f"{label} is for agencies {', '.join(sorted(contract.agencies))}, "
                f"not {request.agency or '(none given)'}",
            )
        if contract.nationalities and request.nationality.upper() not in contract.nationalities:
            broken(
                "nationalities",
                f"{label} is for nationalities {', '.join(sorted(contract.nationalities))}, "
                f"not {request.nationality.upper() or '(unknown)'}",
            )
        _rule_errors(contract, request, persons, dates, booked, broken)
    room = cs.room_types.get(request.room_type)
    if room is not None:
        if room.max_adults is not None and adults > room.max_adults:
            broken("occupancy", f"{room.code} takes at most {room.max_adults} adults, got {adults}")
        elif room.max_persons is not None and persons > room.max_persons:
            broken("occupancy", f"{room.code} takes at most {room.max_persons} persons, got {persons}")
    return errors


def _rule_errors(
    contract: Contract, request: QuoteRequest, persons: int, dates: list[date], booked: date, broken: Any
) -> None:
    rules, label, nights = contract.rules, contract.label, len(dates)
    if rules.min_stay is not None and nights < rules.min_stay:
        broken("min_stay", f"{label} needs at least {rules.min_stay} nights, got {nights}")
    if rules.max_stay is not None and nights > rules.max_stay:
        broken("max_stay", f"{label} allows at most {rules.max_stay} nights, got {nights}")
    if rules.min_persons is not None and persons < rules.min_persons:
        broken("min_persons", f"{label} needs at least {rules.min_persons} persons, got {persons}")
    if rules.max_persons is not None and persons > rules.max_persons:
        broken("max_persons", f"{label} allows at most {rules.max_persons} persons, got {persons}")
    if rules.check_in_days and request.check_in.weekday() not in rules.check_in_days:
        broken(
            "check_in_days",
            f"{label} allows check-in on {_days(rules.check_in_days)}, "
            f"not {WEEKDAYS[request.check_in.weekday()]} {request.check_in}",
        )
    check_out = request.check_out
    if rules.check_out_days and check_out.weekday() not in rules.check_out_days:
        broken(
            "check_out_days",
            f"{label} allows check-out on {_days(rules.check_out_days)}, "
            f"not {WEEKDAYS[check_out.weekday()]} {check_out}",
        )
    if rules.stay_days:
        off = [d for d in dates if d.weekday() not in rules.stay_days]
        if off:
            broken(
                "stay_days",
                f"{label} sells nights on {_days(rules.stay_days)} only; "
                f"{WEEKDAYS[off[0].weekday()]} {off[0]} is not one",
            )
    if rules.release_days is not None:
        lead = (request.check_in - booked).days
        if lead < rules.release_days:
            broken(
                "release_days", f"{label} closes {rules.release_days} days before check-in; booked {lead} days before"
            )
    stays = request.previous_stays
    if rules.min_arrival is not None and stays < rules.min_arrival:
        broken(
            "min_arrival",
            f"{label} is for guests with at least {rules.min_arrival} earlier stay(s); this guest has {stays}",
        )
    if rules.max_arrival is not None and stays > rules.max_arrival:
        broken(
            "max_arrival",
            f"{label} is for guests with at most {rules.max_arrival} earlier stay(s); this guest has {stays}",
        )


def _days(days: frozenset[int]) -> str:
    return ", ".join(WEEKDAYS[d] for d in sorted(days))


def _span(span: Any) -> str:
    return f"{span[0]}..{span[1]}"


def _terms(contract: Contract | None) -> dict[str, Any]:
    if contract is None:
        return {}
    rules = contract.rules
    terms: dict[str, Any] = {}
    for key in ("cancellation_days", "prepayment_days"):
        if getattr(rules, key) is not None:
            terms[key] = getattr(rules, key)
    if rules.prepayment_percent is not None:
        pct = rules.prepayment_percent
        terms["prepayment_percent"] = int(pct) if pct == pct.to_integral_value() else float(pct)
    return terms


# -- steps 5 and 6: discounts and the promotion --------------------------------------------
@dataclass
class _Stay:
    cs: ContractSet
    request: QuoteRequest
    rate: RateCode
    contract: Contract | None
    dates: list[date]
    booked: date
    adults: int
    children: int
    rate_type: str | None = None

    @property
    def persons(self) -> int:
        return self.adults + self.children

    def known_ages(self) -> list[Decimal]:
        """Every guest's age that is known: all children's, and the adults' that were given."""
        return [Decimal(str(a)) for a in (*self.request.child_ages, *self.request.adult_ages)]


def _apply_discounts(stay: _Stay, left: list[Decimal], result: Quote) -> None:
    named = set(stay.request.discounts)
    applied: list[Discount] = []
    for discount in stay.cs.discounts:
        if discount.rate_codes and stay.rate.code not in discount.rate_codes:
            continue  # not a candidate for this rate code: neither applied nor refused
        reason, eligible = _discount_refusal(stay, discount, named)
        reason = reason or _discount_conflict(discount, applied)
        if reason is not None:
            result.refused.append({"code": discount.code, "reason": reason})
            continue
        _take(discount, eligible, left)
        applied.append(discount)
        result.applied.append(discount.code)
    if stay.request.discounts:
        known = {d.code for d in stay.cs.discounts}
        result.refused.extend(
            {"code": code, "reason": "unknown"} for code in stay.request.discounts if code not in known
        )


def _discount_refusal(stay: _Stay, d: Discount, named: set[str]) -> tuple[str | None, list[int]]:
    """Why ``d`` cannot apply (None when it can), and its eligible nights.

    Checked in the spec's fixed order; the nights are only worked out once the cheap checks pass.
    """
    request = stay.request
    if d.inactive:
        return "inactive", []
    if d.manual and d.code not in named:
        return "manual", []
    if d.room_types and request.room_type not in d.room_types:
        return "room_types", []
    if not in_range(stay.booked, d.sales):
        return "sales", []
    in_stay = _nights_in_stay(stay, d)
    if not in_stay:
        return "stay", []
    if stay.contract is not None and stay.contract.allowed_discounts and d.code not in stay.contract.allowed_discounts:
        return "allowed_discounts", []
    if d.nationalities and request.nationality.upper() not in d.nationalities:
        return "nationalities", []
    reason = _discount_rule(stay, d)
    if reason is not None:
        return reason, []
    days = d.rules.stay_days
    eligible = [i for i in in_stay if stay.dates[i].weekday() in days] if days else in_stay
    if not eligible:
        return "stay_days", []
    if (d.rules.min_age is not None or d.rules.max_age is not None) and not _age_fits(stay, d):
        return "age", []
    return None, eligible


def _discount_rule(stay: _Stay, d: Discount) -> str | None:
    """The first of the discount's own rules the stay breaks, up to (not including) stay_days and age."""
    rules, nights = d.rules, len(stay.dates)
    lead = (stay.request.check_in - stay.booked).days
    checks = (
        ("min_stay", rules.min_stay is not None and nights < rules.min_stay),
        ("max_stay", rules.max_stay is not None and nights > rules.max_stay),
        ("min_days_before", rules.min_days_before is not None and lead < rules.min_days_before),
        ("max_days_before", rules.max_days_before is not None and lead > rules.max_days_before),
        ("min_adults", rules.min_adults is not None and stay.adults < rules.min_adults),
        ("max_adults", rules.max_adults is not None and stay.adults > rules.max_adults),
        ("min_persons", rules.min_persons is not None and stay.persons < rules.min_persons),
        ("max_persons", rules.max_persons is not None and stay.persons > rules.max_persons),
        ("check_in_days", bool(rules.check_in_days) and stay.request.check_in.weekday() not in rules.check_in_days),
        ("check_out_days", bool(rules.check_out_days) and stay.request.check_out.weekday() not in rules.check_out_days),
    )
    return next((key for key, broken in checks if broken), None)


def _age_fits(stay: _Stay, d: Discount) -> bool:
    low, high = d.rules.min_age, d.rules.max_age
    return any((low is None or age >= low) and (high is None or age <= high) for age in stay.known_ages())


def _discount_conflict(d: Discount, applied: list[Discount]) -> str | None:
    if not applied:
        return None
    for other in applied:
        if d.code in other.incompatible_with or other.code in d.incompatible_with:
            return "incompatible"
    if d.apply_alone or any(other.apply_alone for other in applied):
        return "apply_alone"
    return None


def _nights_in_stay(stay: _Stay, d: Discount) -> list[int]:
    """The nights inside the discount's ``stay`` (all of them, by check-in, when ``applies_by = "check_in"``)."""
    if d.stay is None:
        return list(range(len(stay.dates)))
    if d.applies_by == "check_in":
        return list(range(len(stay.dates))) if in_range(stay.request.check_in, d.stay) else []
    first, last = d.stay
    return [i for i, night in enumerate(stay.dates) if first <= night <= last]


def _take(d: Discount, eligible: list[int], left: list[Decimal]) -> None:
    """Take (or, for an addon, add) the discount on what is left of each eligible night."""
    sign = -1 if d.kind == "addon" else 1
    if d.type == "free_nights":
        # The nights with least left go free; on a tie the later night first.
        chosen = sorted(eligible, key=lambda i: (left[i], -i))[: int(d.value)]
        for i in chosen:
            left[i] = ZERO
        return
    if d.type == "percent":
        for i in eligible:
            # scaleb(-2) divides by 100 exactly and is cheaper than a Decimal division
            left[i] -= sign * (left[i] * d.value).scaleb(-2).quantize(CENT, rounding=ROUND_HALF_UP)
        return
    for i in eligible:
        amount = d.value if sign < 0 else min(d.value, left[i])
        left[i] -= sign * amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _apply_promotion(stay: _Stay, left: list[Decimal], result: Quote, uses: int) -> None:
    code = stay.request.promo
    if not code:
        return
    promo = stay.cs.promotions.get(code)
    if promo is None:
        result.refused.append({"code": code, "reason": "unknown"})
        return
    eligible = [i for i, night in enumerate(stay.dates) if _promo_night(promo, night)]
    reason = _promo_refusal(stay, promo, eligible, left, uses, result.currency)
    if reason is not None:
        result.refused.append({"code": code, "reason": reason})
        return
    for i, amount in zip(eligible, _promo_amounts(stay, promo, eligible, left)):
        left[i] -= min(amount, left[i])
    result.applied.append(code)


def _promo_night(promo: Promotion, night: date) -> bool:
    if not in_range(night, promo.stay):
        return False
    return not promo.excluded or not any(a <= night <= b for a, b in promo.excluded)


AMOUNT_PROMOTIONS = ("per_reservation", "per_night", "per_person_night")


def _promo_refusal(
    stay: _Stay, promo: Promotion, eligible: list[int], left: list[Decimal], uses: int, currency: str
) -> str | None:
    if not in_range(stay.booked, promo.sales):
        return "sales"
    if not eligible:
        return "stay"
    if promo.min_stay is not None and len(stay.dates) < promo.min_stay:
        return "min_stay"
    if promo.room_types and stay.request.room_type not in promo.room_types:
        return "room_types"
    if promo.rate_codes and stay.rate.code not in promo.rate_codes:
        return "rate_codes"
    if promo.markets and stay.request.market not in promo.markets:
        return "markets"
    if promo.rate_types and stay.rate_type not in promo.rate_types:
        return "rate_types"
    if promo.type in AMOUNT_PROMOTIONS and promo.currency and promo.currency != currency:
        return "currency"
    if promo.application_area == "extras":
        return "application_area"  # a quote prices accommodation only
    if promo.max_uses is not None and uses >= promo.max_uses:
        return "max_uses"
    if promo.min_total is not None and sum(left, ZERO) < promo.min_total:
        return "min_total"
    return None


def _promo_amounts(stay: _Stay, promo: Promotion, eligible: list[int], left: list[Decimal]) -> list[Decimal]:
    if promo.type == "percent":
        return [(left[i] * promo.value).scaleb(-2).quantize(CENT, rounding=ROUND_HALF_UP) for i in eligible]
    if promo.type == "per_night":
        return [cents(promo.value)] * len(eligible)
    if promo.type == "per_person_night":
        return [cents(promo.value * (stay.adults + stay.children))] * len(eligible)
    # per_reservation: even whole cents a night, the remainder on the last night.
    total = cents(promo.value)
    each = (total / len(eligible)).quantize(CENT, rounding=ROUND_DOWN)
    return [each] * (len(eligible) - 1) + [total - each * (len(eligible) - 1)]
