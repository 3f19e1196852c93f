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

import abc
import functools
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import entry_points
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    ClassVar,
    TypeVar,
)

from core.config import OperatorConfig
from core.desk import Delivery
from core.errors import ConfigError, Unsupported
from core.models import OperatorBooking, RawMessage

if TYPE_CHECKING:
    import httpx

    from core.config import Config
    from core.ingest import IngestResult

ENTRY_POINT_GROUP = "opdesk.connectors"
ANSWER_WORDS = {"confirm": "confirmation", "reject": "rejection"}
T = TypeVar("T")


@dataclass
class FetchContext:
    """What a fetch may use: one shared HTTP client, the store's connector state."""

    http: "httpx.AsyncClient | None"
    config: "Config"
    state: dict[str, Any] = field(default_factory=dict)  # this operator's saved state
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
    hotel_number: str = ""  # the hotel's own reservation number
    reason: str = ""  # for a rejection
    raw: RawMessage | None = None  # the message being answered (mail replies need it)
    reservation: dict[str, Any] = field(default_factory=dict)  # the row as `opdesk show --json`
    # The other rooms of the operator's reservation (voucher -> status), where rooms share one ID that
    # the protocol answers once (AlpineBits): ``core.inbox.reservation_rooms``.
    rooms: dict[str, str] = field(default_factory=dict)


class Connector(abc.ABC):
    """What every connector is. Subclasses set ``kind`` and implement fetch, parse, confirm and reject.

    ``confirm`` and ``reject`` are abstract so that a connector says what it can
    do: it sends the answer and returns a ``Delivery`` saying where it went, or
    it declares the answer unsupported (``confirm = unsupported("confirm")``)
    and callers report "not sent" instead of claiming a delivery that never was.
    """

    kind: ClassVar[str] = ""

    def __init__(self, operator: OperatorConfig, config: "Config") -> None:
        self.operator = operator
        self.config = config

    # -- reading ---------------------------------------------------------
    @abc.abstractmethod
    def fetch(self, ctx: FetchContext) -> AsyncIterator[RawMessage]:
        """Yield every message waiting at the operator (an async generator). Raise ``OperatorError`` on failure."""

    @abc.abstractmethod
    def parse(self, raw: RawMessage) -> list[OperatorBooking]:
        """Read one raw message. Raise ParseError, UnparsedMessage or NotABooking."""

    async def acknowledge(self, raw: RawMessage, result: "IngestResult", ctx: FetchContext) -> None:
        """Tell the operator (or the mailbox, or the folder) that ``raw`` is safely stored; nothing by default."""
        return None

    async def acknowledge_many(self, items: list[tuple[RawMessage, "IngestResult"]], ctx: FetchContext) -> None:
        """Acknowledge a stored batch; connectors that can say it in one round trip override this."""
        for raw, result in items:
            await self.acknowledge(raw, result, ctx)

    # -- answering -------------------------------------------------------
    @abc.abstractmethod
    def confirm(self, reply: Reply) -> Delivery | str | None:
        """Send a confirmation back; return where it went. Raise ``OperatorError`` when it does not go through."""

    @abc.abstractmethod
    def reject(self, reply: Reply) -> Delivery | str | None:
        """Send a rejection back, with ``reply.reason``."""

    def can(self, action: str) -> bool:
        """Whether this connector can send ``action`` (``confirm`` or ``reject``) at all."""
        return not getattr(getattr(type(self), action, None), "unsupported", False)

    def answer(self, action: str, reply: Reply) -> Delivery:
        """Send ``confirm`` or ``reject`` and say what really happened; a kind that cannot answer is "not sent"."""
        if action not in ("confirm", "reject"):
            raise ValueError(f"unknown answer {action!r}")
        if not self.can(action):
            return Delivery(
                False,
                f"not sent: {self.kind or type(self).__name__} operators take no "
                f"{ANSWER_WORDS[action]}; tell {reply.operator} yourself",
            )
        result = self.confirm(reply) if action == "confirm" else self.reject(reply)
        if isinstance(result, Delivery):
            return result
        return Delivery(True, result if isinstance(result, str) and result else "sent")


def unsupported(action: str) -> Callable[[Connector, Reply], Delivery]:
    """Declare that a connector kind cannot send ``action``: ``reject = unsupported("reject")``."""

    def method(self: Connector, reply: Reply) -> Delivery:
        raise Unsupported(f"operator {self.operator.name}: {self.kind} operators take no {ANSWER_WORDS[action]}")

    method.unsupported = True  # type: ignore[attr-defined]
    method.__name__ = action
    return method


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
    """Build the connector an operator's config names. Raises ConfigError for an unknown kind."""
    cls = connector_class(operator.kind)
    if cls is None:
        known = ", ".join(sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))) or "none"
        raise ConfigError(f"operator {operator.name}: unknown connector kind {operator.kind!r} (known: {known})")
    return cls(operator, config)


OLDEST = datetime.min.replace(tzinfo=timezone.utc)


def timestamp_key(value: str) -> datetime:
    """Order an operator's ISO 8601 time stamps; one without zone is taken as UTC, a bad one as oldest."""
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return OLDEST
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
