"""A chain's years in one store: the desk at N bookings against N/10, ingest and scan, in one run.

    .venv/bin/python bench/scale.py [--rows 1000000] [--keep DIR] [--queries 20]

Builds two stores in bulk (core.bulk: 25 operators, versions, Turkish, German, Dutch, Polish
and Russian guests, pending/confirmed/rejected; N rows and N/10), then, on each:

- first paint of the app's inbox, headless (Pilot) at 80x24, from the app's start;
- search keystroke -> updated table painted, and -> tab counts shown: median and worst of the
  queries (voucher prefixes; surnames typed without case or accents: ``yilmaz`` finds Yılmaz
  and YILMAZ, ``muller`` Müller, ``ivanov`` Иванов);
- the tab counts of the unsearched inbox, read as the app reads them;
- ``opdesk inbox --json --limit 50`` and ``opdesk report --json``, as a script runs them
  (a process of their own, Python's start included), best of three.

Then 20,000 bookings through the real ingest pipeline into an empty store against
sqlite-utils ``insert_all`` of the same rows (bench/ingest.py), and a scan of 50 simulated
operators answering after 50 ms, all at once against one by one (bench/scan.py). These two
run ``--repeat`` rounds (3), the two sides of each taking turns so that both meet the same
machine; each side's best round is compared, as a shared machine only ever adds time.

Progress goes to stderr. The last line on stdout is one JSON object: ``paint_ratio`` and
``search_ratio`` (medians at N over N/10), ``ingest_ratio`` (pipeline time over insert_all's),
``scan_ratio`` (concurrent over sequential), ``peak_rss_mb`` (the largest process of the run:
this one, or the CLI and simulator processes it started), and the absolute figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import bookings, run_baseline, run_pipeline  # noqa: E402
from bench.scan import timed_scan  # noqa: E402
from bench.tui import measure  # noqa: E402
from core import bulk  # noqa: E402
from core.config import Config, load_config  # noqa: E402
from core.inbox import InboxFilter, counts_by_status, with_status  # noqa: E402
from core.store import Store  # noqa: E402

# Twenty searches as a desk types them: voucher prefixes of several operators, surnames without
# case or accents (the folded and Latin spellings), first and last names together, one that
# finds nothing. Each at most 12 characters (bench/tui.py clears the box with 12 backspaces).
QUERIES = (
    "yilmaz",
    "YILMAZ",
    "muller",
    "ivanov",
    "Иванов",
    "kaya",
    "schafer",
    "kowalski",
    "smith oli",
    "de vries",
    "TUI00001",
    "PEGA0000123",
    "HBED000004",
    "JET2",
    "ets0000077",
    "sahin ayse",
    "grosser",
    "lebedeva",
    "o'brien",
    "zzyzx",
)


def log(text: str) -> None:
    print(f"scale: {text}", file=sys.stderr, flush=True)


def build(folder: Path, rows: int, today: date) -> Config:
    """A store of ``rows`` bulk rows in ``folder`` (kept from an earlier run when it holds as many)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "opdesk.toml"
    path.write_text('[hotel]\nname = "Bench Chain"\ntimezone = "Europe/Istanbul"\n\n[store]\npath = "opdesk.db"\n')
    config = load_config(path)
    with Store(config.store_path) as store:
        held = bulk.reservation_count(store)
        if held == rows:
            log(f"{rows:,} rows: kept from an earlier run in {folder}")
            return config
        if held:
            raise SystemExit(f"{config.store_path} holds {held:,} rows, not {rows:,}: give another --keep folder")
        began = time.perf_counter()
        step = max(rows // 10, bulk.BATCH)

        def progress(done: int) -> None:
            if done % step < bulk.BATCH or done == rows:
                log(f"{rows:,} rows: {done:,} written, {time.perf_counter() - began:.0f} s")

        bulk.fill(store, rows, today=today, progress=progress)
        log(
            f"{rows:,} rows: built in {time.perf_counter() - began:.1f} s, "
            f"{config.store_path.stat().st_size / 2**20:,.0f} MB"
        )
    return config


def kept_counts_ms(config: Config, repeat: int = 20) -> float:
    """The four tabs' counts of the unsearched inbox, as the app asks for them on each tab: median."""
    times = []
    with Store(config.store_path) as store:
        for i in range(repeat):
            flt = with_status(InboxFilter(), ("pending", "confirmed", "rejected", "all")[i % 4])
            t0 = time.perf_counter()
            counts_by_status(store, flt)
            times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def cli_ms(config: Config, *args: str, repeat: int = 3) -> tuple[float, int]:
    """Best wall time of ``opdesk <args>`` in a process of its own, and the size of what it printed."""
    command = [sys.executable, "-m", "tui.cli", "--config", str(config.path), *args]
    best, size = float("inf"), 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
        best = min(best, time.perf_counter() - t0)
        if done.returncode != 0:
            raise SystemExit(f"opdesk {' '.join(args)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
        size = len(done.stdout)
    return best * 1000, size


def desk_figures(config: Config, queries: list[str]) -> dict[str, Any]:
    rows = config_rows(config)
    log(f"{rows:,} rows: app start -> first paint, then {len(queries)} searches")
    first_paint, timings = app_figures(config, queries)
    table, counts = timings["table"], timings["counts"]
    log(
        f"{rows:,} rows: first paint {first_paint * 1000:.0f} ms, search median {statistics.median(table) * 1000:.0f}"
        f" ms (worst {max(table) * 1000:.0f}), counts median {statistics.median(counts) * 1000:.0f} ms"
    )
    inbox_ms, inbox_bytes = cli_ms(config, "inbox", "--json", "--limit", "50")
    report_ms, _ = cli_ms(config, "report", "--json")
    log(f"{rows:,} rows: inbox --json --limit 50 {inbox_ms:.0f} ms ({inbox_bytes:,} bytes), report {report_ms:.0f} ms")
    return {
        "rows": rows,
        "first_paint_ms": round(first_paint * 1000, 1),
        "search_median_ms": round(statistics.median(table) * 1000, 1),
        "search_worst_ms": round(max(table) * 1000, 1),
        "search_each_ms": {q: round(t * 1000, 1) for q, t in zip(queries, table)},
        "search_counts_median_ms": round(statistics.median(counts) * 1000, 1),
        "search_counts_worst_ms": round(max(counts) * 1000, 1),
        "tab_counts_ms": round(kept_counts_ms(config), 2),
        "inbox_json_ms": round(inbox_ms, 1),
        "report_ms": round(report_ms, 1),
        "store_mb": round(config.store_path.stat().st_size / 2**20, 1),
    }


def app_figures(config: Config, queries: list[str]) -> tuple[float, dict[str, list[float]]]:
    """The app measured in a process of its own, so each store's app starts as cold as the other's."""
    command = [sys.executable, str(Path(__file__).resolve()), "--app", str(config.path), "--terms", *queries]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the app's measurement failed: {done.stderr.decode()[-2000:]}")
    answer = json.loads(done.stdout.decode().splitlines()[-1])
    return answer["first_paint"], answer["timings"]


def config_rows(config: Config) -> int:
    with Store(config.store_path) as store:
        return bulk.reservation_count(store)


def ingest_figures(n: int, repeat: int) -> dict[str, Any]:
    log(
        f"ingest: {n:,} bookings through the pipeline, then sqlite-utils insert_all of the same rows, "
        f"{repeat} round(s) taking turns"
    )
    items = list(bookings(n))
    pipeline, baseline = [], []
    for round_ in range(1, repeat + 1):
        with tempfile.TemporaryDirectory(prefix="opdesk-scale-ingest-") as tmp, contextlib.redirect_stdout(sys.stderr):
            pipeline.append(run_pipeline(Path(tmp), items, 500))
            baseline.append(run_baseline(Path(tmp), items))
        log(f"ingest round {round_}: pipeline {pipeline[-1]:.2f} s, insert_all {baseline[-1]:.2f} s")
    best_p, best_b = min(pipeline), min(baseline)
    log(f"ingest: best pipeline {best_p:.2f} s, best insert_all {best_b:.2f} s, ratio {best_p / best_b:.2f}")
    return {
        "ingest_bookings": n,
        "ingest_pipeline_s": round(best_p, 2),
        "ingest_insert_all_s": round(best_b, 2),
        "ingest_ratio": round(best_p / best_b, 2),
        "ingest_rounds": [[round(p, 2), round(b, 2)] for p, b in zip(pipeline, baseline)],
    }


def scan_figures(operators: int, latency: float, per_operator: int, repeat: int) -> dict[str, Any]:
    log(
        f"scan: {operators} simulated operators, {latency * 1000:.0f} ms latency, {per_operator} bookings each, "
        f"{repeat} round(s) taking turns"
    )
    args = argparse.Namespace(operators=operators, bookings=per_operator, latency=latency)
    together, one_by_one = [], []
    for round_ in range(1, repeat + 1):
        seconds, stored_a = timed_scan(args, sequential=False)
        together.append(seconds)
        seconds, stored_b = timed_scan(args, sequential=True)
        one_by_one.append(seconds)
        log(
            f"scan round {round_}: concurrent {together[-1]:.2f} s ({stored_a} stored), "
            f"one by one {one_by_one[-1]:.2f} s ({stored_b} stored)"
        )
    best_t, best_s = min(together), min(one_by_one)
    log(f"scan: best concurrent {best_t:.2f} s, best one by one {best_s:.2f} s, ratio {best_t / best_s:.3f}")
    return {
        "scan_operators": operators,
        "scan_latency_ms": latency * 1000,
        "scan_bookings_each": per_operator,
        "scan_concurrent_s": round(best_t, 2),
        "scan_sequential_s": round(best_s, 2),
        "scan_ratio": round(best_t / best_s, 3),
        "scan_rounds": [[round(t, 2), round(q, 2)] for t, q in zip(together, one_by_one)],
    }


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    return {
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "load_1min": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "sqlite": __import__("sqlite3").sqlite_version,
    }


def peak_rss_mb() -> tuple[float, float]:
    """Peak resident memory of this process, and of the largest process it started (Linux: kB)."""
    return (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the big store (the small has a tenth)")
    parser.add_argument("--keep", type=Path, help="build the stores in this folder and keep them for the next run")
    parser.add_argument("--queries", type=int, default=len(QUERIES), help="how many of the searches to time")
    parser.add_argument("--ingest", type=int, default=20_000, help="bookings through the ingest pipeline")
    parser.add_argument("--operators", type=int, default=50, help="simulated operators to scan")
    parser.add_argument("--latency", type=float, default=0.05, help="each simulated operator's answer time (s)")
    parser.add_argument("--scan-bookings", type=int, default=10, help="new bookings each operator holds")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="rounds of the ingest and scan measures, each side taking turns; the best of each side is compared",
    )
    parser.add_argument("--app", type=Path, help=argparse.SUPPRESS)  # in the child: measure the app only
    parser.add_argument("--terms", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.app:
        first_paint, timings = asyncio.run(measure(load_config(args.app), args.terms))
        print(json.dumps({"first_paint": first_paint, "timings": timings}))
        return
    if args.rows < 10:
        parser.error("--rows must be at least 10")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    began = time.perf_counter()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="opdesk-scale-"))
    today = date.today()
    queries = list(QUERIES[: args.queries])
    small = build(folder / f"rows-{args.rows // 10}", args.rows // 10, today)
    big = build(folder / f"rows-{args.rows}", args.rows, today)
    at_small = desk_figures(small, queries)
    at_big = desk_figures(big, queries)
    figures: dict[str, Any] = {
        "rows": args.rows,
        "paint_ratio": round(at_big["first_paint_ms"] / at_small["first_paint_ms"], 2),
        "search_ratio": round(at_big["search_median_ms"] / at_small["search_median_ms"], 2),
    }
    figures.update(ingest_figures(args.ingest, args.repeat))
    figures.update(scan_figures(args.operators, args.latency, args.scan_bookings, args.repeat))
    own, children = peak_rss_mb()
    figures.update(
        {
            "peak_rss_mb": round(max(own, children), 1),
            "peak_rss_bench_mb": round(own, 1),
            "peak_rss_child_mb": round(children, 1),
            "at_n": at_big,
            "at_n_10": at_small,
            "seconds": round(time.perf_counter() - began, 1),
            "machine": machine(),
            "stores": str(folder) if args.keep else "removed",
        }
    )
    if not args.keep:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    order = ["rows", "paint_ratio", "search_ratio", "ingest_ratio", "scan_ratio", "peak_rss_mb"]
    print(
        json.dumps(
            {**{k: figures[k] for k in order}, **{k: v for k, v in figures.items() if k not in order}},
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
