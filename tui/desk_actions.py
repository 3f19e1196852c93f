"""Desk operations that also send: answers to operators and approval mails, for the app, the CLI and the web page.

The store's half of each operation is in ``core.desk``; this module adds what
goes out over the connectors: a confirmation or rejection through the
operator's connector (``ConnectorReplier``), the approvers' mails. Screens and
commands call these functions and never send anything themselves. Run them
off the UI thread: they talk to servers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.base import Reply, connector_for
from connectors.mail.approval_mail import send_requests
from core import desk
from core.approval import ApprovalRequest
from core.audit import Actor
from core.config import Config
from core.desk import ActionOutcome, Delivery, Replier
from core.errors import ConfigError, ConnectorError
from core.inbox import raw_row, reservation_rooms
from core.ingest import raw_from_row
from core.overrides import NONE, Overrides
from core.store import Store


class ConnectorReplier:
    """A ``core.desk.Replier`` that answers through the operator's configured connector."""

    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config

    def __call__(self, action: str, reservation: dict[str, Any], *, hotel_number: str, reason: str) -> Delivery:
        operator = self.config.operator(reservation["operator"])
        if operator is None:
            return Delivery(False, "not sent: operator not configured (tell them yourself)")
        connector = connector_for(operator, self.config)
        stored = raw_row(self.store, reservation["raw_id"])
        reply = Reply(
            operator=operator.name,
            voucher=reservation["voucher"],
            hotel_number=hotel_number,
            reason=reason,
            raw=raw_from_row(stored) if stored else None,
            reservation=reservation,
            rooms=reservation_rooms(self.store, reservation["id"]),
        )
        return connector.answer(action, reply)


def confirm(
    store: Store,
    config: Config,
    ids: list[int],
    actor: Actor,
    replier: Replier | None = None,
    overrides: Overrides = NONE,
) -> list[ActionOutcome]:
    """Save each row into the hotel book and tell its operator (``core.desk.confirm`` over the connectors).

    ``overrides`` waves failed ``values`` / ``stop_sale`` checks through for every row (audited).
    """
    return desk.confirm(store, config, ids, actor, replier or ConnectorReplier(store, config), overrides)


def reject(
    store: Store, config: Config, ids: list[int], actor: Actor, reason: str, replier: Replier | None = None
) -> list[ActionOutcome]:
    """Reject rows with a reason and tell each operator."""
    return desk.reject(store, config, ids, actor, reason, replier or ConnectorReplier(store, config))


@dataclass
class ApprovalAsked:
    """An approval round that started; ``mail_error`` says why its mails did not go ('' when they did)."""

    reservation_id: int
    requests: list[ApprovalRequest] = field(default_factory=list)
    mail_error: str = ""
    mailed: bool = False

    def outcome(self) -> ActionOutcome:
        """The line the app shows."""
        rid = self.reservation_id
        if self.mail_error:
            message = f"approval started but not mailed: {self.mail_error} (opdesk approval send {rid})"
        else:
            message = f"approval asked of {', '.join(r.approver for r in self.requests)}"
        return ActionOutcome(rid, "approval", True, message, sent=self.mailed)


def ask_approval(
    store: Store,
    config: Config,
    reservation_id: int,
    approvers: list[str],
    actor: Actor,
    *,
    note: str = "",
    mail: bool = True,
) -> ApprovalAsked:
    """Start an approval round and mail each approver their code (``mail=False``: hand the codes over yourself).

    Raises what ``core.desk.start_approval`` raises when the round cannot start;
    a mail that does not go is reported, not raised: the round stands.
    """
    requests = desk.start_approval(store, config, reservation_id, approvers, actor, note=note)
    asked = ApprovalAsked(reservation_id, requests)
    if mail:
        asked.mail_error = mail_approvers(store, config, requests, desk.approval_reasons(store, config, reservation_id))
        asked.mailed = not asked.mail_error
    return asked


def mail_approvers(
    store: Store, config: Config, requests: list[ApprovalRequest], reasons: list[str] | None = None
) -> str:
    """Mail approval requests (with why the row needs approval); '' when sent, else what went wrong.

    The approval itself stands either way: ``opdesk approval send`` mails again.
    """
    try:
        send_requests(store, config, requests, reasons)
    except (ConnectorError, ConfigError) as exc:
        return str(exc)
    return ""
