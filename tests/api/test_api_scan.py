"""The scanner against real simulated operators on 127.0.0.1."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from connectors.base import connector_for
from connectors.ota.connector import OtaPullConnector
from connectors.scan import OperatorRun, close_orphan_runs, last_run_id, scan
from connectors.simulate.demo import operator_entry, sim_operator
from connectors.simulate.server import Faults, SimServer
from core import scanlog
from core.config import Config
from core.store import Store

FAST = {"retries": 2, "backoff": 0.01, "backoff_max": 0.05, "request_timeout": 2, "operator_timeout": 5}


def make_config(tmp_path: Path, server: SimServer, scan_settings: dict | None = None, **overrides: dict) -> Config:
    entries = [operator_entry(op, server) for op in server.operators.values()]
    for entry in entries:
        entry.update(overrides.get(entry["name"], {}))
    return Config(
        tmp_path / "opdesk.toml",
        {
            "store": {"path": str(tmp_path / "opdesk.db")},
            "scan": {**FAST, **(scan_settings or {})},
            "operators": entries,
        },
    )


def rows(config: Config, sql: str, params: tuple = ()) -> list[dict]:
    with Store(config.store_path) as store:
        return store.all(sql, params)


def test_25_operators_3_failing(tmp_path):
    good = [sim_operator(f"op{i:02d}", kind="ota-pull" if i % 2 else "jsonapi", initial=4) for i in range(22)]
    bad = [
        sim_operator("down", initial=4, faults=Faults(status=500)),
        sim_operator("locked", initial=4),
        sim_operator("garbled", initial=4, faults=Faults(malformed=True)),
    ]
    with SimServer(good + bad) as server:
        config = make_config(tmp_path, server, locked={"password": "wrong"})
        runs = asyncio.run(scan(config))
    by_name = {r.operator: r for r in runs}
    assert len(runs) == 25
    assert [n for n, r in sorted(by_name.items()) if r.state == "error"] == ["down", "garbled", "locked"]
    assert all(by_name[op.name].new == 4 for op in good)
    stored = rows(config, "SELECT operator, COUNT(*) AS n FROM operator_reservations GROUP BY operator")
    assert {r["operator"]: r["n"] for r in stored} == {op.name: 4 for op in good}
    with Store(config.store_path) as store:
        board = {r["operator"]: r for r in scanlog.last_runs(store)}
    assert len(board) == 25
    assert "HTTP 500" in board["down"]["last_error"]
    assert "authentication failed" in board["locked"]["last_error"]
    assert "not well-formed" in board["garbled"]["last_error"]
    assert all(board[op.name]["state"] == "ok" and board[op.name]["new"] == 4 for op in good)
    assert all(board[n]["finished_at"] for n in board)


def test_auth_failure_is_not_retried_but_500_is(tmp_path):
    locked = sim_operator("locked", initial=1, faults=Faults(auth_fail=True))
    down = sim_operator("down", initial=1, faults=Faults(status=500))
    with SimServer([locked, down]) as server:
        asyncio.run(scan(make_config(tmp_path, server)))
    assert locked.requests == 1
    assert down.requests == 3  # the first try and two retries


def test_retry_after_is_honoured_then_bookings_arrive(tmp_path):
    busy = sim_operator("busy", initial=3, faults=Faults(fail_first=2, fail_status=429, retry_after=0.3))
    with SimServer([busy]) as server:
        config = make_config(tmp_path, server, {"backoff": 5, "backoff_max": 5})
        [run] = asyncio.run(scan(config))
    # With a 5 s backoff the 5 s operator timeout would end the run; Retry-After 0.3 s lets it through.
    assert run.state == "ok" and run.new == 3
    assert busy.requests == 5  # two 429s, the handshake, the read, the acknowledgement


def test_a_hanging_operator_times_out_alone(tmp_path):
    slow = sim_operator("slow", initial=2, faults=Faults(hang=3))
    quick = sim_operator("quick", initial=2)
    with SimServer([slow, quick]) as server:
        # The slow one's request is cut after 0.2 s; the quick one has the whole 2.5 s of its own
        # (a loaded machine may take a second to store its two bookings).
        config = make_config(tmp_path, server, {"request_timeout": 0.2, "retries": 0, "operator_timeout": 2.5})
        runs = {r.operator: r for r in asyncio.run(scan(config))}
    assert runs["quick"].state == "ok" and runs["quick"].new == 2
    assert runs["slow"].state == "error" and "did not answer within the time allowed" in runs["slow"].last_error


class CrashAfterStoring(OtaPullConnector):
    """Dies between core storing the messages and the acknowledgement reaching the operator."""

    async def acknowledge_many(self, items, ctx):
        raise RuntimeError("process killed")


def test_killed_before_acknowledging_fetches_again_and_keeps_one_version(tmp_path):
    op = sim_operator("tui", initial=5)
    with SimServer([op]) as server:
        config = make_config(tmp_path, server)
        crashing = CrashAfterStoring(config.operator("tui"), config)
        [first] = asyncio.run(scan(config, connectors={"tui": crashing}))
        assert first.state == "error" and "process killed" in first.last_error
        assert op.feed.unacked() == 5
        assert rows(config, "SELECT * FROM connector_state") == []  # last seen not moved on
        [second] = asyncio.run(scan(config))
    assert second.state == "ok" and second.total == 5 and second.new == 0
    assert op.feed.unacked() == 0
    versions = rows(config, "SELECT voucher, COUNT(*) AS n FROM operator_reservations GROUP BY voucher")
    assert len(versions) == 5 and all(v["n"] == 1 for v in versions)
    assert rows(config, "SELECT COUNT(*) AS n FROM raw_messages")[0]["n"] == 5


def test_changes_and_cancellations_become_versions(tmp_path):
    op = sim_operator("tui", initial=6)
    with SimServer([op]) as server:
        config = make_config(tmp_path, server)
        asyncio.run(scan(config))
        changed, cancelled = op.feed.add_change(), op.feed.add_cancel()
        [run] = asyncio.run(scan(config))
    assert (run.total, run.changed, run.cancelled) == (2, 1, 1)
    latest = {r["voucher"]: r for r in rows(config, "SELECT * FROM operator_reservations WHERE is_latest = 1")}
    assert latest[cancelled.voucher]["content"] == "cancel"
    if changed.voucher != cancelled.voucher:
        assert latest[changed.voucher]["content"] == "change"
        assert latest[changed.voucher]["check_out"] == changed.check_out.isoformat()


@pytest.mark.parametrize("pagination", ["page", "offset", "cursor"])
def test_json_api_pages_through_every_booking(tmp_path, pagination):
    op = sim_operator("pegas", initial=23)
    op.pagination = pagination
    with SimServer([op]) as server:
        config = make_config(tmp_path, server, pegas={"page_size": 5})
        [run] = asyncio.run(scan(config))
        [again] = asyncio.run(scan(config))
    assert run.state == "ok" and run.new == 23
    assert again.new == 0 and again.changed == 0  # the same bytes again are one message
    stored = rows(config, "SELECT * FROM operator_reservations ORDER BY voucher")
    first = op.feed.events[0].booking
    row = next(r for r in stored if r["voucher"] == first.voucher)
    assert (row["room"], row["board"], row["rate"], row["adults"]) == (
        first.room,
        first.board,
        first.rate,
        first.adults,
    )
    assert row["check_in"] == first.check_in.isoformat()
    assert row["total_minor"] == int(first.total * 100)


@pytest.mark.parametrize("pagination", ["page", "cursor"])
def test_json_api_asks_only_for_what_changed_since_the_last_scan(tmp_path, pagination):
    op = sim_operator("pegas", initial=23)
    op.pagination = pagination
    now = datetime.now(timezone.utc).replace(microsecond=0)
    for i, event in enumerate(op.feed.events):  # the operator's bookings were made over the last half hour
        event.at = now - timedelta(minutes=30 - i)
    newest = op.feed.events[-1].at
    with SimServer([op]) as server:
        config = make_config(tmp_path, server, pegas={"page_size": 5, "since_overlap_seconds": 0})
        [first] = asyncio.run(scan(config))
        with Store(config.store_path) as store:
            assert store.connector_state("pegas") == {"last_seen": newest.isoformat()}
        changed, added = op.feed.add_change(), op.feed.add_new()
        [second] = asyncio.run(scan(config))
    assert (first.state, first.total, first.new) == ("ok", 23, 23)
    # Only the newest of the first scan (asked "at or after", so sent again, stored once) and the two since.
    assert (second.state, second.total, second.new, second.changed) == ("ok", 3, 1, 1)
    latest = {r["voucher"]: r for r in rows(config, "SELECT * FROM operator_reservations WHERE is_latest = 1")}
    assert latest[changed.voucher]["version"] == 2 and latest[added.voucher]["content"] == "new"
    assert len(latest) == 24


def test_json_api_since_needs_the_field_that_says_when_a_booking_changed(tmp_path):
    op = sim_operator("pegas", initial=3)
    with SimServer([op]) as server:
        config = make_config(tmp_path, server, pegas={"modified_field": ""})
        [run] = asyncio.run(scan(config))
    assert run.state == "error" and run.new == 0
    assert "set since_param and modified_field together" in run.last_error


@pytest.mark.parametrize(
    "field, error",
    [
        ("status", "modified_field of pegas"),  # a field that holds no time
        ("stay.updated", "none of 7 booking(s) has stay.updated"),  # a path no booking has
    ],
)
def test_json_api_with_a_wrong_modified_field_stores_everything_and_says_what_to_fix(tmp_path, field, error):
    op = sim_operator("pegas", initial=7)
    with SimServer([op]) as server:
        config = make_config(tmp_path, server, pegas={"modified_field": field, "page_size": 5})
        [run] = asyncio.run(scan(config))
        [again] = asyncio.run(scan(config))
        with Store(config.store_path) as store:
            state = store.connector_state("pegas")
    assert run.state == "error" and error in run.last_error
    assert run.new == 7  # what arrived is kept, the run still fails
    assert again.state == "error" and again.total == 7 and again.new == 0  # asked for everything again
    assert state == {}
    assert len(rows(config, "SELECT id FROM operator_reservations")) == 7


def test_confirm_and_reject_reach_the_operator(tmp_path):
    from connectors.base import Reply

    json_op, ota_op = sim_operator("pegas", initial=1), sim_operator("tui", initial=1)
    with SimServer([json_op, ota_op]) as server:
        config = make_config(tmp_path, server)
        connector_for(config.operator("pegas"), config).confirm(Reply("pegas", "P-1", hotel_number="H-77"))
        connector_for(config.operator("pegas"), config).reject(Reply("pegas", "P-2", reason="no rooms"))
        connector_for(config.operator("tui"), config).reject(Reply("tui", "T-9", reason="stop sale"))
    assert json_op.replies == [
        {"voucher": "P-1", "answer": "confirm", "hotel_number": "H-77"},
        {"voucher": "P-2", "answer": "reject", "reason": "no rooms"},
    ]
    assert ota_op.replies == [{"voucher": "T-9", "reason": "stop sale", "answer": "reject"}]


KILLED_SCAN = """
import asyncio, os, signal, sys
from connectors.ota.connector import OtaPullConnector
from connectors.scan import scan
from core.config import load_config

async def die(self, items, ctx):
    os.kill(os.getpid(), signal.SIGKILL)   # the power goes: stored, not yet acknowledged

OtaPullConnector.acknowledge_many = die
asyncio.run(scan(load_config(sys.argv[1])))
"""


def test_a_really_killed_scan_leaves_a_sound_store_and_the_next_one_fetches_again(tmp_path):
    import subprocess
    import sys

    import tomlkit

    op = sim_operator("tui", initial=5)
    with SimServer([op]) as server:
        config = make_config(tmp_path, server)
        (tmp_path / "opdesk.toml").write_text(tomlkit.dumps(config.data))
        killed = subprocess.run(
            [sys.executable, "-c", KILLED_SCAN, str(tmp_path / "opdesk.toml")],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert killed.returncode == -9, killed.stderr
        assert op.feed.unacked() == 5
        assert len(rows(config, "SELECT id FROM raw_messages")) == 5  # committed before the kill
        assert rows(config, "PRAGMA integrity_check")[0]["integrity_check"] == "ok"
        [again] = asyncio.run(scan(config))
    assert again.state == "ok" and again.total == 5 and again.new == 0
    assert op.feed.unacked() == 0
    versions = rows(config, "SELECT voucher, COUNT(*) AS n FROM operator_reservations GROUP BY voucher")
    assert len(versions) == 5 and all(v["n"] == 1 for v in versions)


def test_operators_are_dealt_out_over_processes_only_when_there_are_many():
    from connectors.scan import ScanSettings, shard
    from core.config import OperatorConfig

    ops = [OperatorConfig(f"op{i}", "ota-pull") for i in range(9)]
    groups = shard(ops, ScanSettings(processes=2))
    assert [[o.name for o in g] for g in groups] == [["op0", "op2", "op4", "op6", "op8"], ["op1", "op3", "op5", "op7"]]
    assert shard(ops, ScanSettings(processes=1)) == [ops]
    assert shard(ops[:7], ScanSettings(processes=2)) == [ops[:7]]  # below shard_min: one process
    assert len(shard(ops, ScanSettings(processes=4, shard_min=2))) == 4


def test_a_scan_over_two_processes_stores_everything_once_and_reports_every_operator(tmp_path):
    ops = [sim_operator(f"op{i:02d}", initial=6) for i in range(10)]
    with SimServer(ops) as server:
        config = make_config(tmp_path, server, {"processes": 2})
        seen: dict[str, list[str]] = {}
        runs = asyncio.run(scan(config, progress=lambda run: seen.setdefault(run.operator, []).append(run.state)))
        again = asyncio.run(scan(config))  # the worker process stays for the next scan
    assert [r.operator for r in runs] == [op.name for op in ops]
    assert all(r.state == "ok" and r.new == 6 for r in runs)
    assert all(r.state == "ok" and r.total == 0 for r in again)  # everything was acknowledged
    # Progress came for the worker's operators too: read from the store as they went, then their result.
    assert set(seen) == {op.name for op in ops} and all(states[-1] == "ok" for states in seen.values())
    stored = rows(config, "SELECT operator, COUNT(*) AS n FROM operator_reservations GROUP BY operator")
    assert {r["operator"]: r["n"] for r in stored} == {op.name: 6 for op in ops}
    assert rows(config, "SELECT COUNT(DISTINCT operator) AS n FROM scan_runs")[0]["n"] == 10


def test_a_worker_process_killed_mid_scan_fails_its_operators_and_the_next_scan_fetches_them(tmp_path):
    import os
    import signal

    import connectors.scan_pool as scanner

    ops = [sim_operator(f"op{i:02d}", initial=3, faults=Faults(latency=1.5)) for i in range(8)]
    with SimServer(ops) as server:
        # Three slow requests each (handshake, read, acknowledgement): room enough within the operator timeout.
        config = make_config(tmp_path, server, {"processes": 2, "operator_timeout": 10})
        worker_ops = {op.name for op in ops[1::2]}
        killed: list[int] = []

        def progress(run):  # a worker's operator started: it waits on the operator now; kill its process
            if run.operator in worker_ops and run.state == "running" and not killed:
                pid = next(iter(scanner._POOL._processes))
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        runs = {r.operator: r for r in asyncio.run(scan(config, progress=progress))}
        assert killed
        assert all(runs[name].state == "error" and "scan process" in runs[name].last_error for name in worker_ops)
        assert all(runs[op.name].state == "ok" and runs[op.name].new == 3 for op in ops[0::2])
        with Store(config.store_path) as store:  # the status board does not show them running forever
            board = {r["operator"]: r for r in scanlog.last_runs(store)}
        assert all(board[name]["state"] == "error" and board[name]["finished_at"] for name in worker_ops)
        again = {r.operator: r for r in asyncio.run(scan(config))}  # new workers; nothing was acknowledged
    assert all(again[name].state == "ok" and again[name].new == 3 for name in worker_ops)
    stored = rows(config, "SELECT operator, COUNT(*) AS n FROM operator_reservations GROUP BY operator")
    assert {r["operator"]: r["n"] for r in stored} == {op.name: 3 for op in ops}


def test_a_dead_workers_operators_all_end_as_errors_on_the_board_started_or_not(tmp_path):
    config = Config(tmp_path / "opdesk.toml", {"store": {"path": str(tmp_path / "opdesk.db")}})
    with Store(config.store_path) as store:
        scanlog.finish_run(store, scanlog.start_run(store, "late"), "ok")  # an earlier scan's run stays as it was
    since = last_run_id(config)
    with Store(config.store_path) as store:
        scanlog.start_run(store, "begun")  # the worker died while waiting on this operator
    failed = [
        OperatorRun("begun", state="error", last_error="the scan process died"),
        OperatorRun("late", state="error", last_error="the scan process died"),
    ]  # never reached
    close_orphan_runs(config, failed, since)
    with Store(config.store_path) as store:
        board = {r["operator"]: r for r in scanlog.last_runs(store)}
        assert len(scanlog.runs_of(store, "late")) == 2
    for name in ("begun", "late"):
        assert board[name]["state"] == "error" and board[name]["finished_at"]
        assert board[name]["last_error"] == "the scan process died"
    assert all(run.run_id == board[run.operator]["id"] for run in failed)


def test_the_retry_policy_retries_posts_caps_its_waits_and_never_retries_a_refusal():
    from connectors.scan_loop import ScanSettings, retry_policy

    policy = retry_policy(ScanSettings(retries=3, backoff=0.5, backoff_max=2.0, retry_after_max=5.0))
    assert policy.is_retry("POST", 503, False) and policy.is_retry("GET", 429, False)
    assert not policy.is_retry("POST", 401, False) and not policy.is_retry("GET", 403, False)
    later = policy.increment().increment().increment().increment().increment()
    assert later.backoff_max == 2.0 and later.is_exhausted()
    assert all(0.25 <= policy.increment().backoff_strategy() <= 0.75 for _ in range(50))  # 0.25..0.5 + 0..0.25
    assert all(later.backoff_strategy() <= 2.25 for _ in range(50))
    assert later.parse_retry_after("3600") == 5.0 and later.parse_retry_after("0.3") == 0.3


def test_worker_processes_do_not_import_the_main_module_of_the_program(tmp_path, monkeypatch):
    """A worker spawned for a scan imports what it needs, not the program that started it (opdesk's whole CLI)."""
    import multiprocessing
    import sys
    import types
    from concurrent.futures import ProcessPoolExecutor

    from support.workers import main_module_loaded

    from connectors.scan_pool import workers_skip_main

    marker = tmp_path / "imported"
    program = tmp_path / "program.py"
    program.write_text(f"open({str(marker)!r}, 'w').close()\n")
    main = types.ModuleType("__main__")
    main.__file__ = str(program)
    monkeypatch.setitem(sys.modules, "__main__", main)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:  # as the program would: its main module runs first
        assert pool.submit(main_module_loaded).result(timeout=60) is True
    assert marker.exists()
    marker.unlink()
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        with workers_skip_main():
            started = pool.submit(main_module_loaded)
        assert started.result(timeout=60) is False
    assert not marker.exists() and sys.modules["__main__"] is main
