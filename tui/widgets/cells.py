"""How inbox values look in a cell: short, coloured, the same on every screen."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.text import Text

from core.models import CHECK_NAMES

STATUS_STYLE = {"pending": ("pending", "yellow"), "confirmed": ("confirmed", "green"), "rejected": ("rejected", "red")}
CONTENT_LABEL = {"new": ("new", "cyan"), "change": ("change", "magenta"), "cancel": ("cancel", "red")}

# One letter per mapping kind the inbox shows, and per check, in the inbox's order.
MAPPING_LETTERS = (("room", "R"), ("board", "B"), ("rate", "T"))
CHECK_LETTERS = {"price": "P", "values": "I", "stop_sale": "S", "voucher": "V", "release": "L", "overbooking": "O"}
CHECK_STYLE = {"ok": "green", "skipped": "dim", "warn": "yellow"}  # anything else is red


def status_text(status: str) -> Text:
    label, style = STATUS_STYLE.get(status, (status, ""))
    return Text(label, style=style)


def content_text(content: str) -> Text:
    label, style = CONTENT_LABEL.get(content, (content, ""))
    return Text(label, style=style)


def mapping_text(missing: list[str]) -> Text:
    """``RBT``: each letter green when that code is mapped, red when it is missing."""
    text = Text()
    for kind, letter in MAPPING_LETTERS:
        text.append(letter, style="bold red" if kind in missing else "green")
    extra = [k for k in missing if k not in dict(MAPPING_LETTERS)]
    if extra:
        text.append("+", style="bold red")
    return text


def check_style(state: str) -> str:
    return CHECK_STYLE.get(state, "bold red")


def checks_text(checks: dict[str, Any]) -> Text:
    """``PISVLO``: price, values, stop-sale, voucher match, release, overbooking, coloured by state."""
    text = Text()
    for name in CHECK_NAMES:
        check = checks.get(name)
        letter = CHECK_LETTERS.get(name, name[:1].upper())
        text.append(letter, style=check_style(check["state"]) if check else "dim")
    return text


def first_guest(guest_names: str) -> str:
    names = [n.strip() for n in guest_names.split(";") if n.strip()]
    if not names:
        return ""
    return names[0] + (f" +{len(names) - 1}" if len(names) > 1 else "")


def local_time(stamp: str | None, tz: ZoneInfo, fmt: str = "%m-%d %H:%M") -> str:
    """A UTC ISO timestamp in the hotel's time zone."""
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        return moment.strftime(fmt)
    return moment.astimezone(tz).strftime(fmt)


def short_date(value: str | None) -> str:
    return value or ""


def matches_text(checks: dict[str, Any]) -> Text:
    """``2 · T000123: guest Yilmaz stays …``: how many bookings may be this one, and the best one's reason."""
    from core.inbox import possible_matches

    count, best = possible_matches(checks)
    if not count:
        return Text("")
    text = Text(str(count), style="bold yellow")
    text.append(f" · {best}")
    return text
