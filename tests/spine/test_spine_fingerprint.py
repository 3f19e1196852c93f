"""A version's comparable text is what its fingerprint hashes: the same booking must give the same text
in every release, or every booking an operator sends again after an upgrade becomes a new version."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from core.models import Content, Guest, NightPrice, OperatorBooking

EVERY_FIELD = (
    '{"voucher":"TUI-1","agency":"TUI UK","check_in":"2027-05-01","check_out":"2027-05-03","rooms":1,"adults":2,'
    '"child_ages":[7],"room":"DZX","board":"AI","rate":"TUI26","market":"UK","nationality":"GB","guests":['
    '{"first_name":"Ayşe","last_name":"Yılmaz","age":34,"birth_date":"1992-02-29","gender":"F","nationality":"TR",'
    '"email":"ayse@example.com"},{"first_name":"Jan","last_name":"Müller","age":7,"birth_date":null,"gender":"",'
    '"nationality":""}],"total":"310.50","currency":"EUR","night_prices":[{"date":"2027-05-01","amount":"155.00"},'
    '{"date":"2027-05-02","amount":"155.50"}],"sale_date":"2026-12-01","notes":"cot \\"please\\"","source":"api",'
    '"segment":"leisure","promo_code":"EB10","discount_codes":["EB","K"],"flights":[{"number":"TK1",'
    '"route":"LHR-AYT","time":"2027-05-01 10:00"}],"cancel_date":null,"rate_type":"package",'
    '"option_date":"2026-12-20"}'
)

BARE = (
    '{"voucher":"V2","agency":"","check_in":"2027-01-01","check_out":"2027-01-02","rooms":1,"adults":0,'
    '"child_ages":[],"room":"","board":"","rate":"","market":"","nationality":"","guests":[],"total":null,'
    '"currency":"","night_prices":[],"sale_date":null,"notes":"","source":"","segment":"","promo_code":"",'
    '"discount_codes":[],"flights":[],"cancel_date":null}'
)


def test_a_booking_with_every_field_gives_the_text_stored_versions_were_fingerprinted_by() -> None:
    booking = OperatorBooking(
        voucher="TUI-1",
        content=Content.CHANGE,
        agency="TUI UK",
        check_in=date(2027, 5, 1),
        check_out=date(2027, 5, 3),
        rooms=1,
        adults=2,
        child_ages=[7],
        room="DZX",
        board="AI",
        rate="TUI26",
        market="UK",
        nationality="GB",
        guests=[
            Guest("Ayşe", "Yılmaz", 34, date(1992, 2, 29), "F", "TR", "ayse@example.com"),
            Guest("Jan", "Müller", 7),
        ],
        total=Decimal("310.5"),
        currency="EUR",
        night_prices=[NightPrice(date(2027, 5, 1), Decimal("155")), NightPrice(date(2027, 5, 2), Decimal("155.499"))],
        sale_date=date(2026, 12, 1),
        notes='cot "please"',
        source="api",
        segment="leisure",
        promo_code="EB10",
        discount_codes=["EB", "K"],
        flights=[{"number": "TK1", "route": "LHR-AYT", "time": "2027-05-01 10:00"}],
        extra={"x": 1},  # not compared
        rate_type="package",
        option_date=date(2026, 12, 20),
    )
    assert booking.comparable_json() == EVERY_FIELD


def test_a_bare_booking_leaves_out_the_fields_added_later() -> None:
    booking = OperatorBooking(voucher="V2", check_in=date(2027, 1, 1), check_out=date(2027, 1, 2))
    assert booking.comparable_json() == BARE
