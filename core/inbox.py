"""Reading the inbox: filtered, sorted, paged in SQL; one row's full, stable JSON shape.

The JSON shape of ``reservation_json`` is what ``opdesk show --json`` and each
row of ``opdesk inbox --json`` print; scripts rely on it (docs/json.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from core.errors import InvalidInput, NotFound
from core.flights import stored_flights
from core.models import MAPPING_KINDS, pax_label
from core.store import Store, from_minor
from core.text import fold_name

STATUSES = ("pending", "confirmed", "rejected")

# Matches past which a search term counts as dense (see ``InboxFilter.where``). Measured on
# 100,000 rows: at about 1,000 matches, walking the rows in sort order to fill a page of 100
# costs what looking each match up and sorting them does.
DENSE_SEARCH = 1000

# Columns the inbox can sort by, as the user names them -> SQL.
SORTS = {
    "created": "r.created_at",
    "check_in": "r.check_in",
    "check_out": "r.check_out",
    "voucher": "r.voucher",
    "operator": "r.operator",
    "nights": "r.nights",
    "sale_date": "r.sale_date",
    "status": "r.status",
    "guest": "r.guest_names",
    "room": "r.room",
    "id": "r.id",
}

LIST_COLUMNS = (
    "r.id, r.operator, r.agency, r.voucher, r.version, r.is_latest, r.content, r.status, r.created_at, "
    "r.check_in, r.check_out, r.nights, r.sale_date, r.room, r.board, r.rate, r.rooms, r.adults, r.child_ages, "
    "r.nationality, r.guest_names, r.hotel_room, r.hotel_board, r.hotel_rate, r.missing_mappings, r.checks, "
    "r.clean, r.flags, r.total_minor, r.currency, r.needs_approval"
)


@dataclass(frozen=True)
class InboxFilter:
    status: str = "pending"  # pending | confirmed | rejected | all
    operator: str | None = None
    since: date | None = None  # created on or after
    until: date | None = None  # created on or before
    stay_from: date | None = None  # stays overlapping [stay_from, stay_to]
    stay_to: date | None = None
    search: str = ""  # voucher or guest name
    content: str | None = None  # new | change | cancel
    latest_only: bool = True  # hide versions a newer message replaced
    clean_only: bool = False
    sort: str = "created"
    descending: bool = True

    def where(self, *, with_status: bool = True, dense_search: bool = False) -> tuple[str, list[Any]]:
        """SQL conditions on ``operator_reservations r`` and their parameters.

        ``dense_search`` says the search term matches many rows (``search_is_dense``):
        then walking the rows in sort order and keeping those the index found stops
        sooner than looking every match up and sorting them.
        """
        clauses, params = ["1=1"], []
        if with_status and self.status != "all":
            _check_status(self.status)
            clauses.append("r.status = ?")
            params.append(self.status)
        if self.latest_only:
            clauses.append("r.is_latest = 1")
        if self.operator:
            clauses.append("r.operator = ?")
            params.append(self.operator)
        if self.content:
            clauses.append("r.content = ?")
            params.append(self.content)
        if self.since:
            clauses.append("r.created_at >= ?")
            params.append(self.since.isoformat())
        if self.until:
            clauses.append("r.created_at < date(?, '+1 day')")
            params.append(self.until.isoformat())
        if self.stay_from:
            clauses.append("r.check_out > ?")
            params.append(self.stay_from.isoformat())
        if self.stay_to:
            clauses.append("r.check_in <= ?")
            params.append(self.stay_to.isoformat())
        if self.clean_only:
            clauses.append("r.clean = 1")
        term = self.search.strip()
        if term:
            clause, param = search_clause(term, dense_search)
            clauses.append(clause)
            params.append(param)
        return " AND ".join(clauses), params

    @property
    def counted(self) -> bool:
        """Whether ``inbox_counts`` answers this filter's counts (no search, no dates)."""
        return not (self.search.strip() or self.since or self.until or self.stay_from or self.stay_to)

    def order_by(self) -> str:
        column = SORTS.get(self.sort)
        if column is None:
            raise ValueError(f"unknown sort {self.sort!r}: use one of {', '.join(SORTS)}")
        direction = "DESC" if self.descending else "ASC"
        return f"{column} {direction}, r.id {direction}"


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}: use pending, confirmed, rejected or all")


def _phrase(folded: str) -> str | None:
    """The folded term as an FTS5 phrase for the trigram index, or None when the index cannot answer it.

    A trigram phrase matches exactly where the term's characters stand in a row, as LIKE
    '%term%' does, reading only the index. It needs three characters, and LIKE's wildcards
    (``%``, ``_``) keep their meaning only through LIKE.
    """
    if len(folded) < 3 or "%" in folded or "_" in folded:
        return None
    return '"' + folded.replace('"', '""') + '"'


def matching_ids(term: str) -> tuple[str, str]:
    """A query of the ids whose search text holds ``term``, and its one parameter."""
    folded = fold_name(term)
    phrase = _phrase(folded)
    if phrase is not None:
        return "SELECT rowid FROM opres_search_fts WHERE opres_search_fts MATCH ?", phrase
    return "SELECT id FROM opres_search WHERE text LIKE ?", f"%{folded}%"


def search_clause(term: str, dense: bool) -> tuple[str, str]:
    """The condition on ``r`` that its search text holds ``term``, and its parameter.

    A sparse term looks its matches up and sorts them. For a dense one the unary + keeps
    SQLite from driving the query by lookups of the matches: it walks the rows in sort order
    and keeps those in the set of matches until a page is full.
    """
    ids, param = matching_ids(term)
    if dense and "opres_search_fts" not in ids:
        # Without the trigram index each row's own text is read: until a page is full, not all of them.
        return "EXISTS (SELECT 1 FROM opres_search s WHERE s.id = r.id AND s.text LIKE ?)", param
    return f"{'+' if dense else ''}r.id IN ({ids})", param


def search_is_dense(store: Store, flt: InboxFilter) -> bool:
    """Whether the search term matches at least ``DENSE_SEARCH`` rows (counting stops there)."""
    term = flt.search.strip()
    if not term:
        return False
    ids, param = matching_ids(term)
    hits = store.scalar(f"SELECT COUNT(*) FROM ({ids} LIMIT ?)", (param, DENSE_SEARCH))
    return int(hits) >= DENSE_SEARCH


def _kept_counts(store: Store, flt: InboxFilter) -> dict[str, int]:
    """Rows per status from ``inbox_counts`` (kept as rows come and change: core.kept), without search or dates."""
    clauses, params = ["1=1"], []
    if flt.latest_only:
        clauses.append("is_latest = 1")
    if flt.operator:
        clauses.append("operator = ?")
        params.append(flt.operator)
    if flt.content:
        clauses.append("content = ?")
        params.append(flt.content)
    if flt.clean_only:
        clauses.append("clean = 1")
    rows = store.conn.execute(
        f"SELECT status, SUM(rows) FROM inbox_counts WHERE {' AND '.join(clauses)} GROUP BY status", params
    )
    return {r[0]: int(r[1]) for r in rows}


def count_rows(store: Store, flt: InboxFilter) -> int:
    if flt.counted:
        counts = _kept_counts(store, flt)
        if flt.status == "all":
            return sum(counts.get(s, 0) for s in STATUSES)
        _check_status(flt.status)
        return counts.get(flt.status, 0)
    where, params = flt.where()
    return int(store.scalar(f"SELECT COUNT(*) FROM {_counting_table(flt)} WHERE {where}", tuple(params)))


def _indexed_search(flt: InboxFilter) -> str | None:
    """The trigram phrase of a search the index answers and ``opres_match`` covers (no dates), else None."""
    term = flt.search.strip()
    if not term or flt.since or flt.until or flt.stay_from or flt.stay_to:
        return None
    return _phrase(fold_name(term))


def counts_from_index(flt: InboxFilter) -> bool:
    """Whether the filter's counts come from an index (kept counts, or the search's trigram index).

    Others (a term of one or two characters, LIKE's wildcards, dates) read rows: the app reads
    those only once typing is quiet, not at every keystroke.
    """
    return flt.counted or _indexed_search(flt) is not None


def _counting_table(flt: InboxFilter) -> str:
    """Where a count reads its rows: a search's matches by the narrow ``opres_match`` index when it covers the filter.

    SQLite would look each match up in its wide row (a kilobyte or two) by id; the index holds
    what the count needs in a few bytes, so counting tens of thousands of matches stays quick.
    """
    dated = flt.since or flt.until or flt.stay_from or flt.stay_to
    if flt.search.strip() and not dated:
        return "operator_reservations r INDEXED BY opres_match"
    return "operator_reservations r"


def counts_by_status(store: Store, flt: InboxFilter) -> dict[str, int]:
    """Rows per status under the filter's other conditions, plus ``all``."""
    counts = {s: 0 for s in STATUSES}
    if flt.counted:
        counts.update({s: n for s, n in _kept_counts(store, flt).items() if s in counts})
        counts["all"] = sum(counts[s] for s in STATUSES)
        return counts
    phrase = _indexed_search(flt)
    if phrase is not None:
        # Walk the index's matches and look each up in the narrow index: the cheapest way to every match.
        where, params = replace(flt, search="").where(with_status=False)
        sql = (
            "SELECT r.status, COUNT(*) FROM opres_search_fts f CROSS JOIN operator_reservations r "
            f"INDEXED BY opres_match ON r.id = f.rowid WHERE f.opres_search_fts MATCH ? AND {where} GROUP BY r.status"
        )
        rows = store.conn.execute(sql, (phrase, *params)).fetchall()
    else:
        where, params = flt.where(with_status=False)
        rows = store.conn.execute(
            f"SELECT r.status, COUNT(*) FROM {_counting_table(flt)} WHERE {where} GROUP BY r.status", params
        ).fetchall()
    counts.update({r[0]: r[1] for r in rows})
    counts["all"] = sum(counts[s] for s in STATUSES)
    return counts


def list_rows(store: Store, flt: InboxFilter, *, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """One page of inbox rows with the columns the inbox table shows."""
    where, params = flt.where(dense_search=search_is_dense(store, flt))
    # Sort ids alone, then read the wide columns of the page's rows only.
    page = f"SELECT r.id FROM operator_reservations r WHERE {where} ORDER BY {flt.order_by()} LIMIT ? OFFSET ?"
    sql = f"SELECT {LIST_COLUMNS} FROM operator_reservations r WHERE r.id IN ({page}) ORDER BY {flt.order_by()}"
    return [_decode_list_row(dict(r)) for r in store.conn.execute(sql, (*params, limit, offset))]


def row_ids(store: Store, flt: InboxFilter) -> list[int]:
    where, params = flt.where(dense_search=search_is_dense(store, flt))
    return [
        r[0]
        for r in store.conn.execute(
            f"SELECT r.id FROM operator_reservations r WHERE {where} ORDER BY {flt.order_by()}", params
        )
    ]


def _decode_list_row(row: dict[str, Any]) -> dict[str, Any]:
    row["child_ages"] = json.loads(row["child_ages"])
    row["missing_mappings"] = json.loads(row["missing_mappings"])
    row["checks"] = json.loads(row["checks"])
    row["flags"] = json.loads(row["flags"])
    row["pax"] = pax_label(row["adults"], row["child_ages"])
    row["total"] = from_minor(row.pop("total_minor"), row["currency"])
    return row


def possible_matches(checks: dict[str, Any]) -> tuple[int, str]:
    """How many hotel bookings the voucher check found that may be this one, and the best one's reason.

    The voucher check lists them best first: the same voucher from another
    operator, then a guest of the same surname over the same nights.
    """
    matches = (checks.get("voucher") or {}).get("details", {}).get("matches") or []
    if not matches:
        return 0, ""
    best = matches[0]
    return len(matches), f"{best.get('hotel_number', '')}: {best.get('reason', '')}".strip(": ")


# -- one reservation -----------------------------------------------------------------
def reservation_json(store: Store, reservation_id: int) -> dict[str, Any]:
    """The documented JSON shape of one operator reservation (``opdesk show --json``)."""
    row = store.one("SELECT * FROM operator_reservations WHERE id = ?", (reservation_id,))
    if row is None:
        raise NotFound(f"no operator reservation #{reservation_id} (see: opdesk inbox --status all)")
    return _shape(store, row)


def _shape(store: Store, row: dict[str, Any]) -> dict[str, Any]:
    guests = store.all(
        "SELECT first_name, last_name, age, birth_date, gender, nationality FROM guests "
        "WHERE reservation_id = ? ORDER BY position",
        (row["id"],),
    )
    nights = [
        {"date": n["date"], "amount": str(from_minor(n["amount_minor"], n["currency"]))}
        for n in store.conn.execute(
            "SELECT date, amount_minor, currency FROM night_prices WHERE reservation_id = ? ORDER BY date", (row["id"],)
        )
    ]
    hotel_number = pms_number = None
    if row["hotel_reservation_id"] is not None:
        hotel = store.one(
            "SELECT number, pms_number FROM hotel_reservations WHERE id = ?", (row["hotel_reservation_id"],)
        )
        if hotel is not None:
            hotel_number, pms_number = hotel["number"], hotel["pms_number"] or None
    total = from_minor(row["total_minor"], row["currency"])
    child_ages = json.loads(row["child_ages"])
    return {
        "id": row["id"],
        "operator": row["operator"],
        "agency": row["agency"],
        "voucher": row["voucher"],
        "content": row["content"],
        "status": row["status"],
        "version": row["version"],
        "is_latest": bool(row["is_latest"]),
        "check_in": row["check_in"],
        "check_out": row["check_out"],
        "nights": row["nights"],
        "adults": row["adults"],
        "child_ages": child_ages,
        "pax": pax_label(row["adults"], child_ages),
        "rooms": row["rooms"],
        "room": row["room"],
        "board": row["board"],
        "rate": row["rate"],
        "market": row["market"],
        "hotel_room": row["hotel_room"],
        "hotel_board": row["hotel_board"],
        "hotel_rate": row["hotel_rate"],
        "hotel_market": row["hotel_market"],
        "hotel_agency": row["hotel_agency"],
        "nationality": row["nationality"],
        "guests": [{k: g[k] for k in ("first_name", "last_name", "age")} for g in guests],
        "total": f"{total:.2f}" if total is not None else None,
        "currency": row["currency"],
        "night_prices": nights,
        "sale_date": row["sale_date"],
        "created_at": row["created_at"],
        "notes": row["notes"],
        "hotel_note": row["hotel_note"],
        "source": row["source"],
        "segment": row["segment"],
        "promo_code": row["promo_code"],
        "cancel_date": row["cancel_date"],
        "missing_mappings": json.loads(row["missing_mappings"]),
        "checks": json.loads(row["checks"]),
        "clean": bool(row["clean"]),
        "flags": json.loads(row["flags"]),
        "diff": json.loads(row["diff"]),
        "price_table": json.loads(row["price_table"]),
        "hotel_number": hotel_number,
        "pms_number": pms_number,
        "decided_at": row["decided_at"],
        "decided_by": row["decided_by"],
        "reject_reason": row["reject_reason"],
        "reply_state": row["reply_state"],
        "reply_error": row["reply_error"],
        "needs_approval": bool(row["needs_approval"]),
        "raw_id": row["raw_id"],
        "flights": stored_flights(json.loads(row["flights"])),
        "rate_type": row["rate_type"],
        "option_date": row["option_date"],
        **dict(zip(("possible_matches", "best_match"), possible_matches(json.loads(row["checks"])))),
    }


def versions(store: Store, operator: str, voucher: str) -> list[dict[str, Any]]:
    """Every version of one voucher, oldest first, with each one's diff."""
    rows = store.all(
        "SELECT id, version, content, status, created_at, diff, is_latest FROM operator_reservations "
        "WHERE operator = ? AND voucher = ? ORDER BY version",
        (operator, voucher),
    )
    for r in rows:
        r["diff"] = json.loads(r["diff"])
    return rows


def reservation_rooms(store: Store, reservation_id: int) -> dict[str, str]:
    """The other rooms of the operator's reservation this row belongs to: voucher -> status.

    A connector that knows the operator's reservation ID keeps it in ``extra``;
    its rooms are the latest rows, not cancelled, whose voucher is that ID or
    ``ID/n`` (``core.ingest``). Empty for a row of one room, or of no known ID.
    """
    row = store.one("SELECT operator, voucher, extra FROM operator_reservations WHERE id = ?", (reservation_id,))
    if row is None:
        return {}
    rid = str(json.loads(row["extra"] or "{}").get("reservation_id") or "")
    if not rid:
        return {}
    found = store.all(
        "SELECT voucher, status FROM operator_reservations WHERE operator = ? AND is_latest = 1 AND id != ? "
        "AND content != 'cancel' AND (voucher = ? OR (voucher > ? AND voucher < ?)) ORDER BY voucher",
        (row["operator"], reservation_id, rid, rid + "/", rid + "0"),
    )
    return {r["voucher"]: r["status"] for r in found if r["voucher"] == rid or r["voucher"][len(rid) + 1 :].isdigit()}


def raw_messages(
    store: Store, states: tuple[str, ...] = ("failed", "unparsed"), *, operator: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Raw messages that need a person: failed to parse, or no parser knew them."""
    marks = ", ".join("?" * len(states))
    sql = (
        f"SELECT id, operator, channel, received_at, filename, source_ref, size, parse_state, parse_error, "
        f"attempts FROM raw_messages WHERE parse_state IN ({marks})"
    )
    params: list[Any] = list(states)
    if operator:
        sql += " AND operator = ?"
        params.append(operator)
    return store.all(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))


def with_status(flt: InboxFilter, status: str) -> InboxFilter:
    return replace(flt, status=status)


# -- single rows and small counts (the screens' and commands' quick reads) ---------------
RAW_SUMMARY = "id, operator, channel, received_at, filename, source_ref, size, parse_state, parse_error"


def reservation_row(store: Store, reservation_id: int) -> dict[str, Any] | None:
    """One operator reservation as stored (JSON columns still text), or None."""
    return store.one("SELECT * FROM operator_reservations WHERE id = ?", (reservation_id,))


def raw_row(store: Store, raw_id: int) -> dict[str, Any] | None:
    """One raw message as stored, body included, or None."""
    return store.one("SELECT * FROM raw_messages WHERE id = ?", (raw_id,))


def raw_summary(store: Store, raw_id: int) -> dict[str, Any] | None:
    """Where a raw message came from and how it parsed, without its body."""
    return store.one(f"SELECT {RAW_SUMMARY} FROM raw_messages WHERE id = ?", (raw_id,))


def stored_operators(store: Store) -> list[str]:
    """Every operator name the inbox holds rows of (configured or not)."""
    return [r["operator"] for r in store.all("SELECT DISTINCT operator FROM operator_reservations ORDER BY operator")]


def pending_by_operator(store: Store) -> dict[str, int]:
    """Pending latest rows per operator."""
    rows = store.all(
        "SELECT operator, COUNT(*) AS n FROM operator_reservations "
        "WHERE status = 'pending' AND is_latest = 1 GROUP BY operator"
    )
    return {r["operator"]: r["n"] for r in rows}


def clean_pending_count(store: Store) -> int:
    """Pending latest rows that ``confirm --clean`` would take."""
    return int(
        store.scalar(
            "SELECT COUNT(*) FROM operator_reservations WHERE status = 'pending' AND is_latest = 1 AND clean = 1"
        )
        or 0
    )


def pending_using_code(store: Store, operator: str, kind: str, code: str) -> int:
    """Pending latest rows of ``operator`` that carry ``code`` as their ``kind`` (room, board ...)."""
    if kind not in MAPPING_KINDS:
        raise InvalidInput(f"unknown mapping kind {kind!r}: use one of {', '.join(MAPPING_KINDS)}")
    return int(
        store.scalar(
            f"SELECT COUNT(*) FROM operator_reservations WHERE status = 'pending' AND is_latest = 1 "
            f"AND operator = ? AND {kind} = ?",
            (operator, code),
        )
        or 0
    )


def pending_ids(store: Store, *, clean_new: bool = False, failed_check: str = "", limit: int = -1) -> list[int]:
    """Ids of pending latest rows, oldest first: all, only clean new ones, or those failing one check."""
    sql = "SELECT id FROM operator_reservations WHERE status = 'pending' AND is_latest = 1"
    params: list[Any] = []
    if clean_new:
        sql += " AND clean = 1 AND content = 'new'"
    if failed_check:
        sql += " AND json_extract(checks, '$.' || ? || '.state') = 'fail'"
        params.append(failed_check)
    return [r["id"] for r in store.all(sql + " ORDER BY id LIMIT ?", (*params, limit))]


def awaiting_approval(store: Store) -> list[dict[str, Any]]:
    """Pending latest rows that need an internal approval: id, operator, voucher."""
    return store.all(
        "SELECT id, operator, voucher FROM operator_reservations WHERE needs_approval = 1 "
        "AND status = 'pending' AND is_latest = 1 ORDER BY id"
    )
