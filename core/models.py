"""The domain's plain values: what a connector hands to core, and what core hands back.

Nothing here touches the store or any I/O. Money is ``Decimal`` with its ISO
currency; stay dates are ``datetime.date``; timestamps are timezone-aware UTC.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Any

import orjson

from core.errors import ConnectorError, InvalidInput, OpdeskError


class Content(StrEnum):
    """What a message says about a voucher."""

    NEW = "new"
    CHANGE = "change"
    CANCEL = "cancel"


class ParseState(StrEnum):
    """What became of a raw message."""

    PENDING = "pending"  # stored, not parsed yet
    PARSED = "parsed"  # one or more operator reservations came out of it
    IGNORED = "ignored"  # well-formed but not a booking (quote request, newsletter)
    UNPARSED = "unparsed"  # no parser could read it: a person must (kept with its text)
    FAILED = "failed"  # a parser recognised it but it is broken: error says where


MAPPING_KINDS = ("room", "board", "rate", "market", "agency")
# The booking's plain text fields, as every reader of an operator's record fills them.
BOOKING_TEXT_FIELDS = (
    "agency",
    "room",
    "board",
    "rate",
    "market",
    "nationality",
    "currency",
    "notes",
    "source",
    "segment",
    "promo_code",
    "rate_type",
)
CHECK_NAMES = ("price", "values", "stop_sale", "voucher", "release", "overbooking")


class CheckState(StrEnum):
    OK = "ok"
    WARN = "warn"  # worth a look, does not block a clean confirm
    FAIL = "fail"  # blocks a clean confirm
    NO_CONTRACT = "no contract"
    MISMATCH = "mismatch"
    REFUSED = "refused"
    SKIPPED = "skipped"  # cannot be checked yet (e.g. a mapping is missing)


# Check states that let a row be confirmed with --clean: passed, or not applicable.
CLEAN_STATES = {CheckState.OK, CheckState.SKIPPED}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class RawMessage:
    """Bytes exactly as an operator sent them, before anything reads them."""

    body: bytes
    operator: str
    channel: str  # connector kind: folder, ota-pull, mail, ...
    received_at: datetime = field(default_factory=utcnow)
    source_ref: str = ""  # where it came from: a path, an IMAP UID, a URL
    filename: str = ""  # a name for people (file name, mail subject)

    @property
    def sha256(self) -> str:
        # Asked several times per message on its way in: hashed once (the body never changes).
        digest = self.__dict__.get("_sha256")
        if digest is None:
            digest = hashlib.sha256(self.body).hexdigest()
            object.__setattr__(self, "_sha256", digest)
        return digest


@dataclass
class Guest:
    first_name: str = ""
    last_name: str = ""
    age: int | None = None
    birth_date: date | None = None
    gender: str = ""
    nationality: str = ""
    email: str = ""  # matches the guest's earlier stays when both bookings have one


@dataclass
class NightPrice:
    """An operator's price for one night of the stay."""

    date: date
    amount: Decimal


@dataclass
class Document:
    """A file that came with a booking: a PDF voucher, an attachment."""

    name: str
    content_type: str
    body: bytes


@dataclass
class OperatorBooking:
    """One booking as an operator sent it, normalised. Codes are the operator's own."""

    voucher: str
    content: Content = Content.NEW
    agency: str = ""
    check_in: date | None = None
    check_out: date | None = None
    rooms: int = 1
    adults: int = 0
    child_ages: list[int] = field(default_factory=list)
    room: str = ""
    board: str = ""
    rate: str = ""
    market: str = ""
    nationality: str = ""
    guests: list[Guest] = field(default_factory=list)
    total: Decimal | None = None
    currency: str = ""
    night_prices: list[NightPrice] = field(default_factory=list)
    sale_date: date | None = None
    notes: str = ""
    source: str = ""
    segment: str = ""
    promo_code: str = ""
    discount_codes: list[str] = field(default_factory=list)
    flights: list[dict[str, Any]] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    cancel_date: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # anything else worth keeping
    rate_type: str = ""  # what kind of rate the operator sold (package, room only, ...)
    option_date: date | None = None  # an option (provisional booking) lapses on this day

    @property
    def nights(self) -> int | None:
        if self.check_in and self.check_out:
            return (self.check_out - self.check_in).days
        return None

    def comparable_json(self) -> str:
        """The fields that make one version differ from another, as compact JSON text.

        orjson writes dates, nights (dataclasses) and lists itself; only amounts call back
        into Python (``_json_default``: two decimals). ``tests/spine/test_spine_fingerprint.py``
        holds the exact text: stored fingerprints depend on it.
        """
        own = self.__dict__
        values = {name: own[name] for name in _COMPARED}
        # A guest's e-mail is compared only when sent, so versions stored before guests had one keep
        # their fingerprints.
        values["guests"] = [
            {
                "first_name": g.first_name,
                "last_name": g.last_name,
                "age": g.age,
                "birth_date": g.birth_date,
                "gender": g.gender,
                "nationality": g.nationality,
                "email": g.email,
            }
            if g.email
            else {
                "first_name": g.first_name,
                "last_name": g.last_name,
                "age": g.age,
                "birth_date": g.birth_date,
                "gender": g.gender,
                "nationality": g.nationality,
            }
            for g in self.guests
        ]
        for name in _COMPARED_WHEN_SENT:
            if not values[name]:
                # Left out when empty: versions stored before these fields existed keep their fingerprint.
                del values[name]
        return orjson.dumps(values, default=_json_default).decode()


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    names = getattr(value, "__dataclass_fields__", None)
    if names is not None:
        return {k: _plain(getattr(value, k)) for k in names}
    return value


def _json_default(value: Any) -> Any:
    """Only what the encoder does not know reaches here: dates, decimals, dataclasses."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if hasattr(value, "__dataclass_fields__"):
        return value.__dict__
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_COMPARED = tuple(f.name for f in fields(OperatorBooking) if f.name not in {"documents", "content", "extra"})
_COMPARED_WHEN_SENT = ("rate_type", "option_date")


def plain(value: Any) -> Any:
    """Turn dates, decimals and dataclasses into JSON-friendly values."""
    return _plain(value)


def pax_label(adults: int, child_ages: list[int], bands: tuple[float, float, float] = (2, 6, 13)) -> str:
    """``2+1+1+0``: adults + older children + younger children + infants.

    ``bands`` are the lower ages of young, older and adult; the rate code's own
    child bands replace them when known.
    """
    young_from, older_from, adult_from = bands
    older = sum(1 for a in child_ages if older_from <= a < adult_from)
    young = sum(1 for a in child_ages if young_from <= a < older_from)
    infants = sum(1 for a in child_ages if a < young_from)
    grown = sum(1 for a in child_ages if a >= adult_from)
    return f"{adults + grown}+{older}+{young}+{infants}"


class ParseError(InvalidInput):
    """A message a parser recognised but cannot read. Say where: field and record."""

    def __init__(self, message: str, *, field: str = "", record: str = "") -> None:
        self.field = field
        self.record = record
        where = ", ".join(p for p in (f"record {record}" if record else "", f"field {field}" if field else "") if p)
        super().__init__(f"{where}: {message}" if where else message)


class UnparsedMessage(OpdeskError):
    """No parser knows this message; a person must read it. ``text`` is what they read."""

    def __init__(self, reason: str, text: str = "") -> None:
        self.text = text
        super().__init__(reason)


class NotABooking(OpdeskError):
    """A well-formed message that carries no booking (a quote request, a newsletter)."""


OperatorError = ConnectorError  # the older name: the operator's server answered with an error


class ApprovalReply(NotABooking):
    """A manager's answer to an internal approval request, found in an incoming message.

    Parsers raise it instead of returning bookings; core records the decision
    (``core.approval``) and keeps the message as not-a-booking.
    """

    def __init__(self, code: str, decision: str, *, sender: str = "", comment: str = "") -> None:
        self.code = code
        self.decision = decision  # "approve" or "reject"
        self.sender = sender
        self.comment = comment
        super().__init__(f"approval reply: {decision} ({code})")
