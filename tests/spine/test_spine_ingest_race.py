"""Two writers ingesting the same vouchers at once: the batch worked out first is checked under the lock."""

from __future__ import annotations

from support.desk import booking

from connectors.canonical import dumps_canonical, parse_canonical
from core.ingest import Ingestor
from core.models import RawMessage
from core.store import Store


def parse(raw):
    return parse_canonical(raw.body)


class Overtaken(Ingestor):
    """An ingestor that another writer overtakes once: between working out its batch and writing it."""

    def __init__(self, store, config, other: list[RawMessage]) -> None:
        super().__init__(store, config)
        self.other = other

    def _versions(self, parsed):
        versions = super()._versions(parsed)
        if self.other:
            with Store(self.config.store_path) as elsewhere:  # a second connection: another process
                Ingestor(elsewhere, self.config).ingest_many([(raw, parse) for raw in self.other])
            self.other = []
        return versions


def versions(config) -> list[tuple]:
    with Store(config.store_path) as store:
        return [
            tuple(r)
            for r in store.conn.execute(
                "SELECT voucher, version, content, is_latest, notes FROM operator_reservations "
                "ORDER BY voucher, version"
            )
        ]


def test_a_version_stored_meanwhile_becomes_the_one_this_batch_changes(desk):
    ours = RawMessage(dumps_canonical([booking("V1", notes="late checkout")]), "tui", "test")
    theirs = RawMessage(dumps_canonical([booking("V1")]), "tui", "test")
    with Store(desk.store_path) as store:
        [result] = Overtaken(store, desk, [theirs]).ingest_many([(ours, parse)])
    assert result.changed == 1 and result.new == 0
    assert versions(desk) == [("V1", 1, "new", 0, ""), ("V1", 2, "change", 1, "late checkout")]


def test_the_same_bytes_stored_meanwhile_are_one_message_and_one_version(desk):
    raw = RawMessage(dumps_canonical([booking("V1"), booking("V2")]), "tui", "test")
    with Store(desk.store_path) as store:
        [result] = Overtaken(store, desk, [raw]).ingest_many([(raw, parse)])
        assert store.scalar("SELECT COUNT(*) FROM raw_messages") == 1
    assert result.duplicate and result.new == 0 and result.raw_id == 1
    assert [v[:4] for v in versions(desk)] == [("V1", 1, "new", 1), ("V2", 1, "new", 1)]


def test_the_same_bytes_twice_in_one_batch_are_one_message(desk):
    raw = RawMessage(dumps_canonical([booking("V1")]), "tui", "test")
    again = RawMessage(raw.body, "tui", "test")
    with Store(desk.store_path) as store:
        first, second = Ingestor(store, desk).ingest_many([(raw, parse), (again, parse)])
        assert store.scalar("SELECT COUNT(*) FROM raw_messages") == 1
    assert (first.new, second.duplicate, second.raw_id) == (1, True, first.raw_id)
    assert len(versions(desk)) == 1


class Counting(Ingestor):
    """An ingestor that counts how often it reads its vouchers' latest versions and looks its raw
    messages up in the store."""

    reads = 0
    lookups = 0

    def _latest_versions(self, keys):
        self.reads += 1
        return super()._latest_versions(keys)

    def _known_raw(self, shas):
        self.lookups += 1
        return super()._known_raw(shas)


def test_with_no_other_writer_nothing_is_read_again_under_the_lock(desk):
    # One read of each per batch, before the lock: nothing else committed, so nothing to check again.
    # The batch this connection itself committed before does not count as another writer's.
    with Store(desk.store_path) as store:
        ingestor = Counting(store, desk)
        ingestor.ingest_many([(RawMessage(dumps_canonical([booking("V1")]), "tui", "test"), parse)])
        ingestor.ingest_many([(RawMessage(dumps_canonical([booking("V1", notes="late")]), "tui", "test"), parse)])
        assert store.scalar("SELECT COUNT(*) FROM raw_messages") == 2
    assert (ingestor.reads, ingestor.lookups) == (2, 2)
    assert versions(desk) == [("V1", 1, "new", 0, ""), ("V1", 2, "change", 1, "late")]


def test_another_writers_commit_between_the_two_makes_the_batch_read_again(desk):
    theirs = RawMessage(dumps_canonical([booking("V9")]), "tui", "test")  # another voucher: nothing to redo

    class CountingOvertaken(Overtaken, Counting):
        pass

    with Store(desk.store_path) as store:
        ingestor = CountingOvertaken(store, desk, [theirs])
        [result] = ingestor.ingest_many([(RawMessage(dumps_canonical([booking("V1")]), "tui", "test"), parse)])
    # Each read before the lock and again under it (the other writer's own ingestor counts not).
    assert (ingestor.reads, ingestor.lookups) == (2, 2) and result.new == 1
