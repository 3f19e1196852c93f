"""A row's facts cross to the ingest writer as plain values and come back exactly as they were; built
from the booking, without the facts in between, those values are the same."""

from __future__ import annotations

import marshal
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from core.ingest import facts_from_booking, payload_from_booking
from core.ingest_checks import facts_from_payload, facts_payload
from core.models import Content, Guest, NightPrice, OperatorBooking
from core.stay import StayFacts

text = st.text(max_size=12)
day = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
amount = st.decimals(allow_nan=False, allow_infinity=False, places=None, min_value=-(10**9), max_value=10**9)
guest = st.builds(
    Guest,
    first_name=text,
    last_name=text,
    age=st.none() | st.integers(0, 120),
    birth_date=st.none() | day,
    gender=text,
    nationality=text,
    email=text,
)
#: What a booking and its facts both hold, by the same names.
stay = {
    "voucher": text,
    "content": st.sampled_from(list(Content)),
    "check_in": st.none() | day,
    "check_out": st.none() | day,
    "rooms": st.integers(0, 50),
    "adults": st.integers(0, 50),
    "child_ages": st.lists(st.integers(0, 17), max_size=4),
    "sale_date": st.none() | day,
    "total": st.none() | amount,
    "night_prices": st.lists(st.builds(NightPrice, date=day, amount=amount), max_size=4),
    "promo_code": text,
    "discount_codes": st.lists(text, max_size=3),
    "nationality": text,
    "guests": st.lists(guest, max_size=3),
}
facts = st.builds(
    StayFacts,
    operator=text,
    hotel_room=st.none() | text,
    hotel_board=st.none() | text,
    hotel_rate=st.none() | text,
    hotel_market=st.none() | text,
    hotel_agency=st.none() | text,
    currency=text,
    surnames=st.lists(text, max_size=3),
    reservation_id=st.none() | st.integers(1, 10**9),
    received=st.none() | day,
    **stay,
)


def amounts(f: StayFacts) -> list[str]:
    return [str(f.total), *(str(n.amount) for n in f.night_prices)]


@given(facts)
def test_facts_cross_as_plain_values_and_come_back_the_same(sent):
    payload = marshal.loads(marshal.dumps(facts_payload(sent)))  # what the writer process is handed
    back = facts_from_payload(payload)
    assert back == sent
    assert amounts(back) == amounts(sent)  # 85.50 stays 85.50, not 85.5


def test_a_stay_of_a_real_booking_comes_back_the_same():
    sent = StayFacts(
        operator="tui",
        voucher="V1",
        content=Content.CHANGE,
        hotel_room="STD",
        hotel_board="AI",
        hotel_rate="TUI26",
        hotel_market=None,
        hotel_agency="TUI",
        check_in=date(2026, 5, 1),
        check_out=date(2026, 5, 8),
        rooms=1,
        adults=2,
        child_ages=[4],
        sale_date=date(2025, 12, 1),
        total=Decimal("980.50"),
        currency="EUR",
        night_prices=[NightPrice(date(2026, 5, 1), Decimal("140.00"))],
        promo_code="SPRING5",
        surnames=["Yılmaz"],
        received=date(2026, 1, 5),
        nationality="TR",
        guests=[Guest("Ayşe", "Yılmaz", 34, date(1992, 3, 1), "F", "TR", "ayse@example.com")],
    )
    back = facts_from_payload(marshal.loads(marshal.dumps(facts_payload(sent))))
    assert back == sent and back.nights == sent.nights and amounts(back) == ["980.50", "140.00"]


booking = st.builds(OperatorBooking, **stay)
hotel = st.tuples(*[st.none() | text] * 5)


@given(booking, text, st.sampled_from(list(Content)), hotel, text, st.none() | day)
def test_a_bookings_payload_is_the_payload_of_its_facts(b, operator, content, codes, currency, received):
    """What ingest hands the writer for a booking is what its facts would have given."""
    mapped = dict(zip(("room", "board", "rate", "market", "agency"), codes))
    facts = facts_from_booking(b, operator, content, mapped, currency, received)
    sent = payload_from_booking(b, operator, content, mapped, currency, received)
    assert sent == facts_payload(facts)
    assert facts_from_payload(marshal.loads(marshal.dumps(sent))) == facts
