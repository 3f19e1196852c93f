"""What came with a booking, shown: flights, rate type, source, segment, option date, possible matches."""

from __future__ import annotations

import json
from datetime import date

from rich.console import Console
from support.desk import booking, scan
from typer.testing import CliRunner

from connectors.canonical import parse_canonical
from connectors.jsonapi.connector import booking_from_item
from connectors.ota.parser import parse_ota
from core.flights import normalise_flights
from core.models import OperatorBooking
from core.store import Store
from tui.cli import app
from tui.widgets import cells

runner = CliRunner()

FLIGHTS = [
    {"direction": "arrival", "number": "LS1733", "from": "MAN", "to": "AYT", "time": "2026-06-12T10:25"},
    {"direction": "return", "flight_no": "LS1734", "route": "AYT-MAN", "departure_time": "2026-06-19 18:05"},
]


def run(desk, *args):
    return runner.invoke(app, ["--config", str(desk.path), *args])


def _write(desk, name: str, records: list[dict]) -> None:
    (desk.base_dir / "drop" / name).write_text(json.dumps(records))


def _record(voucher: str, **extra) -> dict:
    b = booking(voucher)
    return {
        "voucher": voucher,
        "check_in": str(b.check_in),
        "check_out": str(b.check_out),
        "room": "DZ",
        "board": "AI",
        "rate": "TUI26",
        "agency": "TUI",
        "adults": 2,
        "guests": [{"first_name": "Ann", "last_name": "Brown"}],
        **extra,
    }


def test_flights_show_in_show_text_and_json(desk):
    _write(desk, "a.json", [_record("V1", flights=FLIGHTS)])
    scan(desk)
    shown = json.loads(run(desk, "show", "1", "--json").stdout)
    assert shown["flights"] == [
        {"direction": "arrival", "number": "LS1733", "route": "MAN-AYT", "time": "2026-06-12T10:25"},
        {"direction": "departure", "number": "LS1734", "route": "AYT-MAN", "time": "2026-06-19 18:05"},
    ]
    text = run(desk, "show", "1").stdout
    assert "flight   arrival LS1733 MAN-AYT 2026-06-12T10:25" in text
    assert "flight   departure LS1734 AYT-MAN 2026-06-19 18:05" in text


def test_hostile_flight_text_is_text(desk):
    _write(desk, "a.json", [_record("V1", flights=[{"number": "[red]X1[/red]\x1b[31m", "route": "A" * 5000}])])
    scan(desk)
    shown = json.loads(run(desk, "show", "1", "--json").stdout)
    assert shown["flights"][0]["number"] == "[red]X1[/red][31m" and len(shown["flights"][0]["route"]) == 64
    assert "[red]X1[/red][31m" in run(desk, "show", "1").stdout


def test_a_flight_that_is_not_a_flight_is_refused_naming_the_field(desk):
    _write(desk, "a.json", [_record("V1", flights=[5])])
    scan(desk)
    with Store(desk.store_path) as store:
        error = store.scalar("SELECT parse_error FROM raw_messages")
    assert "flights[1]" in error and "voucher V1" in error


def test_flights_from_mail_and_json_api_mappings():
    assert normalise_flights([{"direction": "arrival", "number": "BA2672"}]) == [
        {"direction": "arrival", "number": "BA2672", "route": "", "time": ""}
    ]
    item = {
        "ref": "J1",
        "state": "OK",
        "travel": {"legs": [{"leg": "outbound", "flightNumber": "TOM123", "origin": "LGW", "destination": "DLM"}]},
    }
    b = booking_from_item(item, {"voucher": "ref", "content": "state", "flights": "travel.legs"}, {"OK": "new"}, {}, {})
    assert b.flights == [{"direction": "arrival", "number": "TOM123", "route": "LGW-DLM", "time": ""}]


def test_rate_type_source_segment_and_option_date_are_carried_and_shown(desk):
    _write(
        desk, "a.json", [_record("V1", rate_type="package", source="B2B", segment="leisure", option_date="2026-05-20")]
    )
    scan(desk)
    shown = json.loads(run(desk, "show", "1", "--json").stdout)
    assert (shown["rate_type"], shown["source"], shown["segment"], shown["option_date"]) == (
        "package",
        "B2B",
        "leisure",
        "2026-05-20",
    )
    text = run(desk, "show", "1").stdout
    assert "source   B2B   segment leisure   rate type package" in text and "option   until 2026-05-20" in text


def test_rate_type_and_option_date_from_a_json_api_mapping():
    item = {"ref": "J1", "state": "OK", "tariff": {"kind": "room only"}, "optionUntil": "2026-05-01T12:00:00"}
    b = booking_from_item(
        item,
        {
            "voucher": "ref",
            "content": "state",
            "rate_type": "tariff.kind",
            "option_date": "optionUntil",
            "segment": "tariff.kind",
        },
        {"OK": "new"},
        {},
        {},
    )
    assert (b.rate_type, b.option_date, b.segment) == ("room only", date(2026, 5, 1), "room only")


def test_rate_type_segment_source_and_option_date_from_ota():
    body = b"""<OTA_HotelResNotifRQ xmlns="http://www.opentravel.org/OTA/2003/05" Version="1.000"><HotelReservations>
      <HotelReservation CreateDateTime="2026-03-01T10:00:00Z" ResStatus="Reserved">
        <UniqueID Type="14" ID="OTA1"/>
        <RoomStays><RoomStay MarketCode="LEISURE" SourceOfBusiness="WEB">
          <RoomTypes><RoomType RoomTypeCode="DZ"/></RoomTypes>
          <RatePlans><RatePlan RatePlanCode="TUI26" RatePlanType="12"/></RatePlans>
          <GuestCounts><GuestCount Count="2"/></GuestCounts>
          <TimeSpan Start="2026-07-01" End="2026-07-08"/>
        </RoomStay></RoomStays>
        <ResGlobalInfo><DepositPayments><GuaranteePayment><Deadline AbsoluteDeadline="2026-06-01T18:00:00"/>
        </GuaranteePayment></DepositPayments><BasicPropertyInfo HotelCode="SUNBEACH"/></ResGlobalInfo>
      </HotelReservation></HotelReservations></OTA_HotelResNotifRQ>"""
    [b] = parse_ota(body)
    assert (b.rate_type, b.segment, b.source, b.option_date) == ("12", "LEISURE", "WEB", date(2026, 6, 1))


def test_bookings_without_the_new_fields_keep_their_fingerprint():
    b = OperatorBooking(voucher="V1")
    assert "rate_type" not in b.comparable_json() and "option_date" not in b.comparable_json()
    [parsed] = parse_canonical(json.dumps(_record("V1", rate_type="package")).encode())
    assert '"rate_type":"package"' in parsed.comparable_json()


def test_possible_matches_count_and_best_reason_in_show_and_inbox_cell(desk, tmp_path):
    first = booking("V1")
    export = tmp_path / "pms.csv"
    export.write_text(
        "number,room,check_in,check_out,guest_names\n"
        f"PMS-9,STD,{first.check_in},{first.check_out},Brown Ann\n"
        f"PMS-10,STD,{first.check_in},{first.check_out},Brown Bob\n"
    )
    assert run(desk, "import-reservations", str(export)).exit_code == 0
    _write(desk, "a.json", [_record("V1")])
    scan(desk)
    shown = json.loads(run(desk, "show", "1", "--json").stdout)
    assert shown["possible_matches"] == 2
    assert shown["best_match"].startswith("PMS-9: guest Brown stays")
    assert "match    2 possible: PMS-9: guest Brown stays" in run(desk, "show", "1").stdout
    cell = cells.matches_text(shown["checks"])
    assert cell.plain.startswith("2 · PMS-9: guest Brown stays")
    assert cells.matches_text({"voucher": {"state": "ok", "message": "new voucher"}}).plain == ""
    wide = runner.invoke(app, ["--config", str(desk.path), "inbox"], env={"COLUMNS": "160"}).stdout
    assert "Possible match" in wide.splitlines()[1]
    assert "2 · PMS-9" in wide.splitlines()[2]
    assert max(len(line) for line in wide.splitlines()) <= 160


def test_a_saved_row_with_flights_shows_them_in_the_detail_pane(desk):
    from tui.widgets.detail_pane import SECTIONS, FlightsSection, GuestsSection, ReservationDetail

    _write(desk, "a.json", [_record("V1", flights=FLIGHTS, rate_type="package", option_date="2026-05-20")])
    scan(desk)
    with Store(desk.store_path) as store:
        detail = ReservationDetail.load(store, 1)
    assert SECTIONS.index(FlightsSection) == SECTIONS.index(GuestsSection) + 1
    body = FlightsSection().body(detail)
    console = Console(width=100, record=True, file=open("/dev/null", "w"), color_system=None)
    console.print(body)
    text = console.export_text()
    assert "arrival" in text and "LS1733" in text and "MAN-AYT" in text and "2026-06-19 18:05" in text
    assert FlightsSection().body(ReservationDetail({**detail.shape, "flights": []}, [], [], [])) is None
