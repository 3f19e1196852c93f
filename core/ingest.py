"""Ingest: raw message -> stored -> parsed -> versioned, mapped and checked inbox rows.

Every raw message is stored, whatever its parser made of it, so a parser that
fails loses nothing: the message is kept with its error and can be parsed
again (``reprocess``) once the parser is fixed. A batch's messages and rows are
committed together, after the work is done outside the write lock (see
``Ingestor.ingest_many``); a source hears of a message only after that commit.
The same bytes twice are one message (sha256). Versions are kept per (operator, voucher): the first is
``new``, later ones ``change`` with a field diff (nights included), cancellations ``cancel``;
the same booking re-sent unchanged adds no version.

Rooms of one reservation: a connector that knows the operator's reservation ID
puts it in ``extra["reservation_id"]``; its rooms are the rows whose voucher is
that ID or ``ID/n``. A message about a reservation is the whole of it: a
cancellation (with rooms or without, as the AlpineBits standard's own sample)
cancels every room row of that ID; a modification cancels the rows of the rooms
it no longer lists and adds the ones it lists first. A bare status update
changes only the status of the rows it names by ID. A booking marked
``known_id_only`` (it names no hotel) is taken only when its ID is known for
this operator, else its message is kept as failed, "unknown reservation".
"""

from __future__ import annotations

import gc
import hashlib
import json
import sqlite3
import threading
from collections import deque
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from itertools import chain
from operator import itemgetter
from typing import Any, Callable, Iterable, Iterator

from core import values
from core.approval import (
    ApprovalSettings,
    approval_flag,
    decide_by_reply,
    needs_approval,
)
from core.audit import AUDIT_INSERT, SYSTEM, Actor, last_row, record, sealed_row
from core.checks import run_checks
from core.config import Config
from core.documents import save_document
from core.errors import NotFound
from core.ingest_checks import CHECK_COLUMNS, checked_columns, outcome_columns, prefetch, stay_payload
from core.ingest_writer import IngestWriter, WriterGone
from core.kept import add_search, count_added, count_key_of
from core.mapping import MappingTable
from core.models import (
    ApprovalReply,
    Content,
    Guest,
    NightPrice,
    NotABooking,
    OperatorBooking,
    ParseError,
    ParseState,
    RawMessage,
    UnparsedMessage,
    plain,
)
from core.nationality import normalise_booking
from core.shown import visible
from core.stay import CheckContext, StayFacts
from core.storable import check_storable
from core.store import (
    Store,
    Writes,
    dumps,
    exponent,
    from_minor,
    in_chunks,
    insert_rows,
    iso,
    minor_units,
    now_iso,
)

Parser = Callable[[RawMessage], list[OperatorBooking]]

# Flags a row can carry besides its checks.
FLAG_CHANGE_BEFORE_NEW = "change_before_new"
FLAG_CANCEL_UNKNOWN = "cancel_of_unknown_voucher"
FLAG_NEW_AFTER_VERSIONS = "new_after_other_versions"
FLAG_ROOM_ADDED = "room_added_by_change"
FLAG_ROOM_DROPPED = "room_dropped_by_change"
UNKNOWN_RESERVATION = "unknown reservation"

PREVIEW_CHARS = 20_000
#: About what one booking's checks cost the ingesting process (measured: 25 to 45 microseconds, by machine and hour).
CHECK_SECONDS = 40e-6
#: Batches of a stream handed to the writer process and not yet answered, at most. With two, the
#: writer takes the next batch as soon as it has committed one, and this process hands over a batch
#: without waiting for the one before: neither waits for the other's slower batches.
IN_FLIGHT = 2

#: What one message's content can raise on its way in: a value the store cannot hold, a check that
#: meets an impossible date, a broken record. The message is quarantined (stored, with the error) and
#: the batch goes on. The store itself failing (locked, disk full: sqlite3.OperationalError) is not
#: the message's fault and still ends the batch, so nothing is acknowledged and it comes again.
QUARANTINED = (
    ParseError,
    ValueError,
    ArithmeticError,
    TypeError,
    RecursionError,
    LookupError,
    AttributeError,
    sqlite3.IntegrityError,
    sqlite3.InterfaceError,
    sqlite3.DataError,
)


@dataclass
class IngestResult:
    raw_id: int
    sha256: str
    duplicate: bool = False  # these bytes were stored and handled before
    state: ParseState = ParseState.PENDING
    error: str = ""
    new: int = 0
    changed: int = 0
    cancelled: int = 0
    unchanged: int = 0
    reservation_ids: list[int] = field(default_factory=list)
    preview: str = ""  # an unparsed message's text, for the person who reads it
    again: bool = False  # stored before, not read then (an operator re-sent it): tried again
    twin: "IngestResult | None" = field(default=None, repr=False, compare=False)  # same bytes, earlier in the batch
    unknown: bool = field(default=False, repr=False, compare=False)  # refused: its reservation ID is not known
    operator: str = field(default="", repr=False, compare=False)  # as the stored raw message names it

    @property
    def ok(self) -> bool:
        return self.state in (ParseState.PARSED, ParseState.IGNORED)

    @property
    def quarantined(self) -> bool:
        """A new message that could not be taken in: a run that meets one fails."""
        return not self.ok and not self.duplicate and not self.again


@dataclass
class _Version:
    """A version worked out before the write lock; ``rid`` is its row id once written."""

    result: IngestResult
    raw: RawMessage
    voucher: str
    row: dict[str, Any]
    previous: "dict[str, Any] | _Version | None"  # the stored latest row, or a version earlier in the batch
    guests: list[tuple[Any, ...]]
    nights: list[tuple[Any, ...]]
    documents: list[Any]
    check_input: tuple[Any, ...] | None = None  # facts payload and missing mappings, when checked by the writer
    rid: int = 0


@dataclass
class _Sent:
    """A batch handed to the writer process, kept until it answers, with what later batches must not touch."""

    items: list[tuple[RawMessage, Parser]]
    results: list[IngestResult]
    parsed: list[tuple[IngestResult, RawMessage, list[OperatorBooking] | None]]
    saved: list[tuple[IngestResult, int, bool, str]]  # each result's raw_id, duplicate and operator before
    audit: tuple[int, str] | None  # the audit row's id and seal, to note once committed
    shas: set[str]
    keys: set[tuple[str, str]]  # (operator, voucher) of every booking and version
    rooms: set[tuple[str, str]]  # (operator, ID) whose room rows ``ID/n`` it writes
    promos: set[str]


class Ingestor:
    """Puts raw messages through the pipeline. One per thread; reuse it for a batch."""

    def __init__(self, store: Store, config: Config, actor: Actor = SYSTEM, *, now: datetime | None = None) -> None:
        self.store = store
        self.config = config
        self.actor = actor  # who the audit log says brought the messages in
        self.checks = CheckContext(store, config, now=now)  # ``now``: the checks' clock (tests inject it)
        self.mappings = MappingTable.load(store)
        self.approval = ApprovalSettings.from_config(config)
        self._read: dict[tuple[str, str], dict[str, Any]] = {}  # latest stored versions, as read
        self._latest: dict[tuple[str, str], dict[str, Any]] = {}  # ... and as the batch goes on
        self._read_at = -1  # the store's ``data_version`` when they were read
        self._taken: dict[str, int] = {}  # table -> the lowest id a new row may take (ids handed to the writer)
        self._sent_audit: tuple[int, str] | None = None  # the audit row handed to the writer last: id, seal
        self._now = now_iso()

    # -- public ----------------------------------------------------------
    def ingest(self, raw: RawMessage, parse: Parser) -> IngestResult:
        return self.ingest_many([(raw, parse)])[0]

    def ingest_many(self, items: Iterable[tuple[RawMessage, Parser]]) -> list[IngestResult]:
        """Parse, version, map and check a batch, then store it: the raw messages and their rows together.

        The work is done before the store's write lock is taken, reading what is
        stored; under the lock only the writing is left, after checking that no
        other writer added a version of these vouchers meanwhile (if one did, the
        batch is worked out again under the lock). So several scanners, the app
        and a cron job share the store without waiting long for each other.
        Nothing is lost if the process dies before the commit: nothing was
        acknowledged or moved yet, so the operator, mailbox or folder still
        holds every message of the batch.
        """
        items = list(items)
        try:
            with _collector_paused():
                return self._ingest_batch(items)
        except QUARANTINED as exc:
            # Something in the batch cannot be written (checked values should not get here). Take the
            # messages in one by one, so only the one at fault is quarantined and the rest are stored.
            if len(items) == 1:
                return [self._quarantine_alone(items[0], exc)]
            return [result for item in items for result in self.ingest_many([item])]

    def ingest_stream(
        self, batches: Iterable[Iterable[tuple[RawMessage, Parser]]], *, writer: bool = True
    ) -> Iterator[list[IngestResult]]:
        """``ingest_many`` for each batch in turn; each batch's results come once it is committed.

        For a bulk load (``opdesk ingest`` of many files). With more than one batch and
        ``writer``, a writer process (``core.ingest_writer``) commits each batch while
        this process works out the next ones (up to ``IN_FLIGHT`` batches are with the
        writer at once), so both cores work. The results are those of ``ingest_many``
        batch after batch:

        - a batch is worked out ahead only when it shares nothing with the batches the
          writer has (the same bytes, voucher, reservation ID or promotion code); else it
          waits for their commits, then is worked out from what is stored;
        - the writer commits a batch only if no other connection wrote to the store
          since the batch was worked out; else, and when the writer fails or dies,
          this process stores the batch itself, worked out again under its lock, as
          ``ingest_many`` does, and the batches worked out after it too, in order;
        - a batch with documents to save is stored by this process.

        A stream closed early may have committed batches whose results it never gave:
        those messages come again and are then known, as after a crash.
        """
        remaining = iter(batches)
        first, second = next(remaining, None), next(remaining, None)
        if first is None:
            return
        pipe: IngestWriter | None = None
        if second is not None and writer:
            with suppress(OSError):  # no process can be started here (a limit on processes): as below
                pipe = IngestWriter(self.store.path, self.config, self.checks.now)
        if pipe is None or second is None:
            yield self.ingest_many(first)
            if second is not None:
                yield self.ingest_many(second)
            for items in remaining:
                yield self.ingest_many(items)
            return
        in_flight: deque[_Sent] = deque()  # handed to the writer, oldest first, not yet answered
        # The collector stays off from the first batch to the last, not batch by batch: turned back on
        # between batches, it walked every object the batches left alive (a fifth of a stream's time).
        with _collector_paused():
            try:
                for items in chain([first, second], remaining):
                    yield from self._stream_step(list(items), in_flight, pipe)
                while in_flight:
                    yield self._finish(in_flight.popleft(), pipe)
            finally:
                # Closed early or failed: the writer ends the batches it has (their results are never
                # given, so their messages come again and are then known), then stops. With every
                # batch answered there is nothing to wait for.
                pipe.close(wait=bool(in_flight))
                self._taken, self._sent_audit = {}, None

    def _stream_step(
        self, items: list[tuple[RawMessage, Parser]], in_flight: deque[_Sent], pipe: IngestWriter
    ) -> list[list[IngestResult]]:
        """One batch of ``ingest_stream``: handed to the writer, or stored here. Returns the results of
        the batches committed meanwhile, in order; ``in_flight`` holds the batches the writer still has."""
        done: list[list[IngestResult]] = []
        shas = {raw.sha256 for raw, _ in items}
        self._wait_for(in_flight, pipe, done, lambda sent: not sent.shas.isdisjoint(shas))
        if not in_flight and not pipe.ready and not _began(pipe):
            done.append(self.ingest_many(items))  # the writer is still starting (or gone)
            return done
        results, parsed, raw_read_at = self._take_in(items)
        self._wait_for(in_flight, pipe, done, lambda sent: self._touches(sent, parsed))
        if not pipe.ready or any(b.documents for _, _, found in parsed for b in found or []):
            self._wait_for(in_flight, pipe, done)
            pipe.ready = False  # this process commits: the writer must take note again
            done.append(self._commit_here(items, results, parsed, raw_read_at))
            return done
        saved = [(r, r.raw_id, r.duplicate, r.operator) for r in results]
        try:
            versions = self._versions(parsed, checks_here=self._checks_here(pipe, len(items), in_flight))
            writes = Writes()
            self._store_raw(parsed, writes, others_wrote=False)
            self._write(versions, writes)
            for result in results:
                if result.twin is not None:
                    result.raw_id = result.twin.raw_id
            audit = self._audit("ingest", results, writes)
        except QUARANTINED:
            self._wait_for(in_flight, pipe, done)
            pipe.ready = False
            done.append(self._store_here_after_all(items, results, parsed, saved))
            return done
        batch = _Sent(items, results, parsed, saved, audit, *_reach(parsed, versions))
        while len(in_flight) >= IN_FLIGHT:  # the oldest answer first: at most IN_FLIGHT with the writer
            done.append(self._finish(in_flight.popleft(), pipe))
        if pipe.ready:
            try:
                pipe.send(writes.steps)
            except WriterGone:
                pass
            else:
                in_flight.append(batch)
                return done
        # A batch before was stored here (this one may have read too early), or the writer is gone:
        # the batches it still has come back in order (it refuses them now), then this one is stored here.
        self._wait_for(in_flight, pipe, done)
        done.append(self._store_here_after_all(items, results, parsed, saved))
        return done

    def _wait_for(
        self,
        in_flight: deque[_Sent],
        pipe: IngestWriter,
        done: list[list[IngestResult]],
        needed: Callable[[_Sent], bool] = lambda sent: True,
    ) -> None:
        """Wait for the writer's answers up to the last batch with it that ``needed`` picks (all of them
        by default); answers come in the order the batches went."""
        last = max((i for i, sent in enumerate(in_flight) if needed(sent)), default=-1)
        for _ in range(last + 1):
            done.append(self._finish(in_flight.popleft(), pipe))

    def _checks_here(self, pipe: IngestWriter, bookings: int, in_flight: deque[_Sent]) -> bool:
        """Whether this process runs the checks of the batch it works out, or leaves them to the writer.

        The writer runs them while it keeps up. It is behind when the oldest of the batches it has is
        still unanswered as this one is worked out (so the batches would pile up for the end of the
        stream), or when this process waited for its last answer longer than running a batch's checks
        takes it: then this process runs them. The rows are the same either way.
        """
        behind = len(in_flight) >= IN_FLIGHT and not pipe.answered()
        return behind or pipe.waited > bookings * CHECK_SECONDS

    def _touches(
        self, sent: _Sent, parsed: list[tuple[IngestResult, RawMessage, list[OperatorBooking] | None]]
    ) -> bool:
        """Whether working out this batch would read what ``sent`` writes: its vouchers, the rooms
        of its reservations, the uses of its promotion codes."""
        for _, raw, found in parsed:
            for b in found or []:
                if (raw.operator, b.voucher) in sent.keys or (b.promo_code and b.promo_code in sent.promos):
                    return True
                rid = b.extra.get("reservation_id")
                if rid and ((raw.operator, str(rid)) in sent.keys or (raw.operator, str(rid)) in sent.rooms):
                    return True
        return False

    def _finish(self, sent: _Sent, pipe: IngestWriter) -> list[IngestResult]:
        """Wait for the writer's answer on ``sent``; store the batch here if it was not committed."""
        try:
            answer = pipe.outcome()
        except WriterGone:
            answer = ("gone",)
        if answer[0] == "ok":
            if self.store.keys is not None and sent.audit is not None:
                self.store.keys.advance_head(*sent.audit)
            return sent.results
        return self._store_here_after_all(sent.items, sent.results, sent.parsed, sent.saved)

    def _store_here_after_all(
        self,
        items: list[tuple[RawMessage, Parser]],
        results: list[IngestResult],
        parsed: list[tuple[IngestResult, RawMessage, list[OperatorBooking] | None]],
        saved: list[tuple[IngestResult, int, bool, str]],
    ) -> list[IngestResult]:
        """A batch worked out for the writer that the writer will not commit: forget the ids and audit
        row it was given, put its results back as parsing left them, and store it here, worked out again."""
        self._taken, self._sent_audit = {}, None
        _restore(saved)
        self._reload()  # another connection may have changed a mapping: that is why the writer refused it
        return self._commit_here(items, results, parsed, -1)

    def _reload(self) -> None:
        """Read again what the app may change between batches: the mappings and the approval settings.
        A long-lived ingestor (a watching scanner) must see them as they are now."""
        self.mappings = MappingTable.load(self.store)
        self.approval = ApprovalSettings.from_config(self.config)

    def _commit_here(
        self,
        items: list[tuple[RawMessage, Parser]],
        results: list[IngestResult],
        parsed: list[tuple[IngestResult, RawMessage, list[OperatorBooking] | None]],
        raw_read_at: int,
    ) -> list[IngestResult]:
        """Store an already parsed batch in this process, as ``ingest_many`` would."""
        try:
            self._commit(results, parsed, self._versions(parsed), raw_read_at)
        except QUARANTINED:
            return self.ingest_many(items)  # one by one, as ingest_many does
        return results

    def _ingest_batch(self, items: list[tuple[RawMessage, Parser]]) -> list[IngestResult]:
        results, parsed, raw_read_at = self._take_in(items)
        versions = self._versions(parsed)
        self._commit(results, parsed, versions, raw_read_at)
        return results

    def _take_in(
        self, items: list[tuple[RawMessage, Parser]]
    ) -> tuple[list[IngestResult], list[tuple[IngestResult, RawMessage, list[OperatorBooking] | None]], int]:
        """A batch's results and parsed messages, before any versioning; and the store's
        ``data_version`` when its raw messages were looked up."""
        self._reload()
        self._now = now_iso()  # one time stamp for the batch
        raw_read_at = self._data_version()
        known = self._known_raw({raw.sha256 for raw, _ in items})
        results: list[IngestResult] = []
        parsed: list[tuple[IngestResult, RawMessage, list[OperatorBooking] | None]] = []
        first_of: dict[str, IngestResult] = {}
        for raw, parse in items:
            sha = raw.sha256
            stored = known.get(sha)
            if sha in first_of or (stored is not None and stored[1] in (ParseState.PARSED, ParseState.IGNORED)):
                # These bytes were handled before (or earlier in this batch): one message, nothing to do.
                result = IngestResult(
                    stored[0] if stored else 0, sha, duplicate=True, state=stored[1] if stored else first_of[sha].state
                )
                result.twin = first_of.get(sha)
                results.append(result)
                continue
            # A message that failed before is tried again: the parser may have been fixed.
            result = IngestResult(stored[0] if stored else 0, sha, again=stored is not None)
            result.operator = stored[2] if stored else raw.operator
            first_of[sha] = result
            results.append(result)
            parsed.append((result, raw, self._parse(result, raw, parse)))
        return results, parsed, raw_read_at

    def _commit(
        self,
        results: list[IngestResult],
        parsed: list[tuple[IngestResult, RawMessage, list[OperatorBooking] | None]],
        versions: list[_Version],
        raw_read_at: int,
    ) -> None:
        """Store a batch worked out outside the lock: its raw messages, versions and audit row, in one transaction."""
        with self.store.transaction():
            locked_at = self._data_version()
            # Another connection may have stored some of these messages since they were looked up.
            self._store_raw(parsed, self.store.conn, others_wrote=locked_at != raw_read_at)
            if locked_at != self._read_at:
                # Another connection committed since the versions were worked out: if it added a
                # version of these vouchers, work them out again, locked.
                keys = {(v.raw.operator, v.voucher) for v in versions}
                if self._latest_versions(keys) != {k: self._read[k] for k in keys if k in self._read}:
                    versions = self._versions(parsed)
            self._write(versions, self.store.conn)
            for result in results:
                if result.twin is not None:
                    result.raw_id = result.twin.raw_id
            self._audit("ingest", results)

    def _versions(
        self, parsed: list[tuple[IngestResult, RawMessage, list[OperatorBooking] | None]], *, checks_here: bool = True
    ) -> list[_Version]:
        """The new versions a batch makes, checked, against what the store holds now.

        ``checks_here``: False for a batch the writer process stores, which runs the checks
        itself from each version's ``check_input`` (``core.ingest_checks``).
        """
        messages = self._reservation_rooms(parsed)
        bookings = [(result, raw, b) for result, raw, found in messages for b in found]
        self._read_at = self._data_version()
        self._read = self._latest_versions({(raw.operator, b.voucher) for _, raw, b in bookings})
        self._latest = dict(self._read)
        if checks_here:
            prefetch(self.checks, [b for _, _, b in bookings])
        for result, _, _ in parsed:
            result.unchanged = 0
        versions = []
        for result, raw, found in messages:
            if found and result.state == ParseState.PARSED:
                versions += self._message_versions(result, raw, found, checks_here)
        return versions

    def _message_versions(
        self, result: IngestResult, raw: RawMessage, bookings: list[OperatorBooking], checks_here: bool = True
    ) -> list[_Version]:
        """One message's versions; a message the store cannot take is quarantined whole, the batch goes on."""
        name = raw.filename or raw.source_ref or "message"
        keys = {(raw.operator, b.voucher) for b in bookings}
        before = {k: self._latest[k] for k in keys if k in self._latest}
        try:
            for i, booking in enumerate(bookings, start=1):
                check_storable(booking, f"{i} (voucher {visible(booking.voucher[:80])})")
            versions = [v for b in bookings if (v := self._prepare(result, raw, b, checks_here)) is not None]
        except QUARANTINED as exc:
            for key in keys:  # later messages of the batch build on what is stored
                self._latest.pop(key, None)
            self._latest.update(before)
            result.state, result.error = ParseState.FAILED, f"{name}: {exc or type(exc).__name__}"
            result.unchanged = 0
            return []
        return versions

    def _reservation_rooms(
        self, parsed: list[tuple[IngestResult, RawMessage, list[OperatorBooking] | None]]
    ) -> list[tuple[IngestResult, RawMessage, list[OperatorBooking]]]:
        """Each message's bookings, with what it means for the other rooms of its reservation.

        A cancellation cancels every room row of its reservation ID; a change cancels
        the rooms it dropped and adds the ones it added; a bare status update
        carries the rooms' details forward. A message naming no hotel for an ID this
        operator never sent is refused (kept as failed, "unknown reservation").
        """
        for result, _, _ in parsed:  # worked out again under the lock: start from what parsing said
            if result.unknown:
                result.state, result.error, result.unknown = ParseState.PARSED, "", False
        ids = {
            (raw.operator, str(b.extra["reservation_id"]))
            for _, raw, found in parsed
            for b in found or []
            if b.extra.get("reservation_id")
        }
        rooms = self._stored_rooms(ids)
        out: list[tuple[IngestResult, RawMessage, list[OperatorBooking]]] = []
        for result, raw, found in parsed:
            if not found:
                continue
            expanded = self._message_rooms(raw.operator, found, rooms)
            if expanded is None:
                rid = next((str(b.extra.get("reservation_id") or b.voucher) for b in found), "")
                result.state, result.unknown = ParseState.FAILED, True
                name = raw.filename or raw.source_ref or "message"
                result.error = (
                    f"{name}: record {rid}: {UNKNOWN_RESERVATION}: it names no hotel and {raw.operator} "
                    "sent no reservation with this ID before; never booked"
                )
                continue
            out.append((result, raw, expanded))
        return out

    def _message_rooms(
        self, operator: str, found: list[OperatorBooking], rooms: dict[tuple[str, str], dict[str, dict[str, Any]]]
    ) -> list[OperatorBooking] | None:
        """One message's bookings, room rows of its reservation added; None when its ID is unknown."""
        out: list[OperatorBooking] = []
        for rid in dict.fromkeys(str(b.extra.get("reservation_id") or "") for b in found):
            mine = [b for b in found if str(b.extra.get("reservation_id") or "") == rid]
            if not rid:
                out += mine
                continue
            stored = rooms.setdefault((operator, rid), {})
            live = {v: r for v, r in stored.items() if r["content"] != Content.CANCEL}
            if any(b.extra.get("known_id_only") for b in mine) and not stored:
                return None
            sent = {b.voucher for b in mine}
            for booking in mine:
                if booking.extra.get("status_update") and booking.content != Content.CANCEL:
                    # Only the ID and its status: the rooms stay as they were; a cancelled one is booked again.
                    out += [
                        _carried(row, Content.NEW, booking)
                        for row in stored.values()
                        if row["content"] == Content.CANCEL
                    ]
                elif booking.content == Content.CANCEL and booking.check_in is None and booking.voucher in stored:
                    row = stored[booking.voucher]
                    if row["content"] != Content.CANCEL:  # cancelled already: nothing more to cancel
                        out.append(_carried(row, Content.CANCEL, booking))
                elif booking.content == Content.CANCEL and booking.check_in is None and stored:
                    pass  # a cancellation of the reservation as a whole: its rooms are cancelled below
                else:
                    if booking.content == Content.CHANGE and live and booking.voucher not in stored:
                        booking.content = Content.NEW  # a room the modification added
                        booking.extra["ingest_flags"] = [FLAG_ROOM_ADDED]
                    out.append(booking)
            if not all(b.extra.get("status_update") and b.content != Content.CANCEL for b in mine):
                # The message is the whole reservation: the rooms it does not list are cancelled.
                cancel = next((b for b in mine if b.content == Content.CANCEL), mine[0])
                for voucher, row in live.items():
                    if voucher not in sent:
                        dropped = _carried(row, Content.CANCEL, cancel)
                        if cancel.content != Content.CANCEL:
                            dropped.extra["ingest_flags"] = [FLAG_ROOM_DROPPED]
                        out.append(dropped)
            for booking in out:
                if str(booking.extra.get("reservation_id") or "") == rid:
                    stored[booking.voucher] = {"content": str(booking.content), "booking": booking}
        return out

    def _stored_rooms(self, ids: set[tuple[str, str]]) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
        """The latest row of each room of these reservations: voucher ``ID`` or ``ID/n``, by voucher.

        The first room's voucher is the ID itself (``ID/n`` are the others), so only a
        reservation whose ``ID`` row exists can have more: for a batch of new
        reservations this is one indexed query per 500 IDs.
        """
        found: dict[tuple[str, str], dict[str, dict[str, Any]]] = {key: {} for key in ids}
        by_operator: dict[str, list[str]] = {}
        for operator, rid in ids:
            by_operator.setdefault(operator, []).append(rid)
        for operator, rids in by_operator.items():
            for marks, chunk in in_chunks(rids):
                for row in self.store.conn.execute(
                    "SELECT voucher, content, snapshot FROM operator_reservations WHERE operator = ? AND "
                    f"is_latest = 1 AND voucher IN ({marks})",
                    (operator, *chunk),
                ):
                    found[(operator, row["voucher"])][row["voucher"]] = dict(row)
        for (operator, rid), rooms in found.items():
            if not rooms:
                continue
            # ``ID/`` up to ``ID0`` ('0' follows '/'): the rows ``ID/n``, read through the unique key's index.
            for row in self.store.conn.execute(
                "SELECT voucher, content, snapshot FROM operator_reservations WHERE operator = ? AND is_latest = 1 "
                "AND voucher > ? AND voucher < ?",
                (operator, rid + "/", rid + "0"),
            ):
                if row["voucher"][len(rid) + 1 :].isdigit():
                    rooms[row["voucher"]] = dict(row)
        return found

    def _data_version(self) -> int:
        """Changes whenever another connection commits to the store (this connection's own commits leave it)."""
        return int(self.store.conn.execute("PRAGMA data_version").fetchone()[0])

    def _known_raw(self, shas: set[str]) -> dict[str, tuple[int, ParseState, str]]:
        """Raw messages already stored, by sha256: their id, parse state and operator."""
        found: dict[str, tuple[int, ParseState, str]] = {}
        for marks, chunk in in_chunks(sorted(shas)):
            for row in self.store.conn.execute(
                f"SELECT id, sha256, parse_state, operator FROM raw_messages WHERE sha256 IN ({marks})", chunk
            ):
                found[row["sha256"]] = (row["id"], ParseState(row["parse_state"]), row["operator"])
        return found

    def _next_id(self, table: str) -> int:
        """The id the next row of ``table`` takes: after the highest stored, and after any a batch
        sent to the writer process took that may not be committed yet."""
        stored = int(self.store.conn.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()[0])
        return max(stored + 1, self._taken.get(table, 0))

    def _latest_versions(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """The current version of each (operator, voucher) of a batch, read in a few queries."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        by_operator: dict[str, list[str]] = {}
        for operator, voucher in keys:
            by_operator.setdefault(operator, []).append(voucher)
        for operator, vouchers in by_operator.items():
            for marks, chunk in in_chunks(vouchers):
                # (operator, voucher) lead the unique key, so this reads the index only.
                for row in self.store.conn.execute(
                    "SELECT id, operator, voucher, version, fingerprint, snapshot, content, status "
                    f"FROM operator_reservations WHERE operator = ? AND voucher IN ({marks}) AND is_latest = 1",
                    (operator, *chunk),
                ):
                    found[(operator, row["voucher"])] = dict(row)
        return found

    def _write(self, versions: list[_Version], c: sqlite3.Connection | Writes) -> None:
        """Write a batch's rows in a few statements: all versions, their guests, nights and search text.

        The rows get their ids here, under the write lock, after the highest one stored, so every
        table is written with one ``executemany`` instead of a round trip per row. A version that
        a later one of the same batch replaces is written as not the latest at once. ``c`` is the
        store's connection, or the ``Writes`` a batch hands the writer process.
        """
        fresh = [v for v in versions if not v.result.duplicate]  # a duplicate's versions are another writer's
        next_id = self._next_id("operator_reservations")
        replaced: list[int] = []
        for v in fresh:
            v.rid, next_id = next_id, next_id + 1
            v.row.update(id=v.rid, raw_id=v.result.raw_id, is_latest=1)
            previous = v.previous
            if isinstance(previous, _Version):
                previous.row["is_latest"] = 0
            elif previous is not None:
                replaced.append(previous["id"])
        if isinstance(c, Writes):  # ids the writer process will take: the next batch starts after them
            self._taken["operator_reservations"] = next_id
        for marks, chunk in in_chunks(replaced):
            c.execute(f"UPDATE operator_reservations SET is_latest = 0 WHERE id IN ({marks})", chunk)
        by_columns: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        unchecked: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for v in fresh:
            if v.check_input is None:
                by_columns.setdefault(tuple(v.row), []).append(tuple(v.row.values()))
            else:  # the writer process runs its checks, then writes it and counts it
                unchecked.setdefault(tuple(v.row), []).append((tuple(v.row.values()), *v.check_input))
        for columns, rows in by_columns.items():
            insert_rows(c, f"INSERT INTO operator_reservations({', '.join(columns)})", rows)
        if unchecked:
            assert isinstance(c, Writes), "rows without their checks are written by the writer process"
            c.steps += [("checked", ", ".join(columns), rows, "") for columns, rows in unchecked.items()]
        guests: list[tuple[Any, ...]] = []
        nights: list[tuple[Any, ...]] = []
        search: list[tuple[Any, ...]] = []
        for v in fresh:
            result, rid = v.result, v.rid
            guests += [(rid, *g) for g in v.guests]
            nights += [(rid, *n) for n in v.nights]
            search.append((rid, v.voucher, v.row["guest_names"]))
            for doc in v.documents:  # a batch with documents is written by this process (``_stream_step``)
                save_document(self.store, doc, raw_id=result.raw_id, reservation_id=rid)
            result.reservation_ids.append(rid)
            if v.row["content"] == Content.NEW:
                result.new += 1
            elif v.row["content"] == Content.CHANGE:
                result.changed += 1
            else:
                result.cancelled += 1
        insert_rows(
            c,
            "INSERT INTO guests(reservation_id, position, first_name, last_name, age, birth_date, gender, "
            "nationality, email)",
            guests,
        )
        insert_rows(c, "INSERT OR REPLACE INTO night_prices(reservation_id, date, amount_minor, currency)", nights)
        add_search(c, search)
        count_added(c, [count_key_of(v.row) for v in fresh if v.check_input is None])

    def _audit(self, action: str, results: list[IngestResult], into: Writes | None = None) -> tuple[int, str] | None:
        """One audit row per batch: what arrived, from whom, and what became of it.

        With ``into``, the row is sealed here, after the last one stored or handed to the writer
        process, and kept in ``into``; its id and seal come back, to note once it is committed.
        """
        fresh = [r for r in results if not r.duplicate]
        if not fresh:
            return None
        operators = sorted({r.operator for r in fresh})
        states: dict[str, int] = {}
        for r in fresh:
            states[str(r.state)] = states.get(str(r.state), 0) + 1
        after = {
            "messages": len(fresh),
            "states": states,
            "new": sum(r.new for r in fresh),
            "changed": sum(r.changed for r in fresh),
            "cancelled": sum(r.cancelled for r in fresh),
            "raw_ids": [r.raw_id for r in fresh][:50],
        }
        detail = (
            f"{', '.join(operators)}: {len(fresh)} message(s), {after['new']} new, "
            f"{after['changed']} changed, {after['cancelled']} cancelled"
        )
        if into is None:
            record(self.store, self.actor, action, after=after, detail=detail)
            return None
        stored, sent = last_row(self.store), self._sent_audit
        after_this = sent if sent is not None and (stored is None or sent[0] > stored[0]) else stored
        row = sealed_row(self.store, after_this, self.actor, action, after=after, detail=detail)
        into.execute(AUDIT_INSERT, tuple(row.values()))
        self._sent_audit = (int(row["id"]), str(row["hmac"]))
        return self._sent_audit

    def reprocess(self, raw_id: int, parse: Parser) -> IngestResult:
        """Parse a stored raw message again (after a parser fix). Versions already made stay."""
        row = self.store.one("SELECT * FROM raw_messages WHERE id = ?", (raw_id,))
        if row is None:
            raise NotFound(f"no raw message #{raw_id} (see: opdesk raw list)")
        raw = raw_from_row(row)
        result = IngestResult(raw_id=raw_id, sha256=row["sha256"], operator=row["operator"])
        self.mappings = MappingTable.load(self.store)
        self._now = now_iso()
        parsed = [(result, raw, self._parse(result, raw, parse))]
        with self.store.transaction():
            self._store_raw(parsed, self.store.conn)
            self._write(self._versions(parsed), self.store.conn)
            self._audit("reprocess", [result])
        return result

    # -- steps -----------------------------------------------------------
    def _store_raw(
        self,
        parsed: list[tuple[IngestResult, RawMessage, list[OperatorBooking] | None]],
        c: sqlite3.Connection | Writes,
        *,
        others_wrote: bool = True,
    ) -> None:
        """Store each raw message with what became of it (under the write lock).

        One stored already (it failed before, or came from ``reprocess``) gets its
        new state. One that another writer stored since the batch began, and
        handled, makes this result a duplicate: its versions are that writer's.
        ``others_wrote``: another connection committed since the batch looked its
        messages up (else none of them can have been stored meanwhile). ``c`` is the store's
        connection, or the ``Writes`` a batch hands the writer process.
        """
        # Raw messages another writer stored since the batch began, read in a query per 500.
        unstored = {result.sha256 for result, _, _ in parsed if not result.raw_id}
        stored = self._known_raw(unstored) if others_wrote and unstored else {}
        next_id = self._next_id("raw_messages")
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        for result, raw, _ in parsed:
            state = (str(result.state), result.error, result.preview, self._now)
            if not result.raw_id:
                known = stored.get(result.sha256)
                if known is None:
                    result.raw_id, next_id = next_id, next_id + 1
                    inserts.append(
                        (
                            result.raw_id,
                            result.sha256,
                            raw.operator,
                            raw.channel,
                            raw.received_at.isoformat(timespec="seconds"),
                            self._now,
                            raw.source_ref,
                            raw.filename,
                            len(raw.body),
                            raw.body,
                            *state,
                            1,
                        )
                    )
                    continue
                result.raw_id, result.operator = known[0], known[2]
                if known[1] in (ParseState.PARSED, ParseState.IGNORED):
                    result.duplicate = True
                    continue
            updates.append((*state, result.raw_id))
        if isinstance(c, Writes):
            self._taken["raw_messages"] = next_id
        insert_rows(
            c,
            "INSERT INTO raw_messages(id, sha256, operator, channel, received_at, stored_at, source_ref, filename, "
            "size, body, parse_state, parse_error, text_preview, parsed_at, attempts)",
            inserts,
        )
        c.executemany(
            "UPDATE raw_messages SET parse_state = ?, parse_error = ?, text_preview = ?, parsed_at = ?, "
            "attempts = attempts + 1 WHERE id = ?",
            updates,
        )

    def _quarantine_alone(self, item: tuple[RawMessage, Parser], exc: BaseException) -> IngestResult:
        """Store one message that could not be written with its bookings: raw bytes and the error only."""
        raw = item[0]
        known = self._known_raw({raw.sha256}).get(raw.sha256)
        result = IngestResult(
            known[0] if known else 0, raw.sha256, again=bool(known), operator=known[2] if known else raw.operator
        )
        name = raw.filename or raw.source_ref or "message"
        result.state, result.error = ParseState.FAILED, f"{name}: could not be stored: {type(exc).__name__}: {exc}"
        with self.store.transaction():
            self._store_raw([(result, raw, None)], self.store.conn)
            self._audit("ingest", [result])
        return result

    def _parse(self, result: IngestResult, raw: RawMessage, parse: Parser) -> list[OperatorBooking] | None:
        try:
            bookings = parse(raw)
        except ApprovalReply as exc:
            result.state, result.error = ParseState.IGNORED, self._record_approval(exc)
            return None
        except NotABooking as exc:
            result.state, result.error = ParseState.IGNORED, str(exc)
            return None
        except UnparsedMessage as exc:
            result.state, result.error = ParseState.UNPARSED, str(exc)
            result.preview = exc.text[:PREVIEW_CHARS]
            return None
        except Exception as exc:  # noqa: BLE001 - any parser failure is kept, never raised
            result.state = ParseState.FAILED
            name = raw.filename or raw.source_ref or f"raw message #{result.raw_id}"
            result.error = f"{name}: {exc}" if str(exc) else f"{name}: {type(exc).__name__}"
            return None
        if not bookings:
            result.state, result.error = ParseState.IGNORED, "no booking in this message"
            return None
        result.state = ParseState.PARSED
        return bookings

    def _record_approval(self, reply: ApprovalReply) -> str:
        """Hand a manager's e-mailed decision to the approval workflow; say what came of it."""
        return decide_by_reply(self.store, self.config, reply)

    def _prepare(
        self, result: IngestResult, raw: RawMessage, booking: OperatorBooking, checks_here: bool = True
    ) -> _Version | None:
        """One booking as the next version of its voucher, mapped and checked; None when nothing changed."""
        operator = raw.operator
        normalise_booking(booking)
        snapshot_json = booking.comparable_json()
        fingerprint = hashlib.sha256(f"{booking.content}|{snapshot_json}".encode()).hexdigest()
        key = (operator, booking.voucher)
        latest = self._latest.get(key)
        if latest is not None and (
            latest["fingerprint"] == fingerprint
            or (Content.CANCEL not in (booking.content, latest["content"]) and latest["snapshot"] == snapshot_json)
        ):
            # The same booking again; sent as "modified" with nothing changed (the other rooms of a
            # reservation whose one room changed), it is no new version either.
            result.unchanged += 1
            return None
        content, flags = _content_and_flags(booking.content, latest)
        flags += [f for f in booking.extra.get("ingest_flags", []) if f not in flags]
        diff = version_diff(latest, snapshot_json, content) if latest is not None else {}
        version = latest["version"] + 1 if latest is not None else 1
        hotel, missing = self.mappings.apply(operator, _codes(booking))
        if content == Content.CANCEL:
            missing = []  # a cancellation needs no mapping: it cancels what is already there
        currency = booking.currency or self.config.currency
        exp = exponent(currency)
        row = {
            "raw_id": 0,
            "operator": operator,
            "voucher": booking.voucher,
            "version": version,
            "content": str(content),
            "status": "pending",
            "flags": _list_json(flags),
            "agency": booking.agency,
            "check_in": iso(booking.check_in),
            "check_out": iso(booking.check_out),
            "nights": booking.nights,
            "rooms": booking.rooms,
            "adults": booking.adults,
            "child_ages": _list_json(booking.child_ages),
            "room": booking.room,
            "board": booking.board,
            "rate": booking.rate,
            "market": booking.market,
            "nationality": booking.nationality,
            "hotel_room": hotel["room"],
            "hotel_board": hotel["board"],
            "hotel_rate": hotel["rate"],
            "hotel_market": hotel["market"],
            "hotel_agency": hotel["agency"],
            "missing_mappings": _list_json(missing),
            "guest_names": guest_names(booking),
            "total_minor": minor_units(booking.total, exp) if booking.total is not None else None,
            "currency": currency,
            "sale_date": iso(booking.sale_date),
            "created_at": self._now,
            "notes": booking.notes,
            "source": booking.source,
            "segment": booking.segment,
            "promo_code": booking.promo_code,
            "discount_codes": _list_json(booking.discount_codes),
            "flights": _list_json(booking.flights),
            "cancel_date": iso(booking.cancel_date),
            "extra": dumps(plain(booking.extra)) if booking.extra else "{}",
            "rate_type": booking.rate_type,
            "option_date": iso(booking.option_date),
            "fingerprint": fingerprint,
            "snapshot": snapshot_json,
            "diff": dumps(diff) if diff else "{}",
        }
        received = raw.received_at.date()
        check_input: tuple[Any, ...] | None = None
        if checks_here:
            facts = facts_from_booking(booking, operator, content, hotel, currency, received)
            row.update(zip(CHECK_COLUMNS, checked_columns(facts, missing, self.checks, self.config, self.approval)))
        else:  # the writer process runs them, from the payload of the facts (built without them)
            check_input = (payload_from_booking(booking, operator, content, hotel, currency, received), missing)
        prepared = _Version(
            result=result,
            raw=raw,
            voucher=booking.voucher,
            row=row,
            previous=latest.get("ref", latest) if latest is not None else None,
            guests=[
                (i, g.first_name, g.last_name, g.age, iso(g.birth_date), g.gender, g.nationality, g.email)
                for i, g in enumerate(booking.guests)
            ],
            nights=[(n.date.isoformat(), minor_units(n.amount, exp), currency) for n in booking.night_prices],
            documents=list(booking.documents),
            check_input=check_input,
        )
        # A later message of this batch for the same voucher builds on this version.
        self._latest[key] = {
            "ref": prepared,
            "version": version,
            "fingerprint": fingerprint,
            "snapshot": snapshot_json,
            "content": str(content),
            "status": "pending",
        }
        return prepared


# -- re-mapping and re-checking stored rows --------------------------------------
def recheck(
    store: Store,
    config: Config,
    where: str = "status = 'pending' AND is_latest = 1",
    params: tuple[Any, ...] = (),
    *,
    now: datetime | None = None,
) -> int:
    """Map and check stored rows again (after a mapping, a stop-sale or contracts change).

    Returns how many rows were looked at.
    """
    mappings = MappingTable.load(store)
    ctx = CheckContext(store, config, now=now)
    rows = store.all(f"SELECT * FROM operator_reservations WHERE {where}", params)
    with store.transaction() as c:
        for row in rows:
            content = Content(row["content"])
            codes = {k: row[k] for k in ("room", "board", "rate", "market", "agency")}
            hotel, missing = mappings.apply(row["operator"], codes)
            if content == Content.CANCEL:
                missing = []
            facts = facts_from_row(store, row, hotel)
            update: dict[str, Any] = {
                "hotel_room": hotel["room"],
                "hotel_board": hotel["board"],
                "hotel_rate": hotel["rate"],
                "hotel_market": hotel["market"],
                "hotel_agency": hotel["agency"],
                "missing_mappings": dumps(missing),
            }
            outcomes = run_checks(facts, ctx, missing)
            update["needs_approval"] = approval_flag(store, row["id"], needs_approval(facts, outcomes, config))
            update.update(zip(CHECK_COLUMNS[1:], outcome_columns(outcomes, missing)))
            sets = ", ".join(f"{k} = ?" for k in update)
            c.execute(f"UPDATE operator_reservations SET {sets} WHERE id = ?", (*update.values(), row["id"]))
    return len(rows)


def remap_after_mapping(store: Store, config: Config, operator: str, kind: str, code: str) -> int:
    """Re-map every pending row of ``operator`` that uses ``code`` for ``kind``."""
    if kind not in ("room", "board", "rate", "market", "agency"):
        raise ValueError(f"unknown mapping kind {kind!r}")
    return recheck(
        store,
        config,
        f"status = 'pending' AND is_latest = 1 AND operator = ? AND {kind} = ?",
        (operator, code),
    )


# -- helpers -----------------------------------------------------------------------
_paused = 0
_paused_lock = threading.Lock()
_was_enabled = False


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a batch is worked out and written.

    A batch makes tens of thousands of small objects, none of them in cycles, and each
    few hundred of them start a collection that walks every object the process holds: in a
    process holding millions (an app, a bulk load) that walking was a third of ingest's time.
    Memory is still freed as each object is let go; cycles left by anything else are
    collected once the collector is back on. Batches in several threads share one
    pause: the collector comes back with the last of them, as it was before the first.
    """
    global _paused, _was_enabled
    with _paused_lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _paused_lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()


def _began(pipe: IngestWriter) -> bool:
    """Whether the writer process took note of the store and waits for a batch (False while it starts)."""
    try:
        return pipe.try_begin()
    except WriterGone:
        return False


def _restore(saved: list[tuple[IngestResult, int, bool, str]]) -> None:
    """Put a batch's results back as parsing left them (``_Sent.saved``), to be stored again."""
    for result, raw_id, duplicate, operator in saved:
        result.raw_id, result.duplicate, result.operator = raw_id, duplicate, operator
        result.new = result.changed = result.cancelled = 0
        result.reservation_ids = []


def _reach(
    parsed: list[tuple[IngestResult, RawMessage, list[OperatorBooking] | None]], versions: list[_Version]
) -> tuple[set[str], set[tuple[str, str]], set[tuple[str, str]], set[str]]:
    """What a batch writes that another batch's working out could read: its messages' sha256, its
    (operator, voucher) pairs, the (operator, ID) of its ``ID/n`` room rows, its promotion codes."""
    shas = {result.sha256 for result, _, _ in parsed}
    keys = {(raw.operator, b.voucher) for _, raw, found in parsed for b in found or []}
    keys.update((v.raw.operator, v.voucher) for v in versions)
    rooms = {
        (operator, voucher[:i])
        for operator, voucher in keys
        if "/" in voucher
        for i, c in enumerate(voucher)
        if c == "/"
    }
    promos = {str(v.row["promo_code"]) for v in versions if v.row["promo_code"]}
    # A version that replaces a stored one takes that one's promotion code out of the count of its uses.
    promos.update(
        code
        for v in versions
        if isinstance(v.previous, dict) and (code := json.loads(v.previous["snapshot"]).get("promo_code"))
    )
    promos.update(b.promo_code for _, _, found in parsed for b in found or [] if b.promo_code)
    return shas, keys, rooms, promos


def _content_and_flags(sent: Content, latest: Any) -> tuple[Content, list[str]]:
    if latest is None:
        if sent == Content.CHANGE:
            return Content.CHANGE, [FLAG_CHANGE_BEFORE_NEW]
        if sent == Content.CANCEL:
            return Content.CANCEL, [FLAG_CANCEL_UNKNOWN]
        return Content.NEW, []
    if sent == Content.CANCEL:
        return Content.CANCEL, []
    if sent == Content.NEW and latest["content"] != Content.CANCEL:
        # The operator re-sent its booking with differences: to the hotel that is a change. A "new"
        # that comes after a change arrived out of order; say so.
        return Content.CHANGE, [FLAG_NEW_AFTER_VERSIONS] if latest["content"] == Content.CHANGE else []
    if sent == Content.NEW:
        return Content.NEW, []  # re-booked after a cancellation
    return Content.CHANGE, []


def _codes(booking: OperatorBooking) -> dict[str, str]:
    return {
        "room": booking.room,
        "board": booking.board,
        "rate": booking.rate,
        "market": booking.market,
        "agency": booking.agency,
    }


def version_diff(latest: dict[str, Any], snapshot_json: str, content: Content) -> dict[str, list[Any]]:
    """What a version changed against the one before: every field, the number of nights, a cancellation."""
    before, after = json.loads(latest["snapshot"]), json.loads(snapshot_json)
    diff = field_diff(before, after)
    nights = _nights(before), _nights(after)
    if nights[0] != nights[1]:
        diff["nights"] = list(nights)
    if content != latest["content"] and Content.CANCEL in (content, latest["content"]):
        diff["content"] = [latest["content"], str(content)]
    return diff


def _nights(snapshot: dict[str, Any]) -> int | None:
    check_in, check_out = _date(snapshot.get("check_in")), _date(snapshot.get("check_out"))
    return (check_out - check_in).days if check_in and check_out else None


def booking_from_snapshot(snapshot: dict[str, Any], content: Content) -> OperatorBooking:
    """A stored version's booking again (its ``snapshot``), with another content."""
    booking = OperatorBooking(voucher=snapshot["voucher"], content=content)
    for name in (
        "agency",
        "rooms",
        "adults",
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
    ):
        if snapshot.get(name) is not None:
            setattr(booking, name, snapshot[name])
    booking.child_ages = list(snapshot.get("child_ages") or [])
    booking.discount_codes = list(snapshot.get("discount_codes") or [])
    booking.flights = list(snapshot.get("flights") or [])
    booking.check_in, booking.check_out = _date(snapshot.get("check_in")), _date(snapshot.get("check_out"))
    booking.sale_date, booking.cancel_date = _date(snapshot.get("sale_date")), _date(snapshot.get("cancel_date"))
    booking.total = Decimal(snapshot["total"]) if snapshot.get("total") is not None else None
    booking.guests = [
        Guest(
            first_name=g.get("first_name") or "",
            last_name=g.get("last_name") or "",
            age=g.get("age"),
            birth_date=_date(g.get("birth_date")),
            gender=g.get("gender") or "",
            nationality=g.get("nationality") or "",
        )
        for g in snapshot.get("guests") or []
    ]
    booking.night_prices = [
        NightPrice(date.fromisoformat(n["date"]), Decimal(n["amount"])) for n in snapshot.get("night_prices") or []
    ]
    return booking


def _carried(row: dict[str, Any], content: Content, message: OperatorBooking) -> OperatorBooking:
    """A room row's stored details (or a booking earlier in the batch) under a message that names its
    reservation but not its rooms."""
    if "booking" in row:
        earlier: OperatorBooking = row["booking"]
        booking = replace(
            earlier,
            content=content,
            guests=list(earlier.guests),
            night_prices=list(earlier.night_prices),
            child_ages=list(earlier.child_ages),
        )
    else:
        booking = booking_from_snapshot(json.loads(row["snapshot"]), content)
    booking.cancel_date = message.cancel_date if content == Content.CANCEL else None
    booking.extra = {
        k: v for k, v in message.extra.items() if k not in ("status_update", "known_id_only", "ingest_flags")
    }
    return booking


def field_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field that differs."""
    keys = list(dict.fromkeys([*before, *after]))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def guest_names(booking: OperatorBooking) -> str:
    """``Last First; Last First``: each guest's surname and first name, either left out when empty."""
    names = []
    for g in booking.guests:
        last, first = g.last_name, g.first_name
        names.append(f"{last} {first}" if last and first else last or first)
    return "; ".join(names)


def payload_from_booking(
    booking: OperatorBooking,
    operator: str,
    content: Content,
    hotel: dict[str, str | None],
    currency: str,
    received: date | None = None,
) -> tuple[Any, ...]:
    """``facts_payload(facts_from_booking(...))``, built without the facts in between: what the writer
    process is handed to run a new row's checks."""
    return stay_payload(
        booking, operator, content, _HOTEL(hotel), currency, surnames_of(booking.guests), None, received
    )


def surnames_of(guests: list[Guest]) -> list[str]:
    """The guests' surnames, as the checks compare them (the empty ones left out)."""
    return [g.last_name for g in guests if g.last_name]


#: The hotel's codes of a mapped booking, in the order a stay's payload holds them.
_HOTEL = itemgetter("room", "board", "rate", "market", "agency")


def _list_json(values: list[Any]) -> str:
    """A list column's JSON text (most bookings' lists are empty: no encoder call for those)."""
    return dumps(values) if values else "[]"


def facts_from_booking(
    booking: OperatorBooking,
    operator: str,
    content: Content,
    hotel: dict[str, str | None],
    currency: str,
    received: date | None = None,
) -> StayFacts:
    return StayFacts(
        operator=operator,
        voucher=booking.voucher,
        content=content,
        hotel_room=hotel["room"],
        hotel_board=hotel["board"],
        hotel_rate=hotel["rate"],
        hotel_market=hotel["market"],
        hotel_agency=hotel["agency"],
        check_in=booking.check_in,
        check_out=booking.check_out,
        rooms=booking.rooms,
        adults=booking.adults,
        child_ages=list(booking.child_ages),
        sale_date=booking.sale_date,
        total=booking.total,
        currency=currency,
        night_prices=list(booking.night_prices),
        promo_code=booking.promo_code,
        discount_codes=list(booking.discount_codes),
        surnames=surnames_of(booking.guests),
        received=received,
        nationality=booking.nationality,
        guests=list(booking.guests),
    )


def facts_from_row(store: Store, row: dict[str, Any], hotel: dict[str, str | None] | None = None) -> StayFacts:
    """The facts of a stored row (``hotel`` replaces its stored hotel codes when given)."""
    hotel = hotel or {k: row[f"hotel_{k}"] for k in ("room", "board", "rate", "market", "agency")}
    currency = row["currency"]
    nights = [
        NightPrice(date.fromisoformat(r["date"]), from_minor(r["amount_minor"], r["currency"]) or Decimal(0))
        for r in store.conn.execute(
            "SELECT date, amount_minor, currency FROM night_prices WHERE reservation_id = ? ORDER BY date", (row["id"],)
        )
    ]
    guests = [
        Guest(
            first_name=r["first_name"],
            last_name=r["last_name"],
            age=r["age"],
            birth_date=_date(r["birth_date"]),
            gender=r["gender"],
            nationality=r["nationality"],
            email=r["email"],
        )
        for r in store.conn.execute(
            "SELECT first_name, last_name, age, birth_date, gender, nationality, email FROM guests "
            "WHERE reservation_id = ? ORDER BY position",
            (row["id"],),
        )
    ]
    return StayFacts(
        operator=row["operator"],
        voucher=row["voucher"],
        content=Content(row["content"]),
        hotel_room=hotel["room"],
        hotel_board=hotel["board"],
        hotel_rate=hotel["rate"],
        hotel_market=hotel["market"],
        hotel_agency=hotel["agency"],
        check_in=_date(row["check_in"]),
        check_out=_date(row["check_out"]),
        rooms=row["rooms"],
        adults=row["adults"],
        child_ages=json.loads(row["child_ages"]),
        sale_date=_date(row["sale_date"]),
        total=from_minor(row["total_minor"], currency),
        currency=currency,
        night_prices=nights,
        promo_code=row["promo_code"],
        discount_codes=json.loads(row["discount_codes"]),
        surnames=surnames_of(guests),
        reservation_id=row["id"],
        received=_date(row["created_at"][:10]),
        nationality=row["nationality"],
        guests=guests,
    )


def raw_from_row(row: dict[str, Any]) -> RawMessage:
    return RawMessage(
        body=bytes(row["body"]),
        operator=row["operator"],
        channel=row["channel"],
        received_at=datetime.fromisoformat(row["received_at"]),
        source_ref=row["source_ref"],
        filename=row["filename"],
    )


def _date(value: str | None) -> date | None:
    return values.iso_date(value)
