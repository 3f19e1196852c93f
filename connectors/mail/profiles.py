"""Parsing profiles: one per sender, written in TOML, that turn a mail into bookings.

A profile says which mails it reads (From and Subject patterns), where the
booking is (the text, the HTML or the PDF attachment), how to find each
field (by its label, or by a regular expression), how dates and numbers are
written, how several rooms and guests are laid out, and how new, change and
cancel mails differ. The built-in profiles live in ``profiles/*.toml`` next to
this module; users add their own in the folders named by the ``profiles_dir``
setting, and a user profile with a built-in one's name replaces it.
See ``docs/mail.md`` for the format.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

from babel import Locale, UnknownLocaleError
from babel.numbers import NumberFormatError, parse_decimal

from connectors.mail.extract import MailText, Table
from core.errors import ConfigError
from core.models import Content, Guest, OperatorBooking, ParseError

BUILTIN_DIR = Path(__file__).with_name("profiles")

DEFAULT_DATE_FORMATS = ["%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d", "%d-%m-%Y", "%d %b %Y", "%d %B %Y", "%d/%m/%y"]
ADULT_AGE = 18
CURRENCY_SIGNS = {"€": "EUR", "£": "GBP", "$": "USD", "₺": "TRY", "TL": "TRY", "zł": "PLN", "₽": "RUB", "руб": "RUB"}

DEFAULT_REPLY = {
    "subject": "Re: {subject}",
    "confirm": (
        "Dear {operator_title} team,\n\nWe confirm your booking {voucher} for {guest}, "
        "{check_in} to {check_out}.\nHotel confirmation number: {hotel_number}\n\n"
        "Kind regards,\n{hotel_name}\n"
    ),
    "reject": (
        "Dear {operator_title} team,\n\nWe cannot accept your booking {voucher} for {guest}, "
        "{check_in} to {check_out}.\nReason: {reason}\n\nKind regards,\n{hotel_name}\n"
    ),
}


class ProfileError(ConfigError):
    """A profile file that cannot be used; the message names the file and the key."""


@dataclass
class FieldRule:
    """Where one field is: after one of ``labels``, or where ``pattern`` matches (or both)."""

    name: str
    labels: list[str] = field(default_factory=list)
    pattern: re.Pattern | None = None
    default: str = ""

    def find(self, text: str) -> str:
        value = ""
        if self.labels:
            value = find_label(text, self.labels)
            if value and self.pattern is not None:
                value = _pattern_value(self.pattern, value)
        elif self.pattern is not None:
            value = _pattern_value(self.pattern, text)
        return value.strip() or self.default


@dataclass
class Profile:
    name: str
    operator: str
    title: str = ""
    path: Path | None = None
    source: str = "text"  # text | html | pdf
    senders: list[re.Pattern] = field(default_factory=list)
    subjects: list[re.Pattern] = field(default_factory=list)
    content_rules: dict[Content, list[re.Pattern]] = field(default_factory=dict)
    date_formats: list[str] = field(default_factory=lambda: list(DEFAULT_DATE_FORMATS))
    decimal: str = "."  # the decimal mark, when no locale is named
    locale: str = ""  # how its amounts are written: "de_DE", "tr_TR" ...
    fields: dict[str, FieldRule] = field(default_factory=dict)
    required: list[str] = field(default_factory=lambda: ["voucher", "check_in", "check_out", "room"])
    required_cancel: list[str] = field(default_factory=lambda: ["voucher"])
    rooms: dict[str, Any] = field(default_factory=dict)
    room_fields: dict[str, FieldRule] = field(default_factory=dict)
    guests: dict[str, Any] = field(default_factory=dict)
    room_voucher: str = "{voucher}-{n}"
    reply: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_REPLY))
    reply_to: str = ""

    # -- matching --------------------------------------------------------
    def matches(self, sender: str, subject: str) -> bool:
        if not any(p.search(sender) for p in self.senders):
            return False
        return not self.subjects or any(p.search(subject) for p in self.subjects)

    def content_of(self, subject: str, status: str = "") -> Content:
        said = f"{subject}\n{status}"
        for content in (Content.CANCEL, Content.CHANGE, Content.NEW):
            if any(p.search(said) for p in self.content_rules.get(content, [])):
                return content
        return Content.NEW

    # -- reading ---------------------------------------------------------
    def read(self, mail: MailText) -> list[OperatorBooking]:
        """The bookings in ``mail``: one per room. Raises ``ParseError`` naming a missing field."""
        text = mail.body(self.source)
        common = {name: rule.find(text) for name, rule in self.fields.items()}
        content = self.content_of(mail.subject, common.get("status", ""))
        rooms = self._room_values(mail, text)
        guests = self._guests(mail, text, len(rooms))
        bookings = []
        for n, room in enumerate(rooms, start=1):
            values = {**common, **{k: v for k, v in room.items() if v}}
            record = f"room {n}" if len(rooms) > 1 else (values.get("voucher") or mail.subject)
            booking = self._booking(values, guests.get(n, []), content, record)
            if len(rooms) > 1:
                booking.extra["booking_voucher"] = booking.voucher
                booking.voucher = self.room_voucher.format(voucher=booking.voucher, n=n)
            bookings.append(booking)
        if len(bookings) > 1 and common.get("total"):
            for booking in bookings:  # a booking total is not a room's price: keep it aside
                booking.extra["booking_total"] = str(booking.total)
                booking.total = None
        for booking in bookings:
            booking.documents = list(mail.documents)
        return bookings

    def _room_values(self, mail: MailText, text: str) -> list[dict[str, str]]:
        if "table" in self.rooms:
            rows = table_rows(mail.tables, self.rooms["table"])
            columns = self.rooms.get("columns", {})
            return [{name: _column(row, spec) for name, spec in columns.items()} for row in rows] or [{}]
        if "split" in self.rooms:
            blocks = split_blocks(text, self.rooms["split"])
            return [{name: rule.find(block) for name, rule in self.room_fields.items()} for block in blocks] or [{}]
        return [{}]

    def _guests(self, mail: MailText, text: str, room_count: int) -> dict[int, list[Guest]]:
        """Guests by room number (1-based). Unassigned guests go to room 1."""
        if not self.guests:
            return {}
        by_room: dict[int, list[Guest]] = {}
        if "table" in self.guests:
            columns = self.guests.get("columns", {})
            rows = [
                {name: _column(row, spec) for name, spec in columns.items()}
                for row in table_rows(mail.tables, self.guests["table"])
            ]
            for values in rows:
                by_room.setdefault(_room_number(values.get("room", ""), room_count), []).append(self._guest(values))
            return by_room
        pattern = self.guests["pattern"]
        blocks = split_blocks(text, self.rooms["split"]) if "split" in self.rooms else [text]
        for n, block in enumerate(blocks, start=1):
            for m in pattern.finditer(block):
                values = {k: v or "" for k, v in m.groupdict().items()}
                room = _room_number(values.get("room", ""), room_count) if values.get("room") else n
                by_room.setdefault(room, []).append(self._guest(values))
        return by_room

    def _guest(self, values: dict[str, str]) -> Guest:
        first, last = values.get("first_name", "").strip(), values.get("last_name", "").strip()
        title, name = values.get("title", "").strip(), values.get("name", "").strip()
        if name and not (first or last):
            title, first, last = split_name(name, self.guests.get("name_order", "first last"), title)
        guest = Guest(
            first_name=first,
            last_name=last,
            gender=_gender(title),
            nationality=values.get("nationality", "").strip(),
            email=values.get("email", "").strip(),
        )
        if values.get("age", "").strip():
            guest.age = _first_int(values["age"])
        if values.get("birth_date", "").strip():
            guest.birth_date = self.to_date(values["birth_date"], "birth_date", f"guest {last}")
        return guest

    def _booking(self, values: dict[str, str], guests: list[Guest], content: Content, record: str) -> OperatorBooking:
        required = self.required_cancel if content == Content.CANCEL else self.required
        for name in required:
            if name == "check_out" and values.get("nights"):
                continue
            if not values.get(name):
                raise ParseError(
                    f"{self.name}: no value found for {name} ({self._where(name)})", field=name, record=record
                )
        b = OperatorBooking(voucher=values.get("voucher", ""), content=content)
        for name in _TEXT_FIELDS:
            setattr(b, name, values.get(name, ""))
        for name in ("check_in", "check_out", "sale_date", "cancel_date"):
            if values.get(name):
                setattr(b, name, self.to_date(values[name], name, record))
        if values.get("nights") and b.check_in and not b.check_out:
            b.check_out = b.check_in + timedelta(days=self.to_int(values["nights"], "nights", record))
        if values.get("rooms"):
            b.rooms = self.to_int(values["rooms"], "rooms", record)
        if values.get("total"):
            b.total, b.currency = self.to_money(values["total"], "total", record)
        if values.get("currency"):
            b.currency = values["currency"].strip().upper()
        b.flights = [
            {
                "direction": d,
                "number": values[f"{d}_flight"],
                **{k: values[f"{d}_{k}"] for k in ("route", "time") if values.get(f"{d}_{k}")},
            }
            for d in ("arrival", "departure")
            if values.get(f"{d}_flight")
        ]
        b.guests = guests
        if values.get("email", "").strip() and guests and not guests[0].email:
            guests[0].email = values["email"].strip()  # the booking's contact e-mail is the lead guest's
        self._pax(b, values, record)
        b.extra.update({k: v for k, v in values.items() if k not in _KNOWN and v})
        return b

    def _pax(self, b: OperatorBooking, values: dict[str, str], record: str) -> None:
        """Adults and child ages as written; counted from the guests where the mail does not say."""
        if values.get("adults"):
            b.adults = self.to_int(values["adults"], "adults", record)
        else:
            b.adults = sum(1 for g in b.guests if g.age is None or g.age >= ADULT_AGE)
        if values.get("child_ages"):
            b.child_ages = [int(a) for a in re.findall(r"\d+", values["child_ages"])]
        else:
            b.child_ages = [g.age for g in b.guests if g.age is not None and g.age < ADULT_AGE]
        for g in b.guests:
            if g.age is None and g.birth_date and b.check_in:
                g.age = _age_on(g.birth_date, b.check_in)

    def _where(self, name: str) -> str:
        rule = self.fields.get(name) or self.room_fields.get(name)
        if rule is None:
            columns = self.rooms.get("columns", {})
            if name in columns:
                spec = columns[name]
                return f"column {spec if isinstance(spec, str) else spec['header']!r}"
            return "the profile has no rule for it"
        if rule.labels:
            return "label " + " / ".join(repr(label) for label in rule.labels)
        return f"pattern {rule.pattern.pattern!r}" if rule.pattern else "no rule"

    # -- values ----------------------------------------------------------
    def to_date(self, value: str, name: str, record: str) -> date:
        value = value.strip()
        candidates = [value, *re.findall(r"\d{1,4}[./-]\d{1,2}[./-]\d{2,4}|\d{1,2}\s+\w+\.?\s+\d{4}", value)]
        for candidate in candidates:
            for fmt in self.date_formats:
                try:
                    return datetime.strptime(candidate.strip(), fmt).date()
                except ValueError:
                    continue
        formats = ", ".join(self.date_formats)
        raise ParseError(
            f"{self.name}: {value!r} is not a date in the profile's formats ({formats})", field=name, record=record
        )

    def to_int(self, value: str, name: str, record: str) -> int:
        number = _first_int(value)
        if number is None:
            raise ParseError(f"{self.name}: {value!r} is not a number", field=name, record=record)
        return number

    def to_money(self, value: str, name: str, record: str) -> tuple[Decimal, str]:
        """``EUR 1.234,50``, ``1,234.50 EUR``, ``€812`` -> (amount, currency) by the profile's decimal mark."""
        currency = ""
        if m := re.search(r"\b([A-Z]{3})\b", value):
            currency = m.group(1)
        else:
            for sign, code in CURRENCY_SIGNS.items():
                if sign in value:
                    currency = code
                    break
        m = re.search(r"-?\d[\d.,' ]*", value)
        if m is None:
            raise ParseError(f"{self.name}: {value!r} is not an amount", field=name, record=record)
        digits = m.group(0).strip().replace(" ", "").replace("'", "")  # spaces and ' group thousands anywhere
        try:
            return parse_decimal(digits, locale=self.number_locale), currency
        except NumberFormatError as exc:
            raise ParseError(f"{self.name}: {value!r} is not an amount", field=name, record=record) from exc

    @property
    def number_locale(self) -> str:
        """The locale babel reads amounts by: the profile's own, else one with its decimal mark."""
        return self.locale or ("de_DE" if self.decimal == "," else "en_US")


#: The booking's text fields a mail profile fills (currency comes from the money reader; a mail has no rate type).
_TEXT_FIELDS = (
    "agency",
    "room",
    "board",
    "rate",
    "market",
    "nationality",
    "notes",
    "source",
    "segment",
    "promo_code",
)
#: Every value a profile reads into the booking itself; any other goes to its ``extra``.
_KNOWN = {
    "voucher",
    *_TEXT_FIELDS,
    "check_in",
    "check_out",
    "sale_date",
    "cancel_date",
    "nights",
    "rooms",
    "total",
    "currency",
    "adults",
    "child_ages",
    "arrival_flight",
    "departure_flight",
    "arrival_route",
    "arrival_time",
    "departure_route",
    "departure_time",
    "email",
}


# -- finding things in text ------------------------------------------------------------
def find_label(text: str, labels: Iterable[str]) -> str:
    """The value written after a label: ``Arrival: 12/06/2026``, ``Arrival<TAB>12/06/2026``.

    The label may stand anywhere on a line after a space; a colon, a tab, two
    spaces or the end of the line must follow it (so ``Room`` does not read
    ``Room type: ...``). The value runs to a tab, two spaces or the end of the
    line; when the line ends at the label, the value is the next non-empty line.
    """
    alternatives = "|".join(re.escape(label.strip().rstrip(":")) for label in labels)
    pattern = re.compile(
        rf"(?:^|(?<=[\s|]))(?:{alternatives})[ ]*(?::|\t|[ ]{{2,}}|$)[ \t]*([^\t\n]*?)(?=\t|[ ]{{2,}}|$)",
        re.IGNORECASE | re.MULTILINE,
    )
    m = pattern.search(text)
    if m is None:
        return ""
    value = m.group(1).strip()
    if value:
        return value
    for line in text[m.end() :].split("\n")[1:]:
        if line.strip():
            return line.strip().split("\t")[0]
    return ""


def _pattern_value(pattern: re.Pattern, text: str) -> str:
    m = pattern.search(text)
    if m is None:
        return ""
    if "value" in m.groupdict():
        return m.group("value") or ""
    return m.group(1) if m.groups() else m.group(0)


def split_blocks(text: str, start: re.Pattern) -> list[str]:
    """The text cut at every line where ``start`` matches: one block per room."""
    starts = [m.start() for m in start.finditer(text)]
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)])]


def _column(row: dict[str, str], spec: str | dict[str, str]) -> str:
    """A table cell by its column header; ``{header=..., pattern=...}`` keeps part of it."""
    if isinstance(spec, str):
        return row.get(_norm(spec), "")
    value = row.get(_norm(spec["header"]), "")
    if value and spec.get("pattern"):
        value = _pattern_value(re.compile(spec["pattern"], re.IGNORECASE), value)
    return value.strip()


def _norm(header: str) -> str:
    return re.sub(r"\s+", " ", header).strip().rstrip(":").casefold()


def table_rows(tables: list[Table], header: str) -> list[dict[str, str]]:
    """The data rows of the first table with a header cell ``header``, keyed by header text."""
    wanted = _norm(header)
    for table in tables:
        for i, row in enumerate(table):
            keys = [_norm(cell) for cell in row]
            if wanted in keys:
                return [dict(zip(keys, data)) for data in table[i + 1 :] if len(data) >= len(keys) and any(data)]
    return []


def split_name(name: str, order: str, title: str = "") -> tuple[str, str, str]:
    """(title, first, last) from ``SMITH/JOHN MR``, ``Smith, John``, ``Mr John Smith``..."""
    name = re.sub(r"\s+", " ", name).strip()
    words = name.replace("/", " / ").replace(",", " , ").split()
    titles = [w for w in words if w.lower().strip(".") in _TITLES]
    if titles and not title:
        title = titles[0]
    words = [w for w in words if w.lower().strip(".") not in _TITLES]
    name = " ".join(words).replace(" / ", "/").replace(" , ", ",")
    if "/" in name or "," in name:
        last, _, first = re.split(r"([/,])", name, maxsplit=1)
        return title, first.strip(), last.strip()
    parts = name.split(" ")
    if len(parts) == 1:
        return title, "", parts[0]
    if order == "last first":
        return title, " ".join(parts[1:]), parts[0]
    return title, " ".join(parts[:-1]), parts[-1]


_TITLES = {
    "mr",
    "mrs",
    "ms",
    "miss",
    "mstr",
    "chd",
    "child",
    "inf",
    "infant",
    "dr",
    "herr",
    "frau",
    "bay",
    "bayan",
    "pan",
    "pani",
    "г-н",
    "г-жа",
    "mme",
    "m",
    "sig",
    "sra",
    "sr",
}


def _gender(title: str) -> str:
    t = title.lower().strip(".")
    if t in {"mr", "herr", "bay", "pan", "г-н", "m", "sr", "sig", "mstr"}:
        return "M"
    if t in {"mrs", "ms", "miss", "frau", "bayan", "pani", "г-жа", "mme", "sra"}:
        return "F"
    return ""


def _first_int(value: str) -> int | None:
    """The first whole number in ``value``; None when there is none, or it is too long to be a count or an age."""
    m = re.search(r"\d+", value)
    return int(m.group(0)) if m and len(m.group(0)) <= 18 else None


def _room_number(value: str, room_count: int) -> int:
    n = _first_int(value) if value else None
    return n if n is not None and 1 <= n <= max(room_count, 1) else 1


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


# -- loading ---------------------------------------------------------------------------
def load_profile(path: Path) -> Profile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read the profile: {exc}") from exc
    try:
        return profile_from_dict(path.stem, data, path)
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise ProfileError(f"{path}: {exc}") from exc


def profile_from_dict(name: str, data: dict[str, Any], path: Path | None = None) -> Profile:
    if "operator" not in data:
        raise ValueError("needs 'operator' (the operator name its bookings belong to)")
    match = data.get("match", {})
    senders = _patterns(match.get("from", []))
    if not senders:
        raise ValueError("[match] needs 'from': patterns for the sender's address")
    source = data.get("source", "text")
    if source not in ("text", "html", "pdf"):
        raise ValueError(f"source must be text, html or pdf, not {source!r}")
    rooms = dict(data.get("rooms", {}))
    if "split" in rooms:
        rooms["split"] = re.compile(rooms["split"], re.MULTILINE | re.IGNORECASE)
    guests = dict(data.get("guests", {}))
    if "pattern" in guests:
        guests["pattern"] = re.compile(guests["pattern"], re.MULTILINE | re.IGNORECASE)
    elif guests and "table" not in guests:
        raise ValueError("[guests] needs 'pattern' (text) or 'table' (HTML)")
    reply = {**DEFAULT_REPLY, **data.get("reply", {})}
    content = data.get("content", {})
    profile = Profile(
        name=name,
        operator=str(data["operator"]),
        title=str(data.get("title", name)),
        path=path,
        source=source,
        senders=senders,
        subjects=_patterns(match.get("subject", [])),
        content_rules={Content(k): _patterns(v) for k, v in content.items()},
        date_formats=list(data.get("date_formats", DEFAULT_DATE_FORMATS)),
        decimal=str(data.get("decimal", ".")),
        locale=_locale(data.get("locale", "")),
        fields={k: _rule(k, v) for k, v in data.get("fields", {}).items()},
        rooms=rooms,
        room_fields={k: _rule(k, v) for k, v in rooms.get("fields", {}).items()},
        guests=guests,
        reply=reply,
        reply_to=str(data.get("reply_to", "")),
        room_voucher=str(data.get("room_voucher", "{voucher}-{n}")),
    )
    if "required" in data:
        profile.required = list(data["required"])
    if "required_cancel" in data:
        profile.required_cancel = list(data["required_cancel"])
    return profile


def _locale(name: Any) -> str:
    if not name:
        return ""
    try:
        Locale.parse(str(name))
    except (ValueError, UnknownLocaleError):
        raise ValueError(f"locale {name!r} is not a locale (e.g. de_DE, tr_TR, en_GB)") from None
    return str(name)


def _patterns(values: str | list[str]) -> list[re.Pattern]:
    if isinstance(values, str):
        values = [values]
    return [re.compile(v, re.IGNORECASE) for v in values]


def _rule(name: str, spec: Any) -> FieldRule:
    if isinstance(spec, str):
        return FieldRule(name, labels=[spec])
    if isinstance(spec, list):
        return FieldRule(name, labels=[str(s) for s in spec])
    if isinstance(spec, dict):
        labels = spec.get("label", [])
        pattern = spec.get("pattern")
        return FieldRule(
            name,
            labels=[labels] if isinstance(labels, str) else list(labels),
            pattern=re.compile(pattern, re.MULTILINE | re.IGNORECASE) if pattern else None,
            default=str(spec.get("default", "")),
        )
    raise TypeError(f"field {name}: give a label, a list of labels, or a table with label/pattern")


def load_profiles(extra_dirs: Iterable[Path | str] = ()) -> dict[str, Profile]:
    """Built-in profiles, then each user folder's; a later profile replaces one of the same name."""
    profiles: dict[str, Profile] = {}
    for folder in [BUILTIN_DIR, *map(Path, extra_dirs)]:
        if not folder.is_dir():
            if folder != BUILTIN_DIR:
                raise ProfileError(f"{folder}: profile folder not found (check profiles_dir in the config)")
            continue
        for path in sorted(folder.glob("*.toml")):
            profiles[path.stem] = load_profile(path)
    return profiles


def match_profile(profiles: Iterable[Profile], sender: str, subject: str, prefer: str = "") -> Profile | None:
    """The profile for a mail: the first whose From and Subject patterns match (``prefer``'s operator first)."""
    found = [p for p in profiles if p.matches(sender, subject)]
    found.sort(key=lambda p: p.operator != prefer)
    return found[0] if found else None
