"""The one scan loop: fetch -> store -> acknowledge, for every way bookings arrive.

``scan_one`` runs it for one operator: it records a scan run, fetches the
connector's messages in batches, stores each batch (raw bytes and versions in
one commit), updates the run row so the status board sees progress live, and
only then acknowledges the batch to the operator; the connector's saved state
(a last-seen time stamp, a cursor) is written after the whole run went through,
so a run that dies part-way fetches again. API connectors, mailboxes, the drop
folder (``scan``), ``opdesk mail scan`` (``scan_mailbox``) and the tests' helper
all go through it; what differs is only where the store work runs (``StoreRunner``).

``scan_here`` scans many operators in this process: one event loop, one HTTP
client with connection limits, one writer thread with its own ``Store`` (that
also reads large answers, off the event loop). Each operator runs under its own
timeout, so one slow or broken operator never holds up or stops the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, TypeVar

import httpx
from httpx_retries import Retry, RetryTransport

from connectors.base import Connector, FetchContext, connector_for
from connectors.scan_runs import OperatorRun, Progress, count, fail, finish, report
from core import scanlog
from core.config import Config, OperatorConfig
from core.errors import NotFound
from core.ingest import Ingestor, IngestResult
from core.models import OperatorError, RawMessage
from core.store import Store, open_store

T = TypeVar("T")
# Runs store work where the store lives (the scan's writer thread, or right here) and awaits it.
StoreRunner = Callable[[Callable[[Store], T]], Awaitable[T]]

RETRY_STATUSES = {429, 500, 502, 503, 504}


@dataclass
class ScanSettings:
    operator_timeout: float = 120.0
    request_timeout: float = 30.0
    retries: int = 4
    backoff: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 60.0
    max_connections: int = 50  # per operator: each has its own HTTP client and pool
    batch: int = 200
    processes: int = 0  # 0: one per CPU core; 1: only this process
    shard_min: int = 8  # fewer operators than this are scanned in this process alone

    @classmethod
    def from_config(cls, config: Config) -> "ScanSettings":
        section = config.section("scan")
        known = {k: type(v)(section[k]) for k, v in vars(cls()).items() if k in section}
        return cls(**known)


# -- retries in the transport (httpx-retries) --------------------------------------------
class ScanRetry(Retry):
    """httpx-retries' policy with ours: backoff and Retry-After have separate caps.

    A retry waits ``backoff * 2**n`` (at most ``backoff_max``) with jitter, or what
    a 429/503's ``Retry-After`` asks (at most ``retry_after_max``); never retried:
    an answer like 401 or 403.
    """

    def __init__(self, *, backoff_max: float = 30.0, retry_after_max: float = 60.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max

    def increment(self) -> "ScanRetry":
        # The library's copy (copy_with, whose parameters change between releases) drops our caps: carry them over.
        copy = super().increment()
        assert isinstance(copy, ScanRetry)
        copy.backoff_max, copy.retry_after_max = self.backoff_max, self.retry_after_max
        return copy

    def backoff_strategy(self) -> float:
        attempt = max(self.attempts_made - 1, 0)
        base = min(self.backoff_factor * (2**attempt), self.backoff_max)
        return base * random.uniform(0.5, 1.0) + random.uniform(0, self.backoff_factor / 2)

    def parse_retry_after(self, retry_after: str) -> float:
        try:
            seconds = float(retry_after)  # operators send fractions too ("0.5"), which the library refuses
        except ValueError:
            seconds = super().parse_retry_after(retry_after)
        return max(0.0, min(seconds, self.retry_after_max))


def retry_policy(settings: ScanSettings) -> ScanRetry:
    """Network errors, 5xx and 429 are retried ``retries`` times, for every method (an OTA read is a POST)."""
    return ScanRetry(
        total=settings.retries,
        backoff_factor=settings.backoff,
        backoff_max=settings.backoff_max,
        retry_after_max=settings.retry_after_max,
        max_backoff_wait=max(settings.backoff_max, settings.retry_after_max) + settings.backoff,
        status_forcelist=RETRY_STATUSES,
        retry_on_exceptions=(httpx.TransportError,),
        allowed_methods=("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"),
    )


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every scan of this process: loading the CA bundle takes 50 ms each time."""
    return httpx.create_ssl_context()  # as httpx makes it by default (SSL_CERT_FILE and SSL_CERT_DIR count)


def http_client(settings: ScanSettings) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=settings.max_connections, max_keepalive_connections=settings.max_connections)
    transport = RetryTransport(
        httpx.AsyncHTTPTransport(limits=limits, verify=tls_context()), retry=retry_policy(settings)
    )
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
            self.store = open_store(self.config)
            self.store.checkpoint_in_background()
        return work(self.store)

    def close(self) -> None:
        def shut() -> None:
            if self.store is not None:
                self.store.close()

        self.executor.submit(shut).result()
        self.executor.shutdown(wait=True)


# -- the loop ----------------------------------------------------------------------------
async def scan_one(
    name: str,
    make_connector: Callable[[], Connector],
    ctx: FetchContext,
    store: StoreRunner,
    *,
    batch: int = 200,
    timeout: float | None = None,
    progress: Progress | None = None,
    results: list[IngestResult] | None = None,
) -> OperatorRun:
    """Scan one operator: a run row, fetch -> store -> acknowledge in batches, then its saved state.

    Never raises for the operator's failure: the run ends as an error that says
    what happened, and what was stored before it stays stored. ``results``, when
    given, receives every message's ``IngestResult``.
    """
    run = OperatorRun(name)
    started = time.monotonic()
    run.run_id = await store(lambda s: scanlog.start_run(s, name))
    report(progress, run)
    try:
        connector = make_connector()
        state = await store(lambda s: s.connector_state(name))
        ctx.state = dict(state)
        await asyncio.wait_for(pull(connector, ctx, run, store, batch, progress, results), timeout)
        if ctx.state != state:
            await store(lambda s: s.set_connector_state(name, ctx.state))
        run.state = "ok"
    except TimeoutError:
        fail(run, f"no answer within {timeout:g}s (operator timeout); raise timeout for {name} if it is slow")
    except OperatorError as exc:
        fail(run, str(exc))
    except Exception as exc:  # noqa: BLE001 - one operator failing never stops the others
        fail(run, f"{type(exc).__name__}: {exc}")
    run.seconds = time.monotonic() - started
    await store(lambda s: finish(s, run))
    report(progress, run)
    return run


async def pull(
    connector: Connector,
    ctx: FetchContext,
    run: OperatorRun,
    store: StoreRunner,
    size: int,
    progress: Progress | None,
    results: list[IngestResult] | None = None,
) -> None:
    batch: list[RawMessage] = []
    try:
        async for raw in connector.fetch(ctx):
            batch.append(raw)
            if len(batch) >= size:
                full, batch = batch, []  # taken in once, even if taking it in fails
                await take_in(connector, ctx, full, run, store, progress, results)
    except Exception:
        # What arrived before the failure (a later page, a bad field) is kept; the run still ends in
        # the error, and the connector's state is not saved, so the next scan asks again.
        if batch:
            with contextlib.suppress(Exception):  # the first failure is the one to report
                await take_in(connector, ctx, batch, run, store, progress, results)
        raise
    if batch:
        await take_in(connector, ctx, batch, run, store, progress, results)


async def take_in(
    connector: Connector,
    ctx: FetchContext,
    batch: list[RawMessage],
    run: OperatorRun,
    store: StoreRunner,
    progress: Progress | None,
    results: list[IngestResult] | None = None,
) -> None:
    """Store a batch, then acknowledge it: the operator hears only of what is committed."""
    stored: list[IngestResult] = await store(
        lambda s: Ingestor(s, ctx.config).ingest_many([(raw, connector.parse) for raw in batch])
    )
    count(run, stored)
    if results is not None:
        results.extend(stored)
    await store(lambda s: scanlog.update_run(s, run.run_id, last_error=run.last_error or None, **run.counts()))
    report(progress, run)
    await connector.acknowledge_many(list(zip(batch, stored)), ctx)


def on_this_thread(store: Store) -> StoreRunner:
    """A ``StoreRunner`` for a store of the calling thread (a single mailbox, the tests' helper)."""

    async def run(work: Callable[[Store], T]) -> T:
        return work(store)

    return run


def scan_with_store(
    store: Store,
    config: Config,
    operator: OperatorConfig,
    make_connector: Callable[[], Connector] | None = None,
    results: list[IngestResult] | None = None,
) -> OperatorRun:
    """Scan one operator right here, on ``store``, with no HTTP client (folders and mailboxes)."""
    ctx = FetchContext(http=None, config=config)
    return asyncio.run(
        scan_one(
            operator.name,
            make_connector or (lambda: connector_for(operator, config)),
            ctx,
            on_this_thread(store),
            results=results,
        )
    )


# -- many operators in this process ------------------------------------------------------
async def scan_here(
    config: Config,
    operators: list[OperatorConfig],
    settings: ScanSettings,
    progress: Progress | None = None,
    connectors: dict[str, Connector] | None = None,
    since: str = "",
) -> list[OperatorRun]:
    """Scan ``operators`` in this process: one event loop, one store thread, an HTTP client per operator.

    A client (and its connection pool) of each operator's own: httpcore's pool looks over every
    connection it holds, polling each idle socket, whenever it hands one out or takes one back, so one
    pool for fifty operators spent more time choosing connections than a small scan takes.
    """
    store = StoreThread(config)
    try:
        async with contextlib.AsyncExitStack() as clients:
            tasks = [
                scan_operator(
                    op,
                    config,
                    settings,
                    await clients.enter_async_context(http_client(settings)),
                    store,
                    progress,
                    (connectors or {}).get(op.name),
                    since,
                )
                for op in operators
            ]
            return list(await asyncio.gather(*tasks))
    finally:
        await asyncio.to_thread(store.close)


async def scan_operator(
    op: OperatorConfig,
    config: Config,
    settings: ScanSettings,
    http: httpx.AsyncClient,
    store: StoreThread,
    progress: Progress | None,
    connector: Connector | None = None,
    since: str = "",
) -> OperatorRun:
    ctx = FetchContext(
        http=http,
        config=config,
        timeout=settings.request_timeout,
        worker=lambda work: store.run(lambda _store: work()),
        since=since,
    )
    return await scan_one(
        op.name,
        lambda: connector or connector_for(op, config),
        ctx,
        store.run,
        batch=settings.batch,
        timeout=float(op.settings.get("timeout", settings.operator_timeout)),
        progress=progress,
    )


def pick_operators(config: Config, names: list[str] | None) -> list[OperatorConfig]:
    if not names:
        return [op for op in config.operators if op.enabled]
    known = {op.name: op for op in config.operators}
    missing = [n for n in names if n not in known]
    if missing:
        raise NotFound(
            f"no operator named {', '.join(missing)} in {config.path} (known: {', '.join(sorted(known)) or 'none'})"
        )
    return [known[n] for n in names]
