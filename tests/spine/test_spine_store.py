"""The store file: migrations on open, WAL, and refusing a newer schema."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from core.schema import MIGRATIONS
from core.store import MOST_ROWS_A_STATEMENT, Store, StoreError, StorePool, _split_sql, insert_rows


def test_a_store_of_an_older_version_is_migrated_on_open(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for statement in _split_sql(MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.scalar("PRAGMA journal_mode") == "wal"
        assert store.scalar("PRAGMA foreign_keys") == 1
        indexes = {r["name"] for r in store.all("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "opres_promo" in indexes


def test_a_store_from_a_newer_opdesk_is_refused(tmp_path):
    path = tmp_path / "new.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="upgrade opdesk"):
        Store(path)


def test_audit_rows_can_be_neither_changed_nor_deleted(store):
    from core.audit import Actor, record

    with store.transaction():
        record(store, Actor("anna", "app"), "save", reservation_id=1, detail="created")
    with pytest.raises(sqlite3.IntegrityError, match="never changed"):
        store.conn.execute("UPDATE audit_log SET actor = 'mallory'")
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        store.conn.execute("DELETE FROM audit_log")
    assert store.scalar("SELECT actor FROM audit_log") == "anna"


def _fill(store: Store, rows: int) -> None:
    for n in range(rows):
        with store.transaction() as c:
            c.execute(
                "INSERT INTO raw_messages(sha256, operator, channel, received_at, stored_at, size, body) "
                "VALUES (?, 'op', 'test', '2026-01-01', '2026-01-01', 4000, ?)",
                (f"{n}", b"x" * 4000),
            )


@pytest.mark.parametrize("background", [False, True])
def test_a_bulk_writer_leaves_checkpoints_to_a_thread_of_their_own(tmp_path, background):
    path = tmp_path / "bulk.db"
    Store(path).close()
    reader = sqlite3.connect(path)  # held open, so closing the writer does not checkpoint by itself
    reader.execute("SELECT COUNT(*) FROM raw_messages").fetchone()
    with Store(path) as store:
        if background:
            store.checkpoint_in_background()
            assert store.scalar("PRAGMA wal_autocheckpoint") == 0  # the writer never stops to copy pages
        else:
            store.conn.execute("PRAGMA wal_autocheckpoint = 0")
        _fill(store, 300)
    # Only the checkpointer's copies put the 1.2 MB written into the database file itself.
    size = path.stat().st_size
    assert (size > 1_000_000) == background, size
    assert reader.execute("SELECT COUNT(*) FROM raw_messages").fetchone()[0] == 300
    reader.close()


def test_a_reader_holding_the_wal_back_does_not_keep_a_bulk_writer_from_closing(tmp_path, monkeypatch):
    from core.store import Checkpointer

    monkeypatch.setattr(Checkpointer, "LAST_WAIT", 0.001)
    tries = []
    checkpoint = Checkpointer._checkpoint
    monkeypatch.setattr(Checkpointer, "_checkpoint", staticmethod(lambda conn: tries.append(1) or checkpoint(conn)))
    at_stop = []
    stop = Checkpointer.stop
    monkeypatch.setattr(Checkpointer, "stop", lambda self: at_stop.append(len(tries)) or stop(self))
    path = tmp_path / "held.db"
    Store(path).close()
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT COUNT(*) FROM raw_messages").fetchone()[0] == 0  # a snapshot from before
    with Store(path) as store:
        store.checkpoint_in_background()
        _fill(store, 300)
    # The last round tried again while the reader held the frames back, then gave up: nothing lost.
    assert len(tries) - at_stop[0] >= Checkpointer.LAST_TRIES + 1
    assert path.stat().st_size < 1_000_000
    assert reader.execute("SELECT COUNT(*) FROM raw_messages").fetchone()[0] == 0
    reader.execute("COMMIT")
    assert reader.execute("SELECT COUNT(*) FROM raw_messages").fetchone()[0] == 300
    reader.close()


def _recording_opener(path: Path) -> tuple[Callable[[], Store], list[Store]]:
    """An opener for a pool, and the list of the stores it opened."""
    opened: list[Store] = []

    def opener() -> Store:
        opened.append(Store(path))
        return opened[-1]

    return opener, opened


def test_a_pool_lends_each_connection_to_one_borrower_and_reuses_it_after(tmp_path):
    opener, opened = _recording_opener(tmp_path / "pool.db")
    pool = StorePool(opener, size=2)
    with pool.borrow() as first, pool.borrow() as second:
        assert first is not second  # two at once: two connections
        first.conn.execute("CREATE TABLE t (x)")
    with pool.borrow() as again:
        assert again in (first, second)  # kept, not opened anew
        assert again.scalar("SELECT COUNT(*) FROM t") == 0  # sees what the other connection wrote
    assert len(opened) == 2
    with pytest.raises(RuntimeError), pool.borrow() as broken:
        broken.conn.execute("BEGIN IMMEDIATE")
        raise RuntimeError("left in a transaction")
    with pytest.raises(sqlite3.ProgrammingError):
        broken.conn.execute("SELECT 1")  # a connection left in a transaction is closed, never lent again
    with pool.borrow() as one, pool.borrow() as other:
        assert broken not in (one, other)
    pool.close()
    assert len(opened) == 3
    for store in opened:
        with pytest.raises(sqlite3.ProgrammingError):
            store.conn.execute("SELECT 1")  # closed with the pool
    with pool.borrow() as late:
        late.conn.execute("SELECT 1")
    with pytest.raises(sqlite3.ProgrammingError):
        late.conn.execute("SELECT 1")  # given back after the pool closed: closed, not kept


def test_a_full_pool_makes_a_borrower_wait_for_a_connection_instead_of_opening_one(tmp_path):
    opener, opened = _recording_opener(tmp_path / "pool.db")
    pool = StorePool(opener, size=1, wait=30)
    lent, took = threading.Event(), []

    def borrower() -> None:
        lent.set()
        with pool.borrow() as store:
            took.append(store)

    with pool.borrow() as first:
        thread = threading.Thread(target=borrower)
        thread.start()
        lent.wait()
        thread.join(0.2)
        assert thread.is_alive() and not took  # waiting: the one connection is lent
    thread.join(10)
    assert took == [first] and opened == [first]  # it got the connection given back, no second one
    pool.close()


def test_a_borrower_that_waited_too_long_gets_a_connection_of_its_own_closed_after(tmp_path):
    opener, opened = _recording_opener(tmp_path / "pool.db")
    pool = StorePool(opener, size=1, wait=0.01)
    with pool.borrow() as held:
        with pool.borrow() as extra:  # the one connection does not come back in time
            assert extra is not held
        with pytest.raises(sqlite3.ProgrammingError):
            extra.conn.execute("SELECT 1")  # more than the pool's size: closed when given back
    with pool.borrow() as again:
        assert again is held
    assert len(opened) == 2
    pool.close()


class Recording:
    """A connection that remembers the statements it was given."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn, self.statements = conn, []

    def getlimit(self, category: int) -> int:
        return self.conn.getlimit(category)

    def execute(self, sql: str, params=()):
        self.statements.append(sql)
        return self.conn.execute(sql, params)


@pytest.mark.parametrize("count", [0, 1, 2, 255, 256, 257, 500, 1000])
def test_insert_rows_writes_every_row_in_order_with_its_values(count):
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t(n INTEGER, text TEXT, body BLOB, big INTEGER, empty)")
    rows = [(n, f"Yılmaz [/] {n}", bytes([n % 256]), 2**62 + n, None) for n in range(count)]
    recording = Recording(conn)
    insert_rows(recording, "INSERT INTO t(n, text, body, big, empty)", rows)  # type: ignore[arg-type]
    assert conn.execute("SELECT * FROM t ORDER BY rowid").fetchall() == rows
    # Chunks of the most rows a statement takes, then the rest in powers of two: 500 = 256 + 128 + 64 + 32 + 16 + 4.
    assert len(recording.statements) == count // MOST_ROWS_A_STATEMENT + bin(count % MOST_ROWS_A_STATEMENT).count("1")
    assert all(s.count("(?, ?, ?, ?, ?)") <= MOST_ROWS_A_STATEMENT for s in recording.statements)


def test_insert_rows_keeps_under_the_connections_limit_of_variables_and_to_a_few_shapes():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t(a, b, c)")
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 10)  # three rows of three would do; two go
    recording = Recording(conn)
    for count in range(1, 60):
        insert_rows(recording, "INSERT INTO t(a, b, c)", [(count, i, "x") for i in range(count)])  # type: ignore[arg-type]
    assert conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == sum(range(1, 60))
    assert set(recording.statements) == {
        "INSERT INTO t(a, b, c) VALUES (?, ?, ?) ",
        "INSERT INTO t(a, b, c) VALUES (?, ?, ?), (?, ?, ?) ",
    }


def test_insert_rows_puts_its_tail_after_each_statements_rows():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE counts(key TEXT PRIMARY KEY, rows INTEGER)")
    conn.execute("INSERT INTO counts VALUES ('a', 5)")
    upsert = "ON CONFLICT (key) DO UPDATE SET rows = rows + excluded.rows"
    insert_rows(conn, "INSERT INTO counts(key, rows)", [(k, 1) for k in "abc"], upsert)
    insert_rows(conn, "INSERT INTO counts(key, rows)", [(f"k{i}", i) for i in range(300)] + [("a", 10)], upsert)
    assert conn.execute("SELECT rows FROM counts WHERE key = 'a'").fetchone()[0] == 16
    assert conn.execute("SELECT COUNT(*), SUM(rows) FROM counts").fetchone() == (303, 16 + 1 + 1 + sum(range(300)))
