"""Desk operations live in one place: core.desk for the store, tui.desk_actions for what also sends."""

from __future__ import annotations

import json
import re
from pathlib import Path

from support.desk import booking, drop, scan
from typer.testing import CliRunner

from core import desk as desk_ops
from core.audit import Actor
from core.store import Store
from tui.cli import app

ROOT = Path(__file__).resolve().parents[2]


def _callers(pattern: str) -> set[str]:
    found = set()
    for path in [*ROOT.glob("tui/**/*.py"), *ROOT.glob("connectors/**/*.py")]:
        if re.search(pattern, path.read_text()):
            found.add(str(path.relative_to(ROOT)))
    return found


def test_screens_and_commands_call_the_desk_operations_and_send_nothing_themselves():
    assert _callers(r"\brecord\(") == set()  # audit rows: core only
    assert _callers(r"\b(un)?set_mapping\(") == {"tui/demo.py"}  # the demo seeds its mappings
    assert _callers(r"\bConnectorReplier\(") <= {"tui/desk_actions.py", "tui/app.py"}
    assert _callers(r"\.answer\(action") == {"tui/desk_actions.py"}
    assert _callers(r"\bsend_requests\(") == {"tui/desk_actions.py", "connectors/mail/approval_mail.py"}


def test_the_cli_and_the_app_map_a_code_through_the_same_operation(desk):
    drop(desk, "a.json", booking("V1", room="XX"), booking("V2", room="YY"))
    scan(desk)
    result = CliRunner().invoke(
        app, ["--config", str(desk.path), "--as", "night", "map", "set", "tui", "room", "XX", "STD"]
    )
    assert result.exit_code == 0 and "1 pending row(s) re-mapped" in result.output
    with Store(desk.store_path) as store:
        done = desk_map(store, desk)
        rows = store.all("SELECT actor, origin, action, after FROM audit_log WHERE action = 'map_set' ORDER BY id")
        mapped = store.all("SELECT hotel_room FROM operator_reservations ORDER BY id")
    assert done.ok and done.message == "tui room YY → STD; 1 pending row(s) re-mapped"
    assert [(r["actor"], r["origin"]) for r in rows] == [("night", "cli"), ("night", "app")]
    assert [json.loads(r["after"])["code"] for r in rows] == ["XX", "YY"]
    assert [r["hotel_room"] for r in mapped] == ["STD", "STD"]


def desk_map(store: Store, config) -> desk_ops.ActionOutcome:
    return desk_ops.map_code(store, config, "tui", "room", "YY", "STD", Actor("night", "app"))
