"""Pricing figures: quotes per second, and the time to load a large contracts file.

Quotes: 7 nights, 2 adults and 2 children, three discounts and a promotion applying, over a file
of 50 contracts and 20 discounts. Load: a file of 2,000 contracts, read and validated.
Targets: at least 5,000 quotes/s on one core; 2,000 contracts in under 1 s. Figures are per CPU
second of this process (what one core gives), with the wall clock beside them: on a shared machine
the wall clock also counts time spent waiting for a core.

    .venv/bin/python bench/quote.py
"""

from __future__ import annotations

import time
from datetime import date, timedelta

from core.pricing import QuoteRequest, load_contracts, quote

ROOMS = ["STD", "SV", "FAM", "SUI", "VIL"]
HEAD = (
    """
[hotel]
code = "BENCH"
currency = "EUR"
vat_percent = 10
"""
    + "".join(f'\n[[room_types]]\ncode = "{r}"\nmax_adults = 4\nmax_persons = 6\n' for r in ROOMS)
    + """
[[boards]]
code = "BB"
[[boards]]
code = "AI"
"""
)


def rate_codes(count: int) -> str:
    return "".join(
        f'\n[[rate_codes]]\ncode = "R{n}"\nchild_bands = [{{ name = "infant", min = 0, max = 1.99 }}, '
        f'{{ name = "young", min = 2, max = 6.99 }}, {{ name = "older", min = 7, max = 12.99 }}]\n'
        for n in range(count)
    )


def contract(n: int, rate: int, room: str, start: date, days: int) -> str:
    end = start + timedelta(days=days - 1)
    return f"""
[[contracts]]
code = "C{n}"
rate_code = "R{rate}"
room_types = ["{room}"]
board = "BB"
stay = ["{start}", "{end}"]
sales = ["2025-09-01", "2027-12-31"]
[contracts.prices]
pp_dbl = {50 + n % 37}
multipliers = {{ sgl = 1.5, dbl = 2, trp = 2.75, quad = 3.4 }}
[contracts.children]
first = {{ infant = 0, young = 0, older = "50%" }}
second = {{ infant = 0, young = "50%", older = "70%" }}
sgl_first = {{ infant = 0, young = "50%", older = "70%" }}
sgl_second = {{ infant = 0, young = "70%", older = "70%" }}
[contracts.supplements]
AI = {{ adult = 30, older = 15, young = 10 }}
[contracts.rules]
min_stay = 2
release_days = 3
cancellation_days = 14
"""


def contracts(count: int, rates: int) -> str:
    per_rate = count // rates
    seasons = max(1, per_rate // len(ROOMS))
    days = 365 // seasons
    out, n = [], 0
    for rate in range(rates):
        for season in range(seasons):
            for room in ROOMS:
                out.append(contract(n, rate, room, date(2026, 4, 1) + timedelta(days=season * days), days))
                n += 1
    return "".join(out)


def discounts() -> str:
    applying = [
        ("EB15", 'type = "percent"\nvalue = 15\norder = 1\nrate_codes = ["R0"]', "min_days_before = 60"),
        ("LONG", 'type = "free_nights"\nvalue = 1\norder = 2\nrate_codes = ["R0"]', "min_stay = 7"),
        ("KIDS", 'type = "amount"\nvalue = 5\norder = 3\nrate_codes = ["R0"]', "min_adults = 2"),
    ]
    others = [
        (f"X{n}", f'type = "percent"\nvalue = {n + 1}\norder = {n % 4}\nrate_codes = ["R{1 + n % 4}"]', "min_stay = 3")
        for n in range(17)
    ]
    text = "".join(
        f'\n[[discounts]]\ncode = "{c}"\n{body}\nstay = ["2026-04-01", "2027-03-31"]\n[discounts.rules]\n{rules}\n'
        for c, body, rules in applying + others
    )
    return text + (
        '\n[[promotions]]\ncode = "SUN5"\ntype = "percent"\nvalue = 5\nmin_stay = 5\nmax_uses = 1000\n'
        'excluded = [["2026-08-10", "2026-08-12"]]\n'
    )


def bench_quotes(seconds: float = 2.0) -> None:
    cs = load_contracts(HEAD + rate_codes(5) + contracts(50, 5) + discounts(), source="bench-50.toml")
    assert len(cs.contracts) == 50 and len(cs.discounts) == 20
    requests = [
        QuoteRequest(
            "R0",
            ROOMS[i % 3],
            "AI" if i % 2 else "BB",
            date(2026, 5, 1) + timedelta(days=i % 120),
            7,
            2,
            [9, 4],
            date(2026, 1, 15),
            promo="SUN5",
        )
        for i in range(240)
    ]
    sample = quote(cs, requests[0])
    assert sample.ok and sample.applied == ["EB15", "LONG", "KIDS", "SUN5"], sample.applied
    done, start, cpu = 0, time.perf_counter(), time.process_time()
    while time.process_time() - cpu < seconds:
        for request in requests:
            quote(cs, request)
        done += len(requests)
    used, elapsed = time.process_time() - cpu, time.perf_counter() - start
    print(
        f"quote: 7 nights, 2+2 pax, 3 discounts + promotion, 50 contracts / 20 discounts: "
        f"{done / used:,.0f} quotes per CPU second ({used / done * 1e6:.0f} µs each; target 5,000/s); "
        f"{done / elapsed:,.0f}/s by the wall clock"
    )


def bench_load() -> None:
    text = HEAD + rate_codes(40) + contracts(2000, 40) + discounts()
    cpu_runs, wall_runs = [], []
    for _ in range(3):
        start, cpu = time.perf_counter(), time.process_time()
        cs = load_contracts(text, source="bench-2000.toml")
        cpu_runs.append(time.process_time() - cpu)
        wall_runs.append(time.perf_counter() - start)
    assert len(cs.contracts) == 2000
    print(
        f"load: 2,000 contracts ({len(text) / 1e6:.1f} MB of TOML), read and validated: "
        f"best {min(cpu_runs):.3f} CPU s of 3 (target < 1 s); best {min(wall_runs):.3f} s by the wall clock"
    )


if __name__ == "__main__":
    bench_quotes()
    bench_load()
