"""Scan runs: per operator, when a scan started and finished and what it brought.

The status board reads these rows while a scan is still running, so the
scanner updates the counts as it goes.
"""

from __future__ import annotations

from typing import Any, TypedDict

from core.store import Store, now_iso, rowid


class RunCounts(TypedDict):
    """A run's counts by name, as ``update_run`` takes them."""

    total: int
    new: int
    changed: int
    cancelled: int
    errors: int


COUNTS = tuple(RunCounts.__annotations__)  # the count columns of scan_runs, in this order


def start_run(store: Store, operator: str) -> int:
    with store.transaction() as c:
        return rowid(
            c.execute(
                "INSERT INTO scan_runs(operator, started_at, state) VALUES (?, ?, 'running')", (operator, now_iso())
            )
        )


def update_run(store: Store, run_id: int, *, last_error: str | None = None, **counts: int) -> None:
    """Set the run's counts (absolute values, not increments) and, if given, its last error."""
    unknown = set(counts) - set(COUNTS)
    if unknown:
        raise ValueError(f"unknown scan run counts: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = dict(counts)
    if last_error is not None:
        values["last_error"] = last_error
    if not values:
        return
    sets = ", ".join(f"{k} = ?" for k in values)
    with store.transaction() as c:
        c.execute(f"UPDATE scan_runs SET {sets} WHERE id = ?", (*values.values(), run_id))


def finish_run(store: Store, run_id: int, state: str, last_error: str = "") -> None:
    """Close a run: ``ok`` or ``error``. An ok run keeps the last message error it met."""
    with store.transaction() as c:
        c.execute(
            "UPDATE scan_runs SET state = ?, finished_at = ?, "
            "last_error = CASE WHEN ? != '' THEN ? ELSE last_error END WHERE id = ?",
            (state, now_iso(), last_error, last_error, run_id),
        )


def last_runs(store: Store) -> list[dict[str, Any]]:
    """The latest run of every operator, by operator name."""
    return store.all(
        "SELECT r.* FROM scan_runs r JOIN (SELECT operator, MAX(id) AS id FROM scan_runs GROUP BY operator) l "
        "ON r.id = l.id ORDER BY r.operator"
    )


def runs_of(store: Store, operator: str, limit: int = 20) -> list[dict[str, Any]]:
    return store.all("SELECT * FROM scan_runs WHERE operator = ? ORDER BY id DESC LIMIT ?", (operator, limit))


def last_run_id(store: Store) -> int:
    """The newest run's id (0 when none): runs after it belong to a scan that starts now."""
    return int(store.scalar("SELECT COALESCE(MAX(id), 0) FROM scan_runs") or 0)


def runs_since(store: Store, since: int, operators: list[str]) -> list[dict[str, Any]]:
    """Runs newer than run ``since`` of these operators, oldest first."""
    marks = ", ".join("?" * len(operators))
    return store.all(f"SELECT * FROM scan_runs WHERE id > ? AND operator IN ({marks}) ORDER BY id", (since, *operators))
