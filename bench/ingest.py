"""Ingest throughput: N generated bookings through the full pipeline vs a plain insert.

The pipeline stores each raw message, parses it (opdesk JSON), versions it,
maps its codes, runs every check and writes the row, its guests and nights, as
``opdesk ingest`` of many files does: a stream of batches of ``--batch`` bookings
(``Ingestor.ingest_stream``), a writer process committing each batch while the next
is worked out, the time until the last one is committed and the store closed.
The baseline inserts the same rows (raw message, reservation, guests, nights)
with sqlite-utils ``insert_all``, in the same run, doing none of the work. Prints bookings/s and the ratio.

    python bench/ingest.py [--n 20000] [--batch 500]
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import sqlite_utils

from connectors.canonical import booking_to_canonical, dumps_canonical, parse_canonical
from core import demo
from core.config import Config
from core.hotelbook import set_room_type
from core.ingest import Ingestor
from core.mapping import set_mapping
from core.models import RawMessage
from core.store import Store


def bookings(n: int):
    made = demo.generate(date.today(), count=max(n, 50), seed=11)
    pool = [b for msgs in made.messages.values() for b in msgs if b.content == "new"]
    ops = {b.agency: op for op in demo.OPERATORS for b in pool if b.agency == op.agency}
    for i in range(n):
        b = pool[i % len(pool)]
        yield ops[b.agency].name, replace(b, voucher=f"{b.voucher}-{i}")


def setup(store: Store) -> None:
    for code, name, capacity, _, _ in demo.ROOM_TYPES:
        set_room_type(store, code, name, capacity)
    for operator, kind, code, hotel in demo.mappings():
        set_mapping(store, operator, kind, code, hotel)


def run_pipeline(folder: Path, items, batch: int) -> float:
    config = Config(folder / "opdesk.toml", {"store": {"path": str(folder / "pipeline.db")}})
    store = Store(config.store_path)
    setup(store)
    raws = [RawMessage(dumps_canonical([b]), op, "bench") for op, b in items]
    ingestor = Ingestor(store, config)
    parse = lambda raw: parse_canonical(raw.body)  # noqa: E731
    start, cpu = time.perf_counter(), time.process_time()
    store.checkpoint_in_background()  # as `opdesk ingest` and a scan do for bulk loads
    batches = ([(raw, parse) for raw in raws[i : i + batch]] for i in range(0, len(raws), batch))
    for _ in ingestor.ingest_stream(batches):  # as `opdesk ingest` does
        pass
    stored = store.scalar("SELECT COUNT(*) FROM operator_reservations")
    store.close()  # counted: it waits for the last checkpoint
    elapsed = time.perf_counter() - start
    print(
        f"pipeline CPU time:   {time.process_time() - cpu:7.2f} s  (all threads; wall time suffers when other "
        "work shares the cores)"
    )
    assert stored == len(raws), f"stored {stored} of {len(raws)}"
    return elapsed


def run_baseline(folder: Path, items) -> float:
    """The same rows the pipeline stores (raw message, reservation, guests, nights), inserted as they are."""
    db = sqlite_utils.Database(folder / "baseline.db")
    db.execute("PRAGMA journal_mode = WAL")
    raws, reservations, guests, nights = [], [], [], []
    for i, (op, b) in enumerate(items):
        body = dumps_canonical([b])
        raws.append(
            {
                "id": i,
                "operator": op,
                "channel": "bench",
                "sha256": hashlib.sha256(body).hexdigest(),
                "size": len(body),
                "body": body,
            }
        )
        row = booking_to_canonical(b)
        row.update(id=i, raw_id=i, operator=op, version=1, status="pending")
        row.pop("guests", None)
        row.pop("night_prices", None)
        reservations.append(row)
        guests += [
            {"reservation_id": i, "position": k, "first_name": g.first_name, "last_name": g.last_name, "age": g.age}
            for k, g in enumerate(b.guests)
        ]
        nights += [{"reservation_id": i, "date": n.date.isoformat(), "amount": str(n.amount)} for n in b.night_prices]
    start = time.perf_counter()
    db["raw_messages"].insert_all(raws, batch_size=500, alter=True)
    db["operator_reservations"].insert_all(reservations, batch_size=500, alter=True)
    db["guests"].insert_all(guests, batch_size=500, alter=True)
    db["night_prices"].insert_all(nights, batch_size=500, alter=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    items = list(bookings(args.n))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pipeline = run_pipeline(folder, items, args.batch)
        baseline = run_baseline(folder, items)
    p_rate, b_rate = args.n / pipeline, args.n / baseline
    print(f"bookings:            {args.n}")
    print(f"full pipeline:       {pipeline:7.2f} s  {p_rate:9.0f} bookings/s  (target >= 2000)")
    print(f"sqlite-utils insert: {baseline:7.2f} s  {b_rate:9.0f} bookings/s  (baseline)")
    print(f"ratio:               {b_rate / p_rate:7.2f}x the baseline's time  (goal <= 2.5x)")


if __name__ == "__main__":
    main()
