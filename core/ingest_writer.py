"""The ingest writer: a process of its own that commits the batches an ingest stream worked out.

``Ingestor.ingest_stream`` works out batch N+1 (parsing, versions, checks, the rows)
while this process writes and commits batch N, so the two cores share a bulk load.
The ingesting process hands over each batch's writes (``core.store.Writes``: the
rows, a few updates and the sealed audit row) as soon as they are worked out, up to
two batches ahead of the answers (``core.ingest.IN_FLIGHT``); this process takes them
in order, and answers each once it is committed. The ingesting process tells its
source a message is stored only after that answer.
While the writer keeps up, it also runs the checks of the new rows, from the facts
it is handed with them (``core.ingest_checks``), before it writes any of the batch.

What the writer guarantees, so that a batch worked out before the one before it was
committed is still right:

- **Nobody else wrote meanwhile.** The rows were worked out from what the ingesting
  process read after this writer took note of the store's ``data_version`` (``begin``).
  Under its write lock the writer reads it again; if any other connection committed in
  between (the app confirming a booking, a scanner, the ingesting process itself), it
  writes nothing and answers ``again``, and ``again`` to every batch after it until the
  next ``begin``: the ingesting process then stores those batches itself, in order,
  worked out again under the lock, as a lone batch is.
- **All or nothing.** A batch is one transaction. A failing statement rolls it back
  and the answer names the error; a writer that dies (killed, out of memory) leaves
  nothing half-written, and the ingesting process stores the batch itself.
- **It ends with its caller.** When the ingesting process goes away the pipe closes
  and the writer stops; a batch it had not received whole is never written.

Messages on the pipes (the writer's standard input and output), each a tuple: to the
writer ``("setup", config, now)`` first (what its checks read), then ``("begin",)``,
``("batch", steps)`` and ``("stop",)``; from it ``("up",)`` once the store is open,
``("ready",)`` after ``begin``, and for each batch ``("ok",)``, ``("again", why)`` or
``("failed", error type, message)``.
"""

from __future__ import annotations

import fcntl
import gc
import marshal
import os
import pickle
import queue
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import suppress
from datetime import datetime
from multiprocessing.connection import Connection
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.config import Config
from core.errors import OpdeskError, StoreError
from core.kept import COUNT_KEY, add_search, count_added
from core.store import Store, insert_rows

if TYPE_CHECKING:
    from core.approval import ApprovalSettings
    from core.stay import CheckContext

#: How long the ingesting process waits for a writer that was asked to stop.
STOP_SECONDS = 10.0
#: The size asked for the pipe that carries batches to the writer (Linux allows up to 1 MB unprivileged).
PIPE_BYTES = 1 << 20


class WriterGone(StoreError):
    """The writer process ended or stopped answering; the batch it had may or may not be committed."""


class _Again(OpdeskError):
    """Another connection committed since ``begin``: the batch must be worked out again."""


def _pack(message: tuple[Any, ...]) -> bytes:
    """marshal writes and reads the plain values rows are made of a fifth to a third faster than pickle;
    pickle for anything else. Pickle's data begins with its PROTO opcode (0x80), which no marshal data
    begins with."""
    try:
        return marshal.dumps(message)
    except ValueError:
        return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


def _unpack(data: bytes) -> tuple[Any, ...]:
    message: tuple[Any, ...] = pickle.loads(data) if data[:1] == b"\x80" else marshal.loads(data)
    return message


class IngestWriter:
    """The ingesting process's end: starts the writer process and talks to it.

    The writer is ``python -m core.ingest_writer STORE``, started at once and not
    waited for: it reads its orders on its standard input and answers on its
    standard output. ``ready`` is true between a ``begin`` answered and a batch
    answered with anything but ``ok``: only then may a batch be worked out for it.
    """

    def __init__(self, path: Path | str, config: Config, now: datetime | None = None) -> None:
        # The writer imports opdesk from where this process did, installed or not.
        home = str(Path(__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (home, os.environ.get("PYTHONPATH")) if p)}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "core.ingest_writer", str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
            env=env,
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        with suppress(OSError):  # a batch's 1 to 2 MB cross in a few writes, not thirty (Linux)
            fcntl.fcntl(self._process.stdin.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        self._orders = Connection(os.dup(self._process.stdin.fileno()), readable=False)
        self._answers = Connection(os.dup(self._process.stdout.fileno()), writable=False)
        self._process.stdin.close()
        self._process.stdout.close()
        self.up = False  # the writer has opened the store
        self.ready = False
        self.gone = False
        self.waited = 0.0  # seconds the last answer took to come once asked for
        with suppress(WriterGone):  # what its checks read: the config, and the clock a test fixed
            self._send(("setup", config, now))

    def _send(self, message: tuple[Any, ...]) -> None:
        try:
            self._orders.send_bytes(_pack(message))
        except (OSError, ValueError, TypeError, AttributeError, pickle.PicklingError) as exc:
            self.gone, self.ready = True, False
            raise WriterGone(f"the ingest writer process cannot be reached: {exc}") from exc

    def _receive(self) -> tuple[Any, ...]:
        try:
            return _unpack(self._answers.recv_bytes())
        except (EOFError, OSError) as exc:
            self.gone, self.ready = True, False
            try:
                code = self._process.wait(1)
            except subprocess.TimeoutExpired:
                code = None
            raise WriterGone(f"the ingest writer process ended (exit code {code})") from exc

    def try_begin(self) -> bool:
        """Make the writer ready if it has opened the store; False (at once) while it is still starting."""
        if self.gone:
            return False
        if not self.up:
            if not self._answers.poll():
                return False
            answer = self._receive()
            if answer[0] != "up":
                self.gone = True
                raise WriterGone(f"the ingest writer process could not start: {answer[-1]}")
            self.up = True
        self._send(("begin",))
        answer = self._receive()
        self.ready = answer[0] == "ready"
        return self.ready

    def send(self, steps: list[tuple[str, str, Any, str]]) -> None:
        self._send(("batch", steps))

    def answered(self) -> bool:
        """Whether the answer to the oldest batch handed over has come (at once, without waiting)."""
        return not self.gone and self._answers.poll()

    def outcome(self) -> tuple[Any, ...]:
        """The answer to the batch sent last: ``("ok",)``, ``("again", why)`` or ``("failed", type, message)``."""
        asked = time.perf_counter()
        answer = self._receive()
        self.waited = time.perf_counter() - asked  # how long this process waited for the writer
        if answer[0] != "ok":
            self.ready = False
        return answer

    def close(self, *, wait: bool = True) -> None:
        """Stop the writer after the batch it is writing, if any, and wait until it has ended. With
        ``wait=False`` (every batch answered: nothing left to write) a thread waits instead of the caller."""
        if not self.gone:
            try:
                self._send(("stop",))
            except WriterGone:
                pass
        self._orders.close()
        self.gone, self.ready = True, False
        if wait:
            self._end()
        else:
            threading.Thread(target=self._end, name="opdesk-ingest-writer-end", daemon=True).start()

    def _end(self) -> None:
        try:
            self._process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(STOP_SECONDS)
        self._answers.close()


def serve(path: str, orders: Connection, answers: Connection) -> None:
    """The writer process: open the store, then commit each batch it is handed until told to stop.

    Its commits checkpoint the WAL as SQLite does by default (``wal_autocheckpoint``), on
    this process's core, which waits for the next batch most of the time anyway. When the
    ingesting process stops listening (its stream ended before this process was up, or it
    died), there is no one to answer: the writer ends, quietly.
    """
    try:
        _serve(path, orders, answers)
    except (BrokenPipeError, ConnectionResetError):
        pass


def _serve(path: str, orders: Connection, answers: Connection) -> None:
    try:
        store = Store(path)
    except StoreError as exc:
        answers.send_bytes(_pack(("failed", "StoreError", str(exc))))
        return
    answers.send_bytes(_pack(("up",)))
    # Orders are taken off the pipe as they come, by a thread of their own: the ingesting process
    # hands over its next batch while this one is written, instead of waiting until it is read.
    incoming: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    threading.Thread(target=_take_orders, args=(orders, incoming), name="opdesk-writer-orders", daemon=True).start()
    # What a batch leaves (rows, their facts) holds no cycles and is freed as it goes; the collector,
    # walking tens of thousands of new objects a batch, would take a tenth of this process's time.
    gc.freeze()
    gc.disable()
    noted: int | None = None  # data_version at ``begin``
    checker: _Checker | None = None
    try:
        while (data := incoming.get()) is not None:
            message = _unpack(data)
            if message[0] == "stop":
                return
            if message[0] == "setup":
                checker = _Checker(store, message[1], message[2])
                continue
            if message[0] == "begin":
                noted = _data_version(store)
                answer: tuple[Any, ...] = ("ready",)
            else:
                answer = _commit(store, message[1], noted, checker)
                if answer[0] != "ok":
                    noted = None  # nothing more until the next ``begin``: the batches after it are refused
            answers.send_bytes(_pack(answer))
    finally:
        store.close()


def _take_orders(orders: Connection, incoming: queue.SimpleQueue[bytes | None]) -> None:
    """Read each order whole as it comes; None once the ingesting process went away (its pipe closed).
    A batch not received whole is never handed on, so never written."""
    try:
        while True:
            incoming.put(orders.recv_bytes())
    except (EOFError, OSError):
        incoming.put(None)


def _commit(
    store: Store, steps: list[tuple[str, str, Any, str]], noted: int | None, checker: _Checker | None
) -> tuple[Any, ...]:
    try:
        with store.transaction():
            if noted is None or _data_version(store) != noted:
                raise _Again
            run_writes(store.conn, steps, checker)
    except _Again:
        return ("again", "another connection wrote to the store since the batch was worked out")
    except (sqlite3.Error, StoreError, ValueError, TypeError, OverflowError) as exc:
        return ("failed", type(exc).__name__, str(exc))
    return ("ok",)


class _Checker:
    """Runs the checks of a batch's new rows (``core.ingest_checks``), as the ingesting process would.

    The checks' modules (the pricing rules among them, a third of what this process imports) are
    imported when the first rows to check come, not when the process starts: it is up sooner, and
    the ingesting process hands over its first batch instead of storing it itself meanwhile.
    """

    def __init__(self, store: Store, config: Config, now: datetime | None) -> None:
        self.store, self.config, self.now = store, config, now
        self.ctx: CheckContext | None = None
        self.approval: ApprovalSettings | None = None

    def rows(self, items: list[tuple[tuple[Any, ...], tuple[Any, ...], list[str]]]) -> list[tuple[Any, ...]]:
        """Each row with its ``CHECK_COLUMNS`` after it; items are (row, facts payload, missing mappings)."""
        from core.approval import ApprovalSettings
        from core.ingest_checks import checked_columns, facts_from_payload, prefetch
        from core.stay import CheckContext

        if self.ctx is None or self.approval is None:
            self.ctx = CheckContext(self.store, self.config, now=self.now)
            self.approval = ApprovalSettings.from_config(self.config)
        ctx, approval = self.ctx, self.approval
        facts = [facts_from_payload(payload) for _, payload, _ in items]
        prefetch(ctx, facts)
        return [
            (*row, *checked_columns(f, missing, ctx, self.config, approval))
            for (row, _, missing), f in zip(items, facts)
        ]

    @staticmethod
    def columns() -> tuple[str, ...]:
        from core.ingest_checks import CHECK_COLUMNS

        return CHECK_COLUMNS


def run_writes(
    conn: sqlite3.Connection, steps: list[tuple[str, str, Any, str]], checker: _Checker | None = None
) -> None:
    """Run the steps a ``core.store.Writes`` kept, in order, on ``conn`` (inside the caller's transaction).

    Rows handed over without their checks ("checked" steps: their columns, and each row with its
    facts and missing mappings) are checked first, before any step writes: the checks read the
    store as it was before the batch, as they do when the ingesting process runs them.
    """
    checked: dict[int, list[tuple[Any, ...]]] = {}
    for i, (kind, _, values, _) in enumerate(steps):
        if kind == "checked":
            if checker is None:
                raise ValueError("rows to check, but the writer was given no config")
            checked[i] = checker.rows(values)
    for i, (kind, sql, values, tail) in enumerate(steps):
        if kind == "checked":
            columns = [*sql.split(", "), *_Checker.columns()]
            insert_rows(conn, f"INSERT INTO operator_reservations({', '.join(columns)})", checked[i])
            key = itemgetter(*(columns.index(name) for name in COUNT_KEY))
            count_added(conn, [key(row) for row in checked[i]])
        elif kind == "rows":
            insert_rows(conn, sql, values, tail)
        elif kind == "search":
            add_search(conn, values)
        elif kind == "executemany":
            conn.executemany(sql, values)
        elif kind == "execute":
            conn.execute(sql, values)
        else:
            raise ValueError(f"unknown write step {kind!r}")


def _data_version(store: Store) -> int:
    """Changes when another connection commits; this connection's own commits leave it."""
    return int(store.conn.execute("PRAGMA data_version").fetchone()[0])


def main() -> None:
    """``python -m core.ingest_writer STORE``: orders on standard input, answers on standard output."""
    answers = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # anything printed goes to standard error, never into the answers
    serve(sys.argv[1], Connection(os.dup(0), writable=False), answers)


if __name__ == "__main__":
    main()
