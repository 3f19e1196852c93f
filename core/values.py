"""Reading the plain values that arrive as text: ISO dates, amounts, whole numbers.

One reader each, so every format (opdesk's own JSON, a JSON API, a PMS CSV,
the store) accepts and refuses the same things. Each raises ``ValueError``
with the value shown; the caller wraps it in its own error naming the file,
record and field. Locale-formatted amounts in mail ("1.234,50") are read by
babel in ``connectors.mail.profiles``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

EMPTY = (None, "")


def iso_date(value: Any, *, with_time: bool = False) -> date | None:
    """``YYYY-MM-DD`` as a date; None when empty. ``with_time``: a time stamp's date part is read too."""
    if value in EMPTY:
        return None
    text = str(value)
    try:
        return date.fromisoformat(text[:10] if with_time else text)
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {value!r}") from None


def amount(value: Any) -> Decimal | None:
    """A finite decimal amount from a number or its text; None when empty."""
    if value in EMPTY:
        return None
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return number


def whole_number(value: Any) -> int:
    """An int from a number or its text (no bools, no fractions)."""
    if isinstance(value, bool):
        raise ValueError(f"not a whole number: {value!r}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"not a whole number: {value!r}") from None
