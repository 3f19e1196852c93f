"""The questions the inbox and the detail screen ask before acting on rows: confirm, reject, save, map.

Each asks in a modal and hands the answer to the app, which does the work in
a worker (``OpdeskApp.act_on_rows``, ``OpdeskApp.fix_mapping``).
"""

from __future__ import annotations

import json
from typing import Any

from core.desk import blocking_now
from core.inbox import reservation_row
from core.overrides import blocking_checks
from tui.screens.mapping_fix import MappingFixModal
from tui.widgets.confirmation import ConfirmModal, OverrideModal, RejectModal
from tui.widgets.stay_effect import confirm_effect


def _blocking(app: Any, ids: list[int]) -> dict[str, list[str]]:
    """Failed blocking checks (stop-sale, values) of the rows, by check: one line per row that has it."""
    found: dict[str, list[str]] = {}
    for rid in ids:
        row = reservation_row(app.store, rid)
        if row is None or row["status"] == "rejected":
            continue
        decision = blocking_checks(blocking_now(app.store, app.config, row))
        for name, message in decision.blocking.items():
            found.setdefault(name, []).append(f"{row['voucher']}: {message}")
    return found


def _ask_override(app: Any, action: str, ids: list[int], blocking: dict[str, list[str]]) -> bool:
    """When a row is held by a stop-sale or impossible values, say which and ask for the override's reason."""
    if not blocking:
        return False
    what = " and ".join({"stop_sale": "a stop-sale", "values": "impossible values"}.get(k, k) for k in blocking)
    lines = [
        f"{'Stop-sale' if name == 'stop_sale' else 'Values'}: {line}"
        for name, found in blocking.items()
        for line in found[:5]
    ]
    verb = action.capitalize()
    body = "\n".join(lines) + (
        f"\n\n{verb} anyway? The reason is kept in the audit log with the override."
        if action == "save"
        else f"\n\n{verb} anyway? It is saved into the hotel book and the operator is told; "
        "the reason is kept in the audit log with the override."
    )

    def go(reason: str | None) -> None:
        if reason:
            app.act_on_rows(action, ids, reason, overrides=sorted(blocking))

    app.push_screen(OverrideModal(f"{verb} under {what}?", body, verb), go)
    return True


def ask_confirm(app: Any, ids: list[int]) -> None:
    if _ask_override(app, "confirm", ids, _blocking(app, ids)):
        return
    if len(ids) == 1:
        row = reservation_row(app.store, ids[0])
        if row is None:
            return
        title = f"Confirm {row['voucher']} to {row['operator']}?"
        body = (
            f"{row['guest_names'] or 'no guest names'}\n{row['check_in']} → {row['check_out']}, "
            f"{row['rooms']} × {row['hotel_room'] or row['room']}\n\n"
            f"It is saved into the hotel book and the operator is told.\n{confirm_effect(app.store, row)}"
        )
    else:
        title = f"Confirm {len(ids)} marked rows?"
        body = "Each is saved into the hotel book and its operator is told. Rows that fail a check stay pending."

    def go(yes: bool | None) -> None:
        if yes:
            app.act_on_rows("confirm", ids)

    app.push_screen(ConfirmModal(title, body, "Confirm"), go)


def ask_reject(app: Any, ids: list[int]) -> None:
    if len(ids) == 1:
        row = reservation_row(app.store, ids[0])
        if row is None:
            return
        title = f"Reject {row['voucher']} of {row['operator']}?"
        body = row["guest_names"] or ""
    else:
        title, body = f"Reject {len(ids)} marked rows?", "Each operator is told, with the same reason."

    def go(reason: str | None) -> None:
        if reason:
            app.act_on_rows("reject", ids, reason)

    app.push_screen(RejectModal(title, body), go)


def ask_save(app: Any, ids: list[int]) -> None:
    if _ask_override(app, "save", ids, _blocking(app, ids)):
        return
    title = f"Save {len(ids)} row(s) into the hotel book?"
    body = "The hotel book is updated; the operator is not told and the rows stay pending."

    def go(yes: bool | None) -> None:
        if yes:
            app.act_on_rows("save", ids)

    app.push_screen(ConfirmModal(title, body, "Save"), go)


def ask_mapping(app: Any, row: dict[str, Any]) -> None:
    """Offer the mapping fix for the first missing code of ``row`` (an inbox row or a detail shape)."""
    stored = reservation_row(app.store, row["id"])
    if stored is None:
        return
    missing = json.loads(stored["missing_mappings"])
    if not missing:
        app.notify(f"{stored['voucher']}: every code is mapped")
        return
    kind = missing[0]
    code = stored[kind] or ""
    if not code:
        app.notify(f"{stored['voucher']}: the operator sent no {kind} code; nothing to map", severity="warning")
        return

    def go(hotel_code: str | None) -> None:
        if hotel_code:
            app.fix_mapping(stored["operator"], kind, code, hotel_code)

    app.push_screen(MappingFixModal(stored["operator"], kind, code), go)
