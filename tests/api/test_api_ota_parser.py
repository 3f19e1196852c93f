"""The OTA parser on the AlpineBits 2024-10 samples, on broken and hostile files, and the writer.

Samples: AlpineBits Alliance / NOI Techpark (see fixtures/README.md).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from connectors.ota import writer
from connectors.ota.parser import parse_ota, read_acknowledgements
from core.errors import ConnectorError
from core.models import Content, Guest, NightPrice, NotABooking, OperatorBooking, ParseError, UnparsedMessage

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = FIXTURES / "alpinebits-2024-10"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(FIXTURES / "alpinebits-2024-10.xsd")))


def sample(name: str) -> bytes:
    return (SAMPLES / f"GuestRequests-{name}.xml").read_bytes()


def assert_valid(schema: etree.XMLSchema, body: bytes) -> None:
    document = etree.fromstring(body)
    assert schema.validate(document), str(schema.error_log)


# -- the sample files ---------------------------------------------------------------
@pytest.mark.parametrize(
    "name, stay",
    [
        ("OTA_ResRetrieveRS-reservation", (date(2022, 1, 1), date(2022, 1, 12))),
        ("Push-OTA_HotelResNotifRQ", (date(2023, 1, 1), date(2023, 1, 12))),
    ],
)
def test_reservation_sample_reads_every_field(name, stay):
    [booking] = parse_ota(sample(name))
    assert booking.voucher == "6b34fe24ac2ff810"
    assert booking.content == Content.NEW
    assert (booking.check_in, booking.check_out) == stay
    assert booking.nights == 11
    assert (booking.room, booking.board, booking.rate) == ("bigsuite", "1", "123456-xyz")
    assert booking.adults == 2 and booking.child_ages == [9, 3]
    assert booking.total == Decimal("299") and booking.currency == "EUR"
    assert booking.sale_date == date(2022, 3, 21)
    assert booking.agency == "123"
    assert booking.guests == [
        Guest(
            first_name="Otto",
            last_name="Mustermann",
            birth_date=date(1980, 1, 1),
            gender="Male",
            nationality="DE",
            email="otto.mustermann@example.com",
        )
    ]
    assert booking.nationality == "DE"
    assert "included services: Parkplatz, Schwimmbad, Skipass" in booking.notes
    assert "\nSind Hunde erlaubt?\n\nMfg.\nOtto Mustermann." in booking.notes
    assert booking.source == "www.example.com"
    assert booking.extra["commission_percent"] == "15"
    assert booking.extra["agency_name"] == "ACME Travel Agency"
    assert booking.extra["hotel_code"] == "123"
    assert "Penalty is 50%" in booking.extra["cancel_penalty"]
    assert booking.extra["contact"]["email"] == "otto.mustermann@example.com"


def test_card_number_is_never_kept():
    [booking] = parse_ota(sample("OTA_ResRetrieveRS-reservation"))
    assert booking.extra["guarantee"] == {"card": "VI", "last4": "1111"}
    assert "4444333322221111" not in repr(booking)


def test_modify_is_a_change():
    [booking] = parse_ota(sample("OTA_ResRetrieveRS-modify"))
    assert booking.content == Content.CHANGE
    assert booking.voucher == "6b34fe24ac2ff810"
    assert (booking.check_in, booking.check_out) == (date(2022, 1, 2), date(2022, 1, 9))
    assert booking.child_ages == [9]
    assert booking.total == Decimal("245.50")
    assert booking.extra["last_modify_datetime"] == "2022-04-02T09:30:00+02:00"


def test_cancellation_sample():
    [booking] = parse_ota(sample("OTA_ResRetrieveRS-cancellation"))
    assert booking.content == Content.CANCEL
    assert booking.voucher == "c24e8b15ca469388"
    assert booking.cancel_date == date(2022, 3, 21)
    assert booking.check_in is None


def test_status_update_push_has_a_reservation_and_a_cancellation():
    first, second = parse_ota(sample("Push-OTA_HotelResNotifRQ-StatusUpdate"))
    assert (first.voucher, first.content) == ("6b34fe24ac999999", Content.NEW)
    assert first.extra["status_update"] is True
    assert (second.voucher, second.content) == ("6b34fe24ac244444", Content.CANCEL)
    assert second.cancel_date == date(2023, 6, 12)


@pytest.mark.parametrize(
    "name",
    [
        "OTA_ResRetrieveRS-quote-request",
        "OTA_ResRetrieveRS-newsletter",
        "OTA_ResRetrieveRS-empty",
        "Push-OTA_HotelResNotifRS",
        "Acknowledgments-OTA_NotifReportRQ",
        "OTA_ReadRQ-selection-criteria",
    ],
)
def test_messages_without_a_booking(name):
    with pytest.raises(NotABooking):
        parse_ota(sample(name))


def test_error_response_is_an_operator_error():
    with pytest.raises(ConnectorError, match="Invalid hotel code.*code 392"):
        parse_ota(sample("OTA_ResRetrieveRS-error"))


def test_acknowledgements_are_read():
    acks, refusals = read_acknowledgements(sample("Push-OTA_HotelResNotifRS"))
    assert acks == [("14", "6b34fe24ac2ff810"), ("15", "c24e8b15ca469388"), ("14", "1000000000000001")]
    assert refusals == [("f054bbd2f5ebab9", "Unable to process reservation")]


def test_every_sample_file_is_handled(schema):
    for path in sorted(SAMPLES.glob("*.xml")):
        assert_valid(schema, path.read_bytes())
        try:
            parse_ota(path.read_bytes(), name=path.name)
        except (NotABooking, ConnectorError):
            pass


# -- broken and hostile files -----------------------------------------------------------
def test_truncated_file_names_itself():
    body = sample("OTA_ResRetrieveRS-reservation")[:3000]
    with pytest.raises(ParseError, match="res.xml: not well-formed XML"):
        parse_ota(body, name="res.xml")


def test_empty_file():
    with pytest.raises(ParseError, match="empty"):
        parse_ota(b"  \n", name="blank.xml")


def test_wrong_encoding():
    body = sample("OTA_ResRetrieveRS-reservation").replace("Musterstraße".encode(), "Musterstraße".encode("latin-1"))
    with pytest.raises(ParseError, match="not well-formed"):
        parse_ota(body, name="latin.xml")


def test_oversized_file_is_refused_before_parsing():
    body = b"<a>" + b" " * (51 * 1024 * 1024) + b"</a>"
    with pytest.raises(ParseError, match="over the 20 MB limit"):
        parse_ota(body, name="huge.xml")


def test_external_entity_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
        f'<OTA_HotelResNotifRQ xmlns="http://www.opentravel.org/OTA/2003/05"><r>&x;</r></OTA_HotelResNotifRQ>'
    )
    with pytest.raises(ParseError, match="unsafe XML") as caught:
        parse_ota(body.encode())
    assert "TOPSECRET" not in str(caught.value)


def test_entity_expansion_is_refused():
    lol = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    body = f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "lol">{lol}]><r>&l9;</r>'
    # libxml2 stops the amplification itself; a smaller bomb meets the DTD refusal. Both are ParseErrors.
    with pytest.raises(ParseError, match="unsafe XML|entity amplification"):
        parse_ota(body.encode())
    small = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><r>&b;</r>'
    with pytest.raises(ParseError, match="unsafe XML"):
        parse_ota(small.encode())


def test_xml_that_is_not_alpinebits_needs_a_person():
    with pytest.raises(UnparsedMessage) as caught:
        parse_ota(b"<booking><voucher>1</voucher></booking>")
    assert "<voucher>1" in caught.value.text


@pytest.mark.parametrize(
    "old, new, field",
    [
        ('Start="2022-01-01"', 'Start="2022-13-01"', "TimeSpan Start"),
        ('AmountAfterTax="299"', 'AmountAfterTax="lots"', "Total AmountAfterTax"),
        ('<GuestCount Count="2"/>', '<GuestCount Count="two"/>', "GuestCount Count"),
        ('ResStatus="Reserved"', 'ResStatus="Pending"', "ResStatus"),
        ('End="2022-01-12"', 'End="2021-12-30"', "TimeSpan End"),
    ],
)
def test_broken_field_names_record_and_field(old, new, field):
    body = sample("OTA_ResRetrieveRS-reservation").replace(old.encode(), new.encode())
    with pytest.raises(ParseError) as caught:
        parse_ota(body)
    assert caught.value.field == field
    assert caught.value.record == "6b34fe24ac2ff810"


def test_missing_voucher_names_the_record_number():
    body = sample("OTA_ResRetrieveRS-reservation").replace(b'ID="6b34fe24ac2ff810"', b'ID=""')
    with pytest.raises(ParseError, match="record #1, field UniqueID"):
        parse_ota(body)


# -- the writer -----------------------------------------------------------------------
def full_booking(content: Content = Content.NEW, voucher: str = "TUI-1001") -> OperatorBooking:
    return OperatorBooking(
        voucher=voucher,
        content=content,
        agency="TUI",
        check_in=date(2026, 7, 1),
        check_out=date(2026, 7, 4),
        adults=2,
        child_ages=[8, 4, 4],
        room="DZX",
        board="1",
        rate="TUI26",
        nationality="GB",
        guests=[
            Guest("Jane", "Smith", gender="Female", nationality="GB", birth_date=date(1985, 5, 2)),
            Guest("John", "Smith"),
            Guest("Amy", "Smith", age=8),
        ],
        total=Decimal("931.50"),
        currency="EUR",
        sale_date=date(2026, 3, 1),
        notes="late arrival",
        night_prices=[
            NightPrice(date(2026, 7, 1), Decimal("310.50")),
            NightPrice(date(2026, 7, 2), Decimal("310.50")),
            NightPrice(date(2026, 7, 3), Decimal("310.50")),
        ],
        source="tui.co.uk",
    )


@pytest.mark.parametrize("push", [False, True])
@pytest.mark.parametrize("content", list(Content))
def test_writer_output_validates_and_reads_back(schema, push, content):
    original = full_booking(content)
    body = writer.booking_to_ota_xml([original, full_booking(content, "TUI-1002")], push=push)
    assert_valid(schema, body)
    first, second = parse_ota(body)
    assert second.voucher == "TUI-1002"
    for name in (
        "voucher",
        "content",
        "agency",
        "check_in",
        "check_out",
        "adults",
        "room",
        "board",
        "rate",
        "total",
        "currency",
        "sale_date",
        "notes",
        "night_prices",
        "nationality",
        "source",
    ):
        assert getattr(first, name) == getattr(original, name), name
    assert sorted(first.child_ages) == sorted(original.child_ages)
    assert [(g.first_name, g.last_name) for g in first.guests] == [
        ("Jane", "Smith"),
        ("John", "Smith"),
        ("Amy", "Smith"),
    ]
    assert first.guests[2].age == 8


def test_writer_several_rooms_read_back_as_one_booking(schema):
    booking = full_booking()
    booking.rooms = 2
    body = writer.booking_to_ota_xml([booking])
    assert_valid(schema, body)
    [back] = parse_ota(body)
    assert back.rooms == 2 and back.adults == 2 and back.total == Decimal("931.50")
    assert len(back.night_prices) == 3


def test_writer_translates_hotel_boards_and_refuses_unknown_ones():
    booking = full_booking()
    booking.board = "HB"
    [back] = parse_ota(writer.booking_to_ota_xml([booking]))
    assert back.board == "12"
    booking.board = "XYZ"
    with pytest.raises(ValueError, match="no AlpineBits meal plan code"):
        writer.booking_to_ota_xml([booking])


def test_protocol_messages_validate(schema):
    assert_valid(schema, writer.read_request("SUNBEACH", "2026-01-01T00:00:00+00:00"))
    assert_valid(schema, writer.read_request("SUNBEACH"))
    assert_valid(schema, writer.notif_report([("14", "A1"), ("15", "A2")], [("A3", "room type closed")]))
    assert_valid(schema, writer.notif_report([], [("A3", "no rooms left")]))
    assert_valid(schema, writer.push_response([("14", "A1")], [("A2", "stop sale")]))
    assert_valid(schema, writer.push_response([("14", "A1")]))
    assert_valid(schema, writer.push_response([("14", "A2")], [("A2", "stop sale")]))
    assert_valid(schema, writer.error_response("bad credentials", error_type=11, code=0))
    assert_valid(schema, writer.error_response("try later", push=True))
    acks, refusals = read_acknowledgements(writer.push_response([("14", "A1")], [("A2", "stop sale")]))
    assert acks == [("14", "A1")] and refusals == [("A2", "stop sale")]


def test_a_rate_without_its_first_night_is_an_error_naming_the_field():
    body = writer.booking_to_ota_xml([full_booking()])
    first = full_booking().night_prices[0].date.isoformat()
    assert f'EffectiveDate="{first}"'.encode() in body
    with pytest.raises(ParseError) as caught:
        parse_ota(body.replace(f'EffectiveDate="{first}"'.encode(), b"", 1))
    assert caught.value.field == "Rate EffectiveDate" and caught.value.record == "TUI-1001"
