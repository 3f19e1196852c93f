"""`opdesk simulate --kind hotel2sejour|ota-soap` as a user runs it: it prints an entry that scans."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from connectors.scan import scan
from core.config import Config

FAST = {"retries": 1, "backoff": 0.01, "backoff_max": 0.05, "request_timeout": 5, "operator_timeout": 10}


def printed_entry(process: subprocess.Popen[str]) -> dict:
    lines: list[str] = []
    deadline = time.monotonic() + 30
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        text = "".join(lines)
        if "[[operators]]" in text and line.strip() == "" and text.rstrip().endswith('"'):
            break
    text = "".join(lines)
    return tomllib.loads(text[text.index("[[operators]]") :])["operators"][0]


@pytest.mark.parametrize(
    ("args", "kind"),
    [
        (["--kind", "hotel2sejour", "--operator", "loti"], "hotel2sejour"),
        (["--kind", "ota-soap", "--dialect", "synxis", "--operator", "sabre"], "ota-soap"),
        (["--kind", "ota-soap", "--operator", "smx"], "ota-soap"),
    ],
)
def test_the_simulator_prints_its_operators_entry_and_a_scan_of_it_works(
    tmp_path: Path, args: list[str], kind: str
) -> None:
    command = [
        sys.executable,
        "-c",
        "from tui.cli import main; main()",
        "simulate",
        "--port",
        "0",
        "--bookings",
        "3",
        "--churn",
        "0",
        *args,
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"},
    )
    try:
        entry = printed_entry(process)
        assert entry["kind"] == kind and entry["url"].startswith("http://127.0.0.1:")
        config = Config(
            tmp_path / "opdesk.toml",
            {"store": {"path": str(tmp_path / "opdesk.db")}, "scan": FAST, "operators": [entry]},
        )
        [run] = asyncio.run(scan(config))
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert (run.state, run.new) == ("ok", 3), run.last_error


def test_an_unknown_dialect_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from tui.cli import main; main()",
            "simulate",
            "--kind",
            "ota-soap",
            "--dialect",
            "soap12",
            "--port",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--dialect must be pmsxchange or synxis" in done.stdout + done.stderr
