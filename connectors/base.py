"""The connector interface, and how connectors are found.

A connector is one way bookings arrive (a drop folder, an OTA server, a JSON
API, a mailbox). It fetches raw messages, parses them into
``OperatorBooking`` values, acknowledges what core has stored, and sends
confirmations and rejections back. It never writes SQL: it hands messages to
``core`` and ``core`` stores them.

Connectors are found through the entry-point group ``opdesk.connectors``;
the built-in ones register there exactly as a third party's would.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, AsyncIterator, Awaitable, Callable, ClassVar, TypeVar

from core.config import OperatorConfig
from core.models import OperatorBooking, RawMessage

if TYPE_CHECKING:
    import httpx

    from core.config import Config
    from core.ingest import IngestResult

ENTRY_POINT_GROUP = "opdesk.connectors"
T = TypeVar("T")


@dataclass
class FetchContext:
    """What a fetch may use: one shared HTTP client, the store's connector state."""

    http: "httpx.AsyncClient | None"
    config: "Config"
    state: dict[str, Any] = field(default_factory=dict)   # this operator's saved state
    timeout: float = 30.0
    # Where CPU-heavy work of a fetch runs (the scan's store thread); None: right here.
    worker: Callable[[Callable[[], Any]], Awaitable[Any]] | None = None
    # An explicit re-read from this ISO 8601 time (`opdesk scan --since`); "" for a regular scan.
    since: str = ""

    async def offload(self, work: Callable[..., T], *args: Any) -> T:
        """Run CPU-heavy work (reading a large answer) off the event loop.

        The scan hands it to the thread that stores: one thread does all the CPU
        work, so it never fights the event loop for the interpreter lock, and
        the other operators' network traffic goes on meanwhile.
        """
        if self.worker is None:
            return work(*args)
        return await self.worker(lambda: work(*args))


@dataclass
class Reply:
    """What the hotel answers to an operator for one reservation."""

    operator: str
    voucher: str
    hotel_number: str = ""               # the hotel's own reservation number
    reason: str = ""                     # for a rejection
    raw: RawMessage | None = None        # the message being answered (mail replies need it)
    reservation: dict[str, Any] = field(default_factory=dict)   # the row as `opdesk show --json`
    # The other rooms of the operator's reservation (voucher -> status), where rooms share one ID that
    # the protocol answers once (AlpineBits): ``core.inbox.reservation_rooms``.
    rooms: dict[str, str] = field(default_factory=dict)


class Connector:
    """Base class for connectors. Subclasses set ``kind`` and override what they do."""

    kind: ClassVar[str] = ""

    def __init__(self, operator: OperatorConfig, config: "Config") -> None:
        self.operator = operator
        self.config = config

    # -- reading ---------------------------------------------------------
    async def fetch(self, ctx: FetchContext) -> AsyncIterator[RawMessage]:
        """Yield every message waiting at the operator. Raise ``OperatorError`` on failure."""
        return
        yield  # pragma: no cover  (makes this an async generator)

    def parse(self, raw: RawMessage) -> list[OperatorBooking]:
        """Read one raw message. Raise ParseError, UnparsedMessage or NotABooking."""
        raise NotImplementedError

    async def acknowledge(self, raw: RawMessage, result: "IngestResult", ctx: FetchContext) -> None:
        """Tell the operator (or the mailbox, or the folder) that ``raw`` is safely stored."""

    async def acknowledge_many(self, items: list[tuple[RawMessage, "IngestResult"]], ctx: FetchContext) -> None:
        """Acknowledge a stored batch; connectors that can say it in one round trip override this."""
        for raw, result in items:
            await self.acknowledge(raw, result, ctx)

    # -- answering -------------------------------------------------------
    def confirm(self, reply: Reply) -> None:
        """Send a confirmation back. Raise ``OperatorError`` when it does not go through."""

    def reject(self, reply: Reply) -> None:
        """Send a rejection back, with ``reply.reason``."""


def connector_classes() -> dict[str, type[Connector]]:
    """Every connector kind registered in the entry-point group, by kind name."""
    found: dict[str, type[Connector]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            found[ep.name] = ep.load()
        except Exception:  # noqa: BLE001 - one broken plugin must not stop the others
            continue
    return found


@functools.cache
def connector_class(kind: str) -> type[Connector] | None:
    """The class registered for one kind, loading only that entry point (the mail connector's
    imports alone take a third of a second). Cached: the installed entry points do not change while we run.
    """
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=kind):
        try:
            return ep.load()
        except Exception:  # noqa: BLE001 - a broken plugin reads as an unknown kind
            continue
    return None


def connector_for(operator: OperatorConfig, config: "Config") -> Connector:
    """Build the connector an operator's config names. Raises KeyError for an unknown kind."""
    cls = connector_class(operator.kind)
    if cls is None:
        known = ", ".join(sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))) or "none"
        raise KeyError(f"operator {operator.name}: unknown connector kind {operator.kind!r} (known: {known})")
    return cls(operator, config)


OLDEST = datetime.min.replace(tzinfo=timezone.utc)


def timestamp_key(value: str) -> datetime:
    """Order an operator's ISO 8601 time stamps; one without zone is taken as UTC, a bad one as oldest."""
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return OLDEST
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
