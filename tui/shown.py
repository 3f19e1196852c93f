"""Outside text on our screens: the two adaptors of ``core.shown.visible``.

rich (the CLI) and Textual (the app and the web page) both read square
brackets as markup, so a surname such as ``Hofer[/]`` ended a command with a
MarkupError and ``[@click=app.quit]`` was an action. Outside text therefore
reaches them only as:

- ``markup(value)``: for a rich markup string we compose ourselves
  (``f"[bold]{markup(voucher)}[/]"``): controls made visible, brackets escaped;
- ``text(value)``: a ``rich.text.Text``, never parsed as markup, for table
  cells, Textual widgets and notifications;
- ``app_markup(value)``: for a Textual markup string (a ``DataTable`` cell
  that must stay a string).

See ``core/shown.py`` for why each control character is shown, not passed on.
"""

from __future__ import annotations

from rich.markup import escape
from rich.text import Text
from textual.markup import escape as textual_escape

from core.shown import visible


def markup(value: object, *, lines: bool = False) -> str:
    """``value`` made safe to place inside rich markup."""
    return escape(visible(value, lines=lines))


def text(value: object, style: str = "", *, lines: bool = False) -> Text:
    """``value`` as a ``Text`` that no markup parser reads."""
    return Text(visible(value, lines=lines), style=style)


def cells(*values: object) -> list[Text]:
    """Table cells, each shown as text."""
    return [text(v) for v in values]


def app_markup(value: object, *, lines: bool = False) -> str:
    """``value`` made safe to place inside Textual markup (a ``DataTable`` cell given as a string)."""
    return textual_escape(visible(value, lines=lines))
