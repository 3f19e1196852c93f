"""The inbox: operator reservations by status, searched, filtered, sorted and paged in SQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Static, Tab, Tabs

from core import inbox
from core.desk import CleanSelection, clean_selection
from core.inbox import InboxFilter
from core.store import Store
from tui.desk_app import STORE_ERRORS, DeskScreen, error_text
from tui.messages import ActionsDone, InboxCounts, InboxPage, InboxTrouble
from tui.screens.prompts import ask_confirm, ask_mapping, ask_reject, ask_save
from tui.widgets.confirmation import ConfirmModal
from tui.widgets.inbox_table import SORTABLE, InboxTable

PAGE_SIZE = 100
SEARCH_DEBOUNCE = 0.05  # seconds of quiet typing before a search's page is read (see reload)
STATUS_TABS = (("pending", "Pending"), ("confirmed", "Confirmed"), ("rejected", "Rejected"), ("all", "All"))
SORT_CYCLE = ("created", "check_in", "voucher", "guest", "operator", "sale_date", "nights", "status")


class InboxScreen(DeskScreen):
    """Pending / Confirmed / Rejected / All, one page of rows at a time."""

    BINDINGS = [
        Binding("slash", "focus_search", "Search", id="inbox.search", tooltip="Search by voucher or guest name"),
        Binding("escape", "leave_search", "Table", id="inbox.table", show=False),
        Binding("space", "toggle_select", "Select", id="inbox.select", tooltip="Mark the row for a bulk action"),
        Binding("c", "confirm", "Confirm", id="inbox.confirm", tooltip="Confirm the marked rows, else this row"),
        Binding("x", "reject", "Reject", id="inbox.reject", tooltip="Reject with a reason"),
        Binding("s", "save", "Save", id="inbox.save", show=False, tooltip="Save into the hotel book only"),
        Binding(
            "A",
            "confirm_clean",
            "Confirm clean",
            id="inbox.confirm_clean",
            tooltip="Confirm every clean pending row (of the operator filter)",
        ),
        Binding("m", "fix_mapping", "Map", id="inbox.map", tooltip="Fix a missing (red) mapping"),
        Binding("f", "filters", "Filter", id="inbox.filter", tooltip="Operator, dates, content"),
        Binding("o", "next_operator", "Operator", id="inbox.operator", show=False),
        Binding("t", "next_sort", "Sort", id="inbox.sort", show=False),
        Binding("r", "reverse_sort", "Reverse", id="inbox.reverse", show=False),
        Binding("right_square_bracket", "page(1)", "Next page", id="inbox.next_page", show=False),
        Binding("left_square_bracket", "page(-1)", "Prev page", id="inbox.prev_page", show=False),
        Binding("1", "status('pending')", "Pending", show=False, id="inbox.pending"),
        Binding("2", "status('confirmed')", "Confirmed", show=False, id="inbox.confirmed"),
        Binding("3", "status('rejected')", "Rejected", show=False, id="inbox.rejected"),
        Binding("4", "status('all')", "All", show=False, id="inbox.all"),
        Binding("ctrl+r", "reload", "Reload", show=False, id="inbox.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.flt = InboxFilter()
        self.page = 0
        self.total = 0
        self.counts: dict[str, int] = {}
        self.selected: set[int] = set()
        self._token = 0
        self._loading: dict[tuple[int, str], Store] = {}  # the stores of loads still running, by token and part
        self._loading_lock = threading.Lock()
        self._page_timer: Timer | None = None
        self._shown_status: str | None = None
        self._shown_summary: str | None = None
        self.loaded = False  # the first page has been shown (tests and the bench wait on it)
        self.pages_shown = 0
        self._page_token = 0  # the load whose page is on the screen
        self._held_counts: InboxCounts | None = None  # counts that came before their page

    def compose(self) -> ComposeResult:
        yield Header()
        yield Tabs(*(Tab(label, id=key) for key, label in STATUS_TABS), id="status-tabs")
        with Horizontal(id="inbox-bar"):
            yield Input(placeholder="/ search voucher or name", id="search", compact=True)
            yield Static("", id="filter-summary")
        yield InboxTable(self.app.config.timezone, id="inbox-table")
        yield Static("", id="inbox-status")
        yield Footer()

    @property
    def table(self) -> InboxTable:
        return self.query_one(InboxTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.reload()

    def on_screen_resume(self) -> None:
        if self.loaded:
            self.reload()

    # -- loading ----------------------------------------------------------------
    def reload(self, *, page_after: float = 0.0) -> None:
        """Load the page and the tabs' counts of the filter, on two threads at once.

        A page of a search on a big store comes quickly; its counts (every match, by
        tab) take longer. Each has its own connection, so the counts are read while
        the page is, and both go up together when the page comes.

        ``page_after``: seconds to wait before reading the page (quiet typing in the
        search box). Counts an index answers start at once: they are drawn with their
        page only, so reading them early shows nothing sooner, it only has them ready.
        Counts that read rows (a term of one or two characters) wait with the page.
        """
        self._token += 1
        self._stop_older_loads()
        if self._page_timer is not None:
            self._page_timer.stop()
            self._page_timer = None
        token, flt, offset = self._token, self.flt, self.page * PAGE_SIZE
        ahead = not page_after or inbox.counts_from_index(flt)
        if ahead:
            self._count(token, flt)
        if page_after:
            self._page_timer = self.set_timer(page_after, lambda: self._load_page(token, flt, offset, not ahead))
        else:
            self._load_page(token, flt, offset)

    def _load_page(self, token: int, flt: InboxFilter, offset: int, count: bool = False) -> None:
        self._page_timer = None
        self._load(token, flt, offset)
        if count:
            self._count(token, flt)

    def _stop_older_loads(self) -> None:
        """Interrupt the queries of loads a newer one replaced, so they do not hold up its answer."""
        with self._loading_lock:
            for (token, _), store in self._loading.items():
                if token != self._token:
                    store.conn.interrupt()

    def _read(self, token: int, part: str, read: Callable[[Store], Message]) -> None:
        """Read one part of a load on a connection known to ``_stop_older_loads``, and post what it read.

        The connection is borrowed from the app's pool: the next keystroke's load finds the indexes
        this one read in memory. A load the store could not answer is said on the screen and the
        desk goes on with what it shows; an older load interrupted by a newer one ends quietly.
        """
        try:
            with self.app.store_pool.borrow() as store:
                with self._loading_lock:
                    self._loading[(token, part)] = store
                try:
                    if token != self._token:
                        return
                    message = read(store)
                finally:
                    with self._loading_lock:
                        del self._loading[(token, part)]
        except STORE_ERRORS as exc:
            if token == self._token:
                self.post_message(InboxTrouble(token, part, error_text(exc)))
            return
        if token == self._token:
            self.post_message(message)

    @work(thread=True, exclusive=True, group="inbox")
    def _load(self, token: int, flt: InboxFilter, offset: int) -> None:
        self._read(
            token, "page", lambda store: InboxPage(token, inbox.list_rows(store, flt, limit=PAGE_SIZE, offset=offset))
        )

    @work(thread=True, exclusive=True, group="inbox-counts")
    def _count(self, token: int, flt: InboxFilter) -> None:
        def count(store: Store) -> InboxCounts:
            counts = inbox.counts_by_status(store, flt)
            total = counts[flt.status] if flt.status in counts else inbox.count_rows(store, flt)
            return InboxCounts(token, total, counts)

        self._read(token, "counts", count)

    def on_inbox_page(self, message: InboxPage) -> None:
        if message.token != self._token:
            return
        self.table.show_page(message.rows, self.selected)
        self.loaded = True
        self.pages_shown += 1
        self._page_token = message.token
        self._show_held_counts()
        self._show_status()

    def on_inbox_counts(self, message: InboxCounts) -> None:
        """Counts go up with their page: counts that come first wait for it, so both are drawn at once.

        Drawn apart, the tabs' new labels would take one frame and the page the next, a
        frame later (the screen redraws at most 60 times a second): the rows a search finds
        would come up to 30 ms later than they could.
        """
        if message.token != self._token:
            return
        if self._page_token != message.token:
            self._held_counts = message
            return
        self._apply_counts(message)
        self._show_status()

    def _show_held_counts(self) -> None:
        held, self._held_counts = self._held_counts, None
        if held is not None and held.token == self._token:
            self._apply_counts(held)

    def _apply_counts(self, message: InboxCounts) -> None:
        self.total = message.total
        self.counts = message.counts
        self._show_counts()

    def on_inbox_trouble(self, message: InboxTrouble) -> None:
        if message.token != self._token:
            return
        if message.part == "page":
            self._page_token = message.token  # its counts, when they come, go up at once
            self._show_held_counts()  # the counts are right; only the rows could not be read
            self._show_status()
        what = "this page of the inbox" if message.part == "page" else "the tabs' counts"
        self.notify(
            f"Could not read {what} from the store ({message.error}). Ctrl+R reads it again.",
            title="Inbox",
            severity="error",
            markup=False,
        )

    def _show_counts(self) -> None:
        """Change the labels that differ, in one update. A tab only ever grows: a search's counts,
        narrower than the inbox's, then leave every tab its width, so the screen is laid out once,
        not a second time a frame later for the tabs' new sizes (and the bar under the shown tab
        does not slide)."""
        tabs = self.query_one(Tabs)
        with self.app.batch_update():
            for key, label in STATUS_TABS:
                tab = tabs.query_one(f"#{key}", Tab)
                text = f"{label} {self.counts.get(key, 0):,}"
                if tab.label.plain != text:
                    width = len(text) + 2  # a space each side
                    if tab.styles.min_width is None or tab.styles.min_width.value < width:
                        tab.styles.min_width = width
                    tab.label = text

    def _show_status(self) -> None:
        first = self.page * PAGE_SIZE + 1 if self.total else 0
        last = min((self.page + 1) * PAGE_SIZE, self.total)
        pages = max(1, -(-self.total // PAGE_SIZE))
        arrow = "↓" if self.flt.descending else "↑"
        parts = [
            f"{first:,}–{last:,} of {self.total:,}",
            f"page {self.page + 1}/{pages}",
            f"sort {self.flt.sort} {arrow}",
        ]
        if self.selected:
            parts.append(f"{len(self.selected)} marked")
        status, summary = "  ·  ".join(parts), filter_summary(self.flt)
        # Both are one line high: only the summary's width can change the layout.
        if status != self._shown_status:
            self._shown_status = status
            self.query_one("#inbox-status", Static).update(status, layout=False)
        if summary != self._shown_summary:
            self._shown_summary = summary
            self.query_one("#filter-summary", Static).update(summary)

    def after_action(self, message: ActionsDone) -> None:
        done = {o["id"] for o in message.outcomes if o["ok"]}
        self.selected -= done
        self.reload()

    def after_scan(self) -> None:
        self.reload()

    # -- status tabs, search, filters, sort, pages -------------------------------------
    @on(Tabs.TabActivated, "#status-tabs")
    def _tab_changed(self, event: Tabs.TabActivated) -> None:
        status = event.tab.id or "pending"
        if status != self.flt.status:
            self._set_filter(replace(self.flt, status=status))

    def action_status(self, status: str) -> None:
        self.query_one(Tabs).active = status

    def _set_filter(self, flt: InboxFilter) -> None:
        self.flt = flt
        self.page = 0
        self.reload()

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_leave_search(self) -> None:
        self.table.focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        if event.value != self.flt.search:
            self.flt = replace(self.flt, search=event.value)
            self.page = 0
            self.reload(page_after=SEARCH_DEBOUNCE)

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        if self._page_timer is not None:  # Enter: the page now, without waiting for quiet typing
            self._page_timer.stop()
            self._load_page(self._token, self.flt, self.page * PAGE_SIZE, not inbox.counts_from_index(self.flt))
        self.table.focus()

    def action_filters(self) -> None:
        from tui.screens.filters import FilterModal

        def apply(flt: InboxFilter | None) -> None:
            if flt is not None:
                self._set_filter(flt)

        self.app.push_screen(FilterModal(self.flt, self._operator_names()), apply)

    def _operator_names(self) -> list[str]:
        names = [op.name for op in self.app.config.operators]
        return list(dict.fromkeys([*names, *inbox.stored_operators(self.app.store)]))

    def action_next_operator(self) -> None:
        names = [None, *self._operator_names()]
        nxt = names[(names.index(self.flt.operator) + 1) % len(names)] if self.flt.operator in names else None
        self._set_filter(replace(self.flt, operator=nxt))

    def action_next_sort(self) -> None:
        current = SORT_CYCLE.index(self.flt.sort) if self.flt.sort in SORT_CYCLE else -1
        self._set_filter(replace(self.flt, sort=SORT_CYCLE[(current + 1) % len(SORT_CYCLE)]))

    def action_reverse_sort(self) -> None:
        self._set_filter(replace(self.flt, descending=not self.flt.descending))

    @on(InboxTable.HeaderSelected, "#inbox-table")
    def _header_clicked(self, event: InboxTable.HeaderSelected) -> None:
        sort = SORTABLE.get(event.column_key)
        if sort is None:
            return
        descending = not self.flt.descending if sort == self.flt.sort else self.flt.descending
        self._set_filter(replace(self.flt, sort=sort, descending=descending))

    def action_page(self, step: int) -> None:
        pages = max(1, -(-self.total // PAGE_SIZE))
        page = min(max(self.page + step, 0), pages - 1)
        if page != self.page:
            self.page = page
            self.reload()

    def action_reload(self) -> None:
        self.reload()

    # -- rows ---------------------------------------------------------------------------
    @on(InboxTable.RowSelected, "#inbox-table")
    def _open_detail(self, event: InboxTable.RowSelected) -> None:
        from tui.screens.detail import DetailScreen

        self.app.push_screen(DetailScreen(event.reservation_id))

    def action_toggle_select(self) -> None:
        rid = self.table.current_id
        if rid is None:
            return
        if rid in self.selected:
            self.selected.discard(rid)
        else:
            self.selected.add(rid)
        self.table.set_mark(rid, rid in self.selected)
        if self.table.cursor_row < self.table.row_count - 1:
            self.table.move_cursor(row=self.table.cursor_row + 1)
        self._show_status()

    def _targets(self) -> list[int]:
        if self.selected:
            return sorted(self.selected)
        rid = self.table.current_id
        return [rid] if rid is not None else []

    def action_confirm(self) -> None:
        ids = self._targets()
        if ids:
            ask_confirm(self.app, ids)

    def action_reject(self) -> None:
        ids = self._targets()
        if ids:
            ask_reject(self.app, ids)

    def action_save(self) -> None:
        ids = self._targets()
        if ids:
            ask_save(self.app, ids)

    def action_confirm_clean(self) -> None:
        self._clean_worker(self.flt.operator)

    @work(thread=True, exclusive=True, group="clean")
    def _clean_worker(self, operator: str | None) -> None:
        """Find the clean rows off the UI thread (every pending row's checks are read), then ask."""
        try:
            store = self.app.worker_store()
            try:
                selection = clean_selection(store, operator)
            finally:
                store.close()
        except STORE_ERRORS as exc:  # said on the screen; the desk goes on
            error = f"Could not read the pending rows from the store ({error_text(exc)})"
            self.app.call_from_thread(self.app.notify, error, title="Confirm clean", severity="error", markup=False)
            return
        self.app.call_from_thread(self._ask_confirm_clean, selection, operator)

    def _ask_confirm_clean(self, selection: CleanSelection, operator: str | None) -> None:
        scope = f"of {operator}" if operator else "of every operator"
        if not selection.ready:
            self.app.notify(f"No clean pending rows {scope} ({len(selection.skipped)} need a look)", severity="warning")
            return
        body = (
            f"{len(selection.ready)} clean pending row(s) {scope} will be saved into the hotel book and "
            f"confirmed to their operators.\n{len(selection.skipped)} other pending row(s) are skipped: "
            f"a check or mapping needs a look."
        )

        def go(yes: bool | None) -> None:
            if yes:
                self.app.act_on_rows("confirm", selection.ready)

        self.app.push_screen(ConfirmModal("Confirm all clean rows?", body, "Confirm"), go)

    def action_fix_mapping(self) -> None:
        row = self.table.current_row
        if row is not None:
            ask_mapping(self.app, row)


def filter_summary(flt: InboxFilter) -> str:
    parts = []
    if flt.operator:
        parts.append(f"op {flt.operator}")
    if flt.content:
        parts.append(flt.content)
    if flt.since or flt.until:
        parts.append(f"created {flt.since or '…'}–{flt.until or '…'}")
    if flt.stay_from or flt.stay_to:
        parts.append(f"stay {flt.stay_from or '…'}–{flt.stay_to or '…'}")
    if flt.clean_only:
        parts.append("clean")
    if not flt.latest_only:
        parts.append("all versions")
    return " · ".join(parts) if parts else "no filter (f)"
