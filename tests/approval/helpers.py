"""Helpers for the approval tests: put a booking in the inbox, run the CLI on a config."""

from __future__ import annotations

from datetime import datetime, timezone

import tomlkit
from typer.testing import CliRunner

from core.config import Config
from core.ingest import Ingestor
from core.models import OperatorBooking, RawMessage
from core.store import Store
from tui.cli import app

runner = CliRunner()


def add_booking(
    store: Store,
    config: Config,
    booking: OperatorBooking,
    *,
    operator: str = "tui",
    received_at: datetime | None = None,
) -> int:
    """Ingest one booking as if ``operator`` had sent it; returns the inbox row id."""
    raw = RawMessage(
        body=f"{booking.voucher} {booking.content} {received_at} {booking.total}".encode(),
        operator=operator,
        channel="test",
        received_at=received_at or datetime.now(timezone.utc),
    )
    result = Ingestor(store, config).ingest(raw, lambda _raw: [booking])
    assert result.reservation_ids, result.error
    return result.reservation_ids[-1]


def write_config(config: Config) -> Config:
    config.path.write_text(tomlkit.dumps(config.data))
    return config


def cli(config: Config, *args: str, actor: str = "front-desk"):
    return runner.invoke(app, ["--config", str(config.path), "--as", actor, *args])
