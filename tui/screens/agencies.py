"""Agencies and their rate codes: how each is priced and how its children are banded; edited in place.

The screen reads the contracts loaded in the store. An edit is written into
the contracts file they were loaded from (tomlkit keeps its comments), and
that file is loaded again, so what the screen shows is always what prices.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Select, Static

from core.desk import load_contracts_text
from core.pricing.agencies import (
    AgencyEdit,
    AgencyEditError,
    AgencyRow,
    agency_rows,
    apply_edit,
    bands_text,
    parse_bands,
    parse_codes,
    parse_percent,
)
from core.pricing.load import USE_PRICES, ContractsError
from core.pricing.store import active_contracts
from tui import shown


class AgenciesScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,backspace", "app.pop_screen", "Back", id="agencies.back"),
        Binding("e,enter", "edit", "Edit", id="agencies.edit", tooltip="Edit the agency and rate code"),
        Binding("n", "new", "New agency", id="agencies.new", tooltip="Add an agency with a rate code"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[AgencyRow] = []
        self.path: Path | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="agencies-title", markup=False)
        yield DataTable(id="agencies-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Agency", "Rate code", "Prices", "Child bands")
        self.show()

    def show(self) -> None:
        title = self.query_one("#agencies-title", Static)
        table = self.query_one(DataTable)
        table.clear()
        try:
            active = active_contracts(self.app.store)  # type: ignore[attr-defined]
        except ContractsError as exc:
            title.update(f"the loaded contracts no longer load: {exc.problems[0]}")
            return
        if active is None:
            title.update("No contracts loaded: opdesk contracts load FILE")
            return
        cs = active[1]
        source = Path(cs.source)
        self.path = source if source.is_file() else None
        where = str(source) if self.path else f"{cs.source} (not a file: load one to edit here)"
        title.update(f"Agencies and rate codes · {where}")
        self.rows = agency_rows(cs)
        for n, row in enumerate(self.rows):
            table.add_row(
                shown.text(row.agency),
                shown.text(row.rate_code),
                shown.text(row.prices),
                shown.text(row.child_bands or "none: children count as adults"),
                key=str(n),
            )

    def _selected(self) -> AgencyRow | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def action_edit(self) -> None:
        row = self._selected()
        if row is not None:
            self._open(row.agency, row.agency_rate_codes, row)

    def action_new(self) -> None:
        self._open("", (), None)

    def _open(self, agency: str, codes: tuple[str, ...], row: AgencyRow | None) -> None:
        if self.path is None:
            self.notify(
                "The loaded contracts are not a file: opdesk contracts load FILE first",
                severity="warning",
                markup=False,
            )
            return
        self.app.push_screen(AgencyModal(agency, codes, row), self._save)

    def _save(self, edit: AgencyEdit | None) -> None:
        if edit is None or self.path is None:
            return
        app: Any = self.app
        try:
            text = apply_edit(self.path.read_text(encoding="utf-8"), edit, source=str(self.path))
        except (AgencyEditError, ContractsError, OSError, UnicodeDecodeError) as exc:
            self.notify(f"Not saved: {exc}", severity="error", markup=False, timeout=10)
            return
        self.path.write_text(text, encoding="utf-8")
        load_contracts_text(app.store, app.config, text, source=str(self.path), actor=app.actor)
        self.notify(f"{edit.agency} / {edit.rate_code} saved in {self.path} and loaded", markup=False)
        self.show()


class AgencyModal(ModalScreen[AgencyEdit | None]):
    """The agency's rate codes, and the price model and child bands of one of them."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="agency.cancel")]

    def __init__(self, agency: str, codes: tuple[str, ...], row: AgencyRow | None) -> None:
        super().__init__(classes="dialog-screen")
        self.agency, self.codes, self.row = agency, codes, row

    DEFAULT_CSS = """
    AgencyModal .agency-field { height: 1; }
    AgencyModal .agency-field Label { width: 16; }
    AgencyModal .agency-field Input, AgencyModal .agency-field Select { width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        rate = self.row.rate if self.row else None
        fields: list[tuple[str, Any]] = []
        if not self.agency:
            fields.append(("Agency code", Input(placeholder="e.g. B2C", id="agency-code", compact=True)))
        fields += [
            (
                "Rate codes",
                Input(", ".join(self.codes), placeholder="first is the default", id="agency-rates", compact=True),
            ),
            (
                "Set up",
                Input(
                    self.row.rate_code if self.row else "",
                    placeholder="which of them (default: first)",
                    id="agency-rate",
                    compact=True,
                ),
            ),
            (
                "Priced from",
                Select(
                    [(u, u) for u in USE_PRICES],
                    value=rate.use_prices if rate else "daily",
                    allow_blank=False,
                    id="agency-prices",
                    compact=True,
                ),
            ),
            (
                "Base rate code",
                Input(
                    rate.base_rate_code if rate else "",
                    placeholder="contract_daily only",
                    id="agency-base",
                    compact=True,
                ),
            ),
            (
                "Adjust %",
                Input(
                    str(rate.adjust_percent) if rate else "0",
                    placeholder="contract_daily only",
                    id="agency-adjust",
                    compact=True,
                ),
            ),
            (
                "Child bands",
                Input(
                    bands_text(rate.child_bands) if rate else "infant 0-1.99, young 2-6.99, older 7-12.99",
                    placeholder="name min-max, ...",
                    id="agency-bands",
                    compact=True,
                ),
            ),
        ]
        with Vertical(classes="dialog", id="agency-dialog"):
            yield Label(f"Agency {self.agency}" if self.agency else "New agency", classes="dialog-title", markup=False)
            for label, widget in fields:
                with Horizontal(classes="agency-field"):
                    yield Label(label)
                    yield widget
            yield Static("", id="agency-error", classes="dialog-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="agency-save", compact=True)
                yield Button("Cancel", id="agency-cancel", compact=True)

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    def _value(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "agency-save":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        try:
            agency = self.agency or parse_codes(self._value("agency-code"), "agency code")[0]
            codes = parse_codes(self._value("agency-rates"), "rate codes")
            rate_code = self._value("agency-rate").strip() or codes[0]
            if rate_code not in codes:
                raise AgencyEditError(f"rate code to set up: {rate_code} is not among the agency's rate codes")
            edit = AgencyEdit(
                agency=agency,
                rate_codes=codes,
                rate_code=rate_code,
                use_prices=str(self.query_one("#agency-prices", Select).value),
                base_rate_code=self._value("agency-base").strip(),
                adjust_percent=parse_percent(self._value("agency-adjust")),
                child_bands=parse_bands(self._value("agency-bands")),
            )
        except AgencyEditError as exc:
            self.query_one("#agency-error", Static).update(str(exc))
            return
        self.dismiss(edit)

    def action_cancel(self) -> None:
        self.dismiss(None)
