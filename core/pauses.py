"""Scanner controls: pause and resume one operator, or all of them.

A paused operator is skipped by every scan (``opdesk scan``, the app, a cron
job) and the scan says so; the pause is kept in the store (table
``operator_pauses``), so it outlives a restart of the app or the machine.
``ALL`` ('*') pauses every operator, including ones added to the config later.
Each pause and resume writes an audit row.
"""

from __future__ import annotations

from typing import Any, Iterable

from core.audit import Actor, record
from core.store import Store, now_iso

ALL = "*"
"""The pause row that stands for every operator."""


def paused(store: Store) -> dict[str, dict[str, Any]]:
    """Every pause, by operator name (``ALL`` when all are paused)."""
    return {r["operator"]: r for r in store.all("SELECT * FROM operator_pauses ORDER BY operator")}


def pause_of(pauses: dict[str, dict[str, Any]], operator: str) -> dict[str, Any] | None:
    """The pause that holds ``operator``: its own, or the one for all operators; None when it runs."""
    return pauses.get(operator) or pauses.get(ALL)


def why_paused(pause: dict[str, Any], operator: str) -> str:
    """What a skipped scan says about a paused operator, and how to resume it."""
    scope = "every operator is" if pause["operator"] == ALL else f"{operator} is"
    by = f" by {pause['paused_by']}" if pause["paused_by"] else ""
    reason = f" ({pause['reason']})" if pause["reason"] else ""
    return (
        f"paused: {scope} paused since {pause['paused_at'][:16].replace('T', ' ')} UTC{by}{reason}; "
        f"resume with: opdesk resume --operator {operator}"
    )


def pause(store: Store, actor: Actor, operator: str | None = None, reason: str = "") -> None:
    """Pause ``operator`` (None: every operator) until ``resume``."""
    name = operator or ALL
    with store.transaction() as c:
        c.execute(
            "INSERT INTO operator_pauses(operator, paused_at, paused_by, reason) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(operator) DO UPDATE SET paused_at = excluded.paused_at, "
            "paused_by = excluded.paused_by, reason = excluded.reason",
            (name, now_iso(), actor.name, reason),
        )
        record(
            store,
            actor,
            "pause",
            after={"operator": name, "reason": reason},
            detail=f"{'every operator' if name == ALL else name} paused" + (f": {reason}" if reason else ""),
        )


def resume(store: Store, actor: Actor, operator: str | None, known: Iterable[str]) -> list[str]:
    """Resume ``operator`` (None: every one); returns the pauses lifted.

    Resuming one operator while all are paused keeps the others paused: the
    pause for all becomes one pause per ``known`` operator but this one.
    """
    with store.transaction() as c:
        before = paused(store)
        if operator is None:
            c.execute("DELETE FROM operator_pauses")
            lifted = sorted(before)
        else:
            lifted = [operator] if operator in before else []
            c.execute("DELETE FROM operator_pauses WHERE operator = ?", (operator,))
            held = before.get(ALL)
            if held is not None:
                c.execute("DELETE FROM operator_pauses WHERE operator = ?", (ALL,))
                c.executemany(
                    "INSERT OR IGNORE INTO operator_pauses(operator, paused_at, paused_by, reason) VALUES (?, ?, ?, ?)",
                    [
                        (name, held["paused_at"], held["paused_by"], held["reason"])
                        for name in known
                        if name != operator
                    ],
                )
                lifted.append(ALL)
        if lifted:
            record(
                store,
                actor,
                "resume",
                before={"paused": lifted},
                after={"operator": operator or ALL},
                detail=f"{operator or 'every operator'} resumed",
            )
    return lifted
