"""One IMAP mailbox, through imap-tools: settings, login, new UIDs, raw bytes, moves, IDLE.

Everything here blocks; the connector runs it in ``asyncio.to_thread``. Every
server or network failure becomes an ``OperatorError`` whose message names the
mailbox (never the password).
"""

from __future__ import annotations

import imaplib
import ssl
import time
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, U
from imap_tools.errors import ImapToolsError, MailboxLoginError

from core.config import Config, OperatorConfig
from core.errors import ConfigError
from core.models import OperatorError

SECURITY = ("tls", "starttls", "none")
DEFAULT_PORTS = {"tls": 993, "starttls": 143, "none": 143}
T = TypeVar("T")


@dataclass
class MailboxSettings:
    host: str
    user: str
    password: str = field(repr=False)  # never shown in logs or errors
    port: int = 993
    security: str = "tls"
    folder: str = "INBOX"
    processed_folder: str = "Processed"  # '' leaves handled mail where it is (marked seen)
    failed_folder: str = "Failed"
    timeout: float = 30.0
    ca_file: str = ""  # trust this CA (a self-signed server) instead of the system's

    @property
    def label(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"

    @classmethod
    def from_operator(cls, operator: OperatorConfig, config: Config) -> "MailboxSettings":
        s = operator.settings
        where = f"{config.path}: operator {operator.name}"
        security = str(s.get("security", "tls")).lower()
        if security not in SECURITY:
            raise ConfigError(f"{where}: security must be one of {', '.join(SECURITY)}, not {security!r}")
        for key in ("host", "user"):
            if not s.get(key):
                raise ConfigError(f"{where}: a mailbox needs '{key}'")
        if not any(k in s for k in ("password_env", "password_file", "password")):
            raise ConfigError(f"{where}: a mailbox needs password_env (an environment variable) or password_file")
        return cls(
            host=str(s["host"]),
            user=str(s["user"]),
            password=config.secret(s, "password"),
            port=int(s.get("port", DEFAULT_PORTS[security])),
            security=security,
            folder=str(s.get("folder", "INBOX")),
            processed_folder=str(s.get("processed_folder", "Processed")),
            failed_folder=str(s.get("failed_folder", "Failed")),
            timeout=float(s.get("timeout", 30)),
            ca_file=str(s.get("ca_file", "")),
        )


class Mailbox:
    """A logged-in IMAP connection with the reading folder selected."""

    def __init__(self, settings: MailboxSettings) -> None:
        self.settings = settings
        self.box: BaseMailBox = self._guard("log in", self._login)

    # -- connection ------------------------------------------------------
    def _login(self) -> BaseMailBox:
        st = self.settings
        if st.security == "tls":
            box: BaseMailBox = MailBox(st.host, st.port, timeout=st.timeout, ssl_context=self._ssl_context())
        elif st.security == "starttls":
            box = MailBoxStartTls(st.host, st.port, timeout=st.timeout, ssl_context=self._ssl_context())
        else:
            box = MailBoxUnencrypted(st.host, st.port, timeout=st.timeout)
        return box.login(st.user, st.password, initial_folder=st.folder)

    def _ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file or None)

    def close(self) -> None:
        try:
            self.box.logout()
        except (ImapToolsError, imaplib.IMAP4.error, OSError):
            pass  # the server may have dropped us already; nothing is left to tidy

    def __enter__(self) -> "Mailbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _guard(self, doing: str, call: Callable[[], T]) -> T:
        """Run one IMAP step; turn its failure into an OperatorError that says what to check."""
        label = self.settings.label
        try:
            return call()
        except MailboxLoginError as exc:
            raise OperatorError(f"mailbox {label}: login refused: check user and password ({_reason(exc)})") from exc
        except ssl.SSLError as exc:
            raise OperatorError(
                f"mailbox {label}: TLS failed: {exc} (check security and ca_file)", retryable=False
            ) from exc
        except TimeoutError as exc:
            raise OperatorError(
                f"mailbox {label}: the server did not answer in time to {doing}", retryable=True
            ) from exc
        except OSError as exc:
            raise OperatorError(f"mailbox {label}: cannot {doing}: {exc.strerror or exc}", retryable=True) from exc
        except (ImapToolsError, imaplib.IMAP4.error) as exc:
            raise OperatorError(f"mailbox {label}: cannot {doing}: {_reason(exc)}", retryable=True) from exc

    # -- reading ---------------------------------------------------------
    def status(self) -> tuple[int, int]:
        """(UIDVALIDITY, UIDNEXT) of the reading folder."""
        st = self._guard("read the folder status", lambda: self.box.folder.status(self.settings.folder))
        return int(st["UIDVALIDITY"]), int(st["UIDNEXT"])

    def uids_after(self, last_uid: int) -> list[int]:
        # "UID n:*" always returns the highest message even when n is past it: filter.
        found = self._guard("search", lambda: self.box.uids(AND(uid=U(str(last_uid + 1), "*"))))
        return sorted(u for u in map(int, found) if u > last_uid)

    def raw(self, uid: int) -> bytes:
        """The message exactly as the server holds it (BODY.PEEK: it stays unseen)."""
        typ, data = self._guard("fetch a message", lambda: self.box.client.uid("FETCH", str(uid), "(BODY.PEEK[])"))
        for item in data or []:
            if isinstance(item, tuple) and len(item) == 2:
                return bytes(item[1])
        raise OperatorError(f"mailbox {self.settings.label}: message UID {uid} is gone ({typ})", retryable=True)

    # -- handling --------------------------------------------------------
    def file_away(self, uid: int, folder: str) -> None:
        """Mark seen and move to ``folder`` (made when missing); with no folder, only mark seen."""
        self._guard("mark a message seen", lambda: self.box.client.uid("STORE", str(uid), "+FLAGS", r"(\Seen)"))
        if not folder:
            return
        if not self._guard("look for a folder", lambda: self.box.folder.exists(folder)):
            self._guard(f"create folder {folder}", lambda: self.box.folder.create(folder))
        self._guard(f"move a message to {folder}", lambda: self.box.move(str(uid), folder))

    # -- waiting ---------------------------------------------------------
    @property
    def can_idle(self) -> bool:
        return "IDLE" in self.box.client.capabilities

    def wait_for_mail(self, timeout: float) -> bool:
        """Block until new mail arrives (IDLE) or ``timeout`` passes. True when something arrived.

        Servers also send keep-alive lines during IDLE; only ``EXISTS`` means new mail.
        """
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            lines = self._guard("wait for mail", lambda: self.box.idle.wait(timeout=min(left, 25 * 60)))
            if any(b"EXISTS" in line for line in lines):
                return True
        return False


def _reason(exc: Exception) -> Any:
    return getattr(exc, "command_result", None) or exc
