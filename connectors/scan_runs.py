"""The live table of a scan: one ``OperatorRun`` per operator, mirrored in its ``scan_runs`` row.

The status board reads those rows while a scan is still going, so every batch
updates them; runs of worker processes are read back from the same rows
(``relay_progress``), and a dead worker's runs are closed here as errors.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Callable

from core import scanlog
from core.config import Config
from core.ingest import IngestResult
from core.models import ParseState
from core.redact import mask_text
from core.store import Store, open_store


@dataclass
class OperatorRun:
    """What one operator's scan brought; mirrors its ``scan_runs`` row."""

    operator: str
    run_id: int = 0
    state: str = "running"
    total: int = 0
    new: int = 0
    changed: int = 0
    cancelled: int = 0
    errors: int = 0
    last_error: str = ""
    seconds: float = 0.0
    quarantined: int = 0  # new messages that could not be taken in (a person must look): the run fails
    again: int = 0  # messages quarantined before that the operator sent again (counted apart)

    def counts(self) -> scanlog.RunCounts:
        return scanlog.RunCounts(
            total=self.total, new=self.new, changed=self.changed, cancelled=self.cancelled, errors=self.errors
        )


Progress = Callable[[OperatorRun], None]


def count(run: OperatorRun, results: list[IngestResult]) -> None:
    for result in results:
        run.total += 1
        run.new += result.new
        run.changed += result.changed
        run.cancelled += result.cancelled
        if result.state in (ParseState.FAILED, ParseState.UNPARSED):
            run.errors += 1
            run.last_error = mask_text(result.error)
            if result.quarantined:
                run.quarantined += 1
            else:
                run.again += 1


def fail(run: OperatorRun, message: str) -> None:
    run.state = "error"
    run.errors += 1
    run.last_error = mask_text(message)


def finish(store: Store, run: OperatorRun) -> None:
    scanlog.update_run(store, run.run_id, **run.counts())
    scanlog.finish_run(store, run.run_id, run.state, run.last_error if run.state == "error" else "")


def report(progress: Progress | None, run: OperatorRun) -> None:
    if progress is not None:
        progress(run)


def close_orphan_runs(config: Config, failed: list[OperatorRun], since: int) -> None:
    """Runs a dead worker left ``running`` on the status board end as errors, with what happened.

    An operator the worker had not started yet gets a run of its own, ended the
    same way, so the board shows that this scan did not reach it.
    """
    with open_store(config) as store:
        for run in failed:
            started = scanlog.runs_since(store, since, [run.operator])
            if not started:
                started = [{"id": scanlog.start_run(store, run.operator), "state": "running"}]
            for row in started:
                if row["state"] == "running":
                    scanlog.finish_run(store, row["id"], "error", run.last_error)
                    run.run_id = row["id"]


def last_run_id(config: Config) -> int:
    with open_store(config) as store:
        return scanlog.last_run_id(store)


async def relay_progress(config: Config, names: list[str], since: int, progress: Progress, every: float = 0.25) -> None:
    """Report the worker processes' runs as their scan_runs rows change."""
    seen: dict[int, tuple[Any, ...]] = {}

    def read() -> list[dict[str, Any]]:
        with open_store(config) as store:
            return scanlog.runs_since(store, since, names)

    while True:
        for row in await asyncio.to_thread(read):
            key = tuple(row[k] for k in (*scanlog.COUNTS, "state", "last_error"))
            if seen.get(row["id"]) != key:
                seen[row["id"]] = key
                run = OperatorRun(
                    row["operator"],
                    run_id=row["id"],
                    state=row["state"],
                    last_error=row["last_error"] or "",
                    **{k: row[k] for k in scanlog.COUNTS},
                )
                progress(run)
        await asyncio.sleep(every)
