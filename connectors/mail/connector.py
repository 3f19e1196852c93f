"""The ``mail`` connector: bookings that operators send by e-mail, read from an IMAP mailbox.

One mailbox may carry mail from many senders. Each mail is matched to a
parsing profile by its From and Subject when it is fetched, and the raw
message gets the profile's operator name (``jet2``, ``hotelbeds``...); a mail
no profile matches keeps the mailbox operator's name and lands in the inbox
as ``unparsed``. Confirmations go back by SMTP as replies to the operator's
own mail, so each profile operator a hotel confirms to needs an
``[[operators]]`` entry of kind ``mail`` (without ``host`` it only replies:
its mail is read by the shared mailbox).

State (``ctx.state``), per reading folder: ``<folder>.uidvalidity`` and
``<folder>.last_uid``, advanced by ``acknowledge`` once core has stored the
message. When UIDVALIDITY changes every message is read again; the store's
content hash keeps the ones it has already seen from counting twice.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import parseaddr
from pathlib import Path
from typing import Any, AsyncIterator, Callable

from connectors.base import Connector, FetchContext, Reply
from connectors.mail.approval_reply import approval_reply
from connectors.mail.extract import read_mail
from connectors.mail.imap import Mailbox, MailboxSettings
from connectors.mail.profiles import Profile, load_profiles, match_profile
from connectors.mail.reply import send_reply
from connectors.scan_loop import scan_with_store
from connectors.scan_runs import OperatorRun
from core import locations
from core.config import Config, OperatorConfig
from core.errors import ConfigError
from core.ingest import IngestResult
from core.models import (
    OperatorBooking,
    OperatorError,
    ParseState,
    RawMessage,
    UnparsedMessage,
)
from core.store import Store

log = logging.getLogger(__name__)

StateSaver = Callable[[dict[str, Any]], None]


def profile_dirs(operator: OperatorConfig | None, config: Config) -> list[Path]:
    """User profile folders: ``[mail] profiles_dir`` and the operator's own ``profiles_dir``."""
    dirs: list[Path] = []
    for table in (config.section("mail"), operator.settings if operator else {}):
        value = table.get("profiles_dir")
        for entry in [value] if isinstance(value, str) else list(value or []):
            dirs.append(locations.resolve(entry, config.base_dir))
    return dirs


class MailConnector(Connector):
    kind = "mail"

    def __init__(self, operator: OperatorConfig, config: Config) -> None:
        super().__init__(operator, config)
        self._profiles: dict[str, Profile] | None = None
        self._mailbox: Mailbox | None = None
        self._uidvalidity: int | None = None
        self.save_state: StateSaver | None = None  # set by a caller that wants state saved after each mail

    # -- profiles --------------------------------------------------------
    @property
    def profiles(self) -> list[Profile]:
        if self._profiles is None:
            loaded = load_profiles(profile_dirs(self.operator, self.config))
            wanted = self.operator.settings.get("profiles")
            if wanted:
                unknown = sorted(set(wanted) - set(loaded))
                if unknown:
                    raise ConfigError(
                        f"{self.config.path}: operator {self.operator.name}: unknown mail "
                        f"profiles {', '.join(unknown)} (see: opdesk mail profiles)"
                    )
                loaded = {name: loaded[name] for name in wanted}
            self._profiles = loaded
        return list(self._profiles.values())

    def profile_for(self, sender: str, subject: str, prefer: str = "") -> Profile | None:
        return match_profile(self.profiles, sender.lower(), subject, prefer or self.operator.name)

    @property
    def settings(self) -> MailboxSettings:
        return MailboxSettings.from_operator(self.operator, self.config)

    @property
    def reads_mail(self) -> bool:
        """False for a reply-only entry (no ``host``): its mail comes through a shared mailbox."""
        return bool(self.operator.settings.get("host"))

    # -- reading ---------------------------------------------------------
    async def fetch(self, ctx: FetchContext) -> AsyncIterator[RawMessage]:
        if not self.reads_mail:
            return
        settings = self.settings
        self._mailbox = await asyncio.to_thread(Mailbox, settings)
        try:
            uidvalidity, _ = await asyncio.to_thread(self._mailbox.status)
            last_uid = self._start_state(ctx.state, settings.folder, uidvalidity)
            for uid in await asyncio.to_thread(self._mailbox.uids_after, last_uid):
                body = await asyncio.to_thread(self._mailbox.raw, uid)
                yield self._raw_message(body, f"{settings.folder}/{uidvalidity}/{uid}")
        finally:
            mailbox, self._mailbox = self._mailbox, None
            await asyncio.to_thread(mailbox.close)

    def _start_state(self, state: dict[str, Any], folder: str, uidvalidity: int) -> int:
        """The last UID read in this folder generation; a new UIDVALIDITY starts from 0."""
        self._uidvalidity = uidvalidity
        if str(state.get(f"{folder}.uidvalidity", "")) != str(uidvalidity):
            if state.get(f"{folder}.uidvalidity"):
                log.warning("mailbox %s: UIDVALIDITY changed, reading every message again", folder)
            state[f"{folder}.uidvalidity"] = str(uidvalidity)
            state[f"{folder}.last_uid"] = "0"
            self._save(state)
        return int(state.get(f"{folder}.last_uid") or 0)

    def _raw_message(self, body: bytes, source_ref: str) -> RawMessage:
        headers = BytesHeaderParser(policy=default_policy).parsebytes(body)
        sender = parseaddr(str(headers.get("From", "")))[1]
        subject = str(headers.get("Subject", ""))
        profile = self.profile_for(sender, subject)
        return RawMessage(
            body=body,
            operator=profile.operator if profile else self.operator.name,
            channel="mail",
            source_ref=source_ref,
            filename=subject[:200],
        )

    def parse(self, raw: RawMessage) -> list[OperatorBooking]:
        mail = read_mail(raw.body)
        if (decision := approval_reply(mail)) is not None:
            raise decision  # an approver's answer: core.approval records it
        profile = self.profile_for(mail.sender, mail.subject, prefer=raw.operator)
        if profile is None:
            raise UnparsedMessage(
                f"no mail profile matches From {mail.sender or '(none)'} / Subject {mail.subject!r}: read it and "
                "book it by hand, or add a profile (opdesk mail profiles; docs/mail.md)",
                text=mail.readable(),
            )
        return profile.read(mail)

    async def acknowledge(self, raw: RawMessage, result: IngestResult, ctx: FetchContext) -> None:
        """File the stored mail under processed or failed, and remember its UID as read."""
        await self.acknowledge_many([(raw, result)], ctx)

    async def acknowledge_many(self, pairs: list[tuple[RawMessage, IngestResult]], ctx: FetchContext) -> None:
        """Acknowledge a batch over one connection (the fetch's own while it is still open)."""
        settings = self.settings
        moves = [
            (*_split_ref(raw.source_ref)[1:], self._target(settings, result))
            for raw, result in pairs
            if _split_ref(raw.source_ref)[0] == settings.folder
        ]
        if not moves:
            return
        if self._mailbox is not None:
            await asyncio.to_thread(_file_away, self._mailbox, self._uidvalidity, moves)
        else:
            await asyncio.to_thread(_file_away_once, settings, moves)
        key = f"{settings.folder}.last_uid"
        current = [
            uid
            for uidvalidity, uid, _ in moves
            if str(ctx.state.get(f"{settings.folder}.uidvalidity")) == str(uidvalidity)
        ]
        if current:
            ctx.state[key] = str(max([*current, int(ctx.state.get(key) or 0)]))
            self._save(ctx.state)

    @staticmethod
    def _target(settings: MailboxSettings, result: IngestResult) -> str:
        handled = result.duplicate or result.state in (ParseState.PARSED, ParseState.IGNORED)
        return settings.processed_folder if handled else settings.failed_folder

    def _save(self, state: dict[str, Any]) -> None:
        if self.save_state is not None:
            self.save_state(dict(state))

    async def wait_for_mail(self, timeout: float) -> bool:
        """For ``scan --watch``: True as soon as new mail arrives (IMAP IDLE), False after ``timeout``.

        Without IDLE on the server it simply waits ``timeout`` and answers True, so
        the caller scans again (polling).
        """
        if not self.reads_mail:
            await asyncio.sleep(timeout)
            return False
        mailbox = await asyncio.to_thread(Mailbox, self.settings)
        try:
            if not mailbox.can_idle:
                await asyncio.sleep(timeout)
                return True
            return await asyncio.to_thread(mailbox.wait_for_mail, timeout)
        finally:
            await asyncio.to_thread(mailbox.close)

    # -- answering -------------------------------------------------------
    def confirm(self, reply: Reply) -> str:
        return self._answer(reply, "confirm")

    def reject(self, reply: Reply) -> str:
        return self._answer(reply, "reject")

    def _answer(self, reply: Reply, kind: str) -> str:
        if reply.raw is None:
            raise OperatorError(
                f"{reply.operator} {reply.voucher}: the original mail is not stored, so there is nothing to reply to"
            )
        mail = read_mail(reply.raw.body)
        profile = self.profile_for(mail.sender, mail.subject, prefer=reply.operator)
        if profile is None:
            raise OperatorError(
                f"{reply.operator} {reply.voucher}: no mail profile matches the original mail "
                f"(From {mail.sender}); answer it by hand"
            )
        message_id = send_reply(self.config, profile, reply, kind)
        return f"sent to {profile.reply_to or mail.reply_to or mail.sender} ({message_id})"


def _split_ref(source_ref: str) -> tuple[str, int, int]:
    folder, uidvalidity, uid = source_ref.rsplit("/", 2)
    return folder, int(uidvalidity), int(uid)


Move = tuple[int, int, str]  # (UIDVALIDITY, UID, target folder)


def _file_away(mailbox: Mailbox, uidvalidity: int | None, moves: list[Move]) -> None:
    # A UID from an older folder generation may now name another message: leave those alone.
    for validity, uid, target in moves:
        if validity == uidvalidity:
            mailbox.file_away(uid, target)


def _file_away_once(settings: MailboxSettings, moves: list[Move]) -> None:
    with Mailbox(settings) as mailbox:
        _file_away(mailbox, mailbox.status()[0], moves)


# -- one mailbox scan, without the scanner ---------------------------------------------------
@dataclass
class MailScan(OperatorRun):
    """What one scan of a mailbox brought: its run, and each message's result.

    ``errors`` counts messages that could not be read; ``error`` says why the
    scan itself failed (server down, login refused), '' when it did not.
    """

    duplicates: int = 0
    error: str = ""
    results: list[IngestResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error


def scan_mailbox(store: Store, config: Config, operator_name: str) -> MailScan:
    """Read one mail operator's mailbox into the store through the scan loop (``connectors.scan_loop``).

    Records a scan run (``core.scanlog``) and never raises for a server
    failure: the run and the returned ``MailScan`` carry the error, and the
    next scan starts again from the saved state (saved after each mail).
    """
    operator = config.operator(operator_name)
    if operator is None or operator.kind != MailConnector.kind:
        raise ConfigError(f"{config.path}: no mail operator named {operator_name!r}")

    def connect() -> MailConnector:
        connector = MailConnector(operator, config)
        connector.save_state = lambda state: store.set_connector_state(operator.name, state)
        return connector

    results: list[IngestResult] = []
    run = scan_with_store(store, config, operator, connect, results)
    failed = run.state == "error"
    return MailScan(
        **{**vars(run), "errors": run.errors - failed},
        duplicates=sum(r.duplicate for r in results),
        error=run.last_error if failed else "",
        results=results,
    )
