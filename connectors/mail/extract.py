"""What a mail says, in forms a profile can read: plain text, HTML tables, PDF text.

A booking mail arrives as plain text, as HTML (often tables inside tables), or
as a short note with a PDF voucher attached. ``read_mail`` turns the raw
``.eml`` bytes into a ``MailText``: the text of each of those, the HTML's
tables as rows of cell texts, and the attachments as documents.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field

import lxml.html
from imap_tools import MailMessage
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from core.models import Document

log = logging.getLogger(__name__)

# Elements after which rendered HTML starts a new line.
_BLOCK_TAGS = {
    "p",
    "div",
    "tr",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "ul",
    "ol",
    "br",
    "hr",
    "section",
    "header",
    "footer",
    "blockquote",
    "pre",
    "thead",
    "tbody",
    "tfoot",
}
_CELL_TAGS = {"td", "th"}

Table = list[list[str]]


@dataclass
class MailText:
    """One mail, read: who sent it, what it says, what came with it."""

    sender: str = ""  # the From address, lower case
    sender_name: str = ""
    reply_to: str = ""
    subject: str = ""
    message_id: str = ""
    references: str = ""
    text: str = ""  # the text part, or the HTML rendered as text
    html_text: str = ""  # the HTML part rendered as text ('' without HTML)
    tables: list[Table] = field(default_factory=list)
    pdf_text: str = ""  # the text of every PDF attachment, in order
    documents: list[Document] = field(default_factory=list)

    def body(self, source: str) -> str:
        """The text a profile reads: ``text``, ``html`` or ``pdf``; falls back to whatever there is."""
        chosen = {"text": self.text, "html": self.html_text or self.text, "pdf": self.pdf_text}.get(source, "")
        return chosen or self.text or self.html_text or self.pdf_text

    def readable(self) -> str:
        """Everything a person needs to read the mail by hand."""
        parts = [
            f"From: {self.sender_name} <{self.sender}>".strip(),
            f"Subject: {self.subject}",
            "",
            self.text or self.html_text,
        ]
        if self.pdf_text:
            parts += ["", "--- PDF attachments ---", self.pdf_text]
        return "\n".join(parts).strip()


def read_mail(body: bytes) -> MailText:
    msg = MailMessage.from_bytes(body)
    html = msg.html
    html_text = html_to_text(html) if html.strip() else ""
    documents = [
        Document(a.filename or "attachment", a.content_type or "application/octet-stream", a.payload)
        for a in msg.attachments
        if a.payload
    ]
    pdf_texts = [pdf_text(d.body, d.name) for d in documents if _is_pdf(d)]
    sender = msg.from_values
    reply_to = msg.reply_to_values
    return MailText(
        sender=sender.email.lower() if sender else "",
        sender_name=sender.name if sender else "",
        reply_to=reply_to[0].email if reply_to else "",
        subject=msg.subject,
        message_id=str(msg.obj.get("Message-ID", "")).strip(),
        references=str(msg.obj.get("References", "")).strip(),
        text=_normalise(msg.text) or html_text,
        html_text=html_text,
        tables=html_tables(html) if html.strip() else [],
        pdf_text="\n".join(t for t in pdf_texts if t),
        documents=documents,
    )


def _is_pdf(doc: Document) -> bool:
    return doc.content_type == "application/pdf" or doc.name.lower().endswith(".pdf") or doc.body[:5] == b"%PDF-"


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


# -- HTML ---------------------------------------------------------------------------
def _parse_html(html: str):
    try:
        return lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return None


def html_to_text(html: str) -> str:
    """HTML as lines of text: one line per block or table row, table cells separated by a tab.

    A two-column table of ``label | value`` becomes ``label<TAB>value`` lines, so
    the same label rules read text mails and HTML mails.
    """
    root = _parse_html(html)
    if root is None:
        return ""
    for bad in root.xpath("//script|//style|//head"):
        bad.drop_tree()
    pieces: list[str] = []
    _render(root, pieces)
    text = "".join(pieces)
    lines = [re.sub(r"[ \f\v\r]+", " ", line).strip(" ") for line in text.split("\n")]
    lines = [re.sub(r" *\t[\t ]*", "\t", line).strip("\t ") for line in lines]
    return _normalise("\n".join(line for line in lines if line))


def _render(el, out: list[str]) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag == "br":
        out.append("\n")
    if el.text and tag:
        out.append(el.text.replace("\n", " "))
    for child in el:
        _render(child, out)
        if child.tail:
            out.append(child.tail.replace("\n", " "))
    if tag in _CELL_TAGS:
        out.append("\t")
    elif tag in _BLOCK_TAGS and tag != "br":
        out.append("\n")


def html_tables(html: str) -> list[Table]:
    """Every table of the mail (nested ones too) as rows of cell texts, innermost first."""
    root = _parse_html(html)
    if root is None:
        return []
    tables = []
    for table in reversed(root.xpath("//table")):
        rows = []
        for tr in table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr"):
            cells = [_cell_text(td) for td in tr.xpath("./td|./th")]
            if any(cells):
                rows.append(cells)
        if rows:
            tables.append(rows)
    return tables


def _cell_text(cell) -> str:
    return re.sub(r"\s+", " ", cell.text_content().replace("\xa0", " ")).strip()


# -- PDF ----------------------------------------------------------------------------
def pdf_text(data: bytes, name: str = "attachment.pdf") -> str:
    """The text of a PDF, page after page. An unreadable PDF gives '' (and is still kept)."""
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        log.warning("cannot read the text of %s: %s", name, exc)
        return ""
    return _normalise("\n".join(pages))
