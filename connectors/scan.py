"""Scan every enabled operator at once and put what they send through core's ingest.

One ``httpx.AsyncClient`` with connection limits serves all operators; its
transport retries network errors, 5xx and 429 with exponential backoff and
jitter (a 429's ``Retry-After`` wins), and never retries 401/403. Each operator
runs under its own timeout, so one slow or broken operator never holds up or
stops the others.

Many operators (``shard_min``, 8) are dealt out over processes, one per CPU
core: this one and workers that stay for later scans. Within a process,
SQLite work runs on one writer thread with its own ``Store``; so does reading
large answers, off the event loop. Writers of several processes take turns
on the store (WAL, busy timeout); each commits whole batches. Per
batch of messages: ingest (raw bytes and versions in one commit) -> update
the scan run row, so the status board sees progress live -> acknowledge to
the operator.
The connector's saved state (a last-seen time stamp, a cursor) is written only
after the whole run went through, so a run that dies part-way fetches again.

``[scan]`` settings: ``operator_timeout`` (s, default 120), ``request_timeout``
(s, 30), ``retries`` (4), ``backoff`` (s, 0.5), ``backoff_max`` (s, 30),
``retry_after_max`` (s, 60), ``max_connections`` (50), ``batch`` (200), ``processes``
(0: one per CPU core), ``shard_min`` (8: fewer operators are scanned in one process).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import multiprocessing
import os
import random
import ssl
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Callable

import httpx

from connectors.base import Connector, FetchContext, connector_for
from core import scanlog
from core.pauses import pause_of, paused, why_paused
from core.config import Config, OperatorConfig
from core.ingest import IngestResult, Ingestor
from core.models import OperatorError, ParseState, RawMessage
from core.store import Store

RETRY_STATUSES = {429, 500, 502, 503, 504}


@dataclass
class ScanSettings:
    operator_timeout: float = 120.0
    request_timeout: float = 30.0
    retries: int = 4
    backoff: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 60.0
    max_connections: int = 50
    batch: int = 200
    processes: int = 0          # 0: one per CPU core; 1: only this process
    shard_min: int = 8          # fewer operators than this are scanned in this process alone

    @classmethod
    def from_config(cls, config: Config) -> "ScanSettings":
        section = config.section("scan")
        known = {k: type(v)(section[k]) for k, v in vars(cls()).items() if k in section}
        return cls(**known)


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

    def counts(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in scanlog.COUNTS}


Progress = Callable[[OperatorRun], None]


# -- retries in the transport --------------------------------------------------------
class RetryTransport(httpx.AsyncBaseTransport):
    """Retries a request on network errors, 5xx and 429; never on an answer like 401."""

    def __init__(self, inner: httpx.AsyncBaseTransport, settings: ScanSettings,
                 sleep: Callable[[float], Any] = asyncio.sleep) -> None:
        self.inner = inner
        self.settings = settings
        self.sleep = sleep

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = await self.inner.handle_async_request(request)
            except (httpx.TransportError,):
                if attempt >= self.settings.retries:
                    raise
                await self.sleep(self.backoff(attempt))
                attempt += 1
                continue
            if response.status_code not in RETRY_STATUSES or attempt >= self.settings.retries:
                return response
            wait = self.retry_after(response) if response.status_code in (429, 503) else None
            await response.aclose()
            await self.sleep(wait if wait is not None else self.backoff(attempt))
            attempt += 1

    def backoff(self, attempt: int) -> float:
        base = min(self.settings.backoff * (2 ** attempt), self.settings.backoff_max)
        return base * random.uniform(0.5, 1.0) + random.uniform(0, self.settings.backoff / 2)

    def retry_after(self, response: httpx.Response) -> float | None:
        value = response.headers.get("Retry-After")
        if not value:
            return None
        try:
            seconds = float(value)
        except ValueError:
            try:
                seconds = parsedate_to_datetime(value).timestamp() - time.time()
            except (TypeError, ValueError):
                return None
        return max(0.0, min(seconds, self.settings.retry_after_max))

    async def aclose(self) -> None:
        await self.inner.aclose()


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every scan of this process: loading the CA bundle takes 50 ms each time."""
    return httpx.create_ssl_context()   # as httpx makes it by default (SSL_CERT_FILE and SSL_CERT_DIR count)


def http_client(settings: ScanSettings) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=settings.max_connections,
                          max_keepalive_connections=settings.max_connections)
    transport = RetryTransport(httpx.AsyncHTTPTransport(limits=limits, verify=tls_context()), settings)
    return httpx.AsyncClient(transport=transport, timeout=settings.request_timeout, follow_redirects=False)


# -- the writer thread ----------------------------------------------------------------
class StoreThread:
    """One thread and one Store for all the SQLite work of a scan."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="opdesk-scan-store")
        self.store: Store | None = None

    async def run(self, work: Callable[[Store], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, self._call, work)

    def _call(self, work: Callable[[Store], Any]) -> Any:
        if self.store is None:
            self.store = Store(self.config.store_path, self.config.documents_dir)
            self.store.checkpoint_in_background()
        return work(self.store)

    def close(self) -> None:
        def shut() -> None:
            if self.store is not None:
                self.store.close()
        self.executor.submit(shut).result()
        self.executor.shutdown(wait=True)


# -- the scan --------------------------------------------------------------------------
async def scan(config: Config, names: list[str] | None = None, *, progress: Progress | None = None,
               connectors: dict[str, Connector] | None = None, since: str = "") -> list[OperatorRun]:
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
        report(progress, run)
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


async def scan_here(config: Config, operators: list[OperatorConfig], settings: ScanSettings,
                    progress: Progress | None = None, connectors: dict[str, Connector] | None = None,
                    since: str = "") -> list[OperatorRun]:
    """Scan ``operators`` in this process: one event loop, one HTTP client, one store thread."""
    store = StoreThread(config)
    try:
        async with http_client(settings) as http:
            tasks = [scan_operator(op, config, settings, http, store, progress, (connectors or {}).get(op.name),
                                   since) for op in operators]
            return list(await asyncio.gather(*tasks))
    finally:
        await asyncio.to_thread(store.close)


# -- several processes -----------------------------------------------------------------
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


def discard_pool() -> None:
    """Stop the worker processes (one died or hangs); the next sharded scan starts new ones."""
    global _POOL, _POOL_SIZE
    if _POOL is not None:
        for process in list(getattr(_POOL, "_processes", {}).values()):   # no public way to stop a stuck worker
            process.terminate()
        _POOL.shutdown(wait=False, cancel_futures=True)
    _POOL, _POOL_SIZE = None, 0


def scan_in_worker(config: Config, names: list[str], since: str = "") -> list[OperatorRun]:
    """In a worker process: scan these operators as ``scan_here`` does."""
    settings = ScanSettings.from_config(config)
    return asyncio.run(scan_here(config, pick_operators(config, names), settings, since=since))


async def scan_sharded(config: Config, groups: list[list[OperatorConfig]], settings: ScanSettings,
                       progress: Progress | None, since: str = "") -> list[OperatorRun]:
    """The first group here, the others in worker processes; their progress is read from the store.

    Runs come back in the order of the config, as from one process.
    """
    config_order = {op.name: i for i, op in enumerate(config.operators)}
    loop = asyncio.get_running_loop()
    before = await asyncio.to_thread(last_run_id, config)
    pool = worker_pool(len(groups) - 1)
    away = [(group, loop.run_in_executor(pool, scan_in_worker, config, [op.name for op in group], since))
            for group in groups[1:]]
    relay = asyncio.ensure_future(relay_progress(config, [op.name for g in groups[1:] for op in g], before,
                                                 progress)) if progress is not None else None
    try:
        runs = await scan_here(config, groups[0], settings, progress, since=since)
        for group, future in away:
            # A worker's operators each have their own timeout; a worker stuck past all of them is stopped.
            limit = max(float(op.settings.get("timeout", settings.operator_timeout)) for op in group) + 60
            try:
                runs += await asyncio.wait_for(future, limit)
            except Exception as exc:  # noqa: BLE001 - a worker that died fails its operators, not the scan
                discard_pool()
                why = f"gave no answer within {limit:g}s" if isinstance(exc, asyncio.TimeoutError) else \
                    f"failed: {type(exc).__name__}: {exc}"
                for op in group:
                    run = OperatorRun(op.name)
                    fail(run, f"the scan process for {op.name} {why}; what it stored is kept, and the next "
                              "scan fetches the rest")
                    runs.append(run)
                await asyncio.to_thread(close_orphan_runs, config, runs[-len(group):], before)
    finally:
        if relay is not None:
            relay.cancel()
    runs.sort(key=lambda r: config_order.get(r.operator, 0))
    if progress is not None:   # the workers' final word
        here = {op.name for op in groups[0]}
        for run in runs:
            if run.operator not in here:
                progress(run)
    return runs


def close_orphan_runs(config: Config, failed: list[OperatorRun], since: int) -> None:
    """Runs a dead worker left ``running`` on the status board end as errors, with what happened.

    An operator the worker had not started yet gets a run of its own, ended the
    same way, so the board shows that this scan did not reach it.
    """
    with Store(config.store_path, config.documents_dir) as store:
        for run in failed:
            started = store.all("SELECT id, state FROM scan_runs WHERE id > ? AND operator = ?",
                                (since, run.operator))
            if not started:
                started = [{"id": scanlog.start_run(store, run.operator), "state": "running"}]
            for row in started:
                if row["state"] == "running":
                    scanlog.finish_run(store, row["id"], "error", run.last_error)
                    run.run_id = row["id"]


def last_run_id(config: Config) -> int:
    with Store(config.store_path, config.documents_dir) as store:
        return int(store.scalar("SELECT COALESCE(MAX(id), 0) FROM scan_runs") or 0)


async def relay_progress(config: Config, names: list[str], since: int, progress: Progress,
                         every: float = 0.25) -> None:
    """Report the worker processes' runs as their scan_runs rows change."""
    seen: dict[int, tuple] = {}
    marks = ", ".join("?" * len(names))

    def read() -> list[dict[str, Any]]:
        with Store(config.store_path, config.documents_dir) as store:
            return store.all(f"SELECT * FROM scan_runs WHERE id > ? AND operator IN ({marks})", (since, *names))

    while True:
        for row in await asyncio.to_thread(read):
            key = tuple(row[k] for k in (*scanlog.COUNTS, "state", "last_error"))
            if seen.get(row["id"]) != key:
                seen[row["id"]] = key
                run = OperatorRun(row["operator"], run_id=row["id"], state=row["state"],
                                  last_error=row["last_error"] or "", **{k: row[k] for k in scanlog.COUNTS})
                progress(run)
        await asyncio.sleep(every)


def pick_operators(config: Config, names: list[str] | None) -> list[OperatorConfig]:
    if not names:
        return [op for op in config.operators if op.enabled]
    known = {op.name: op for op in config.operators}
    missing = [n for n in names if n not in known]
    if missing:
        raise KeyError(f"no operator named {', '.join(missing)} in {config.path} "
                       f"(known: {', '.join(sorted(known)) or 'none'})")
    return [known[n] for n in names]


async def scan_operator(op: OperatorConfig, config: Config, settings: ScanSettings, http: httpx.AsyncClient,
                        store: StoreThread, progress: Progress | None, connector: Connector | None = None,
                        since: str = "") -> OperatorRun:
    run = OperatorRun(op.name)
    started = time.monotonic()
    run.run_id = await store.run(lambda s: scanlog.start_run(s, op.name))
    report(progress, run)
    timeout = float(op.settings.get("timeout", settings.operator_timeout))
    try:
        connector = connector or connector_for(op, config)
        state = await store.run(lambda s: s.connector_state(op.name))
        ctx = FetchContext(http=http, config=config, state=dict(state), timeout=settings.request_timeout,
                           worker=lambda work: store.run(lambda _store: work()), since=since)
        await asyncio.wait_for(pull(connector, ctx, run, settings, store, progress), timeout)
        if ctx.state != state:
            await store.run(lambda s: s.set_connector_state(op.name, ctx.state))
        run.state = "ok"
    except asyncio.TimeoutError:
        fail(run, f"no answer within {timeout:g}s (operator timeout); raise timeout for {op.name} if it is slow")
    except OperatorError as exc:
        fail(run, str(exc))
    except Exception as exc:  # noqa: BLE001 - one operator failing never stops the others
        fail(run, f"{type(exc).__name__}: {exc}")
    run.seconds = time.monotonic() - started
    await store.run(lambda s: finish(s, run))
    report(progress, run)
    return run


async def pull(connector: Connector, ctx: FetchContext, run: OperatorRun, settings: ScanSettings,
               store: StoreThread, progress: Progress | None) -> None:
    batch: list[RawMessage] = []
    try:
        async for raw in connector.fetch(ctx):
            batch.append(raw)
            if len(batch) >= settings.batch:
                full, batch = batch, []   # taken in once, even if taking it in fails
                await take_in(connector, ctx, full, run, store, progress)
    except Exception:
        # What arrived before the failure (a later page, a bad field) is kept; the run still ends in
        # the error, and the connector's state is not saved, so the next scan asks again.
        if batch:
            with contextlib.suppress(Exception):   # the first failure is the one to report
                await take_in(connector, ctx, batch, run, store, progress)
        raise
    if batch:
        await take_in(connector, ctx, batch, run, store, progress)


async def take_in(connector: Connector, ctx: FetchContext, batch: list[RawMessage], run: OperatorRun,
                  store: StoreThread, progress: Progress | None) -> None:
    """Store a batch, then acknowledge it: the operator hears only of what is committed."""
    results: list[IngestResult] = await store.run(
        lambda s: Ingestor(s, ctx.config).ingest_many([(raw, connector.parse) for raw in batch]))
    count(run, results)
    await store.run(lambda s: scanlog.update_run(s, run.run_id, last_error=run.last_error or None, **run.counts()))
    report(progress, run)
    await connector.acknowledge_many(list(zip(batch, results)), ctx)


def count(run: OperatorRun, results: list[IngestResult]) -> None:
    for result in results:
        run.total += 1
        run.new += result.new
        run.changed += result.changed
        run.cancelled += result.cancelled
        if result.state in (ParseState.FAILED, ParseState.UNPARSED):
            run.errors += 1
            run.last_error = result.error


def fail(run: OperatorRun, message: str) -> None:
    run.state = "error"
    run.errors += 1
    run.last_error = message


def finish(store: Store, run: OperatorRun) -> None:
    scanlog.update_run(store, run.run_id, **run.counts())
    scanlog.finish_run(store, run.run_id, run.state, run.last_error if run.state == "error" else "")


def report(progress: Progress | None, run: OperatorRun) -> None:
    if progress is not None:
        progress(run)


async def watch(config: Config, names: list[str] | None, interval: float, *, progress: Progress | None = None,
                on_round: Callable[[list[OperatorRun]], None] | None = None, rounds: int | None = None) -> None:
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
            done, pending = await asyncio.wait(pending, timeout=deadline - time.monotonic(),
                                               return_when=asyncio.FIRST_COMPLETED)
            if any(not t.cancelled() and t.exception() is None and t.result() for t in done):
                return
    finally:
        for task in waiters:
            task.cancel()
