"""Documents that come with bookings (PDF vouchers, attachments), kept as files by content hash."""

from __future__ import annotations

import hashlib
from pathlib import Path

from core.models import Document
from core.store import Store, now_iso


def save_document(store: Store, doc: Document, *, raw_id: int | None = None,
                  reservation_id: int | None = None) -> int:
    """Write the file once (by sha256) under the documents folder and record it."""
    sha = hashlib.sha256(doc.body).hexdigest()
    rel = Path(sha[:2]) / sha
    path = store.documents_dir / rel
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(doc.body)
        tmp.replace(path)
    cur = store.conn.execute(
        "INSERT INTO documents(raw_id, reservation_id, name, content_type, sha256, size, path, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (raw_id, reservation_id, doc.name, doc.content_type, sha, len(doc.body), str(rel), now_iso()),
    )
    return int(cur.lastrowid)


def document_path(store: Store, row: dict) -> Path:
    return store.documents_dir / row["path"]


def documents_of(store: Store, reservation_id: int) -> list[dict]:
    return store.all("SELECT * FROM documents WHERE reservation_id = ? ORDER BY id", (reservation_id,))
