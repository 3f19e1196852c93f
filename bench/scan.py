"""Scan 25 simulated operators, each answering after 0.5 s with 200 bookings: all at once, then one at a time.

    .venv/bin/python bench/scan.py [--operators 25] [--bookings 200] [--latency 0.5]

Each mode scans into a fresh store, so both do the same storing work.
Target: concurrent / sequential at most 0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from connectors.scan import scan
from connectors.simulate.demo import operator_entry, sim_operator
from connectors.simulate.server import Faults, SimServer
from core.config import Config


def config_for(folder: Path, server: SimServer) -> Config:
    entries = [operator_entry(op, server) for op in server.operators.values()]
    return Config(folder / "opdesk.toml", {"store": {"path": str(folder / "opdesk.db")}, "operators": entries})


def timed_scan(server: SimServer, sequential: bool) -> tuple[float, int]:
    for op in server.operators.values():      # un-acknowledge: both modes fetch every booking
        for event in op.feed.events:
            event.acked = False
    with tempfile.TemporaryDirectory() as folder:
        config = config_for(Path(folder), server)
        began = time.perf_counter()
        if sequential:
            runs = [r for op in config.operators for r in asyncio.run(scan(config, [op.name]))]
        else:
            runs = asyncio.run(scan(config))
        seconds = time.perf_counter() - began
    return seconds, sum(r.new for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operators", type=int, default=25)
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.5)
    args = parser.parse_args()
    ops = [sim_operator(f"op{i:02d}", kind="ota-pull", initial=args.bookings, faults=Faults(latency=args.latency))
           for i in range(args.operators)]
    with SimServer(ops) as server:
        together, stored_a = timed_scan(server, sequential=False)
        one_by_one, stored_b = timed_scan(server, sequential=True)
    print(f"operators {args.operators}, bookings each {args.bookings}, latency {args.latency}s")
    print(f"concurrent: {together:.2f}s ({stored_a} bookings stored)")
    print(f"sequential: {one_by_one:.2f}s ({stored_b} bookings stored)")
    print(f"ratio concurrent/sequential: {together / one_by_one:.3f} (target <= 0.1)")


if __name__ == "__main__":
    main()
