"""A big store: folded search through the trigram index, tab counts kept as rows come and change, bulk history,
demo --rows."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core import bulk
from core.config import Config
from core.inbox import STATUSES, InboxFilter, count_rows, counts_by_status, list_rows, matching_ids
from core.ingest import Ingestor, recheck
from core.kept import catch_up, counts_drift
from core.models import Content, Guest, OperatorBooking, RawMessage
from core.schema import MIGRATIONS
from core.store import Store, _split_sql
from core.text import search_fold
from tui.cli import app

TODAY = date(2026, 6, 1)
GUESTS = {
    "TUI1": [Guest("Ayşe", "Yılmaz")],
    "PEG2": [Guest("MEHMET", "YILMAZ")],
    "HBD3": [Guest("Anna", "Müller"), Guest("Jürgen", "Müller")],
    "PEG4": [Guest("Пётр", "Иванов"), Guest("Ольга", "Иванова")],
    "JET5": [Guest("Sean", "O'Brien")],
}


def booking(voucher: str, guests: list[Guest], content: Content = Content.NEW, nights: int = 7) -> OperatorBooking:
    return OperatorBooking(
        voucher=voucher,
        content=content,
        check_in=date(2026, 7, 1),
        check_out=date(2026, 7, 1 + nights),
        adults=len(guests),
        guests=guests,
        room="STD",
        board="AI",
        rate="R",
        agency="AG",
    )


def ingest(store: Store, tmp_path: Path, *bookings: OperatorBooking) -> None:
    ingestor = Ingestor(store, Config(tmp_path / "c.toml", {}))
    for b in bookings:
        ingestor.ingest(RawMessage(f"{b.voucher} {b.content} {b.nights}".encode(), "op", "test"), lambda raw, b=b: [b])


def found(store: Store, term: str) -> list[str]:
    return sorted(r["voucher"] for r in list_rows(store, InboxFilter(status="all", search=term)))


def counted(store: Store, flt: InboxFilter) -> dict[str, int]:
    """The counts by a plain COUNT over the rows, to hold the kept ones against."""
    where, params = flt.where(with_status=False)
    counts = {s: 0 for s in STATUSES}
    for status, n in store.conn.execute(
        f"SELECT r.status, COUNT(*) FROM operator_reservations r WHERE {where} GROUP BY r.status", params
    ):
        counts[status] = n
    counts["all"] = sum(counts[s] for s in STATUSES)
    return counts


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "opdesk.db") as store:
        ingest(store, tmp_path, *(booking(v, g) for v, g in GUESTS.items()))
        yield store


# -- folded search through the trigram index ----------------------------------------------------
@pytest.mark.parametrize(
    "term, vouchers",
    [
        ("yilmaz", ["PEG2", "TUI1"]),
        ("YILMAZ", ["PEG2", "TUI1"]),
        ("Yılmaz", ["PEG2", "TUI1"]),
        ("muller", ["HBD3"]),
        ("MÜLLER", ["HBD3"]),
        ("jurgen", ["HBD3"]),
        ("ivanov", ["PEG4"]),
        ("ivanova olga", ["PEG4"]),
        ("IVANOV", ["PEG4"]),
        ("Иванов", ["PEG4"]),
        ("petr", ["PEG4"]),
        ("o'brien", ["JET5"]),
        ("peg", ["PEG2", "PEG4"]),
        ("zzyzx", []),
    ],
)
def test_surnames_typed_without_case_accents_or_cyrillic_are_found(store, term, vouchers):
    assert found(store, term) == vouchers


def test_terms_of_three_characters_or_more_are_answered_by_the_trigram_index(store):
    assert "opres_search_fts MATCH" in matching_ids("yilmaz")[0]
    assert matching_ids("Yılmaz")[1] == '"yilmaz"'
    assert matching_ids('say "hi"')[1] == '"say ""hi"""'  # quotes are text, not query syntax
    # Shorter terms and LIKE's wildcards go through LIKE over the narrow search table.
    assert "LIKE" in matching_ids("ow")[0] and "LIKE" in matching_ids("TUI_1")[0]
    # The index holds what the search table holds: the rows are found by the index alone.
    ids = [
        r[0]
        for r in store.conn.execute("SELECT rowid FROM opres_search_fts WHERE opres_search_fts MATCH ?", ('"ivanov"',))
    ]
    assert [store.scalar("SELECT voucher FROM operator_reservations WHERE id = ?", (i,)) for i in ids] == ["PEG4"]


def test_the_search_text_keeps_the_folded_names_and_adds_a_latin_spelling():
    assert search_fold("PEG4 Иванов Пётр") == "peg4 иванов петр peg4 ivanov petr"
    assert search_fold("Yılmaz Ayşe") == "yilmaz ayse"  # Latin already: nothing added
    assert search_fold("Ольга") == "ольга olga"  # the soft sign is not typed


# -- tab counts kept as rows change -----------------------------------------------------------------
def test_tab_counts_stay_right_across_new_rows_versions_and_decisions(store, tmp_path):
    filters = [
        InboxFilter(),
        InboxFilter(status="all", latest_only=False),
        InboxFilter(operator="op"),
        InboxFilter(content="change"),
        InboxFilter(clean_only=True),
        InboxFilter(operator="nobody"),
    ]

    def check() -> None:
        for flt in filters:
            assert flt.counted
            assert counts_by_status(store, flt) == counted(store, flt), flt
            assert count_rows(store, flt) == counted(store, flt)[flt.status]

    check()
    assert counts_by_status(store, InboxFilter())["pending"] == 5
    ingest(store, tmp_path, booking("HBD3", GUESTS["HBD3"], Content.CHANGE, nights=9))  # a new version
    check()
    assert counts_by_status(store, InboxFilter())["pending"] == 5
    assert counts_by_status(store, InboxFilter(latest_only=False))["pending"] == 6
    ingest(store, tmp_path, booking("TUI1", GUESTS["TUI1"], Content.CANCEL))
    with store.transaction() as c:  # the desk decides
        c.execute("UPDATE operator_reservations SET status = 'confirmed' WHERE voucher = 'PEG2'")
        c.execute("UPDATE operator_reservations SET status = 'rejected' WHERE voucher = 'JET5'")
    recheck(store, Config(tmp_path / "c.toml", {}))  # clean may change
    check()
    assert counts_by_status(store, InboxFilter()) == {"pending": 3, "confirmed": 1, "rejected": 1, "all": 5}
    assert store.scalar("SELECT COUNT(*) FROM inbox_counts WHERE rows < 0") == 0


def test_counts_under_a_search_or_dates_are_counted_from_the_rows(store):
    flt = InboxFilter(search="yilmaz")
    assert not flt.counted
    assert counts_by_status(store, flt) == {"pending": 2, "confirmed": 0, "rejected": 0, "all": 2}
    assert count_rows(store, InboxFilter(search="ivanov", operator="op")) == 1
    assert not InboxFilter(since=TODAY).counted


# -- an old store -----------------------------------------------------------------------------------
def test_the_migration_builds_the_index_and_counts_of_an_old_store(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.create_function("opdesk_fold", 1, lambda text: text.lower(), deterministic=True)
    for script in MIGRATIONS[:3]:
        for statement in _split_sql(script):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 3")
    for i, (voucher, names, status) in enumerate(
        [("PEG1", "Иванов Пётр", "pending"), ("TUI2", "Yılmaz Ayşe", "confirmed"), ("TUI3", "Müller Anna", "pending")]
    ):
        conn.execute(
            "INSERT INTO operator_reservations(operator, voucher, version, content, status, guest_names, "
            "created_at, fingerprint) VALUES (?, ?, 1, 'new', ?, ?, ?, ?)",
            (voucher[:3].lower(), voucher, status, names, f"2026-03-0{i + 1}T09:00:00+00:00", voucher),
        )
    conn.execute(
        "INSERT INTO opres_search(id, text) SELECT id, lower(voucher || ' ' || guest_names) FROM operator_reservations"
    )
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert found(store, "ivanov") == ["PEG1"] and found(store, "yilmaz") == ["TUI2"]
        assert found(store, "muller") == ["TUI3"]
        assert counts_by_status(store, InboxFilter()) == {"pending": 2, "confirmed": 1, "rejected": 0, "all": 3}
        assert catch_up(store) == 0


# -- bulk history and the demo -------------------------------------------------------------------------
def test_bulk_history_has_the_mix_of_a_chain_and_is_searchable(tmp_path):
    with Store(tmp_path / "opdesk.db") as store:
        assert bulk.fill(store, 3000, today=TODAY) == 3000
        assert bulk.reservation_count(store) == 3000
        mix = dict(store.conn.execute("SELECT status, COUNT(*) FROM operator_reservations GROUP BY status"))
        assert set(mix) == {"pending", "confirmed", "rejected"}
        assert store.scalar("SELECT COUNT(DISTINCT operator) FROM operator_reservations") == 25
        contents = {r[0] for r in store.conn.execute("SELECT DISTINCT content FROM operator_reservations")}
        assert contents == {"new", "change", "cancel"}
        # One latest version per voucher, its earlier versions kept.
        assert (
            store.scalar(
                "SELECT COUNT(*) FROM (SELECT operator, voucher FROM operator_reservations "
                "GROUP BY operator, voucher HAVING SUM(is_latest) != 1)"
            )
            == 0
        )
        assert store.scalar("SELECT COUNT(*) FROM raw_messages") == 3000
        assert store.scalar("SELECT COUNT(*) FROM guests") >= 3000
        assert counts_by_status(store, InboxFilter()) == counted(store, InboxFilter())
        names = " ".join(r[0] for r in store.conn.execute("SELECT guest_names FROM operator_reservations"))
        assert "Yılmaz" in names and "YILMAZ" in names and "Müller" in names and "Иванов" in names
        for term, spelled in (("yilmaz", "yılmaz"), ("muller", "müller"), ("ivanov", "иванов")):
            rows = list_rows(store, InboxFilter(status="all", search=term), limit=1000)
            assert rows and all(term in search_fold(r["voucher"] + " " + r["guest_names"]) for r in rows)
            assert any(spelled in r["guest_names"].lower() for r in rows)
        assert bulk.fill(store, 100, today=TODAY) == 100  # more history goes after the rows held
        assert bulk.reservation_count(store) == 3100


def test_demo_rows_fills_the_demo_store_up_to_that_many_bookings(tmp_path):
    folder = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--dir", str(folder), "--no-app", "--bookings", "100", "--rows", "2500"])
    assert result.exit_code == 0, result.output
    assert "2,500 rows in the store" in result.output
    with Store(folder / "opdesk.db") as store:
        assert bulk.reservation_count(store) == 2500
        assert store.scalar("SELECT COUNT(DISTINCT operator) FROM operator_reservations") == 25
        assert counts_by_status(store, InboxFilter()) == counted(store, InboxFilter())
    bad = CliRunner().invoke(app, ["demo", "--dir", str(folder), "--no-app", "--rows", "-5"])
    assert bad.exit_code == 2


# -- the operator report reads its period ---------------------------------------------------------------
def test_the_report_counts_rows_by_their_message_or_their_own_creation(tmp_path):
    from datetime import datetime, timezone

    from core.report import operator_report

    with Store(tmp_path / "opdesk.db") as store:
        ingestor = Ingestor(store, Config(tmp_path / "c.toml", {}))
        for voucher, day in (("IN1", 2), ("OUT1", 9)):
            raw = RawMessage(voucher.encode(), "op", "test", received_at=datetime(2026, 3, day, 9, tzinfo=timezone.utc))
            ingestor.ingest(raw, lambda raw, v=voucher: [booking(v, [Guest("A", "B")])])
        with store.transaction() as c:  # rows without a raw message (loaded in bulk by an older opdesk)
            for voucher, day in (("IN2", 3), ("OUT2", 10)):
                c.execute(
                    "INSERT INTO operator_reservations(operator, voucher, version, content, guest_names, "
                    "created_at, fingerprint) VALUES ('bulk', ?, 1, 'new', '', ?, ?)",
                    (voucher, f"2026-03-{day:02d}T09:00:00+00:00", voucher),
                )
        report = operator_report(store, date(2026, 3, 1), date(2026, 3, 5))
        assert {r["operator"]: r["new"] for r in report} == {"bulk": 1, "op": 1}
        assert [r["operator"] for r in operator_report(store, date(2026, 3, 1), date(2026, 3, 5), "op")] == ["op"]
        assert operator_report(store, date(2026, 3, 9), date(2026, 3, 10), "bulk")[0]["new"] == 1


def test_versions_of_one_voucher_in_one_batch_leave_one_latest_and_right_counts(store, tmp_path):
    ingestor = Ingestor(store, Config(tmp_path / "c.toml", {}))
    sent = [
        booking("ANX9", [Guest("Elif", "Demir")]),
        booking("ANX9", [Guest("Elif", "Demir")], Content.CHANGE, 8),
        booking("ANX9", [Guest("Elif", "Demir")], Content.CHANGE, 9),
    ]
    results = ingestor.ingest_many(
        [(RawMessage(f"v{i}".encode(), "op", "test"), lambda raw, b=b: [b]) for i, b in enumerate(sent)]
    )
    assert [r.new + r.changed for r in results] == [1, 1, 1]
    rows = store.all(
        "SELECT id, version, is_latest, raw_id FROM operator_reservations WHERE voucher = 'ANX9' ORDER BY version"
    )
    assert [(r["version"], r["is_latest"]) for r in rows] == [(1, 0), (2, 0), (3, 1)]
    assert [r["raw_id"] for r in rows] == [r.raw_id for r in results] and len(set(r.raw_id for r in results)) == 3
    assert [r["id"] for r in rows] == [rid for r in results for rid in r.reservation_ids]
    for flt in (InboxFilter(), InboxFilter(latest_only=False)):
        assert counts_by_status(store, flt) == counted(store, flt)
    assert found(store, "demir") == ["ANX9"]
    assert counts_drift(store) == []


def test_rows_added_by_ingest_bulk_and_catch_up_are_counted_and_indexed(tmp_path):
    """No trigger counts or indexes a row inserted: every way rows are added does it for its batch."""
    with Store(tmp_path / "opdesk.db") as store:
        ingestor = Ingestor(store, Config(tmp_path / "c.toml", {}))
        sent = [booking(f"TUI{i}", [Guest("Ayşe", "Yılmaz")]) for i in range(5)]
        sent += [booking("TUI1", [Guest("Ayşe", "Yılmaz")], Content.CHANGE, 9), booking("TUI2", [], Content.CANCEL)]
        ingestor.ingest_many(
            [(RawMessage(f"m{i}".encode(), "op", "test"), lambda raw, b=b: [b]) for i, b in enumerate(sent)]
        )
        assert counts_drift(store) == [] and counts_by_status(store, InboxFilter())["pending"] == 5
        bulk.fill(store, 600, today=TODAY)
        assert counts_drift(store) == []
        assert count_rows(store, InboxFilter(status="all", latest_only=False)) == 607
        with store.transaction() as c:  # a row inserted by hand: neither counted nor indexed yet
            c.execute(
                "INSERT INTO operator_reservations(operator, voucher, version, content, guest_names, created_at, "
                "fingerprint) VALUES ('op', 'HAND1', 1, 'new', 'Kaya Deniz', '2026-06-01T09:00:00+00:00', 'x')"
            )
        assert counts_drift(store) == [("op", "pending", "new", "1", "0", "3", "4")]  # TUI0, TUI3, TUI4 and HAND1
        assert found(store, "kaya deniz") == []
        assert catch_up(store) == 1
        assert counts_drift(store) == [] and found(store, "kaya deniz") == ["HAND1"]
        yilmaz = found(store, "yilmaz")  # the ingested guests (TUI2 cancelled, naming none) and the bulk history
        assert {"TUI0", "TUI1", "TUI3", "TUI4"} < set(yilmaz) and all(v[:3] != "TUI" or v[3:].isdigit() for v in yilmaz)
