"""Test support: a configured desk with a drop folder, bookings to feed it, a scan of the folder.

Import the fixture in a conftest.py: ``from support.desk import desk  # noqa: F401``.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.canonical import dumps_canonical
from connectors.scan_loop import scan_with_store
from core.config import Config, load_config
from core.hotelbook import set_room_type
from core.mapping import set_mapping
from core.models import Content, Guest, OperatorBooking
from core.store import Store

TODAY = date.today()


def booking(
    voucher: str = "V100",
    content: Content = Content.NEW,
    *,
    room: str = "DZ",
    days_ahead: int = 30,
    nights: int = 7,
    adults: int = 2,
    surname: str = "Yılmaz",
    total: str | None = "980.00",
    **kw,
) -> OperatorBooking:
    check_in = TODAY + timedelta(days=days_ahead)
    return OperatorBooking(
        voucher=voucher,
        content=content,
        agency="TUI",
        check_in=check_in,
        check_out=check_in + timedelta(days=nights),
        adults=adults,
        room=room,
        board="AI",
        rate="TUI26",
        guests=[Guest("Ayşe", surname), Guest("Mehmet", surname)],
        total=Decimal(total) if total else None,
        currency="EUR",
        sale_date=TODAY,
        **kw,
    )


@pytest.fixture
def desk(tmp_path: Path) -> Config:
    """A config file with one folder operator ``tui`` and a store with a room type and mappings."""
    return make_desk(tmp_path)


def make_desk(base: Path) -> Config:
    """The ``desk`` fixture's desk, in ``base`` (made if missing): for a test that needs two."""
    base.mkdir(parents=True, exist_ok=True)
    (base / "drop").mkdir()
    (base / "opdesk.toml").write_text(
        '[hotel]\nname = "Test Hotel"\nnumber_prefix = "T"\n[store]\npath = "opdesk.db"\n'
        '[[operators]]\nname = "tui"\nkind = "folder"\npath = "drop"\n'
    )
    cfg = load_config(base / "opdesk.toml")
    with Store(cfg.store_path, cfg.documents_dir) as store:
        set_room_type(store, "STD", "Standard", 10)
        for kind, code, hotel in (
            ("room", "DZ", "STD"),
            ("board", "AI", "AI"),
            ("rate", "TUI26", "TUI26"),
            ("agency", "TUI", "TUI"),
        ):
            set_mapping(store, "tui", kind, code, hotel)
    return cfg


def drop(cfg: Config, name: str, *bookings: OperatorBooking) -> Path:
    path = cfg.base_dir / "drop" / name
    path.write_bytes(dumps_canonical(list(bookings)))
    return path


def scan(cfg: Config, operator: str = "tui") -> list:
    """The folder connector through the scan loop, as a scan runs it: the IngestResult of each message."""
    results: list = []
    with Store(cfg.store_path, cfg.documents_dir) as store:
        run = scan_with_store(store, cfg, cfg.operator(operator), results=results)
    assert run.state == "ok", run.last_error
    return results
