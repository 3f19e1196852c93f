"""The store: one SQLite file shared by the app, the scanner and cron jobs.

WAL lets readers go on while one process writes; a long busy timeout makes a
writer wait its turn instead of failing with "database is locked". Writes go
through ``transaction()`` (``BEGIN IMMEDIATE``), so a writer takes the lock
up front rather than failing half-way when it upgrades from reading.

Use one ``Store`` in one thread at a time: open one per thread, or borrow one
from a ``StorePool``, which hands each idle connection to one thread at a time.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from itertools import chain
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import orjson

from core.errors import StoreError
from core.models import utcnow
from core.private import create_private_file
from core.schema import MIGRATIONS
from core.text import fold_name, search_fold

BUSY_TIMEOUT_MS = 60_000

T = TypeVar("T")

# ISO 4217 minor-unit exponents that differ from 2.
_EXPONENTS = {"JPY": 0, "KRW": 0, "ISK": 0, "HUF": 2, "KWD": 3, "BHD": 3, "JOD": 3, "OMR": 3, "TND": 3}


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def to_minor(amount: Decimal | int | str | None, currency: str) -> int | None:
    """Decimal money to integer minor units, half-up."""
    if amount is None:
        return None
    return minor_units(amount if isinstance(amount, Decimal) else Decimal(amount), exponent(currency))


def minor_units(amount: Decimal, exp: int) -> int:
    """``to_minor`` for a currency's exponent looked up once (a stay's nights, one currency)."""
    scaled = amount.scaleb(exp)
    whole = int(scaled)
    if whole == scaled:  # the usual case, 85.00 -> 8500: no rounding to do
        return whole
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_minor(minor: int | None, currency: str) -> Decimal | None:
    if minor is None:
        return None
    exp = exponent(currency)
    return (Decimal(minor).scaleb(-exp)).quantize(Decimal(1).scaleb(-exp))


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def now_iso() -> str:
    return utcnow().isoformat(timespec="seconds")


# Dates and times go through ``str`` as they always have (``2026-05-01``, ``2026-05-01 12:00:00``).
_DUMPS_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def dumps(value: Any) -> str:
    """Compact JSON for a TEXT column; anything JSON lacks (decimals, dates) is written as its text.

    orjson, because every stored row writes several of these.
    """
    return orjson.dumps(value, default=str, option=_DUMPS_OPTIONS).decode()


def rowid(cursor: sqlite3.Cursor) -> int:
    """The id an INSERT just made (SQLite always gives one; the type allows None)."""
    assert cursor.lastrowid is not None
    return cursor.lastrowid


#: How many values one ``IN (...)`` list of ``in_chunks`` carries: well under SQLite's variable limit.
IN_CHUNK = 500


def in_chunks(values: list[T]) -> Iterator[tuple[str, list[T]]]:
    """``values`` ``IN_CHUNK`` at a time, each chunk with its ``?, ?, ...`` for an ``IN (...)`` list."""
    for first in range(0, len(values), IN_CHUNK):
        chunk = values[first : first + IN_CHUNK]
        yield ", ".join("?" * len(chunk)), chunk


#: The most rows one multi-row statement of ``insert_rows`` carries, whatever the table's width.
MOST_ROWS_A_STATEMENT = 256


class Writes:
    """Writes kept to be run later by another connection: the ingest writer process's work
    (``core.ingest_writer.run_writes``).

    ``insert_rows``, ``core.kept.add_search`` and ``execute`` take one in place of a
    connection and keep what they were asked, so the rows are bound and stepped (and
    search text folded) by the connection that runs them.
    """

    def __init__(self) -> None:
        self.steps: list[tuple[str, str, Any, str]] = []  # (kind, sql, rows or params, tail)

    def execute(self, sql: str, params: Any = ()) -> None:
        self.steps.append(("execute", sql, params, ""))

    def executemany(self, sql: str, params: list[Any]) -> None:
        if params:
            self.steps.append(("executemany", sql, params, ""))


def insert_rows(conn: sqlite3.Connection | Writes, head: str, rows: list[tuple[Any, ...]], tail: str = "") -> None:
    """Run ``head`` (``INSERT INTO t(a, b)``) for every row, many rows to a statement, ``tail``
    (an ``ON CONFLICT`` clause) after each statement's rows.

    ``executemany`` binds and steps one row at a time, and Python's lock is let go and taken
    back around every step. While another thread runs Python (a scan's event loop reading
    the next answers as its store thread writes, the app drawing while a worker writes),
    taking it back means waiting for that thread to let go (up to Python's switch interval,
    5 ms), once per row: measured, forty batches of 500 rows took 128 s beside a busy thread
    against 0.36 s alone. A statement of many rows waits once (0.95 s beside it, 0.30 s
    alone). The rows go in chunks whose sizes are powers of two, so a connection's statement
    cache holds a few shapes of each statement, not one for every batch size. sqlite-utils'
    ``insert_all`` builds such statements as well, but from dicts, turning each value in
    Python: the very cost this saves.
    """
    if not rows:
        return
    if isinstance(conn, Writes):
        conn.steps.append(("rows", head, rows, tail))
        return
    width = len(rows[0])
    most = min(MOST_ROWS_A_STATEMENT, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width)
    most = 1 << (most.bit_length() - 1)
    one = f"({', '.join('?' * width)})"
    done = 0
    while done < len(rows):
        size = min(most, 1 << ((len(rows) - done).bit_length() - 1))
        conn.execute(
            f"{head} VALUES {', '.join([one] * size)} {tail}", list(chain.from_iterable(rows[done : done + size]))
        )
        done += size


def is_busy(exc: sqlite3.Error) -> bool:
    """SQLite said another connection holds the lock (SQLITE_BUSY or SQLITE_LOCKED, any extended code)."""
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class Store:
    """An open store. ``db`` is the sqlite-utils view, ``conn`` the raw connection."""

    def __init__(self, path: Path | str, documents_dir: Path | str | None = None, *, keys: Any = None) -> None:
        self.path = Path(path)
        self.documents_dir = Path(documents_dir) if documents_dir else self.path.parent / "documents"
        self.keys = keys  # core.keys.KeyRing: seals audit rows (None: rows left unsealed)
        self.after_commit: list[Any] = []  # run once the outermost transaction has committed
        try:
            # 0600 before SQLite opens it: the WAL and shared-memory files take the same mode.
            create_private_file(self.path)
            self.conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{self.path}: cannot open the store: {exc}") from exc
        self.conn.row_factory = sqlite3.Row
        self._checkpointer: Checkpointer | None = None
        self._configure()
        self._migrate()

    # -- setup -----------------------------------------------------------
    def _configure(self) -> None:
        c = self.conn
        c.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = c.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"{self.path}: the store needs WAL mode; the file system gave {mode!r}")
        c.execute("PRAGMA synchronous = NORMAL")
        c.execute("PRAGMA cache_size = -65536")  # 64 MB: index pages of a large store stay in memory
        c.execute("PRAGMA foreign_keys = ON")
        # The inbox search's triggers fold names with it (schema V3).
        c.create_function("opdesk_fold", 1, lambda text: fold_name(text or ""), deterministic=True)
        # ... and the search text's, with its Latin spelling (schema V5_SCALE).
        c.create_function("opdesk_search_fold", 1, lambda text: search_fold(text or ""), deterministic=True)

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        current = self.schema_version
        if current > len(MIGRATIONS):
            raise StoreError(
                f"{self.path}: the store has schema version {current}, newer than this opdesk "
                f"knows ({len(MIGRATIONS)}): upgrade opdesk"
            )
        if current == len(MIGRATIONS):
            return
        with self.transaction():
            # Another process may have migrated while we waited for the lock.
            current = self.schema_version
            for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in _split_sql(script):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number}")

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self.conn.close()

    def checkpoint_in_background(self) -> None:
        """For bulk writers (a scan, a big ingest): move WAL checkpoints off this connection.

        SQLite normally checkpoints inside the COMMIT that crosses the WAL's size
        threshold, so the writer stops to copy pages into the database file. Here
        a thread with its own connection does it after commits instead (a
        PASSIVE checkpoint never blocks the writer or readers), on the other core.
        """
        if self._checkpointer is None:
            self.conn.execute("PRAGMA wal_autocheckpoint = 0")
            self._checkpointer = Checkpointer(self.path)

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ----------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, taken with BEGIN IMMEDIATE; nests as a savepoint."""
        if self.conn.in_transaction:
            name = f"sp{time.monotonic_ns()}"
            self.conn.execute(f"SAVEPOINT {name}")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute(f"ROLLBACK TO {name}")
                self.conn.execute(f"RELEASE {name}")
                raise
            self.conn.execute(f"RELEASE {name}")
            return
        self._begin_immediate()
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            self.after_commit.clear()
            raise
        self.conn.execute("COMMIT")
        callbacks, self.after_commit = self.after_commit, []
        for callback in callbacks:
            callback()
        if self._checkpointer is not None:
            self._checkpointer.nudge()

    def _begin_immediate(self) -> None:
        # busy_timeout covers BEGIN IMMEDIATE too; the loop covers the rare
        # SQLITE_BUSY that WAL returns at once (a snapshot held elsewhere).
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    raise
                if time.monotonic() > deadline:
                    raise StoreError(f"{self.path}: the store stayed locked for {BUSY_TIMEOUT_MS // 1000}s") from exc
                time.sleep(0.01)

    # -- small reads -----------------------------------------------------
    def one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> dict[str, Any] | None:
        row = self.conn.execute(sql, params).fetchone()
        return dict(row) if row is not None else None

    def all(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(sql, params).fetchall()]

    def scalar(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return row[0] if row is not None else None

    # -- connector state (last seen timestamps, IMAP UIDs) -----------------
    def connector_state(self, operator: str) -> dict[str, str]:
        rows = self.conn.execute("SELECT key, value FROM connector_state WHERE operator = ?", (operator,))
        return {r["key"]: r["value"] for r in rows}

    def set_connector_state(self, operator: str, values: dict[str, Any]) -> None:
        with self.transaction() as c:
            for key, value in values.items():
                c.execute(
                    "INSERT INTO connector_state(operator, key, value, updated_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(operator, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    (operator, key, str(value), now_iso()),
                )


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements, buf = [], []
    for line in script.splitlines():
        buf.append(line)
        text = "\n".join(buf).strip()
        if text.endswith(";") and sqlite3.complete_statement(text):
            statements.append(text)
            buf = []
    rest = "\n".join(buf).strip()
    if rest:
        statements.append(rest)
    return statements


def open_store(config: Any) -> Store:
    """Open the store a ``Config`` names, with the keys kept beside that config (``core.keys``)."""
    from core.keys import KeyRing  # core.keys reads the config; the store itself needs none

    store = Store(config.store_path, config.documents_dir, keys=KeyRing(config))
    store.keys.settle(store)
    return store


class StorePool:
    """Connections to one store, lent to worker threads one at a time, at most ``size`` of them.

    A connection keeps what it read in its page cache (``cache_size``) for as
    long as it lives; SQLite drops what another writer changed meanwhile. The
    app's inbox asks the store again on every keystroke of a search: on a
    connection it used before, the indexes it walks are already in memory.

    Each connection may hold its page cache full (64 MB), so the pool opens no more than
    ``size``: a borrower that finds all of them lent waits for one to come back. The inbox
    interrupts the reads a newer keystroke replaced, so that takes a moment; a borrower
    still waiting after ``wait`` seconds gets a connection of its own, closed when given
    back, so a read that does not let go never holds up the next. A borrower holds one
    connection at a time.
    """

    def __init__(self, opener: Callable[[], Store], size: int = 2, wait: float = 2.0) -> None:
        self._opener = opener
        self._size = size
        self._wait = wait
        self._idle: list[Store] = []
        self._open = 0  # connections lent or idle
        self._changed = threading.Condition()
        self._closed = False

    @contextmanager
    def borrow(self) -> Iterator[Store]:
        store = self._take()
        try:
            yield store
        finally:
            self._give_back(store)

    def _take(self) -> Store:
        with self._changed:
            deadline = time.monotonic() + self._wait
            while not self._idle and self._open >= self._size and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break  # an extra connection, closed when given back
                self._changed.wait(left)
            if self._idle:
                return self._idle.pop()
            self._open += 1
        try:
            return self._opener()
        except BaseException:
            self._forget()
            raise

    def _give_back(self, store: Store) -> None:
        kept = not store.conn.in_transaction  # left half-way by an error: never lent again
        with self._changed:
            if kept and not self._closed and self._open <= self._size:
                self._idle.append(store)
                self._changed.notify()
                return
        self._forget()
        store.close()

    def _forget(self) -> None:
        with self._changed:
            self._open -= 1
            self._changed.notify()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            idle, self._idle = self._idle, []
            self._open -= len(idle)
            self._changed.notify_all()
        for store in idle:
            store.close()


class Checkpointer:
    """A thread that checkpoints a store's WAL when nudged after a commit (see ``checkpoint_in_background``).

    Nudges while a checkpoint runs fold into one more round; ``stop`` runs a
    last checkpoint, so the WAL does not stay large after a bulk write.
    """

    LAST_TRIES = 20  # the last round's retries while frames are held back ...
    LAST_WAIT = 0.05  # ... this many seconds apart

    def __init__(self, path: Path) -> None:
        self.path = path
        self.wanted = threading.Event()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name="opdesk-checkpoint", daemon=True)
        self.thread.start()

    def nudge(self) -> None:
        self.wanted.set()

    def stop(self) -> None:
        self.stopping = True
        self.wanted.set()
        self.thread.join()

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
        try:
            while True:
                self.wanted.wait()
                self.wanted.clear()
                done = self._checkpoint(conn)
                if self.stopping and not self.wanted.is_set():
                    # The last round: a reader or writer of another process may hold frames back for a
                    # moment; try a little longer, so a bulk write does not leave its WAL behind.
                    for _ in range(self.LAST_TRIES):
                        if done:
                            break
                        time.sleep(self.LAST_WAIT)
                        done = self._checkpoint(conn)
                    return  # a stop (or commit) during that round asks for one more: the last commits too
        finally:
            conn.close()

    @staticmethod
    def _checkpoint(conn: sqlite3.Connection) -> bool:
        """One PASSIVE checkpoint; whether it copied the whole WAL into the database file."""
        try:
            busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:
            return False  # busy or interrupted: the next nudge (or SQLite's own close) tries again
        return bool(busy == 0 and frames == copied)
