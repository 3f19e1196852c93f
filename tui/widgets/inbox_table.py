"""The inbox table: one page of operator reservations, drawn line by line.

A Line-API widget (``ScrollView.render_line``): a repaint draws only the rows and
columns on screen, and a new page costs no more than the lines it shows. Rows
are updated by reservation id; the cursor, marks and header clicks work as in a
row-cursor ``DataTable``.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from rich.cells import set_cell_size
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from core.shown import visible
from tui.widgets import cells

# (key, label, width, sort name in core.inbox.SORTS or None). The first nine columns fit 78 cells
# (80 less a vertical scrollbar): what a night auditor decides on at 80x24 (status, operator,
# voucher, guest, stay, mapping and check flags); the rest is a scroll to the right.
COLUMNS: tuple[tuple[str, str, int, str | None], ...] = (
    ("mark", " ", 1, None),
    ("status", "Status", 9, "status"),
    ("operator", "Oper", 7, "operator"),
    ("voucher", "Voucher", 10, "voucher"),
    ("guest", "Guest", 10, "guest"),
    ("check_in", "Check-in", 10, "check_in"),
    ("nights", "Nts", 3, "nights"),
    ("mapping", "Map", 4, None),
    ("checks", "Checks", 6, None),
    ("content", "Content", 7, None),
    ("pax", "Pax", 7, None),
    ("room", "Room", 6, "room"),
    ("board", "Board", 5, None),
    ("agency", "Agency", 8, None),
    ("check_out", "Check-out", 10, "check_out"),
    ("rooms", "Rms", 3, None),
    ("nationality", "Nat", 3, None),
    ("sale_date", "Sale date", 10, "sale_date"),
    ("created", "Created", 11, "created"),
    ("matches", "Possible match", 28, None),
)
NARROW_VISIBLE = 78
"""Cells the inbox shows without scrolling at 80 columns with a vertical scrollbar."""
SORTABLE = {key: sort for key, _, _, sort in COLUMNS if sort}
CELL_PADDING = 1  # spaces each side of a cell, as DataTable draws them
MARK = Text("●", style="bold yellow")


def _text(value: Any) -> Text:
    # Values are shown as text: a guest called "[b]" is not markup, an ESC is shown as ␛ (core/shown.py).
    return value if isinstance(value, Text) else Text(visible(value))


# How each column shows a row: (row, time zone, marked) -> the cell's text.
CELLS: dict[str, Any] = {
    "mark": lambda row, tz, marked: MARK if marked else Text(""),
    "status": lambda row, tz, marked: cells.status_text(row["status"]),
    "content": lambda row, tz, marked: cells.content_text(row["content"]),
    "voucher": lambda row, tz, marked: _text(row["voucher"]),
    "guest": lambda row, tz, marked: _text(cells.first_guest(row["guest_names"])),
    "check_in": lambda row, tz, marked: _text(row["check_in"]),
    "nights": lambda row, tz, marked: _text(row["nights"]),
    "pax": lambda row, tz, marked: _text(row["pax"]),
    "room": lambda row, tz, marked: _text(row["room"]),
    "board": lambda row, tz, marked: _text(row["board"]),
    "mapping": lambda row, tz, marked: cells.mapping_text(row["missing_mappings"]),
    "checks": lambda row, tz, marked: cells.checks_text(row["checks"]),
    "operator": lambda row, tz, marked: _text(row["operator"]),
    "agency": lambda row, tz, marked: _text(row["agency"]),
    "check_out": lambda row, tz, marked: _text(row["check_out"]),
    "rooms": lambda row, tz, marked: _text(row["rooms"]),
    "nationality": lambda row, tz, marked: _text(row["nationality"]),
    "sale_date": lambda row, tz, marked: _text(row["sale_date"]),
    "created": lambda row, tz, marked: _text(cells.local_time(row["created_at"], tz)),
    "matches": lambda row, tz, marked: cells.matches_text(row["checks"]),
}


def row_cells(row: dict[str, Any], tz: ZoneInfo, selected: bool) -> tuple[Text, ...]:
    """Every cell of ``row``, in column order (the table itself builds only the cells on screen)."""
    return tuple(CELLS[key](row, tz, selected) for key, *_ in COLUMNS)


@dataclass(frozen=True)
class Column:
    key: str
    label: Text
    width: int  # of the content, without padding
    start: int  # x of the cell's left edge in the table

    @property
    def end(self) -> int:
        return self.start + self.width + 2 * CELL_PADDING


def layout(columns: tuple[tuple[str, str, int, str | None], ...] = COLUMNS) -> tuple[Column, ...]:
    placed, x = [], 0
    for key, label, width, _ in columns:
        placed.append(Column(key, Text(label), width, x))
        x += width + 2 * CELL_PADDING
    return tuple(placed)


class InboxTable(ScrollView, can_focus=True):
    """The page of rows on screen, with a header that stays put and a row cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("right", "scroll_right", "Scroll right", show=False),
        Binding("left", "scroll_left", "Scroll left", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("ctrl+home", "cursor_top", "Top", show=False),
        Binding("ctrl+end", "cursor_bottom", "Bottom", show=False),
        Binding("home", "scroll_home", "Home", show=False),
        Binding("end", "scroll_end", "End", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "inbox-table--header",
        "inbox-table--cursor",
        "inbox-table--hover",
        "inbox-table--even-row",
        "inbox-table--odd-row",
    }

    # The look of Textual's DataTable, which this table replaces.
    DEFAULT_CSS = """
    InboxTable {
        height: 1fr;
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .inbox-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .inbox-table--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark > .inbox-table--even-row {
            background: $surface-darken-1 40%;
        }
        & > .inbox-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .inbox-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .inbox-table--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .inbox-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .inbox-table--hover {
            background: $block-hover-background;
        }
    }
    """

    cursor_row: reactive[int] = reactive(0)
    hover_row: reactive[int] = reactive(-1)  # -1: the mouse is not over a row

    class RowSelected(Message):
        """Enter, or a click on the cursor row: open this reservation."""

        def __init__(self, table: "InboxTable", reservation_id: int) -> None:
            super().__init__()
            self.table = table
            self.reservation_id = reservation_id

        @property
        def control(self) -> "InboxTable":
            return self.table

    class HeaderSelected(Message):
        """A click on a column's label."""

        def __init__(self, table: "InboxTable", column_key: str) -> None:
            super().__init__()
            self.table = table
            self.column_key = column_key

        @property
        def control(self) -> "InboxTable":
            return self.table

    def __init__(self, tz: ZoneInfo, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tz = tz
        self.columns = layout()
        self._starts = [c.start for c in self.columns]
        self.table_width = self.columns[-1].end
        self.rows_by_id: dict[int, dict[str, Any]] = {}
        self.page_ids: list[int] = []
        self.marked: set[int] = set()
        self._cells: dict[tuple[int, int], list[Segment]] = {}  # by (reservation id, column)
        self._styles: dict[tuple[str, bool], Style] = {}
        self._lines: LRUCache[tuple, Strip] = LRUCache(256)
        self._version = 0  # bumped when what the lines show changes

    def on_mount(self) -> None:
        self.virtual_size = Size(self.table_width, len(self.page_ids) + 1)

    # -- filling -----------------------------------------------------------------
    def show_page(self, rows: list[dict[str, Any]], selected: set[int]) -> None:
        """Show ``rows``; when the same rows are already shown, redraw only the rows that changed."""
        ids = [r["id"] for r in rows]
        marked = {i for i in ids if i in selected}
        if ids == self.page_ids:
            changed = [
                i
                for i, r in enumerate(rows)
                if r != self.rows_by_id.get(r["id"]) or (r["id"] in marked) != (r["id"] in self.marked)
            ]
            self.rows_by_id = {r["id"]: r for r in rows}
            self.marked = marked
            for index in changed:
                self._row_changed(index)
            return
        keep = self.current_id
        self.rows_by_id = {r["id"]: r for r in rows}
        self.page_ids = ids
        self.marked = marked
        self._cells = {key: cell for key, cell in self._cells.items() if key[0] == -1}
        self._forget_lines()
        self.virtual_size = Size(self.table_width, len(ids) + 1)
        if keep is not None and keep in ids:
            self.move_cursor(row=ids.index(keep))
        else:
            self.cursor_row = 0
            self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def set_mark(self, reservation_id: int, selected: bool) -> None:
        if reservation_id not in self.rows_by_id:
            return
        if selected:
            self.marked.add(reservation_id)
        else:
            self.marked.discard(reservation_id)
        self._row_changed(self.page_ids.index(reservation_id))

    def _row_changed(self, index: int) -> None:
        rid = self.page_ids[index]
        for column in range(len(self.columns)):
            self._cells.pop((rid, column), None)
        self._forget_lines()
        self.refresh_line(index + 1)

    def _forget_lines(self) -> None:
        self._version += 1
        self._lines.clear()

    # -- reading -----------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self.page_ids)

    @property
    def current_id(self) -> int | None:
        if not self.page_ids:
            return None
        return self.page_ids[min(max(self.cursor_row, 0), len(self.page_ids) - 1)]

    @property
    def current_row(self) -> dict[str, Any] | None:
        rid = self.current_id
        return self.rows_by_id.get(rid) if rid is not None else None

    # -- cursor ----------------------------------------------------------------------
    def validate_cursor_row(self, row: int) -> int:
        return min(max(row, 0), max(len(self.page_ids) - 1, 0))

    def watch_cursor_row(self, old: int, new: int) -> None:
        self.refresh_line(old + 1)
        self.refresh_line(new + 1)
        self._scroll_to_cursor()

    def watch_hover_row(self, old: int, new: int) -> None:
        self.refresh_line(old + 1)
        self.refresh_line(new + 1)

    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        self.cursor_row = row

    @property
    def _body_height(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def _scroll_to_cursor(self) -> None:
        top, height = int(self.scroll_y), self._body_height
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + height:
            self.scroll_to(y=self.cursor_row - height + 1, animate=False, immediate=True)

    def on_resize(self) -> None:
        self._scroll_to_cursor()

    def _step(self, rows: int) -> None:
        self.hover_row = -1
        self.cursor_row = self.cursor_row + rows

    def action_cursor_up(self) -> None:
        self._step(-1)

    def action_cursor_down(self) -> None:
        self._step(1)

    def action_page_up(self) -> None:
        self._step(-self._body_height)

    def action_page_down(self) -> None:
        self._step(self._body_height)

    def action_cursor_top(self) -> None:
        self._step(-len(self.page_ids))

    def action_cursor_bottom(self) -> None:
        self._step(len(self.page_ids))

    def action_scroll_home(self) -> None:
        self.scroll_to(x=0, animate=False)

    def action_scroll_end(self) -> None:
        self.scroll_to(x=self.max_scroll_x, animate=False)

    def action_select_cursor(self) -> None:
        rid = self.current_id
        if rid is not None:
            self.post_message(self.RowSelected(self, rid))

    # -- mouse ----------------------------------------------------------------------------
    def _at(self, event: events.MouseEvent) -> tuple[int | None, Column | None]:
        """The row index (None for the header) and the column under the mouse."""
        offset = event.get_content_offset(self)
        if offset is None:
            return None, None
        x = offset.x + int(self.scroll_x)
        column = self.columns[bisect_right(self._starts, x) - 1] if x < self.table_width else None
        if offset.y == 0:
            return None, column
        row = offset.y - 1 + int(self.scroll_y)
        return (row if row < len(self.page_ids) else -1), column

    def on_mouse_move(self, event: events.MouseMove) -> None:
        row, _ = self._at(event)
        self.hover_row = -1 if row is None else row

    def on_leave(self, event: events.Leave) -> None:
        self.hover_row = -1

    def on_click(self, event: events.Click) -> None:
        row, column = self._at(event)
        if row is None:
            if column is not None:
                self.post_message(self.HeaderSelected(self, column.key))
            return
        if row < 0:
            return
        event.stop()
        if row == self.cursor_row:
            self.action_select_cursor()
        else:
            self.cursor_row = row

    # -- drawing ---------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        if hasattr(self, "_lines"):  # styles are set once before __init__ is done
            self._styles.clear()
            self._forget_lines()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        row = None if y == 0 else y - 1 + scroll_y
        if row is not None and row >= len(self.page_ids):
            return Strip.blank(width, self.rich_style)
        key = (row, scroll_x, width, row == self.cursor_row, row == self.hover_row, self.has_focus, self._version)
        strip = self._lines.get(key)
        if strip is None:
            strip = self._render_row(row, scroll_x, width)
            self._lines[key] = strip
        return strip

    def _render_row(self, row: int | None, scroll_x: int, width: int) -> Strip:
        """The visible part, ``scroll_x`` to ``scroll_x + width``, of the header or of one row."""
        style, post = self._line_styles(row)
        end = scroll_x + width
        first = max(bisect_right(self._starts, scroll_x) - 1, 0)
        segments: list[Segment] = []
        for index in range(first, len(self.columns)):
            if self.columns[index].start >= end:
                break
            segments.extend(self._cell(row, index))
        left = self.columns[first].start
        cropped = Strip(segments).crop(scroll_x - left, end - left)
        # The row's style goes under each cell's own colours; the cursor's colour over them.
        strip = Strip(Segment.apply_style(cropped, style, post), cropped.cell_length)
        # Past the last column the row's style carries on to the edge, as the cursor does.
        return strip.extend_cell_length(width, style + post).simplify()

    def _line_styles(self, row: int | None) -> tuple[Style, Style]:
        """The style under a line's cells and the one over them."""
        if row is None:
            return self._style("inbox-table--header"), Style.null()
        style = self._style("inbox-table--odd-row" if row % 2 else "inbox-table--even-row")
        if row == self.hover_row:
            style += self._style("inbox-table--hover")
        if row != self.cursor_row:
            return style, Style.null()
        cursor = self._style("inbox-table--cursor")
        # The cursor's colour wins over the cell's, its background does not (DataTable's defaults).
        return style + cursor, Style.from_color(color=cursor.color)

    def _style(self, component: str) -> Style:
        key = (component, self.has_focus)
        style = self._styles.get(key)
        if style is None:
            # As DataTable does: a line's base is the full style of its component (colours
            # blended over the table's background); hover and cursor are laid on top.
            if component in ("inbox-table--hover", "inbox-table--cursor"):
                style = self.get_component_rich_style(component)
            else:
                style = self.get_component_styles(component).rich_style
            self._styles[key] = style
        return style

    def _cell(self, row: int | None, index: int) -> list[Segment]:
        """One cell's segments, padded to the column's width, in the cell's own style only."""
        rid = -1 if row is None else self.page_ids[row]
        key = (rid, index)
        segments = self._cells.get(key)
        if segments is None:
            column = self.columns[index]
            if row is None:
                text = column.label
            else:
                text = CELLS[column.key](self.rows_by_id[rid], self.tz, rid in self.marked)
            segments = cell_segments(text, column.width, self.app.console)
            self._cells[key] = segments
        return segments


def cell_segments(text: Text, width: int, console: Console) -> list[Segment]:
    """``text`` cut or padded to ``width`` cells, with a space each side, as DataTable pads."""
    pad = Segment(" " * CELL_PADDING)
    own = console.get_style(text.style, default=Style.null()) if text.style else None
    if not text.spans:
        return [pad, Segment(set_cell_size(text.plain, width), own), pad]
    line = text.copy()
    line.truncate(width, overflow="crop", pad=True)
    # Text.render leaves out the text's own style (only its spans'): put it under them.
    return [pad, *Segment.apply_style(line.render(console), own), pad]
