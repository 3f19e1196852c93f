"""Hostile messages, each with what a careless operator or an attacker sends, for every intake path."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any, Callable

CHECK_IN = date(2027, 5, 10)


def good_record(voucher: str) -> dict[str, Any]:
    return {
        "voucher": voucher,
        "content": "new",
        "agency": "TUI",
        "check_in": CHECK_IN.isoformat(),
        "check_out": (CHECK_IN + timedelta(days=7)).isoformat(),
        "adults": 2,
        "room": "DZ",
        "board": "AI",
        "rate": "TUI26",
        "currency": "EUR",
        "total": "980.00",
        "guests": [{"first_name": "Ayşe", "last_name": "Yılmaz"}],
    }


def _with(voucher: str, **changes: Any) -> dict[str, Any]:
    record = good_record(voucher)
    record.update(changes)
    return record


def _dumps(record: Any) -> bytes:
    return json.dumps({"bookings": [record]}, ensure_ascii=False).encode()


def _raw_number(voucher: str, literal: str) -> bytes:
    """A record whose total is written as a bare JSON literal (1e400, NaN, a 5,000-digit number)."""
    return _dumps(_with(voucher, total="@@")).replace(b'"@@"', literal.encode())


def _nested(depth: int) -> bytes:
    return b'{"bookings": [{"voucher": "DEEP", "extra": ' + b"[" * depth + b"]" * depth + b"}]}"


#: name -> (file body, a word the stored error must contain). Each is one message.
HOSTILE_JSON: dict[str, tuple[Callable[[], bytes], str]] = {
    "digits-5000-number": (lambda: _raw_number("H1", "1" + "0" * 5000), ""),
    "digits-5000-string": (lambda: _dumps(_with("H2", total="1" + "0" * 5000)), "total"),
    "1e400": (lambda: _raw_number("H3", "1e400"), "total"),
    "nan": (lambda: _raw_number("H4", "NaN"), "total"),
    "infinity": (lambda: _raw_number("H5", "Infinity"), "total"),
    "nested-5000": (lambda: _nested(5000), ""),
    "invalid-utf8-name": (
        lambda: _dumps(_with("H7", guests=[{"last_name": "@@"}])).replace(b"@@", b"Hofer\xff\xfe"),
        "UTF-8",
    ),
    "field-20mb": (lambda: _dumps(_with("H8", notes="x" * (20 * 1024 * 1024))), ""),
    "int-too-large": (lambda: _dumps(_with("H9", adults=10**30)), "adults"),
    "age-too-large": (lambda: _dumps(_with("H10", guests=[{"last_name": "A", "age": 2**70}])), "age"),
    "night-without-amount": (
        lambda: _dumps(_with("H11", night_prices=[{"date": good_record("H11")["check_in"], "amount": None}])),
        "night_prices[1].amount",
    ),
}

#: Taken in, shown with their controls made visible: a NUL is no reason to lose a booking.
ODD_BUT_READABLE = {"nul-in-name": lambda: _dumps(_with("N1", guests=[{"last_name": "Ho\u0000fer"}]))}
