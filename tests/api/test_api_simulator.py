"""The simulated operators' answers: valid AlpineBits, and the same bookings however they are made."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from lxml import etree

from connectors.ota import writer
from connectors.ota.parser import parse_ota
from connectors.simulate.catalog import catalog_for
from connectors.simulate.feed import BookingFeed

FIXTURES = Path(__file__).parent / "fixtures"


def test_a_read_answer_joined_from_kept_reservations_is_valid_and_reads_the_same():
    feed = BookingFeed(catalog_for("jet2"), initial=6, today=date(2026, 5, 1))
    feed.add_change()
    feed.add_cancel()
    joined = writer.retrieve_response(feed.pending_rendered(None, writer.reservation_xml))
    schema = etree.XMLSchema(etree.parse(str(FIXTURES / "alpinebits-2024-10.xsd")))
    assert schema.validate(etree.fromstring(joined)), schema.error_log
    assert parse_ota(joined) == parse_ota(writer.booking_to_ota_xml(feed.pending()))
    assert len(parse_ota(joined)) == 8


def test_each_event_is_rendered_once_and_acknowledged_ones_leave_the_answer():
    feed = BookingFeed(catalog_for("jet2"), initial=3, today=date(2026, 5, 1))
    calls = []

    def render(booking):
        calls.append(booking.voucher)
        return writer.reservation_xml(booking)

    first = feed.pending_rendered(None, render)
    assert feed.pending_rendered(None, render) == first and len(calls) == 3
    feed.acknowledge(feed.pending()[0].voucher, cancelled=False)
    assert feed.pending_rendered(None, render) == first[1:] and len(calls) == 3
