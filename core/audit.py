"""The audit log: who did what, when, from where, with the before and after.

Rows are only ever added; triggers in the schema refuse updates and deletes.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any

from core.store import Store, dumps, now_iso, rowid


@dataclass(frozen=True)
class Actor:
    name: str
    origin: str = "cli"      # cli, app, email, system

    @classmethod
    def current(cls, origin: str = "cli", name: str | None = None) -> "Actor":
        """The OS user (or a name given with --as) acting from ``origin``."""
        if name:
            return cls(name, origin)
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        return cls(user, origin)


SYSTEM = Actor("opdesk", "system")


def record(store: Store, actor: Actor, action: str, *, reservation_id: int | None = None,
           hotel_reservation_id: int | None = None, before: Any = None, after: Any = None,
           detail: str = "") -> int:
    """Add one audit row. Call inside the transaction that makes the change."""
    cur = store.conn.execute(
        "INSERT INTO audit_log(at, actor, origin, action, reservation_id, hotel_reservation_id, before, after, "
        "detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (now_iso(), actor.name, actor.origin, action, reservation_id, hotel_reservation_id,
         dumps(before if before is not None else {}), dumps(after if after is not None else {}), detail),
    )
    return rowid(cur)


def audit_rows(store: Store, *, reservation_id: int | None = None, actor: str | None = None,
               action: str | None = None, origin: str | None = None, since: str | None = None,
               until: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """Audit rows, newest first, filtered by reservation, user, action, origin and dates (YYYY-MM-DD)."""
    sql = "SELECT * FROM audit_log WHERE 1=1"
    params: list[Any] = []
    for column, value in (("reservation_id", reservation_id), ("actor", actor), ("action", action),
                          ("origin", origin)):
        if value is not None:
            sql += f" AND {column} = ?"
            params.append(value)
    if since:
        sql += " AND at >= ?"
        params.append(since)
    if until:
        sql += " AND at < date(?, '+1 day')"
        params.append(until)
    sql += " ORDER BY id DESC LIMIT ?"
    params.append(limit)
    return store.all(sql, tuple(params))
