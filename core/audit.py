"""The audit log: who did what, when, from where, with the before and after.

Rows are only ever added; triggers in the schema refuse updates and deletes.
Triggers stop mistakes, not someone who can write the file: they can be
dropped. So each row is also sealed (issue 15): its ``hmac`` is an
HMAC-SHA256, keyed outside the store (``core.keys``), over the row before's
``hmac`` and its own content. Changing a row breaks its seal; removing or
inserting one breaks the next; removing the last rows is seen against the
head (id, HMAC, count) kept beside the key. ``verify`` walks the chain and
names the first row that does not hold.

Each row also carries the OS user beside the name recorded: ``--as`` says who
a person claims to be, the OS user who ran the command.
"""

from __future__ import annotations

import functools
import getpass
from dataclasses import dataclass, field
from typing import Any

from core.keys import SEALED_COLUMNS, seal
from core.store import Store, dumps, now_iso


@dataclass(frozen=True)
class Actor:
    name: str
    origin: str = "cli"  # cli, app, email, system

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

TRIGGERS = ("audit_log_no_update", "audit_log_no_delete", "audit_log_seal_once")


@functools.cache
def os_user() -> str:
    """The account this process runs as, whatever ``--as`` says."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


AUDIT_INSERT = (
    "INSERT INTO audit_log(id, at, actor, os_user, origin, action, reservation_id, hotel_reservation_id, before, "
    "after, detail, hmac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def record(
    store: Store,
    actor: Actor,
    action: str,
    *,
    reservation_id: int | None = None,
    hotel_reservation_id: int | None = None,
    before: Any = None,
    after: Any = None,
    detail: str = "",
) -> int:
    """Add one sealed audit row. Call inside the transaction that makes the change.

    A store opened without keys (``Store`` rather than ``open_store``) writes
    the row unsealed: ``verify`` then names it, so no path can skip the seal
    quietly.
    """
    with store.transaction():
        row = sealed_row(
            store,
            last_row(store),
            actor,
            action,
            reservation_id=reservation_id,
            hotel_reservation_id=hotel_reservation_id,
            before=before,
            after=after,
            detail=detail,
        )
        store.conn.execute(AUDIT_INSERT, tuple(row.values()))
        if store.keys is not None:
            store.after_commit.append(functools.partial(_advance_head, store, row["id"], row["hmac"]))
    return int(row["id"])


def last_row(store: Store) -> tuple[int, str] | None:
    """The newest audit row's id and seal (None in a store without one): what the next row is sealed to."""
    last = store.conn.execute("SELECT id, hmac FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    return (int(last["id"]), last["hmac"]) if last else None


def sealed_row(
    store: Store,
    last: tuple[int, str] | None,
    actor: Actor,
    action: str,
    *,
    reservation_id: int | None = None,
    hotel_reservation_id: int | None = None,
    before: Any = None,
    after: Any = None,
    detail: str = "",
) -> dict[str, Any]:
    """The audit row that follows ``last`` (its id and seal; None for the first row), sealed, in
    ``AUDIT_INSERT``'s column order. Whoever inserts it must know no other row came after ``last``."""
    row: dict[str, Any] = {
        "id": last[0] + 1 if last else 1,
        "at": now_iso(),
        "actor": actor.name,
        "os_user": os_user(),
        "origin": actor.origin,
        "action": action,
        "reservation_id": reservation_id,
        "hotel_reservation_id": hotel_reservation_id,
        "before": dumps(before if before is not None else {}),
        "after": dumps(after if after is not None else {}),
        "detail": detail,
    }
    keys = store.keys
    row["hmac"] = seal(keys.audit_key(), last[1] if last else "", row) if keys is not None else ""
    return row


def _advance_head(store: Store, row_id: int, mac: str) -> None:
    """After the commit: note the newest row beside the key (unless a rolled-back savepoint took it away)."""
    if store.scalar("SELECT hmac FROM audit_log WHERE id = ?", (row_id,)) != mac:
        return
    store.keys.advance_head(row_id, mac)


@dataclass
class Verdict:
    """What ``opdesk audit --verify`` found. ``problem`` names the first row that does not hold."""

    ok: bool
    rows: int
    head_rows: int
    problem: dict[str, Any] | None = None
    triggers_missing: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "rows": self.rows,
            "head_rows": self.head_rows,
            "problem": self.problem,
            "triggers_missing": self.triggers_missing,
        }


def verify(store: Store) -> Verdict:
    """Walk the chain from the first row; compare its end with the head kept beside the key."""
    keys = store.keys
    key, head = keys.audit_key(), keys.head()
    present = {
        r["name"] for r in store.all("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")
    }
    missing = [t for t in TRIGGERS if t not in present]
    previous, last_id, rows = "", 0, 0
    problem: dict[str, Any] | None = None
    cursor = store.conn.execute(f"SELECT {', '.join(SEALED_COLUMNS)}, hmac FROM audit_log ORDER BY id")
    for row in cursor:
        if row["id"] != last_id + 1:
            problem = _problem(
                "removed",
                last_id + 1,
                f"row {last_id + 1}"
                + (f" to {row['id'] - 1}" if row["id"] - 1 > last_id + 1 else "")
                + f" removed: row {row['id']} follows row {last_id}",
            )
            break
        mac = seal(key, previous, dict(row))
        if row["hmac"] != mac:
            inserted = row["hmac"] == "" or (head is not None and row["id"] > head.last_id)
            problem = _problem(
                "inserted" if inserted else "changed",
                row["id"],
                f"row {row['id']} "
                + (
                    "inserted: it does not follow the chain"
                    if inserted
                    else "changed since it was written: its HMAC does not match"
                ),
            )
            break
        previous, last_id, rows = mac, int(row["id"]), rows + 1
    cursor.close()
    if problem is None and head is not None:
        if last_id < head.last_id:
            problem = _problem(
                "removed",
                last_id + 1,
                f"row {last_id + 1}"
                + (f" to {head.last_id}" if head.last_id > last_id + 1 else "")
                + f" removed from the end: the log had {head.rows} rows, it has {rows}",
            )
        elif head.last_id and _hmac_of(store, head.last_id) != head.hmac:
            problem = _problem(
                "changed", head.last_id, f"row {head.last_id} changed: the head beside the key does not match it"
            )
    if problem is None and head is None:
        problem = _problem(
            "unknown",
            0,
            f"no audit head at {keys.head_path}: the chain was never started with "
            "this key (open the store once with this config)",
        )
    if problem is None and missing:
        problem = _problem("triggers", 0, f"the audit log's triggers were dropped: {', '.join(missing)}")
    return Verdict(problem is None, rows, head.rows if head else 0, problem, missing)


def _problem(kind: str, row: int, message: str) -> dict[str, Any]:
    return {"kind": kind, "row": row, "message": message}


def _hmac_of(store: Store, row_id: int) -> str | None:
    value = store.scalar("SELECT hmac FROM audit_log WHERE id = ?", (row_id,))
    return None if value is None else str(value)


def audit_rows(
    store: Store,
    *,
    reservation_id: int | None = None,
    actor: str | None = None,
    action: str | None = None,
    origin: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Audit rows, newest first, filtered by reservation, user, action, origin and dates (YYYY-MM-DD)."""
    sql = "SELECT * FROM audit_log WHERE 1=1"
    params: list[Any] = []
    for column, value in (("reservation_id", reservation_id), ("actor", actor), ("action", action), ("origin", origin)):
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
