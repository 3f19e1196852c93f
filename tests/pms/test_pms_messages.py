"""What reaches the PMS: AlpineBits 2024-10 valid against its XSD, the HTNG answer's number, the files."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from lxml import etree
from pms.helpers import run, run_json, with_pms
from support.desk import booking, drop, scan

from connectors.pms.ota import notif_request, read_answer
from connectors.simulate.pms import PmsServer, SimPms
from core.audit import Actor
from core.desk import save
from core.models import Content, Guest
from core.pms import DeliveryError, PmsSettings, deliveries, delivery_booking, pms_settings
from core.store import Store

XSD = Path(__file__).resolve().parent.parent / "api" / "fixtures" / "alpinebits-2024-10.xsd"
ACTOR = Actor("cron", "cli")


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def _saved(cfg, *bookings):
    drop(cfg, "a.json", *bookings)
    scan(cfg)
    store = Store(cfg.store_path)
    ids = [r["id"] for r in store.all("SELECT id FROM operator_reservations ORDER BY id")]
    assert all(o.ok for o in save(store, cfg, ids, ACTOR))
    return store


def test_new_change_and_cancel_are_valid_alpinebits(desk, schema):
    cfg = with_pms(desk, kind="ota", dialect="alpinebits", url="http://127.0.0.1:9/pms", hotel_code="SUNBEACH")
    big = booking("V1", child_ages=[7], notes="late arrival [b]x[/b]")
    big.guests.append(Guest("Can", "Yılmaz", 7))
    store = _saved(cfg, big)
    for name, later in (("b.json", booking("V1", Content.CHANGE, nights=9)), ("c.json", booking("V1", Content.CANCEL))):
        drop(cfg, name, later)
        scan(cfg)
        latest = store.scalar("SELECT MAX(id) FROM operator_reservations")
        assert save(store, cfg, [latest], ACTOR)[0].ok
    settings = pms_settings(cfg)
    queued = deliveries(store)
    assert [d.content for d in queued] == ["new", "change", "cancel"]
    for d in queued:
        document = etree.fromstring(notif_request(delivery_booking(store, d), settings))
        assert schema.validate(document), (d.content, schema.error_log)
        ns = {"o": "http://www.opentravel.org/OTA/2003/05"}
        [uid] = document.findall(".//o:UniqueID", ns)
        assert uid.get("ID") == "T000001"
        [voucher] = document.findall(".//o:HotelReservationID", ns)
        assert (voucher.get("ResID_Type"), voucher.get("ResID_Value"), voucher.get("ResID_Source")) == (
            "13",
            "V1",
            "tui",
        )


def test_alpinebits_push_over_http_is_sent_and_has_no_pms_number(desk):
    with PmsServer(SimPms()) as server:
        cfg = with_pms(desk, **server.entry("alpinebits"))
        _saved(cfg, booking("V1")).close()
        code, report = run_json(cfg, "pms", "send")
    assert code == 0 and report["items"][0]["state"] == "sent" and report["items"][0]["pms_number"] is None
    assert [r["voucher"] for r in server.pms.received] == ["V1"]


def test_htng_answer_gives_the_number_from_the_named_pms_only():
    answer = (
        b'<OTA_HotelResNotifRS xmlns="http://www.opentravel.org/OTA/2003/05" Version="1.0"><Success/>'
        b'<HotelReservations><HotelReservation><UniqueID Type="14" ID="T1"/><ResGlobalInfo>'
        b'<HotelReservationIDs><HotelReservationID ResID_Type="14" ResID_Value="OTHER-1" ResID_Source="CRS"/>'
        b'<HotelReservationID ResID_Type="14" ResID_Value="PMS-77" ResID_Source="PROTEL"/>'
        b"</HotelReservationIDs></ResGlobalInfo></HotelReservation></HotelReservations></OTA_HotelResNotifRS>"
    )
    htng = PmsSettings(kind="ota", dialect="htng", url="http://x", name="PROTEL")
    assert read_answer(answer, htng) == "PMS-77"
    assert read_answer(answer, PmsSettings(kind="ota", dialect="alpinebits", url="http://x")) == ""
    error = (
        b'<OTA_HotelResNotifRS xmlns="http://www.opentravel.org/OTA/2003/05" Version="1.0">'
        b'<Errors><Error Type="13" Code="450">room type unknown</Error></Errors></OTA_HotelResNotifRS>'
    )
    with pytest.raises(DeliveryError, match="room type unknown"):
        read_answer(error, htng)
    with pytest.raises(DeliveryError, match="not well-formed"):
        read_answer(answer[:40], htng)


def test_files_kind_writes_one_json_file_and_one_csv_row_per_delivery(desk):
    cfg = with_pms(desk, kind="files", folder="pms-out")
    _saved(cfg, booking("V1", surname="=HYPERLINK(1)"), booking("V2")).close()
    code, report = run_json(cfg, "pms", "send")
    assert code == 0 and report["sent"] == 2
    folder = cfg.base_dir / "pms-out"
    files = sorted(folder.glob("*.json"))
    assert [f.name for f in files] == ["opdesk-00000001-T000001-v1-new.json", "opdesk-00000002-T000002-v1-new.json"]
    record = json.loads(files[0].read_text())
    assert record["voucher"] == "V1" and record["room"] == "STD" and record["guests"][0]["last_name"] == "=HYPERLINK(1)"
    assert files[0].stat().st_mode & 0o077 == 0
    rows = list(csv.DictReader((folder / "deliveries.csv").open()))
    assert [r["voucher"] for r in rows] == ["V1", "V2"]
    assert rows[0]["guest_names"].startswith("'=HYPERLINK")  # never a formula in a spreadsheet
    assert run_json(cfg, "pms", "send")[1]["sent"] == 0
    assert len(list(csv.DictReader((folder / "deliveries.csv").open()))) == 2


def test_files_delivery_tried_again_after_a_crash_adds_no_second_row(desk):
    from connectors.pms.files import FilesSender

    cfg = with_pms(desk, kind="files", folder="pms-out")
    store = _saved(cfg, booking("V1"))
    [d] = deliveries(store)
    FilesSender(pms_settings(cfg))(d, delivery_booking(store, d))  # written, then the process died
    assert run_json(cfg, "pms", "send")[1]["sent"] == 1
    assert len(list(csv.DictReader((cfg.base_dir / "pms-out" / "deliveries.csv").open()))) == 1


def test_simulate_pms_prints_its_entry_then_a_blank_line_and_takes_deliveries(desk):
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "simulate", "--kind", "pms", "--port", "0", "--fail-first", "1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        head = process.stdout.readline()
        assert "simulating a PMS" in head
        while (line := process.stdout.readline()) != "\n" or not lines:
            if line.strip():
                lines.append(line)
        entry = tomllib.loads("".join(lines))["pms"]
        assert entry["kind"] == "ota" and entry["dialect"] == "htng"
        cfg = with_pms(desk, **entry)
        _saved(cfg, booking("V1")).close()
        first = run_json(cfg, "pms", "send")
        assert first[0] == 1 and "HTTP 429" in first[1]["items"][0]["error"]
        code, second = run_json(cfg, "pms", "send")
        assert code == 0 and second["items"][0]["pms_number"] == "SIMPMS-00001"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_status_and_send_text_show_operator_text_as_text(desk):
    cfg = with_pms(desk, kind="files", folder="pms-out")
    _saved(cfg, booking("[red]V1[/red]")).close()
    result = run(cfg, "pms", "status")
    assert "[red]V1[/red]" in result.stdout


def test_control_characters_in_operator_text_never_stop_the_message(desk, schema):
    cfg = with_pms(desk, kind="ota", dialect="alpinebits", url="http://127.0.0.1:9/pms")
    store = _saved(cfg, booking("V1", surname="Brown\x1b[31m\x00", notes="bell\x07 here"))
    [d] = deliveries(store)
    document = etree.fromstring(notif_request(delivery_booking(store, d), pms_settings(cfg)))
    assert schema.validate(document), schema.error_log
    ns = {"o": "http://www.opentravel.org/OTA/2003/05"}
    assert document.find(".//o:Surname", ns).text == "Brown[31m"


def test_what_the_save_was_to_the_pms_names_the_content(desk):
    cfg = with_pms(desk, kind="files", folder="out")
    drop(cfg, "a.json", booking("V1", Content.CHANGE))  # a change that came before its booking
    scan(cfg)
    store = _saved(cfg)
    assert [d.content for d in deliveries(store)] == ["new"]


def test_a_hostile_pms_number_is_kept_as_short_printable_text():
    long = "9" * 5000
    answer = (
        '<OTA_HotelResNotifRS xmlns="http://www.opentravel.org/OTA/2003/05" Version="1.0"><Success/>'
        "<HotelReservations><HotelReservation><ResGlobalInfo><HotelReservationIDs>"
        f'<HotelReservationID ResID_Type="14" ResID_Value="[b]&#9;&#x85;{long}" ResID_Source="P"/>'
        "</HotelReservationIDs></ResGlobalInfo></HotelReservation></HotelReservations>"
        "</OTA_HotelResNotifRS>"
    ).encode()
    number = read_answer(answer, PmsSettings(kind="ota", dialect="htng", url="http://x"))
    assert number == ("[b]" + long)[:64]
