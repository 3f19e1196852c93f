"""The PMS outlet: every saved booking version handed to the hotel's PMS exactly once.

Saving an inbox row into the hotel book (``core.desk``) puts one delivery in
``pms_deliveries`` in the same transaction, so a save and its delivery are never
apart. A delivery is ``waiting`` (not sent yet, or failed and due again),
``sent`` or ``failed`` (given up after ``max_attempts``), with its last error.

``send_waiting`` runs the queue with a ``Sender`` the caller brings (the
connectors hold the I/O: OTA over HTTP, files): core claims the deliveries,
calls the sender, and records what came of each. A claim is a lease: two
senders at once (the app's auto send and a cron job) never take the same
delivery, and a sender that died leaves its claims to others after
``LEASE_SECONDS``. The versions of one hotel booking go in the order they were
saved: a delivery waits while an earlier one of the same booking is unsent.

Times are passed in (``now``), never read here, so tests decide the clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from core import locations
from core.audit import Actor, record
from core.config import Config
from core.errors import ConfigError, ConnectorError
from core.forecast import shifted
from core.models import Content, Guest, NightPrice, OperatorBooking
from core.store import Store, from_minor

STATES = ("waiting", "sent", "failed")
KINDS = ("ota", "files")
DIALECTS = ("alpinebits", "htng")

DEFAULT_MAX_ATTEMPTS = 5
"""Five tries over the default backoff span about a quarter of an hour: long enough for a PMS restart."""

DEFAULT_RETRY_SECONDS = 60.0
"""The first wait after a failure; each further failure doubles it."""

MAX_BACKOFF_SECONDS = 6 * 3600.0
"""No wait grows past six hours: a PMS down over a night is tried again before the morning shift."""

LEASE_SECONDS = 300.0
"""How long a claim holds: longer than any send (HTTP timeouts are seconds), short enough to take over a dead one."""

DEFAULT_TIMEOUT_SECONDS = 30.0


class DeliveryError(ConnectorError):
    """A delivery did not reach the PMS. ``permanent``: trying again cannot help (the message cannot be built)."""

    title = "PMS"

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message, retryable=not permanent)
        self.permanent = permanent


@dataclass(frozen=True)
class PmsSettings:
    """The ``[pms]`` section, checked."""

    kind: str
    dialect: str = "htng"
    url: str = ""
    username: str = ""
    password: str = ""
    name: str = ""  # the PMS's name: the ResID_Source its numbers come with
    hotel_code: str = ""
    folder: Path | None = None
    auto: bool = False
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    retry_seconds: float = DEFAULT_RETRY_SECONDS
    timeout: float = DEFAULT_TIMEOUT_SECONDS


def pms_configured(config: Config) -> bool:
    return bool(config.data.get("pms"))


def pms_settings(config: Config) -> PmsSettings:
    """The checked ``[pms]`` section; ``ConfigError`` names the key that is wrong and what to write."""
    table = config.section("pms")
    where = f"{config.path}: [pms]"
    if not table:
        raise ConfigError(f"{where} is missing: add it (see docs/pms.md) to hand saved bookings to the PMS")
    kind = str(table.get("kind", ""))
    if kind not in KINDS:
        raise ConfigError(f'{where} kind: must be "ota" or "files", not {kind!r}')
    max_attempts = _number(table, "max_attempts", DEFAULT_MAX_ATTEMPTS, where, whole=True)
    retry = _number(table, "retry_seconds", DEFAULT_RETRY_SECONDS, where)
    timeout = _number(table, "timeout", DEFAULT_TIMEOUT_SECONDS, where)
    common: dict[str, Any] = {
        "auto": bool(table.get("auto", False)),
        "max_attempts": int(max_attempts),
        "retry_seconds": float(retry),
        "timeout": float(timeout),
        "name": str(table.get("name", "")),
        "hotel_code": str(table.get("hotel_code", "")),
    }
    if kind == "files":
        folder = table.get("folder")
        if not folder:
            raise ConfigError(f"{where} folder: missing: the folder the PMS imports files from")
        return PmsSettings(kind="files", folder=locations.resolve(str(folder), config.base_dir), **common)
    dialect = str(table.get("dialect", "htng"))
    if dialect not in DIALECTS:
        raise ConfigError(f'{where} dialect: must be "alpinebits" or "htng", not {dialect!r}')
    url = str(table.get("url", ""))
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{where} url: missing or not an http(s) address: {url!r}")
    return PmsSettings(
        kind="ota",
        dialect=dialect,
        url=url,
        username=str(table.get("username", "")),
        password=config.secret(table, "password"),
        **common,
    )


def _number(table: dict[str, Any], key: str, default: float, where: str, *, whole: bool = False) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (whole and not isinstance(value, int)):
        raise ConfigError(f"{where} {key}: must be a {'whole ' if whole else ''}number, not {value!r}")
    if value <= 0:
        raise ConfigError(f"{where} {key}: must be more than 0, not {value!r}")
    return float(value)


# -- the queue ---------------------------------------------------------------------------
def enqueue(
    store: Store, config: Config, row: dict[str, Any], hotel_reservation_id: int, hotel_number: str, now: str
) -> None:
    """Queue ``row`` (an inbox row just saved) for the PMS. Called inside the save's transaction.

    Nothing is queued without a ``[pms]`` section. Saving the same row again
    queues nothing more: a version is delivered once.
    """
    if not pms_configured(config):
        return
    store.conn.execute(
        "INSERT OR IGNORE INTO pms_deliveries(reservation_id, hotel_reservation_id, hotel_number, operator, voucher, "
        "version, content, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            row["id"],
            hotel_reservation_id,
            hotel_number,
            row["operator"],
            row["voucher"],
            row["version"],
            content_for_pms(store, row["content"], hotel_reservation_id),
            now,
            now,
        ),
    )


def content_for_pms(store: Store, content: str, hotel_reservation_id: int) -> str:
    """What the save is to the PMS, which knows the hotel booking, not the operator's messages.

    A change whose booking the PMS never got (its first version was saved
    before ``[pms]`` existed, or the change came first) creates it there: new.
    A new voucher saved onto a booking imported from the PMS changes the PMS's
    own booking: change.
    """
    origin = store.scalar("SELECT origin FROM hotel_reservations WHERE id = ?", (hotel_reservation_id,))
    known = (
        store.scalar("SELECT 1 FROM pms_deliveries WHERE hotel_reservation_id = ? LIMIT 1", (hotel_reservation_id,))
        is not None
    )
    if content == Content.NEW and origin == "import":
        return str(Content.CHANGE)
    if content == Content.CHANGE and not known and origin != "import":
        return str(Content.NEW)
    return content


@dataclass
class Delivery:
    id: int
    reservation_id: int
    hotel_reservation_id: int
    hotel_number: str
    operator: str
    voucher: str
    version: int
    content: str
    state: str
    attempts: int
    due_at: str
    last_error: str
    pms_number: str
    known_pms_number: str = ""  # the hotel booking's PMS number, from an earlier delivery's answer

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Delivery":
        return cls(
            row["id"],
            row["reservation_id"],
            row["hotel_reservation_id"],
            row["hotel_number"],
            row["operator"],
            row["voucher"],
            row["version"],
            row["content"],
            row["state"],
            row["attempts"],
            row["due_at"],
            row["last_error"],
            row["pms_number"],
            row.get("known_pms_number") or "",
        )

    def item(self) -> dict[str, Any]:
        """The documented JSON item (docs/json.md, ``pms send`` and ``pms status``); ``id`` is the inbox row's."""
        return {
            "id": self.reservation_id,
            "voucher": self.voucher,
            "version": self.version,
            "content": self.content,
            "state": self.state,
            "pms_number": self.pms_number or None,
            "error": self.last_error or None,
        }


# A booking imported from the PMS carries the PMS's number as its own.
_SELECT = (
    "SELECT d.*, COALESCE(NULLIF(h.pms_number, ''), CASE WHEN h.origin = 'import' THEN h.number END) "
    "AS known_pms_number FROM pms_deliveries d JOIN hotel_reservations h ON h.id = d.hotel_reservation_id"
)


def deliveries(store: Store, states: tuple[str, ...] = STATES) -> list[Delivery]:
    marks = ", ".join("?" * len(states))
    return [Delivery.from_row(r) for r in store.all(f"{_SELECT} WHERE d.state IN ({marks}) ORDER BY d.id", states)]


def counts(store: Store) -> dict[str, int]:
    found = dict(store.conn.execute("SELECT state, COUNT(*) FROM pms_deliveries GROUP BY state").fetchall())
    return {s: int(found.get(s, 0)) for s in STATES}


def board_line(store: Store) -> str:
    """``PMS: 3 waiting, 1 failed`` for the board."""
    n = counts(store)
    return f"PMS: {n['waiting']} waiting, {n['failed']} failed"


def counts_in_period(store: Store, start: date, end: date) -> dict[str, int]:
    """Deliveries queued from ``start`` to ``end`` (UTC days, both included), by where they stand now."""
    found = dict(
        store.conn.execute(
            "SELECT state, COUNT(*) FROM pms_deliveries WHERE created_at >= ? AND created_at < ? GROUP BY state",
            (start.isoformat(), shifted(end, 1).isoformat()),
        ).fetchall()
    )  # a period may end on 9999-12-31
    return {s: int(found.get(s, 0)) for s in STATES}


def backoff_seconds(attempts: int, retry_seconds: float) -> float:
    """The wait after the ``attempts``-th failure: ``retry_seconds``, doubled for each failure before it."""
    return min(retry_seconds * float(2 ** max(attempts - 1, 0)), MAX_BACKOFF_SECONDS)


def _stamp(moment: datetime) -> str:
    # Stored stamps compare as text: always UTC. Milliseconds, so a short retry_seconds still backs off;
    # they sort right beside core.store.now_iso's whole seconds ("05+00:00" < "05.250+00:00" < "06+00:00").
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def claim(store: Store, now: datetime, *, only_due: bool, include_failed: bool = False) -> list[Delivery]:
    """Take the deliveries this run sends, under a lease, oldest first.

    ``only_due``: leave those whose backoff has not run out (an automatic
    send); an explicit ``pms send`` takes every waiting one. ``include_failed``
    gives deliveries that gave up a fresh set of attempts.
    """
    stamp, lease = _stamp(now), _stamp(now + timedelta(seconds=LEASE_SECONDS))
    taken: list[Delivery] = []
    with store.transaction() as c:
        if include_failed:
            c.execute(
                "UPDATE pms_deliveries SET state = 'waiting', attempts = 0, due_at = ? WHERE state = 'failed'", (stamp,)
            )
        held: set[int] = set()
        for row in store.all(f"{_SELECT} WHERE d.state = 'waiting' ORDER BY d.id"):
            hid = row["hotel_reservation_id"]
            leased = row["lease_until"] is not None and row["lease_until"] > stamp
            if hid in held or leased or (only_due and row["due_at"] > stamp):
                held.add(hid)  # a later version of this booking waits for this one
                continue
            c.execute("UPDATE pms_deliveries SET lease_until = ? WHERE id = ?", (lease, row["id"]))
            taken.append(Delivery.from_row(row))
    return taken


def _release(store: Store, delivery: Delivery) -> None:
    with store.transaction() as c:
        c.execute("UPDATE pms_deliveries SET lease_until = NULL WHERE id = ?", (delivery.id,))


def record_sent(store: Store, delivery: Delivery, now: datetime, pms_number: str, actor: Actor) -> None:
    with store.transaction() as c:
        c.execute(
            "UPDATE pms_deliveries SET state = 'sent', attempts = attempts + 1, sent_at = ?, last_error = '', "
            "lease_until = NULL, pms_number = ? WHERE id = ?",
            (_stamp(now), pms_number, delivery.id),
        )
        if pms_number:
            c.execute(
                "UPDATE hotel_reservations SET pms_number = ? WHERE id = ?", (pms_number, delivery.hotel_reservation_id)
            )
        record(
            store,
            actor,
            "pms_sent",
            reservation_id=delivery.reservation_id,
            hotel_reservation_id=delivery.hotel_reservation_id,
            after={"pms_number": pms_number} if pms_number else {},
            detail=f"{delivery.hotel_number} v{delivery.version} {delivery.content}",
        )
    delivery.state, delivery.pms_number, delivery.last_error = "sent", pms_number, ""
    delivery.attempts += 1


def record_failure(
    store: Store,
    delivery: Delivery,
    now: datetime,
    error: str,
    settings: PmsSettings,
    actor: Actor,
    *,
    permanent: bool = False,
) -> None:
    attempts = delivery.attempts + 1
    gave_up = permanent or attempts >= settings.max_attempts
    due = now + timedelta(seconds=backoff_seconds(attempts, settings.retry_seconds))
    state = "failed" if gave_up else "waiting"
    with store.transaction() as c:
        c.execute(
            "UPDATE pms_deliveries SET state = ?, attempts = ?, due_at = ?, last_error = ?, lease_until = NULL "
            "WHERE id = ?",
            (state, attempts, _stamp(due), error, delivery.id),
        )
        record(
            store,
            actor,
            "pms_failed",
            reservation_id=delivery.reservation_id,
            hotel_reservation_id=delivery.hotel_reservation_id,
            detail=f"attempt {attempts}" + (" (given up)" if gave_up else "") + f": {error}",
        )
    delivery.state, delivery.attempts, delivery.last_error, delivery.due_at = state, attempts, error, _stamp(due)


Sender = Callable[[Delivery, OperatorBooking], str]
"""Delivers one booking version to the PMS; returns the PMS's number ("" when its answer has none).

Raises ``DeliveryError`` (or any exception) when the PMS did not take it.
"""


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0  # deliveries whose attempt in this run failed (waiting again or given up)
    waiting: int = 0  # waiting after this run, in the whole queue
    items: list[Delivery] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "waiting": self.waiting,
            "items": [d.item() for d in self.items],
        }


def send_waiting(
    store: Store,
    settings: PmsSettings,
    sender: Sender,
    now: datetime,
    actor: Actor,
    *,
    only_due: bool = False,
    include_failed: bool = False,
) -> SendReport:
    """Send what is waiting (``only_due``: only what its backoff lets go now) and record each outcome."""
    report = SendReport()
    blocked: set[int] = set()
    for delivery in claim(store, now, only_due=only_due, include_failed=include_failed):
        if delivery.hotel_reservation_id in blocked:
            _release(store, delivery)  # its booking's earlier version failed just now: keep the order
            continue
        try:
            booking = delivery_booking(store, delivery)
            pms_number = sender(delivery, booking)
        except DeliveryError as exc:
            record_failure(store, delivery, now, str(exc), settings, actor, permanent=exc.permanent)
        except Exception as exc:  # noqa: BLE001 - whatever went wrong is the delivery's error, kept and shown
            record_failure(store, delivery, now, str(exc) or type(exc).__name__, settings, actor)
        else:
            record_sent(store, delivery, now, pms_number, actor)
            report.sent += 1
            report.items.append(delivery)
            continue
        report.failed += 1
        report.items.append(delivery)
        blocked.add(delivery.hotel_reservation_id)
    report.waiting = counts(store)["waiting"]
    return report


# -- what a delivery says ---------------------------------------------------------------------
def delivery_booking(store: Store, delivery: Delivery) -> OperatorBooking:
    """The saved version as the PMS should book it: the hotel's codes, the stay, guests and prices.

    ``voucher`` is the hotel's number (the booking's id towards the PMS); the
    operator's voucher and name, the version and the PMS's number ride in ``extra``.
    """
    row = store.one("SELECT * FROM operator_reservations WHERE id = ?", (delivery.reservation_id,))
    if row is None:
        raise DeliveryError(f"inbox row #{delivery.reservation_id} is missing from the store", permanent=True)
    guests = [
        Guest(
            g["first_name"],
            g["last_name"],
            g["age"],
            date.fromisoformat(g["birth_date"]) if g["birth_date"] else None,
            g["gender"],
            g["nationality"],
        )
        for g in store.all("SELECT * FROM guests WHERE reservation_id = ? ORDER BY position", (row["id"],))
    ]
    nights = [
        NightPrice(date.fromisoformat(n["date"]), from_minor(n["amount_minor"], n["currency"]) or Decimal(0))
        for n in store.all("SELECT * FROM night_prices WHERE reservation_id = ? ORDER BY date", (row["id"],))
    ]
    return OperatorBooking(
        voucher=delivery.hotel_number,
        content=Content(delivery.content),
        agency=row["hotel_agency"] or row["agency"],
        check_in=date.fromisoformat(row["check_in"]) if row["check_in"] else None,
        check_out=date.fromisoformat(row["check_out"]) if row["check_out"] else None,
        rooms=row["rooms"],
        adults=row["adults"],
        child_ages=json.loads(row["child_ages"]),
        room=row["hotel_room"] or "",
        board=row["hotel_board"] or "",
        rate=row["hotel_rate"] or "",
        market=row["hotel_market"] or "",
        nationality=row["nationality"],
        guests=guests,
        total=from_minor(row["total_minor"], row["currency"]),
        currency=row["currency"],
        night_prices=nights,
        sale_date=date.fromisoformat(row["sale_date"]) if row["sale_date"] else None,
        notes=row["notes"],
        flights=json.loads(row["flights"]),
        extra={
            "operator": row["operator"],
            "operator_voucher": row["voucher"],
            "version": row["version"],
            "create_datetime": row["created_at"],
            "last_modify_datetime": row["created_at"],
            "delivery_id": delivery.id,
            "pms_number": delivery.known_pms_number,
        },
    )
