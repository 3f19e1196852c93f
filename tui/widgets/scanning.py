"""Running a scan from the app, in a worker thread, over ``connectors.scan``.

The scanner calls ``progress`` with each operator's run as it goes; that is
turned into ``progress(operator, state, counts, error)`` for the app. The
status board also reads ``scan_runs`` itself, so it shows scans started
elsewhere (cron, another terminal) as they happen.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from core.config import Config

Progress = Callable[[str, str, dict[str, int], str], None]
STATES = {"running": "scanning", "ok": "done", "error": "error"}


def scan(config: Config, operators: list[str], progress: Progress) -> list[Any]:
    """Scan ``operators`` at once; blocks until every one is done (call it from a worker thread)."""
    from connectors import scan as scanner

    def report(run: Any) -> None:
        progress(run.operator, STATES.get(run.state, run.state), run.counts(), run.last_error)

    return asyncio.run(scanner.scan(config, operators, progress=report))
