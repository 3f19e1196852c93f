"""Scanner controls from the CLI: pause and resume one operator or all, kept in the store, said by scan."""

from __future__ import annotations

import json

from support.desk import booking, drop
from typer.testing import CliRunner

from core.store import Store
from tui.cli import app

runner = CliRunner()


def run(desk, *args):
    return runner.invoke(app, ["--config", str(desk.path), "--as", "night-audit", *args])


def _two_operators(desk) -> None:
    (desk.base_dir / "drop2").mkdir()
    desk.path.write_text(desk.path.read_text() + '[[operators]]\nname = "jet2"\nkind = "folder"\npath = "drop2"\n')


def test_a_paused_operator_is_skipped_by_scan_which_says_so(desk):
    drop(desk, "a.json", booking("V1"))
    result = run(desk, "pause", "--operator", "tui", "--reason", "new contract loading", "--json")
    assert result.exit_code == 0, result.output
    [held] = json.loads(result.output)["paused"]
    assert (held["operator"], held["paused_by"], held["reason"]) == ("tui", "night-audit", "new contract loading")
    result = run(desk, "scan", "--json")
    assert result.exit_code == 0, result.output
    [tui] = json.loads(result.output)
    assert tui["state"] == "paused" and "opdesk resume --operator tui" in tui["last_error"]
    assert (desk.base_dir / "drop" / "a.json").exists()
    text = run(desk, "scan")
    assert "paused" in text.output and text.exit_code == 0
    with Store(desk.store_path) as store:
        assert store.scalar("SELECT COUNT(*) FROM operator_reservations") == 0
        assert store.scalar("SELECT COUNT(*) FROM scan_runs") == 0
    assert run(desk, "resume", "--operator", "tui").exit_code == 0
    [tui] = json.loads(run(desk, "scan", "--json").output)
    assert tui["state"] == "ok" and tui["new"] == 1
    assert run(desk, "resume", "--operator", "tui").exit_code == 1  # not paused any more


def test_pause_all_then_resume_one_keeps_the_others_paused(desk):
    _two_operators(desk)
    assert run(desk, "pause").exit_code == 0
    states = {r["operator"]: r["state"] for r in json.loads(run(desk, "scan", "--json").output)}
    assert states == {"tui": "paused", "jet2": "paused"}
    result = run(desk, "resume", "--operator", "jet2", "--json")
    assert result.exit_code == 0
    assert [p["operator"] for p in json.loads(result.output)["paused"]] == ["tui"]
    states = {r["operator"]: r["state"] for r in json.loads(run(desk, "scan", "--json").output)}
    assert states == {"tui": "paused", "jet2": "ok"}
    assert run(desk, "resume").exit_code == 0
    assert {r["state"] for r in json.loads(run(desk, "scan", "--json").output)} == {"ok"}


def test_pausing_an_unknown_operator_is_bad_input(desk):
    result = run(desk, "pause", "--operator", "nobody")
    assert result.exit_code == 2 and "no operator named nobody" in result.output
