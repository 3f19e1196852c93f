"""Benchmark the app on a big inbox: first paint, search response, peak memory.

    .venv/bin/python bench/tui.py [--rows 100000] [--keep DIR]

Fills a fresh store with ``--rows`` operator reservations by bulk insert (a
fixture: the app only reads them), then runs the app headless at 80x24 and
prints:

- start -> first painted inbox (targets: <= 1.5 s)
- keystroke in search -> updated table painted, median and worst of several
  searches (target <= 150 ms; includes the search box's debounce); then the
  same keystroke -> the tab counts shown, and -> Pilot's press() returning,
  which also waits for the tabs' underline animation and for the whole process,
  worker threads included, to go idle
- peak memory of the process (target <= 300 MB)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.config import Config  # noqa: E402
from core.kept import catch_up  # noqa: E402
from core.store import Store  # noqa: E402

SURNAMES = (
    "Smith",
    "Müller",
    "Ivanov",
    "Kowalski",
    "Yilmaz",
    "de Vries",
    "Schmidt",
    "Brown",
    "Petrov",
    "Kaya",
    "Nowak",
    "Jansen",
    "Wilson",
    "Fischer",
    "Sokolov",
    "Demir",
)
OPERATORS = (
    ("tui", "TUI"),
    ("jet2", "JET2"),
    ("pegas", "PEGAS"),
    ("anex", "ANEX"),
    ("hotelbeds", "HBEDS"),
    ("ets", "ETS"),
)
CHECKS = json.dumps(
    {name: {"state": "ok", "message": ""} for name in ("price", "stop_sale", "voucher", "release", "overbooking")}
)


def fill(store: Store, rows: int) -> None:
    rnd = random.Random(7)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    batch = []
    for i in range(rows):
        operator, agency = OPERATORS[i % len(OPERATORS)]
        check_in = date(2026, 5, 1) + timedelta(days=rnd.randrange(200))
        nights = rnd.randrange(3, 15)
        names = "; ".join(f"{rnd.choice(SURNAMES)} Guest{rnd.randrange(1000)}" for _ in range(rnd.randrange(1, 4)))
        status = "pending" if i % 4 else rnd.choice(("confirmed", "rejected"))
        batch.append(
            (
                operator,
                f"{agency}{100000 + i}",
                1,
                1,
                "new",
                status,
                agency,
                check_in.isoformat(),
                (check_in + timedelta(days=nights)).isoformat(),
                nights,
                1,
                2,
                "[]",
                "STD",
                "AI",
                f"{agency[:3]}26",
                "UK",
                "GB",
                "STD",
                "AI",
                f"{agency[:3]}26",
                "[]",
                names,
                100000,
                "EUR",
                "2026-01-15",
                (start + timedelta(minutes=i)).isoformat(timespec="seconds"),
                f"fp{i}",
                CHECKS,
                1,
            )
        )
    with store.transaction() as c:
        c.executemany(
            "INSERT INTO operator_reservations(operator, voucher, version, is_latest, content, status, agency, "
            "check_in, check_out, nights, rooms, adults, child_ages, room, board, rate, market, nationality, "
            "hotel_room, hotel_board, hotel_rate, missing_mappings, guest_names, total_minor, currency, sale_date, "
            "created_at, fingerprint, checks, clean) VALUES (" + ", ".join("?" * 30) + ")",
            batch,
        )
        c.executemany(
            "INSERT INTO room_types(code, name, capacity) VALUES (?, ?, ?)",
            [("STD", "Standard", 80), ("SV", "Sea view", 40), ("FAM", "Family", 30)],
        )
    catch_up(store)  # rows loaded in bulk, not through ingest: their search text and counts
    store.conn.execute("ANALYZE")


async def measure(config: Config, searches: list[str]) -> tuple[float, dict[str, list[float]]]:
    from tui.app import OpdeskApp
    from tui.screens.inbox import InboxScreen
    from tui.widgets.inbox_table import InboxTable

    started = time.perf_counter()
    app = OpdeskApp(config)
    async with app.run_test(size=(80, 24)) as pilot:
        while not (isinstance(app.screen, InboxScreen) and app.screen.loaded):
            await asyncio.sleep(0.002)
        await pilot.pause()  # let the page paint
        first_paint = time.perf_counter() - started
        screen = app.screen
        await pilot.press("slash")
        table = screen.query_one(InboxTable)
        timings: dict[str, list[float]] = {"table": [], "counts": [], "press": []}
        for term in searches:
            await pilot.press(*["backspace"] * 12)
            await _until_idle(pilot, screen)
            await pilot.press(*term[:-1])
            await _until_idle(pilot, screen)
            shown, counted = screen.pages_shown, screen.counts
            t0 = time.perf_counter()
            press = asyncio.create_task(pilot.press(term[-1]))  # the keystroke we time
            await _until(lambda term=term, shown=shown: screen.flt.search == term and screen.pages_shown > shown, t0)
            await table.wait_for_refresh()  # the new page is on the screen
            timings["table"].append(time.perf_counter() - t0)
            await _until(lambda counted=counted: screen.counts is not counted, t0)
            timings["counts"].append(time.perf_counter() - t0)
            await press
            timings["press"].append(time.perf_counter() - t0)
            await pilot.pause()
    return first_paint, timings


async def _until(condition, t0: float, timeout: float = 5) -> None:
    while not condition() and time.perf_counter() - t0 < timeout:
        await asyncio.sleep(0.001)


async def _until_idle(pilot, screen) -> None:
    await asyncio.sleep(0.25)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="build the store in this folder and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="opdesk-bench-"))
    config = Config(
        folder / "opdesk.toml",
        {"store": {"path": str(folder / "opdesk.db")}, "hotel": {"name": "Bench Hotel", "timezone": "Europe/Istanbul"}},
    )
    t0 = time.perf_counter()
    store = Store(config.store_path)
    if store.scalar("SELECT COUNT(*) FROM operator_reservations") == 0:
        fill(store, args.rows)
    rows = store.scalar("SELECT COUNT(*) FROM operator_reservations")
    store.close()
    print(f"store: {rows:,} operator reservations in {folder} ({time.perf_counter() - t0:.1f} s to build)")
    # Terms that match many rows, few rows and none: the last is the slow case (a full scan).
    first_paint, timings = asyncio.run(measure(config, ["Kaya", "TUI100042", "Guest77", "Zzyzx"]))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"start -> first painted inbox: {first_paint * 1000:.0f} ms (target <= 1500 ms)")
    for name, label in (("table", "updated table"), ("counts", "tab counts"), ("press", "Pilot press() done")):
        each = timings[name]
        target = " (target <= 150 ms)" if name == "table" else ""
        print(
            f"search keystroke -> {label}: median {statistics.median(each) * 1000:.0f} ms, "
            f"worst {max(each) * 1000:.0f} ms{target}; each: {', '.join(f'{t * 1000:.0f}' for t in each)}"
        )
    print(f"peak memory: {peak_mb:.0f} MB (target <= 300 MB)")


if __name__ == "__main__":
    main()
