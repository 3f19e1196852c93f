"""The storable check looks at a booking's text in one go; when something is wrong it names the field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.models import Guest, NightPrice, OperatorBooking, ParseError
from core.storable import MAX_FIELD_CHARS, check_storable


def booking(**changes) -> OperatorBooking:
    b = OperatorBooking(
        voucher="V1",
        check_in=date(2027, 5, 1),
        check_out=date(2027, 5, 3),
        adults=2,
        notes="Üst kat, deniz manzarası",
        guests=[Guest("Ayşe", "Yılmaz"), Guest("Иван", "Иванов")],
        night_prices=[NightPrice(date(2027, 5, 1), Decimal("155")), NightPrice(date(2027, 5, 2), Decimal("155"))],
        discount_codes=["EB"],
    )
    for name, value in changes.items():
        setattr(b, name, value)
    return b


def refusal(b: OperatorBooking) -> str:
    with pytest.raises(ParseError) as caught:
        check_storable(b, "1 (voucher V1)")
    return str(caught.value)


def test_a_booking_in_any_script_is_storable() -> None:
    check_storable(booking(), "1")


def test_a_lone_surrogate_is_named_where_it_is() -> None:
    guests = [Guest("Ayşe", "Yılmaz"), Guest("Hans", "M\udcfcller")]
    assert "field guests[2].last_name: not text" in refusal(booking(guests=guests))
    assert "field discount_codes[2]: not text" in refusal(booking(discount_codes=["EB", "\ud800"]))
    assert "field notes: not text" in refusal(booking(notes="a\udc80"))


def test_a_field_too_long_is_named() -> None:
    assert "field market: 100,001 characters" in refusal(booking(market="x" * (MAX_FIELD_CHARS + 1)))
    check_storable(booking(market="x" * MAX_FIELD_CHARS), "1")


def test_a_value_that_is_not_text_is_left_to_the_checks_as_before() -> None:
    check_storable(booking(notes=12), "1")  # type: ignore[arg-type]


def test_an_amount_the_store_cannot_hold_is_named_by_its_night() -> None:
    nights = [NightPrice(date(2027, 5, 1), Decimal("155")), NightPrice(date(2027, 5, 2), Decimal("NaN"))]
    assert "field night_prices[2].amount: not an amount" in refusal(booking(night_prices=nights))
    nights = [NightPrice(date(2027, 5, 1), Decimal("1" + "0" * 12))]
    assert "field night_prices[1].amount: 13-digit amount" in refusal(booking(night_prices=nights))
    check_storable(booking(night_prices=[NightPrice(date(2027, 5, 1), Decimal("999999999999.99"))]), "1")
