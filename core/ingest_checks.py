"""The checks of a new inbox row, as the four columns that store them.

Ingest works them out for each version it makes: in the ingesting process for a
batch stored there (``Ingestor.ingest_many``), or in the ingest writer process for a
batch of a stream (``core.ingest_writer``), which is handed each row's facts as a
payload of plain values (``facts_payload``) and reads them back
(``facts_from_payload``) exactly as they were. Either way the same function
(``checked_columns``) turns the facts into the columns, before the batch's rows are
written, so both read the store as it was before the batch.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Protocol, Sequence

from core.approval import ApprovalSettings, needs_approval
from core.checks import prefetch_book_stays, prefetch_voucher_holders, run_checks
from core.config import Config
from core.models import CLEAN_STATES, Content, Guest, NightPrice
from core.stay import CheckContext, CheckOutcome, StayFacts
from core.store import dumps

#: The columns ``checked_columns`` fills, in its order.
CHECK_COLUMNS = ("needs_approval", "checks", "price_table", "clean")


def checked_columns(
    facts: StayFacts, missing: list[str], ctx: CheckContext, config: Config, approval: ApprovalSettings
) -> tuple[int, str, str, int]:
    """Run every check for one row: whether it needs a manager's approval, the checks and the price
    table as JSON, and whether it is clean (every mapping known, every check ok)."""
    outcomes = run_checks(facts, ctx, missing)
    return (int(bool(needs_approval(facts, outcomes, config, approval))), *outcome_columns(outcomes, missing))


def outcome_columns(outcomes: dict[str, CheckOutcome], missing: list[str]) -> tuple[str, str, int]:
    """The checks and the price table as JSON, and whether the row is clean."""
    price = outcomes.get("price")
    return (
        dumps({name: o.as_dict() for name, o in outcomes.items()}),
        dumps(price.details if price is not None else {}),
        int(not missing and all(o.state in CLEAN_STATES for o in outcomes.values())),
    )


class Stay(Protocol):
    """A booking or its facts, as far as a batch's reads before its checks go."""

    voucher: str
    check_in: date | None
    check_out: date | None


def prefetch(ctx: CheckContext, stays: Sequence[Stay]) -> None:
    """Start a batch: forget the last batch's reads, read what its rows' checks share in a few queries."""
    ctx.reset()
    prefetch_voucher_holders(ctx, {s.voucher for s in stays})
    prefetch_book_stays(ctx, [(s.check_in, s.check_out) for s in stays])


def _day(value: date | None) -> int | None:
    return value.toordinal() if value is not None else None


def _from_day(value: int | None) -> date | None:
    return date.fromordinal(value) if value is not None else None


def _amount(value: Decimal | None) -> str | None:
    return str(value) if value is not None else None  # exactly as sent: 85.50 stays 85.50


def facts_payload(facts: StayFacts) -> tuple[Any, ...]:
    """``facts`` as plain values (text, whole numbers, lists, None) that marshal carries;
    ``facts_from_payload`` gives them back equal, amounts with the same digits."""
    hotel = (facts.hotel_room, facts.hotel_board, facts.hotel_rate, facts.hotel_market, facts.hotel_agency)
    return stay_payload(
        facts,
        facts.operator,
        facts.content,
        hotel,
        facts.currency,
        facts.surnames,
        facts.reservation_id,
        facts.received,
    )


class Booked(Stay, Protocol):
    """What a stay's payload takes from a booking or its facts besides ``Stay``'s fields."""

    rooms: int
    adults: int
    child_ages: list[int]
    sale_date: date | None
    total: Decimal | None
    night_prices: list[NightPrice]
    promo_code: str
    discount_codes: list[str]
    nationality: str
    guests: list[Guest]


def stay_payload(
    stay: Booked,
    operator: str,
    content: Content,
    hotel: tuple[str | None, str | None, str | None, str | None, str | None],
    currency: str,
    surnames: list[str],
    reservation_id: int | None,
    received: date | None,
) -> tuple[Any, ...]:
    """The payload of the facts a booking (or the facts themselves) gives, with what the booking does
    not hold: ingest builds it from the booking, without the facts in between, when the writer
    process runs the checks. ``hotel``: room, board, rate, market and agency in the hotel's codes."""
    return (
        operator,
        stay.voucher,
        str(content),
        *hotel,
        _day(stay.check_in),
        _day(stay.check_out),
        stay.rooms,
        stay.adults,
        list(stay.child_ages),
        _day(stay.sale_date),
        _amount(stay.total),
        currency,
        [(n.date.toordinal(), str(n.amount)) for n in stay.night_prices],
        stay.promo_code,
        list(stay.discount_codes),
        list(surnames),
        reservation_id,
        _day(received),
        stay.nationality,
        [(g.first_name, g.last_name, g.age, _day(g.birth_date), g.gender, g.nationality, g.email) for g in stay.guests],
    )


def facts_from_payload(payload: tuple[Any, ...] | list[Any]) -> StayFacts:
    """The facts ``facts_payload`` was given."""
    (
        operator,
        voucher,
        content,
        hotel_room,
        hotel_board,
        hotel_rate,
        hotel_market,
        hotel_agency,
        check_in,
        check_out,
        rooms,
        adults,
        child_ages,
        sale_date,
        total,
        currency,
        nights,
        promo_code,
        discount_codes,
        surnames,
        reservation_id,
        received,
        nationality,
        guests,
    ) = payload
    return StayFacts(
        operator=operator,
        voucher=voucher,
        content=Content(content),
        hotel_room=hotel_room,
        hotel_board=hotel_board,
        hotel_rate=hotel_rate,
        hotel_market=hotel_market,
        hotel_agency=hotel_agency,
        check_in=_from_day(check_in),
        check_out=_from_day(check_out),
        rooms=rooms,
        adults=adults,
        child_ages=list(child_ages),
        sale_date=_from_day(sale_date),
        total=Decimal(total) if total is not None else None,
        currency=currency,
        night_prices=[NightPrice(date.fromordinal(day), Decimal(amount)) for day, amount in nights],
        promo_code=promo_code,
        discount_codes=list(discount_codes),
        surnames=list(surnames),
        reservation_id=reservation_id,
        received=_from_day(received),
        nationality=nationality,
        guests=[
            Guest(first, last, age, _from_day(birth), gender, nationality_, email)
            for first, last, age, birth, gender, nationality_, email in guests
        ],
    )
