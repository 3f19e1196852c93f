"""The Hotel2Sejour and SOAP OTA parsers, fed anything: bookings, or a named parse error — never another exception."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from connectors.hotel2sejour.records import parse_reservation
from connectors.otasoap import envelope, messages
from core.models import NotABooking, OperatorBooking, OperatorError, ParseError, UnparsedMessage
from core.storable import check_storable

NAMED = (ParseError, UnparsedMessage, NotABooking, OperatorError)
SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], deadline=None)
FIXTURES = Path(__file__).parent / "fixtures" / "soap"
SEJOUR_SAMPLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<PmsReservation><OperatorCode>LOTI</OperatorCode><AgencyId>a-1</AgencyId><ResNo>V1</ResNo><ResOrder>1</ResOrder>
<ResType>Y</ResType><ResConf>W</ResConf><HotelPaximumID>100100</HotelPaximumID><CheckIn>2026-07-01</CheckIn>
<CheckOut>2026-07-08</CheckOut><Room>DZX</Room><Board>AI</Board><RateCode>L26</RateCode><RoomCount>1</RoomCount>
<Adult>2</Adult><Child>1</Child><Market>DE</Market><Price>1200.50</Price><Currency>EUR</Currency>
<RecordDate>2026-05-01T10:00:00</RecordDate><ChangeDate></ChangeDate><Note>sea view</Note>
<Guests><Guest><Title>MR</Title><Name>Jan</Name><Surname>Nowak</Surname><Age></Age><Nationality>PL</Nationality></Guest>
<Guest><Title>CHD</Title><Name>Ola</Name><Surname>Nowak</Surname><Age>7</Age><Nationality></Nationality></Guest>
</Guests></PmsReservation>"""
SEJOUR_FIELDS = sorted(set(re.findall(rb"<([A-Za-z]+)>[^<]*</\1>", SEJOUR_SAMPLE)))
_, PMSX = envelope.open_envelope((FIXTURES / "pmsxchange-retrieve.xml").read_bytes(), name="sample")
PMSX_SAMPLE = messages.pmsx_document(messages.pmsx_reservations(PMSX)[0])
PMSX_ATTRIBUTES = sorted(set(re.findall(rb' ([A-Za-z_]+)="[^"]*"', PMSX_SAMPLE)) - {b"xmlns"})
hostile_text = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        ["", "NaN", "1e400", "-5", "9" * 40, "1" + "0" * 5000, "2027-02-30", "\x00", "]]>", "&bad;", "<x>", "[/]"]
    ),
)


def parsed_or_named(parse, body: bytes) -> list[OperatorBooking]:
    try:
        bookings = parse(body)
    except NAMED:
        return []
    assert isinstance(bookings, list) and all(isinstance(b, OperatorBooking) for b in bookings)
    for i, booking in enumerate(bookings, start=1):
        try:
            check_storable(booking, str(i))
        except ParseError:
            pass
    return bookings


def sejour(body: bytes) -> list[OperatorBooking]:
    return [parse_reservation(body, hotel_code="100100", name="x.xml")]


def escaped(value: str) -> bytes:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").encode("utf-8", "surrogatepass")


def test_the_samples_read():
    assert parsed_or_named(sejour, SEJOUR_SAMPLE)[0].child_ages == [7]
    assert parsed_or_named(messages.parse_part, PMSX_SAMPLE)[0].voucher == "BKS-7781"


@SETTINGS
@given(st.binary(max_size=300))
@example(b"<PmsReservation>" + b"<x>" * 5000 + b"</x>" * 5000 + b"</PmsReservation>")
@example(b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><PmsReservation>&b;</PmsReservation>')
def test_hotel2sejour_any_bytes(body):
    parsed_or_named(sejour, body)


@SETTINGS
@given(st.sampled_from(SEJOUR_FIELDS), hostile_text)
def test_hotel2sejour_any_value_in_any_field(field, value):
    body = re.sub(
        b"<" + field + b">[^<]*</" + field + b">",
        lambda _: b"<" + field + b">" + escaped(value) + b"</" + field + b">",
        SEJOUR_SAMPLE,
    )
    parsed_or_named(sejour, body)


@SETTINGS
@given(st.binary(max_size=300))
@example(b"<OTA_CancelRQ>" + b"<x>" * 5000 + b"</x>" * 5000 + b"</OTA_CancelRQ>")
def test_soap_ota_part_any_bytes(body):
    parsed_or_named(messages.parse_part, body)


@SETTINGS
@given(st.sampled_from(PMSX_ATTRIBUTES), hostile_text)
def test_soap_ota_any_value_in_any_attribute(attribute, value):
    body = re.sub(
        rb" " + attribute + rb'="[^"]*"', lambda _: b" " + attribute + b'="' + escaped(value) + b'"', PMSX_SAMPLE
    )
    parsed_or_named(messages.parse_part, body)
