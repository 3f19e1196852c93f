"""Documents that come with bookings (PDF vouchers, attachments), kept as files by content hash."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from core.models import Document
from core.private import write_private
from core.store import Store, now_iso, rowid


def save_document(store: Store, doc: Document, *, raw_id: int | None = None, reservation_id: int | None = None) -> int:
    """Write the file once (by sha256) under the documents folder and record it."""
    sha = hashlib.sha256(doc.body).hexdigest()
    rel = Path(sha[:2]) / sha
    path = store.documents_dir / rel
    if not path.exists():
        write_private(path, doc.body)
    cur = store.conn.execute(
        "INSERT INTO documents(raw_id, reservation_id, name, content_type, sha256, size, path, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (raw_id, reservation_id, doc.name, doc.content_type, sha, len(doc.body), str(rel), now_iso()),
    )
    return rowid(cur)


def document_path(store: Store, row: dict[str, Any]) -> Path:
    return store.documents_dir / str(row["path"])


def documents_of(store: Store, reservation_id: int) -> list[dict[str, Any]]:
    return store.all("SELECT * FROM documents WHERE reservation_id = ? ORDER BY id", (reservation_id,))


def document_text(store: Store, row: dict[str, Any], limit: int = 200_000) -> str:
    """What a person reads of a document: a PDF's text, a text file as it is, else what it is and where."""
    path = document_path(store, row)
    try:
        body = path.read_bytes()
    except OSError as exc:
        return f"{row['name']}: the file {path} cannot be read: {exc.strerror}"
    if row["content_type"] == "application/pdf" or body.startswith(b"%PDF"):
        return _pdf_text(body, row["name"])[:limit]
    if row["content_type"].startswith("text/") or _looks_like_text(body):
        return body[:limit].decode("utf-8", errors="replace")
    return f"{row['name']}: {row['content_type']}, {row['size']:,} bytes, kept at {path}"


def _pdf_text(body: bytes, name: str) -> str:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        pages = PdfReader(io.BytesIO(body)).pages
        text = "\n\n".join((page.extract_text() or "").strip() for page in pages).strip()
    except (PyPdfError, ValueError, KeyError) as exc:
        return f"{name}: a PDF whose text cannot be read ({exc})"
    return text or f"{name}: a PDF without text (a scan?); open the file itself"


def _looks_like_text(body: bytes) -> bool:
    sample = body[:4096]
    return b"\x00" not in sample and sample.decode("utf-8", errors="replace").count("\ufffd") < 3
