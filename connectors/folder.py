"""The drop-folder connector: operators (or staff) drop ``.xml``, ``.json`` and ``.eml`` files.

Each file is fetched as a raw message; once core has stored it, it moves to
``processed/`` or, when it could not be read, to ``failed/`` with an
``.error.txt`` beside it. Nothing is deleted. Replies go to ``outbox/`` as JSON.

Settings (``[[operators]]`` with ``kind = "folder"``): ``path`` (the drop
folder), optional ``processed``, ``failed`` and ``outbox`` folders.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, AsyncIterator

from connectors.base import Connector, FetchContext, Reply
from connectors.detect import parser_for
from core import locations
from core.models import OperatorBooking, ParseState, RawMessage

if TYPE_CHECKING:
    from core.ingest import IngestResult

SKIP_SUFFIXES = (".part", ".tmp", ".error.txt", ".swp")


class FolderConnector(Connector):
    kind = "folder"

    def _folder(self, key: str, default: str) -> Path:
        base = self.drop_folder
        value = self.operator.settings.get(key)
        return locations.resolve(value, self.config.base_dir) if value else base / default

    @property
    def drop_folder(self) -> Path:
        path = self.operator.settings.get("path")
        if not path:
            raise ValueError(f"operator {self.operator.name}: folder connector needs 'path'")
        return locations.resolve(path, self.config.base_dir)

    def waiting_files(self) -> list[Path]:
        folder = self.drop_folder
        if not folder.is_dir():
            raise FileNotFoundError(f"operator {self.operator.name}: drop folder {folder} does not exist")
        files = [
            p
            for p in folder.iterdir()
            if p.is_file() and not p.name.startswith(".") and not p.name.endswith(SKIP_SUFFIXES)
        ]
        return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))

    async def fetch(self, ctx: FetchContext) -> AsyncIterator[RawMessage]:
        for path in self.waiting_files():
            stat = path.stat()
            yield RawMessage(
                body=path.read_bytes(),
                operator=self.operator.name,
                channel=self.kind,
                received_at=datetime.fromtimestamp(stat.st_mtime, timezone.utc),
                source_ref=str(path),
                filename=path.name,
            )

    def parse(self, raw: RawMessage) -> list[OperatorBooking]:
        return parser_for(self.config)(raw)

    async def acknowledge(self, raw: RawMessage, result: "IngestResult", ctx: FetchContext) -> None:
        self.file_away(Path(raw.source_ref), result)

    def file_away(self, path: Path, result: "IngestResult") -> Path:
        """Move a handled file to processed/ or failed/ (with its error beside it)."""
        good = result.duplicate or result.state in (ParseState.PARSED, ParseState.IGNORED)
        target_dir = self._folder("processed", "processed") if good else self._folder("failed", "failed")
        target_dir.mkdir(parents=True, exist_ok=True)
        target = _free_name(target_dir / path.name)
        shutil.move(str(path), target)
        if not good:
            target.with_name(target.name + ".error.txt").write_text(
                f"{result.state}: {result.error}\nraw message #{result.raw_id} (opdesk raw show {result.raw_id})\n"
            )
        return target

    def _reply(self, reply: Reply, action: str) -> str:
        outbox = self._folder("outbox", "outbox")
        outbox.mkdir(parents=True, exist_ok=True)
        payload = {
            "action": action,
            "operator": reply.operator,
            "voucher": reply.voucher,
            "hotel_number": reply.hotel_number,
            "reason": reply.reason,
            "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        path = _free_name(outbox / f"{file_safe(reply.voucher)}-{action}.json")
        path.write_text(json.dumps(payload, ensure_ascii=False, indent=2))
        return f"written to {path.name}"

    def confirm(self, reply: Reply) -> str:
        return self._reply(reply, "confirm")

    def reject(self, reply: Reply) -> str:
        return self._reply(reply, "reject")


def file_safe(name: str) -> str:
    """A voucher as part of a file name: an operator's ``../x`` or ``a/b`` never leaves the outbox."""
    safe = re.sub(r"[^\w.-]", "_", name)[:100].lstrip(".")
    return safe or "reply"


def _free_name(path: Path) -> Path:
    if not path.exists():
        return path
    stem, suffix = path.stem, path.suffix
    n = 1
    while (candidate := path.with_name(f"{stem}.{n}{suffix}")).exists():
        n += 1
    return candidate
