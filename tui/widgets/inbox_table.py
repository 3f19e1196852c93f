"""The inbox table: one page of operator reservations, updated row by row by key."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.widgets import DataTable

from tui.widgets import cells

# (key, label, width, sort name in core.inbox.SORTS or None). The order puts what a night
# auditor decides on (voucher, guest, stay, mapping and check flags) inside 80 columns;
# the status tab already says the status.
COLUMNS: tuple[tuple[str, str, int, str | None], ...] = (
    ("mark", " ", 1, None),
    ("content", "Content", 7, None),
    ("voucher", "Voucher", 12, "voucher"),
    ("guest", "Guest", 17, "guest"),
    ("check_in", "Check-in", 10, "check_in"),
    ("nights", "Nts", 3, "nights"),
    ("mapping", "Map", 4, None),
    ("checks", "Checks", 6, None),
    ("pax", "Pax", 7, None),
    ("room", "Room", 6, "room"),
    ("board", "Board", 5, None),
    ("status", "Status", 9, "status"),
    ("operator", "Operator", 9, "operator"),
    ("agency", "Agency", 8, None),
    ("check_out", "Check-out", 10, "check_out"),
    ("rooms", "Rms", 3, None),
    ("nationality", "Nat", 3, None),
    ("sale_date", "Sale date", 10, "sale_date"),
    ("created", "Created", 11, "created"),
)
SORTABLE = {key: sort for key, _, _, sort in COLUMNS if sort}


def row_cells(row: dict[str, Any], tz: ZoneInfo, selected: bool) -> tuple[Any, ...]:
    values = {
        "mark": Text("●", style="bold yellow") if selected else "",
        "status": cells.status_text(row["status"]),
        "content": cells.content_text(row["content"]),
        "voucher": row["voucher"],
        "guest": cells.first_guest(row["guest_names"]),
        "check_in": row["check_in"] or "",
        "nights": str(row["nights"] if row["nights"] is not None else ""),
        "pax": row["pax"],
        "room": row["room"],
        "board": row["board"],
        "mapping": cells.mapping_text(row["missing_mappings"]),
        "checks": cells.checks_text(row["checks"]),
        "operator": row["operator"],
        "agency": row["agency"],
        "check_out": row["check_out"] or "",
        "rooms": str(row["rooms"]),
        "nationality": row["nationality"],
        "sale_date": row["sale_date"] or "",
        "created": cells.local_time(row["created_at"], tz),
    }
    # Plain strings would be parsed as markup by the table; Text is taken as it is.
    return tuple(v if isinstance(v, Text) else Text(v) for v in (values[key] for key, *_ in COLUMNS))


class InboxTable(DataTable):
    """A DataTable that only ever holds the page on screen."""

    DEFAULT_CSS = """
    InboxTable { height: 1fr; }
    """

    def __init__(self, tz: ZoneInfo, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.tz = tz
        self.rows_by_id: dict[int, dict[str, Any]] = {}
        self.page_ids: list[int] = []

    def on_mount(self) -> None:
        for key, label, width, _ in COLUMNS:
            self.add_column(label, key=key, width=width)

    # -- filling -----------------------------------------------------------------
    def show_page(self, rows: list[dict[str, Any]], selected: set[int]) -> None:
        """Show ``rows``; when the same rows are already shown, update only the cells that changed."""
        ids = [r["id"] for r in rows]
        if ids == self.page_ids:
            self._update_in_place(rows, selected)
        else:
            self._refill(rows, selected)
        self.rows_by_id = {r["id"]: r for r in rows}

    def _refill(self, rows: list[dict[str, Any]], selected: set[int]) -> None:
        keep = self.current_id
        self.clear()
        self.page_ids = [r["id"] for r in rows]
        for row in rows:
            self.add_row(*row_cells(row, self.tz, row["id"] in selected), key=str(row["id"]))
        if keep is not None and keep in self.page_ids:
            self.move_cursor(row=self.page_ids.index(keep), animate=False)

    def _update_in_place(self, rows: list[dict[str, Any]], selected: set[int]) -> None:
        for row in rows:
            old = self.rows_by_id.get(row["id"])
            new_cells = row_cells(row, self.tz, row["id"] in selected)
            old_cells = row_cells(old, self.tz, row["id"] in selected) if old else None
            for (key, *_), value, before in zip(COLUMNS, new_cells, old_cells or [None] * len(COLUMNS)):
                if str(value) != str(before) or key == "mark":
                    self.update_cell(str(row["id"]), key, value)

    def set_mark(self, reservation_id: int, selected: bool) -> None:
        if reservation_id in self.rows_by_id:
            self.update_cell(str(reservation_id), "mark", Text("●", style="bold yellow") if selected else "")

    # -- reading -----------------------------------------------------------------
    @property
    def current_id(self) -> int | None:
        if not self.page_ids or self.row_count == 0:
            return None
        row = min(max(self.cursor_row, 0), self.row_count - 1)
        key = self.coordinate_to_cell_key((row, 0)).row_key.value
        return int(key) if key is not None else None

    @property
    def current_row(self) -> dict[str, Any] | None:
        rid = self.current_id
        return self.rows_by_id.get(rid) if rid is not None else None
