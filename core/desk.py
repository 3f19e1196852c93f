"""Desk operations: what staff do, one function each, for the app, the CLI and the web page alike.

Save a row into the hotel book, confirm it, reject it, map an operator's code
(with its audit row and the re-map of every pending row), start an internal
approval, load contracts (and re-check), pick the rows ``confirm --clean``
takes. Every operation writes an audit row in the same transaction as its
change. This module does the store's part only: sending the answer to the
operator is the caller's ``Replier``, and mailing approvers is the caller's
too (both in ``tui.desk_actions``, over the connectors): core does no I/O
with operators. Add a new desk operation here, and its sending half there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from core import approval as approvals
from core import pms
from core.approval import ApprovalRequest, approval_block
from core.audit import Actor, record
from core.checks import check_stop_sale
from core.config import Config
from core.errors import NotFound, Refused
from core.inbox import reservation_json, reservation_row
from core.ingest import facts_from_row, recheck, remap_after_mapping
from core.mapping import set_mapping, unset_mapping
from core.models import CLEAN_STATES, Content
from core.overrides import NONE, Overrides, blocking_checks, refusal
from core.pricing.store import SAVED, UNSAVED_PENDING, LoadedContracts, activate_contracts, active_contracts
from core.stay import CheckContext
from core.store import Store, now_iso
from core.values_check import check_values


class ActionRefused(Refused):
    """The action is not allowed for this row; the message says why and what to do."""


@dataclass(frozen=True)
class Delivery:
    """What became of an answer to an operator: sent (and where), or not sent and why."""

    sent: bool
    detail: str  # "sent", "written to T1-confirm.json", "not sent: ..."; kept as the row's reply_state

    def __str__(self) -> str:
        return self.detail


class Replier(Protocol):
    def __call__(self, action: str, reservation: dict[str, Any], *, hotel_number: str, reason: str) -> "Delivery | str":
        """Send ``confirm`` or ``reject`` to the operator; return what happened.

        A ``Delivery`` says whether it was sent; a plain string means sent, and
        says where. Raise an exception when the operator could not be told.
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
    sent: bool | None = None  # confirm/reject: whether the operator was really told
    rechecked: int | None = None  # map: pending rows mapped and checked again

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "action": self.action,
            "ok": self.ok,
            "message": self.message,
            "hotel_number": self.hotel_number,
            "voucher": self.voucher,
            "operator": self.operator,
            **({"sent": self.sent} if self.sent is not None else {}),
            **({"rechecked": self.rechecked} if self.rechecked is not None else {}),
        }


def _load(store: Store, reservation_id: int) -> dict[str, Any]:
    row = store.one("SELECT * FROM operator_reservations WHERE id = ?", (reservation_id,))
    if row is None:
        raise ActionRefused(f"no operator reservation #{reservation_id} (see: opdesk inbox --status all)")
    return row


def _check_actionable(
    store: Store,
    row: dict[str, Any],
    action: str,
    config: Config | None = None,
    actor: Actor | None = None,
    overrides: Overrides = NONE,
) -> None:
    if not row["is_latest"]:
        newer = store.scalar(
            "SELECT id FROM operator_reservations WHERE operator = ? AND voucher = ? AND is_latest = 1",
            (row["operator"], row["voucher"]),
        )
        raise ActionRefused(
            f"#{row['id']} is version {row['version']} of voucher {row['voucher']}; "
            f"a newer version arrived: act on #{newer}"
        )
    if row["status"] != "pending" and action != "save":
        raise ActionRefused(f"#{row['id']} is already {row['status']}")
    if row["status"] == "rejected":
        raise ActionRefused(f"#{row['id']} was rejected; it cannot be saved")
    missing = json.loads(row["missing_mappings"])
    if missing and action in ("save", "confirm"):
        kinds = ", ".join(f"{k} {row[k] or '(none sent)'}" for k in missing)
        first = missing[0]
        raise ActionRefused(
            f"#{row['id']}: no mapping for {row['operator']} {kinds}: "
            f"opdesk map set {row['operator']} {first} {row[first] or 'CODE'} <hotel code>"
        )
    if action in ("save", "confirm") and row["needs_approval"]:
        block = approval_block(store, row["id"])
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


def _check_blocking(
    store: Store, config: Config, row: dict[str, Any], action: str, actor: Actor | None, overrides: Overrides
) -> None:
    decision = blocking_checks(blocking_now(store, config, row), overrides)
    if decision.blocking:
        raise ActionRefused(refusal(row["id"], decision))
    if decision.overridden and actor is not None:
        record(
            store,
            actor,
            "override",
            reservation_id=row["id"],
            after={"checks": decision.overridden, "reason": overrides.reason, "action": action},
            detail=f"{action} despite {', '.join(decision.overridden)}: {overrides.reason}",
        )


def _next_number(store: Store, config: Config) -> str:
    prefix = str(config.section("hotel").get("number_prefix", "H"))
    n = int(store.scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM hotel_reservations"))
    return f"{prefix}{n:06d}"


def _book_values(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "room": row["hotel_room"] or "",
        "board": row["hotel_board"] or "",
        "rate": row["hotel_rate"] or "",
        "market": row["hotel_market"] or "",
        "agency": row["hotel_agency"] or row["agency"],
        "check_in": row["check_in"],
        "check_out": row["check_out"],
        "rooms": row["rooms"],
        "adults": row["adults"],
        "child_ages": row["child_ages"],
        "guest_names": row["guest_names"],
        "total_minor": row["total_minor"],
        "currency": row["currency"],
    }


def _save_in_transaction(store: Store, config: Config, row: dict[str, Any], actor: Actor) -> tuple[str | None, str]:
    """Create, update or cancel the hotel reservation for ``row``. Returns (hotel number, what happened)."""
    c = store.conn
    linked = store.one(
        "SELECT h.* FROM hotel_vouchers v JOIN hotel_reservations h ON h.id = v.hotel_reservation_id "
        "WHERE v.operator = ? AND v.voucher = ?",
        (row["operator"], row["voucher"]),
    )
    now = now_iso()
    if row["content"] == Content.CANCEL:
        if linked is None:
            record(store, actor, "save", reservation_id=row["id"], detail="cancellation: nothing in the hotel book")
            return None, "nothing in the hotel book to cancel"
        if linked["status"] != "cancelled":
            c.execute(
                "UPDATE hotel_reservations SET status = 'cancelled', cancelled_at = ?, updated_at = ? WHERE id = ?",
                (now, now, linked["id"]),
            )
        c.execute("UPDATE operator_reservations SET hotel_reservation_id = ? WHERE id = ?", (linked["id"], row["id"]))
        record(
            store,
            actor,
            "save",
            reservation_id=row["id"],
            hotel_reservation_id=linked["id"],
            before={"status": linked["status"]},
            after={"status": "cancelled"},
            detail="cancelled",
        )
        pms.enqueue(store, config, row, linked["id"], linked["number"], now)
        return linked["number"], f"cancelled {linked['number']}"
    values = _book_values(row)
    if not row["check_in"] or not row["check_out"]:
        raise ActionRefused(f"#{row['id']}: no stay dates; it cannot be saved")
    if linked is None:
        number = _next_number(store, config)
        cols = {
            "number": number,
            "status": "active",
            "origin": "opdesk",
            "operator": row["operator"],
            **values,
            "created_at": now,
            "updated_at": now,
        }
        hid = c.execute(
            f"INSERT INTO hotel_reservations({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            tuple(cols.values()),
        ).lastrowid
        c.execute(
            "INSERT INTO hotel_vouchers(hotel_reservation_id, operator, voucher) VALUES (?, ?, ?)",
            (hid, row["operator"], row["voucher"]),
        )
        before, after, what = {}, cols, f"created {number}"
    else:
        hid, number = linked["id"], linked["number"]
        before = {k: linked[k] for k in values if linked[k] != values[k]}
        after = {k: values[k] for k in before}
        if linked["status"] == "cancelled":
            before["status"], after["status"] = "cancelled", "active"
        sets = ", ".join(f"{k} = ?" for k in values)
        c.execute(
            f"UPDATE hotel_reservations SET {sets}, status = 'active', cancelled_at = NULL, updated_at = ? "
            f"WHERE id = ?",
            (*values.values(), now, hid),
        )
        what = f"updated {number}" if after else f"{number} already up to date"
    c.execute("UPDATE operator_reservations SET hotel_reservation_id = ? WHERE id = ?", (hid, row["id"]))
    record(
        store,
        actor,
        "save",
        reservation_id=row["id"],
        hotel_reservation_id=hid,
        before=before,
        after=after,
        detail=what,
    )
    assert hid is not None  # lastrowid of the INSERT above, or the linked booking's id
    pms.enqueue(store, config, row, hid, number, now)
    return number, what


def _save_row(
    store: Store, config: Config, rid: int, actor: Actor, action: str, overrides: Overrides = NONE
) -> tuple[dict[str, Any], str | None, str]:
    """Check one row may take ``action`` and save it, in one transaction: (row, hotel number, what happened)."""
    with store.transaction():
        row = _load(store, rid)
        _check_actionable(store, row, action, config, actor, overrides)
        number, what = _save_in_transaction(store, config, row, actor)
    return row, number, what


def save(
    store: Store, config: Config, ids: list[int], actor: Actor, overrides: Overrides = NONE
) -> list[ActionOutcome]:
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


def confirm(
    store: Store, config: Config, ids: list[int], actor: Actor, replier: Replier, overrides: Overrides = NONE
) -> list[ActionOutcome]:
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


def reject(
    store: Store, config: Config, ids: list[int], actor: Actor, reason: str, replier: Replier
) -> list[ActionOutcome]:
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


def _answer(
    store: Store, rid: int, action: str, actor: Actor, replier: Replier, *, hotel_number: str, reason: str
) -> ActionOutcome:
    shape = reservation_json(store, rid)
    status = "confirmed" if action == "confirm" else "rejected"
    try:
        answer = replier(action, shape, hotel_number=hotel_number, reason=reason) or "sent"
        delivery = answer if isinstance(answer, Delivery) else Delivery(True, str(answer))
    except Exception as exc:  # noqa: BLE001 - any delivery failure is reported, the row stays pending
        error = str(exc) or type(exc).__name__
        with store.transaction() as c:
            c.execute(
                "UPDATE operator_reservations SET reply_state = 'failed', reply_error = ? WHERE id = ?", (error, rid)
            )
            record(store, actor, f"{action}_failed", reservation_id=rid, detail=error)
        return ActionOutcome(
            rid,
            action,
            False,
            f"not {status}: the operator could not be told: {error}",
            hotel_number or None,
            shape["voucher"],
            shape["operator"],
            sent=False,
        )
    with store.transaction() as c:
        c.execute(
            "UPDATE operator_reservations SET status = ?, decided_at = ?, decided_by = ?, reject_reason = ?, "
            "reply_state = ?, reply_error = '' WHERE id = ?",
            (status, now_iso(), actor.name, reason, delivery.detail, rid),
        )
        record(
            store,
            actor,
            action,
            reservation_id=rid,
            before={"status": "pending"},
            after={"status": status, "reply": delivery.detail, **({"reason": reason} if reason else {})},
            detail=hotel_number,
        )
    message = f"{status}" + (f" as {hotel_number}" if hotel_number else "") + f"; operator: {delivery.detail}"
    return ActionOutcome(
        rid, action, True, message, hotel_number or None, shape["voucher"], shape["operator"], sent=delivery.sent
    )


@dataclass
class CleanSelection:
    ready: list[int] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)  # {id, voucher, operator, reasons}


def clean_selection(store: Store, operator: str | None = None) -> CleanSelection:
    """Pending rows a script may confirm unattended, and every other pending row with why not."""
    sql = (
        "SELECT id, operator, voucher, missing_mappings, checks, clean, needs_approval FROM operator_reservations "
        "WHERE status = 'pending' AND is_latest = 1"
    )
    params: tuple[Any, ...] = ()
    if operator:
        sql += " AND operator = ?"
        params = (operator,)
    selection = CleanSelection()
    for row in store.all(sql + " ORDER BY id", params):
        reasons = skip_reasons(row)
        if row["needs_approval"]:
            block = approval_block(store, row["id"])
            if block:
                reasons.append(block)
        if reasons:
            selection.skipped.append(
                {"id": row["id"], "operator": row["operator"], "voucher": row["voucher"], "reasons": reasons}
            )
        else:
            selection.ready.append(row["id"])
    return selection


def skip_reasons(row: dict[str, Any]) -> list[str]:
    reasons = [f"missing {k} mapping" for k in json.loads(row["missing_mappings"])]
    for name, check in json.loads(row["checks"]).items():
        if check["state"] not in CLEAN_STATES:
            reasons.append(f"{name}: {check['state']}" + (f" ({check['message']})" if check.get("message") else ""))
    return reasons


def load_contracts_text(
    store: Store, config: Config, text: str, *, source: str, actor: Actor | str = ""
) -> LoadedContracts:
    """Make ``text`` the active contract set, then re-check every pending row not yet saved against it.

    A booking already in the hotel book keeps the price check it was saved with: ``opdesk recheck
    --saved`` (``core.pricing.recheck``) prices those again and lists the ones whose expected price
    changed, so a corrected contract never changes a saved booking's figures unseen.
    """
    set_id = activate_contracts(store, text, source=source, actor=actor)
    active = active_contracts(store)
    assert active is not None  # just activated
    rechecked = recheck(store, config, UNSAVED_PENDING)
    saved = int(store.scalar(f"SELECT COUNT(*) FROM operator_reservations WHERE {SAVED}") or 0)
    return LoadedContracts(set_id, active[1], rechecked, saved=saved)


# -- mappings ------------------------------------------------------------------------------------
def map_code(
    store: Store, config: Config, operator: str, kind: str, code: str, hotel_code: str, actor: Actor
) -> ActionOutcome:
    """Map an operator's code to the hotel's (audited), then re-map every pending row that uses it."""
    with store.transaction():
        before = set_mapping(store, operator, kind, code, hotel_code)
        record(
            store,
            actor,
            "map_set",
            before=before or {},
            after={"operator": operator, "kind": kind, "code": code, "hotel_code": hotel_code},
            detail=f"{operator} {kind} {code} -> {hotel_code}",
        )
    rows = remap_after_mapping(store, config, operator, kind, code)
    return ActionOutcome(
        0,
        "map",
        True,
        f"{operator} {kind} {code} → {hotel_code}; {rows} pending row(s) re-mapped",
        operator=operator,
        rechecked=rows,
    )


def unmap_code(store: Store, config: Config, operator: str, kind: str, code: str, actor: Actor) -> ActionOutcome:
    """Remove a mapping (audited); pending rows that used it show it missing again."""
    with store.transaction():
        before = unset_mapping(store, operator, kind, code)
        if before is None:
            raise NotFound(f"no mapping {operator} {kind} {code}")
        record(store, actor, "map_unset", before=before, detail=f"{operator} {kind} {code}")
    rows = remap_after_mapping(store, config, operator, kind, code)
    return ActionOutcome(
        0,
        "map",
        True,
        f"removed {operator} {kind} {code}; {rows} pending row(s) re-mapped",
        operator=operator,
        rechecked=rows,
    )


# -- internal approval ---------------------------------------------------------------------------
def start_approval(
    store: Store, config: Config, reservation_id: int, approvers: list[str], actor: Actor, *, note: str = ""
) -> list[ApprovalRequest]:
    """Open an approval round for a row (audited); the caller mails each request's code."""
    return approvals.start(store, config, reservation_id, approvers, actor, note=note)


def approval_reasons(store: Store, config: Config, reservation_id: int) -> list[str]:
    """Why a row needs approval, for the approvers' mail."""
    row = reservation_row(store, reservation_id)
    return approvals.needs_approval(row, json.loads(row["checks"]), config) if row else []
