"""One bad message never costs another: on every intake path, hostile messages are quarantined by name
while the good ones of the same batch, folder or push are taken in."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from trust.hostile_input import HOSTILE_JSON, ODD_BUT_READABLE, good_record
from typer.testing import CliRunner

from core.config import Config
from core.ingest import Ingestor
from core.models import RawMessage
from core.store import Store
from tui.cli import app

runner = CliRunner()


def run(cfg: Config, *args: str):
    result = runner.invoke(app, ["--config", str(cfg.path), "--as", "night", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def raws(cfg: Config) -> list[dict]:
    with Store(cfg.store_path) as store:
        return store.all("SELECT id, filename, parse_state, parse_error FROM raw_messages ORDER BY id")


def vouchers(cfg: Config) -> set[str]:
    with Store(cfg.store_path) as store:
        return {r["voucher"] for r in store.all("SELECT voucher FROM operator_reservations")}


def drop_all(cfg: Config) -> Path:
    drop = cfg.base_dir / "drop"
    (drop / "good-1.json").write_text(json.dumps(good_record("GOOD1")))
    for name, (body, _) in HOSTILE_JSON.items():
        (drop / f"{name}.json").write_bytes(body())
    for name, body in ODD_BUT_READABLE.items():
        (drop / f"{name}.json").write_bytes(body())
    (drop / "good-2.json").write_text(json.dumps(good_record("GOOD2")))
    return drop


def assert_quarantined_by_name(cfg: Config) -> None:
    by_file = {r["filename"]: r for r in raws(cfg)}
    assert len(by_file) == len(HOSTILE_JSON) + len(ODD_BUT_READABLE) + 2  # every message stored
    for name, (_, word) in HOSTILE_JSON.items():
        row = by_file[f"{name}.json"]
        assert row["parse_state"] == "failed", name
        assert row["parse_error"].startswith(f"{name}.json: "), row["parse_error"][:200]
        assert word in row["parse_error"], (name, row["parse_error"][:200])
    assert {"GOOD1", "GOOD2", "N1"} <= vouchers(cfg)


def test_drop_folder_quarantines_each_bad_file_and_takes_the_good_ones(desk):
    drop = drop_all(desk)
    result = run(desk, "scan", "--json")
    assert result.exit_code == 1  # a new message was quarantined
    [summary] = json.loads(result.output)
    assert summary["state"] == "ok" and summary["quarantined"] == len(HOSTILE_JSON)
    assert_quarantined_by_name(desk)
    assert [p.name for p in drop.iterdir() if p.is_file()] == []  # every file filed away
    failed = {p.name for p in (drop / "failed").iterdir()}
    assert {f"{n}.json" for n in HOSTILE_JSON} | {f"{n}.json.error.txt" for n in HOSTILE_JSON} == failed
    assert {p.name for p in (drop / "processed").iterdir()} == {"good-1.json", "good-2.json", "nul-in-name.json"}


def test_a_quarantined_message_sent_again_is_counted_apart_and_does_not_fail_the_run(desk):
    drop = drop_all(desk)
    run(desk, "scan")
    (drop / "resent.json").write_bytes(HOSTILE_JSON["int-too-large"][0]())  # the same bytes once more
    result = run(desk, "scan", "--json")
    [summary] = json.loads(result.output)
    assert (summary["quarantined"], summary["again"]) == (0, 1)
    assert result.exit_code == 0
    assert len(raws(desk)) == len(HOSTILE_JSON) + len(ODD_BUT_READABLE) + 2  # stored once


def test_ingest_command_quarantines_and_goes_on(desk, tmp_path):
    files = []
    for name, (body, _) in HOSTILE_JSON.items():
        path = tmp_path / f"{name}.json"
        path.write_bytes(body())
        files.append(path)
    good = tmp_path / "good-1.json"
    good.write_text(json.dumps(good_record("GOOD1")))
    missing = tmp_path / "gone.json"
    result = run(
        desk, "ingest", "--operator", "tui", "--json", str(files[0]), str(good), str(missing), *map(str, files[1:])
    )
    assert result.exit_code == 1
    out = {Path(r["file"]).name: r for r in json.loads(result.output)}
    assert out["good-1.json"]["new"] == 1
    assert out["gone.json"]["state"] == "unreadable"
    assert all(out[f"{n}.json"]["state"] == "failed" for n in HOSTILE_JSON)
    assert "GOOD1" in vouchers(desk)


def test_one_batch_with_a_value_sqlite_cannot_hold_keeps_the_rest(desk):
    """Straight into the pipeline, the way every connector hands over a batch."""
    from connectors.canonical import parse_canonical

    def parse(raw: RawMessage):
        return parse_canonical(raw.body, name=raw.filename)

    bodies = [json.dumps(good_record(f"B{i}")).encode() for i in range(3)]
    bodies.insert(1, HOSTILE_JSON["int-too-large"][0]())
    items = [(RawMessage(b, "tui", "folder", filename=f"m{i}.json"), parse) for i, b in enumerate(bodies)]
    with Store(desk.store_path, desk.documents_dir) as store:
        results = Ingestor(store, desk).ingest_many(items)
    assert [r.ok for r in results] == [True, False, True, True]
    assert "field adults" in results[1].error and results[1].quarantined
    assert vouchers(desk) == {"B0", "B1", "B2"}


# -- the OTA push endpoint ----------------------------------------------------------------------
OTA_NS = "http://www.opentravel.org/OTA/2003/05"


def ota_push_body(reservations: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><OTA_HotelResNotifRQ xmlns="{OTA_NS}" Version="1.000">'
        f"<HotelReservations>{reservations}</HotelReservations></OTA_HotelResNotifRQ>"
    ).encode()


def ota_reservation(res_id: str, total: str = "980.00", surname: str = "Yılmaz", adults: str = "2") -> str:
    return (
        f'<HotelReservation CreateDateTime="2026-11-01T10:00:00Z" ResStatus="Reserved">'
        f'<UniqueID Type="14" ID="{res_id}"/><RoomStays><RoomStay><RoomTypes><RoomType RoomTypeCode="DZ"/>'
        f'</RoomTypes><GuestCounts><GuestCount Count="{adults}"/></GuestCounts>'
        f'<TimeSpan Start="2027-05-10" End="2027-05-17"/><Total AmountAfterTax="{total}" CurrencyCode="EUR"/>'
        f"</RoomStay></RoomStays><ResGuests><ResGuest><Profiles><ProfileInfo><Profile><Customer>"
        f"<PersonName><GivenName>Ayşe</GivenName><Surname>{surname}</Surname></PersonName></Customer>"
        f"</Profile></ProfileInfo></Profiles></ResGuest></ResGuests>"
        f'<ResGlobalInfo><BasicPropertyInfo HotelCode="SUNBEACH"/></ResGlobalInfo></HotelReservation>'
    )


@pytest.fixture
def push_desk(tmp_path):
    from connectors.ota.push_server import PushServer

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


@pytest.mark.parametrize(
    "total, adults",
    [("1" + "0" * 5000, "2"), ("1e400", "2"), ("NaN", "2"), ("Infinity", "2"), ("980.00", "9" * 30)],
    ids=["digits-5000", "1e400", "nan", "infinity", "adults-30-digits"],
)
def test_push_quarantines_the_bad_reservation_and_acknowledges_the_good_one(push_desk, total, adults):
    from connectors.ota.connector import PUSH_ACTION

    config, url = push_desk
    body = ota_push_body(ota_reservation("GOODPUSH") + ota_reservation("BADPUSH", total=total, adults=adults))
    response = httpx.post(
        url,
        files={"action": (None, PUSH_ACTION), "request": (None, body)},
        auth=("jet2", "s3cret"),
        headers={"X-AlpineBits-ClientProtocolVersion": "2024-10"},
    )
    assert response.status_code == 200
    assert b"GOODPUSH" in response.content
    states = {r["filename"].split()[0]: r for r in raws(config)}
    assert states["GOODPUSH"]["parse_state"] == "parsed"
    assert states["BADPUSH"]["parse_state"] == "failed" and states["BADPUSH"]["parse_error"]
    assert vouchers(config) == {"GOODPUSH"}


def test_push_of_xml_nested_5000_deep_is_refused_without_a_traceback(push_desk):
    from connectors.ota.connector import PUSH_ACTION

    config, url = push_desk
    body = ota_push_body("<X>" * 5000 + "</X>" * 5000)
    response = httpx.post(
        url,
        files={"action": (None, PUSH_ACTION), "request": (None, body)},
        auth=("jet2", "s3cret"),
        headers={"X-AlpineBits-ClientProtocolVersion": "2024-10"},
    )
    assert response.status_code in (200, 400)
    assert b"Traceback" not in response.content
    assert vouchers(config) == set()


# -- a JSON API pull ---------------------------------------------------------------------------------
class Page(BaseHTTPRequestHandler):
    body = b"[]"

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args) -> None:
        pass


JSON_FIELDS = (
    "voucher",
    "content",
    "agency",
    "check_in",
    "check_out",
    "adults",
    "room",
    "board",
    "rate",
    "currency",
    "total",
    "guests",
    "night_prices",
)


def pull_json_api(tmp_path: Path, items: list[dict]) -> tuple[Config, Any]:
    """One scan of a jsonapi operator whose one page (on 127.0.0.1) is ``items``: the config and its run."""
    import asyncio

    from connectors.scan import scan

    handler = type("Hostile", (Page,), {"body": json.dumps(items).encode()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = Config(
            tmp_path / "opdesk.toml",
            {
                "store": {"path": str(tmp_path / "opdesk.db")},
                "scan": {"retries": 0, "request_timeout": 2, "operator_timeout": 5},
                "operators": [
                    {
                        "name": "pegas",
                        "kind": "jsonapi",
                        "base_url": f"http://127.0.0.1:{server.server_port}",
                        "bookings_path": "/bookings",
                        "auth": "none",
                        "pagination": "none",
                        "fields": {k: k for k in JSON_FIELDS},
                        "guest_fields": {"first_name": "first_name", "last_name": "last_name"},
                    }
                ],
            },
        )
        [run_] = asyncio.run(scan(config))
    finally:
        server.shutdown()
    return config, run_


def test_json_api_pull_quarantines_each_bad_item_and_takes_the_good_ones(tmp_path):
    items = [
        good_record("API1"),
        {**good_record("API2"), "total": "1" + "0" * 5000},
        {**good_record("API3"), "adults": 10**30},
        {**good_record("API4"), "total": "NaN"},
        {**good_record("API5"), "guests": [{"last_name": "Ho\u0000fer\u202e"}]},
        good_record("API6"),
    ]
    config, run_ = pull_json_api(tmp_path, items)
    assert run_.state == "ok" and run_.quarantined == 3
    assert vouchers(config) == {"API1", "API5", "API6"}
    errors = [r["parse_error"] for r in raws(config) if r["parse_state"] == "failed"]
    assert len(errors) == 3 and any("total" in e for e in errors) and any("adults" in e for e in errors)


@pytest.mark.parametrize("night", [{}, {"amount": None}, {"amount": ""}], ids=["absent", "null", "empty"])
def test_json_api_night_without_an_amount_is_quarantined_naming_record_and_field(tmp_path, night):
    day = good_record("N1")["check_in"]
    items = [{**good_record("N1"), "night_prices": [{"date": day, **night}]}, good_record("N2")]
    config, run_ = pull_json_api(tmp_path, items)
    assert run_.state == "ok" and run_.quarantined == 1
    assert vouchers(config) == {"N2"}
    [error] = [r["parse_error"] for r in raws(config) if r["parse_state"] == "failed"]
    assert error == "N1: record N1, field night_prices.amount: a night without an amount"


# -- a mailbox (a real Dovecot) ----------------------------------------------------------------------
def test_mailbox_quarantines_the_bad_mail_and_reads_the_rest(mail_config, store, dovecot, imap_user, eml):
    from connectors.mail.connector import scan_mailbox

    user, _ = imap_user
    good = eml("jet2_new")
    huge = good.replace(b"  Adults: 2", b"  Adults: " + b"9" * 40, 1).replace(b"J2H7731952", b"J2H0000001")
    with dovecot.mailbox(user, initial_folder="INBOX") as mb:
        for body in (huge, eml("hotelbeds_new")):
            mb.append(body, "INBOX")
    scan_ = scan_mailbox(store, mail_config, "mailbox")
    assert scan_.total == 2 and scan_.errors == 1
    assert {r["voucher"][:5] for r in store.all("SELECT voucher FROM operator_reservations")} == {"1-993"}
    [bad] = store.all("SELECT parse_state, parse_error FROM raw_messages WHERE parse_state = 'failed'")
    assert "adults" in bad["parse_error"]
    with dovecot.mailbox(user) as mb:
        assert mb.folder.status("Failed")["MESSAGES"] == 1 and mb.folder.status("Processed")["MESSAGES"] == 1


def test_a_reply_file_for_a_voucher_with_slashes_stays_in_the_outbox(desk):
    from support.desk import booking, drop, scan

    from core.audit import Actor
    from core.desk import confirm
    from tui.desk_actions import ConnectorReplier

    drop(desk, "a.json", booking("../../../escaped/[/]V1"))
    scan(desk)
    with Store(desk.store_path, desk.documents_dir) as store:
        rid = int(store.one("SELECT id FROM operator_reservations")["id"])
        [outcome] = confirm(store, desk, [rid], Actor("night", "cli"), ConnectorReplier(store, desk))
    assert outcome.ok, outcome.message
    outbox = desk.base_dir / "drop" / "outbox"
    [reply] = list(outbox.iterdir())
    assert reply.name.endswith("-confirm.json") and "/" not in reply.name
    assert json.loads(reply.read_text())["voucher"] == "../../../escaped/[/]V1"
    assert not (desk.base_dir / "escaped").exists()
