"""Scan every enabled operator at once and put what they send through core's ingest.

This is where a scan starts (``scan``, ``watch``); the work is split by role:

- ``connectors.scan_loop``: the one loop, fetch -> store -> acknowledge, per
  operator (``scan_one``), and many operators in this process (``scan_here``)
  over one retrying HTTP client and one writer thread;
- ``connectors.scan_pool``: many operators (``shard_min``, 8) dealt out over
  worker processes, one per CPU core;
- ``connectors.scan_runs``: the live table, one ``OperatorRun`` per operator
  mirrored in its ``scan_runs`` row for the status board.

``[scan]`` settings: ``operator_timeout`` (s, default 120), ``request_timeout``
(s, 30), ``retries`` (4), ``backoff`` (s, 0.5), ``backoff_max`` (s, 30),
``retry_after_max`` (s, 60), ``max_connections`` (50 per operator), ``batch`` (200), ``processes``
(0: one per CPU core), ``shard_min`` (8: fewer operators are scanned in one process).
"""

from __future__ import annotations

import asyncio
import time
from typing import Callable

from connectors.base import Connector, connector_for
from connectors.scan_loop import (
    ScanSettings,
    StoreThread,
    http_client,
    pick_operators,
    scan_here,
    scan_one,
    tls_context,
)
from connectors.scan_pool import scan_sharded, shard
from connectors.scan_runs import OperatorRun, Progress, close_orphan_runs, last_run_id
from core.config import Config, OperatorConfig
from core.pauses import pause_of, paused, why_paused
from core.store import Store

__all__ = [
    "OperatorRun",
    "Progress",
    "ScanSettings",
    "StoreThread",
    "close_orphan_runs",
    "http_client",
    "last_run_id",
    "pick_operators",
    "scan",
    "scan_here",
    "scan_one",
    "shard",
    "tls_context",
    "until_next_round",
    "watch",
]


async def scan(
    config: Config,
    names: list[str] | None = None,
    *,
    progress: Progress | None = None,
    connectors: dict[str, Connector] | None = None,
    since: str = "",
) -> list[OperatorRun]:
    """Scan the named operators (default: every enabled one) at once; one run each.

    Many operators are split over worker processes (see ``shard``): reading and
    storing thousands of reservations is CPU work, and one Python process uses
    one core. ``connectors`` may supply ready connector objects by operator name
    (tests use it to inject a failure); others are built from config, and such
    a scan stays in this process. ``since`` (ISO 8601) asks for an explicit
    re-read of everything changed since then; a regular scan asks for what the
    operator has not had acknowledged, whatever the operator's clock says.
    """
    settings = ScanSettings.from_config(config)
    operators, skipped = await asyncio.to_thread(split_paused, config, pick_operators(config, names))
    for run in skipped:
        if progress is not None:
            progress(run)
    if not operators:
        return skipped
    groups = shard(operators, settings) if connectors is None else [operators]
    if len(groups) == 1:
        runs = await scan_here(config, operators, settings, progress, connectors, since)
    else:
        runs = await scan_sharded(config, groups, settings, progress, since)
    if not skipped:
        return runs
    order = {op.name: i for i, op in enumerate(config.operators)}
    return sorted([*runs, *skipped], key=lambda r: order.get(r.operator, 0))


def split_paused(config: Config, operators: list[OperatorConfig]) -> tuple[list[OperatorConfig], list[OperatorRun]]:
    """The operators to scan, and a ``paused`` run for each one a person paused (``opdesk pause``)."""
    with Store(config.store_path, config.documents_dir) as store:
        pauses = paused(store)
    if not pauses:
        return operators, []
    scan_now, skipped = [], []
    for op in operators:
        held = pause_of(pauses, op.name)
        if held is None:
            scan_now.append(op)
        else:
            skipped.append(OperatorRun(op.name, state="paused", last_error=why_paused(held, op.name)))
    return scan_now, skipped


async def watch(
    config: Config,
    names: list[str] | None,
    interval: float,
    *,
    progress: Progress | None = None,
    on_round: Callable[[list[OperatorRun]], None] | None = None,
    rounds: int | None = None,
) -> None:
    """Scan again every ``interval`` seconds (``rounds`` times, or until cancelled)."""
    done = 0
    while rounds is None or done < rounds:
        began = time.monotonic()
        runs = await scan(config, names, progress=progress)
        if on_round is not None:
            on_round(runs)
        done += 1
        if rounds is not None and done >= rounds:
            return
        await until_next_round(config, names, max(0.0, interval - (time.monotonic() - began)))


async def until_next_round(config: Config, names: list[str] | None, delay: float) -> None:
    """Wait ``delay`` seconds, or less when a mailbox that can IDLE reports new mail."""
    waiters = []
    for op in pick_operators(config, names):
        try:
            connector = connector_for(op, config)
        except Exception:  # noqa: BLE001 - a broken operator shows up in the next round's run
            continue
        if getattr(connector, "reads_mail", False) and hasattr(connector, "wait_for_mail"):
            waiters.append(asyncio.ensure_future(connector.wait_for_mail(delay)))
    if not waiters:
        await asyncio.sleep(delay)
        return
    try:
        pending = set(waiters)
        deadline = time.monotonic() + delay
        while pending and time.monotonic() < deadline:
            done, pending = await asyncio.wait(
                pending, timeout=deadline - time.monotonic(), return_when=asyncio.FIRST_COMPLETED
            )
            if any(not t.cancelled() and t.exception() is None and t.result() for t in done):
                return
    finally:
        for task in waiters:
            task.cancel()
