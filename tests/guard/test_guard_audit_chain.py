"""An audit log you can prove: an HMAC chain keyed outside the store, checked by `opdesk audit --verify`."""

from __future__ import annotations

import getpass
import json
import sqlite3

import pytest
from typer.testing import CliRunner

import core.store as store_module
from core.audit import SYSTEM, record
from core.config import load_config
from core.schema import MIGRATIONS
from core.store import Store, open_store
from tui.cli import app

runner = CliRunner()


def verify(desk) -> tuple[int, dict]:
    result = runner.invoke(app, ["--config", str(desk.path), "audit", "--verify", "--json"])
    return result.exit_code, json.loads(result.stdout)


def write_rows(desk, count: int) -> None:
    with open_store(desk) as store:
        for i in range(count):
            with store.transaction():
                record(store, SYSTEM, "test", detail=f"row {i}")


def tamper(desk, *statements: str) -> None:
    """What someone with write access to the store file does: drop the triggers, then edit."""
    conn = sqlite3.connect(desk.store_path)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute("DROP TRIGGER audit_log_seal_once")
    for statement in statements:
        conn.execute(statement)
    for trigger in ("audit_log_no_update", "audit_log_no_delete", "audit_log_seal_once"):
        conn.execute(f"CREATE TRIGGER {trigger} BEFORE DELETE ON audit_log BEGIN SELECT 1; END")  # look alike
    conn.commit()
    conn.close()


def last_id(desk) -> int:
    with Store(desk.store_path) as store:
        return int(store.scalar("SELECT MAX(id) FROM audit_log"))


def test_an_intact_log_verifies(desk):
    write_rows(desk, 5)
    code, verdict = verify(desk)
    assert code == 0, verdict
    assert verdict["ok"] is True and verdict["problem"] is None and verdict["rows"] == last_id(desk)
    text = runner.invoke(app, ["--config", str(desk.path), "audit", "--verify"])
    assert text.exit_code == 0 and "intact" in text.stdout


def test_a_changed_row_is_named(desk):
    write_rows(desk, 5)
    target = last_id(desk) - 2
    tamper(desk, f"UPDATE audit_log SET detail = 'nothing happened' WHERE id = {target}")
    code, verdict = verify(desk)
    assert code == 1
    assert verdict["problem"]["kind"] == "changed" and verdict["problem"]["row"] == target


def test_a_removed_row_is_named(desk):
    write_rows(desk, 5)
    target = last_id(desk) - 2
    tamper(desk, f"DELETE FROM audit_log WHERE id = {target}")
    code, verdict = verify(desk)
    assert code == 1
    assert verdict["problem"]["kind"] == "removed" and verdict["problem"]["row"] == target


def test_rows_removed_from_the_end_are_named(desk):
    write_rows(desk, 5)
    end = last_id(desk)
    tamper(desk, f"DELETE FROM audit_log WHERE id >= {end - 1}")
    code, verdict = verify(desk)
    assert code == 1
    assert verdict["problem"]["kind"] == "removed" and verdict["problem"]["row"] == end - 1
    assert "from the end" in verdict["problem"]["message"]


def test_an_inserted_row_is_named(desk):
    write_rows(desk, 3)
    end = last_id(desk)
    tamper(
        desk,
        "INSERT INTO audit_log(at, actor, origin, action, os_user, hmac) "
        f"VALUES ('2026-01-01T00:00:00', 'gm', 'cli', 'save', 'gm', '{'0' * 64}')",
    )
    code, verdict = verify(desk)
    assert code == 1
    assert verdict["problem"]["kind"] == "inserted" and verdict["problem"]["row"] == end + 1


def test_a_rewritten_row_with_a_renumbered_tail_is_named(desk):
    write_rows(desk, 4)
    target = last_id(desk) - 1
    # Remove a row and close the gap by moving every later row down one: no hole left in the ids.
    tamper(desk, f"DELETE FROM audit_log WHERE id = {target}", f"UPDATE audit_log SET id = id - 1 WHERE id > {target}")
    code, verdict = verify(desk)
    assert code == 1 and verdict["problem"]["row"] == target


def test_dropped_triggers_alone_are_reported(desk):
    write_rows(desk, 2)
    conn = sqlite3.connect(desk.store_path)
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.commit()
    conn.close()
    code, verdict = verify(desk)
    assert code == 1
    assert verdict["problem"]["kind"] == "triggers" and verdict["triggers_missing"] == ["audit_log_no_delete"]


def test_a_store_from_before_the_chain_is_chained_on_first_start(tmp_path, monkeypatch):
    (tmp_path / "older").mkdir()
    (tmp_path / "older" / "opdesk.toml").write_text('[store]\npath = "older.db"\n')
    desk = load_config(tmp_path / "older" / "opdesk.toml")
    older = desk.store_path
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS[:3])  # the schema before the chain
    with Store(older) as store, store.transaction():
        for i in range(3):
            store.conn.execute(
                "INSERT INTO audit_log(at, actor, origin, action, detail) "
                "VALUES ('2026-01-01T00:00:00', 'desk', 'cli', 'save', ?)",
                (f"old {i}",),
            )
    monkeypatch.undo()
    write_rows(desk, 2)  # the first start with this opdesk: migrates, chains the old rows, adds new ones
    code, verdict = verify(desk)
    assert code == 0, verdict
    assert verdict["rows"] == 5
    tamper(desk, "UPDATE audit_log SET detail = 'edited' WHERE id = 2")
    code, verdict = verify(desk)
    assert code == 1 and verdict["problem"] == {"kind": "changed", "row": 2, "message": verdict["problem"]["message"]}


def test_the_key_and_head_live_outside_the_store(desk):
    write_rows(desk, 2)
    key = (desk.base_dir / "audit.key").read_text().strip()
    head = json.loads((desk.base_dir / "audit.head").read_text())
    assert head["rows"] == last_id(desk) and len(head["hmac"]) == 64
    assert key.encode() not in desk.store_path.read_bytes()


def test_staff_names_restrict_as_and_the_os_user_is_recorded(desk):
    desk.path.write_text(desk.path.read_text() + '\n[staff]\nnames = ["ayse", "night-audit"]\n')
    refused = runner.invoke(
        app,
        [
            "--config",
            str(desk.path),
            "--as",
            "mallory",
            "stopsale",
            "add",
            "--room",
            "STD",
            "--from",
            "2030-01-01",
            "--to",
            "2030-01-05",
        ],
    )
    assert refused.exit_code == 1
    assert "mallory" in refused.stderr and "staff.names" in refused.stderr
    done = runner.invoke(
        app,
        [
            "--config",
            str(desk.path),
            "--as",
            "ayse",
            "stopsale",
            "add",
            "--room",
            "STD",
            "--from",
            "2030-01-01",
            "--to",
            "2030-01-05",
        ],
    )
    assert done.exit_code == 0, done.output
    listed = runner.invoke(app, ["--config", str(desk.path), "audit", "--json", "-n", "1"])
    [row] = json.loads(listed.stdout)
    assert row["actor"] == "ayse" and row["os_user"] == getpass.getuser()


@pytest.mark.parametrize("missing", ["audit.head"])
def test_a_missing_head_with_sealed_rows_is_not_resealed_silently(desk, missing):
    write_rows(desk, 2)
    tamper(desk, "UPDATE audit_log SET detail = 'edited' WHERE id = 1")
    (desk.base_dir / missing).unlink()
    code, verdict = verify(desk)  # opening the store does not bless the edited row
    assert code == 1 and verdict["problem"]["row"] == 1


def test_a_lost_audit_key_is_named_not_replaced(desk):
    write_rows(desk, 2)
    (desk.base_dir / "audit.key").unlink()
    result = runner.invoke(app, ["--config", str(desk.path), "audit", "--verify", "--json"])
    assert result.exit_code == 2
    assert "audit key is missing" in result.stderr and not (desk.base_dir / "audit.key").exists()
    other = runner.invoke(
        app, ["--config", str(desk.path), "stopsale", "add", "--from", "2030-01-01", "--to", "2030-01-02"]
    )
    assert other.exit_code == 2 and "audit key is missing" in other.stderr and "Traceback" not in other.output


def _write_from_another_process(config_path: str, count: int) -> None:
    cfg = load_config(config_path)
    for _ in range(count):
        with open_store(cfg) as store, store.transaction():
            record(store, SYSTEM, "test", detail="concurrent")


def test_writers_in_several_processes_keep_one_chain(desk):
    import multiprocessing

    write_rows(desk, 1)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_from_another_process, args=(str(desk.path), 25)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    code, verdict = verify(desk)
    assert code == 0, verdict
    assert verdict["rows"] == last_id(desk) == verdict["head_rows"]
