"""What staff do with an inbox row: save it into the hotel book, confirm it, reject it.

Every action writes an audit row in the same transaction as its change.
Sending the answer to the operator is the caller's ``Replier`` (built from
the operator's connector in ``tui``): core does no I/O with operators.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from core.audit import Actor, record
from core.checks import CheckContext, check_stop_sale
from core.config import Config
from core.inbox import reservation_json
from core.ingest import facts_from_row
from core.models import CLEAN_STATES, Content
from core.overrides import NONE, Overrides, blocking_checks, refusal
from core.store import Store, now_iso
from core.values_check import check_values

HOTEL_BOOK_FIELDS = ("status", "room", "board", "rate", "market", "check_in", "check_out", "rooms", "adults",
                     "child_ages", "guest_names", "total_minor", "currency", "agency")


class ActionRefused(Exception):
    """The action is not allowed for this row; the message says why and what to do."""


class Replier(Protocol):
    def __call__(self, action: str, reservation: dict[str, Any], *, hotel_number: str, reason: str) -> str:
        """Send ``confirm`` or ``reject`` to the operator; return what happened ("sent", "not sent: ...").

        Raise an exception when the operator could not be told.
        """


@dataclass
class ActionOutcome:
    id: int
    action: str
    ok: bool
    message: str
    hotel_number: str | None = None
    voucher: str = ""
    operator: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "action": self.action, "ok": self.ok, "message": self.message,
                "hotel_number": self.hotel_number, "voucher": self.voucher, "operator": self.operator}


ApprovalGate = Callable[[Store, int], str | None]


def _approval_block(store: Store, reservation_id: int) -> str | None:
    """Why approval still blocks this row, or None. Approvals live in core.approval when present."""
    try:
        from core.approval import approval_block  # type: ignore[attr-defined]
    except ImportError:
        return None
    return approval_block(store, reservation_id)


def _load(store: Store, reservation_id: int) -> dict[str, Any]:
    row = store.one("SELECT * FROM operator_reservations WHERE id = ?", (reservation_id,))
    if row is None:
        raise ActionRefused(f"no operator reservation #{reservation_id} (see: opdesk inbox --status all)")
    return row


def _check_actionable(store: Store, row: dict[str, Any], action: str, config: Config | None = None,
                      actor: Actor | None = None, overrides: Overrides = NONE) -> None:
    if not row["is_latest"]:
        newer = store.scalar("SELECT id FROM operator_reservations WHERE operator = ? AND voucher = ? AND is_latest = 1",
                             (row["operator"], row["voucher"]))
        raise ActionRefused(f"#{row['id']} is version {row['version']} of voucher {row['voucher']}; "
                            f"a newer version arrived: act on #{newer}")
    if row["status"] != "pending" and action != "save":
        raise ActionRefused(f"#{row['id']} is already {row['status']}")
    if row["status"] == "rejected":
        raise ActionRefused(f"#{row['id']} was rejected; it cannot be saved")
    missing = json.loads(row["missing_mappings"])
    if missing and action in ("save", "confirm"):
        kinds = ", ".join(f"{k} {row[k] or '(none sent)'}" for k in missing)
        first = missing[0]
        raise ActionRefused(f"#{row['id']}: no mapping for {row['operator']} {kinds}: "
                            f"opdesk map set {row['operator']} {first} {row[first] or 'CODE'} <hotel code>")
    if action in ("save", "confirm") and row["needs_approval"]:
        block = _approval_block(store, row["id"])
        if block:
            raise ActionRefused(f"#{row['id']}: {block}")
    if action in ("save", "confirm") and config is not None:
        _check_blocking(store, config, row, action, actor, overrides)


def blocking_now(store: Store, config: Config, row: dict[str, Any]) -> dict[str, Any]:
    """The row's checks, with ``values`` and ``stop_sale`` worked out again now.

    A stop-sale added or an intake limit changed since the row was checked
    counts at the moment someone acts on it.
    """
    checks: dict[str, Any] = json.loads(row["checks"])
    if row["content"] == Content.CANCEL:
        return checks
    facts = facts_from_row(store, row)
    ctx = CheckContext(store, config)
    checks["values"] = check_values(facts, ctx).as_dict()
    if facts.hotel_room and facts.check_in and facts.check_out:
        checks["stop_sale"] = check_stop_sale(facts, ctx).as_dict()
    return checks


def _check_blocking(store: Store, config: Config, row: dict[str, Any], action: str, actor: Actor | None,
                    overrides: Overrides) -> None:
    decision = blocking_checks(blocking_now(store, config, row), overrides)
    if decision.blocking:
        raise ActionRefused(refusal(row["id"], decision))
    if decision.overridden and actor is not None:
        record(store, actor, "override", reservation_id=row["id"],
               after={"checks": decision.overridden, "reason": overrides.reason, "action": action},
               detail=f"{action} despite {', '.join(decision.overridden)}: {overrides.reason}")


def _next_number(store: Store, config: Config) -> str:
    prefix = str(config.section("hotel").get("number_prefix", "H"))
    n = int(store.scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM hotel_reservations"))
    return f"{prefix}{n:06d}"


def _book_values(row: dict[str, Any]) -> dict[str, Any]:
    return {"room": row["hotel_room"] or "", "board": row["hotel_board"] or "", "rate": row["hotel_rate"] or "",
            "market": row["hotel_market"] or "", "agency": row["hotel_agency"] or row["agency"],
            "check_in": row["check_in"], "check_out": row["check_out"], "rooms": row["rooms"],
            "adults": row["adults"], "child_ages": row["child_ages"], "guest_names": row["guest_names"],
            "total_minor": row["total_minor"], "currency": row["currency"]}


def _save_in_transaction(store: Store, config: Config, row: dict[str, Any], actor: Actor) -> tuple[str | None, str]:
    """Create, update or cancel the hotel reservation for ``row``. Returns (hotel number, what happened)."""
    c = store.conn
    linked = store.one(
        "SELECT h.* FROM hotel_vouchers v JOIN hotel_reservations h ON h.id = v.hotel_reservation_id "
        "WHERE v.operator = ? AND v.voucher = ?", (row["operator"], row["voucher"]))
    now = now_iso()
    if row["content"] == Content.CANCEL:
        if linked is None:
            record(store, actor, "save", reservation_id=row["id"], detail="cancellation: nothing in the hotel book")
            return None, "nothing in the hotel book to cancel"
        if linked["status"] != "cancelled":
            c.execute("UPDATE hotel_reservations SET status = 'cancelled', cancelled_at = ?, updated_at = ? "
                      "WHERE id = ?", (now, now, linked["id"]))
        c.execute("UPDATE operator_reservations SET hotel_reservation_id = ? WHERE id = ?", (linked["id"], row["id"]))
        record(store, actor, "save", reservation_id=row["id"], hotel_reservation_id=linked["id"],
               before={"status": linked["status"]}, after={"status": "cancelled"}, detail="cancelled")
        return linked["number"], f"cancelled {linked['number']}"
    values = _book_values(row)
    if not row["check_in"] or not row["check_out"]:
        raise ActionRefused(f"#{row['id']}: no stay dates; it cannot be saved")
    if linked is None:
        number = _next_number(store, config)
        cols = {"number": number, "status": "active", "origin": "opdesk", "operator": row["operator"],
                **values, "created_at": now, "updated_at": now}
        hid = c.execute(f"INSERT INTO hotel_reservations({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                        tuple(cols.values())).lastrowid
        c.execute("INSERT INTO hotel_vouchers(hotel_reservation_id, operator, voucher) VALUES (?, ?, ?)",
                  (hid, row["operator"], row["voucher"]))
        before, after, what = {}, cols, f"created {number}"
    else:
        hid, number = linked["id"], linked["number"]
        before = {k: linked[k] for k in values if linked[k] != values[k]}
        after = {k: values[k] for k in before}
        if linked["status"] == "cancelled":
            before["status"], after["status"] = "cancelled", "active"
        sets = ", ".join(f"{k} = ?" for k in values)
        c.execute(f"UPDATE hotel_reservations SET {sets}, status = 'active', cancelled_at = NULL, updated_at = ? "
                  f"WHERE id = ?", (*values.values(), now, hid))
        what = f"updated {number}" if after else f"{number} already up to date"
    c.execute("UPDATE operator_reservations SET hotel_reservation_id = ? WHERE id = ?", (hid, row["id"]))
    record(store, actor, "save", reservation_id=row["id"], hotel_reservation_id=hid, before=before, after=after,
           detail=what)
    return number, what


def _save_row(store: Store, config: Config, rid: int, actor: Actor, action: str,
              overrides: Overrides = NONE) -> tuple[dict, str | None, str]:
    """Check one row may take ``action`` and save it, in one transaction: (row, hotel number, what happened)."""
    with store.transaction():
        row = _load(store, rid)
        _check_actionable(store, row, action, config, actor, overrides)
        number, what = _save_in_transaction(store, config, row, actor)
    return row, number, what


def save(store: Store, config: Config, ids: list[int], actor: Actor,
         overrides: Overrides = NONE) -> list[ActionOutcome]:
    """Save rows into the hotel book (create or update; a cancel cancels). Status stays as it is.

    ``overrides`` waves failed ``values`` / ``stop_sale`` checks through for every row (audited).
    """
    outcomes = []
    for rid in ids:
        try:
            row, number, what = _save_row(store, config, rid, actor, "save", overrides)
            outcomes.append(ActionOutcome(rid, "save", True, what, number, row["voucher"], row["operator"]))
        except ActionRefused as exc:
            outcomes.append(ActionOutcome(rid, "save", False, str(exc)))
    return outcomes


def confirm(store: Store, config: Config, ids: list[int], actor: Actor, replier: Replier,
            overrides: Overrides = NONE) -> list[ActionOutcome]:
    """Save each row, then send the confirmation; the row is confirmed once the operator was told."""
    outcomes = []
    for rid in ids:
        try:
            _, number, _ = _save_row(store, config, rid, actor, "confirm", overrides)
        except ActionRefused as exc:
            outcomes.append(ActionOutcome(rid, "confirm", False, str(exc)))
            continue
        outcomes.append(_answer(store, rid, "confirm", actor, replier, hotel_number=number or "", reason=""))
    return outcomes


def reject(store: Store, config: Config, ids: list[int], actor: Actor, reason: str,
           replier: Replier) -> list[ActionOutcome]:
    """Reject rows with a reason and tell the operator."""
    if not reason.strip():
        raise ActionRefused("a rejection needs a reason (--reason TEXT)")
    outcomes = []
    for rid in ids:
        try:
            row = _load(store, rid)
            _check_actionable(store, row, "reject")
        except ActionRefused as exc:
            outcomes.append(ActionOutcome(rid, "reject", False, str(exc)))
            continue
        outcomes.append(_answer(store, rid, "reject", actor, replier, hotel_number="", reason=reason))
    return outcomes


def _answer(store: Store, rid: int, action: str, actor: Actor, replier: Replier, *, hotel_number: str,
            reason: str) -> ActionOutcome:
    shape = reservation_json(store, rid)
    status = "confirmed" if action == "confirm" else "rejected"
    try:
        sent = replier(action, shape, hotel_number=hotel_number, reason=reason) or "sent"
    except Exception as exc:  # noqa: BLE001 - any delivery failure is reported, the row stays pending
        error = str(exc) or type(exc).__name__
        with store.transaction() as c:
            c.execute("UPDATE operator_reservations SET reply_state = 'failed', reply_error = ? WHERE id = ?",
                      (error, rid))
            record(store, actor, f"{action}_failed", reservation_id=rid, detail=error)
        return ActionOutcome(rid, action, False, f"not {status}: the operator could not be told: {error}",
                             hotel_number or None, shape["voucher"], shape["operator"])
    with store.transaction() as c:
        c.execute(
            "UPDATE operator_reservations SET status = ?, decided_at = ?, decided_by = ?, reject_reason = ?, "
            "reply_state = ?, reply_error = '' WHERE id = ?",
            (status, now_iso(), actor.name, reason, sent, rid))
        record(store, actor, action, reservation_id=rid, before={"status": "pending"},
               after={"status": status, "reply": sent, **({"reason": reason} if reason else {})},
               detail=hotel_number)
    message = f"{status}" + (f" as {hotel_number}" if hotel_number else "") + f"; operator: {sent}"
    return ActionOutcome(rid, action, True, message, hotel_number or None, shape["voucher"], shape["operator"])


@dataclass
class CleanSelection:
    ready: list[int] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)   # {id, voucher, operator, reasons}


def clean_selection(store: Store, operator: str | None = None) -> CleanSelection:
    """Pending rows a script may confirm unattended, and every other pending row with why not."""
    sql = ("SELECT id, operator, voucher, missing_mappings, checks, clean, needs_approval FROM operator_reservations "
           "WHERE status = 'pending' AND is_latest = 1")
    params: tuple = ()
    if operator:
        sql += " AND operator = ?"
        params = (operator,)
    selection = CleanSelection()
    for row in store.all(sql + " ORDER BY id", params):
        reasons = skip_reasons(row)
        if row["needs_approval"]:
            block = _approval_block(store, row["id"])
            if block:
                reasons.append(block)
        if reasons:
            selection.skipped.append({"id": row["id"], "operator": row["operator"], "voucher": row["voucher"],
                                      "reasons": reasons})
        else:
            selection.ready.append(row["id"])
    return selection


def skip_reasons(row: dict[str, Any]) -> list[str]:
    reasons = [f"missing {k} mapping" for k in json.loads(row["missing_mappings"])]
    for name, check in json.loads(row["checks"]).items():
        if check["state"] not in CLEAN_STATES:
            reasons.append(f"{name}: {check['state']}" + (f" ({check['message']})" if check.get("message") else ""))
    return reasons
