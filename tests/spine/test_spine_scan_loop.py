"""One scan loop: fetch -> store -> acknowledge is written once and every way of scanning goes through it."""

from __future__ import annotations

import re
from pathlib import Path

from support.desk import booking, drop, scan

from core import scanlog
from core.store import Store

ROOT = Path(__file__).resolve().parents[2]


def test_only_the_scan_loop_fetches_stores_and_acknowledges():
    """A connector is driven (fetch, acknowledge) and messages are taken in (ingest) in one module only."""
    callers: dict[str, set[str]] = {}
    for path in [*ROOT.glob("connectors/**/*.py"), *ROOT.glob("tui/**/*.py"), ROOT / "tests/support/desk.py"]:
        text = path.read_text()
        for pattern in (r"connector\.fetch\(", r"connector\.acknowledge(_many)?\(", r"\.ingest(_many|_stream)?\("):
            if re.search(pattern, text):
                callers.setdefault(pattern, set()).add(str(path.relative_to(ROOT)))
    assert callers[r"connector\.fetch\("] == {"connectors/scan_loop.py"}
    assert callers[r"connector\.acknowledge(_many)?\("] == {"connectors/scan_loop.py"}
    # Besides: `opdesk ingest` stores files by hand (nothing to acknowledge), and the AlpineBits push
    # endpoint stores what an operator sends it and answers in the same HTTP response (nothing to fetch).
    assert callers[r"\.ingest(_many|_stream)?\("] == {
        "connectors/scan_loop.py",
        "tui/commands/raw.py",
        "connectors/ota/push_server.py",
    }


def test_the_tests_helper_scans_as_a_scan_does_with_a_run_on_the_board(desk):
    drop(desk, "a.json", booking("V1"), booking("V2"))
    drop(desk, "b.json", booking("V1"))  # the same voucher again, unchanged
    results = scan(desk)
    assert [r.new for r in results] == [2, 0]
    with Store(desk.store_path) as store:
        [run] = scanlog.last_runs(store)
        state = store.connector_state("tui")
    assert run["operator"] == "tui" and run["state"] == "ok" and run["total"] == 2 and run["new"] == 2
    assert not list((desk.base_dir / "drop").glob("*.json"))  # acknowledged: filed away from the drop
    assert state == {}
