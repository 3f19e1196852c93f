"""How each operator performs, over the messages that arrived in a period (figures defined in docs/report.md).

The period is by the day (UTC) the operator's message arrived
(``raw_messages.received_at``; a row without a raw message uses its
``created_at``), both ends included. The figures are computed in Python
from one query: a period of a few hundred thousand versions stays well
within a second, and every figure is defined in one place.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Iterable

from core.forecast import shifted
from core.store import Store, from_minor

COMPARED_PRICE_STATES = ("ok", "mismatch")


def _arrival(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def versions_in_period(store: Store, start: date, end: date, operator: str | None = None) -> list[dict[str, Any]]:
    """Every inbox version whose message arrived from ``start`` to ``end`` (UTC days), oldest first."""
    # A day of slack either side: arrival times carry other offsets until turned into UTC below.
    # Rows with a raw message are found by its arrival, the others by their own creation, each
    # through its index: a period is read, not the whole store.
    period = [shifted(start, -1).isoformat(), shifted(end, 2).isoformat()]
    columns = (
        "o.id, o.operator, o.voucher, o.version, o.content, o.status, o.check_in, o.nights, o.rooms, "
        "o.total_minor, o.currency, o.sale_date, o.checks, o.decided_at"
    )
    by_operator = " AND o.operator = ?" if operator else ""
    sql = (
        f"SELECT {columns}, r.received_at AS arrived_at FROM raw_messages r "
        f"JOIN operator_reservations o ON o.raw_id = r.id WHERE r.received_at >= ? AND r.received_at < ?"
        f"{by_operator} UNION ALL "
        f"SELECT {columns}, o.created_at AS arrived_at FROM operator_reservations o "
        f"WHERE o.raw_id IS NULL AND o.created_at >= ? AND o.created_at < ?{by_operator} ORDER BY 1"
    )
    params: list[Any] = [*period, *([operator] if operator else []), *period, *([operator] if operator else [])]
    rows = []
    for row in store.all(sql, tuple(params)):
        arrived = _arrival(row["arrived_at"])
        if start <= arrived.date() <= end:
            row["arrived"] = arrived
            rows.append(row)
    return rows


def operator_report(store: Store, start: date, end: date, operator: str | None = None) -> list[dict[str, Any]]:
    """One dict of figures per operator with messages in the period, by operator name."""
    by_operator: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in versions_in_period(store, start, end, operator):
        by_operator[row["operator"]].append(row)
    return [operator_figures(name, rows) for name, rows in sorted(by_operator.items())]


def operator_figures(name: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    latest = _latest_per_voucher(rows)
    return {
        "operator": name,
        "new": sum(r["content"] == "new" for r in rows),
        "changes": sum(r["content"] == "change" for r in rows),
        "cancellations": sum(r["content"] == "cancel" for r in rows),
        "vouchers": len(latest),
        "room_nights": sum(
            (r["rooms"] or 0) * (r["nights"] or 0)
            for r in latest.values()
            if r["content"] != "cancel" and r["status"] != "rejected"
        ),
        "revenue": _revenue(rows),
        "lead_time_days": _mean(_lead_days(r) for r in rows if r["content"] == "new"),
        "cancellation_rate": _percent(sum(r["content"] == "cancel" for r in latest.values()), len(latest)),
        "price_mismatch_rate": _mismatch_rate(rows),
        "median_confirm_minutes": _median(_confirm_minutes(r) for r in rows if r["status"] == "confirmed"),
    }


def _latest_per_voucher(rows: Iterable[dict[str, Any]], status: str | None = None) -> dict[str, dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for r in rows:
        if status and r["status"] != status:
            continue
        if r["voucher"] not in latest or r["version"] > latest[r["voucher"]]["version"]:
            latest[r["voucher"]] = r
    return latest


def _revenue(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Per currency: the latest confirmed version of each voucher, unless that version is a cancellation."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for r in _latest_per_voucher(rows, "confirmed").values():
        if r["content"] != "cancel" and r["total_minor"] is not None:
            sums[r["currency"]] += from_minor(r["total_minor"], r["currency"]) or Decimal(0)
    return {currency: str(amount) for currency, amount in sorted(sums.items())}


def _lead_days(row: dict[str, Any]) -> int | None:
    if not row["check_in"]:
        return None
    booked = date.fromisoformat(row["sale_date"]) if row["sale_date"] else row["arrived"].date()
    return (date.fromisoformat(row["check_in"]) - booked).days


def _mismatch_rate(rows: list[dict[str, Any]]) -> float | None:
    states = [json.loads(r["checks"]).get("price", {}).get("state") for r in rows if r["content"] != "cancel"]
    compared = [s for s in states if s in COMPARED_PRICE_STATES]
    return _percent(compared.count("mismatch"), len(compared))


def _confirm_minutes(row: dict[str, Any]) -> float | None:
    if not row["decided_at"]:
        return None
    return float((_arrival(row["decided_at"]) - row["arrived"]).total_seconds() / 60)


def _mean(values: Iterable[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return round(sum(kept) / len(kept), 1) if kept else None


def _median(values: Iterable[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return round(float(statistics.median(kept)), 1) if kept else None


def _percent(part: int, whole: int) -> float | None:
    return round(part / whole * 100, 1) if whole else None


def daily_trend(store: Store, start: date, end: date, operator: str | None = None) -> list[dict[str, Any]]:
    """Per day of arrival: new, changes, cancellations, and how many of them are confirmed by now."""
    days = {
        start + timedelta(days=i): {"new": 0, "changes": 0, "cancellations": 0, "confirmed": 0}
        for i in range((end - start).days + 1)
    }
    names = {"new": "new", "change": "changes", "cancel": "cancellations"}
    for row in versions_in_period(store, start, end, operator):
        day = days[row["arrived"].date()]
        day[names.get(row["content"], "changes")] += 1
        day["confirmed"] += row["status"] == "confirmed"
    return [{"date": d.isoformat(), **counts} for d, counts in days.items()]
