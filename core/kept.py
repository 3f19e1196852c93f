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
from operator import itemgetter
from typing import TYPE_CHECKING, Iterable

from core.store import Writes, insert_rows
from core.text import search_fold

if TYPE_CHECKING:
    import sqlite3

    from core.store import Store

#: What ``inbox_counts`` counts rows by, in its key's order.
COUNT_KEY = ("operator", "status", "content", "is_latest", "clean")
_KEY = ", ".join(COUNT_KEY)

_COUNT_INSERT = f"INSERT INTO inbox_counts({_KEY}, rows)"
_COUNT_UPSERT = f"ON CONFLICT ({_KEY}) DO UPDATE SET rows = rows + excluded.rows"


#: A row's ``COUNT_KEY`` values, from the row as a dict.
count_key_of = itemgetter(*COUNT_KEY)


def count_added(conn: sqlite3.Connection | Writes, keys: Iterable[tuple[str, str, str, int, int]]) -> None:
    """Count rows just inserted, each given by its ``COUNT_KEY`` values: one row of counts per kind of row."""
    counted = Counter(keys)
    insert_rows(conn, _COUNT_INSERT, [(*key, rows) for key, rows in counted.items()], _COUNT_UPSERT)


def add_search(conn: sqlite3.Connection | Writes, rows: list[tuple[int, str, str]]) -> None:
    """Store the search text of rows given as ``(id, voucher, guest names)`` (``search_text``) and index
    it for the trigram search. Kept in a ``Writes``, the folding is left to the connection that runs it."""
    if isinstance(conn, Writes):
        conn.steps.append(("search", "", rows, ""))
        return
    texts = [(rid, search_text(voucher, names)) for rid, voucher, names in rows]
    insert_rows(conn, "INSERT INTO opres_search(id, text)", texts)
    insert_rows(conn, "INSERT INTO opres_search_fts(rowid, text)", texts)


_COUNTED = f"SELECT {_KEY}, COUNT(*) FROM operator_reservations GROUP BY {_KEY}"


def recount(conn: sqlite3.Connection) -> None:
    """Count every row again (the tabs' counts from scratch)."""
    conn.execute("DELETE FROM inbox_counts")
    conn.execute(f"INSERT INTO inbox_counts({_KEY}, rows) {_COUNTED}")


def counts_drift(store: Store) -> list[tuple[str, ...]]:
    """Where the kept counts differ from the rows counted now: ``(operator, status, content, is_latest, clean,
    kept, counted)`` as text, empty when they agree."""
    width = len(COUNT_KEY)
    kept = {tuple(r[:width]): r[width] for r in store.conn.execute(f"SELECT {_KEY}, rows FROM inbox_counts")}
    counted = {tuple(r[:width]): r[width] for r in store.conn.execute(_COUNTED)}
    return [
        tuple(str(v) for v in (*key, kept.get(key, 0), counted.get(key, 0)))
        for key in sorted(kept.keys() | counted.keys())
        if kept.get(key, 0) != counted.get(key, 0)
    ]


def search_text(voucher: str, names: str) -> str:
    """What the inbox search looks in (table opres_search): voucher and guest names, folded, with a Latin spelling."""
    return search_fold(f"{voucher} {names}")


def catch_up(store: Store) -> int:
    """Index and count rows that were inserted without ``add_search`` and ``count_added``.

    Returns how many rows gained their search text. The counts are counted again whole.
    """
    with store.transaction() as c:
        missing = [
            (int(row[0]), str(row[1] or ""), str(row[2] or ""))
            for row in c.execute(
                "SELECT r.id, r.voucher, r.guest_names FROM operator_reservations r "
                "WHERE NOT EXISTS (SELECT 1 FROM opres_search s WHERE s.id = r.id)"
            )
        ]
        add_search(c, missing)
        recount(c)
    return len(missing)
