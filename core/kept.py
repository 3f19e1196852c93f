"""What the store keeps beside the inbox rows: their search text, its trigram index, the tabs' counts.

The code that adds inbox rows keeps these itself, a batch at a time, instead of a
trigger doing it row by row: in SQLite a trigger on a table makes every row added
to it cost a trigger program, which at ingest was more than all the rest of the
writing (see docs/performance.md). So whatever inserts into
``operator_reservations`` calls ``count_added`` for the rows, and ``add_search``
for their search text, in the same transaction. Rows added another way (a test,
a script) are caught up by ``catch_up``. Changes to rows (a decision, a new
version, a re-check) and deletions are still counted by triggers, as they come
one at a time.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    import sqlite3

    from core.store import Store

#: What ``inbox_counts`` counts rows by, in its key's order.
COUNT_KEY = ("operator", "status", "content", "is_latest", "clean")


_COUNT_SQL = (
    "INSERT INTO inbox_counts(operator, status, content, is_latest, clean, rows) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (operator, status, content, is_latest, clean) DO UPDATE SET rows = rows + excluded.rows"
)


def count_added(conn: sqlite3.Connection, keys: Iterable[tuple[str, str, str, int, int]]) -> None:
    """Count rows just inserted, each given by its ``COUNT_KEY`` values: one statement per kind of row."""
    counted = Counter(keys)
    conn.executemany(_COUNT_SQL, [(*key, rows) for key, rows in counted.items()])


def add_search(conn: sqlite3.Connection, rows: list[tuple[int, str]]) -> None:
    """Store rows' search text (``(id, folded text)``) and index it for the trigram search."""
    conn.executemany("INSERT INTO opres_search(id, text) VALUES (?, ?)", rows)
    conn.executemany("INSERT INTO opres_search_fts(rowid, text) VALUES (?, ?)", rows)


def recount(conn: sqlite3.Connection) -> None:
    """Count every row again (the tabs' counts from scratch)."""
    conn.execute("DELETE FROM inbox_counts")
    conn.execute(
        "INSERT INTO inbox_counts(operator, status, content, is_latest, clean, rows) "
        "SELECT operator, status, content, is_latest, clean, COUNT(*) FROM operator_reservations "
        "GROUP BY operator, status, content, is_latest, clean"
    )


def counts_drift(store: Store) -> list[tuple[str, ...]]:
    """Where the kept counts differ from the rows counted now: ``(operator, status, content, is_latest, clean,
    kept, counted)`` as text, empty when they agree."""
    rows = store.conn.execute(
        "WITH counted AS (SELECT operator, status, content, is_latest, clean, COUNT(*) AS n "
        "FROM operator_reservations GROUP BY 1, 2, 3, 4, 5) "
        "SELECT c.operator, c.status, c.content, c.is_latest, c.clean, COALESCE(k.rows, 0), c.n FROM counted c "
        "LEFT JOIN inbox_counts k USING (operator, status, content, is_latest, clean) WHERE c.n != COALESCE(k.rows, 0) "
        "UNION ALL SELECT k.operator, k.status, k.content, k.is_latest, k.clean, k.rows, 0 FROM inbox_counts k "
        "WHERE k.rows != 0 AND NOT EXISTS (SELECT 1 FROM counted c WHERE c.operator = k.operator AND "
        "c.status = k.status AND c.content = k.content AND c.is_latest = k.is_latest AND c.clean = k.clean)"
    ).fetchall()
    return [tuple(str(v) for v in row) for row in rows]


def catch_up(store: Store) -> int:
    """Index and count rows that were inserted without ``add_search`` and ``count_added``.

    Returns how many rows gained their search text. The counts are counted again whole.
    """
    with store.transaction() as c:
        missing = [
            (int(row[0]), str(row[1]))
            for row in c.execute(
                "SELECT r.id, opdesk_search_fold(r.voucher || ' ' || r.guest_names) FROM operator_reservations r "
                "WHERE NOT EXISTS (SELECT 1 FROM opres_search s WHERE s.id = r.id)"
            )
        ]
        add_search(c, missing)
        recount(c)
    return len(missing)
