"""--json and exit codes of the commands a script uses to change the desk, and that docs/json.md names them."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from support.desk import TODAY, booking, drop, scan
from typer.testing import CliRunner

from tui.cli import app

runner = CliRunner()
DOCS = Path(__file__).resolve().parents[2] / "docs" / "json.md"


def run(desk, *args):
    return runner.invoke(app, ["--config", str(desk.path), "--as", "night-audit", *args])


def test_map_set_and_unset_print_json_and_say_what_was_rechecked(desk):
    drop(desk, "a.json", booking("V1", room="DZX"))
    scan(desk)
    result = run(desk, "map", "set", "tui", "room", "DZX", "STD", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "operator": "tui",
        "kind": "room",
        "code": "DZX",
        "hotel_code": "STD",
        "before": None,
        "rechecked": 1,
    }
    result = run(desk, "map", "unset", "tui", "room", "DZX", "--json")
    assert result.exit_code == 0
    assert json.loads(result.output)["removed"] == "STD"
    again = run(desk, "map", "unset", "tui", "room", "DZX", "--json")
    assert again.exit_code == 1 and again.stdout == ""
    assert run(desk, "map", "set", "tui", "roomz", "DZX", "STD", "--json").exit_code == 2


def test_stopsale_add_list_remove_in_json(desk):
    first = (TODAY + timedelta(days=30)).isoformat()
    result = run(
        desk, "stopsale", "add", "--from", first, "--to", first, "--room", "STD", "--reason", "[/]works", "--json"
    )
    assert result.exit_code == 0, result.output
    added = json.loads(result.output)
    assert (added["room"], added["start"], added["reason"], added["created_by"]) == (
        "STD",
        first,
        "[/]works",
        "night-audit",
    )
    listed = json.loads(run(desk, "stopsale", "list", "--json").output)
    assert [s["id"] for s in listed] == [added["id"]]
    result = run(desk, "stopsale", "remove", str(added["id"]), "--json")
    assert result.exit_code == 0 and json.loads(result.output) == {"id": added["id"], "removed": True, "rechecked": 0}
    assert run(desk, "stopsale", "remove", str(added["id"]), "--json").exit_code == 2
    assert run(desk, "stopsale", "add", "--from", first, "--to", "2000-01-01", "--json").exit_code == 2


def test_import_reservations_json_counts_and_names_bad_rows(desk, tmp_path):
    good = tmp_path / "pms.csv"
    good.write_text("number,room,check_in,check_out,operator,voucher\nP1,STD,2026-07-01,2026-07-05,tui,V9\n")
    result = run(desk, "import-reservations", str(good), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"created": 1, "updated": 0, "errors": [], "rechecked": 0}
    bad = tmp_path / "bad.csv"
    bad.write_text("number,room,check_in,check_out\nP2,STD,2026-07-xx,2026-07-05\n")
    result = run(desk, "import-reservations", str(bad), "--json")
    assert result.exit_code == 2
    [error] = json.loads(result.stdout)["errors"]
    assert "line 2" in error and "check_in" in error


def test_raw_show_and_retry_in_json(desk):
    path = desk.base_dir / "drop" / "broken.json"
    path.write_bytes(b'{"voucher": "B1", "check_in": "2026-13-01"}')
    [result] = scan(desk)
    shown = run(desk, "raw", "show", str(result.raw_id), "--json", "--body")
    assert shown.exit_code == 0, shown.output
    shape = json.loads(shown.output)
    assert shape["parse_state"] == "failed" and "check_in" in shape["parse_error"]
    assert shape["body"].startswith('{"voucher": "B1"')
    retried = run(desk, "raw", "retry", str(result.raw_id), "--json")
    assert retried.exit_code == 1
    [entry] = json.loads(retried.output)
    assert entry["id"] == result.raw_id and entry["state"] == "failed" and entry["reservation_ids"] == []
    assert run(desk, "raw", "show", "999", "--json").exit_code == 2


def test_approval_send_json_refuses_when_nobody_waits(desk):
    drop(desk, "a.json", booking("V1"))
    [result] = scan(desk)
    rid = result.reservation_ids[0]
    sent = run(desk, "approval", "send", str(rid), "--json")
    assert sent.exit_code == 1
    assert json.loads(sent.stdout) == {"id": rid, "sent_to": [], "mail_error": None}
    assert run(desk, "approval", "send", "999", "--json").exit_code == 2


def test_contracts_wizard_json_carries_the_toml(desk, tmp_path):
    out = tmp_path / "w.toml"
    result = run(
        desk,
        "contracts",
        "wizard",
        "--rate-code",
        "W26",
        "--board",
        "AI",
        "--season",
        "LOW:2026-05-01:2026-06-15:50",
        "--room",
        "STD=0",
        "--output",
        str(out),
        "--json",
    )
    assert result.exit_code == 0, result.output
    shape = json.loads(result.output)
    assert shape["output"] == str(out) and shape["seasons"] == 1 and shape["toml"] == out.read_text()
    bad = run(
        desk,
        "contracts",
        "wizard",
        "--rate-code",
        "W26",
        "--board",
        "AI",
        "--season",
        "LOW",
        "--room",
        "STD=0",
        "--json",
    )
    assert bad.exit_code == 2 and bad.stdout == ""


def test_mail_scan_without_a_mailbox_is_bad_input(desk):
    result = run(desk, "mail", "scan", "--json")
    assert result.exit_code == 2 and "no mail operator" in result.output


def test_docs_json_describes_each_of_these_commands():
    text = DOCS.read_text()
    for command in (
        "map set",
        "map unset",
        "stopsale add",
        "stopsale remove",
        "stopsale list",
        "import-reservations",
        "raw show",
        "raw retry",
        "approval send",
        "contracts wizard",
        "mail scan",
        "pause",
        "resume",
        "scan",
    ):
        assert f"`opdesk {command}" in text, command
    assert "--override" in text


def test_cli_inbox_fits_80_columns_and_uses_full_words_when_there_is_room(desk, monkeypatch):
    sold = booking("TUI100107", surname="Hofer[/]")
    sold.agency = "TUI Deutschland"
    drop(desk, "a.json", sold)
    scan(desk)
    monkeypatch.setenv("COLUMNS", "80")
    narrow = run(desk, "inbox")
    assert narrow.exit_code == 0, narrow.output
    assert max(len(line) for line in narrow.output.splitlines()) <= 80
    assert "TUI100107" in narrow.output and "Hofer[/]" in narrow.output
    assert "pending" not in narrow.output.split("\n", 1)[1]  # the status by its letter
    monkeypatch.setenv("COLUMNS", "160")
    wide = run(desk, "inbox")
    assert max(len(line) for line in wide.output.splitlines()) <= 160
    header = wide.output.splitlines()[1]
    assert {"Status", "Content", "Operator", "Agency", "Check-out"} <= set(header.split())
    row = wide.output.splitlines()[2]
    assert "pending" in row and " new " in row and "TUI Deutschland" in row
