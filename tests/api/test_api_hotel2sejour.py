"""The hotel2sejour connector against a simulated Hotel2Sejour on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import replace
from datetime import date
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import pytest

from connectors.base import FetchContext, Reply, connector_for
from connectors.hotel2sejour.connector import Hotel2SejourConnector, mask, read_token
from connectors.httpserve import Server
from connectors.scan import scan
from connectors.simulate.demo import operator_entry, sim_operator
from connectors.simulate.server import Faults, SimServer
from core.config import Config
from core.ingest import raw_from_row
from core.models import Content, ParseError
from core.store import Store

FAST = {"retries": 1, "backoff": 0.01, "backoff_max": 0.05, "request_timeout": 2, "operator_timeout": 5}
DAY = date(2026, 3, 2)


def make_config(tmp_path: Path, server: SimServer, **overrides: dict) -> Config:
    entries = [operator_entry(op, server) for op in server.operators.values()]
    for entry in entries:
        entry.update(overrides.get(entry["name"], {}))
    return Config(
        tmp_path / "opdesk.toml", {"store": {"path": str(tmp_path / "opdesk.db")}, "scan": FAST, "operators": entries}
    )


def rows(config: Config, sql: str, params: tuple = ()) -> list[dict]:
    with Store(config.store_path) as store:
        return store.all(sql, params)


def reply_for(config: Config, voucher: str, **reservation: str) -> Reply:
    [row] = rows(config, "SELECT * FROM operator_reservations WHERE voucher = ? ORDER BY id DESC LIMIT 1", (voucher,))
    [raw] = rows(config, "SELECT * FROM raw_messages WHERE id = ?", (row["raw_id"],))
    return Reply(
        row["operator"],
        voucher,
        hotel_number="SB000042",
        raw=raw_from_row(raw),
        reservation={"content": row["content"], **reservation},
    )


def test_a_scan_logs_in_reads_every_agency_and_stores_each_reservation_once(tmp_path):
    loti = sim_operator("loti", kind="hotel2sejour", initial=4)
    with SimServer([loti]) as server:
        config = make_config(tmp_path, server)
        [first] = asyncio.run(scan(config))
        [again] = asyncio.run(scan(config))
    assert (first.state, first.new, first.errors) == ("ok", 4, 0), first.last_error
    assert (again.state, again.total, again.new) == ("ok", 4, 0)  # listed again, the same bytes: stored once
    stored = rows(config, "SELECT voucher, content, room, board, adults FROM operator_reservations ORDER BY voucher")
    expected = sorted(loti.feed.latest.values(), key=lambda b: b.voucher)
    assert [(r["voucher"], r["content"], r["room"], r["board"], r["adults"]) for r in stored] == [
        (b.voucher, "new", b.room, b.board, b.adults) for b in expected
    ]
    assert len(rows(config, "SELECT id FROM raw_messages")) == 4


def test_changes_and_cancellations_are_read_by_date_range_and_become_versions(tmp_path):
    loti = sim_operator("loti", kind="hotel2sejour", initial=3)
    with SimServer([loti]) as server:
        config = make_config(tmp_path, server)
        asyncio.run(scan(config))
        changed = loti.feed.add_change()
        assert changed is not None
        other = next(b for v, b in sorted(loti.feed.latest.items()) if v != changed.voucher)
        cancelled = replace(other, content=Content.CANCEL, cancel_date=DAY, extra=dict(other.extra))
        with loti.feed.lock:
            loti.feed._record(cancelled)
        [run] = asyncio.run(scan(config))
    assert (run.state, run.changed, run.cancelled) == ("ok", 1, 1), run.last_error
    contents = {
        r["voucher"]: r["content"]
        for r in rows(config, "SELECT voucher, content FROM operator_reservations ORDER BY id")
    }
    assert contents[cancelled.voucher] == "cancel"


def test_the_check_in_window_runs_from_the_injected_day(tmp_path):
    loti = sim_operator("loti", kind="hotel2sejour", initial=3, today=DAY)
    with SimServer([loti]) as server:
        config = make_config(tmp_path, server)
        connector = connector_for(config.operator("loti"), config)
        assert isinstance(connector, Hotel2SejourConnector)

        async def fetch(day: date) -> list[str]:
            connector.today = lambda: day
            async with httpx.AsyncClient() as http:
                return [raw.filename async for raw in connector.fetch(FetchContext(http=http, config=config))]

        assert len(asyncio.run(fetch(DAY))) == 3  # check-ins 7 to 120 days after DAY
        assert asyncio.run(fetch(date(2027, 9, 1))) == []  # all of them before the window


def test_confirm_sends_the_pms_number_once_given_else_the_hotel_number_and_reject_a_listed_reason(tmp_path):
    loti = sim_operator("loti", kind="hotel2sejour", initial=3)
    with SimServer([loti]) as server:
        config = make_config(tmp_path, server)
        asyncio.run(scan(config))
        first, second, third = sorted(loti.feed.latest)
        connector = connector_for(config.operator("loti"), config)
        connector.confirm(reply_for(config, first, pms_number="PMS-7781"))
        connector.confirm(reply_for(config, second, pms_number=""))
        connector.reject(replace(reply_for(config, third), reason="No availability on these dates", hotel_number=""))
        [after] = asyncio.run(scan(config))
    assert [(r["voucher"], r["answer"], r["hotel_number"], r["message_id"]) for r in loti.replies] == [
        (first, "confirm", "PMS-7781", ""),
        (second, "confirm", "SB000042", ""),
        (third, "reject", "", "1"),
    ]
    assert loti.replies[2]["reason"] == "No availability on these dates"
    assert after.total == 0  # answered reservations are no longer listed as waiting


def test_a_reservation_for_another_hotel_is_kept_as_failed_not_booked(tmp_path):
    loti = sim_operator("loti", kind="hotel2sejour", initial=2)
    with SimServer([loti]) as server:
        config = make_config(tmp_path, server)
        asyncio.run(scan(config))
        [raw_row, _] = rows(config, "SELECT * FROM raw_messages")
        other = make_config(tmp_path, server, loti={"hotel_code": "555"})  # the same message, read for another hotel
        with pytest.raises(ParseError, match=r"for hotel 100100, not this one \(555\)") as caught:
            connector_for(other.operator("loti"), other).parse(raw_from_row(raw_row))
    assert caught.value.field == "HotelPaximumID"


def test_a_refused_login_fails_the_run_at_once(tmp_path):
    locked = sim_operator("loti", kind="hotel2sejour", initial=2, faults=Faults(auth_fail=True))
    with SimServer([locked]) as server:
        [run] = asyncio.run(scan(make_config(tmp_path, server)))
    assert run.state == "error" and "authentication failed" in run.last_error
    assert locked.requests == 1


class EchoHandler(BaseHTTPRequestHandler):
    """Answers 500 with the URL it was asked, as a careless server does."""

    def do_GET(self) -> None:
        body = f"error at {self.path}".encode()
        self.send_response(500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


def test_the_password_is_masked_in_errors_and_log_lines(tmp_path, caplog):
    httpd = Server(("127.0.0.1", 0), EchoHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    secret = "S3cr3t&pass=x"
    entries = [
        {
            "name": "echo",
            "kind": "hotel2sejour",
            "url": f"http://127.0.0.1:{httpd.server_address[1]}",
            "username": "u",
            "password": secret,
            "hotel_code": "1",
        },
        {
            "name": "closed",
            "kind": "hotel2sejour",
            "url": "http://127.0.0.1:9",
            "username": "u",
            "password": secret,
            "hotel_code": "1",
        },
    ]
    config = Config(
        tmp_path / "o.toml", {"store": {"path": str(tmp_path / "o.db")}, "scan": FAST, "operators": entries}
    )
    try:
        with caplog.at_level(logging.INFO, logger="httpx"):
            runs = asyncio.run(scan(config))
    finally:
        httpd.shutdown()
        httpd.server_close()
    errors = {r.operator: r.last_error for r in runs}
    assert "HTTP 500" in errors["echo"] and "pass=****" in errors["echo"]
    assert errors["closed"]
    stored = " ".join(str(r) for r in rows(config, "SELECT * FROM scan_runs"))
    for text in (*errors.values(), caplog.text, stored):
        assert "S3cr3t" not in text
    assert "pass=****" in caplog.text


def test_mask_and_token_reading():
    assert mask("GET /api/system/login?user=a&pass=hunter2&x=1") == "GET /api/system/login?user=a&pass=****&x=1"
    assert mask("the secret hunter2 here", "hunter2") == "the secret **** here"
    assert read_token(b'"eccb3171-8b55-4b44-840c-90f6718e360f"') == "eccb3171-8b55-4b44-840c-90f6718e360f"
    assert read_token(b"eccb3171-8b55") == "eccb3171-8b55"
    assert read_token(b"<html>login page</html>") == ""


def test_the_simulator_takes_the_same_fault_switches(tmp_path):
    garbled = sim_operator("garbled", kind="hotel2sejour", initial=2, faults=Faults(malformed=True))
    down = sim_operator("down", kind="hotel2sejour", initial=2, faults=Faults(status=500))
    busy = sim_operator(
        "busy", kind="hotel2sejour", initial=2, faults=Faults(fail_first=1, fail_status=429, retry_after=0.1)
    )
    with SimServer([garbled, down, busy]) as server:
        runs = {r.operator: r for r in asyncio.run(scan(make_config(tmp_path, server)))}
    assert runs["garbled"].state == "error" and "not well-formed" in runs["garbled"].last_error
    assert runs["down"].state == "error" and "HTTP 500" in runs["down"].last_error
    assert (runs["busy"].state, runs["busy"].new) == ("ok", 2)


HOSTILE = b"""<?xml version="1.0" encoding="UTF-8"?>
<PmsReservation><ResNo>V1</ResNo><ResOrder>1</ResOrder><ResType>Y</ResType><HotelPaximumID>100100</HotelPaximumID>
<CheckIn>2026-07-01</CheckIn><CheckOut>2026-07-08</CheckOut><Room>[/]\x1b[31m</Room><Adult>ADULTS</Adult>
<Child>0</Child><Price>PRICE</Price></PmsReservation>"""


@pytest.mark.parametrize(
    ("adults", "price", "field"),
    [("9" * 5000, "10", "Adult"), ("2", "1" * 5000, "Price"), ("2", "-5", "Price"), ("-1", "10", "Adult")],
)
def test_impossible_values_are_refused_naming_the_field(adults, price, field):
    from connectors.hotel2sejour.records import parse_reservation

    body = HOSTILE.replace(b"ADULTS", adults.encode()).replace(b"PRICE", price.encode())
    with pytest.raises(ParseError) as caught:
        parse_reservation(body.replace(b"\x1b", b""), hotel_code="100100")
    assert caught.value.field == field and caught.value.record == "V1"


def test_operator_text_is_kept_as_text_and_bad_bytes_are_a_named_error():
    from connectors.hotel2sejour.records import parse_reservation

    booking = parse_reservation(HOSTILE.replace(b"\x1b", b"").replace(b"ADULTS", b"2").replace(b"PRICE", b"10"))
    assert booking.room == "[/][31m" and booking.adults == 2
    with pytest.raises(ParseError):
        parse_reservation(HOSTILE.replace(b"ADULTS", b"\xff\xfe"))


def test_an_unknown_agency_names_those_hotel2sejour_lists(tmp_path):
    loti = sim_operator("loti", kind="hotel2sejour", initial=1)
    loti.title = "LOTİ"
    with SimServer([loti]) as server:
        [run] = asyncio.run(scan(make_config(tmp_path, server, loti={"agencies": ["Novanta"]})))
    assert run.state == "error"
    assert "agencies Novanta are not connected to this hotel at Hotel2Sejour (connected: LOTİ)" in run.last_error


def test_an_answer_in_the_serializers_namespace_reads_as_one_without():
    from connectors.hotel2sejour import records

    plain = (
        b"<ServiceResultOfArrayOfPmsReservation><Data>"
        + HOSTILE[HOSTILE.index(b"<PmsReservation>") :]
        .replace(b"\x1b", b"")
        .replace(b"ADULTS", b"2")
        .replace(b"PRICE", b"10")
        + b"</Data><IsSuccessful>true</IsSuccessful></ServiceResultOfArrayOfPmsReservation>"
    )
    spaced = plain.replace(
        b"<ServiceResultOfArrayOfPmsReservation>",
        b'<ServiceResultOfArrayOfPmsReservation xmlns="http://schemas.datacontract.org/2004/07/Hotel2Sejour" '
        b'xmlns:i="http://www.w3.org/2001/XMLSchema-instance">',
    ).replace(b"<PmsReservation>", b'<PmsReservation xmlns="">')
    documents = []
    for body in (plain, spaced):
        result = records.read_result(body, name="getreservationlist")
        assert result.ok
        [element] = records.reservations(result.data)
        documents.append(records.reservation_document(element))
    assert documents[0] == documents[1] and b"xmlns" not in documents[1]
    booking = records.parse_reservation(documents[1], hotel_code="100100")
    assert booking.voucher.startswith("V1") and booking.adults == 2 and booking.room == "[/][31m"
