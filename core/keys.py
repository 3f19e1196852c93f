"""The keys opdesk signs with, kept outside the store: approval codes and the audit chain.

Whoever can read the store must not be able to mint an approval code, and
whoever can write it must not be able to rewrite the audit log unnoticed
(issue 15). So both keys live beside the config, 0600, or come from the
environment (``[approval] secret_env`` / ``secret_file``, ``[audit] key_env`` /
``key_file``), never in the store:

- ``approval.key``: the HMAC key of approval codes, made once when none is
  configured. Older opdesk kept one in the store (``connector_state``); it is
  moved out on the first open, so codes already mailed keep working.
- ``audit.key``: the HMAC key that seals each audit row to the one before.
- ``audit.head``: the newest sealed row's id, its HMAC and the row count,
  so rows removed from the end are noticed too (``core.audit.verify``).
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac as hmac_lib
import json
import os
import secrets
import sqlite3
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Protocol

from core.config import Config
from core.errors import ConfigError
from core.private import create_private_file, private_dir, write_private


class KeyedStore(Protocol):
    """What the keys need of a store (``core.store.Store``); named here so keys never import the store."""

    conn: sqlite3.Connection

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def connector_state(self, operator: str) -> dict[str, str]: ...


APPROVAL_STATE_KEY = "_approval"
"""``connector_state`` operator under which older opdesk kept the approval key."""
KEY_BYTES = 32
"""256 bits: HMAC-SHA256's own block of security."""


@dataclass(frozen=True)
class Head:
    """The newest audit row sealed, as last written beside the key."""

    last_id: int = 0
    hmac: str = ""
    rows: int = 0


class KeyRing:
    """The keys of one config. ``settle`` moves old keys out of a store and starts its audit chain."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._audit_key: bytes | None = None

    # -- where ---------------------------------------------------------------------------
    @property
    def folder(self) -> Path:
        return self.config.base_dir

    @property
    def approval_key_path(self) -> Path:
        return self.folder / "approval.key"

    @property
    def audit_key_path(self) -> Path:
        configured = self.config.section("audit").get("key_file")
        if configured:
            from core.locations import resolve

            return resolve(str(configured), self.folder)
        return self.folder / "audit.key"

    @property
    def head_path(self) -> Path:
        return self.audit_key_path.with_name("audit.head")

    def paths(self) -> list[Path]:
        """Every key file this config may use (for ``opdesk doctor``)."""
        return [self.approval_key_path, self.audit_key_path, self.head_path]

    # -- approval --------------------------------------------------------------------------
    def approval_key(self) -> bytes:
        """``[approval] secret_env`` / ``secret_file`` / ``secret``, else ``approval.key`` (made once)."""
        configured = self.config.secret(self.config.section("approval"), "secret")
        if configured:
            return configured.encode()
        return self._key_file(self.approval_key_path, "approval")

    def move_approval_key_out(self, store: KeyedStore) -> None:
        """Move a key found in the store to ``approval.key`` (unless one is there or configured), out of the store."""
        kept = store.connector_state(APPROVAL_STATE_KEY).get("secret")
        if not kept:
            return
        configured = self.config.secret(self.config.section("approval"), "secret")
        if not configured and not self.approval_key_path.exists():
            self._write_key(self.approval_key_path, kept.encode(), "approval")
        with store.transaction() as c:
            c.execute("DELETE FROM connector_state WHERE operator = ? AND key = 'secret'", (APPROVAL_STATE_KEY,))

    # -- audit -----------------------------------------------------------------------------
    def audit_key(self) -> bytes:
        """``[audit] key_env`` / ``key_file``, else ``audit.key`` beside the config (made once)."""
        if self._audit_key is None:
            table = self.config.section("audit")
            if env := table.get("key_env"):
                value = os.environ.get(str(env))
                if not value:
                    raise ConfigError(f"{self.config.path}: audit.key_env names {env}, which is not set")
                self._audit_key = value.encode()
            else:
                if not self.audit_key_path.exists() and self.head_path.exists():
                    # A new key would make every sealed row look changed: say what is really wrong.
                    raise ConfigError(
                        f"{self.audit_key_path}: the audit key is missing but {self.head_path} shows "
                        "rows were sealed with it; put the key back (from the backup) before going on"
                    )
                self._audit_key = self._key_file(self.audit_key_path, "audit")
        return self._audit_key

    def head(self) -> Head | None:
        """The head last written, or None when this store's chain was never started here."""
        try:
            data = json.loads(self.head_path.read_text())
            return Head(int(data["last_id"]), str(data["hmac"]), int(data["rows"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                f"{self.head_path}: the audit head cannot be read ({exc}); it is written by opdesk only"
            ) from exc

    def advance_head(self, last_id: int, hmac: str) -> None:
        """Write a newer head; an older one (another process was quicker) is never written over a newer.

        Sealed rows are numbered one after the other (``core.audit.record``), so the count moves with the id.
        """
        with self._head_lock():
            current = self.head()
            if current is not None and current.last_id >= last_id:
                return
            rows = current.rows + last_id - current.last_id if current is not None else last_id
            # Not forced to the disk, as the store's commits are not (synchronous=NORMAL): a head synced
            # after every commit would be on the disk before the rows it names, and a power cut would
            # leave it reporting them cut off. The rename still makes it whole or the one before.
            head = json.dumps({"last_id": last_id, "hmac": hmac, "rows": rows}).encode()
            write_private(self.head_path, head, durable=False)

    @contextmanager
    def _head_lock(self) -> Iterator[None]:
        lock = self.head_path.with_name("audit.head.lock")
        create_private_file(lock)
        with lock.open("r+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # -- on every open -------------------------------------------------------------------
    def settle(self, store: KeyedStore) -> None:
        """Move an approval key out of the store; start the audit chain the first time (seals rows already there)."""
        self.move_approval_key_out(store)
        self.audit_key()  # a missing key is said here, at the open, not half-way through a write
        if self.head() is None:
            with self._head_lock():
                if self.head() is None:
                    head = seal_existing(store, self.audit_key())
                    write_private(self.head_path, json.dumps(vars(head)).encode())

    # -- files ---------------------------------------------------------------------------
    def _key_file(self, path: Path, what: str) -> bytes:
        try:
            value = path.read_text().strip()
        except FileNotFoundError:
            value = ""
        except OSError as exc:
            raise ConfigError(f"{path}: the {what} key cannot be read: {exc.strerror}") from exc
        if value:
            return value.encode()
        made = secrets.token_hex(KEY_BYTES)
        self._write_key(path, made.encode(), what, exclusive=True)
        return path.read_text().strip().encode()  # another process may have made it first: theirs wins

    def _write_key(self, path: Path, value: bytes, what: str, *, exclusive: bool = False) -> None:
        try:
            private_dir(path.parent)
            if not exclusive:
                write_private(path, value + b"\n")
                return
            # Whole or not at all, and only if nobody made one meanwhile: a link fails when the name exists.
            tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
            write_private(tmp, value + b"\n")
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        except OSError as exc:
            raise ConfigError(
                f"{path}: cannot write the {what} key: {exc.strerror}; make the folder writable or "
                f"name a key in the config ({what}."
                f"{'secret_env' if what == 'approval' else 'key_env'})"
            ) from exc


# -- the audit chain's seal (core.audit writes and verifies with it) -----------------------
SEALED_COLUMNS = (
    "id",
    "at",
    "actor",
    "os_user",
    "origin",
    "action",
    "reservation_id",
    "hotel_reservation_id",
    "before",
    "after",
    "detail",
)
"""What a row's HMAC covers: everything but the HMAC itself. The id is in, so rows cannot be renumbered."""


def seal(key: bytes, previous: str, row: dict[str, Any]) -> str:
    """A row's HMAC: over the previous row's HMAC and this row's sealed columns, as canonical JSON."""
    content = json.dumps([row[c] for c in SEALED_COLUMNS], ensure_ascii=False, separators=(",", ":"))
    return hmac_lib.new(key, previous.encode() + b"\n" + content.encode(), hashlib.sha256).hexdigest()


def seal_existing(store: KeyedStore, key: bytes) -> Head:
    """Start the chain of a store: seal, in order, the rows written before it had one. Returns the head."""
    previous, last_id, rows = "", 0, 0
    with store.transaction() as c:
        for row in c.execute(f"SELECT {', '.join(SEALED_COLUMNS)}, hmac FROM audit_log ORDER BY id").fetchall():
            mac = seal(key, previous, dict(row))
            if row["hmac"] == "":
                c.execute("UPDATE audit_log SET hmac = ? WHERE id = ?", (mac, row["id"]))
            elif row["hmac"] != mac:
                break  # sealed with another key, or changed: left for verify to name
            previous, last_id, rows = mac, int(row["id"]), rows + 1
    return Head(last_id, previous, rows)
