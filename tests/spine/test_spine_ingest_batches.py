"""Batch after batch (Ingestor.ingest_batches): each worked out while the one before is written, on a writer
thread of its own; the store ends as ingest_many one batch at a time would leave it."""

from __future__ import annotations

import json
import time
from datetime import date

import pytest

from connectors.canonical import parse_canonical
from core.config import Config
from core.ingest import Ingestor
from core.kept import counts_drift
from core.models import ParseState, RawMessage
from core.store import Store


def message(
    voucher: str, *, nights: int = 7, content: str = "new", total: object = "700.00", name: str = "Kaya"
) -> bytes:
    return json.dumps(
        {
            "voucher": voucher,
            "content": content,
            "check_in": "2026-07-01",
            "check_out": date(2026, 7, 1 + nights).isoformat(),
            "adults": 2,
            "room": "STD",
            "board": "AI",
            "total": total,
            "guests": [{"first_name": "Deniz", "last_name": name}, {"first_name": "Ayşe", "last_name": "Yılmaz"}],
            "night_prices": [{"date": date(2026, 7, 1 + i).isoformat(), "amount": "100.00"} for i in range(nights)],
        }
    ).encode()


def batches() -> list[list[bytes]]:
    """Three batches: new bookings, then changes to some of them (the batch before may still be being
    written when this one is worked out), then a batch with one message the store cannot hold."""
    first = [message(f"ANX{i}") for i in range(40)]
    second = [message(f"ANX{i}", nights=9, content="change") for i in range(0, 40, 4)]
    second += [message(f"ANX{i}", content="cancel") for i in range(1, 40, 10)]
    third = [message("BIG1", total="9" * 40), message("ANX100", name="Müller"), message("ANX0", nights=8)]
    return [first, second, third]


def table(store: Store) -> list[tuple[object, ...]]:
    rows = store.conn.execute(
        "SELECT r.id, r.voucher, r.version, r.is_latest, r.content, r.nights, r.total_minor, r.guest_names, "
        "r.checks, m.parse_state, (SELECT COUNT(*) FROM guests g WHERE g.reservation_id = r.id), "
        "(SELECT COUNT(*) FROM night_prices n WHERE n.reservation_id = r.id), "
        "(SELECT text FROM opres_search s WHERE s.id = r.id) FROM operator_reservations r "
        "JOIN raw_messages m ON m.id = r.raw_id ORDER BY r.id"
    ).fetchall()
    return [tuple(row) for row in rows]


def items(bodies: list[bytes]) -> list[tuple[RawMessage, object]]:
    return [(RawMessage(body, "anex", "test"), lambda raw: parse_canonical(raw.body)) for body in bodies]


@pytest.fixture
def stores(tmp_path):
    made = []
    for name in ("one-by-one", "streamed"):
        store = Store(tmp_path / f"{name}.db")
        made.append(store)
    yield made
    for store in made:
        store.close()


def test_batches_streamed_leave_the_store_as_batches_taken_one_at_a_time(stores, tmp_path, monkeypatch):
    config = Config(tmp_path / "c.toml", {})
    alone, streamed = stores
    expected = [Ingestor(alone, config).ingest_many(items(b)) for b in batches()]
    # The writer is slow, so each batch is surely worked out before the one ahead of it is committed.
    commit, worked_out = Ingestor._commit, []

    def slow_commit(self, worked):
        time.sleep(0.3)
        return commit(self, worked)

    versions = Ingestor._versions
    monkeypatch.setattr(Ingestor, "_commit", slow_commit)
    monkeypatch.setattr(Ingestor, "_versions", lambda self, parsed: worked_out.append(1) or versions(self, parsed))
    got = list(Ingestor(streamed, config).ingest_batches(items(b) for b in batches()))
    assert len(worked_out) > 3  # the second batch was worked out again, under the lock
    summary = [[(r.state, r.error.split(":")[-1], r.new, r.changed, r.cancelled, r.unchanged) for r in b] for b in got]
    assert summary == [
        [(r.state, r.error.split(":")[-1], r.new, r.changed, r.cancelled, r.unchanged) for r in b] for b in expected
    ]
    assert table(streamed) == table(alone)
    assert counts_drift(streamed) == []
    # The third batch's impossible total is quarantined alone; the rest of its batch is stored.
    assert [r.state for r in got[2]] == [ParseState.FAILED, ParseState.PARSED, ParseState.PARSED]
    assert "total" in got[2][0].error
    # The changes of the second batch built on the first batch's versions, whether it was committed yet or not.
    assert streamed.scalar("SELECT MAX(version) FROM operator_reservations WHERE voucher = 'ANX0'") == 3
    assert streamed.scalar("SELECT COUNT(*) FROM operator_reservations WHERE is_latest = 1") == 41


def test_a_batch_sent_twice_in_a_stream_is_stored_once(stores, tmp_path):
    store = stores[1]
    first = [message(f"TUI{i}") for i in range(30)]
    results = list(Ingestor(store, Config(tmp_path / "c.toml", {})).ingest_batches([items(first), items(first)]))
    assert sum(r.new for r in results[0]) == 30
    assert all(r.duplicate and r.raw_id == a.raw_id for r, a in zip(results[1], results[0]))
    assert store.scalar("SELECT COUNT(*) FROM raw_messages") == 30
    assert store.scalar("SELECT COUNT(*) FROM operator_reservations") == 30


def test_one_step_writes_write_the_same_rows_in_few_statements(tmp_path):
    with Store(tmp_path / "opdesk.db") as store:
        store.conn.execute("CREATE TABLE t(a INTEGER, b TEXT, c BLOB)")
        rows = [(i, f"text {i}", bytes([i % 256]) * 3) for i in range(25_000)]
        statements: list[str] = []
        store.conn.set_trace_callback(statements.append)
        store.one_step_writes = True
        with store.transaction():
            store.write_rows("INSERT INTO t(a, b, c)", rows)
        store.conn.set_trace_callback(None)
        assert [tuple(r) for r in store.conn.execute("SELECT a, b, c FROM t ORDER BY a")] == rows
        inserts = [s for s in statements if s.startswith("INSERT")]
        assert 25 <= len(inserts) <= 30  # at most 1,000 rows a statement
