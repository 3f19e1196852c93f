"""The desk's clock: the one place that asks the time, so tests can fix it.

Checks that depend on today (the release check, the values check's years
ahead) read ``now()`` through this module; a test replaces it with a fixed
moment (``monkeypatch.setattr(core.clock, "now", ...)``) or hands a
``CheckContext`` its own ``now``.
"""

from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    """The current moment, timezone-aware UTC."""
    return datetime.now(timezone.utc)
