"""Saved bookings priced again: which expected prices a corrected contract changed.

Loading contracts re-checks the pending inbox, but a booking already saved into
the hotel book keeps the price check it had. When a contract turns out wrong
after bookings were saved, ``recheck_saved`` runs the price check of each saved
booking again against the contracts loaded now, stores the new answer on the
row, writes an audit row for each one that changed (the old answer is in it,
so nothing is lost) and lists them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.audit import Actor, record
from core.pricing.store import SAVED
from core.store import dumps

if TYPE_CHECKING:
    from core.config import Config
    from core.store import Store

SAVED_SQL = f"SELECT * FROM operator_reservations WHERE {SAVED} AND check_in >= ? ORDER BY check_in, id"


@dataclass
class PriceChange:
    id: int
    voucher: str
    check_in: str
    old: str | None  # the expected (contract) total before, as text with two decimals
    new: str | None

    @property
    def difference(self) -> str | None:
        if self.old is None or self.new is None:
            return None
        return f"{Decimal(self.new) - Decimal(self.old):.2f}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "voucher": self.voucher,
            "check_in": self.check_in,
            "old": self.old,
            "new": self.new,
            "difference": self.difference,
        }


@dataclass
class RecheckReport:
    checked: int
    changed: list[PriceChange]


def recheck_saved(store: "Store", config: "Config", actor: Actor, since: date | None = None) -> RecheckReport:
    """Run the price check of every saved booking (check-in on or after ``since``) again."""
    from core.ingest import facts_from_row  # core.ingest reaches the price check: import late, no cycle
    from core.pricing.check import check_price
    from core.stay import CheckContext

    ctx = CheckContext(store, config)
    rows = store.all(SAVED_SQL, ((since or date.min).isoformat(),))
    changed: list[PriceChange] = []
    with store.transaction() as c:
        for row in rows:
            outcome = check_price(facts_from_row(store, row), ctx)
            before = json.loads(row["price_table"] or "{}")
            old, new = before.get("contract_total"), outcome.details.get("contract_total")
            checks = json.loads(row["checks"] or "{}")
            checks["price"] = outcome.as_dict()
            c.execute(
                "UPDATE operator_reservations SET checks = ?, price_table = ? WHERE id = ?",
                (dumps(checks), dumps(outcome.details), row["id"]),
            )
            if old == new:
                continue
            change = PriceChange(row["id"], row["voucher"], row["check_in"], old, new)
            changed.append(change)
            record(
                store,
                actor,
                "recheck.price",
                reservation_id=row["id"],
                hotel_reservation_id=row["hotel_reservation_id"],
                before={"price_table": before},
                after={"price_table": outcome.details},
                detail=f"expected price {old or 'none'} -> {new or 'none'} {row['currency']}",
            )
    return RecheckReport(len(rows), changed)
