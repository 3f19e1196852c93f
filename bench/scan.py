"""Scan 25 simulated operators, each answering after 0.5 s with 200 bookings: all at once, then one at a time.

    .venv/bin/python bench/scan.py [--operators 25] [--bookings 200] [--latency 0.5]

Each mode scans into a fresh store, so both do the same storing work. The
simulated operators run in a process of their own, as real operators' servers
run on machines of their own: their work is not on the scanner's clock.
Target: concurrent / sequential at most 0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import tempfile
import time
from pathlib import Path

from connectors.scan import scan
from connectors.simulate.demo import operator_entry, sim_operator
from connectors.simulate.server import Faults, SimServer
from core.config import Config


def serve(args: argparse.Namespace, conn) -> None:
    """In the simulator process: start the operators, send their config entries, wait to be stopped."""
    ops = [
        sim_operator(f"op{i:02d}", kind="ota-pull", initial=args.bookings, faults=Faults(latency=args.latency))
        for i in range(args.operators)
    ]
    with SimServer(ops) as server:
        conn.send([operator_entry(op, server) for op in server.operators.values()])
        conn.recv()


def timed_scan(args: argparse.Namespace, sequential: bool) -> tuple[float, int]:
    """Fresh simulators (same seeds, so the same bookings) and a fresh store for each mode."""
    ours, theirs = multiprocessing.Pipe()
    process = multiprocessing.Process(target=serve, args=(args, theirs), daemon=True)
    process.start()
    try:
        entries = ours.recv()
        with tempfile.TemporaryDirectory() as folder:
            config = Config(
                Path(folder) / "opdesk.toml", {"store": {"path": str(Path(folder) / "opdesk.db")}, "operators": entries}
            )
            began = time.perf_counter()
            if sequential:
                runs = [r for op in config.operators for r in asyncio.run(scan(config, [op.name]))]
            else:
                runs = asyncio.run(scan(config))
            seconds = time.perf_counter() - began
    finally:
        ours.send("stop")
        process.join(timeout=30)
    return seconds, sum(r.new for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operators", type=int, default=25)
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.5)
    args = parser.parse_args()
    together, stored_a = timed_scan(args, sequential=False)
    one_by_one, stored_b = timed_scan(args, sequential=True)
    print(f"operators {args.operators}, bookings each {args.bookings}, latency {args.latency}s")
    print(f"concurrent: {together:.2f}s ({stored_a} bookings stored)")
    print(f"sequential: {one_by_one:.2f}s ({stored_b} bookings stored)")
    print(f"ratio concurrent/sequential: {together / one_by_one:.3f} (target <= 0.1)")


if __name__ == "__main__":
    main()
