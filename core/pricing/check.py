"""The price check run at ingest: an operator reservation quoted against the hotel's contracts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.models import CheckState
from core.nationality import to_alpha2
from core.pricing.load import ContractsError
from core.pricing.model import ContractSet, RateCode
from core.pricing.quote import Quote, QuoteRequest, money, quote
from core.pricing.store import active_contracts, promo_uses
from core.stay import CheckContext, CheckOutcome, StayFacts
from core.text import fold_name

if TYPE_CHECKING:
    from core.store import Store

DEFAULT_TOLERANCE_PERCENT = Decimal(1)
DEFAULT_TOLERANCE_AMOUNT = Decimal("1.00")


def check_price(facts: StayFacts, ctx: CheckContext) -> CheckOutcome:
    """Quote ``facts`` and compare with the operator's price.

    Until contracts are loaded there is nothing to compare with: the answer is
    "no contract", never "ok".
    """
    if not facts.check_in or not facts.check_out or facts.check_out <= facts.check_in:
        return CheckOutcome(CheckState.SKIPPED, "no stay dates")
    try:
        active = active_contracts(ctx.store, ctx.cache)
    except ContractsError as exc:
        return CheckOutcome(CheckState.NO_CONTRACT, f"the active contracts no longer load: {exc.problems[0]}")
    if active is None:
        return CheckOutcome(CheckState.NO_CONTRACT, "no contracts loaded (opdesk contracts load FILE)")
    request = request_from_facts(facts, active[1])
    if active[1].counts_arrivals:
        request.previous_stays = earlier_stays(ctx.store, facts)
    uses = (
        promo_uses(ctx.store, facts.promo_code, operator=facts.operator, voucher=facts.voucher)
        if facts.promo_code
        else 0
    )
    answer = quote(active[1], request, promo_uses=uses)
    if not answer.ok:
        return _not_priced(answer, facts)
    return compare(answer, facts, tolerance(ctx))


def request_from_facts(facts: StayFacts, contracts: ContractSet | None = None) -> QuoteRequest:
    """The quote a booking asks for; the caller fills ``previous_stays`` (it needs the store)."""
    assert facts.check_in is not None and facts.check_out is not None  # priced only with stay dates
    rate = contracts.rate_codes.get(facts.hotel_rate or "") if contracts is not None else None
    return QuoteRequest(
        rate_code=facts.hotel_rate or "",
        room_type=facts.hotel_room or "",
        board=facts.hotel_board or "",
        check_in=facts.check_in,
        nights=(facts.check_out - facts.check_in).days,
        adults=facts.adults,
        child_ages=list(facts.child_ages),
        booked=facts.sale_date or facts.received or date.today(),
        market=facts.hotel_market or "",
        agency=facts.hotel_agency or "",
        discounts=list(facts.discount_codes),
        promo=facts.promo_code or "",
        nationality=stay_nationality(facts),
        adult_ages=adult_ages(facts, rate),
    )


def stay_nationality(facts: StayFacts) -> str:
    """The booking's nationality, else its lead guest's. Stored ones are alpha-2 already; rows stored before
    nationalities were normalised on arrival are turned into alpha-2 here."""
    sent = facts.nationality or (facts.guests[0].nationality if facts.guests else "")
    return to_alpha2(sent) if sent else ""


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def adult_ages(facts: StayFacts, rate: RateCode | None) -> list[int | Decimal]:
    """Ages at check-in, from birth dates, of the guests who are adults (older than every child band,
    else 18 or more); at most as many as the booking has adults."""
    assert facts.check_in is not None
    ages: list[int | Decimal] = []
    for guest in facts.guests:
        if guest.birth_date is None or guest.birth_date > facts.check_in:
            continue
        age = age_on(guest.birth_date, facts.check_in)
        grown = rate.band_of(Decimal(age)) is None if rate is not None and rate.child_bands else age >= 18
        if grown:
            ages.append(age)
    return ages[: max(facts.adults, 0)]


# The same guest in another booking: by e-mail when both have one, else by folded first name, last
# name and birth date. Only the hotel book counts (saved, not cancelled), and not this booking's own.
EARLIER_STAYS_SQL = """
SELECT COUNT(DISTINCT h.id) FROM hotel_reservations h
JOIN operator_reservations r ON r.hotel_reservation_id = h.id
JOIN guests g ON g.reservation_id = r.id
WHERE h.status != 'cancelled' AND h.check_out <= :check_in
  AND NOT EXISTS (SELECT 1 FROM hotel_vouchers v WHERE v.hotel_reservation_id = h.id
                  AND v.operator = :operator AND v.voucher = :voucher)
  AND CASE WHEN :email != '' AND g.email != '' THEN lower(g.email) = :email
           ELSE :birth != '' AND g.birth_date = :birth AND opdesk_fold(g.first_name) = :first
                AND opdesk_fold(g.last_name) = :last END
"""


def earlier_stays(store: "Store", facts: StayFacts) -> int:
    """The lead guest's earlier stays in the hotel book: other saved, not cancelled reservations that
    ended on or before this check-in."""
    if not facts.guests or facts.check_in is None:
        return 0
    lead = facts.guests[0]
    params = {
        "check_in": facts.check_in.isoformat(),
        "operator": facts.operator,
        "voucher": facts.voucher,
        "email": lead.email.strip().lower(),
        "birth": lead.birth_date.isoformat() if lead.birth_date else "",
        "first": fold_name(lead.first_name.strip()),
        "last": fold_name(lead.last_name.strip()),
    }
    if not params["email"] and not (params["birth"] and params["last"]):
        return 0
    return int(store.scalar(EARLIER_STAYS_SQL, params) or 0)


def tolerance(ctx: CheckContext) -> tuple[Decimal, Decimal]:
    table = ctx.config.section("pricing")
    return (
        Decimal(str(table.get("tolerance_percent", DEFAULT_TOLERANCE_PERCENT))),
        Decimal(str(table.get("tolerance_amount", DEFAULT_TOLERANCE_AMOUNT))),
    )


def _not_priced(answer: Quote, facts: StayFacts) -> CheckOutcome:
    first = answer.errors[0]
    details: dict[str, Any] = {
        "nights": [],
        "contract_total": None,
        "currency": facts.currency,
        "applied": [],
        "refused": [],
        "rule": first["rule"],
        "errors": answer.errors,
        "operator_total": money(facts.total) if facts.total is not None else None,
    }
    if first["rule"] == "no_contract":
        return CheckOutcome(CheckState.NO_CONTRACT, first["message"], details)
    return CheckOutcome(CheckState.REFUSED, f"{first['rule']}: {first['message']}", details)


def compare(answer: Quote, facts: StayFacts, limits: tuple[Decimal, Decimal]) -> CheckOutcome:
    """The operator's total against the quote (times the rooms booked) within the tolerance."""
    rooms = max(facts.rooms, 1)
    sent = {n.date: n.amount for n in facts.night_prices}
    nights = []
    for night in answer.nights:
        row = {
            "date": night.date.isoformat(),
            "contract_price": money(night.contract_price * rooms),
            "discount": money(night.discount * rooms),
            "price": money(night.price * rooms),
        }
        if night.date in sent:
            row["operator_price"] = money(sent[night.date])
        nights.append(row)
    contract_total = answer.total * rooms
    details: dict[str, Any] = {
        "nights": nights,
        "contract_total": money(contract_total),
        "currency": answer.currency,
        "applied": answer.applied,
        "refused": answer.refused,
        "rooms": rooms,
        "operator_total": money(facts.total) if facts.total is not None else None,
    }
    if facts.total is None:
        details["difference"] = None
        return CheckOutcome(CheckState.WARN, "operator sent no price", details)
    if facts.currency and facts.currency != answer.currency:
        details["difference"] = None
        return CheckOutcome(
            CheckState.MISMATCH, f"operator priced in {facts.currency}; the contract is in {answer.currency}", details
        )
    difference = facts.total - contract_total
    details["difference"] = money(difference)
    percent, amount = limits
    allowed = max(abs(contract_total) * percent / 100, amount)
    shown = f"operator {money(facts.total)} vs contract {money(contract_total)} {answer.currency}"
    if abs(difference) <= allowed:
        note = "" if not difference else f" (within tolerance {money(allowed)})"
        return CheckOutcome(CheckState.OK, f"{shown}{note}", details)
    return CheckOutcome(CheckState.MISMATCH, f"{shown}: difference {difference:+.2f}", details)
