"""Searching the inbox: the folded search text of vouchers and guest names (table opres_search)."""

from __future__ import annotations

import sqlite3

import pytest

from core.inbox import DENSE_SEARCH, InboxFilter, count_rows, counts_by_status, list_rows, row_ids, search_is_dense
from core.kept import catch_up
from core.schema import MIGRATIONS
from core.store import Store, _split_sql

NAMES = {
    "TUI1001": "Kowalski Jan; Kowalska Ewa",
    "TUI1002": "Müller Anna",
    "TUI1003": "Иванов Пётр; Иванова Ольга",
    "JET2001": "Wiśniewski Łukasz; Żółkiewska Zofia",
    "JET2002": "Yılmaz Ayşe; Şahin İsmail",
    "JET2003": "O'Brien Sean",
    "PEG3001": "Straße Groß",
}


def add(conn: sqlite3.Connection, voucher: str, names: str, *, status: str = "pending", minute: int = 0) -> int:
    cur = conn.execute(
        "INSERT INTO operator_reservations(operator, voucher, version, content, status, guest_names, created_at, "
        "fingerprint) VALUES (?, ?, 1, 'new', ?, ?, ?, ?)",
        (
            voucher[:3].lower(),
            voucher,
            status,
            names,
            f"2026-03-02T09:{minute // 60:02d}:{minute % 60:02d}+00:00",
            f"fp-{voucher}",
        ),
    )
    return int(cur.lastrowid)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "opdesk.db") as store:
        for minute, (voucher, names) in enumerate(NAMES.items()):
            add(store.conn, voucher, names, minute=minute)
        catch_up(store)
        yield store


def found(store: Store, term: str, **kw) -> list[str]:
    return sorted(r["voucher"] for r in list_rows(store, InboxFilter(status="all", search=term, **kw)))


def like(store: Store, term: str) -> list[str]:
    """What the inbox found before the index: LIKE, case-insensitive for ASCII letters only."""
    rows = store.conn.execute(
        "SELECT voucher FROM operator_reservations WHERE voucher LIKE ? OR guest_names LIKE ?",
        (f"%{term}%", f"%{term}%"),
    )
    return sorted(r[0] for r in rows)


@pytest.mark.parametrize(
    "term, vouchers",
    [
        ("kowal", ["TUI1001"]),
        ("KOWALSK", ["TUI1001"]),
        ("owalska", ["TUI1001"]),
        ("TUI100", ["TUI1001", "TUI1002", "TUI1003"]),
        ("et2", ["JET2001", "JET2002", "JET2003"]),
        ("müller", ["TUI1002"]),
        ("MÜLL", ["TUI1002"]),
        ("straße", ["PEG3001"]),
        ("иванов", ["TUI1003"]),
        ("ИВАНОВА", ["TUI1003"]),
        ("пётр", ["TUI1003"]),
        ("wiśniew", ["JET2001"]),
        ("ŁUKASZ", ["JET2001"]),
        ("żółkiewska", ["JET2001"]),
        ("yılmaz", ["JET2002"]),
        ("Ayşe", ["JET2002"]),
        ("AYŞE", ["JET2002"]),
        ("Şahin", ["JET2002"]),
        ("İsmail", ["JET2002"]),
        ("o'brien", ["JET2003"]),
        ("sz; ż", ["JET2001"]),
    ],
)
def test_a_part_of_a_voucher_or_a_name_is_found_in_any_case(store, term, vouchers):
    assert found(store, term) == vouchers


@pytest.mark.parametrize(
    "term",
    [
        "kowal",
        "Kowalski Jan",
        "Müller",
        "Иванов",
        "Wiśniewski",
        "Yılmaz",
        "Şahin",
        "İsmail",
        "Straße",
        "TUI",
        "jet2002",
        "Ayşe",
        "O'Brien",
        "zzz",
        "ow",
        "Ż",
        "ka",
        "%a",
        "n_e",
        "2_0",
    ],
)
def test_every_row_like_found_is_still_found(store, term):
    assert set(like(store, term)) <= set(found(store, term))


def test_short_terms_and_like_wildcards(store):
    assert "opres_search WHERE text LIKE ?" in InboxFilter(search="ow").where()[0]
    assert found(store, "ow") == ["TUI1001"]
    assert found(store, "J") == ["JET2001", "JET2002", "JET2003", "TUI1001"]
    assert found(store, "JET200_") == ["JET2001", "JET2002", "JET2003"]  # _ is any one character, as before
    assert found(store, "T%1") == ["JET2001", "TUI1001", "TUI1002", "TUI1003"]


def test_turkish_dotless_i_and_a_pms_spelling_match(store):
    assert found(store, "YILMAZ") == ["JET2002"]
    assert found(store, "yilmaz ayse") == ["JET2002"]
    assert found(store, "sahin ismail") == ["JET2002"]
    assert found(store, "strasse") == ["PEG3001"]


def test_quotes_and_search_syntax_are_plain_text(store):
    assert found(store, '"Brien') == []
    assert found(store, "Sean OR Anna") == []
    assert found(store, "Jan*") == []
    assert found(store, "Brien Se") == ["JET2003"]


def test_rows_stored_by_ingest_are_searchable_at_once(store, tmp_path):
    from datetime import date

    from core.config import Config
    from core.ingest import Ingestor
    from core.models import Guest, OperatorBooking, RawMessage

    booking = OperatorBooking(
        voucher="ANX4001",
        check_in=date(2027, 5, 1),
        check_out=date(2027, 5, 8),
        adults=2,
        guests=[Guest("Elif", "Demir"), Guest("Ömer", "Çelik")],
    )
    Ingestor(store, Config(tmp_path / "c.toml", {})).ingest(RawMessage(b"x", "anx", "test"), lambda raw: [booking])
    assert found(store, "demir") == ["ANX4001"] and found(store, "CELIK OM") == ["ANX4001"]
    assert found(store, "x4001") == ["ANX4001"]


def test_rows_loaded_in_bulk_are_added_once(store):
    rid = add(store.conn, "ANX4002", "Kaya Deniz")
    assert found(store, "kaya") == []
    assert catch_up(store) == 1 and catch_up(store) == 0
    assert found(store, "kaya") == ["ANX4002"]
    assert store.scalar("SELECT text FROM opres_search WHERE id = ?", (rid,)) == "anx4002 kaya deniz"


def test_the_migration_indexes_the_rows_already_stored(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for script in MIGRATIONS[:2]:
        for statement in _split_sql(script):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    add(conn, "TUI1001", "Kowalski Jan")
    add(conn, "TUI1002", "Müller Anna")
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert found(store, "kowal") == ["TUI1001"]
        assert found(store, "MÜLLER") == ["TUI1002"]


def test_dense_and_sparse_terms_page_and_count_alike(tmp_path):
    """Past DENSE_SEARCH matches the query walks the sort order; the rows and counts stay the same."""
    with Store(tmp_path / "opdesk.db") as store:
        with store.transaction() as c:
            for i in range(DENSE_SEARCH * 3):
                name = f"Guest{i % 7} {'Nowak' if i % 3 else 'Kaya'}"
                add(c, f"TUI{10000 + i}", name, status=("pending", "confirmed", "rejected")[i % 5 % 3], minute=i)
        catch_up(store)
        for term, dense in (("Nowak", True), ("Guest3 Kaya", False), ("TUI1000", False)):
            flt = InboxFilter(search=term, sort="created", descending=True)
            expected = [
                r[0]
                for r in store.conn.execute(
                    "SELECT id FROM operator_reservations WHERE status = 'pending' AND (guest_names LIKE ? OR "
                    "voucher LIKE ?) ORDER BY created_at DESC, id DESC",
                    (f"%{term}%", f"%{term}%"),
                )
            ]
            assert search_is_dense(store, flt) == dense
            pages = [
                r["id"]
                for offset in range(0, len(expected), 100)
                for r in list_rows(store, flt, limit=100, offset=offset)
            ]
            assert pages == expected
            assert row_ids(store, flt) == expected
            assert count_rows(store, flt) == len(expected) == counts_by_status(store, flt)["pending"]
            by_voucher = InboxFilter(search=term, sort="voucher", descending=False)
            assert [r["id"] for r in list_rows(store, by_voucher, limit=50, offset=10)] == sorted(
                expected, key=lambda i: store.scalar("SELECT voucher FROM operator_reservations WHERE id = ?", (i,))
            )[10:60]


def test_a_searchs_counts_by_tab_keep_the_other_conditions(tmp_path):
    """Counted from the index's matches (trigram terms) or by LIKE (short ones), with operator, content,
    clean and latest conditions as the page applies them: the same figures as counting the rows one by one."""
    with Store(tmp_path / "opdesk.db") as store:
        with store.transaction() as c:
            for i in range(300):
                rid = add(
                    c,
                    f"{('TUI', 'JET')[i % 2]}{5000 + i}",
                    f"Guest{i % 4} {('Nowak', 'Kaya')[i % 3 == 0]}",
                    status=("pending", "confirmed", "rejected")[i % 3],
                    minute=i,
                )
                c.execute(
                    "UPDATE operator_reservations SET content = ?, clean = ?, is_latest = ? WHERE id = ?",
                    (("new", "change")[i % 5 == 0], i % 2, int(i % 7 != 0), rid),
                )
        catch_up(store)
        filters = [
            InboxFilter(search="nowak"),
            InboxFilter(search="Kaya", operator="jet"),
            InboxFilter(search="guest1 no", content="change"),
            InboxFilter(search="nowak", clean_only=True, latest_only=False),
            InboxFilter(search="ka", operator="tui"),  # two characters: below the trigram index, read by LIKE
        ]
        for flt in filters:
            expected = {"pending": 0, "confirmed": 0, "rejected": 0}
            for r in store.conn.execute("SELECT * FROM operator_reservations"):
                text = f"{r['voucher']} {r['guest_names']}".lower()
                if (
                    flt.search.lower() in text
                    and (flt.operator is None or r["operator"] == flt.operator)
                    and (flt.content is None or r["content"] == flt.content)
                    and (not flt.clean_only or r["clean"] == 1)
                    and (not flt.latest_only or r["is_latest"] == 1)
                ):
                    expected[r["status"]] += 1
            expected["all"] = sum(expected.values())
            assert expected["all"] > 0, flt
            assert counts_by_status(store, flt) == expected, flt
