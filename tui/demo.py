"""``opdesk demo``: a demo hotel with operators, contracts and ~500 bookings, then the app.

The demo lives in one folder: ``opdesk.toml`` (its config), ``opdesk.db``,
the operators' drop folders, and the hotel's PMS export. Running it again
opens the same demo; ``--fresh`` makes it anew.
"""

from __future__ import annotations

import asyncio
import csv
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

from core import demo
from core.audit import Actor
from core.config import Config, load_config
from core.hotelbook import add_stop_sale, import_reservations, set_hotel_code, set_room_type
from core.ingest import Ingestor, recheck
from core.mapping import set_mapping
from core.models import OperatorBooking
from core.store import Store

ACTOR = Actor("demo", "system")


def config_text(hotel: dict) -> str:
    operators = "\n".join(
        f'[[operators]]\nname = "{op.name}"\ntitle = "{op.title}"\nkind = "folder"\n'
        f'path = "drop/{op.name}"\n# in production: kind = "{op.kind}"\n'
        for op in demo.OPERATORS)
    return f"""# opdesk demo hotel. Every setting is explained in config.example.toml.
[hotel]
name = "{hotel['name']}"
code = "{hotel['code']}"
currency = "{hotel['currency']}"
timezone = "{hotel['timezone']}"
number_prefix = "SB"

[store]
path = "opdesk.db"
documents = "documents"

[checks]
release_days = 3

[pricing]
tolerance_percent = 1
tolerance_amount = 1.00

{operators}"""


def build(folder: Path, *, count: int = 500, today: date | None = None, seed: int = 7,
          progress=print) -> Config:
    """Make the demo hotel in ``folder`` and scan its operators' messages into the store."""
    today = today or date.today()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "opdesk.toml").write_text(config_text(demo.HOTEL))
    config = load_config(folder / "opdesk.toml")
    store = Store(config.store_path, config.documents_dir)
    try:
        progress("hotel: room types, boards, markets, operators' codes")
        _hotel(store)
        contracts = _contracts(store, config, today)
        progress("contracts: " + ("loaded" if contracts else "pricing engine not available, skipped"))
        made = demo.generate(today, count=count, seed=seed, pricer=_pricer(contracts))
        _pms(store, folder, made.pms)
        for room, start, end, operator, reason in made.stop_sales:
            add_stop_sale(store, ACTOR, start, end, room, operator, reason)
        files = _drop_files(folder, made.messages)
        progress(f"operators: {files} messages waiting in drop folders")
        results = asyncio.run(_scan_folders(store, config))
        progress(f"scanned: {results}")
        recheck(store, config)
    finally:
        store.close()
    return config


def _hotel(store: Store) -> None:
    for code, name, capacity, _, _ in demo.ROOM_TYPES:
        set_room_type(store, code, name, capacity)
    for code, name in demo.BOARDS:
        set_hotel_code(store, "board", code, name)
    for code, name in demo.MARKETS:
        set_hotel_code(store, "market", code, name)
    for op in demo.OPERATORS:
        set_hotel_code(store, "rate", op.rate_code, f"{op.title} 2026/27")
        set_hotel_code(store, "agency", op.agency, op.title)
    for operator, kind, code, hotel_code in demo.mappings():
        set_mapping(store, operator, kind, code, hotel_code)


def _contracts(store: Store, config: Config, today: date):
    """Load the demo contracts into the store, when the pricing engine is installed."""
    try:
        from core.pricing import load_contracts
        from core.pricing.demo import demo_contracts_toml
        from core.pricing.store import activate_contracts
    except ImportError:
        return None
    text = demo_contracts_toml(today)
    contract_set = load_contracts(text, source="demo contracts")
    activate_contracts(store, text, source="demo contracts", actor=ACTOR)
    return contract_set


def _pricer(contract_set):
    if contract_set is None:
        return demo.simple_price
    from core.pricing import QuoteRequest, quote

    def price(op: demo.DemoOperator, booking: OperatorBooking, hotel_room: str, hotel_board: str) -> Decimal | None:
        answer = quote(contract_set, QuoteRequest(
            rate_code=op.rate_code, room_type=hotel_room, board=hotel_board, check_in=booking.check_in,
            nights=booking.nights, adults=booking.adults, child_ages=list(booking.child_ages),
            booked=booking.sale_date, market=booking.market, agency=op.agency))
        return answer.totals.price * booking.rooms if answer.ok else None

    return price


def _pms(store: Store, folder: Path, rows: list[dict]) -> None:
    path = folder / "pms-export.csv"
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = import_reservations(store, path, ACTOR)
    if report.errors:
        raise RuntimeError("; ".join(report.errors))


def _drop_files(folder: Path, messages: dict[str, list[OperatorBooking]]) -> int:
    """Write each operator's messages as the files it would send: OTA XML for TUI, JSON for the rest."""
    from connectors.canonical import dumps_canonical

    try:
        from connectors.ota.writer import booking_to_ota_xml
    except ImportError:
        booking_to_ota_xml = None
    count = 0
    for name, bookings in messages.items():
        drop = folder / "drop" / name
        drop.mkdir(parents=True, exist_ok=True)
        for i, booking in enumerate(bookings):
            if name == "tui" and booking_to_ota_xml is not None:
                path, body = drop / f"{i:04d}-{booking.voucher}.xml", booking_to_ota_xml([booking])
            else:
                path, body = drop / f"{i:04d}-{booking.voucher}.json", dumps_canonical([booking])
            path.write_bytes(body)
            count += 1
    return count


async def _scan_folders(store: Store, config: Config) -> dict[str, int]:
    """Fetch every drop folder, ingest, and file the messages away (the folder connector's own loop)."""
    from connectors.base import FetchContext, connector_for

    totals = {"messages": 0, "new": 0, "changed": 0, "cancelled": 0, "errors": 0}
    ingestor = Ingestor(store, config)
    for op in config.operators:
        connector = connector_for(op, config)
        ctx = FetchContext(http=None, config=config)
        async for raw in connector.fetch(ctx):
            result = ingestor.ingest(raw, connector.parse)
            await connector.acknowledge(raw, result, ctx)
            totals["messages"] += 1
            totals["new"] += result.new
            totals["changed"] += result.changed
            totals["cancelled"] += result.cancelled
            totals["errors"] += not result.ok
    return totals


def prepare(folder: Path, *, fresh: bool = False, count: int = 500, progress=print) -> Config:
    """The demo in ``folder``: made if missing (or ``fresh``), else opened as it is."""
    if fresh and folder.exists():
        shutil.rmtree(folder)
    if (folder / "opdesk.toml").exists() and (folder / "opdesk.db").exists():
        return load_config(folder / "opdesk.toml")
    return build(folder, count=count, progress=progress)
