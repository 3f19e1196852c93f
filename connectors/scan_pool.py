"""Many operators dealt out over worker processes, one per CPU core.

Reading and storing thousands of reservations is CPU work, and one Python
process uses one core. This process scans the first share itself; workers
that stay for later scans (``--watch``, the app) take the others. Writers of
several processes take turns on the store (WAL, busy timeout); each commits
whole batches. A worker that dies or hangs fails its operators on the board,
and the next scan starts new workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import sys
import types
from concurrent.futures import ProcessPoolExecutor
from typing import Iterator

from connectors.scan_loop import ScanSettings, pick_operators, scan_here
from connectors.scan_runs import (
    OperatorRun,
    Progress,
    close_orphan_runs,
    fail,
    last_run_id,
    relay_progress,
)
from core.config import Config, OperatorConfig


def shard(operators: list[OperatorConfig], settings: ScanSettings) -> list[list[OperatorConfig]]:
    """Operators dealt out over processes: this one first, then ``processes - 1`` workers.

    A few operators stay in this process alone: a worker process costs a third
    of a second to start, more than a small scan takes.
    """
    count = settings.processes or os.cpu_count() or 1
    if count < 2 or len(operators) < max(settings.shard_min, 2):
        return [operators]
    count = min(count, len(operators))
    return [operators[i::count] for i in range(count)]


_POOL: ProcessPoolExecutor | None = None
_POOL_SIZE = 0


def worker_pool(size: int) -> ProcessPoolExecutor:
    """Worker processes, started on first use and kept for later scans (``--watch``, the app)."""
    global _POOL, _POOL_SIZE
    if _POOL is None or _POOL_SIZE < size:
        if _POOL is not None:
            _POOL.shutdown(wait=False)
        # spawn, not fork: the app and the progress display have threads running.
        _POOL = ProcessPoolExecutor(max_workers=size, mp_context=multiprocessing.get_context("spawn"))
        _POOL_SIZE = size
    return _POOL


@contextlib.contextmanager
def workers_skip_main() -> Iterator[None]:
    """Worker processes started meanwhile import what a scan needs, not this program's main module.

    A spawned process imports the main module of the program that started it first: for
    ``opdesk`` that is the whole CLI and the app, half a second before a worker scans anything
    (a worker needs connectors.scan_pool, which takes a third of that). Work is handed to
    workers by reference to functions of this package, so they never need the main module.
    """
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")  # no file, no spec: nothing to import
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def discard_pool() -> None:
    """Stop the worker processes (one died or hangs); the next sharded scan starts new ones."""
    global _POOL, _POOL_SIZE
    if _POOL is not None:
        for process in list(getattr(_POOL, "_processes", {}).values()):  # no public way to stop a stuck worker
            process.terminate()
        _POOL.shutdown(wait=False, cancel_futures=True)
    _POOL, _POOL_SIZE = None, 0


def scan_in_worker(config: Config, names: list[str], since: str = "") -> list[OperatorRun]:
    """In a worker process: scan these operators as ``scan_here`` does."""
    settings = ScanSettings.from_config(config)
    return asyncio.run(scan_here(config, pick_operators(config, names), settings, since=since))


async def scan_sharded(
    config: Config,
    groups: list[list[OperatorConfig]],
    settings: ScanSettings,
    progress: Progress | None,
    since: str = "",
) -> list[OperatorRun]:
    """The first group here, the others in worker processes; their progress is read from the store.

    Runs come back in the order of the config, as from one process.
    """
    config_order = {op.name: i for i, op in enumerate(config.operators)}
    loop = asyncio.get_running_loop()
    before = await asyncio.to_thread(last_run_id, config)
    pool = worker_pool(len(groups) - 1)
    with workers_skip_main():  # the pool starts its processes as work is handed to it
        away = [
            (group, loop.run_in_executor(pool, scan_in_worker, config, [op.name for op in group], since))
            for group in groups[1:]
        ]
    relay = (
        asyncio.ensure_future(relay_progress(config, [op.name for g in groups[1:] for op in g], before, progress))
        if progress is not None
        else None
    )
    try:
        runs = await scan_here(config, groups[0], settings, progress, since=since)
        for group, future in away:
            # A worker's operators each have their own timeout; a worker stuck past all of them is stopped.
            limit = max(float(op.settings.get("timeout", settings.operator_timeout)) for op in group) + 60
            try:
                runs += await asyncio.wait_for(future, limit)
            except Exception as exc:  # noqa: BLE001 - a worker that died fails its operators, not the scan
                discard_pool()
                why = (
                    f"gave no answer within {limit:g}s"
                    if isinstance(exc, asyncio.TimeoutError)
                    else f"failed: {type(exc).__name__}: {exc}"
                )
                for op in group:
                    run = OperatorRun(op.name)
                    fail(
                        run,
                        f"the scan process for {op.name} {why}; what it stored is kept, and the next "
                        "scan fetches the rest",
                    )
                    runs.append(run)
                await asyncio.to_thread(close_orphan_runs, config, runs[-len(group) :], before)
    finally:
        if relay is not None:
            relay.cancel()
    runs.sort(key=lambda r: config_order.get(r.operator, 0))
    if progress is not None:  # the workers' final word
        here = {op.name for op in groups[0]}
        for run in runs:
            if run.operator not in here:
                progress(run)
    return runs
