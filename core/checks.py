"""The checks run on every operator reservation at ingest, and again when facts change.

Each check answers a ``CheckOutcome`` (state, message, details). ``run_checks``
runs them all for one ``StayFacts`` (``core.stay``); the price check lives in
``core.pricing.check`` and is called from here.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from core.forecast import confirmed_rooms_by_night
from core.models import CheckState, Content
from core.pricing.check import check_price
from core.stay import CheckContext, CheckOutcome, StayFacts
from core.store import in_chunks
from core.text import fold_repeated
from core.values_check import check_values

if TYPE_CHECKING:
    pass


# -- the checks ------------------------------------------------------------------
def run_checks(facts: StayFacts, ctx: CheckContext, missing: list[str]) -> dict[str, CheckOutcome]:
    """Every check for one row, by name (the order the inbox shows them)."""
    if facts.content == Content.CANCEL:
        return {
            "price": CheckOutcome(CheckState.SKIPPED, "cancellation"),
            "values": CheckOutcome(CheckState.SKIPPED, "cancellation"),
            "stop_sale": CheckOutcome(CheckState.SKIPPED, "cancellation"),
            "voucher": check_voucher(facts, ctx),
            "release": CheckOutcome(CheckState.SKIPPED, "cancellation"),
            "overbooking": CheckOutcome(CheckState.SKIPPED, "cancellation"),
        }
    if "room" in missing or not facts.check_in or not facts.check_out:
        room_unknown = CheckOutcome(
            CheckState.SKIPPED, "room type not mapped" if "room" in missing else "no stay dates"
        )
    else:
        room_unknown = None
    if missing:
        price = CheckOutcome(CheckState.SKIPPED, f"missing mapping: {', '.join(missing)}")
    else:
        price = check_price(facts, ctx)
    return {
        "price": price,
        "values": check_values(facts, ctx),
        "stop_sale": room_unknown or check_stop_sale(facts, ctx),
        "voucher": check_voucher(facts, ctx),
        "release": check_release(facts, ctx),
        "overbooking": room_unknown or check_overbooking(facts, ctx),
    }


HOLDERS_SQL = (
    "SELECT v.operator, v.voucher, h.id, h.number, h.status FROM hotel_vouchers v "
    "JOIN hotel_reservations h ON h.id = v.hotel_reservation_id WHERE v.voucher IN ({marks})"
)


def prefetch_voucher_holders(ctx: CheckContext, vouchers: set[str]) -> None:
    """Read which hotel bookings hold a batch's vouchers in a few queries, for ``check_voucher``.

    Only for work that saves nothing into the hotel book while it runs (an ingest batch).
    """
    found: dict[str, list[Any]] = {}
    for marks, chunk in in_chunks(sorted(vouchers)):
        for row in ctx.store.conn.execute(HOLDERS_SQL.format(marks=marks), chunk):
            found.setdefault(row["voucher"], []).append(row)
    ctx.cache["voucher_holders"] = {"asked": set(vouchers), "found": found}


@dataclass
class BookStays:
    """The hotel book's active stays over a batch's dates, read once for the whole batch.

    The surname match and the overbooking check of every row of a batch look
    here instead of querying the book once per row. Rows are kept in check-in
    order, so the stays that overlap one booking are found by bisection.
    """

    start: date
    end: date
    rows: list[dict[str, Any]]  # id, number, room, rooms, names (folded), check_in, check_out (dates)
    starts: list[date]  # rows' check-in dates, for bisect
    longest: int  # the longest stay, in nights
    by_room: dict[str, Counter[date]] = field(default_factory=dict)  # rooms taken per night, filled on first use

    def covers(self, facts: StayFacts) -> bool:
        return bool(facts.check_in and facts.check_out and self.start <= facts.check_in and facts.check_out <= self.end)

    def overlapping(self, check_in: date, check_out: date) -> list[dict[str, Any]]:
        first = bisect_left(self.starts, check_in - timedelta(days=self.longest))
        last = bisect_left(self.starts, check_out)
        return [r for r in self.rows[first:last] if r["check_out"] > check_in]

    def taken(self, room: str) -> Counter[date]:
        counter = self.by_room.get(room)
        if counter is None:
            counter = Counter()
            for r in self.rows:
                if r["room"] == room:
                    spread(counter, r, self.start, self.end)
            self.by_room[room] = counter
        return counter


def spread(counter: Counter[date], row: dict[str, Any], start: date, end: date, sign: int = 1) -> None:
    """Add (or with ``sign`` -1 take away) a stay's rooms on each of its nights within [start, end)."""
    night, last = max(row["check_in"], start), min(row["check_out"], end)
    while night < last:
        counter[night] += sign * row["rooms"]
        night += timedelta(days=1)


def prefetch_book_stays(ctx: CheckContext, stays: list[tuple[date | None, date | None]]) -> None:
    """Read the hotel book's active stays over the dates of a batch, for the surname and overbooking checks.

    Only for work that saves nothing into the hotel book while it runs (an ingest batch).
    """
    dated = [(a, b) for a, b in stays if a and b]
    if not dated:
        return
    start, end = min(a for a, _ in dated), max(b for _, b in dated)
    rows = []
    for r in ctx.store.conn.execute(
        "SELECT id, number, room, rooms, guest_names, check_in, check_out FROM hotel_reservations "
        "WHERE status = 'active' AND check_in < ? AND check_out > ? ORDER BY check_in",
        (end.isoformat(), start.isoformat()),
    ):
        rows.append(
            {
                "id": r["id"],
                "number": r["number"],
                "room": r["room"],
                "rooms": r["rooms"],
                "guest_names": r["guest_names"],
                "names": fold_repeated(r["guest_names"]),
                "check_in": date.fromisoformat(r["check_in"]),
                "check_out": date.fromisoformat(r["check_out"]),
            }
        )
    longest = max(((r["check_out"] - r["check_in"]).days for r in rows), default=0)
    ctx.cache["book_stays"] = BookStays(start, end, rows, [r["check_in"] for r in rows], longest)


def _linked_ids(facts: StayFacts, ctx: CheckContext) -> set[int] | None:
    """Ids of hotel bookings linked to this row's own voucher, when the batch read them; else None."""
    prefetched = ctx.cache.get("voucher_holders")
    if prefetched is None or facts.voucher not in prefetched["asked"]:
        return None
    return {h["id"] for h in prefetched["found"].get(facts.voucher, []) if h["operator"] == facts.operator}


def _book_stays(facts: StayFacts, ctx: CheckContext) -> tuple[BookStays, set[int]] | None:
    """The batch's hotel book stays and this row's own hotel bookings, when the batch read them.

    Asked by the voucher and the overbooking check of the same row: worked out once per row.
    """
    stays = ctx.cache.get("book_stays")
    if stays is None or not stays.covers(facts):
        return None
    holders = ctx.cache.get("voucher_holders")
    known = facts.__dict__.get("_book_stays")
    if known is not None and known[0] is stays and known[1] is holders:
        return known[2]  # type: ignore[no-any-return]
    own = _linked_ids(facts, ctx)
    found = (stays, own) if own is not None else None
    facts.__dict__["_book_stays"] = (stays, holders, found)
    return found


def check_voucher(facts: StayFacts, ctx: CheckContext) -> CheckOutcome:
    """Is the voucher already in the hotel book? Any booking there that looks like this one?"""
    conn = ctx.store.conn
    prefetched = ctx.cache.get("voucher_holders")
    if prefetched is not None and facts.voucher in prefetched["asked"]:
        holders = prefetched["found"].get(facts.voucher, [])
    else:
        holders = conn.execute(HOLDERS_SQL.format(marks="?"), (facts.voucher,)).fetchall()
    linked = next((h for h in holders if h["operator"] == facts.operator), None)
    if facts.content == Content.NEW and linked is not None:
        # Saved from this voucher's own inbox rows, or already there (PMS, phone): a duplicate.
        # Ours too when the holder is the PMS's copy of our booking: its number is the PMS number ours got back.
        ours = conn.execute(
            "SELECT 1 FROM operator_reservations o JOIN hotel_reservations h ON h.id = o.hotel_reservation_id "
            "WHERE o.operator = ? AND o.voucher = ? AND (h.id = ? OR (h.pms_number != '' AND h.pms_number = ?))",
            (facts.operator, facts.voucher, linked["id"], linked["number"]),
        ).fetchone()
        if ours is None:
            return CheckOutcome(
                CheckState.FAIL,
                f"voucher already in the hotel book as {linked['number']}",
                {"hotel_number": linked["number"]},
            )
        return CheckOutcome(CheckState.OK, f"saved as {linked['number']}", {"hotel_number": linked["number"]})
    if facts.content != Content.NEW:
        if linked is None:
            return CheckOutcome(CheckState.WARN, f"no booking with voucher {facts.voucher} in the hotel book")
        return CheckOutcome(CheckState.OK, f"matches {linked['number']}", {"hotel_number": linked["number"]})
    matches = [
        {"hotel_number": h["number"], "reason": f"same voucher from {h['operator']}"}
        for h in holders
        if h["operator"] != facts.operator
    ]
    matches.extend(_surname_matches(facts, ctx))
    if matches:
        text = "; ".join(f"{m['hotel_number']} ({m['reason']})" for m in matches[:3])
        return CheckOutcome(CheckState.WARN, f"possible match: {text}", {"matches": matches})
    return CheckOutcome(CheckState.OK, "new voucher")


def _surname_matches(facts: StayFacts, ctx: CheckContext) -> list[dict[str, str]]:
    if not (facts.check_in and facts.check_out and facts.surnames):
        return []
    prefetched = _book_stays(facts, ctx)
    if prefetched is not None:
        stays, own = prefetched
        return _names_found(
            facts, [r for r in stays.overlapping(facts.check_in, facts.check_out) if r["id"] not in own]
        )
    rows = ctx.store.conn.execute(
        "SELECT h.number, h.guest_names, h.check_in, h.check_out FROM hotel_reservations h "
        "WHERE h.status = 'active' AND h.check_in < ? AND h.check_out > ? "
        "AND NOT EXISTS (SELECT 1 FROM hotel_vouchers v WHERE v.hotel_reservation_id = h.id "
        "AND v.operator = ? AND v.voucher = ?)",
        (facts.check_out.isoformat(), facts.check_in.isoformat(), facts.operator, facts.voucher),
    ).fetchall()
    return _names_found(
        facts,
        [
            {
                "number": r["number"],
                "names": fold_repeated(r["guest_names"]),
                "check_in": r["check_in"],
                "check_out": r["check_out"],
            }
            for r in rows
        ],
    )


def _names_found(facts: StayFacts, rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Stays whose guest names (folded) hold one of this booking's surnames."""
    if not rows:
        return []
    found = []
    wanted = {fold_repeated(s) for s in facts.surnames}
    for r in rows:
        names = r["names"]
        hit = next((s for s in wanted if s and s in names), None)
        if hit:
            found.append(
                {"hotel_number": r["number"], "reason": f"guest {hit.title()} stays {r['check_in']}..{r['check_out']}"}
            )
    return found


def check_stop_sale(facts: StayFacts, ctx: CheckContext) -> CheckOutcome:
    stops = ctx.once(
        "stop_sales",
        lambda: ctx.store.all(
            'SELECT id, room, start, "end", operator, reason FROM stop_sales WHERE removed_at IS NULL'
        ),
    )
    if not stops:
        return CheckOutcome(CheckState.OK, "open for sale")
    assert facts.check_in is not None  # run_checks skips this check without stay dates
    first = facts.check_in.isoformat()
    last = facts.nights[-1].isoformat() if facts.nights else first
    hits = [
        s
        for s in stops
        if (not s["room"] or s["room"] == facts.hotel_room)
        and (not s["operator"] or s["operator"] == facts.operator)
        and s["start"] <= last
        and s["end"] >= first
    ]
    if not hits:
        return CheckOutcome(CheckState.OK, "open for sale")
    s = hits[0]
    what = s["room"] or "all rooms"
    return CheckOutcome(
        CheckState.FAIL,
        f"stop-sale on {what} {s['start']}..{s['end']}" + (f" ({s['reason']})" if s["reason"] else ""),
        {"stop_sale_ids": [h["id"] for h in hits]},
    )


def release_days(ctx: CheckContext, operator: str) -> int:
    """The operator's release in days (``[checks]``), read from the config once per operator and batch."""
    known: dict[str, int] = ctx.once("release_days", dict)
    days = known.get(operator)
    if days is None:
        table = ctx.config.section("checks")
        by_operator = table.get("release_days_by_operator", {})
        days = known[operator] = int(by_operator.get(operator, table.get("release_days", 0)))
    return days


def check_release(facts: StayFacts, ctx: CheckContext) -> CheckOutcome:
    if not facts.check_in:
        return CheckOutcome(CheckState.SKIPPED, "no check-in date")
    booked = facts.sale_date or facts.received
    if booked is None:
        return CheckOutcome(CheckState.SKIPPED, "no sale date")
    days = release_days(ctx, facts.operator)
    lead = (facts.check_in - booked).days
    today = ctx.today
    if facts.check_in < today:
        # A stay in progress (or over) cannot be released any more: a new booking for it is late whatever
        # its sale date says; a change to it (an extension, a name) is worth a look.
        state = CheckState.FAIL if facts.content == Content.NEW else CheckState.WARN
        return CheckOutcome(
            state,
            f"the stay began on {facts.check_in}, {(today - facts.check_in).days} day(s) ago",
            {"lead_days": lead, "release_days": days, "begun": True},
        )
    if lead < days:
        return CheckOutcome(
            CheckState.FAIL,
            f"booked {lead} days before check-in; release is {days} days",
            {"lead_days": lead, "release_days": days},
        )
    return CheckOutcome(CheckState.OK, f"booked {lead} days ahead", {"lead_days": lead, "release_days": days})


def check_overbooking(facts: StayFacts, ctx: CheckContext) -> CheckOutcome:
    capacities = ctx.capacities()
    assert facts.hotel_room is not None and facts.check_in is not None and facts.check_out is not None
    capacity = capacities.get(facts.hotel_room)
    if capacity is None:
        return CheckOutcome(CheckState.WARN, f"room type {facts.hotel_room} has no capacity set")
    prefetched = _book_stays(facts, ctx)
    if prefetched is not None:
        stays, own = prefetched
        taken = stays.taken(facts.hotel_room)
        if own:  # a booking already in the book is not counted against itself
            taken = taken.copy()
            for r in stays.overlapping(facts.check_in, facts.check_out):
                if r["id"] in own and r["room"] == facts.hotel_room:
                    spread(taken, r, stays.start, stays.end, sign=-1)
    else:
        taken = confirmed_rooms_by_night(
            ctx.store,
            facts.hotel_room,
            facts.check_in,
            facts.check_out,
            exclude_voucher=(facts.operator, facts.voucher),
        )
    # One pass over the nights: those without room for this booking, and the fewest rooms left.
    over: list[date] = []
    free: int | None = None
    rooms = facts.rooms
    for night in facts.nights:
        left = capacity - taken.get(night, 0)
        if left < rooms:
            over.append(night)
        if free is None or left < free:
            free = left
    if over:
        nights = ", ".join(d.isoformat() for d in over[:3]) + (" …" if len(over) > 3 else "")
        return CheckOutcome(
            CheckState.FAIL,
            f"over capacity ({capacity}) on {len(over)} night(s): {nights}",
            {"nights": [d.isoformat() for d in over], "capacity": capacity},
        )
    return CheckOutcome(CheckState.OK, f"{capacity if free is None else free} room(s) left on the fullest night")
