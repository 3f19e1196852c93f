"""Reading the plain values that arrive as text: ISO dates, amounts, whole numbers.

One reader each, so every format (opdesk's own JSON, a JSON API, a PMS CSV,
the store) accepts and refuses the same things. Each raises ``ValueError``
with the value shown; the caller wraps it in its own error naming the file,
record and field. Locale-formatted amounts in mail ("1.234,50") are read by
babel in ``connectors.mail.profiles``.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

EMPTY = (None, "")

#: More digits than any whole number on a booking has; longer text is refused before ``int`` reads it
#: (Python refuses beyond 4,300 digits anyway, and slowly).
MAX_DIGITS = 30
_WHOLE = re.compile(rf"[+-]?\d{{1,{MAX_DIGITS}}}")


def quoted(value: Any, limit: int = 60) -> str:
    """A bad value as an error quotes it: short, whatever its size (a 5,000-digit total, a 20 MB name)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def iso_date(value: Any, *, with_time: bool = False) -> date | None:
    """``YYYY-MM-DD`` as a date; None when empty. ``with_time``: a time stamp's date part is read too."""
    if value in EMPTY:
        return None
    text = str(value)
    try:
        return date.fromisoformat(text[:10] if with_time else text)
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {quoted(value)}") from None


def amount(value: Any) -> Decimal | None:
    """A finite decimal amount from a number or its text; None when empty."""
    if value in EMPTY:
        return None
    if isinstance(value, (bool, dict, list)):
        raise ValueError(f"not an amount: {quoted(value)}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {quoted(value)}") from None
    if not number.is_finite():
        raise ValueError(f"not an amount: {quoted(value)}")
    return number


def whole_number(value: Any) -> int:
    """An int from a number or its text (no bools, no fractions, no infinities, at most MAX_DIGITS digits)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value)
    raise ValueError(f"not a whole number: {quoted(value)}")


def text(value: Any) -> str:
    """A text field: a string, or a number taken as its text; '' when absent. A list or object is refused."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise ValueError(f"must be text, got {type(value).__name__}")
    return str(value)


def listed(value: Any) -> list[Any]:
    """A list field (guests, nights, child ages); [] when absent. A lone value is refused, never split up:
    child ages "12" are not the ages 1 and 2."""
    if value in EMPTY:
        return []
    if not isinstance(value, list):
        raise ValueError(f"must be a list, got {quoted(value)}")
    return value
