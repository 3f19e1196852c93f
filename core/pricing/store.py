"""Contracts kept in the store: the active set, loading a new one, promotion uses.

The store keeps every contracts file ever loaded (table ``contract_sets``);
exactly one is active. Loading a file validates it in full first, so a
broken file never replaces good contracts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.audit import Actor, record
from core.pricing.load import load_contracts
from core.pricing.model import ContractSet
from core.store import now_iso, rowid

if TYPE_CHECKING:
    from core.store import Store


# Inbox rows a contracts change re-checks at once, and saved bookings it leaves to `opdesk recheck --saved`.
UNSAVED_PENDING = "status = 'pending' AND is_latest = 1 AND hotel_reservation_id IS NULL"
SAVED = "is_latest = 1 AND hotel_reservation_id IS NOT NULL AND content != 'cancel'"


@dataclass
class LoadedContracts:
    set_id: int
    contracts: ContractSet
    rechecked: int = 0
    saved: int = 0  # saved bookings not re-checked (opdesk recheck --saved)


def active_set_id(store: "Store") -> int | None:
    found = store.scalar("SELECT id FROM contract_sets WHERE active = 1 ORDER BY id DESC LIMIT 1")
    return int(found) if found is not None else None


def active_contracts(store: "Store", cache: dict[str, Any] | None = None) -> tuple[int, ContractSet] | None:
    """The active contract set, parsed once per ``cache`` (keyed by its id).

    A cache lives for one batch of work (a ``CheckContext``, reset per ingest
    batch), during which the active set does not change: it is looked up once.
    """
    if cache is not None and "pricing.active_set_id" in cache:
        set_id = cache["pricing.active_set_id"]
    else:
        set_id = active_set_id(store)
        if cache is not None:
            cache["pricing.active_set_id"] = set_id
    if set_id is None:
        return None
    key = f"pricing.contract_set.{set_id}"
    if cache is not None and key in cache:
        return set_id, cache[key]
    row = store.one("SELECT body, source_path FROM contract_sets WHERE id = ?", (set_id,))
    assert row is not None  # its id was just read
    contracts = load_contracts(row["body"], source=row["source_path"] or f"contract set #{set_id}")
    if cache is not None:
        cache[key] = contracts
    return set_id, contracts


def activate_contracts(store: "Store", text: str, *, source: str, actor: Actor | str = "") -> int:
    """Validate ``text`` and make it the active contract set in one transaction; returns its id.

    Raises ``ContractsError`` (and changes nothing) when the file has any problem.
    Rows already in the store are not re-checked: ``core.desk.load_contracts_text`` does that.
    """
    contracts = load_contracts(text, source=source)
    who = actor if isinstance(actor, Actor) else Actor.current("cli", actor or None)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    with store.transaction() as c:
        before = active_set_id(store)
        c.execute("UPDATE contract_sets SET active = 0 WHERE active = 1")
        set_id = rowid(
            c.execute(
                "INSERT INTO contract_sets(loaded_at, loaded_by, source_path, sha256, body, active) "
                "VALUES (?, ?, ?, ?, ?, 1)",
                (now_iso(), who.name, source, digest, text),
            )
        )
        record(
            store,
            who,
            "contracts.load",
            before={"contract_set": before},
            after={"contract_set": set_id},
            detail=f"{source}: {len(contracts.contracts)} contracts",
        )
    return set_id


def promo_uses(store: "Store", code: str, *, operator: str = "", voucher: str = "") -> int:
    """Bookings using promotion ``code``: the latest version of each voucher, not cancelled, not rejected.

    The booking being checked (``operator``, ``voucher``) is not counted against itself.
    """
    return int(
        store.scalar(
            "SELECT COUNT(*) FROM operator_reservations WHERE promo_code = ? AND is_latest = 1 "
            "AND content != 'cancel' AND status != 'rejected' AND NOT (operator = ? AND voucher = ?)",
            (code, operator, voucher),
        )
        or 0
    )
