"""The ota-soap connector (pmsXchange and SynXis dialects) and SOAP pushes, against real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date
from pathlib import Path

import httpx
import pytest
from lxml import etree

from connectors.base import Reply, connector_for
from connectors.ota.parser import OTA_NS
from connectors.ota.push_server import PushServer
from connectors.otasoap import envelope, messages
from connectors.scan import scan
from connectors.simulate.catalog import catalog_for
from connectors.simulate.demo import operator_entry, sim_operator
from connectors.simulate.feed import BookingFeed
from connectors.simulate.server import Faults, SimServer
from core.config import Config
from core.ingest import raw_from_row
from core.models import Content, Guest, ParseError
from core.store import Store

FAST = {"retries": 1, "backoff": 0.01, "backoff_max": 0.05, "request_timeout": 2, "operator_timeout": 5}
DAY = date(2026, 5, 4)
NS = {"o": OTA_NS, "s": envelope.SOAP_NS, "w": envelope.WSSE_NS}


def make_config(tmp_path: Path, server: SimServer) -> Config:
    entries = [operator_entry(op, server) for op in server.operators.values()]
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


def family_feed(name: str) -> BookingFeed:
    return BookingFeed(catalog_for(name), initial=0, today=DAY)


# -- the envelope ------------------------------------------------------------------------------
def test_requests_carry_a_ws_security_username_token_and_one_ota_message():
    body = envelope.request(messages.pmsx_read_request("SUNBEACH"), "pms-user", "pa<ss&")
    root = etree.fromstring(body)
    assert root.tag == f"{{{envelope.SOAP_NS}}}Envelope"
    token = root.find("s:Header/w:Security/w:UsernameToken", NS)
    assert token.findtext("w:Username", namespaces=NS) == "pms-user"
    password = token.find("w:Password", NS)
    assert password.text == "pa<ss&" and password.get("Type").endswith("#PasswordText")
    read = root.find("s:Body/o:OTA_ReadRQ", NS)
    assert read.get("Version") == "1.0" and read.get("EchoToken") and read.get("TimeStamp")
    criteria = read.find("o:ReadRequests/o:HotelReadRequest/o:SelectionCriteria", NS)
    assert criteria.getparent().get("HotelCode") == "SUNBEACH" and criteria.get("SelectionType") == "Undelivered"
    assert envelope.credentials(root) == ("pms-user", "pa<ss&")


def test_a_soap_fault_is_an_operator_error_and_a_non_envelope_a_parse_error():
    from core.models import OperatorError, ParseError

    with pytest.raises(OperatorError, match="SOAP fault soap:Client: nope"):
        envelope.open_envelope(envelope.fault("Client", "nope"), name="x")
    with pytest.raises(ParseError, match="not a SOAP 1.1 envelope"):
        envelope.open_envelope(b"<OTA_ReadRQ/>", name="x")


# -- documented shapes -------------------------------------------------------------------------
def shape(element: etree._Element) -> list[tuple[str, dict[str, str]]]:
    """Every element's local name and attributes, in document order, without time stamps."""
    return [
        (etree.QName(e).localname, {k: v for k, v in e.attrib.items() if k not in ("TimeStamp", "EchoToken")})
        for e in element.iter()
        if isinstance(e.tag, str)
    ]


def test_synxis_updates_have_the_documented_shape():
    new = messages.synxis_update(messages.SYNXIS_NEW, "10001SY000001", "12345")
    assert shape(new) == [
        ("OTA_HotelResNotifRQ", {}),
        ("HotelReservations", {}),
        ("HotelReservation", {}),
        ("UniqueID", {"Type": "14", "ID": "10001SY000001", "ID_Context": "CrsConfirmNumber"}),
        ("ResGlobalInfo", {}),
        ("HotelReservationIDs", {}),
        (
            "HotelReservationID",
            {
                "ResID_Type": "14",
                "ResID_Value": "12345",
                "ResID_Source": "Pms",
                "ResID_SourceContext": "PmsConfirmNumber",
            },
        ),
    ]
    failed = messages.synxis_update(messages.SYNXIS_CHANGE, "10001SY000002", "", "no such room")
    assert shape(failed)[:4] == [
        ("OTA_HotelResModifyNotifRQ", {}),
        ("HotelResModifies", {}),
        ("HotelResModify", {}),
        ("UniqueID", {"Type": "14", "ID": "10001SY000002", "ID_Context": "CrsConfirmNumber"}),
    ]
    assert failed.findtext(".//o:TPA_Extensions/o:Warnings/o:Warning", namespaces=NS) == "no such room"
    cancel = messages.synxis_update(messages.SYNXIS_CANCEL, "10001SY000001", "12345")
    assert shape(cancel) == [
        ("OTA_CancelRQ", {}),
        ("UniqueID", {"Type": "14", "ID": "10001SY000001", "ID_Context": "CrsConfirmNumber"}),
        ("UniqueID", {"Type": "14", "ID": "12345", "ID_Context": "PmsConfirmNumber"}),
    ]


def test_pmsxchange_lists_commit_modify_cancel_and_counts_guests_by_age_qualifying_code():
    feed = family_feed("smx")
    booking = feed.add_new()
    booking.adults, booking.child_ages = 2, [4, 9]
    booking.guests = [
        Guest("Ada", "Kaya"),
        Guest("Ali", "Kaya"),
        Guest("Can", "Kaya", age=4),
        Guest("Ece", "Kaya", age=9),
    ]
    changed = replace(booking, content=Content.CHANGE, extra=dict(booking.extra))
    cancelled = replace(booking, content=Content.CANCEL, extra=dict(booking.extra))
    elements = [messages.pmsx_reservation(b, "SUNBEACH") for b in (booking, changed, cancelled)]
    assert [e.get("ResStatus") for e in elements] == ["Commit", "Modify", "Cancel"]
    counts = sorted(
        (c.get("AgeQualifyingCode"), c.get("Count"), c.get("Age")) for c in elements[0].iter(f"{{{OTA_NS}}}GuestCount")
    )
    assert counts == [("10", "2", None), ("8", "1", "4"), ("8", "1", "9")]
    [read] = messages.parse_part(messages.pmsx_document(elements[0]))
    assert (read.content, read.adults, sorted(read.child_ages)) == (Content.NEW, 2, [4, 9])
    assert [messages.parse_part(messages.pmsx_document(e))[0].content for e in elements[1:]] == [
        Content.CHANGE,
        Content.CANCEL,
    ]
    unknown = elements[0]
    unknown.set("ResStatus", "Reserved")
    with pytest.raises(Exception, match="unknown ResStatus 'Reserved' \\(expected Commit, Book, Modify, Cancel\\)"):
        messages.parse_part(messages.pmsx_document(unknown))


def test_a_retrieve_answer_shaped_like_siteminders_samples_reads_and_is_reported_with_its_message_id():
    body = (Path(__file__).parent / "fixtures" / "soap" / "pmsxchange-retrieve.xml").read_bytes()
    _, payload = envelope.open_envelope(body, name="sample")
    booked, cancelled = messages.pmsx_reservations(payload)
    [new] = messages.parse_part(messages.pmsx_document(booked))
    [gone] = messages.parse_part(messages.pmsx_document(cancelled))
    assert (new.voucher, new.content, new.adults, new.child_ages, new.room, new.rate) == (
        "BKS-7781",
        Content.NEW,
        2,
        [6],
        "DBL",
        "BAR",
    )
    assert (gone.voucher, gone.content, gone.extra["message_id"]) == ("BKS-7702", Content.CANCEL, "99002")
    report = messages.pmsx_notif_report(
        [(booked.get("ResStatus"), messages.unique_id(booked), messages.message_id(booked), "")]
    )
    assert shape(report)[1:] == [
        ("Success", {}),
        ("NotifDetails", {}),
        ("HotelNotifReport", {}),
        ("HotelReservations", {}),
        ("HotelReservation", {"ResStatus": "Book"}),
        ("UniqueID", {"Type": "14", "ID": "BKS-7781"}),
        ("UniqueID", {"Type": "16", "ID": "99001", "ID_Context": "MESSAGE_UNIQUE_ID"}),
    ]


# -- pmsXchange pull ---------------------------------------------------------------------------
def test_pmsxchange_pull_stores_then_reports_processed_and_stops_getting_them(tmp_path):
    smx = sim_operator("smx", kind="ota-soap", initial=4)
    with SimServer([smx]) as server:
        config = make_config(tmp_path, server)
        [first] = asyncio.run(scan(config))
        [again] = asyncio.run(scan(config))
        smx.feed.add_change()
        smx.feed.add_cancel()
        [third] = asyncio.run(scan(config))
    assert (first.state, first.new) == ("ok", 4), first.last_error
    assert again.total == 0  # reported processed: pmsXchange does not send them again
    assert (third.changed + third.cancelled, third.total) == (2, 2), third.last_error
    assert smx.feed.unacked() == 0


def test_pmsxchange_does_not_report_a_reservation_it_could_not_read(tmp_path):
    feed_op = sim_operator("smx", kind="ota-soap", initial=2)
    broken = feed_op.feed.add_new()
    broken.check_out = broken.check_in  # no night: the parser refuses it
    with SimServer([feed_op]) as server:
        config = make_config(tmp_path, server)
        [run] = asyncio.run(scan(config))
        [again] = asyncio.run(scan(config))
    assert (run.new, run.errors) == (2, 1)
    assert again.total == 1 and feed_op.feed.unacked() == 1  # it comes again until it can be read
    assert len(rows(config, "SELECT id FROM raw_messages")) == 3  # and is stored once


def test_pmsxchange_on_decision_reports_new_ones_when_the_hotel_answers_and_cancellations_at_once(tmp_path):
    smx = sim_operator("smx", kind="ota-soap", initial=2)
    with SimServer([smx]) as server:
        config = make_config(tmp_path, server)
        config = Config(
            config.path, {**config.data, "operators": [{**e, "ack": "on_decision"} for e in config.data["operators"]]}
        )
        [first] = asyncio.run(scan(config))
        assert first.new == 2 and smx.feed.unacked() == 2  # stored, not reported: the hotel has not decided
        cancelled = smx.feed.add_cancel()
        [second] = asyncio.run(scan(config))
        assert second.cancelled == 1 and not any(
            e.acked is False and e.booking is cancelled for e in smx.feed.events
        )  # nothing to decide: reported
        waiting = sorted(v for v in smx.feed.latest if v != cancelled.voucher)
        connector = connector_for(config.operator("smx"), config)
        for voucher in waiting:
            connector.confirm(reply_for(config, voucher, pms_number="P-" + voucher[-1]))
        [third] = asyncio.run(scan(config))
    assert third.total == 0 and smx.feed.unacked() == 0
    assert [(r["voucher"], r["hotel_number"]) for r in smx.replies] == [(v, "P-" + v[-1]) for v in waiting]


def test_pmsxchange_confirm_carries_the_pms_number_and_reject_the_reason(tmp_path):
    smx = sim_operator("smx", kind="ota-soap", initial=2)
    with SimServer([smx]) as server:
        config = make_config(tmp_path, server)
        asyncio.run(scan(config))
        first, second = sorted(smx.feed.latest)
        connector = connector_for(config.operator("smx"), config)
        connector.confirm(reply_for(config, first, pms_number="PMS-1"))
        connector.reject(replace(reply_for(config, second), reason="overbooked"))
    assert [(r["voucher"], r["answer"], r["hotel_number"], r["reason"]) for r in smx.replies] == [
        (first, "confirm", "PMS-1", ""),
        (second, "reject", "", "overbooked"),
    ]


def test_a_wrong_password_is_a_soap_fault_named_on_the_board(tmp_path):
    smx = sim_operator("smx", kind="ota-soap", initial=1)
    locked = sim_operator("locked", kind="ota-soap", initial=1, faults=Faults(auth_fail=True))
    with SimServer([smx, locked]) as server:
        config = make_config(tmp_path, server)
        config = Config(
            config.path,
            {
                **config.data,
                "operators": [
                    {**e, "password": "guess"} if e["name"] == "smx" else e for e in config.data["operators"]
                ],
            },
        )
        runs = {r.operator: r for r in asyncio.run(scan(config))}
    assert runs["smx"].state == "error" and "SOAP fault soap:Client: authentication failed" in runs["smx"].last_error
    assert runs["locked"].state == "error" and "authentication failed (HTTP 401)" in runs["locked"].last_error
    assert locked.requests == 1


# -- SynXis pull -------------------------------------------------------------------------------
def test_a_get_messages_answer_shaped_like_sabres_samples_reads_new_and_cancelled():
    root = etree.fromstring((Path(__file__).parent / "fixtures" / "soap" / "synxis-getmsg.xml").read_bytes())
    pulled = messages.synxis_pulled(root)
    assert [(kind, messages.synxis_crs_number(e)) for kind, e in pulled] == [
        ("OTA_HotelResNotifRQ", "95049SY000123"),
        ("OTA_CancelRQ", "95049SY000099"),
    ]  # placeholders skipped
    [new] = messages.parse_part(messages.synxis_document(*pulled[0]))
    [gone] = messages.parse_part(messages.synxis_document(*pulled[1]))
    assert (new.voucher, new.content, new.adults, new.room, new.rate, str(new.total)) == (
        "95049SY000123",
        Content.NEW,
        2,
        "KING",
        "RACK",
        "660.00",
    )
    assert (gone.voucher, gone.content) == ("95049SY000099", Content.CANCEL)


def test_synxis_new_change_and_cancel_each_confirmed_with_its_own_message(tmp_path):
    sabre = sim_operator("sabre", kind="ota-soap", initial=3, dialect="synxis")
    with SimServer([sabre]) as server:
        config = make_config(tmp_path, server)
        [run] = asyncio.run(scan(config))
        [again] = asyncio.run(scan(config))
        assert (run.new, again.total, again.new) == (3, 3, 0), run.last_error  # no receipt: offered again, stored once
        a, b, c = sorted(sabre.feed.latest)
        connector = connector_for(config.operator("sabre"), config)
        connector.confirm(reply_for(config, a, pms_number="PMS-55"))
        connector.confirm(reply_for(config, b))
        with sabre.feed.lock:  # one night more
            before = sabre.feed.latest[c]
            longer = replace(before, content=Content.CHANGE, extra={}, guests=list(before.guests))
            sabre.feed._price_stay(longer, before.check_in, (before.check_out - before.check_in).days + 1)
            sabre.feed._record(longer)
        [changed] = asyncio.run(scan(config))
        connector.confirm(reply_for(config, c, pms_number="PMS-57"))
        with sabre.feed.lock:
            sabre.feed._record(replace(sabre.feed.latest[a], content=Content.CANCEL, extra={}))
        [cancelled] = asyncio.run(scan(config))
        connector.reject(replace(reply_for(config, a, pms_number="PMS-55"), reason="guest unknown"))
        [after] = asyncio.run(scan(config))
    assert (changed.changed, cancelled.cancelled, after.total) == (1, 1, 0)
    assert [(r["voucher"], r["message"], r["answer"], r["hotel_number"], r["reason"]) for r in sabre.replies] == [
        (a, "OTA_HotelResNotifRQ", "confirm", "PMS-55", ""),
        (b, "OTA_HotelResNotifRQ", "confirm", "SB000042", ""),
        (c, "OTA_HotelResModifyNotifRQ", "confirm", "PMS-57", ""),
        (a, "OTA_CancelRQ", "reject", "", "guest unknown"),
    ]


# -- SOAP push -----------------------------------------------------------------------------------
@pytest.fixture
def pushed(tmp_path):
    config = Config(
        tmp_path / "opdesk.toml",
        {
            "store": {"path": str(tmp_path / "opdesk.db")},
            "operators": [
                {
                    "name": "smx",
                    "kind": "ota-soap",
                    "dialect": "pmsxchange",
                    "delivery": "push",
                    "username": "siteminder",
                    "password": "Str0ng!Pass#1",
                }
            ],
        },
    )
    server = PushServer(config, config.operators, port=0).start()
    yield config, f"http://127.0.0.1:{server.port}/smx"
    server.stop()


def push_request(bookings: list, *, password: str = "Str0ng!Pass#1", broken: str = "") -> bytes:
    root = messages.message("OTA_HotelResNotifRQ", echo="echo-1")
    holder = messages.sub(root, "HotelReservations")
    for booking in bookings:
        holder.append(messages.pmsx_reservation(booking, "SUNBEACH"))
    if broken:
        holder[-1].set("ResStatus", broken)
    return envelope.request(root, "siteminder", password)


def post(url: str, body: bytes) -> tuple[int, etree._Element]:
    response = httpx.post(
        url, content=body, headers={"Content-Type": envelope.CONTENT_TYPE, "SOAPAction": '"OTA_HotelResNotifRQ"'}
    )
    return response.status_code, etree.fromstring(response.content)


def test_a_soap_push_is_stored_and_answered_with_each_reservation_taken(pushed):
    config, url = pushed
    feed = family_feed("smx")
    bookings = [feed.add_new() for _ in range(3)]
    status, answer = post(url, push_request(bookings))
    again_status, again = post(url, push_request(bookings))
    rs = answer.find("s:Body/o:OTA_HotelResNotifRS", NS)
    assert status == 200 and rs.get("EchoToken") == "echo-1" and rs.find("o:Success", NS) is not None
    assert [u.get("ID") for u in rs.iterfind(".//o:HotelReservation/o:UniqueID", NS)] == [b.voucher for b in bookings]
    assert again_status == 200 and again.find(".//o:Success", NS) is not None
    assert len(rows(config, "SELECT id FROM raw_messages")) == 3
    assert len(rows(config, "SELECT id FROM operator_reservations")) == 3


def test_a_soap_push_names_what_it_refused_and_refuses_wrong_credentials(pushed):
    config, url = pushed
    feed = family_feed("smx")
    bookings = [feed.add_new() for _ in range(2)]
    _, answer = post(url, push_request(bookings, broken="Tentative"))
    [warning] = answer.iterfind(".//o:Warnings/o:Warning", NS)
    assert (warning.get("Type"), warning.get("Code"), warning.get("RecordID")) == ("3", "450", bookings[1].voucher)
    assert "unknown ResStatus 'Tentative'" in warning.text
    _, all_refused = post(url, push_request(bookings[1:], broken="Tentative"))
    [error] = all_refused.iterfind(".//o:Errors/o:Error", NS)
    assert error.get("Code") == "450" and bookings[1].voucher in error.text
    assert all_refused.find(".//o:Success", NS) is None
    status, fault = post(url, push_request(bookings, password="guess"))
    assert status == 500 and "authentication failed" in fault.findtext(".//faultstring")
    assert len(rows(config, "SELECT id FROM operator_reservations")) == 1


def test_a_missing_dialect_or_hotel_code_says_what_to_set(tmp_path):
    smx = sim_operator("smx", kind="ota-soap", initial=1)
    sabre = sim_operator("sabre", kind="ota-soap", initial=1, dialect="synxis")
    with SimServer([smx, sabre]) as server:
        config = make_config(tmp_path, server)
        config = Config(
            config.path,
            {
                **config.data,
                "operators": [
                    {k: v for k, v in e.items() if k != ("dialect" if e["name"] == "smx" else "hotel_code")}
                    for e in config.data["operators"]
                ],
            },
        )
        runs = {r.operator: r for r in asyncio.run(scan(config))}
    assert 'dialect must be "pmsxchange" or "synxis"' in runs["smx"].last_error
    assert "set hotel_code" in runs["sabre"].last_error


@pytest.mark.parametrize(
    ("count", "message"),
    [
        ('<GuestCount AgeQualifyingCode="8" Count="1"/>', r"a child \(AgeQualifyingCode 8\) without an Age"),
        ('<GuestCount AgeQualifyingCode="99" Count="1"/>', "unknown AgeQualifyingCode '99'"),
        ('<GuestCount AgeQualifyingCode="10" Count="' + "9" * 5000 + '"/>', "GuestCount Count"),
    ],
)
def test_impossible_guest_counts_fail_the_reservation_naming_the_field(count, message):
    body = (Path(__file__).parent / "fixtures" / "soap" / "pmsxchange-retrieve.xml").read_bytes()
    body = body.replace(b'<GuestCount AgeQualifyingCode="8" Count="1" Age="6"/>', count.encode())
    _, payload = envelope.open_envelope(body, name="sample")
    booked, _ = messages.pmsx_reservations(payload)
    with pytest.raises(ParseError, match=message) as caught:
        messages.parse_part(messages.pmsx_document(booked))
    assert caught.value.record == "BKS-7781"
