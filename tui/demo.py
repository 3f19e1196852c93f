"""``opdesk demo``: a demo hotel with operators, contracts and ~500 bookings, then the app.

The demo lives in one folder: ``opdesk.toml`` (its config), ``opdesk.db``,
drop folders for the operators that mail their bookings, and the hotel's PMS
export. The API operators are loopback simulators running inside the demo
process: the first time they hold the demo's booking history, and while the
app is open they keep sending new bookings, changes and cancellations.
Running the demo again opens the same hotel; ``--fresh`` makes it anew.
"""

from __future__ import annotations

import asyncio
import csv
import shutil
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterator

import tomlkit

from core import demo
from core.audit import Actor
from core.config import Config, load_config
from core.hotelbook import (
    add_stop_sale,
    import_reservations,
    set_hotel_code,
    set_room_type,
)
from core.inbox import pending_ids
from core.mapping import set_mapping
from core.models import OperatorBooking
from core.pricing import load_contracts
from core.pricing.demo import demo_contracts_toml
from core.private import write_private
from core.store import Store, open_store

ACTOR = Actor("demo", "system")
CONFIG_HEAD = """\
# The opdesk demo hotel. opdesk demo writes this file on every start (the
# simulated operators get new loopback ports): edit a copy, not this one.
# The simulated operators answer only while opdesk demo runs; scanning them
# afterwards reports "cannot connect" for each. The drop folders always work.
# Every setting is explained in config.example.toml.
"""


@dataclass
class RunningDemo:
    config: Config
    stop: Callable[[], None]
    scanned: dict[str, int]


def _settings(hotel: dict) -> dict:
    return {
        "hotel": {
            "name": hotel["name"],
            "code": hotel["code"],
            "currency": hotel["currency"],
            "timezone": hotel["timezone"],
            "number_prefix": "SB",
        },
        "store": {"path": "opdesk.db", "documents": "documents"},
        "checks": {"release_days": 3},
        "pricing": {"tolerance_percent": 1, "tolerance_amount": 1.0},
        "scan": {"operator_timeout": 60, "request_timeout": 10, "retries": 2},
        "app": {"auto_scan_seconds": 20},
    }


def _folder_entry(op: demo.DemoOperator) -> dict:
    return {"name": op.name, "title": f"{op.title} (mail export)", "kind": "folder", "path": f"drop/{op.name}"}


def _write_config(folder: Path, entries: list[dict]) -> Config:
    doc = tomlkit.document()
    for key, table in _settings(demo.HOTEL).items():
        doc[key] = table
    if entries:
        aot = tomlkit.aot()
        for entry in entries:
            aot.append(tomlkit.item(entry))
        doc["operators"] = aot
    path = folder / "opdesk.toml"
    write_private(path, (CONFIG_HEAD + "\n" + tomlkit.dumps(doc)).encode())
    return load_config(path)


def _pricer(contract_set):
    if contract_set is None:
        return demo.simple_price
    from core.pricing import QuoteRequest, quote

    def price(op: demo.DemoOperator, booking: OperatorBooking, hotel_room: str, hotel_board: str) -> Decimal | None:
        nights = booking.nights
        if booking.check_in is None or nights is None:
            return None  # no stay to price from the contracts: the generator prices it simply
        answer = quote(
            contract_set,
            QuoteRequest(
                rate_code=op.rate_code,
                room_type=hotel_room,
                board=hotel_board,
                check_in=booking.check_in,
                nights=nights,
                adults=booking.adults,
                child_ages=list(booking.child_ages),
                booked=booking.sale_date,
                market=booking.market,
                agency=op.agency,
            ),
        )
        return answer.totals.price * booking.rooms if answer.ok else None

    return price


def _contract_set(today: date):
    text = demo_contracts_toml(today)
    return load_contracts(text, source="demo contracts"), text


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


def _pms(store: Store, folder: Path, rows: list[dict]) -> None:
    path = folder / "pms-export.csv"
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = import_reservations(store, path, ACTOR)
    if report.errors:
        raise RuntimeError("; ".join(report.errors))


def _drop_files(folder: Path, op: demo.DemoOperator, bookings: list[OperatorBooking]) -> None:
    from connectors.canonical import dumps_canonical

    drop = folder / "drop" / op.name
    drop.mkdir(parents=True, exist_ok=True)
    for i, booking in enumerate(bookings):
        (drop / f"{i:04d}-{booking.voucher}.json").write_bytes(dumps_canonical([booking]))


def _supplies(today: date, pricer) -> dict[str, Iterator[OperatorBooking]]:
    return {
        op.name: demo.stream(op, today, seed=len(op.name), pricer=pricer)
        for op in demo.OPERATORS
        if op.demo_kind != "folder"
    }


def _decide_some(config: Config) -> dict[str, int]:
    """Yesterday's work: about a third of the clean new bookings confirmed (the operators are told),
    and the stop-sale hits rejected, so the hotel book, forecast and dashboard have something in them."""
    from tui.desk_actions import confirm, reject

    with open_store(config) as store:
        clean = pending_ids(store, clean_new=True)
        confirmed = [o for o in confirm(store, config, clean[::3], ACTOR) if o.ok]
        stopped = pending_ids(store, failed_check="stop_sale", limit=3)
        rejected = [o for o in reject(store, config, stopped, ACTOR, "closed for sale on these dates") if o.ok]
    return {"confirmed": len(confirmed), "rejected": len(rejected)}


def _spread_history(config: Config, today: date) -> None:
    """Spread the history's arrivals over four weeks (``core.demo.spread_history``)."""
    with open_store(config) as store:
        demo.spread_history(store, today)


def _fill_history(config: Config, rows: int, today: date, progress: Callable[[str], None]) -> None:
    """Bring the store up to ``rows`` operator reservations: a chain's earlier years, written in bulk (core.bulk)."""
    from core import bulk

    with Store(config.store_path, config.documents_dir) as store:
        held = bulk.reservation_count(store)
        if held >= rows:
            progress(f"history: the store already holds {held:,} rows (asked for {rows:,})")
            return
        wanted = rows - held
        step = max(wanted // 10, bulk.BATCH)

        def report(done: int) -> None:
            if done % step < bulk.BATCH or done == wanted:
                progress(f"history: {done:,} of {wanted:,} rows written")

        bulk.fill(store, wanted, today=today, progress=report)
        progress(
            f"history: {rows:,} rows in the store, from {len(bulk.OPERATORS)} operators over the last "
            f"{bulk.span_days(wanted):,} days"
        )


def start(
    folder: Path,
    *,
    fresh: bool = False,
    count: int = 500,
    rows: int = 0,
    today: date | None = None,
    progress: Callable[[str], None] = print,
) -> RunningDemo:
    """Make the demo in ``folder`` (unless it exists), start its simulated operators and scan them once.

    ``rows`` fills the store up to that many operator reservations with years of history in bulk.
    """
    from connectors.scan import scan
    from connectors.simulate.demo import start_simulators

    today = today or date.today()
    if fresh and folder.exists():
        shutil.rmtree(folder)
    first_time = not (folder / "opdesk.db").exists()
    folder.mkdir(parents=True, exist_ok=True)
    contract_set, contracts_text = _contract_set(today)
    pricer = _pricer(contract_set)
    history: dict[str, list[OperatorBooking]] = {}
    if first_time:
        made = demo.generate(today, count=count, pricer=pricer)
        config = _write_config(folder, [])
        with open_store(config) as store:
            progress("hotel: room types, boards, markets and the operators' codes")
            _hotel(store)
            if contracts_text:
                from core.pricing.store import activate_contracts

                activate_contracts(store, contracts_text, source="demo contracts", actor=ACTOR)
                progress("contracts: a rate code per operator, three seasons, early booking, stay 7 pay 6")
            _pms(store, folder, made.pms)
            for room, begin, end, operator, reason in made.stop_sales:
                add_stop_sale(store, ACTOR, begin, end, room, operator, reason)
        for op in demo.OPERATORS:
            if op.demo_kind == "folder":
                _drop_files(folder, op, made.messages[op.name])
            else:
                history[op.name] = made.messages[op.name]
    simulated = [op.name for op in demo.OPERATORS if op.demo_kind != "folder"]
    entries, stop = start_simulators(
        simulated, initial=0, churn=0.3, today=today, history=history, supply=_supplies(today, pricer)
    )
    by_name = {e["name"]: e for e in entries}
    config = _write_config(folder, [by_name.get(op.name) or _folder_entry(op) for op in demo.OPERATORS])
    progress(
        f"operators: {', '.join(simulated)} simulated on 127.0.0.1; "
        f"{', '.join(op.name for op in demo.OPERATORS if op.demo_kind == 'folder')} by drop folder"
    )
    try:
        runs = asyncio.run(scan(config))
    except BaseException:
        stop()
        raise
    if first_time:
        decided = _decide_some(config)
        _spread_history(config, today)
        progress(f"the desk already confirmed {decided['confirmed']} and rejected {decided['rejected']} of them")
    if rows:
        _fill_history(config, rows, today, progress)
    scanned = {
        "messages": sum(r.total for r in runs),
        "new": sum(r.new for r in runs),
        "changed": sum(r.changed for r in runs),
        "cancelled": sum(r.cancelled for r in runs),
        "errors": sum(r.errors for r in runs),
    }
    progress(
        f"scanned: {scanned['messages']} messages, {scanned['new']} new, {scanned['changed']} changed, "
        f"{scanned['cancelled']} cancelled, {scanned['errors']} errors"
    )
    return RunningDemo(config, stop, scanned)
