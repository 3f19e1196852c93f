"""The ``values`` check: numbers and dates no real booking can have.

Operators send ``adults: -5``, ``rooms: -3``, a child aged 40, a stay in year
9999 or one of 400 nights, a negative total, a currency that does not exist.
(A value of the wrong type, such as ``child_ages: "12"``, never gets this far:
the readers refuse it with a named error.) None of these is a price question: they are impossible, and a
booking that carries one is held (not clean; save and confirm refuse it) until
the operator sends a corrected version or a person overrides the check with a
reason (``core.overrides``). Each problem names the field, so the operator can
be told exactly what to fix.

Limits come from ``[intake]``: ``max_nights`` (90), ``earliest_year`` (2000),
``max_years_ahead`` (3). The room type's maximum adults comes from the active
contracts; the hotel's count of a room type from ``opdesk rooms``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import pycountry

from core.models import CheckState, Content
from core.pricing.load import ContractsError
from core.pricing.store import active_contracts
from core.stay import CheckOutcome

if TYPE_CHECKING:
    from core.stay import CheckContext, StayFacts

MAX_NIGHTS = 90
"""Longer stays are long-term lets, never a tour-operator booking: 90 nights is a season."""
EARLIEST_YEAR = 2000
"""A check-in before this is a typo or a zero date (0001-01-01), not history worth booking."""
MAX_YEARS_AHEAD = 3
"""Operators sell at most about two seasons ahead; three years leaves room and catches year 9999."""
CHILD_AGE_MAX = 17
"""A guest of 18 is an adult everywhere the desk books for."""


@dataclass(frozen=True)
class IntakeLimits:
    max_nights: int = MAX_NIGHTS
    earliest_year: int = EARLIEST_YEAR
    max_years_ahead: int = MAX_YEARS_AHEAD

    @classmethod
    def from_section(cls, section: dict[str, Any]) -> "IntakeLimits":
        return cls(
            max_nights=int(section.get("max_nights", MAX_NIGHTS)),
            earliest_year=int(section.get("earliest_year", EARLIEST_YEAR)),
            max_years_ahead=int(section.get("max_years_ahead", MAX_YEARS_AHEAD)),
        )


def is_currency(code: str) -> bool:
    """An ISO 4217 currency code (the standard's list, from pycountry)."""
    return len(code) == 3 and code.isascii() and _is_currency(code)


@functools.lru_cache(maxsize=1024)  # three ASCII letters: what an operator sends cannot grow it further
def _is_currency(code: str) -> bool:
    return pycountry.currencies.get(alpha_3=code.upper()) is not None


@functools.lru_cache(maxsize=64)  # asked for every booking with the same day and years
def years_later(day: date, years: int) -> date:
    """The same day ``years`` later (28 February for a 29th), or the last day there is."""
    year = min(day.year + years, date.max.year)
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def value_problems(
    facts: "StayFacts", today: date, limits: IntakeLimits, max_adults: int | None, rooms_of_type: int | None
) -> list[tuple[str, str]]:
    """Every impossible value of one booking, as (field, what is wrong)."""
    problems: list[tuple[str, str]] = []
    rooms = max(facts.rooms, 1)
    if facts.adults < 1:
        problems.append(("adults", f"{facts.adults}: a booking needs at least 1 adult"))
    elif max_adults is not None and facts.adults > max_adults * rooms:
        problems.append(
            (
                "adults",
                f"{facts.adults}: room type {facts.hotel_room} takes at most {max_adults} "
                f"adult(s) per room, {max_adults * rooms} in {rooms} room(s)",
            )
        )
    if facts.rooms < 1:
        problems.append(("rooms", f"{facts.rooms}: a booking needs at least 1 room"))
    elif rooms_of_type is not None and facts.rooms > rooms_of_type:
        problems.append(("rooms", f"{facts.rooms}: the hotel has {rooms_of_type} room(s) of type {facts.hotel_room}"))
    for i, age in enumerate(facts.child_ages, start=1):
        if isinstance(age, bool) or not isinstance(age, int):
            problems.append((f"child_ages[{i}]", f"{age!r} is not a number"))
        elif not 0 <= age <= CHILD_AGE_MAX:
            problems.append((f"child_ages[{i}]", f"{age}: a child's age is 0 to {CHILD_AGE_MAX}"))
    problems += _stay_problems(facts, today, limits)
    if facts.total is not None and facts.total < 0:
        problems.append(("total", f"{facts.total}: a total cannot be negative"))
    if not is_currency(facts.currency):
        problems.append(("currency", f"{facts.currency!r} is not an ISO 4217 currency code"))
    return problems


def _stay_problems(facts: "StayFacts", today: date, limits: IntakeLimits) -> list[tuple[str, str]]:
    if facts.check_in is None or facts.check_out is None:
        return [
            (name, "missing")
            for name, value in (("check_in", facts.check_in), ("check_out", facts.check_out))
            if value is None
        ]
    problems = []
    if facts.check_out <= facts.check_in:
        problems.append(("check_out", f"{facts.check_out} is not after check-in {facts.check_in}"))
    elif (facts.check_out - facts.check_in).days > limits.max_nights:
        problems.append(
            (
                "check_out",
                f"{(facts.check_out - facts.check_in).days} nights; at most {limits.max_nights} ([intake] max_nights)",
            )
        )
    if facts.check_in.year < limits.earliest_year:
        problems.append(("check_in", f"{facts.check_in} is before {limits.earliest_year} ([intake] earliest_year)"))
    elif facts.check_in > years_later(today, limits.max_years_ahead):
        problems.append(
            (
                "check_in",
                f"{facts.check_in} is more than {limits.max_years_ahead} year(s) ahead ([intake] max_years_ahead)",
            )
        )
    return problems


def check_values(facts: "StayFacts", ctx: "CheckContext") -> CheckOutcome:
    """Fail, naming each field, when the booking holds a value no real booking has."""
    if facts.content == Content.CANCEL:
        return CheckOutcome(CheckState.SKIPPED, "cancellation")
    limits = ctx.once("intake_limits", lambda: IntakeLimits.from_section(ctx.config.section("intake")))
    problems = value_problems(facts, ctx.today, limits, _max_adults(facts, ctx), _rooms_of_type(facts, ctx))
    if not problems:
        return CheckOutcome(CheckState.OK, "every value possible")
    text = "; ".join(f"{field} {why}" for field, why in problems)
    return CheckOutcome(CheckState.FAIL, text, {"fields": {field: why for field, why in problems}})


def _max_adults(facts: "StayFacts", ctx: "CheckContext") -> int | None:
    if not facts.hotel_room:
        return None
    try:
        active = active_contracts(ctx.store, ctx.cache)
    except ContractsError:
        return None
    room = active[1].room_types.get(facts.hotel_room) if active else None
    if room is None:
        return None
    return room.max_adults if room.max_adults is not None else room.max_persons


def _rooms_of_type(facts: "StayFacts", ctx: "CheckContext") -> int | None:
    if not facts.hotel_room:
        return None
    count = ctx.capacities().get(facts.hotel_room)
    return int(count) if count else None
