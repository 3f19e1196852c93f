"""Operator text is text: how a string that came from outside is shown.

Guest names, notes, vouchers, agencies, mail subjects, file names and the parse
errors that quote them come from operators, mailboxes and the network. A
terminal obeys what it is sent: ESC starts CSI sequences (``ESC[2J`` clears the
night auditor's screen), OSC sequences (``ESC]0;…`` sets the window title,
``ESC]8;;URL`` plants a link behind harmless-looking text), and the bidi
overrides (U+202E) make ``gpj.exe`` read as ``exe.jpg``. A markup parser obeys
what it is given too: ``[/]`` in a surname ended ``opdesk inbox`` with a
MarkupError, ``[@click=app.quit]`` is an action in the app.

So every render path (the CLI through rich, the app and the web page through
Textual) shows outside text through ``visible`` and never as markup (see
``tui/shown.py`` for the two adaptors). ``visible`` loses nothing a person needs
to see: each control becomes a visible symbol (``␛`` for ESC, ``⟨U+202E⟩`` for
an override), so staff can tell that the operator sent one, and the stored
message keeps the original bytes.

This module is plain Python: the domain, the connectors and both front ends use it.
"""

from __future__ import annotations

import re
from typing import Any, overload

#: C0 controls and DEL have Unicode "control pictures" (U+2400–U+2421): ␀ … ␟, ␡.
#: They keep one column each, so tables stay aligned.
_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)} | {0x7F: "\u2421"}

#: What else a terminal or a reader can be fooled by: C1 controls (U+0080–U+009F;
#: U+009B is CSI and U+009D is OSC on terminals that take 8-bit controls), the bidi
#: embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and marks
#: (U+200E, U+200F, U+061C), the line and paragraph separators (U+2028, U+2029),
#: and lone surrogates (bytes that were not UTF-8, kept by ``surrogateescape``),
#: which no terminal can print. Shown as their code point.
_NAMED = "\u0080-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u2028\u2029\ud800-\udfff"

_UNSAFE = re.compile(f"[\x00-\x1f\x7f{_NAMED}]")
_UNSAFE_KEEP_LINES = re.compile(f"[\x00-\x08\x0b-\x1f\x7f{_NAMED}]")


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    picture = _PICTURES.get(code)
    return picture if picture is not None else f"\u27e8U+{code:04X}\u27e9"


def visible(value: object, *, lines: bool = False) -> str:
    """``value`` as text with every control character shown, never passed on.

    ``lines=True`` keeps newlines and tabs (notes, a message's text, a PDF's
    text); otherwise they are shown too, so one field stays on one line.
    """
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    pattern = _UNSAFE_KEEP_LINES if lines else _UNSAFE
    return pattern.sub(_shown, text) if pattern.search(text) else text


def is_visible(text: str, *, lines: bool = False) -> bool:
    """True when ``text`` holds nothing ``visible`` would change."""
    return (_UNSAFE_KEEP_LINES if lines else _UNSAFE).search(text) is None


@overload
def visible_values(value: str, *, lines: bool = True) -> str: ...
@overload
def visible_values(value: dict[str, Any], *, lines: bool = True) -> dict[str, Any]: ...
@overload
def visible_values(value: list[dict[str, Any]], *, lines: bool = True) -> list[dict[str, Any]]: ...
@overload
def visible_values(value: None, *, lines: bool = True) -> None: ...
def visible_values(value: object, *, lines: bool = True) -> object:
    """A copy of a nested value (dicts, lists, tuples) with every string made ``visible``.

    For screens that read a whole record at once (the detail pane): one pass at
    load time, so no field can be forgotten where it is drawn.
    """
    if isinstance(value, str):
        return visible(value, lines=lines)
    if isinstance(value, dict):
        return {k: visible_values(v, lines=lines) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(visible_values(v, lines=lines) for v in value)
    return value


_JSON_UNSAFE = re.compile(f"[\x7f{_NAMED}]")


def json_text(dumped: str) -> str:
    """JSON text (``json.dumps(..., ensure_ascii=False)``) with DEL, C1 controls, bidi controls and lone
    surrogates written as ``\\uXXXX`` escapes: the data a script reads is unchanged, and a person who
    prints it to a terminal is not fooled. (The encoder escapes C0 controls itself.)"""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)
