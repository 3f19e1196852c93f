"""Run the PMS outlet: the configured sender over ``core.pms``'s queue."""

from __future__ import annotations

from datetime import datetime

from connectors.pms.files import FilesSender
from connectors.pms.ota import OtaSender
from core.audit import Actor
from core.config import Config
from core.models import utcnow
from core.pms import SendReport, pms_settings, send_waiting
from core.store import Store


def send(
    store: Store,
    config: Config,
    actor: Actor,
    *,
    now: datetime | None = None,
    only_due: bool = False,
    include_failed: bool = False,
) -> SendReport:
    """Deliver what waits for the PMS with the sender ``[pms] kind`` names; ``ConfigError`` for a bad ``[pms]``."""
    settings = pms_settings(config)
    sender: FilesSender | OtaSender = FilesSender(settings) if settings.kind == "files" else OtaSender(settings)
    try:
        return send_waiting(
            store, settings, sender, now or utcnow(), actor, only_due=only_due, include_failed=include_failed
        )
    finally:
        sender.close()
