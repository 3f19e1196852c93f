"""The CLI as a script uses it: exit codes, --json shapes, messages that say what to do."""

from __future__ import annotations

import json
from datetime import timedelta

from support.desk import TODAY, booking, drop, scan
from typer.testing import CliRunner

from core.models import Content
from tui.cli import app

runner = CliRunner()

SHOW_KEYS = {
    "id",
    "operator",
    "agency",
    "voucher",
    "content",
    "status",
    "version",
    "check_in",
    "check_out",
    "nights",
    "adults",
    "child_ages",
    "rooms",
    "room",
    "board",
    "rate",
    "market",
    "hotel_room",
    "hotel_board",
    "hotel_rate",
    "nationality",
    "guests",
    "total",
    "currency",
    "sale_date",
    "created_at",
    "notes",
    "missing_mappings",
    "checks",
}


def run(desk, *args, input=None):
    return runner.invoke(app, ["--config", str(desk.path), "--as", "night-audit", *args], input=input)


def test_inbox_and_show_json_have_the_documented_shape(desk):
    drop(desk, "a.json", booking("V1", child_ages=[8, 4]))
    scan(desk)
    result = run(desk, "inbox", "--json")
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    assert SHOW_KEYS <= set(row)
    assert row["child_ages"] == [8, 4] and row["guests"][0]["last_name"] == "Yılmaz"
    assert set(row["checks"]) == {"price", "values", "stop_sale", "voucher", "release", "overbooking"}
    assert all({"state", "message"} <= set(c) for c in row["checks"].values())
    shown = json.loads(run(desk, "show", str(row["id"]), "--json").output)
    assert shown == row


def test_show_unknown_id_is_bad_input_without_traceback(desk):
    result = run(desk, "show", "999")
    assert result.exit_code == 2
    assert "no operator reservation #999" in result.output
    assert "Traceback" not in result.output


def test_missing_config_file_says_how_to_make_one(tmp_path):
    result = runner.invoke(app, ["--config", str(tmp_path / "nope.toml"), "inbox"])
    assert result.exit_code == 2 and "opdesk init" in result.output


def test_confirm_clean_dry_run_then_for_real(desk):
    drop(desk, "a.json", booking("V1"), booking("V2", room="XX"))
    scan(desk)
    # Until contracts exist the price check says "no contract": nothing is clean.
    result = run(desk, "confirm", "--clean", "--dry-run", "--json")
    report = json.loads(result.output)
    assert report["done"] == [] and len(report["skipped"]) == 2
    reasons = {s["voucher"]: s["reasons"] for s in report["skipped"]}
    assert "missing room mapping" in reasons["V2"]
    assert any(r.startswith("price: no contract") for r in reasons["V1"])

    from core.store import Store

    with Store(desk.store_path) as store:
        store.conn.execute(
            "UPDATE operator_reservations SET clean = 1, checks = json_set(checks, '$.price.state', "
            "'ok') WHERE voucher = 'V1'"
        )
    dry = json.loads(run(desk, "confirm", "--clean", "--dry-run", "--json").output)
    assert [d["id"] for d in dry["done"]] == [1] and dry["dry_run"]
    real = run(desk, "confirm", "--clean", "--yes", "--json")
    assert real.exit_code == 0, real.output
    assert [d["hotel_number"] for d in json.loads(real.output)["done"]] == ["T000001"]
    assert json.loads(run(desk, "show", "1", "--json").output)["status"] == "confirmed"
    audit = json.loads(run(desk, "audit", "1", "--json").output)
    assert {a["action"] for a in audit} == {"save", "confirm"} and audit[0]["actor"] == "night-audit"


def test_confirm_asks_first_and_a_no_changes_nothing(desk):
    drop(desk, "a.json", booking("V1"))
    scan(desk)
    result = run(desk, "confirm", "1", input="n\n")
    assert result.exit_code == 1
    assert json.loads(run(desk, "show", "1", "--json").output)["status"] == "pending"


def test_confirm_refused_row_exits_1_with_the_fix(desk):
    drop(desk, "a.json", booking("V1", room="XX"))
    scan(desk)
    result = run(desk, "confirm", "1", "--yes")
    assert result.exit_code == 1
    assert "opdesk map set tui room XX" in result.output


def test_map_set_remaps_and_missing_lists(desk):
    drop(desk, "a.json", booking("V1", room="XX"), booking("V2", room="XX"))
    scan(desk)
    missing = json.loads(run(desk, "map", "missing", "--json").output)
    assert missing == [{"operator": "tui", "kind": "room", "code": "XX", "rows": 2}]
    result = run(desk, "map", "set", "tui", "room", "XX", "STD")
    assert result.exit_code == 0 and "2 pending row(s) re-mapped" in result.output
    assert json.loads(run(desk, "map", "missing", "--json").output) == []
    assert run(desk, "map", "set", "tui", "floor", "XX", "STD").exit_code == 2


def test_reject_and_inbox_status_filter(desk):
    drop(desk, "a.json", booking("V1"), booking("V2"))
    scan(desk)
    assert run(desk, "reject", "2", "--reason", "overbooked", "--yes").exit_code == 0
    rejected = json.loads(run(desk, "inbox", "--status", "rejected", "--json").output)
    assert [r["voucher"] for r in rejected] == ["V2"]
    assert (desk.base_dir / "drop" / "outbox" / "V2-reject.json").exists()


def test_stopsale_forecast_and_import(desk, tmp_path):
    start = TODAY + timedelta(days=30)
    assert (
        run(
            desk,
            "stopsale",
            "add",
            "--from",
            start.isoformat(),
            "--to",
            (start + timedelta(days=2)).isoformat(),
            "--room",
            "STD",
            "--reason",
            "pool works",
        ).exit_code
        == 0
    )
    drop(desk, "a.json", booking("V1"))
    scan(desk)
    row = json.loads(run(desk, "show", "1", "--json").output)
    assert row["checks"]["stop_sale"]["state"] == "fail"
    [stop] = json.loads(run(desk, "stopsale", "list", "--json").output)
    assert run(desk, "stopsale", "remove", str(stop["id"])).exit_code == 0
    assert json.loads(run(desk, "show", "1", "--json").output)["checks"]["stop_sale"]["state"] == "ok"

    csv = tmp_path / "pms.csv"
    csv.write_text(
        "number,operator,voucher,room,check_in,check_out,adults,guest_names\n"
        f"PMS7,tui,V1,STD,{start.isoformat()},{(start + timedelta(days=7)).isoformat()},2,Yılmaz Ayşe\n"
        f"PMS8,,,STD,{start.isoformat()},{(start + timedelta(days=3)).isoformat()},2,Kaya Ali\n"
    )
    result = run(desk, "import-reservations", str(csv))
    assert result.exit_code == 0 and "2 created" in result.output
    assert json.loads(run(desk, "show", "1", "--json").output)["checks"]["voucher"]["state"] == "fail"

    nights = json.loads(
        run(
            desk,
            "forecast",
            "STD",
            "--from",
            start.isoformat(),
            "--to",
            (start + timedelta(days=1)).isoformat(),
            "--json",
        ).output
    )
    assert nights[0] == {
        "date": start.isoformat(),
        "capacity": 10,
        "confirmed": 2,
        "available": 8,
        "pending": 1,
        "total": 3,
        "expected_available": 7,
    }


def test_import_with_a_bad_row_imports_nothing_and_names_line_and_field(desk, tmp_path):
    csv = tmp_path / "pms.csv"
    csv.write_text("number,room,check_in,check_out\nP1,STD,2026-12-01,2026-12-05\nP2,STD,2026-12-01,someday\n")
    result = run(desk, "import-reservations", str(csv))
    assert result.exit_code == 2
    assert "line 3" in result.output and "check_out" in result.output
    from core.store import Store

    with Store(desk.store_path) as store:
        assert store.scalar("SELECT COUNT(*) FROM hotel_reservations") == 0


def test_ingest_by_hand_picks_the_parser_from_the_content(desk, tmp_path):
    f = tmp_path / "mail-export.json"
    from connectors.canonical import dumps_canonical

    f.write_bytes(dumps_canonical([booking("H1")]))
    bad = tmp_path / "junk.bin"
    bad.write_bytes(b"\x00\x01 not a booking")
    result = run(desk, "ingest", "--operator", "walkin", str(f), str(bad), "--json")
    assert result.exit_code == 1  # one of two failed
    out = json.loads(result.output)
    assert out[0]["new"] == 1 and out[1]["state"] == "unparsed"
    listed = json.loads(run(desk, "raw", "list", "--json").output)
    assert [r["filename"] for r in listed] == ["junk.bin"]


def test_locate_and_init(tmp_path, monkeypatch):
    cfg = tmp_path / "conf" / "opdesk.toml"
    result = runner.invoke(app, ["--config", str(cfg), "init"])
    assert result.exit_code == 0 and cfg.exists()
    assert runner.invoke(app, ["--config", str(cfg), "init"]).exit_code == 1
    monkeypatch.setenv("OPDESK_CONFIG", str(cfg))
    where = json.loads(runner.invoke(app, ["locate", "--json"]).output)
    assert where["config"] == str(cfg) and where["config_exists"]


def test_ingest_by_hand_reads_ota_xml_and_mail_too(desk):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    ota = root / "tests" / "api" / "fixtures" / "alpinebits-2024-10" / "GuestRequests-OTA_ResRetrieveRS-reservation.xml"
    eml = root / "tests" / "fixtures" / "mail" / "jet2_new.eml"
    files = [str(p) for p in (ota, eml) if p.exists()]
    assert len(files) == 2, "the OTA sample and the mail fixture must be there"
    out = json.loads(run(desk, "ingest", "--operator", "jet2", *files, "--json").output)
    assert [r["state"] for r in out] == ["parsed", "parsed"]
    assert out[0]["new"] == 1 and out[1]["new"] >= 1


def test_arrivals_and_reprocessing_are_in_the_audit_log(desk, tmp_path):
    drop(desk, "a.json", booking("V1"), booking("V2", Content.CANCEL))
    scan(desk)
    bad = tmp_path / "bad.json"
    bad.write_text('{"voucher": "V3"}')
    run(desk, "ingest", "--operator", "tui", str(bad))
    run(desk, "raw", "retry", "--failed")
    rows = json.loads(run(desk, "audit", "--json").output)
    by_action = {}
    for r in rows:
        by_action.setdefault(r["action"], []).append(r)
    [scanned, by_hand] = sorted(by_action["ingest"], key=lambda r: r["id"])
    assert scanned["origin"] == "system" and scanned["after"]["new"] == 1 and scanned["after"]["cancelled"] == 1
    assert "tui: 1 message(s)" in scanned["detail"]
    assert by_hand["actor"] == "night-audit" and by_hand["after"]["states"] == {"failed": 1}
    assert by_action["reprocess"][0]["actor"] == "night-audit"
