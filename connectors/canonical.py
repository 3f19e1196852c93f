"""opdesk's own JSON booking format: what the folder connector reads from ``.json`` files.

One object, or a list of objects, or ``{"bookings": [...]}``; each object has
the fields of ``OperatorBooking`` (dates ``YYYY-MM-DD``, amounts as strings or
numbers). ``docs/json.md`` documents it. Errors name the record and field.
"""

from __future__ import annotations

import json
import reprlib
from datetime import date
from decimal import Decimal
from typing import Any, Callable, TypeVar

from core import values
from core.models import Content, Guest, NightPrice, OperatorBooking, ParseError, plain
from core.values_check import UNREADABLE_KEY

MAX_BYTES = 20 * 1024 * 1024

_TEXT_FIELDS = ("agency", "room", "board", "rate", "market", "nationality", "currency", "notes", "source",
                "segment", "promo_code")


def parse_canonical(body: bytes, *, name: str = "") -> list[OperatorBooking]:
    if len(body) > MAX_BYTES:
        raise ParseError(f"file is {len(body) // 1_000_000} MB; the limit for a JSON message is "
                         f"{MAX_BYTES // 1_000_000} MB")
    if not body.strip():
        raise ParseError("empty file")
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text (byte {exc.start}): save the file as UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise ParseError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from exc
    if isinstance(data, dict) and "bookings" in data:
        data = data["bookings"]
    records = data if isinstance(data, list) else [data]
    return [_booking(rec, i) for i, rec in enumerate(records, start=1)]


def _booking(rec: Any, index: int) -> OperatorBooking:
    if not isinstance(rec, dict):
        raise ParseError("each booking must be a JSON object", record=str(index))
    record = f"{index} (voucher {rec.get('voucher', '?')})"
    voucher = str(rec.get("voucher", "")).strip()
    if not voucher:
        raise ParseError("missing", record=str(index), field="voucher")
    try:
        content = Content(rec.get("content", "new"))
    except ValueError:
        raise ParseError(f"must be new, change or cancel, got {rec.get('content')!r}", record=record,
                         field="content") from None
    booking = OperatorBooking(voucher=voucher, content=content)
    for key in _TEXT_FIELDS:
        if key in rec and rec[key] is not None:
            setattr(booking, key, str(rec[key]))
    for key in ("check_in", "check_out", "sale_date", "cancel_date"):
        setattr(booking, key, _date(rec.get(key), record, key))
    booking.rooms = _int(rec.get("rooms", 1), record, "rooms")
    booking.adults = _int(rec.get("adults", 0), record, "adults")
    booking.child_ages, unreadable = _child_ages(rec.get("child_ages", []))
    booking.total = _money(rec.get("total"), record, "total")
    booking.guests = [_guest(g, record, i) for i, g in enumerate(rec.get("guests", []), start=1)]
    booking.night_prices = [
        NightPrice(_date(n.get("date"), record, "night_prices.date"), _money(n.get("amount"), record,
                                                                             "night_prices.amount"))
        for n in rec.get("night_prices", [])
    ]
    booking.discount_codes = [str(c) for c in rec.get("discount_codes", [])]
    booking.flights = list(rec.get("flights", []))
    booking.extra = dict(rec.get("extra", {}))
    if unreadable is not None:
        booking.extra[UNREADABLE_KEY] = {"child_ages": unreadable}
    if content != Content.CANCEL:
        for key in ("check_in", "check_out"):
            if getattr(booking, key) is None:
                raise ParseError("missing", record=record, field=key)
        if booking.check_out <= booking.check_in:
            raise ParseError(f"check-out {booking.check_out} is not after check-in {booking.check_in}",
                             record=record, field="check_out")
    return booking


def _child_ages(value: Any) -> tuple[list[int], str | None]:
    """The ages sent, and what was sent when it is not a list of whole numbers (the values check holds it).

    A string is never read as a list: ``"12"`` is not the ages 1 and 2.
    """
    if value is None:
        return [], None
    if not isinstance(value, list) or any(isinstance(a, bool) or not isinstance(a, int) for a in value):
        return [a for a in value if isinstance(a, int) and not isinstance(a, bool)] if isinstance(value, list) \
            else [], reprlib.repr(value)
    return list(value), None


def _guest(g: Any, record: str, i: int) -> Guest:
    if not isinstance(g, dict):
        raise ParseError("a guest must be an object", record=record, field=f"guests[{i}]")
    age = g.get("age")
    return Guest(first_name=str(g.get("first_name", "")), last_name=str(g.get("last_name", "")),
                 age=_int(age, record, f"guests[{i}].age") if age is not None else None,
                 birth_date=_date(g.get("birth_date"), record, f"guests[{i}].birth_date"),
                 gender=str(g.get("gender", "")), nationality=str(g.get("nationality", "")))


T = TypeVar("T")


def _read(reader: Callable[[Any], T], value: Any, record: str, field: str) -> T:
    try:
        return reader(value)
    except ValueError as exc:
        raise ParseError(str(exc), record=record, field=field) from None


def _date(value: Any, record: str, field: str) -> date | None:
    return _read(values.iso_date, value, record, field)


def _int(value: Any, record: str, field: str) -> int:
    return _read(values.whole_number, value, record, field)


def _money(value: Any, record: str, field: str) -> Decimal | None:
    return _read(values.amount, value, record, field)


def booking_to_canonical(booking: OperatorBooking) -> dict[str, Any]:
    """The JSON object for one booking (documents left out)."""
    data = plain(booking)
    data.pop("documents", None)
    data["content"] = str(booking.content)
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


def dumps_canonical(bookings: list[OperatorBooking]) -> bytes:
    return json.dumps({"bookings": [booking_to_canonical(b) for b in bookings]}, ensure_ascii=False,
                      indent=2).encode()
