"""The desk's clock: the one place that asks the time, so tests can fix it.

Checks that depend on today (the release check, the values check's years
ahead) read ``now()`` through this module; a test replaces it with a fixed
moment (``monkeypatch.setattr(core.clock, "now", ...)``) or hands a
``CheckContext`` its own ``now``.
"""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo


def now() -> datetime:
    """The current moment, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def zone_label(tz: tzinfo) -> str:
    """A time zone's name as people read it: ``Europe/Istanbul``, ``UTC``."""
    return str(getattr(tz, "key", None) or tz.tzname(None) or "UTC")


def hotel_time(stamp: str | None, tz: tzinfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC timestamp in ``tz``, always with the zone named: ``2026-06-01 14:30 Europe/Istanbul``.

    Every time shown to a person goes through here, so no screen, mail or
    command shows local time in one place and UTC in another without saying so.
    """
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return f"{moment.astimezone(tz).strftime(fmt)} {zone_label(tz)}"
