"""What the store can hold: a booking is checked here before any of it is written.

A parser may hand over values no real booking has and SQLite cannot take: a
total with 5,000 digits (``OverflowError: Python int too large to convert to
SQLite INTEGER`` ended a whole drop-folder scan), an age of 10**30, a 20 MB
name, text that was not UTF-8 kept as lone surrogates. Checked here, such a
booking becomes a named error on its own raw message (record and field), and
the rest of its batch goes on. Values that SQLite can hold but no hotel would
book (adults -5, a stay in 9999) are the ``values`` check's business, not this
module's: they are stored and held for a person.
"""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from operator import attrgetter
from typing import Any

from core.models import OperatorBooking, ParseError

#: SQLite's INTEGER is a signed 64-bit number.
INT_MAX = 2**63 - 1

#: Money beyond this many digits before the decimal point is no hotel booking
#: (a trillion in any currency), and its minor units stay well inside INT_MAX.
MONEY_DIGITS = 12

#: The longest text one field may hold. Long enough for any note or voucher
#: text an operator writes (a voucher's PDF text is a document, not a field),
#: short enough that one message cannot fill the inbox with one name.
MAX_FIELD_CHARS = 100_000

_TEXT = tuple(f.name for f in fields(OperatorBooking) if f.type in ("str", str))


_TEXT_OF = attrgetter(*_TEXT)
_GUEST_TEXT = ("first_name", "last_name", "gender", "nationality")
_GUEST_TEXT_OF = attrgetter(*_GUEST_TEXT)


def check_storable(booking: OperatorBooking, record: str) -> None:
    """Raise ``ParseError`` naming the record and field of a value the store cannot hold: the first
    text field there is one in, else the first number."""
    texts = [*_TEXT_OF(booking), *booking.discount_codes]
    for guest in booking.guests:
        texts += _GUEST_TEXT_OF(guest)
    if not _all_plain(texts):
        _name_the_text(booking, record)
    for name in ("rooms", "adults"):
        _whole(getattr(booking, name), record, name)
    for i, age in enumerate(booking.child_ages, start=1):
        _whole(age, record, f"child_ages[{i}]")
    _money(booking.total, record, "total")
    for i, night in enumerate(booking.night_prices, start=1):
        if not _plain_money(night.amount):  # the field's name only for one to name
            _money(night.amount, record, f"night_prices[{i}].amount")
    for i, guest in enumerate(booking.guests, start=1):
        if guest.age is not None:
            _whole(guest.age, record, f"guests[{i}].age")


def _plain_money(value: Decimal) -> bool:
    """An amount the store takes as it is: finite, at most ``MONEY_DIGITS`` digits before the point."""
    return value.is_finite() and value.adjusted() < MONEY_DIGITS


def _all_plain(texts: list[Any]) -> bool:
    """Every value text, none too long, all of it valid Unicode: checked in one go, as nearly every booking is."""
    try:
        joined = "".join(texts)
    except TypeError:
        return False  # a value that is not text: looked at field by field
    if max(map(len, texts), default=0) > MAX_FIELD_CHARS:
        return False
    if joined.isascii():
        return True
    try:
        joined.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _name_the_text(booking: OperatorBooking, record: str) -> None:
    """Raise for the first text field the store cannot hold, named."""
    for name in _TEXT:
        _text(getattr(booking, name), record, name)
    for i, guest in enumerate(booking.guests, start=1):
        for name in _GUEST_TEXT:
            _text(getattr(guest, name), record, f"guests[{i}].{name}")
    for i, code in enumerate(booking.discount_codes, start=1):
        _text(code, record, f"discount_codes[{i}]")


def _whole(value: Any, record: str, field: str) -> None:
    if isinstance(value, int) and not -INT_MAX <= value <= INT_MAX:
        raise ParseError(f"{len(str(abs(value)))}-digit number: too large for any booking", record=record, field=field)


def _money(value: Decimal | None, record: str, field: str) -> None:
    if value is None:
        return
    if not value.is_finite():
        raise ParseError(f"not an amount: {value}", record=record, field=field)
    digits = value.adjusted() + 1
    if digits > MONEY_DIGITS:
        raise ParseError(
            f"{digits}-digit amount: more than {MONEY_DIGITS} digits before the decimal point",
            record=record,
            field=field,
        )


def _text(value: Any, record: str, field: str) -> None:
    if not isinstance(value, str):
        return
    if len(value) > MAX_FIELD_CHARS:
        raise ParseError(f"{len(value):,} characters; at most {MAX_FIELD_CHARS:,}", record=record, field=field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ParseError(
            f"not text: character {exc.start + 1} is not valid Unicode (was the file UTF-8?)",
            record=record,
            field=field,
        ) from None
