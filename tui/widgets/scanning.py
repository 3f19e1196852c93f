"""Running a scan from the app: a thin adapter over the scanner in ``connectors.scan``.

The app runs this in a thread worker. The scanner reports progress through a
callback; whatever shape it reports in (an object or keyword arguments) is
turned into ``progress(operator, state, counts, error)`` calls. The status
board also reads ``scan_runs`` itself, so it shows scans started elsewhere
(cron, another terminal) as they happen.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Callable

from core.config import Config

Progress = Callable[..., None]
COUNT_NAMES = ("total", "new", "changed", "cancelled", "errors")


class ScanUnavailable(Exception):
    """This build has no scanner to run."""


def scan(config: Config, operators: list[str], progress: Progress) -> None:
    runner = _runner()

    def report(*args: Any, **kwargs: Any) -> None:
        event = _event(args, kwargs)
        if event is not None:
            progress(*event)

    result = runner(config, operators=operators, progress=report)
    if inspect.isawaitable(result):
        asyncio.run(_wait(result))


async def _wait(awaitable: Any) -> Any:
    return await awaitable


def _runner() -> Callable[..., Any]:
    try:
        from connectors import scan as scanner
    except ImportError as exc:
        raise ScanUnavailable("no scanner in this build (connectors.scan): run scans with `opdesk scan`") from exc
    for name in ("run_scan", "scan", "scan_all"):
        runner = getattr(scanner, name, None)
        if callable(runner):
            return runner
    raise ScanUnavailable("connectors.scan offers no run_scan(): run scans with `opdesk scan`")


def _event(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, str, dict[str, int], str] | None:
    source: Any = args[0] if len(args) == 1 and not isinstance(args[0], str) else None
    if source is not None:
        get = (lambda k: source.get(k)) if isinstance(source, dict) else (lambda k: getattr(source, k, None))
    else:
        named = dict(zip(("operator", "state"), args))
        named.update(kwargs)
        get = named.get
    operator = get("operator")
    if not operator:
        return None
    state = str(get("state") or get("phase") or "scanning")
    if state in ("finished", "ok", "success"):
        state = "done"
    if state in ("failed", "failure"):
        state = "error"
    counts = {k: int(get(k)) for k in COUNT_NAMES if isinstance(get(k), int)}
    error = str(get("error") or get("last_error") or "")
    return str(getattr(operator, "name", operator)), state, counts, error
