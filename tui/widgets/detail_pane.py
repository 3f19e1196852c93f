"""The detail of one operator reservation, as a stack of sections.

``DetailPane`` composes one widget per entry of ``SECTIONS``. A new section
(internal approvals, say) is a ``DetailSection`` subclass added to that list
with ``add_section``; the pane needs no other change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Container, Vertical, VerticalScroll
from textual.widgets import Static

from core import inbox
from core.documents import documents_of
from core.forecast import ForecastNight
from core.shown import visible_values
from core.store import Store
from tui.widgets import cells
from tui.widgets.stay_effect import stay_forecast

if TYPE_CHECKING:
    from textual import getters

    from tui.desk_app import DeskApp

PAX_PARTS = ("adults", "older", "young", "infant")


@dataclass
class ReservationDetail:
    """Everything the detail pane shows about one row, read in one go."""

    shape: dict[str, Any]
    versions: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    forecast: list[ForecastNight]
    raw: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, store: Store, reservation_id: int) -> "ReservationDetail":
        shape = inbox.reservation_json(store, reservation_id)
        raw = None
        if shape["raw_id"] is not None:
            raw = inbox.raw_summary(store, shape["raw_id"])
        # Everything here came from outside: every string is made visible once, here (core/shown.py).
        forecast = stay_forecast(store, shape)
        versions = inbox.versions(store, shape["operator"], shape["voucher"])
        return cls(
            visible_values(shape),
            visible_values(versions),
            visible_values(documents_of(store, reservation_id)),
            forecast,
            visible_values(raw),
        )


class DetailSection(Static):
    """One titled part of the detail pane. ``column`` places it on wide screens."""

    if TYPE_CHECKING:
        app = getters.app(DeskApp)  # the opdesk app's own attributes, to the type checker (tui/desk_app.py)

    title: ClassVar[str] = ""
    column: ClassVar[str] = "left"
    DEFAULT_CSS = "DetailSection { height: auto; }"

    def show(self, detail: ReservationDetail) -> None:
        body = self.body(detail)
        if body is None:
            self.display = False
            return
        self.display = True
        self.border_title = self.title
        self.update(body)

    def body(self, detail: ReservationDetail) -> RenderableType | None:
        raise NotImplementedError


def _pairs(rows: list[tuple[str, Any]], columns: int = 2) -> Table:
    grid = Table.grid(padding=(0, 1), expand=True)
    for _ in range(columns):
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(ratio=1)
    for i in range(0, len(rows), columns):
        chunk = rows[i : i + columns]
        cells_: list[Any] = []
        for label, value in chunk:
            cells_ += [label, value if isinstance(value, Text) else Text(str(value if value is not None else ""))]
        grid.add_row(*cells_)
    return grid


def _mapped(code: str, hotel: str | None, kind: str, missing: list[str]) -> Text:
    text = Text(code or "—")
    text.append(" → ")
    if kind in missing:
        text.append("not mapped (m)", style="bold red")
    else:
        text.append(hotel or "—", style="green" if hotel else "dim")
    return text


def children_label(pax: list[str], child_ages: list[int]) -> str:
    """``1 older, 1 infant``; a child old enough to count as an adult says so (``1 at adult age``), never "none"."""
    counted = [(int(n), label) for n, label in zip(pax[1:], PAX_PARTS[1:]) if n.isdigit()]
    parts = [f"{n} {label}" for n, label in counted if n]
    grown = len(child_ages) - sum(n for n, _ in counted)
    if grown > 0:
        parts.append(f"{grown} at adult age")
    return ", ".join(parts) or "none"


class SummarySection(DetailSection):
    title = "Reservation"

    def body(self, detail: ReservationDetail) -> RenderableType:
        s = detail.shape
        missing = s["missing_mappings"]
        pax = s["pax"].split("+")
        children = children_label(pax, s["child_ages"])
        ages = ", ".join(str(a) for a in s["child_ages"])
        created = cells.local_time(s["created_at"], _tz(self), "%Y-%m-%d %H:%M")
        rows: list[tuple[str, Any]] = [
            ("Operator", f"{s['operator']} / {s['agency'] or '—'}"),
            ("Voucher", f"{s['voucher']} v{s['version']}"),
            ("Status", cells.status_text(s["status"])),
            ("Content", cells.content_text(s["content"])),
            ("Stay", f"{s['check_in'] or '—'} → {s['check_out'] or '—'}"),
            ("Nights", s["nights"]),
            ("Pax", f"{s['pax']} ({pax[0]} adults)"),
            ("Rooms", s["rooms"]),
            ("Children", children + (f" ({ages})" if ages else "")),
            ("Nationality", s["nationality"] or "—"),
            ("Room type", _mapped(s["room"], s["hotel_room"], "room", missing)),
            ("Board", _mapped(s["board"], s["hotel_board"], "board", missing)),
            ("Price code", _mapped(s["rate"], s["hotel_rate"], "rate", missing)),
            ("Market", _mapped(s["market"], s["hotel_market"], "market", missing)),
            ("Source", f"{s['source'] or '—'} / {s['segment'] or '—'}"),
            ("Sale date", s["sale_date"] or "—"),
            ("Created", created),
            ("Cancel date", s["cancel_date"] or "—"),
            ("Total", f"{s['total'] or '—'} {s['currency']}"),
            ("Hotel no.", s["hotel_number"] or "—"),
            ("Promo", s["promo_code"] or "—"),
            ("Agency", _mapped(s["agency"], s["hotel_agency"], "agency", missing)),
        ]
        rows.append(("PMS no.", s["pms_number"] or "—"))
        rows.append(("Rate type", s["rate_type"] or "—"))
        rows.append(("Option date", s["option_date"] or "—"))
        if s["possible_matches"]:
            rows.append(("Match", Text(f"{s['possible_matches']} possible: {s['best_match']}", style="yellow")))
        if s["decided_at"]:
            rows.append(
                ("Decided", f"{cells.local_time(s['decided_at'], _tz(self), '%Y-%m-%d %H:%M')} by {s['decided_by']}")
            )
            rows.append(("Reply", s["reply_state"] or "—"))
        if s["reject_reason"]:
            rows.append(("Reason", s["reject_reason"]))
        if s["reply_error"]:
            rows.append(("Reply error", Text(s["reply_error"], style="red")))
        notes = Table.grid(padding=(0, 1))
        notes.add_column(style="bold", no_wrap=True)
        notes.add_column()
        notes.add_row("Agency note", Text(s["notes"] or "—"))
        notes.add_row("Hotel note", Text(s["hotel_note"] or "—"))
        return Group(_pairs(rows, self._columns()), notes)

    def _columns(self) -> int:
        return 2 if self.size.width >= 70 or (self.size.width == 0 and self.app.size.width >= 76) else 1


def _tz(widget: DetailSection) -> ZoneInfo:
    return widget.app.config.timezone


class ChecksSection(DetailSection):
    title = "Checks"

    def body(self, detail: ReservationDetail) -> RenderableType:
        s = detail.shape
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1)
        for name, check in s["checks"].items():
            grid.add_row(
                name.replace("_", "-"),
                Text(check["state"], style=cells.check_style(check["state"])),
                Text(check.get("message", "")),
            )
        for flag in s["flags"]:
            grid.add_row("flag", Text(flag.replace("_", " "), style="yellow"), "")
        return grid if grid.row_count else Text("no checks ran", style="dim")


class GuestsSection(DetailSection):
    title = "Guests"

    def body(self, detail: ReservationDetail) -> RenderableType | None:
        guests = detail.shape["guests"]
        if not guests:
            return Text("no guest names sent", style="dim")
        table = Table(box=None, padding=(0, 1), header_style="bold")
        for column in ("#", "Last name", "First name", "Age"):
            table.add_column(column)
        for i, g in enumerate(guests, start=1):
            table.add_row(
                str(i), Text(g["last_name"]), Text(g["first_name"]), "" if g["age"] is None else str(g["age"])
            )
        return table


class FlightsSection(DetailSection):
    """Arrival and departure flights as the operator sent them (hidden when none came)."""

    title = "Flights"

    def body(self, detail: ReservationDetail) -> RenderableType | None:
        flights = detail.shape["flights"]
        if not flights:
            return None
        table = Table(box=None, padding=(0, 1), header_style="bold")
        for column in ("Leg", "Flight", "Route", "Time"):
            table.add_column(column)
        for f in flights:
            table.add_row(
                Text(f["direction"] or "—"), Text(f["number"] or "—"), Text(f["route"] or "—"), Text(f["time"] or "—")
            )
        return table


class PricesSection(DetailSection):
    """Per night: contract price, discount, price, the operator's price; then the totals and difference."""

    title = "Prices"
    column = "right"

    def body(self, detail: ReservationDetail) -> RenderableType:
        s = detail.shape
        table_data = s["price_table"] or {}
        nights = table_data.get("nights") or []
        operator_by_date = {n["date"]: n["amount"] for n in s["night_prices"]}
        table = Table(box=None, padding=(0, 1), header_style="bold")
        for column in ("Date", "Contract", "Discount", "Price", "Operator"):
            table.add_column(column, justify="left" if column == "Date" else "right")
        if nights:
            for n in nights:
                table.add_row(
                    Text(str(n.get("date", ""))),
                    _money(n.get("contract_price")),
                    _money(n.get("discount")),
                    _money(n.get("price")),
                    _money(n.get("operator_price", operator_by_date.get(n.get("date")))),
                )
        else:
            for d, amount in operator_by_date.items():
                table.add_row(Text(d), "", "", "", _money(amount))
        contract_total = table_data.get("contract_total")
        operator_total = table_data.get("operator_total", s["total"])
        difference = table_data.get("difference")
        before, discounts = _column_sum(nights, "contract_price"), _column_sum(nights, "discount")
        table.add_row(
            Text("Total", style="bold"),
            _money(before),
            _money(discounts),
            _money(contract_total),
            _money(operator_total),
        )
        price_check = s["checks"].get("price", {})
        summary = Text(f"Operator total {operator_total or '—'} {s['currency']}")
        if contract_total is not None:
            summary.append(f" · contract {contract_total} · difference ")
            summary.append(
                str(difference if difference is not None else "—"),
                style=cells.check_style(price_check.get("state", "ok")),
            )
        else:
            summary.append(f" · {price_check.get('message') or 'no contract price'}", style="dim")
        return Group(table, summary)


def _column_sum(nights: list[dict], key: str) -> str | None:
    """The total of one column of the per-night table (None when the nights do not carry it)."""
    values = [n.get(key) for n in nights]
    if not values or any(v in (None, "") for v in values):
        return None
    return f"{sum(Decimal(str(v)) for v in values):.2f}"


def _money(value: Any) -> Text:
    return Text("" if value is None else str(value))


class ForecastSection(DetailSection):
    """The forecast over the stay, so the effect of confirming is seen before confirming."""

    title = "Forecast (room type over the stay)"
    column = "right"

    def body(self, detail: ReservationDetail) -> RenderableType:
        if not detail.forecast:
            return Text("no forecast: the room type is not mapped or the stay has no dates", style="dim")
        return forecast_table(detail.forecast)


def forecast_table(nights: list[ForecastNight]) -> Table:
    table = Table(box=None, padding=(0, 1), header_style="bold")
    for column in ("Date", "Capacity", "Confirmed", "Available", "Pending", "Total", "Expected"):
        table.add_column(column, justify="left" if column == "Date" else "right")
    for n in nights:
        expected = Text(
            str(n.expected_available),
            style="bold red" if n.expected_available < 0 else ("yellow" if n.expected_available < 3 else "green"),
        )
        table.add_row(
            n.date.isoformat(),
            str(n.capacity),
            str(n.confirmed),
            str(n.available),
            str(n.pending),
            str(n.total),
            expected,
        )
    return table


class DocumentsSection(DetailSection):
    title = "Documents"
    column = "right"

    def body(self, detail: ReservationDetail) -> RenderableType:
        lines = []
        raw = detail.raw
        if raw:
            lines.append(
                Text(
                    f"raw message #{raw['id']}: {raw['filename'] or raw['source_ref'] or raw['channel']} "
                    f"({raw['size']:,} bytes, {raw['channel']}) — press d to read it"
                )
            )
        for doc in detail.documents:
            lines.append(Text(f"{doc['name']} ({doc['content_type']}, {doc['size']:,} bytes) — press o to read"))
        return Group(*lines) if lines else Text("no documents", style="dim")


class HistorySection(DetailSection):
    """Every version of the voucher, with what each change changed."""

    title = "History"
    column = "right"

    def body(self, detail: ReservationDetail) -> RenderableType:
        parts: list[RenderableType] = []
        for v in detail.versions:
            head = Text(f"v{v['version']} ", style="bold")
            head.append_text(cells.content_text(v["content"]))
            head.append(f"  {cells.local_time(v['created_at'], _tz(self), '%Y-%m-%d %H:%M')}  ")
            head.append_text(cells.status_text(v["status"]))
            if v["id"] == detail.shape["id"]:
                head.append("  ← this one", style="dim")
            parts.append(head)
            for name, (old, new) in v["diff"].items():
                if isinstance(old, list) and isinstance(new, list) and any(isinstance(x, dict) for x in old + new):
                    old, new = f"{len(old)} entries", f"{len(new)} entries (changed)"
                line = Text(f"   {name}: ")
                line.append(_short(old), style="red")
                line.append(" → ")
                line.append(_short(new), style="green")
                parts.append(line)
        return Group(*parts)


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


SECTIONS: list[type[DetailSection]] = [
    SummarySection,
    ChecksSection,
    GuestsSection,
    PricesSection,
    ForecastSection,
    DocumentsSection,
    HistorySection,
]


def add_section(section: type[DetailSection], *, after: type[DetailSection] | None = None) -> None:
    """Register a section (e.g. approvals); it shows in every detail pane opened afterwards."""
    if section in SECTIONS:
        return
    index = SECTIONS.index(after) + 1 if after in SECTIONS else len(SECTIONS)
    SECTIONS.insert(index, section)


add_section(FlightsSection, after=GuestsSection)


class DetailPane(VerticalScroll):
    """The sections of one reservation, scrolled together: one column, or two on wide screens."""

    DEFAULT_CSS = """
    DetailPane { height: 1fr; padding: 0 1; }
    DetailPane #detail-columns { height: auto; layout: vertical; }
    DetailPane .detail-column { height: auto; }
    """

    def compose(self) -> ComposeResult:
        with Container(id="detail-columns"):
            for column in ("left", "right"):
                with Vertical(classes="detail-column", id=f"detail-{column}"):
                    for section in SECTIONS:
                        if section.column == column:
                            yield section(classes="detail-section")

    def show(self, detail: ReservationDetail) -> None:
        for section in self.query(DetailSection):
            section.show(detail)
