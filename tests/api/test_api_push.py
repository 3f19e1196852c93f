"""The AlpineBits push endpoint on 127.0.0.1: stores first, answers acks and refusals, idempotent."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
import pytest
from lxml import etree

from connectors.ota.connector import PUSH_ACTION
from connectors.ota.push_server import PushServer
from connectors.simulate.catalog import catalog_for
from connectors.simulate.feed import BookingFeed
from connectors.simulate.push import push
from core.config import Config
from core.store import Store

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def served(tmp_path):
    config = Config(
        tmp_path / "opdesk.toml",
        {
            "store": {"path": str(tmp_path / "opdesk.db")},
            "operators": [
                {"name": "jet2", "kind": "ota-push", "username": "jet2", "password": "s3cret", "hotel_code": "SUNBEACH"}
            ],
        },
    )
    server = PushServer(config, config.operators, port=0).start()
    yield config, f"http://127.0.0.1:{server.port}/jet2"
    server.stop()


def count(config: Config, table: str) -> int:
    with Store(config.store_path) as store:
        return store.scalar(f"SELECT COUNT(*) FROM {table}")


def test_push_is_stored_once_and_answered_the_same_twice(served):
    config, url = served
    bookings = BookingFeed(catalog_for("jet2"), initial=3, today=date(2026, 5, 1)).pending()
    first = push(url, bookings, username="jet2", password="s3cret")
    second = push(url, bookings, username="jet2", password="s3cret")
    assert first == second
    assert first[0] == [("14", b.voucher) for b in bookings] and first[1] == []
    assert count(config, "raw_messages") == 3
    assert count(config, "operator_reservations") == 3


def test_an_unreadable_reservation_alone_is_refused_with_an_error_naming_it(served):
    config, url = served
    body = (FIXTURES / "alpinebits-2024-10" / "GuestRequests-Push-OTA_HotelResNotifRQ.xml").read_bytes()
    body = body.replace(b'Start="2023-01-01"', b'Start="2023-02-30"')
    response = httpx.post(
        url,
        files={"action": (None, PUSH_ACTION), "request": (None, body)},
        auth=("jet2", "s3cret"),
        headers={"X-AlpineBits-ClientProtocolVersion": "2024-10"},
    )
    answer = etree.fromstring(response.content)
    schema = etree.XMLSchema(etree.parse(str(FIXTURES / "alpinebits-2024-10.xsd")))
    assert schema.validate(answer), schema.error_log
    # Nothing acknowledged: Errors, not a success listing the refused one (it is never acknowledged).
    assert not list(answer.iter("{*}UniqueID"))
    [error] = answer.iter("{*}Error")
    assert (error.get("Type"), error.get("Code")) == ("13", "450")
    assert "6b34fe24ac2ff810" in error.text and "TimeSpan Start" in error.text
    with Store(config.store_path) as store:  # kept, with its error, for a person or a fixed parser
        assert store.one("SELECT parse_state FROM raw_messages")["parse_state"] == "failed"


def test_push_needs_credentials_and_the_protocol_header(served):
    config, url = served
    form = {"action": (None, PUSH_ACTION), "request": (None, b"<x/>")}
    assert (
        httpx.post(
            url, files=form, auth=("jet2", "wrong"), headers={"X-AlpineBits-ClientProtocolVersion": "2024-10"}
        ).status_code
        == 401
    )
    assert httpx.post(url, files=form, auth=("jet2", "s3cret")).status_code == 400
    assert count(config, "raw_messages") == 0
