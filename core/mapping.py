"""Mappings: (operator, kind, operator code) -> the hotel's code.

Room, board and rate are needed to save a booking; market and agency only
when the operator sent a code for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.models import MAPPING_KINDS
from core.store import Store, now_iso

REQUIRED_KINDS = ("room", "board", "rate")


@dataclass
class MappingTable:
    """Every mapping of the store, held in memory for one batch of work."""

    codes: dict[tuple[str, str, str], str]

    @classmethod
    def load(cls, store: Store) -> "MappingTable":
        rows = store.conn.execute("SELECT operator, kind, code, hotel_code FROM mappings")
        return cls({(r["operator"], r["kind"], r["code"]): r["hotel_code"] for r in rows})

    def lookup(self, operator: str, kind: str, code: str) -> str | None:
        return self.codes.get((operator, kind, code))

    def apply(self, operator: str, codes: dict[str, str]) -> tuple[dict[str, str | None], list[str]]:
        """Map one booking's codes. Returns the hotel codes by kind and the missing kinds."""
        hotel: dict[str, str | None] = {}
        missing: list[str] = []
        for kind in MAPPING_KINDS:
            code = codes.get(kind, "")
            if not code:
                hotel[kind] = None
                if kind in REQUIRED_KINDS:
                    missing.append(kind)
                continue
            hotel[kind] = self.lookup(operator, kind, code)
            if hotel[kind] is None:
                missing.append(kind)
        return hotel, missing


def set_mapping(store: Store, operator: str, kind: str, code: str, hotel_code: str) -> dict[str, Any] | None:
    """Add or change one mapping; returns the row it replaced, if any."""
    _check_kind(kind)
    with store.transaction() as c:
        before = store.one("SELECT * FROM mappings WHERE operator=? AND kind=? AND code=?", (operator, kind, code))
        c.execute(
            "INSERT INTO mappings(operator, kind, code, hotel_code, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(operator, kind, code) DO UPDATE SET hotel_code = excluded.hotel_code, "
            "updated_at = excluded.updated_at",
            (operator, kind, code, hotel_code, now_iso()),
        )
    return before


def unset_mapping(store: Store, operator: str, kind: str, code: str) -> dict[str, Any] | None:
    _check_kind(kind)
    with store.transaction() as c:
        before = store.one("SELECT * FROM mappings WHERE operator=? AND kind=? AND code=?", (operator, kind, code))
        c.execute("DELETE FROM mappings WHERE operator=? AND kind=? AND code=?", (operator, kind, code))
    return before


def list_mappings(store: Store, operator: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT operator, kind, code, hotel_code, updated_at FROM mappings WHERE 1=1"
    params: list[str] = []
    if operator:
        sql += " AND operator = ?"
        params.append(operator)
    if kind:
        _check_kind(kind)
        sql += " AND kind = ?"
        params.append(kind)
    return store.all(sql + " ORDER BY operator, kind, code", tuple(params))


def missing_mappings(store: Store, operator: str | None = None) -> list[dict[str, Any]]:
    """Operator codes that pending rows use and no mapping covers, with how many rows wait."""
    out = []
    for kind in MAPPING_KINDS:
        sql = (
            f"SELECT operator, '{kind}' AS kind, {kind} AS code, COUNT(*) AS rows FROM operator_reservations "
            f"WHERE status = 'pending' AND is_latest = 1 AND hotel_{kind} IS NULL AND {kind} != '' "
        )
        params: tuple[Any, ...] = ()
        if operator:
            sql += "AND operator = ? "
            params = (operator,)
        out.extend(store.all(sql + f"GROUP BY operator, {kind}", params))
    return sorted(out, key=lambda r: (r["operator"], r["kind"], r["code"]))


def hotel_codes(store: Store, kind: str) -> list[dict[str, Any]]:
    """The hotel's own codes of a kind, for suggestions."""
    _check_kind(kind)
    if kind == "room":
        return store.all("SELECT code, name FROM room_types ORDER BY code")
    return store.all("SELECT code, name FROM hotel_codes WHERE kind = ? ORDER BY code", (kind,))


def _check_kind(kind: str) -> None:
    if kind not in MAPPING_KINDS:
        raise ValueError(f"unknown mapping kind {kind!r}: use one of {', '.join(MAPPING_KINDS)}")
