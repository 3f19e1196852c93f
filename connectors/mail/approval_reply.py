"""Approvers' answers by e-mail: the one-time code in the subject, APPROVE or REJECT first in the body.

Mail clients quote the request under (or over) the answer in many styles:
lines starting with ``>``, an attribution line ending in a colon before them
in the writer's language ("On Mon ... wrote:", "... schrieb:", "... yazdı:"),
or a rule such as "-----Original Message-----" with the request below it.
All of that is skipped, so the first word read is the approver's own.
"""

from __future__ import annotations

import re

from connectors.mail import approval_mail  # noqa: F401  (registers the mailer that asks the next approver)
from connectors.mail.extract import MailText
from core.models import ApprovalReply, UnparsedMessage

# Four groups of four from the base32 alphabet: see core.approval.new_code.
CODE_PATTERN = re.compile(r"\b([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})\b", re.IGNORECASE)
DECISION_WORDS = {"APPROVE": "approve", "APPROVED": "approve", "REJECT": "reject", "REJECTED": "reject"}
SIGNATURE_MARK = "-- "
# Outlook-style clients put the request below a rule instead of quoting it.
ORIGINAL_MARK = re.compile(r"^\s*-{3,}\s*[^-]+\s*-{3,}\s*$")


def approval_reply(mail: MailText) -> ApprovalReply | None:
    """The decision in ``mail`` when it answers an approval request, else None.

    A mail whose subject carries a code but whose answer does not start with
    APPROVE or REJECT raises ``UnparsedMessage``: a person has to read it.
    """
    match = CODE_PATTERN.search(mail.subject or "")
    if match is None:
        return None
    code = match.group(1).upper()
    lines = own_lines(mail.text or mail.html_text)
    first = lines[0].split(None, 1) if lines else []
    word = re.sub(r"[^A-Za-z]", "", first[0]).upper() if first else ""
    decision = DECISION_WORDS.get(word)
    if decision is None:
        raise UnparsedMessage(
            f"approval reply for code {code} from {mail.sender or '(no sender)'} does not start with APPROVE or "
            f"REJECT: decide with: opdesk approval decide {code} approve|reject",
            text=mail.readable(),
        )
    rest = [first[1]] if len(first) > 1 else []
    comment = " ".join(part.strip() for part in rest + lines[1:] if part.strip())
    return ApprovalReply(code, decision, sender=mail.sender, comment=comment[:500])


def own_lines(text: str) -> list[str]:
    """The writer's own non-empty lines: no quoted lines, no attribution lines, no signature."""
    raw = (text or "").replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(raw):
        if line.rstrip() == SIGNATURE_MARK.rstrip() or ORIGINAL_MARK.match(line):
            break
        stripped = line.strip()
        if not stripped or stripped.startswith(">"):
            continue
        if stripped.endswith(":") and _introduces_quote(raw, i):
            continue
        kept.append(stripped)
    return kept


def _introduces_quote(lines: list[str], index: int) -> bool:
    """Is this line followed (after blank lines) by a quoted line? Then it says who wrote what follows."""
    for line in lines[index + 1 :]:
        if line.strip():
            return line.lstrip().startswith(">")
    return False
