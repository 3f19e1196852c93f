"""AlpineBits spoken exactly: handshake, hotel codes, answers, rooms of one reservation, ack on decision.

Pull tests run against the simulator and push tests against ``opdesk serve-push``,
both real HTTP servers on 127.0.0.1; every AlpineBits answer is checked against
the 2024-10 XSD.
"""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import date
from pathlib import Path

import httpx
import pytest
from api.test_api_ota_parser import full_booking
from api.test_api_scan import make_config, rows
from lxml import etree
from support.mapped import map_everything

from connectors.ota import handshake, writer
from connectors.ota.connector import PUSH_ACTION, STATUS_UPDATE_ACTION
from connectors.ota.push_server import PushServer
from connectors.scan import scan
from connectors.simulate.demo import sim_operator
from connectors.simulate.push import agree_version, push
from connectors.simulate.server import SimServer
from core.config import Config
from core.models import Content
from core.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = FIXTURES / "alpinebits-2024-10"
AUTH = ("jet2", "s3cret")


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(FIXTURES / "alpinebits-2024-10.xsd")))


def valid(schema: etree.XMLSchema, body: bytes) -> etree._Element:
    root = etree.fromstring(body)
    assert schema.validate(root), schema.error_log
    return root


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


def post(url: str, action: str, body: bytes, version: str = "2024-10") -> httpx.Response:
    return httpx.post(
        url,
        files={"action": (None, action), "request": (None, body)},
        auth=AUTH,
        headers={"X-AlpineBits-ClientProtocolVersion": version},
    )


def stored(config: Config, sql: str, params: tuple = ()) -> list[dict]:
    with Store(config.store_path) as store:
        return store.all(sql, params)


# -- item 2: handshake ---------------------------------------------------------------------
def test_serve_push_answers_a_handshake_with_what_both_sides_speak(served, schema):
    config, url = served
    theirs = {
        "versions": [
            {
                "version": "2024-10",
                "actions": [
                    {"action": "action_OTA_Ping"},
                    {"action": "action_OTA_HotelResNotif_GuestRequests"},
                    {"action": "action_OTA_HotelRatePlanNotif_RatePlans"},
                ],
            },
            {"version": "2018-10", "actions": [{"action": "action_OTA_Ping"}]},
        ]
    }
    echo = json.dumps(theirs, indent=1)
    request = (
        f'<OTA_PingRQ xmlns="http://www.opentravel.org/OTA/2003/05" Version="8.000">'
        f"<EchoData>{echo}</EchoData></OTA_PingRQ>"
    ).encode()
    valid(schema, request)
    response = post(url, handshake.PING_ACTION, request, version="2018-10")  # any version may ask
    assert response.status_code == 200
    root = valid(schema, response.content)
    assert etree.QName(root).localname == "OTA_PingRS" and root.find("{*}Success") is not None
    [warning] = root.iter("{*}Warning")
    assert (warning.get("Type"), warning.get("Status")) == ("11", "ALPINEBITS_HANDSHAKE")
    assert json.loads(warning.text) == {
        "versions": [
            {
                "version": "2024-10",
                "actions": [{"action": "action_OTA_Ping"}, {"action": "action_OTA_HotelResNotif_GuestRequests"}],
            }
        ]
    }
    assert root.find("{*}EchoData").text == echo  # the client's EchoData, as it sent it
    assert agree_version(url, username="jet2", password="s3cret") == "2024-10"
    assert stored(config, "SELECT COUNT(*) AS n FROM raw_messages")[0]["n"] == 0


def test_a_push_in_a_version_serve_push_does_not_speak_is_refused_and_not_stored(served):
    config, url = served
    body = writer.booking_to_ota_xml([full_booking()], push=True, hotel_code="SUNBEACH")
    response = post(url, PUSH_ACTION, body, version="2015-07")
    assert response.status_code == 400
    assert "unsupported protocol version '2015-07'" in response.text and "2024-10" in response.text
    assert stored(config, "SELECT COUNT(*) AS n FROM raw_messages")[0]["n"] == 0
    assert post(url, PUSH_ACTION, body, version="2022-10").status_code == 200  # one it speaks


def test_pull_handshakes_first_and_speaks_the_highest_version_both_know(tmp_path):
    op = sim_operator("tui", initial=2)
    op.versions = ("2022-10",)
    with SimServer([op]) as server:
        config = make_config(tmp_path, server)
        [run] = asyncio.run(scan(config))
        [again] = asyncio.run(scan(config))
    assert run.state == "ok" and run.new == 2 and again.state == "ok"
    assert op.seen[0][0] == handshake.PING_ACTION
    assert [v for a, v in op.seen[1:]] == ["2022-10"] * len(op.seen[1:])  # read and acks in the agreed version
    assert [a for a, _ in op.seen].count(handshake.PING_ACTION) == 1  # agreed once, kept
    with Store(config.store_path) as store:
        assert store.connector_state("tui") == {"protocol_version": "2022-10"}


def test_pull_handshakes_again_when_the_server_reports_a_version_problem(tmp_path):
    op = sim_operator("tui", initial=2)
    with SimServer([op]) as server:
        config = make_config(tmp_path, server)
        asyncio.run(scan(config))
        op.versions = ("2022-10",)  # the operator went back to an older version meanwhile
        op.feed.add_new()
        op.seen.clear()
        [run] = asyncio.run(scan(config))
    assert run.state == "ok" and run.new == 1
    assert op.seen == [
        ("OTA_Read:GuestRequests", "2024-10"),
        (handshake.PING_ACTION, "2024-10"),
        ("OTA_Read:GuestRequests", "2022-10"),
        ("OTA_NotifReport:GuestRequests", "2022-10"),
    ]


def test_a_server_that_checks_the_version_even_of_a_handshake_is_asked_in_each_in_turn(tmp_path):
    op = sim_operator("tui", initial=1)
    op.versions, op.strict_ping = ("2022-10",), True
    with SimServer([op]) as server:
        [run] = asyncio.run(scan(make_config(tmp_path, server)))
    assert run.state == "ok" and run.new == 1
    assert op.seen[:3] == [
        (handshake.PING_ACTION, "2024-10"),
        (handshake.PING_ACTION, "2022-10"),
        ("OTA_Read:GuestRequests", "2022-10"),
    ]


def test_pull_handshakes_again_when_the_version_problem_comes_as_an_errors_answer(tmp_path):
    op = sim_operator("tui", initial=1)
    with SimServer([op]) as server:
        config = make_config(tmp_path, server)
        asyncio.run(scan(config))
        op.versions, op.version_error_xml = ("2022-10",), True
        op.feed.add_new()
        [run] = asyncio.run(scan(config))
    assert run.state == "ok" and run.new == 1
    assert [a for a, _ in op.seen].count(handshake.PING_ACTION) == 2


def test_pull_that_shares_no_version_says_so(tmp_path):
    op = sim_operator("tui", initial=1)
    op.versions = ("2018-10",)
    with SimServer([op]) as server:
        [run] = asyncio.run(scan(make_config(tmp_path, server)))
    assert run.state == "error" and "speaks none of the AlpineBits versions" in run.last_error
    assert op.feed.unacked() == 1


# -- items 5 and 6: not this hotel, unknown IDs, answers -----------------------------------
def test_a_push_for_another_hotel_alone_is_an_error_392_and_never_booked(served, schema):
    config, url = served
    body = writer.booking_to_ota_xml([full_booking(voucher="X-1")], push=True, hotel_code="OTHERHOTEL")
    root = valid(schema, post(url, PUSH_ACTION, body).content)
    [error] = root.iter("{*}Error")
    assert (error.get("Type"), error.get("Code")) == ("13", "392")
    assert "X-1" in error.text and "for hotel OTHERHOTEL, not this one" in error.text
    assert root.find("{*}HotelReservations") is None and root.find("{*}Success") is None
    [raw] = stored(config, "SELECT parse_state, parse_error FROM raw_messages")
    assert raw["parse_state"] == "failed" and "for hotel OTHERHOTEL, not this one" in raw["parse_error"]
    assert stored(config, "SELECT COUNT(*) AS n FROM operator_reservations")[0]["n"] == 0


def test_a_push_acks_what_it_took_and_refuses_each_other_id_with_a_warning_450(served, schema):
    config, url = served
    ours = writer.booking_to_ota_xml([full_booking(voucher="OK-1")], push=True, hotel_code="SUNBEACH")
    other = etree.fromstring(
        writer.booking_to_ota_xml([full_booking(voucher="NO-2")], push=True, hotel_code="ELSEWHERE")
    )
    root = etree.fromstring(ours)
    root.find("{*}HotelReservations").append(other.find("{*}HotelReservations/{*}HotelReservation"))
    answer = valid(schema, post(url, PUSH_ACTION, etree.tostring(root)).content)
    assert [(u.get("Type"), u.get("ID")) for u in answer.iter("{*}UniqueID")] == [("14", "OK-1")]
    [warning] = answer.iter("{*}Warning")
    assert (warning.get("Type"), warning.get("Code"), warning.get("RecordID")) == ("3", "450", "NO-2")
    assert "for hotel ELSEWHERE" in warning.text
    assert [r["voucher"] for r in stored(config, "SELECT voucher FROM operator_reservations")] == ["OK-1"]


def test_refusals_that_differ_get_error_450_and_a_missing_field_321(served, schema):
    _, url = served
    body = (
        (SAMPLES / "GuestRequests-Push-OTA_HotelResNotifRQ.xml")
        .read_bytes()
        .replace(b'HotelCode="123"', b'HotelCode="SUNBEACH"')
    )
    no_stay = etree.fromstring(body)
    stay = no_stay.find(".//{*}TimeSpan")
    stay.getparent().remove(stay)
    [error] = valid(schema, post(url, PUSH_ACTION, etree.tostring(no_stay)).content).iter("{*}Error")
    assert error.get("Code") == "321" and "missing TimeSpan" in error.text
    both = etree.fromstring(writer.booking_to_ota_xml([full_booking(voucher="W-1")], push=True, hotel_code="W"))
    both.find("{*}HotelReservations").append(no_stay.find(".//{*}HotelReservation"))
    [error] = valid(schema, post(url, PUSH_ACTION, etree.tostring(both)).content).iter("{*}Error")
    assert error.get("Code") == "450" and "W-1" in error.text and "6b34fe24ac2ff810" in error.text


def test_status_updates_are_understood_and_unknown_ids_are_refused(served, schema):
    config, url = served
    update = (SAMPLES / "GuestRequests-Push-OTA_HotelResNotifRQ-StatusUpdate.xml").read_bytes()
    [error] = valid(schema, post(url, STATUS_UPDATE_ACTION, update).content).iter("{*}Error")
    assert error.get("Code") == "450"
    assert "6b34fe24ac999999" in error.text and "6b34fe24ac244444" in error.text and "unknown reservation" in error.text
    assert {r["parse_state"] for r in stored(config, "SELECT parse_state FROM raw_messages")} == {"failed"}
    assert stored(config, "SELECT COUNT(*) AS n FROM operator_reservations")[0]["n"] == 0
    # Once both reservations are known (with this hotel's code), the same update is taken.
    known = [full_booking(voucher="6b34fe24ac999999"), full_booking(voucher="6b34fe24ac244444")]
    assert push(url, known, username="jet2", password="s3cret")[0] == [("14", v.voucher) for v in known]
    answer = valid(schema, post(url, STATUS_UPDATE_ACTION, update).content)
    assert [(u.get("Type"), u.get("ID")) for u in answer.iter("{*}UniqueID")] == [
        ("14", "6b34fe24ac999999"),
        ("15", "6b34fe24ac244444"),
    ]
    latest = {r["voucher"]: r for r in stored(config, "SELECT * FROM operator_reservations WHERE is_latest = 1")}
    assert latest["6b34fe24ac244444"]["content"] == "cancel"
    assert latest["6b34fe24ac244444"]["check_in"] == "2026-07-01"  # the cancelled stay, as it was
    assert latest["6b34fe24ac999999"]["version"] == 1  # still reserved: nothing changed
    # "Reserved" for the cancelled one books it again, with the stay it had.
    again = update.replace(b'ResStatus="Cancelled"', b'ResStatus="Reserved"').replace(b'Type="15"', b'Type="14"')
    valid(schema, post(url, STATUS_UPDATE_ACTION, again).content)
    back = {r["voucher"]: r for r in stored(config, "SELECT * FROM operator_reservations WHERE is_latest = 1")}
    assert (back["6b34fe24ac244444"]["content"], back["6b34fe24ac244444"]["check_in"]) == ("new", "2026-07-01")
    assert json.loads(back["6b34fe24ac244444"]["diff"])["content"] == ["cancel", "new"]


def test_pull_leaves_another_hotels_reservation_unacknowledged_and_failed(tmp_path):
    op = sim_operator("tui", initial=3)
    stray = op.feed.events[1]
    stray.rendered = writer.reservation_xml(stray.booking, "NOTOURS")
    with SimServer([op]) as server:
        config = make_config(tmp_path, server)
        [run] = asyncio.run(scan(config))
        [again] = asyncio.run(scan(config))
    assert (run.new, run.errors) == (2, 1)
    assert op.feed.unacked() == 1 and again.total == 1  # sent again, never acknowledged
    [failed] = rows(config, "SELECT parse_error FROM raw_messages WHERE parse_state = 'failed'")
    assert "for hotel NOTOURS, not this one (SUNBEACH)" in failed["parse_error"]
    booked = {r["voucher"] for r in rows(config, "SELECT voucher FROM operator_reservations")}
    assert stray.booking.voucher not in booked


def test_pull_takes_a_bare_cancellation_only_for_a_known_id(tmp_path):
    op = sim_operator("tui", initial=2)
    cancel = (SAMPLES / "GuestRequests-OTA_ResRetrieveRS-cancellation.xml").read_bytes()
    bare = etree.fromstring(cancel).find(".//{*}HotelReservation")
    unknown = op.feed.events[0]
    unknown.rendered = etree.tostring(bare)  # c24e8b15ca469388: never sent before
    with SimServer([op]) as server:
        config = make_config(tmp_path, server)
        [run] = asyncio.run(scan(config))
    assert (run.new, run.errors) == (1, 1)
    [failed] = rows(config, "SELECT parse_error FROM raw_messages WHERE parse_state = 'failed'")
    assert "c24e8b15ca469388" in failed["parse_error"] and "unknown reservation" in failed["parse_error"]
    assert "c24e8b15ca469388" not in {r["voucher"] for r in rows(config, "SELECT voucher FROM operator_reservations")}


# -- item 4: rooms of one reservation ------------------------------------------------------
def reservation(voucher: str, status: str, stays: list[tuple[str, date, date]], hotel: str = "SUNBEACH") -> bytes:
    """A push of one reservation with a RoomStay per (room, check-in, check-out)."""
    booking = full_booking(Content.CHANGE if status == "Modify" else Content.NEW, voucher)
    root = etree.fromstring(writer.booking_to_ota_xml([booking], push=True, hotel_code=hotel))
    holder = root.find(".//{*}RoomStays")
    template = holder[0]
    for old in list(holder):
        holder.remove(old)
    for room, start, end in stays:
        stay = copy.deepcopy(template)
        stay.find(".//{*}RoomType").set("RoomTypeCode", room)
        stay.find("{*}TimeSpan").set("Start", start.isoformat())
        stay.find("{*}TimeSpan").set("End", end.isoformat())
        for part in ("RoomRates", "Total"):
            found = stay.find(f"{{*}}{part}")
            if found is not None:
                stay.remove(found)
        holder.append(stay)
    return etree.tostring(root)


def latest_rooms(config: Config) -> dict[str, dict]:
    return {r["voucher"]: r for r in stored(config, "SELECT * FROM operator_reservations WHERE is_latest = 1")}


def test_rooms_dropped_added_and_cancelled_with_their_reservation(served, schema):
    config, url = served
    jul1, jul8, jul9 = date(2026, 7, 1), date(2026, 7, 8), date(2026, 7, 9)
    assert (
        post(
            url,
            PUSH_ACTION,
            reservation("R-7", "Reserved", [("DZX", jul1, jul8), ("FAM", jul1, jul8), ("SUI", jul1, jul8)]),
        ).status_code
        == 200
    )
    assert set(latest_rooms(config)) == {"R-7", "R-7/2", "R-7/3"}
    # The guest stays a night longer in the first room and gives up the suite.
    answer = valid(
        schema, post(url, PUSH_ACTION, reservation("R-7", "Modify", [("DZX", jul1, jul9), ("FAM", jul1, jul8)])).content
    )
    assert [u.get("ID") for u in answer.iter("{*}UniqueID")] == ["R-7"]
    rooms = latest_rooms(config)
    assert rooms["R-7"]["content"] == "change"
    diff = json.loads(rooms["R-7"]["diff"])
    assert diff["nights"] == [7, 8] and diff["check_out"] == ["2026-07-08", "2026-07-09"]
    assert rooms["R-7/2"]["version"] == 1  # untouched
    assert rooms["R-7/3"]["content"] == "cancel" and rooms["R-7/3"]["room"] == "SUI"
    assert json.loads(rooms["R-7/3"]["diff"])["content"] == ["new", "cancel"]
    assert "room_dropped_by_change" in json.loads(rooms["R-7/3"]["flags"])
    # Another modification adds a villa as a fourth room: a new row, not a change of nothing.
    post(
        url,
        PUSH_ACTION,
        reservation(
            "R-7", "Modify", [("DZX", jul1, jul9), ("FAM", jul1, jul8), ("SUI", jul1, jul8), ("VIL", jul1, jul8)]
        ),
    )
    rooms = latest_rooms(config)
    assert rooms["R-7/4"]["content"] == "new" and json.loads(rooms["R-7/4"]["flags"]) == ["room_added_by_change"]
    assert rooms["R-7/3"]["content"] == "change"  # the suite is back
    # The standard's cancellation: no RoomStays, no HotelCode. Every room of R-7 is cancelled.
    cancel = (SAMPLES / "GuestRequests-Push-OTA_HotelResNotifRQ-StatusUpdate.xml").read_bytes()
    root = etree.fromstring(cancel)
    holder = root.find("{*}HotelReservations")
    holder.remove(holder[0])
    holder[0].find("{*}UniqueID").set("ID", "R-7")
    answer = valid(schema, post(url, PUSH_ACTION, etree.tostring(root)).content)
    assert [(u.get("Type"), u.get("ID")) for u in answer.iter("{*}UniqueID")] == [("15", "R-7")]
    rooms = latest_rooms(config)
    assert {v: r["content"] for v, r in rooms.items()} == {v: "cancel" for v in ("R-7", "R-7/2", "R-7/3", "R-7/4")}
    assert rooms["R-7/2"]["check_in"] == "2026-07-01" and rooms["R-7/2"]["room"] == "FAM"  # what was cancelled
    assert rooms["R-7/2"]["cancel_date"] == "2023-06-12"


# -- item 3: acknowledged on the hotel's decision ------------------------------------------
def test_on_decision_acks_when_the_hotel_confirms_and_refuses_when_it_rejects(tmp_path, schema):
    from core.audit import Actor
    from tui import desk_actions

    op = sim_operator("tui", initial=3)
    with SimServer([op]) as server:
        config = make_config(tmp_path, server, tui={"ack": "on_decision"})
        [first] = asyncio.run(scan(config))
        assert first.new == 3 and op.feed.unacked() == 3  # received is not decided
        cancelled = op.feed.add_cancel()
        [second] = asyncio.run(scan(config))
        assert (second.total, second.new, second.cancelled) == (4, 0, 1)  # sent again, stored once
        assert op.feed.unacked() == 2  # the cancellation: acked on receipt
        map_everything(config)
        pending = {
            r["voucher"]: r["id"]
            for r in rows(
                config, "SELECT id, voucher FROM operator_reservations WHERE is_latest = 1 AND content = 'new'"
            )
        }
        keep, refuse = sorted(pending)
        actor = Actor("cli", "test")
        with Store(config.store_path) as store:
            [ok] = desk_actions.confirm(store, config, [pending[keep]], actor)
            [no] = desk_actions.reject(store, config, [pending[refuse]], actor, "no rooms left")
        assert ok.ok and no.ok, (ok.message, no.message)
        assert op.feed.unacked() == 0  # confirmed acked, rejected refused
        [third] = asyncio.run(scan(config))
        assert third.total == 0  # the operator stopped re-sending
    refusal = valid(schema, op.reports[-1])
    [warning] = refusal.iter("{*}Warning")
    assert (warning.get("Type"), warning.get("Code"), warning.get("RecordID")) == ("3", "450", refuse)
    assert warning.text == "no rooms left" and not list(refusal.iter("{*}UniqueID"))
    acked = [valid(schema, body) for body in op.reports]
    assert any([u.get("ID") for u in r.iter("{*}UniqueID")] == [keep] for r in acked)
    assert cancelled.voucher not in (keep, refuse)


def test_on_receipt_is_the_default_and_a_wrong_ack_setting_is_named(tmp_path):
    op = sim_operator("tui", initial=2)
    with SimServer([op]) as server:
        config = make_config(tmp_path, server)
        [run] = asyncio.run(scan(config))
        assert run.new == 2 and op.feed.unacked() == 0
        (tmp_path / "b").mkdir()
        [bad] = asyncio.run(scan(make_config(tmp_path / "b", server, tui={"ack": "whenever"})))
        (tmp_path / "c").mkdir()
        [nameless] = asyncio.run(scan(make_config(tmp_path / "c", server, tui={"hotel_code": ""})))
    assert bad.state == "error" and "ack = 'whenever' is not one of on_receipt, on_decision" in bad.last_error
    assert nameless.state == "error" and "set hotel_code in its [[operators]] entry" in nameless.last_error


def test_every_handshake_and_refusal_message_is_valid_alpinebits(schema):
    ours = handshake.capabilities(handshake.PULL_ACTIONS)
    valid(schema, handshake.ping_request(ours))
    valid(schema, handshake.ping_response('{"versions": []}', handshake.intersect(ours, ours)))
    valid(schema, handshake.ping_error("handshake not readable"))
    refused = valid(schema, writer.push_response([], [("A1", "for hotel X, not this one (SUNBEACH): never booked")]))
    assert refused.find("{*}Errors/{*}Error").get("Code") == "392"
    valid(schema, writer.notif_report_response())
    assert (
        handshake.highest_version(
            handshake.intersect(ours, handshake.capabilities(handshake.PULL_ACTIONS, ["2022-10", "2018-10"]))
        )
        == "2022-10"
    )
    pull_in_2022_only = {
        "versions": [
            {"version": "2024-10", "actions": [{"action": "action_OTA_Ping"}]},
            {"version": "2022-10", "actions": [{"action": "action_OTA_Read"}]},
        ]
    }
    assert handshake.highest_version(pull_in_2022_only, handshake.ACTION_READ) == "2022-10"


def test_without_a_hotel_code_to_check_against_nothing_is_booked_and_the_fix_is_named(tmp_path, schema):
    config = Config(
        tmp_path / "opdesk.toml",
        {
            "store": {"path": str(tmp_path / "opdesk.db")},
            "operators": [{"name": "jet2", "kind": "ota-push", "username": "jet2", "password": "s3cret"}],
        },
    )
    server = PushServer(config, config.operators, port=0).start()
    try:
        body = writer.booking_to_ota_xml([full_booking(voucher="N-1")], push=True, hotel_code="SUNBEACH")
        [error] = valid(schema, post(f"http://127.0.0.1:{server.port}/jet2", PUSH_ACTION, body).content).iter(
            "{*}Error"
        )
    finally:
        server.stop()
    assert error.get("Code") == "392" and "set hotel_code in its [[operators]] entry" in error.text
    assert stored(config, "SELECT COUNT(*) AS n FROM operator_reservations")[0]["n"] == 0


def test_a_reason_with_control_characters_still_makes_a_valid_refusal(schema):
    body = writer.notif_report([], [("A\x00-1", "stop sale \x1b[31m[/]\x07")])
    [warning] = valid(schema, body).iter("{*}Warning")
    assert warning.text == "stop sale ?[31m[/]?" and warning.get("RecordID") == "A?-1"
    [error] = valid(schema, writer.push_response([], [("B-2", "bad \x1b byte")])).iter("{*}Error")
    assert "bad ? byte" in error.text


def test_on_decision_answers_a_reservation_of_several_rooms_once_for_all_of_them(tmp_path):
    from core.audit import Actor
    from tui import desk_actions

    op = sim_operator("tui", initial=2)
    two_rooms = [("DZX", date(2026, 7, 1), date(2026, 7, 8)), ("FAM4", date(2026, 7, 1), date(2026, 7, 8))]
    kept, refused = op.feed.events
    for event in (kept, refused):
        whole = etree.fromstring(reservation(event.booking.voucher, "Reserved", two_rooms))
        event.rendered = etree.tostring(whole.find(".//{*}HotelReservation"))
    with SimServer([op]) as server:
        config = make_config(tmp_path, server, tui={"ack": "on_decision"})
        [run] = asyncio.run(scan(config))
        assert run.new == 4 and op.feed.unacked() == 2
        map_everything(config)
        ids = {r["voucher"]: r["id"] for r in rows(config, "SELECT id, voucher FROM operator_reservations")}
        k, r = kept.booking.voucher, refused.booking.voucher
        actor = Actor("cli", "test")
        with Store(config.store_path) as store:
            [first] = desk_actions.confirm(store, config, [ids[k]], actor)
            assert first.ok and "not sent yet" in first.message and f"{k}/2" in first.message
            assert op.feed.unacked() == 2  # one room of two decided: nothing told
            [last] = desk_actions.confirm(store, config, [ids[f"{k}/2"]], actor)
            assert last.ok and last.message.endswith("operator: sent")
            assert op.feed.unacked() == 1  # every room confirmed: acknowledged once
            [no] = desk_actions.reject(store, config, [ids[f"{r}/2"]], actor, "no family rooms")
            assert no.ok and op.feed.unacked() == 0  # one room rejected: the reservation refused
            [after] = desk_actions.confirm(store, config, [ids[r]], actor)
            assert after.ok and f"not sent: reservation {r} was refused" in after.message
    assert [v for v in (x.get("voucher") for x in op.replies)] == [r]
