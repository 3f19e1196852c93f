"""Sending confirmations and rejections through each operator's connector."""

from __future__ import annotations

from typing import Any

from connectors.base import Reply, connector_for
from core.actions import Delivery
from core.config import Config
from core.inbox import raw_row
from core.ingest import raw_from_row
from core.store import Store


class ConnectorReplier:
    """A ``core.actions.Replier`` that answers through the operator's configured connector."""

    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config

    def __call__(self, action: str, reservation: dict[str, Any], *, hotel_number: str, reason: str) -> Delivery:
        operator = self.config.operator(reservation["operator"])
        if operator is None:
            return Delivery(False, "not sent: operator not configured (tell them yourself)")
        connector = connector_for(operator, self.config)
        stored = raw_row(self.store, reservation["raw_id"])
        reply = Reply(operator=operator.name, voucher=reservation["voucher"], hotel_number=hotel_number,
                      reason=reason, raw=raw_from_row(stored) if stored else None, reservation=reservation)
        return connector.answer(action, reply)
