"""opdesk's own JSON booking format: what the folder connector reads from ``.json`` files.

One object, or a list of objects, or ``{"bookings": [...]}``; each object has
the fields of ``OperatorBooking`` (dates ``YYYY-MM-DD``, amounts as strings or
numbers). ``docs/json.md`` documents it. Errors name the record and field.
"""

from __future__ import annotations

import codecs
import json
from datetime import date
from decimal import Decimal
from typing import Any, Callable, TypeVar

import orjson

from core import values
from core.flights import FlightError, normalise_flights
from core.models import BOOKING_TEXT_FIELDS, Content, Guest, NightPrice, OperatorBooking, ParseError, plain

MAX_BYTES = 20 * 1024 * 1024


def parse_canonical(body: bytes, *, name: str = "") -> list[OperatorBooking]:
    if len(body) > MAX_BYTES:
        raise ParseError(
            f"file is {len(body) // 1_000_000} MB; the limit for a JSON message is {MAX_BYTES // 1_000_000} MB"
        )
    if not body.strip():
        raise ParseError("empty file")
    bom = len(codecs.BOM_UTF8) if body.startswith(codecs.BOM_UTF8) else 0
    try:
        data = _loads(body[bom:] if bom else body)
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text (byte {exc.start + bom}): save the file as UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise ParseError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from exc
    except RecursionError:
        raise ParseError("not a booking file: JSON nested too deep") from None
    except ValueError as exc:  # e.g. a number of more than 4,300 digits
        raise ParseError(f"not a booking file: {exc}") from None
    if isinstance(data, dict) and "bookings" in data:
        data = data["bookings"]
    records = data if isinstance(data, list) else [data]
    return [_booking(rec, i) for i, rec in enumerate(records, start=1)]


# Nineteen digits in a row: a number orjson may read otherwise than json does (it turns
# integers past 64 bits into floats), or text that merely holds one. Either way json reads it.
# Found by turning each digit into 0 and every other byte into a space, then looking for the run.
_DIGITS_AS_ZERO = bytes.maketrans(bytes(range(256)), bytes(48 if 48 <= b <= 57 else 32 for b in range(256)))
_LONG_NUMBER = b"0" * 19


def _loads(body: bytes) -> Any:
    """The JSON value of ``body``: read by orjson when it reads it as json does, else by json.

    orjson is several times quicker and agrees with json on every text it accepts, but
    for long integers (see ``_LONG_NUMBER``). What it refuses (invalid UTF-8 or JSON,
    NaN, 1e400, nesting past 1,024 levels) goes to json, whose errors and values the
    rest of the reading explains: the same message gets the same answer either way.
    """
    if _LONG_NUMBER not in body.translate(_DIGITS_AS_ZERO):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    return json.loads(body.decode())


def _booking(rec: Any, index: int) -> OperatorBooking:
    if not isinstance(rec, dict):
        raise ParseError("each booking must be a JSON object", record=str(index))
    voucher = _text(rec.get("voucher"), str(index), "voucher").strip()
    record = f"{index} (voucher {voucher[:80] or '?'})"
    if not voucher:
        raise ParseError("missing", record=str(index), field="voucher")
    try:
        content = Content(rec.get("content", "new"))
    except (ValueError, TypeError):
        raise ParseError(
            f"must be new, change or cancel, got {_shown(rec.get('content'))}", record=record, field="content"
        ) from None
    booking = OperatorBooking(voucher=voucher, content=content)
    for key in BOOKING_TEXT_FIELDS:
        value = rec.get(key)
        if value is not None:
            setattr(booking, key, value if value.__class__ is str else _text(value, record, key))
    for key in ("check_in", "check_out", "sale_date", "cancel_date", "option_date"):
        setattr(booking, key, _date(rec.get(key), record, key))
    booking.rooms = _int(rec.get("rooms", 1), record, "rooms")
    booking.adults = _int(rec.get("adults", 0), record, "adults")
    # A list field holds a list: "12" as child ages is an error, never the ages 1 and 2.
    booking.child_ages = [
        a if a.__class__ is int else _int(a, record, f"child_ages[{i}]")
        for i, a in enumerate(_list(rec, "child_ages", record), start=1)
    ]
    booking.total = _money(rec.get("total"), record, "total")
    booking.guests = [_guest(g, record, i) for i, g in enumerate(_list(rec, "guests", record), start=1)]
    booking.night_prices = [_night(n, record, i) for i, n in enumerate(_list(rec, "night_prices", record), start=1)]
    booking.discount_codes = [
        c if c.__class__ is str else _text(c, record, f"discount_codes[{i}]")
        for i, c in enumerate(_list(rec, "discount_codes", record), start=1)
    ]
    try:
        booking.flights = normalise_flights(_list(rec, "flights", record))
    except FlightError as exc:
        raise ParseError(str(exc), record=record, field=exc.field) from None
    extra = rec.get("extra") or {}
    if not isinstance(extra, dict):
        raise ParseError("must be an object", record=record, field="extra")
    booking.extra = dict(extra)
    if content != Content.CANCEL:
        if booking.check_in is None:
            raise ParseError("missing", record=record, field="check_in")
        if booking.check_out is None:
            raise ParseError("missing", record=record, field="check_out")
        if booking.check_out <= booking.check_in:
            raise ParseError(
                f"check-out {booking.check_out} is not after check-in {booking.check_in}",
                record=record,
                field="check_out",
            )
    return booking


def _guest(g: Any, record: str, i: int) -> Guest:
    if not isinstance(g, dict):
        raise ParseError("a guest must be an object", record=record, field=f"guests[{i}]")
    get = g.get
    first, last, gender, nationality, email = (get(key, "") for key in _GUEST_TEXT)
    age, birth = get("age"), get("birth_date")
    if (
        first.__class__ is last.__class__ is gender.__class__ is nationality.__class__ is email.__class__ is str
        and (age is None or age.__class__ is int)
        and birth is None
    ):
        # The usual guest, all text and no birth date: nothing for the readers below to turn or refuse.
        return Guest(first, last, age, None, gender, nationality, email.strip())
    text = {key: _text(get(key), record, f"guests[{i}].{key}") for key in _GUEST_TEXT}
    text["email"] = text["email"].strip()
    return Guest(
        **text,
        age=_int(age, record, f"guests[{i}].age") if age is not None else None,
        birth_date=_date(birth, record, f"guests[{i}].birth_date"),
    )


_GUEST_TEXT = ("first_name", "last_name", "gender", "nationality", "email")


def _night(n: Any, record: str, i: int) -> NightPrice:
    if n.__class__ is dict:
        day, amount = n.get("date"), _quick_amount(n.get("amount"))
        if amount is not None and day.__class__ is str and len(day) == 10:
            # The usual night, "YYYY-MM-DD" and an amount's text: read as the readers below would.
            try:
                return NightPrice(date.fromisoformat(day), amount)
            except ValueError:
                pass  # the readers below say what is wrong
    if not isinstance(n, dict):
        raise ParseError("a night must be an object with date and amount", record=record, field=f"night_prices[{i}]")
    day = _date(n.get("date"), record, f"night_prices[{i}].date")
    if day is None:
        raise ParseError("missing", record=record, field=f"night_prices[{i}].date")
    amount = _money(n.get("amount"), record, f"night_prices[{i}].amount")
    if amount is None:
        raise ParseError("missing: a night needs its amount", record=record, field=f"night_prices[{i}].amount")
    return NightPrice(day, amount)


def _list(rec: dict[str, Any], key: str, record: str) -> list[Any]:
    value = rec.get(key)
    if value.__class__ is list:  # the usual case
        return value  # type: ignore[no-any-return]
    return _read(values.listed, value, record, key)


def _text(value: Any, record: str, field: str) -> str:
    if value.__class__ is str:  # the usual case, read without a call per field (every booking has dozens)
        return value  # type: ignore[no-any-return]
    return _read(values.text, value, record, field)


def _shown(value: Any) -> str:
    return values.quoted(value)


T = TypeVar("T")


def _read(reader: Callable[[Any], T], value: Any, record: str, field: str) -> T:
    try:
        return reader(value)
    except ValueError as exc:
        raise ParseError(str(exc), record=record, field=field) from None


def _date(value: Any, record: str, field: str) -> date | None:
    if value.__class__ is str and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass  # the reader says why
    return _read(values.iso_date, value, record, field)


def _int(value: Any, record: str, field: str) -> int:
    if value.__class__ is int:
        return value  # type: ignore[no-any-return]
    return _read(values.whole_number, value, record, field)


def _money(value: Any, record: str, field: str) -> Decimal | None:
    amount = _quick_amount(value)
    return amount if amount is not None else _read(values.amount, value, record, field)


def _quick_amount(value: Any) -> Decimal | None:
    """An amount's text read as ``values.amount`` reads it, the usual case; None leaves the value
    to that reader, which says what is wrong (or, for "", that there is none)."""
    if value.__class__ is not str:
        return None
    try:
        amount = Decimal(value.strip())
    except (ValueError, ArithmeticError):
        return None
    return amount if amount.is_finite() else None


def booking_to_canonical(booking: OperatorBooking) -> dict[str, Any]:
    """The JSON object for one booking (documents left out)."""
    data = plain(booking)
    data.pop("documents", None)
    data["content"] = str(booking.content)
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


def dumps_canonical(bookings: list[OperatorBooking]) -> bytes:
    return json.dumps({"bookings": [booking_to_canonical(b) for b in bookings]}, ensure_ascii=False, indent=2).encode()
