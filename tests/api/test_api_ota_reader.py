"""The OTA reader's fast paths answer what the plain lxml lookups answered.

A scan splits and reads thousands of reservations, so ``parser.py`` finds children
with its own loop instead of ``find("{*}name")``, reuses converted dates and
amounts, and ``connector.py`` serialises each part as text. These tests pin that
nothing else changed: any namespace or none, the bytes of a part, the newest stamp.
"""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from connectors.ota import parser
from connectors.ota.connector import ENVELOPES, split_reservations
from connectors.ota.parser import (
    OTA_NS,
    block_text,
    child,
    children,
    day,
    firsts,
    merge_nights,
    money,
    parse_ota,
    path,
    read_xml,
)
from core.models import NightPrice, ParseError

SAMPLES = Path(__file__).parent / "fixtures" / "alpinebits-2024-10"
OTA = f'xmlns="{OTA_NS}"'


def sample(name: str) -> bytes:
    return (SAMPLES / f"GuestRequests-{name}.xml").read_bytes()


# -- finding children ---------------------------------------------------------------
MIXED = (
    f'<r {OTA} xmlns:x="urn:other"><a/><!-- note --><x:a/><b><a/></b><?pi x?><a/><c xmlns=""><a/></c></r>'
).encode()


@pytest.mark.parametrize(
    "body",
    [MIXED] + [p.read_bytes() for p in sorted(SAMPLES.glob("*.xml"))],
    ids=["mixed"] + [p.stem for p in sorted(SAMPLES.glob("*.xml"))],
)
def test_child_lookups_match_find(body):
    # Comments and processing instructions kept, to show they are never taken for children.
    root = etree.fromstring(body, parser=etree.XMLParser(remove_comments=False, remove_pis=False))
    names = {etree.QName(e).localname for e in root.iter() if isinstance(e.tag, str)} | {"Missing"}
    for element in root.iter():
        found = firsts(element)
        for name in names:
            expected = element.find(f"{{*}}{name}")
            assert child(element, name) is expected
            assert found.get(name) is expected
            assert children(element, name) == element.findall(f"{{*}}{name}")
    assert path(root, "b", "a") is root.find("{*}b/{*}a")
    assert path(root, "Missing", "a") is None


def with_prefix(element: etree._Element) -> etree._Element:
    """A copy of an element tree whose OTA elements are written ``ota:Name``."""
    copy = etree.Element(element.tag, dict(element.attrib), nsmap={"ota": OTA_NS})
    copy.text, copy.tail = element.text, element.tail
    copy.extend(with_prefix(c) for c in element if isinstance(c.tag, str))
    return copy


def test_reservation_reads_the_same_without_namespace_or_with_a_prefix():
    body = sample("OTA_ResRetrieveRS-reservation")
    plain = body.replace(f" {OTA}".encode(), b"")
    prefixed = etree.tostring(with_prefix(etree.fromstring(body)))
    assert b"<ota:HotelReservation" in prefixed and b"<HotelReservation" in plain
    assert parse_ota(plain) == parse_ota(body) == parse_ota(prefixed)


# -- splitting an answer --------------------------------------------------------------
@pytest.mark.parametrize(
    "name, kind",
    [("Push-OTA_HotelResNotifRQ", "OTA_HotelResNotifRQ"), ("OTA_ResRetrieveRS-reservation", "OTA_ResRetrieveRS")],
)
def test_parts_are_the_utf8_serialisation(name, kind):
    body = sample(name)
    assert "ß".encode() in body  # the sample has text outside ASCII
    parts = split_reservations(body, "op", "ota-pull", "u")
    head, tail = ENVELOPES[kind]
    for raw, _, element in parts:
        assert raw.body == head + etree.tostring(element, encoding="UTF-8", with_tail=False) + tail


def reservation(voucher: str, **stamps: str) -> str:
    attributes = "".join(f' {key}="{value}"' for key, value in stamps.items())
    return f'<HotelReservation ResStatus="Reserved"{attributes}><UniqueID Type="14" ID="{voucher}"/></HotelReservation>'


def answer(*reservations: str) -> bytes:
    listed = "".join(reservations)
    return f"<OTA_ResRetrieveRS {OTA}><ReservationsList>{listed}</ReservationsList></OTA_ResRetrieveRS>".encode()


def test_every_reservation_becomes_a_part_whatever_its_stamps():
    body = answer(
        reservation("A", CreateDateTime="2026-01-01T10:00:00+00:00"),
        reservation("B", CreateDateTime="2026-01-03T00:00:00+00:00", LastModifyDateTime="not a stamp"),
        reservation("C", CreateDateTime="2999-01-02T07:00:00"),  # far ahead of any clock
        reservation("E"),
    )
    parts = split_reservations(body, "op", "ota-pull", "u")
    assert [p[1] for p in parts] == [("14", v) for v in "ABCE"]


# -- values -----------------------------------------------------------------------------
def test_dates_and_amounts_read_again_are_the_same_and_bad_ones_still_fail(monkeypatch):
    monkeypatch.setattr(parser, "CACHE_LIMIT", 3)
    for _ in range(2):
        assert day(" 2022-01-05 ", "f", "r") == date(2022, 1, 5)
        assert money("12.50", "f", "r") == Decimal("12.50") and str(money("12.50", "f", "r")) == "12.50"
    for n in range(1, 8):  # past the limit: the cache is emptied, values stay right
        assert day(f"2022-01-0{n}", "f", "r") == date(2022, 1, n)
        assert money(f"{n}.5", "f", "r") == Decimal(f"{n}.5")
    assert len(parser._days) <= 3 and len(parser._amounts) <= 3
    with pytest.raises(ParseError, match="record r, field f: '2022-02-30' is not a date"):
        day("2022-02-30", "f", "r")
    with pytest.raises(ParseError, match="'-1' is not a valid amount"):
        money("-1", "f", "r")
    with pytest.raises(ParseError, match="None is not an amount"):
        money(None, "f", "r")


def old_block_text(text: str) -> str:
    """What block_text did with textwrap.dedent, for comparison."""
    lines = [line.strip() for line in textwrap.dedent(text.strip("\n")).splitlines()]
    return "\n".join(lines).strip()


@pytest.mark.parametrize(
    "text",
    [
        "\n      Sind Hunde erlaubt?\n\n      Mfg.\n        Otto\n    ",
        "first\n\t  second \r\n   \n third\u2028fourth \u00a0",
        "  \n \t \n",
        "",
    ],
)
def test_block_text_strips_each_line(text):
    element = etree.fromstring(b"<Text/>")
    element.text = text
    assert block_text(element) == old_block_text(text)


def test_nights_of_several_rooms_are_added_up_and_ordered():
    one, two = date(2026, 7, 1), date(2026, 7, 2)
    ordered = [NightPrice(one, Decimal("10.50")), NightPrice(two, Decimal("11"))]
    assert merge_nights(ordered) == ordered
    two_rooms = [NightPrice(two, Decimal("1")), NightPrice(one, Decimal("2")), NightPrice(two, Decimal("3"))]
    assert merge_nights(two_rooms) == [NightPrice(one, Decimal("2")), NightPrice(two, Decimal("4"))]


def test_two_rooms_with_the_same_dates_read_as_one_booking_of_two():
    body = sample("OTA_ResRetrieveRS-reservation")
    root = read_xml(body)
    stays = root.find(".//{*}RoomStays")
    stays.append(etree.fromstring(etree.tostring(stays.find("{*}RoomStay"))))
    [single] = parse_ota(body)
    [double] = parse_ota(etree.tostring(root))
    assert double.rooms == 2 and double.total == 2 * single.total
    assert [n.amount for n in double.night_prices] == [2 * n.amount for n in single.night_prices]
