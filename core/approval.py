"""Internal approval: some bookings need one to five managers' yes before they are saved or confirmed.

A round of approval is started for one operator reservation with up to five
approvers. Each approver gets a one-time code: a random code id and an HMAC
over (code id, reservation, approver, expiry), so a code cannot be made up,
moved to another booking or stretched past its expiry. A code works once:
deciding moves its row out of ``waiting``. Codes are shown as
``XXXX-XXXX-YYYY-YYYY`` (code id, then MAC, base32).

Modes (``[approval] mode``): ``all_any_order`` (everyone, in any order),
``all_in_order`` (everyone, one after the other: the next approver is asked
once the one before approved) and ``any_one`` (the first yes is enough; a
no from everyone rejects). The mode is stored with the round, so a config
change does not alter rounds already under way.

A round's rows are those from its last ``position = 1`` row on: starting
again withdraws whatever was still waiting and begins a new round.

Sending mails is not done here (core does no I/O with the outside): the
caller sends the requests ``start`` returns; decisions that ask a next
approver hand the new request to the notifiers registered with
``register_notifier`` (the mail channel registers one).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from typing import Any, Callable

from core.audit import Actor, record
from core.clock import hotel_time
from core.config import Config
from core.errors import ConfigError, InvalidInput, NotFound, Refused
from core.models import ApprovalReply, CheckState, Content, utcnow
from core.store import Store, now_iso, rowid

MODES = ("all_any_order", "all_in_order", "any_one")
MAX_APPROVERS = 5
DEFAULT_CODE_HOURS = 48
CODE_RE = re.compile(r"^([A-Z2-7]{4})-?([A-Z2-7]{4})-?([A-Z2-7]{4})-?([A-Z2-7]{4})$")
EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")

# Row states: waiting (its code works), queued (in order, not asked yet), approved, rejected,
# withdrawn (a new round started, or another approver's yes made it unnecessary).


class ApprovalError(Refused):
    """An approval cannot be started; the message says why and what to do."""


class ApproverError(ApprovalError, InvalidInput):
    """The approvers named cannot be asked (none, too many, not an address)."""


class ApprovalNotFound(ApprovalError, NotFound):
    """No inbox row with that number."""


@dataclass
class ApprovalRequest:
    """One approver to ask: the mail to send carries this code."""

    approval_id: int
    reservation_id: int
    approver: str
    position: int
    code: str
    expires_at: str
    note: str = ""


@dataclass
class Decision:
    ok: bool
    message: str
    reservation_id: int | None = None
    next_requests: list[ApprovalRequest] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "message": self.message,
            "reservation_id": self.reservation_id,
            "next": [r.approver for r in self.next_requests],
        }


Notifier = Callable[[Store, Config, list[ApprovalRequest]], None]
_notifiers: list[Notifier] = []


def register_notifier(notifier: Notifier) -> None:
    """Let a channel (mail) tell the next approver when a decision asks one."""
    if notifier not in _notifiers:
        _notifiers.append(notifier)


# -- settings ------------------------------------------------------------------------------
@dataclass
class ApprovalSettings:
    mode: str = "all_any_order"
    code_hours: float = DEFAULT_CODE_HOURS
    check_sender: bool = True
    rules: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Config) -> "ApprovalSettings":
        table = config.section("approval")
        mode = str(table.get("mode", "all_any_order"))
        if mode not in MODES:
            raise ConfigError(f"{config.path}: [approval] mode must be one of {', '.join(MODES)}, not {mode!r}")
        rules = table.get("rules", {})
        if not isinstance(rules, dict):
            raise ConfigError(f"{config.path}: [approval.rules] must be a table")
        try:
            hours = float(table.get("code_hours", DEFAULT_CODE_HOURS))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{config.path}: [approval] code_hours must be a number of hours") from exc
        return cls(mode=mode, code_hours=hours, check_sender=bool(table.get("check_sender", True)), rules=rules)

    @property
    def default_approvers(self) -> list[str]:
        return [str(a) for a in self.rules.get("default_approvers", [])]


# -- rules: does this booking need approval? -------------------------------------------------
def needs_approval(
    facts_or_row: Any, outcomes: dict[str, Any], config: Config, settings: ApprovalSettings | None = None
) -> list[str]:
    """Why the config's ``[approval.rules]`` want a manager's yes for this booking ([] = not needed).

    ``facts_or_row`` is a ``StayFacts`` or an ``operator_reservations`` row;
    ``outcomes`` the checks by name, as ``CheckOutcome`` or as stored dicts.
    ``settings``, when given, are the config's already read (a batch reads them once).
    Cancellations never need approval.
    """
    rules = (settings or ApprovalSettings.from_config(config)).rules
    if not rules:
        return []
    get = (
        facts_or_row.get
        if isinstance(facts_or_row, dict)
        else lambda key, default=None: getattr(facts_or_row, key, default)
    )
    if str(get("content", "")) == Content.CANCEL:
        return []
    reasons: list[str] = []
    operator = str(get("operator", ""))
    if operator in [str(o) for o in rules.get("operators", [])]:
        reasons.append(f"operator {operator} always needs approval")
    if "min_persons" in rules:
        ages = get("child_ages", []) or []
        if isinstance(ages, str):
            ages = json.loads(ages)
        persons = int(get("adults", 0) or 0) + len(ages)
        if persons >= int(rules["min_persons"]):
            reasons.append(f"group of {persons} persons (approval from {int(rules['min_persons'])})")
    if rules.get("stop_sale") and _state(outcomes.get("stop_sale")) == CheckState.FAIL:
        reasons.append(f"stop-sale: {_message(outcomes.get('stop_sale'))}")
    if "price_mismatch_percent" in rules:
        percent = price_mismatch_percent(outcomes.get("price"))
        limit = float(rules["price_mismatch_percent"])
        if percent is not None and percent > limit:
            reasons.append(f"price differs from the contract by {percent:.1f}% (approval over {limit:g}%)")
    return reasons


def price_mismatch_percent(outcome: Any) -> float | None:
    """How far the operator's total is from the contract, in percent of the contract; None if not known."""
    if outcome is None or _state(outcome) != CheckState.MISMATCH:
        return None
    details = outcome.get("details", {}) if isinstance(outcome, dict) else outcome.details
    try:
        contract = abs(float(details["contract_total"]))
        difference = abs(float(details["difference"]))
    except (KeyError, TypeError, ValueError):
        return 100.0  # a mismatch without figures (other currency) counts as over any limit
    return 100.0 if contract == 0 else difference / contract * 100


def _state(outcome: Any) -> str:
    if outcome is None:
        return ""
    return str(outcome.get("state", "") if isinstance(outcome, dict) else outcome.state)


def _message(outcome: Any) -> str:
    return str(outcome.get("message", "") if isinstance(outcome, dict) else outcome.message)


def approval_flag(store: Store, reservation_id: int | None, reasons: list[str]) -> int:
    """``needs_approval`` for a re-checked row: the rules say so, or a round was started by hand."""
    if reasons:
        return 1
    if reservation_id is None:
        return 0
    return int(store.scalar("SELECT 1 FROM approvals WHERE reservation_id = ? LIMIT 1", (reservation_id,)) or 0)


# -- codes -------------------------------------------------------------------------------------
def approval_secret(store: Store, config: Config) -> bytes:
    """The HMAC key: ``[approval] secret_env`` / ``secret_file`` / ``secret``, else ``approval.key`` beside the config.

    Never in the store (issue 15): whoever reads the store must not be able to make codes. A key an
    older opdesk kept there is moved out first (``core.keys``), so codes already mailed still work.
    """
    from core.keys import KeyRing

    keys = store.keys if isinstance(store.keys, KeyRing) and store.keys.config is config else KeyRing(config)
    keys.move_approval_key_out(store)
    return keys.approval_key()


def _b32(data: bytes, chars: int) -> str:
    return base64.b32encode(data).decode().rstrip("=")[:chars]


def _mac(secret: bytes, code_id: str, reservation_id: int, approver: str, expires_at: str) -> str:
    message = f"{code_id}|{reservation_id}|{approver.lower()}|{expires_at}".encode()
    return _b32(hmac.new(secret, message, hashlib.sha256).digest(), 8)


def format_code(code_id: str, mac: str) -> str:
    return f"{code_id[:4]}-{code_id[4:]}-{mac[:4]}-{mac[4:]}"


def code_for(secret: bytes, row: dict[str, Any]) -> str:
    """The one-time code of an approvals row (recomputed: only the code id is stored)."""
    mac = _mac(secret, row["code_id"], row["reservation_id"], row["approver"], row["expires_at"])
    return format_code(row["code_id"], mac)


def split_code(code: str) -> tuple[str, str] | None:
    match = CODE_RE.match(code.strip().upper())
    if match is None:
        return None
    a, b, c, d = match.groups()
    return a + b, c + d


# -- starting ----------------------------------------------------------------------------------
def start(
    store: Store, config: Config, reservation_id: int, approvers: list[str], actor: Actor, *, note: str = ""
) -> list[ApprovalRequest]:
    """Start a round of approval; returns the requests to send now (all, or the first in order)."""
    settings = ApprovalSettings.from_config(config)
    approvers = _clean_approvers(approvers or settings.default_approvers)
    secret = approval_secret(store, config)
    with store.transaction() as c:
        row = store.one(
            "SELECT id, status, is_latest, voucher, operator, needs_approval FROM operator_reservations WHERE id = ?",
            (reservation_id,),
        )
        _check_startable(row, reservation_id)
        assert row is not None  # _check_startable refuses a missing row
        withdrawn = c.execute(
            "UPDATE approvals SET state = 'withdrawn', decided_at = ?, decided_via = 'restart' "
            "WHERE reservation_id = ? AND state IN ('waiting', 'queued')",
            (now_iso(), reservation_id),
        ).rowcount
        requests = []
        for position, approver in enumerate(approvers, start=1):
            first_or_all = settings.mode != "all_in_order" or position == 1
            requests.append(
                _add_row(
                    store,
                    secret,
                    reservation_id,
                    approver,
                    position,
                    settings,
                    actor,
                    note,
                    "waiting" if first_or_all else "queued",
                )
            )
        c.execute("UPDATE operator_reservations SET needs_approval = 1 WHERE id = ?", (reservation_id,))
        record(
            store,
            actor,
            "approval_start",
            reservation_id=reservation_id,
            before={"needs_approval": row["needs_approval"], **({"withdrawn": withdrawn} if withdrawn else {})},
            after={"needs_approval": 1, "mode": settings.mode, "approvers": approvers},
            detail=note,
        )
    return [r for r in requests if r.code]


def _clean_approvers(approvers: list[str]) -> list[str]:
    cleaned = list(dict.fromkeys(a.strip().lower() for a in approvers if a.strip()))
    if not cleaned:
        raise ApproverError(
            "name at least one approver (--approver EMAIL), or set [approval.rules] default_approvers in the config"
        )
    if len(cleaned) > MAX_APPROVERS:
        raise ApproverError(f"at most {MAX_APPROVERS} approvers, not {len(cleaned)}")
    bad = [a for a in cleaned if not EMAIL_RE.match(a)]
    if bad:
        raise ApproverError(f"not an e-mail address: {', '.join(bad)}")
    return cleaned


def _check_startable(row: dict[str, Any] | None, reservation_id: int) -> None:
    if row is None:
        raise ApprovalNotFound(f"no operator reservation #{reservation_id} (see: opdesk inbox --status all)")
    if not row["is_latest"]:
        raise ApprovalError(
            f"#{reservation_id} is an older version of voucher {row['voucher']}: ask for approval of the latest one"
        )
    if row["status"] != "pending":
        raise ApprovalError(f"#{reservation_id} is already {row['status']}: nothing to approve")


def _add_row(
    store: Store,
    secret: bytes,
    reservation_id: int,
    approver: str,
    position: int,
    settings: ApprovalSettings,
    actor: Actor,
    note: str,
    state: str,
) -> ApprovalRequest:
    code_id = _b32(secrets.token_bytes(5), 8)
    expires_at = _expiry(settings)
    cur = store.conn.execute(
        "INSERT INTO approvals(reservation_id, approver, position, mode, state, code_id, expires_at, note, "
        "requested_at, requested_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (reservation_id, approver, position, settings.mode, state, code_id, expires_at, note, now_iso(), actor.name),
    )
    code = format_code(code_id, _mac(secret, code_id, reservation_id, approver, expires_at))
    return ApprovalRequest(
        rowid(cur), reservation_id, approver, position, code if state == "waiting" else "", expires_at, note
    )


def _expiry(settings: ApprovalSettings) -> str:
    return (utcnow() + timedelta(hours=settings.code_hours)).isoformat(timespec="seconds")


def waiting_requests(store: Store, config: Config, reservation_id: int) -> list[ApprovalRequest]:
    """The requests of the current round whose codes still work (to send their mails again)."""
    secret = approval_secret(store, config)
    now = now_iso()
    return [
        ApprovalRequest(
            r["id"], r["reservation_id"], r["approver"], r["position"], code_for(secret, r), r["expires_at"], r["note"]
        )
        for r in current_round(store, reservation_id)
        if r["state"] == "waiting" and r["expires_at"] > now
    ]


# -- reading -----------------------------------------------------------------------------------
def current_round(store: Store, reservation_id: int) -> list[dict[str, Any]]:
    """The approvals rows of the latest round, by position."""
    first = store.scalar("SELECT MAX(id) FROM approvals WHERE reservation_id = ? AND position = 1", (reservation_id,))
    if first is None:
        return []
    return store.all(
        "SELECT * FROM approvals WHERE reservation_id = ? AND id >= ? ORDER BY position", (reservation_id, first)
    )


def round_state(rows: list[dict[str, Any]], now: str | None = None) -> str:
    """none, waiting, approved, rejected or expired for one round."""
    if not rows:
        return "none"
    now = now or now_iso()
    mode = rows[0]["mode"]
    approved = [r for r in rows if r["state"] == "approved"]
    rejected = [r for r in rows if r["state"] == "rejected"]
    if mode == "any_one":
        if approved:
            return "approved"
        if len(rejected) == len(rows):
            return "rejected"
    else:
        if rejected:
            return "rejected"
        if len(approved) == len(rows):
            return "approved"
    live = [r for r in rows if r["state"] == "queued" or (r["state"] == "waiting" and r["expires_at"] > now)]
    return "waiting" if live else "expired"


def approval_block(store: Store, reservation_id: int) -> str | None:
    """Why approval still stops this row from being saved or confirmed; None when it does not."""
    rows = current_round(store, reservation_id)
    state = round_state(rows)
    if state == "approved":
        return None
    if state == "none":
        return f"needs approval: opdesk approval start {reservation_id} --approver EMAIL"
    if state == "rejected":
        who = [r for r in rows if r["state"] == "rejected"]
        comment = f": {who[0]['comment']}" if who[0]["comment"] else ""
        return f"approval rejected by {', '.join(r['approver'] for r in who)}{comment}"
    if state == "expired":
        return (
            f"approval expired before everyone answered: start again: "
            f"opdesk approval start {reservation_id} --approver EMAIL"
        )
    return _waiting_text(rows)


def _waiting_text(rows: list[dict[str, Any]]) -> str:
    waiting = [r["approver"] for r in rows if r["state"] == "waiting"]
    if rows[0]["mode"] == "any_one":
        return f"waiting for approval by any of {', '.join(waiting)}"
    done = sum(r["state"] == "approved" for r in rows)
    return f"waiting for approval by {', '.join(waiting)} ({done} of {len(rows)} approved)"


# -- deciding ----------------------------------------------------------------------------------
def decide(
    store: Store, config: Config, code: str, decision: str, actor: Actor, *, comment: str = "", sender: str = ""
) -> Decision:
    """Record an approver's decision given with their one-time code.

    Refused (``ok`` False, an audit row written): a malformed, unknown, forged,
    expired or already used code, a queued approver's code (not their turn),
    and, for e-mail, a sender other than the approver.
    """
    decision = decision.strip().lower()
    if decision not in ("approve", "reject"):
        return Decision(False, f"decision must be approve or reject, not {decision!r}")
    settings = ApprovalSettings.from_config(config)
    secret = approval_secret(store, config)
    with store.transaction():
        row, refusal = _find_code(store, secret, code)
        if refusal is None:
            assert row is not None  # _find_code refuses when it finds no row
            refusal = _refusal(row, actor, sender, settings)
        if refusal is not None:
            record(
                store,
                actor,
                "approval_refused",
                reservation_id=row["reservation_id"] if row else None,
                after={"code": _code_id_of(code), "decision": decision, "sender": sender},
                detail=refusal,
            )
            return Decision(False, refusal, row["reservation_id"] if row else None)
        assert row is not None
        return _apply(store, secret, settings, row, decision, actor, comment)


def _code_id_of(code: str) -> str:
    parts = split_code(code)
    return parts[0] if parts else code.strip()[:40]


def _find_code(store: Store, secret: bytes, code: str) -> tuple[dict[str, Any] | None, str | None]:
    parts = split_code(code)
    if parts is None:
        return None, f"{code.strip()[:40]!r} is not an approval code (they look like ABCD-EFGH-IJKL-MNOP)"
    code_id, mac = parts
    row = store.one("SELECT * FROM approvals WHERE code_id = ?", (code_id,))
    if row is None:
        return None, f"unknown approval code {format_code(code_id, mac)}"
    expected = _mac(secret, code_id, row["reservation_id"], row["approver"], row["expires_at"])
    if not hmac.compare_digest(expected, mac):
        return row, f"approval code {format_code(code_id, mac)} is not valid (its signature does not match)"
    return row, None


def _refusal(row: dict[str, Any], actor: Actor, sender: str, settings: ApprovalSettings) -> str | None:
    rid, who = row["reservation_id"], row["approver"]
    if row["state"] in ("approved", "rejected"):
        used = hotel_time(row["decided_at"], timezone.utc)
        return f"this code was already used: {who} {row['state']} #{rid} at {used}"
    if row["state"] == "withdrawn":
        return f"this code no longer counts for #{rid}: the request to {who} was withdrawn"
    if row["state"] == "queued":
        return f"not {who}'s turn yet on #{rid}: the approvers before them have not all approved"
    if row["expires_at"] <= now_iso():
        return (
            f"this code expired at {hotel_time(row['expires_at'], timezone.utc)}: ask again with: "
            f"opdesk approval start {rid} --approver {who}"
        )
    if actor.origin == "email" and settings.check_sender and sender.lower() != who.lower():
        return f"the answer for #{rid} came from {sender or '(no sender)'}, not from the approver {who}"
    return None


def _apply(
    store: Store,
    secret: bytes,
    settings: ApprovalSettings,
    row: dict[str, Any],
    decision: str,
    actor: Actor,
    comment: str,
) -> Decision:
    state = "approved" if decision == "approve" else "rejected"
    rid = row["reservation_id"]
    changed = store.conn.execute(
        "UPDATE approvals SET state = ?, decided_at = ?, decided_via = ?, comment = ? WHERE id = ? "
        "AND state = 'waiting'",
        (state, now_iso(), actor.origin, comment, row["id"]),
    ).rowcount
    if not changed:  # another process used it between our read and our write
        return Decision(False, "this code was already used", rid)
    record(
        store,
        actor,
        f"approval_{decision}",
        reservation_id=rid,
        before={"approver": row["approver"], "state": "waiting"},
        after={"approver": row["approver"], "state": state, **({"comment": comment} if comment else {})},
        detail=f"position {row['position']}",
    )
    rows = current_round(store, rid)
    next_requests = _advance(store, secret, settings, rows) if state == "approved" else []
    outcome = round_state(current_round(store, rid))
    text = f"{state} #{rid} by {row['approver']}"
    if outcome == "approved":
        text += ": approval complete"
    elif outcome == "waiting":
        text += f"; {_waiting_text(current_round(store, rid))}"
    return Decision(True, text, rid, next_requests)


def _advance(
    store: Store, secret: bytes, settings: ApprovalSettings, rows: list[dict[str, Any]]
) -> list[ApprovalRequest]:
    """After a yes: withdraw the rest (any_one) or ask the next approver (all_in_order)."""
    mode = rows[0]["mode"]
    if mode == "any_one":
        store.conn.execute(
            "UPDATE approvals SET state = 'withdrawn', decided_at = ?, decided_via = 'not needed' "
            f"WHERE id IN ({','.join('?' * len(rows))}) AND state = 'waiting'",
            (now_iso(), *[r["id"] for r in rows]),
        )
        return []
    if mode != "all_in_order":
        return []
    queued = [r for r in rows if r["state"] == "queued"]
    if not queued or any(r["state"] == "waiting" for r in rows):
        return []
    nxt = queued[0]
    expires_at = _expiry(settings)
    store.conn.execute(
        "UPDATE approvals SET state = 'waiting', expires_at = ?, requested_at = ? WHERE id = ?",
        (expires_at, now_iso(), nxt["id"]),
    )
    nxt = {**nxt, "expires_at": expires_at}
    return [
        ApprovalRequest(
            nxt["id"],
            nxt["reservation_id"],
            nxt["approver"],
            nxt["position"],
            code_for(secret, nxt),
            expires_at,
            nxt["note"],
        )
    ]


def notify(store: Store, config: Config, requests: list[ApprovalRequest]) -> list[str]:
    """Hand new requests to the registered channels; returns the problems (a decision stands regardless)."""
    problems = []
    for notifier in list(_notifiers):
        try:
            notifier(store, config, requests)
        except Exception as exc:  # noqa: BLE001 - the decision is recorded; sending again is possible
            problems.append(str(exc) or type(exc).__name__)
    return problems


def decide_by_reply(store: Store, config: Config, reply: ApprovalReply) -> str:
    """Record a decision that came by e-mail (called by core.ingest); a one-line account of it."""
    actor = Actor(reply.sender or "unknown sender", "email")
    outcome = decide(store, config, reply.code, reply.decision, actor, comment=reply.comment, sender=reply.sender)
    if not outcome.ok:
        return f"approval reply refused: {outcome.message}"
    problems = notify(store, config, outcome.next_requests) if outcome.next_requests else []
    return outcome.message + (f" (next approver not told: {'; '.join(problems)})" if problems else "")


def approvals_json(store: Store, reservation_id: int) -> dict[str, Any]:
    """The approval shape for ``--json`` and the detail pane: round state, block, and every approver."""
    rows = current_round(store, reservation_id)
    return {
        "reservation_id": reservation_id,
        "state": round_state(rows),
        "mode": rows[0]["mode"] if rows else None,
        "block": approval_block(store, reservation_id),
        "approvers": [
            {
                k: r[k]
                for k in (
                    "position",
                    "approver",
                    "state",
                    "requested_at",
                    "requested_by",
                    "expires_at",
                    "decided_at",
                    "decided_via",
                    "comment",
                    "note",
                )
            }
            for r in rows
        ],
    }
