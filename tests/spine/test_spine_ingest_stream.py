"""The ingest stream: a writer process commits each batch while this process works out the next.

Whatever the writer does (commits, refuses because another connection wrote, fails a batch, dies,
is left early), the store ends as ``ingest_many`` batch after batch leaves it, and each batch's
results are those ``ingest_many`` gives.
"""

from __future__ import annotations

import gc
import json
import sqlite3
import threading
import time
from collections import deque
from datetime import date, datetime, timezone
from datetime import time as clock_time
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import pytest
from support.desk import TODAY, booking, make_desk

from connectors.canonical import dumps_canonical, parse_canonical
from core.audit import verify
from core.config import Config
from core.desk import load_contracts_text
from core.errors import StoreError
from core.ingest import Ingestor
from core.ingest_writer import PIPE_BYTES, IngestWriter, WriterGone
from core.mapping import set_mapping
from core.models import Content, Document, Guest, OperatorBooking, RawMessage
from core.store import Store, open_store

#: The checks' clock: noon of the day the bookings were built for, whatever the time of day the tests run.
NOW = datetime.combine(TODAY, clock_time(12), tzinfo=timezone.utc)
RECEIVED = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
SPEC = Path(__file__).parents[1] / "pricing" / "data" / "spec.toml"
UP_SECONDS = 5.0  # how long a test waits for the writer process to open the store
HANG_SECONDS = 3.0  # a stream that has not ended by then waits for something that never comes
FAILING = ("execute", "INSERT INTO no_such_table VALUES (1)", (), "")


def parse(raw: RawMessage):
    return parse_canonical(raw.body)


# -- desks -----------------------------------------------------------------------------------
def furnish(cfg: Config) -> None:
    """What the corpus needs beside the ``desk`` fixture: a room code priced by the test contracts,
    whose promotion SPRING5 may be used once."""
    text = (
        SPEC.read_text()
        .replace("max_uses = 100", "max_uses = 1")
        .replace('sales = ["2026-01-01", "2026-04-30"]', 'sales = ["2025-01-01", "2026-04-30"]')
    )
    with Store(cfg.store_path, cfg.documents_dir) as store:
        set_mapping(store, "tui", "room", "DZP", "DBL")
        load_contracts_text(store, cfg, text, source="spec.toml", actor="tester")


def make_furnished_desk(base: Path) -> Config:
    """A second desk, as the ``desk`` fixture makes its own, furnished."""
    cfg = make_desk(base)
    furnish(cfg)
    return cfg


# -- the corpus ------------------------------------------------------------------------------
def msg(name: str, *bookings: OperatorBooking) -> RawMessage:
    return RawMessage(dumps_canonical(list(bookings)), "tui", "test", received_at=RECEIVED, filename=name)


def same_bytes(raw: RawMessage, name: str) -> RawMessage:
    return RawMessage(raw.body, "tui", "test", received_at=RECEIVED, filename=name)


def room(voucher: str, rid: str, content: Content = Content.NEW, **kw: Any) -> OperatorBooking:
    return booking(voucher, content, days_ahead=15, extra={"reservation_id": rid}, **kw)


def promo(voucher: str) -> OperatorBooking:
    """A stay the test contracts price (638.40 after SPRING5), using the promotion."""
    return OperatorBooking(
        voucher=voucher,
        content=Content.NEW,
        check_in=date(2026, 5, 1),
        check_out=date(2026, 5, 8),
        adults=2,
        room="DZP",
        board="AI",
        rate="TUI26",
        currency="EUR",
        sale_date=date(2025, 12, 1),
        total=Decimal("638.40"),
        promo_code="SPRING5",
        guests=[Guest("Ayşe", "Kaya")],
    )


def news(batch: int, first: int, last: int) -> list[RawMessage]:
    return [msg(f"b{batch}-V{n}", booking(f"V{n}", days_ahead=20 + n % 40)) for n in range(first, last + 1)]


def corpus() -> list[list[RawMessage]]:
    """Seven batches of 14-16 messages. Which batch waits for the one before, and why:

    b1 for b0 (voucher V1), b2 for b1 (the same bytes: a message that does not parse), b4 for b3
    (reservation ID R1), b5 for b4 (the same bytes), b6 for b5 (promotion SPRING5 only); b3 is
    worked out while b2 is with the writer.
    """
    b0 = news(0, 1, 12) + [
        msg("b0-R1", room("R1", "R1"), room("R1/2", "R1", adults=3)),
        msg("b0-V0", booking("V0", Content.CANCEL)),  # a cancellation of a voucher never sent
    ]
    b1 = [msg("b1-V1", booking("V1", Content.CHANGE, days_ahead=21, notes="late checkout"))]
    b1 += news(1, 13, 24)
    twice = msg("b1-V25", booking("V25", days_ahead=25))
    bad = RawMessage(b'{"bookings": [{"voucher": ', "tui", "test", received_at=RECEIVED, filename="b1-bad")
    b1 += [twice, same_bytes(twice, "b1-V25-again"), bad]
    b2 = news(2, 26, 37) + [
        msg("b2-V5", booking("V5", Content.CANCEL, days_ahead=25)),
        same_bytes(bad, "b2-bad"),  # failed before: tried again
        same_bytes(b0[1], "b2-V2-again"),  # stored and parsed before: a duplicate
    ]
    b3 = news(3, 38, 49) + [
        msg("b3-V1", booking("V1", Content.CHANGE, days_ahead=21, notes="late checkout, cot")),
        msg("b3-R1", room("R1", "R1", Content.CHANGE, notes="sea view")),  # R1/2 dropped
        msg("b3-V10", booking("V10", Content.CANCEL, days_ahead=30)),
        msg("b3-X1", booking("X1", room="XX", days_ahead=22)),  # a room code with no mapping: not clean
    ]
    b4 = [msg("b4-R1", room("R1", "R1", Content.CANCEL))]
    b4 += news(4, 50, 61)
    b4 += [
        msg("b4-V13", booking("V13", Content.CANCEL, days_ahead=33)),
        msg("b4-R2", room("R2", "R2", nights=3), room("R2/2", "R2", nights=3)),
    ]
    b5 = [same_bytes(b4[1], "b5-V50-again")]
    b5 += [msg("b5-V20", booking("V20", Content.CHANGE, days_ahead=40, nights=5))]
    b5 += news(5, 62, 73) + [msg("b5-P1", promo("P1"))]
    b6 = [msg("b6-P2", promo("P2"))]
    b6 += [
        msg(
            "b6-R2",
            room("R2", "R2", Content.CHANGE, nights=3),
            room("R2/2", "R2", Content.CHANGE, nights=3),
            room("R2/3", "R2", Content.CHANGE, nights=3),  # a room the modification adds
        )
    ]
    b6 += news(6, 74, 85)
    return [b0, b1, b2, b3, b4, b5, b6]


def items(batch: list[RawMessage]) -> list[tuple[RawMessage, Any]]:
    return [(raw, parse) for raw in batch]


def batches_of(corpus_: list[list[RawMessage]]) -> list[list[tuple[RawMessage, Any]]]:
    return [items(batch) for batch in corpus_]


OUTSIDE = msg("outside-V20", booking("V20", Content.CHANGE, days_ahead=40, notes="from the app"))


# -- what is compared ------------------------------------------------------------------------
def outcome_of(results) -> list[tuple]:
    return [
        (
            r.raw_id,
            r.sha256,
            r.duplicate,
            str(r.state),
            r.error,
            r.new,
            r.changed,
            r.cancelled,
            r.unchanged,
            tuple(r.reservation_ids),
            r.again,
        )
        for r in results
    ]


def columns(conn: sqlite3.Connection, table: str, leave_out: set[str]) -> str:
    names = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
    return ", ".join(n for n in names if n not in leave_out)


TABLES = {
    "operator_reservations": ({"created_at"}, "id"),
    "guests": (set(), "id"),
    "night_prices": (set(), "reservation_id, date"),
    "raw_messages": ({"stored_at", "parsed_at"}, "id"),
    "inbox_counts": (set(), "operator, status, content, is_latest, clean"),
    "opres_search": (set(), "id"),
    "audit_log": ({"at", "hmac", "os_user"}, "id"),
    "documents": ({"created_at"}, "id"),
}


def snapshot(cfg: Config) -> dict[str, list[tuple]]:
    with Store(cfg.store_path) as store:
        conn = store.conn
        return {
            table: [
                tuple(row) for row in conn.execute(f"SELECT {columns(conn, table, out)} FROM {table} ORDER BY {order}")
            ]
            for table, (out, order) in TABLES.items()
        }


def assert_same_tables(got: dict[str, list[tuple]], expected: dict[str, list[tuple]]) -> None:
    for table in TABLES:
        assert got[table] == expected[table], f"{table} differs from the batch-by-batch run"


def assert_whole(cfg: Config) -> None:
    """Every stored row has its raw message; every parsed message stored has its versions."""
    with Store(cfg.store_path) as store:
        orphans = store.scalar(
            "SELECT COUNT(*) FROM operator_reservations o WHERE NOT EXISTS "
            "(SELECT 1 FROM raw_messages r WHERE r.id = o.raw_id)"
        )
        bare = store.all(
            "SELECT id, filename FROM raw_messages r WHERE parse_state = 'parsed' AND NOT EXISTS "
            "(SELECT 1 FROM operator_reservations o WHERE o.raw_id = r.id)"
        )
        unsearched = store.scalar(
            "SELECT COUNT(*) FROM operator_reservations o WHERE NOT EXISTS (SELECT 1 FROM opres_search s "
            "WHERE s.id = o.id)"
        )
    assert orphans == 0 and bare == [] and unsearched == 0


# -- the reference: ingest_many batch after batch ---------------------------------------------
def run_batch_by_batch(
    cfg: Config, outside_after: int | None = None, outside: str = ""
) -> tuple[list[list[tuple]], list[dict]]:
    """Each batch's results and the tables after each batch; ``outside_after``: another connection
    writes (``write_outside``) after that batch."""
    results, snapshots = [], []
    with Store(cfg.store_path, cfg.documents_dir) as store:
        ingestor = Ingestor(store, cfg, now=NOW)
        for n, batch in enumerate(batches_of(corpus())):
            results.append(outcome_of(ingestor.ingest_many(batch)))
            if n == outside_after:
                write_outside(cfg, outside)
            snapshots.append(snapshot(cfg))
    return results, snapshots


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[list[list[tuple]], list[dict]]:
    return run_batch_by_batch(make_furnished_desk(tmp_path_factory.mktemp("reference")))


@pytest.fixture(params=[1, 2], ids=["one-with-the-writer", "two-with-the-writer"])
def in_flight(request, monkeypatch) -> int:
    """How many batches this process may have handed to the writer and not heard back on: one (each
    waits for the answer before it) or two (``core.ingest.IN_FLIGHT``, what a stream does)."""
    monkeypatch.setattr("core.ingest.IN_FLIGHT", request.param)
    return int(request.param)


# -- a writer to watch -----------------------------------------------------------------------
class Writer(IngestWriter):
    """The writer process's end, counted: its answers, its batches; set up by ``writer_class``.

    While a batch is with the writer, a third connection holds the store's write lock (and then
    rolls back, so no commit is seen) until this process asks for the answer: the writer cannot
    commit before, so a batch worked out meanwhile never sees the batch before it, however quick
    the writer is. Whatever must wait for that commit really has to.

    This process may hand over a batch while another is with the writer (``core.ingest.IN_FLIGHT``):
    it waits here, in order, and goes to the writer process when nothing is with the writer and this
    process hands over another batch (the lock held) or asks for its answer.
    """

    instances: list["Writer"] = []
    wait_up = True  # the first batch waits for the writer to be up (so every batch can go to it)
    kill_at = 0  # the n-th batch sent finds the writer dead
    fail_at = 0  # the n-th batch sent gets a failing statement at its end
    lock_on_failure = False  # once a batch failed, another connection keeps the store's write lock
    after_answer: Callable[["Writer"], None] | None = None  # called with each answer, before it is returned

    def __init__(self, path: Path | str, config: Config, now: datetime | None = None) -> None:
        super().__init__(path, config, now)
        self.path = Path(path)
        self.answers: list[tuple] = []
        self.sent = 0
        self.in_flight = False  # a batch is with the writer process
        self.with_writer = 0  # which batch (1, 2, ...) is, or was last
        self.queued: deque[tuple[int, list]] = deque()  # handed over, waiting for the one before
        self.at_failure: dict[str, int] | None = None  # what the store held when a batch failed
        self._lock: sqlite3.Connection | None = None
        self.blocker: sqlite3.Connection | None = None
        type(self).instances.append(self)

    def hold(self) -> None:
        self._lock = sqlite3.connect(self.path, isolation_level=None, timeout=UP_SECONDS)
        self._lock.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        if self._lock is not None:
            self._lock.execute("ROLLBACK")
            self._lock.close()
            self._lock = None

    def try_begin(self) -> bool:
        if self.wait_up:
            deadline = time.monotonic() + UP_SECONDS
            while not self.up and not self.gone and not self._answers.poll(0.02):
                assert time.monotonic() < deadline, "the writer process did not open the store in time"
        return super().try_begin()

    def send(self, steps) -> None:
        self.sent += 1
        if self.sent == self.fail_at:
            steps = [*steps, FAILING]
        self.queued.append((self.sent, steps))
        if not self.in_flight:
            self._hand_over(hold=True)

    def _hand_over(self, *, hold: bool) -> None:
        """The oldest batch waiting here goes to the writer process; with ``hold``, it cannot commit
        it before this process asks for the answer."""
        number, steps = self.queued.popleft()
        if number == self.kill_at:
            self._process.kill()
            self._process.wait()
        if hold:
            self.hold()
        try:
            super().send(steps)
        except WriterGone:
            self.release()
            raise
        self.in_flight, self.with_writer = True, number

    def outcome(self) -> tuple:
        if not self.in_flight:  # the batch asked for waits here: it goes now, and may be committed at once
            self._hand_over(hold=False)
        self.release()
        try:
            answer = super().outcome()
        finally:
            self.in_flight = False
        self.answers.append(answer)
        if self.after_answer is not None:
            self.after_answer(self)
        if answer[0] == "failed":
            conn = sqlite3.connect(self.path)
            batch = f"b{self.with_writer - 1}-%"  # every batch went to the writer: the n-th sent is b(n-1)
            self.at_failure = {
                "raw": conn.execute("SELECT COUNT(*) FROM raw_messages WHERE filename LIKE ?", (batch,)).fetchone()[0],
                "audit": conn.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0],
            }
            conn.close()
            if self.lock_on_failure:
                self.blocker = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                self.blocker.execute("BEGIN IMMEDIATE")
        return answer

    def close(self, *, wait: bool = True) -> None:
        self.release()
        super().close(wait=wait)

    @property
    def oks(self) -> int:
        return self.answers.count(("ok",))


def writer_class(monkeypatch, **settings: Any) -> type[Writer]:
    cls = type("TestWriter", (Writer,), {"instances": [], **settings})
    monkeypatch.setattr("core.ingest.IngestWriter", cls)
    return cls


def stream(cfg: Config) -> list[list[tuple]]:
    with Store(cfg.store_path, cfg.documents_dir) as store:
        ingestor = Ingestor(store, cfg, now=NOW)
        return [outcome_of(results) for results in ingestor.ingest_stream(batches_of(corpus()))]


# -- 1. the same as batch by batch --------------------------------------------------------------
@pytest.mark.parametrize("checks", ["writer", "here", "alternating"])
@pytest.mark.parametrize("wait_up", [True, False], ids=["writer-up-first", "writer-starting"])
def test_a_stream_gives_and_stores_what_batch_by_batch_does(desk, monkeypatch, reference, wait_up, checks, in_flight):
    """Whoever runs a batch's checks (the writer, this process, each in turn), the rows are the same."""
    furnish(desk)
    turns = iter(range(100))
    placed = {"writer": lambda: False, "here": lambda: True, "alternating": lambda: next(turns) % 2 == 1}[checks]
    monkeypatch.setattr(Ingestor, "_checks_here", lambda self, pipe, bookings, in_flight: placed())
    cls = writer_class(monkeypatch, wait_up=wait_up)
    got = stream(desk)
    expected, snapshots = reference
    assert len(got) == len(expected) == 7
    for n, (ours, theirs) in enumerate(zip(got, expected)):
        assert ours == theirs, f"batch {n}'s results differ"
    assert_same_tables(snapshot(desk), snapshots[-1])
    assert gc.isenabled(), "the collector is back on once the stream ended"
    [writer] = cls.instances
    assert writer._process.wait(UP_SECONDS) == 0, "the writer process ends once the stream is done"
    if wait_up:
        # Up before the first batch: the writer committed every batch, nothing was refused.
        assert writer.answers == [("ok",)] * 7
    else:
        assert all(answer == ("ok",) for answer in writer.answers)
    # The corpus means what it says: the second use of SPRING5 is refused, the same bytes are one message.
    with Store(desk.store_path) as store:
        p2 = store.one("SELECT price_table FROM operator_reservations WHERE voucher = 'P2'")
        assert {"code": "SPRING5", "reason": "max_uses"} in json.loads(p2["price_table"])["refused"]
        assert store.scalar("SELECT COUNT(*) FROM raw_messages") == sum(len(b) for b in corpus()) - 4
    assert expected[1][-2][2] and expected[2][-1][2] and expected[2][-2][-1], "duplicates and a retry"


# -- 2. another connection writes meanwhile ------------------------------------------------------
#: What the other connection writes: a change of V20 (which b5 changes again), or a mapping changed
#: under the batch (no new rows: only the check under the writer's lock can see it).
OUTSIDE_WRITES = {
    "ingest": None,
    "sql": "UPDATE mappings SET hotel_code = 'HAI' WHERE operator = 'tui' AND kind = 'board' AND code = 'AI'",
}


def write_outside(cfg: Config, outside: str) -> None:
    with Store(cfg.store_path) as elsewhere:
        if OUTSIDE_WRITES[outside] is None:
            Ingestor(elsewhere, cfg, now=NOW).ingest_many([(OUTSIDE, parse)])
        else:
            with elsewhere.transaction() as c:
                c.execute(OUTSIDE_WRITES[outside])


@pytest.mark.parametrize("outside", list(OUTSIDE_WRITES))
def test_a_batch_another_connection_overtook_is_stored_here_as_batch_by_batch(
    desk, monkeypatch, tmp_path, outside, in_flight
):
    """Another connection writes once the writer answered on b2 (so the order is fixed), before b3 goes
    to the writer, which was worked out (and, with two handed over, b4 too) before that write."""
    furnish(desk)
    fired: list[int] = []

    def after_answer(writer: Writer) -> None:
        if writer.with_writer == 3 and not fired:
            write_outside(desk, outside)
            fired.append(len(writer.queued))

    cls = writer_class(monkeypatch, after_answer=staticmethod(after_answer))
    with Store(desk.store_path, desk.documents_dir) as store:
        got = [outcome_of(r) for r in Ingestor(store, desk, now=NOW).ingest_stream(batches_of(corpus()))]
    assert fired == [in_flight - 1], "b3 was worked out (and handed over) before the other connection wrote"
    [writer] = cls.instances
    # b0-b2 committed by the writer; b3 refused (the other connection wrote after ``begin``), stored here.
    assert [answer[0] for answer in writer.answers[:4]] == ["ok", "ok", "ok", "again"], writer.answers
    assert writer.oks >= 4, "after the batches worked out before the write were stored here, the writer took over"
    expected, snapshots = run_batch_by_batch(make_furnished_desk(tmp_path / "b"), outside_after=2, outside=outside)
    assert got == expected
    assert_same_tables(snapshot(desk), snapshots[-1])
    assert_whole(desk)
    with Store(desk.store_path) as store:
        raws = store.scalar("SELECT COUNT(*) FROM raw_messages")
        v20 = store.all("SELECT version, content, notes FROM operator_reservations WHERE voucher = 'V20' ORDER BY id")
        b3_boards = {
            r[0]
            for r in store.conn.execute(
                "SELECT hotel_board FROM operator_reservations o "
                "JOIN raw_messages r ON r.id = o.raw_id "
                "WHERE r.filename LIKE 'b3-V4%' AND o.content = 'new'"
            )
        }
    if outside == "ingest":
        # Every message once, V20's versions in the order they came: new, the app's change, b5's change.
        assert raws == sum(len(b) for b in corpus()) - 4 + 1
        assert [(r["version"], r["content"], r["notes"]) for r in v20] == [
            (1, "new", ""),
            (2, "change", "from the app"),
            (3, "change", ""),
        ]
    else:
        assert raws == sum(len(b) for b in corpus()) - 4
        assert b3_boards == {"HAI"}, "b3 was worked out again with the mapping changed meanwhile"


# -- 3. the writer dies --------------------------------------------------------------------------
@pytest.mark.parametrize("kill_at", [1, 3, 7])
def test_a_dead_writer_loses_nothing(desk, monkeypatch, reference, kill_at, in_flight):
    furnish(desk)
    cls = writer_class(monkeypatch, kill_at=kill_at)
    got = stream(desk)
    expected, snapshots = reference
    assert got == expected
    assert_same_tables(snapshot(desk), snapshots[-1])
    [writer] = cls.instances
    assert writer.gone and writer._process.poll() is not None
    assert writer.answers == [("ok",)] * (kill_at - 1), "the batches before the death were committed by the writer"
    with Store(desk.store_path) as store:
        assert store.scalar("SELECT COUNT(*) FROM raw_messages") == sum(len(b) for b in corpus()) - 4
        assert store.scalar("SELECT COUNT(*) FROM operator_reservations WHERE voucher = 'V1'") == 3
    assert_whole(desk)


# -- 4. the writer fails a batch -----------------------------------------------------------------
@pytest.mark.parametrize("fail_at", [1, 3, 7])
def test_a_batch_the_writer_fails_is_rolled_back_there_and_stored_here(
    desk, monkeypatch, reference, fail_at, in_flight
):
    furnish(desk)
    cls = writer_class(monkeypatch, fail_at=fail_at)
    got = stream(desk)
    expected, snapshots = reference
    [writer] = cls.instances
    failed = [a for a in writer.answers if a[0] == "failed"]
    assert len(failed) == 1 and failed[0][1] == "OperationalError" and "no_such_table" in failed[0][2]
    # When it answered, nothing of that batch was in the store: not a raw message, not its audit row.
    before = snapshots[fail_at - 2] if fail_at > 1 else None
    assert writer.at_failure is not None and writer.at_failure["raw"] == 0
    if before is not None:
        assert writer.at_failure["audit"] == len(before["audit_log"])
    assert got == expected
    assert_same_tables(snapshot(desk), snapshots[-1])
    assert_whole(desk)


# -- 5. closing the stream early -----------------------------------------------------------------
@pytest.mark.parametrize("collector_on", [True, False], ids=["gc-on", "gc-off"])
def test_a_stream_closed_early_stops_its_writer_and_leaves_whole_batches(desk, monkeypatch, reference, collector_on):
    furnish(desk)
    cls = writer_class(monkeypatch)
    expected, snapshots = reference
    was = gc.isenabled()
    (gc.enable if collector_on else gc.disable)()
    try:
        with Store(desk.store_path, desk.documents_dir) as store:
            gen = Ingestor(store, desk, now=NOW).ingest_stream(batches_of(corpus()))
            first = next(gen)
            assert not gc.isenabled(), "the collector is paused while the stream runs"
            gen.close()
            after = gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()
    assert after is collector_on
    assert outcome_of(first) == expected[0]
    [writer] = cls.instances
    assert writer._process.poll() is not None, "the writer process still runs after the stream was closed"
    assert writer.gone
    # b1 was with the writer when the stream was closed: committed whole, or not at all.
    got = snapshot(desk)
    assert any(got == snapshots[k] for k in (0, 1)), "the store holds a part of a batch"
    assert_whole(desk)


# -- 6. one batch, or writer=False, starts no process --------------------------------------------
class NoWriter:
    def __init__(self, *args: Any, **kw: Any) -> None:
        raise AssertionError("no writer process may be started")


def test_one_batch_or_no_writer_starts_no_process(desk, monkeypatch, tmp_path, reference):
    furnish(desk)
    monkeypatch.setattr("core.ingest.IngestWriter", NoWriter)
    expected, snapshots = reference
    with Store(desk.store_path, desk.documents_dir) as store:
        ingestor = Ingestor(store, desk, now=NOW)
        assert list(ingestor.ingest_stream([])) == []
        [only] = list(ingestor.ingest_stream([items(corpus()[0])]))
    assert outcome_of(only) == expected[0]
    assert_same_tables(snapshot(desk), snapshots[0])

    other = make_furnished_desk(tmp_path / "b")
    with Store(other.store_path, other.documents_dir) as store:
        got = [outcome_of(r) for r in Ingestor(store, other, now=NOW).ingest_stream(corpus_items(), writer=False)]
    assert got == expected
    assert_same_tables(snapshot(other), snapshots[-1])


def corpus_items():
    """The batches as a generator (a stream need not be a list)."""
    for batch in corpus():
        yield items(batch)


# -- 7. a sealed audit chain ---------------------------------------------------------------------
@pytest.mark.parametrize("fail_at", [0, 3], ids=["all-committed-by-the-writer", "b2-failed-in-the-writer"])
def test_a_stream_keeps_the_audit_chain_sealed(desk, monkeypatch, fail_at, in_flight):
    furnish(desk)
    cls = writer_class(monkeypatch, fail_at=fail_at)
    with open_store(desk) as store:
        before = store.scalar("SELECT COUNT(*) FROM audit_log")
        for _ in Ingestor(store, desk, now=NOW).ingest_stream(batches_of(corpus())):
            pass
        verdict = verify(store)
        last = store.one("SELECT id, hmac FROM audit_log ORDER BY id DESC LIMIT 1")
        rows = store.scalar("SELECT COUNT(*) FROM audit_log")
        unsealed = store.scalar("SELECT COUNT(*) FROM audit_log WHERE hmac = ''")
        head = store.keys.head()
    [writer] = cls.instances
    # With b2 failed, it and the batches worked out before its answer (one, or two) were stored here.
    assert writer.oks == (7 if fail_at == 0 else 6 - in_flight), writer.answers
    assert verdict.ok, verdict.problem
    assert rows == before + 7 and unsealed == 0
    assert head is not None and (head.last_id, head.hmac, head.rows) == (last["id"], last["hmac"], rows)


# -- 8. the writer ends with its caller ----------------------------------------------------------
def started(writer: IngestWriter) -> None:
    deadline = time.monotonic() + UP_SECONDS
    while not writer.try_begin():
        assert not writer.gone and time.monotonic() < deadline, "the writer process did not start"
        time.sleep(0.02)


def test_the_writer_ends_when_its_orders_pipe_closes(desk):
    writer = IngestWriter(desk.store_path, desk)
    try:
        started(writer)
        writer._orders.close()
        assert writer._process.wait(UP_SECONDS) == 0
    finally:
        if writer._process.poll() is None:
            writer._process.kill()
        writer.close()


class Pipe:
    """What ``Ingestor._checks_here`` asks of the writer's end."""

    def __init__(self, waited: float, answered: bool) -> None:
        self.waited, self._answered = waited, answered

    def answered(self) -> bool:
        return self._answered


@pytest.mark.parametrize(
    ("in_flight", "answered", "waited", "here"),
    [
        (2, True, 0.0, False),  # the writer keeps up: it runs the checks
        (2, False, 0.0, True),  # the oldest batch it has is still unanswered: it is behind
        (1, False, 0.0, False),  # only the batch just handed over is unanswered, as it must be
        (1, True, 0.05, True),  # this process waited longer than 500 bookings' checks take it
        (0, True, 0.001, False),
    ],
)
def test_the_checks_stay_here_while_the_writer_is_behind(desk, in_flight, answered, waited, here):
    with Store(desk.store_path) as store:
        ingestor = Ingestor(store, desk, now=NOW)
        pipe = Pipe(waited, answered)
        assert ingestor._checks_here(pipe, 500, deque(range(in_flight))) is here  # type: ignore[arg-type]


def test_the_writer_takes_the_next_batch_while_it_writes_one_and_answers_in_order(desk):
    """Two batches handed over before any answer: the second (larger than the pipe holds) is taken off
    the pipe while the first waits for the store's lock; each is answered in turn. A batch after one that
    failed is refused, whole, until the next ``begin``."""
    insert = "INSERT INTO connector_state(operator, key, value, updated_at) VALUES (?, ?, ?, '2026-01-01')"
    big = "x" * (2 * PIPE_BYTES)
    writer = IngestWriter(desk.store_path, desk)
    lock = sqlite3.connect(desk.store_path, isolation_level=None)
    try:
        started(writer)
        lock.execute("BEGIN IMMEDIATE")  # the first batch waits for this lock
        writer.send([("execute", insert, ("t", "a", "1"), "")])
        handed = threading.Thread(target=writer.send, args=([("execute", insert, ("t", "b", big), "")],))
        handed.start()
        handed.join(HANG_SECONDS)
        assert not handed.is_alive(), "the second batch could not be handed over while the first was written"
        lock.execute("ROLLBACK")
        assert writer.outcome() == ("ok",) and writer.outcome() == ("ok",) and writer.ready
        writer.send([("execute", insert, ("t", "c", "3"), ""), FAILING])
        writer.send([("execute", insert, ("t", "d", "4"), "")])
        first, second = writer.outcome(), writer.outcome()
        assert first[0] == "failed" and second[0] == "again" and not writer.ready
    finally:
        lock.close()
        writer.close()
    assert writer._process.returncode == 0
    with Store(desk.store_path) as store:
        assert store.connector_state("t") == {"a": "1", "b": big}


def test_the_writer_refuses_a_batch_after_another_connections_commit(desk):
    """At its own level: its own commits leave it ready; another connection's make it answer "again"."""
    insert = "INSERT INTO connector_state(operator, key, value, updated_at) VALUES (?, ?, ?, '2026-01-01')"
    writer = IngestWriter(desk.store_path, desk)
    try:
        started(writer)
        writer.send([("execute", insert, ("t", "a", "1"), "")])
        assert writer.outcome() == ("ok",) and writer.ready
        writer.send([("execute", insert, ("t", "b", "2"), "")])
        assert writer.outcome() == ("ok",) and writer.ready
        with Store(desk.store_path) as elsewhere:
            elsewhere.set_connector_state("other", {"x": "1"})
        writer.send([("execute", insert, ("t", "c", "3"), "")])
        answer = writer.outcome()
        assert answer[0] == "again" and not writer.ready
        assert writer.try_begin()
        writer.send([("execute", insert, ("t", "d", "4"), ""), FAILING])
        answer = writer.outcome()
        assert answer[0] == "failed" and not writer.ready
    finally:
        writer.close()
    assert writer._process.returncode == 0
    with Store(desk.store_path) as store:
        assert store.connector_state("t") == {"a": "1", "b": "2"}


# -- a batch with documents ----------------------------------------------------------------------
def parse_with_document(raw: RawMessage):
    bookings = parse_canonical(raw.body)
    for b in bookings:
        b.documents = [Document(f"{b.voucher}.pdf", "application/pdf", b"%PDF-1.4 " + b.voucher.encode())]
    return bookings


def items_with_document(batch: list[RawMessage]) -> list[tuple[RawMessage, Any]]:
    return [(raw, parse_with_document if raw.filename == "b3-V38" else parse) for raw in batch]


def test_a_batch_with_documents_is_stored_here_and_the_writer_goes_on(desk, monkeypatch, tmp_path):
    furnish(desk)
    cls = writer_class(monkeypatch)
    with Store(desk.store_path, desk.documents_dir) as store:
        ingestor = Ingestor(store, desk, now=NOW)
        got = [outcome_of(r) for r in ingestor.ingest_stream([items_with_document(b) for b in corpus()])]
    other = make_furnished_desk(tmp_path / "b")
    with Store(other.store_path, other.documents_dir) as store:
        ingestor = Ingestor(store, other, now=NOW)
        expected = [outcome_of(ingestor.ingest_many(items_with_document(b))) for b in corpus()]
    assert got == expected
    assert_same_tables(snapshot(desk), snapshot(other))
    [writer] = cls.instances
    assert writer.answers == [("ok",)] * 6, "every batch but b3 (with a document) was committed by the writer"
    with Store(desk.store_path, desk.documents_dir) as store:
        [doc] = store.all("SELECT * FROM documents")
        assert (store.documents_dir / doc["path"]).read_bytes() == b"%PDF-1.4 V38"


# -- an error after the writer answered ----------------------------------------------------------
def test_an_error_after_the_writer_answered_reaches_the_caller(desk, monkeypatch):
    furnish(desk)
    cls = writer_class(monkeypatch, fail_at=3, lock_on_failure=True)
    monkeypatch.setattr("core.store.BUSY_TIMEOUT_MS", 200)  # a store locked for 0.2 s is "locked"
    outcome: dict[str, Any] = {"batches": 0}

    def consume() -> None:
        try:
            with Store(desk.store_path, desk.documents_dir) as store:
                store.conn.execute("PRAGMA busy_timeout = 100")
                for _ in Ingestor(store, desk, now=NOW).ingest_stream(batches_of(corpus())):
                    outcome["batches"] += 1
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome["error"] = exc

    was = gc.isenabled()
    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    thread.join(HANG_SECONDS)
    hung = thread.is_alive()
    [writer] = cls.instances
    if hung:
        writer._process.kill()  # the only way out of its wait for an answer
        thread.join(UP_SECONDS)
    if writer.blocker is not None:
        writer.blocker.execute("ROLLBACK")
        writer.blocker.close()
    assert not thread.is_alive() and gc.isenabled() is was
    # b2 failed in the writer, then could not be stored here (the store stayed locked): the caller hears of it.
    assert [answer[0] for answer in writer.answers] == ["ok", "ok", "failed"], writer.answers
    assert not hung, "the stream hung instead of raising the error"
    assert isinstance(outcome.get("error"), StoreError) and outcome["batches"] == 2  # b0 and b1
    assert writer._process.returncode == 0, "the writer was stopped, not killed"


def test_a_writer_left_before_it_is_up_ends_quietly(desk, capfd):
    """A stream can end before its writer has opened the store (every batch stored here): the writer
    then has no one to answer, and ends without a word on the terminal."""
    writer = IngestWriter(desk.store_path, desk)
    writer._orders.close()  # the ingesting process stops listening at once, as when it exits
    writer._answers.close()
    assert writer._process.wait(UP_SECONDS) == 0
    assert "Traceback" not in capfd.readouterr().err
