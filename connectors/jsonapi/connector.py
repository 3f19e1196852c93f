"""Operators with a JSON API: fetch bookings page by page, map their fields, answer back.

Everything operator-specific is config (``[[operators]]``, kind ``jsonapi``):

- ``base_url``, ``bookings_path`` (default ``/bookings``), ``items`` (dotted path
  to the list in a page, default: the page itself is the list);
- ``auth``: ``none``, ``basic`` (``username`` + ``password``), ``bearer``
  (``token``) or ``api_key`` (``api_key``, header ``api_key_header``, default
  ``X-API-Key``); secrets may be given as ``<key>_env`` or ``<key>_file``;
- ``pagination``: ``none``, ``page`` (``page_param``, ``size_param``,
  ``first_page``), ``offset`` (``offset_param``, ``limit_param``) or ``cursor``
  (``cursor_param``, ``next_cursor`` dotted path in the page); ``page_size``;
- ``fields``: OperatorBooking field -> dotted path in one item, e.g.
  ``check_in = "stay.arrival"``; ``content_values``: the operator's status word ->
  ``new``/``change``/``cancel``; ``guest_fields`` and ``night_fields`` map the
  items of ``fields.guests`` and ``fields.night_prices``;
- ``confirm_path`` / ``reject_path``: ``{voucher}`` is replaced; the body is
  ``{"voucher", "hotel_number"}`` or ``{"voucher", "reason"}``;
- ``since_param`` and ``modified_field`` (optional, together): the query
  parameter that asks for bookings changed at or after a time, and the dotted
  path of an item's last-change time. The next scan asks from the newest time
  seen, but never from later than our own clock when that read began (an
  operator's clock may run ahead), and ``since_overlap_seconds`` (default
  300) earlier, so a late booking stamped a little before the last one seen
  is not skipped; what comes again is the same bytes and is stored once.
  ``opdesk scan --since`` asks from a time given by hand. Without them every
  scan pages through all bookings (repeats are stored once).

Each booking item is stored as its own raw message (canonical JSON), so an
unchanged booking fetched again is the same bytes and is stored once.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, AsyncIterator

import httpx

from connectors.base import OLDEST, Connector, FetchContext, Reply, timestamp_key
from connectors.httperrors import unreachable
from core import values
from core.flights import FlightError, normalise_flights
from core.models import (
    BOOKING_TEXT_FIELDS,
    Content,
    Guest,
    NightPrice,
    OperatorBooking,
    OperatorError,
    ParseError,
    RawMessage,
)

DEFAULT_CONTENT = {"new": "new", "change": "change", "cancel": "cancel"}
MAX_PAGES = 10_000
MAX_BODY_BYTES = 20 * 1024 * 1024


class JsonApiConnector(Connector):
    kind = "jsonapi"

    # -- settings ------------------------------------------------------------------------
    def setting(self, key: str, default: Any = "") -> Any:
        return self.operator.settings.get(key, default)

    def url(self, path: str) -> str:
        base = str(self.setting("base_url", "")).rstrip("/")
        if not base:
            raise OperatorError(f"operator {self.operator.name}: set base_url in its [[operators]] entry")
        return f"{base}/{path.lstrip('/')}"

    def auth_parts(self) -> tuple[httpx.Auth | None, dict[str, str]]:
        mode = str(self.setting("auth", "none"))
        secret = lambda key: self.config.secret(self.operator.settings, key)  # noqa: E731
        if mode == "basic":
            return httpx.BasicAuth(str(self.setting("username")), secret("password")), {}
        if mode == "bearer":
            return None, {"Authorization": f"Bearer {secret('token')}"}
        if mode == "api_key":
            return None, {str(self.setting("api_key_header", "X-API-Key")): secret("api_key")}
        if mode == "none":
            return None, {}
        raise OperatorError(f"operator {self.operator.name}: auth must be none, basic, bearer or api_key, not {mode!r}")

    # -- fetching --------------------------------------------------------------------------
    async def fetch(self, ctx: FetchContext) -> AsyncIterator[RawMessage]:
        """Every page of bookings; with ``since_param``, only those changed since the last run."""
        if ctx.http is None:
            raise OperatorError("no HTTP client")
        url = self.url(str(self.setting("bookings_path", "/bookings")))
        auth, headers = self.auth_parts()
        since_param, modified = self.incremental()
        since = (ctx.since or str(ctx.state.get("last_seen") or "")) if since_param else ""
        began = datetime.now(timezone.utc)
        newest, newest_key = since, timestamp_key(since) if since else OLDEST
        stamped = fetched = 0
        unreadable = ""
        async for item in self.items(ctx, url, auth, headers, {since_param: since} if since else {}):
            raw = self.raw_item(item, url)
            fetched += 1
            stamp = dig(item, modified) if modified else None
            if stamp is not None and stamp != "":
                key = timestamp_key(str(stamp))
                if key == OLDEST:
                    unreadable = unreadable or f"booking {raw.filename}: {modified} is {stamp!r}, not an ISO 8601 time"
                else:
                    stamped += 1
                    if key > newest_key:
                        newest, newest_key = str(stamp), key
            yield raw
        # Every booking fetched is stored (and acknowledged) first; the run then ends in this error.
        fix = f"fix modified_field of {self.operator.name} (a dotted path in one booking), or unset it and since_param"
        if unreadable:
            raise OperatorError(f"{url}: {unreadable}; {fix}")
        if modified and fetched and not stamped:
            raise OperatorError(f"{url}: none of {fetched} booking(s) has {modified}; {fix}")
        if since_param and newest:
            # Saved by the scanner only once the whole run is stored: a run that dies asks again.
            ctx.state["last_seen"] = self.next_cursor(newest, newest_key, began)

    def next_cursor(self, newest: str, newest_key: datetime, began: datetime) -> str:
        """Where the next scan asks from: the newest stamp seen, as written when nothing moves it,
        else no later than ``began`` and ``since_overlap_seconds`` before it."""
        overlap = timedelta(seconds=float(self.setting("since_overlap_seconds", 300)))
        cursor = min(newest_key, began) - overlap
        if cursor == newest_key:
            return newest
        zone = timestamp_key(newest).tzinfo or timezone.utc
        return cursor.astimezone(zone).isoformat()

    def incremental(self) -> tuple[str, str]:
        """``since_param`` and ``modified_field``: both set, or neither."""
        since_param, modified = str(self.setting("since_param", "")), str(self.setting("modified_field", ""))
        if bool(since_param) != bool(modified):
            raise OperatorError(
                f"operator {self.operator.name}: set since_param and modified_field together "
                "(the query parameter that asks for changes since a time, and where an item "
                "says when it last changed), or neither"
            )
        return since_param, modified

    async def items(
        self, ctx: FetchContext, url: str, auth: httpx.Auth | None, headers: dict[str, str], extra: dict[str, str]
    ) -> AsyncIterator[Any]:
        mode = str(self.setting("pagination", "page"))
        size = int(self.setting("page_size", 100))
        cursor: str | None = None
        for number in range(MAX_PAGES):
            params = {**extra, **self.page_params(mode, number, size, cursor)}
            page = await self.get_json(ctx, url, params, auth, headers)
            items = dig(page, str(self.setting("items", "")))
            if not isinstance(items, list):
                raise OperatorError(f"{url}: expected a list at {self.setting('items', '') or 'the top'} of the answer")
            for item in items:
                yield item
            if mode == "none" or not items:
                return
            if mode == "cursor":
                cursor = dig(page, str(self.setting("next_cursor", "next_cursor")))
                if not cursor:
                    return
            elif len(items) < size:
                return
        raise OperatorError(f"{url}: more than {MAX_PAGES} pages; is the pagination setting right?")

    def page_params(self, mode: str, number: int, size: int, cursor: str | None) -> dict[str, Any]:
        s = self.setting
        if mode == "page":
            return {s("page_param", "page"): int(s("first_page", 1)) + number, s("size_param", "size"): size}
        if mode == "offset":
            return {s("offset_param", "offset"): number * size, s("limit_param", "limit"): size}
        if mode == "cursor":
            params: dict[str, Any] = {s("limit_param", "limit"): size}
            if cursor:
                params[s("cursor_param", "cursor")] = cursor
            return params
        return {}

    async def get_json(
        self, ctx: FetchContext, url: str, params: dict[str, Any], auth: httpx.Auth | None, headers: dict[str, str]
    ) -> Any:
        assert ctx.http is not None
        try:
            response = await ctx.http.get(
                url, params=params, headers=headers, auth=auth or httpx.USE_CLIENT_DEFAULT, timeout=ctx.timeout
            )
        except httpx.HTTPError as exc:
            raise unreachable(url, exc) from exc
        check_status(response, url)
        if len(response.content) > MAX_BODY_BYTES:
            raise OperatorError(f"{url}: answer of {len(response.content)} bytes is over the limit")
        try:
            return json.loads(response.content)
        except ValueError as exc:
            raise OperatorError(f"{url}: the answer is not valid JSON ({exc})") from exc

    def raw_item(self, item: Any, url: str) -> RawMessage:
        body = json.dumps(item, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
        voucher = dig(item, self.fields().get("voucher", "voucher")) if isinstance(item, dict) else None
        return RawMessage(
            body=body,
            operator=self.operator.name,
            channel=self.kind,
            source_ref=f"{url}#{voucher or ''}",
            filename=str(voucher or "booking"),
        )

    # -- parsing -----------------------------------------------------------------------------
    def fields(self) -> dict[str, str]:
        return {**{k: k for k in ("voucher", "content")}, **dict(self.setting("fields", {}))}

    def parse(self, raw: RawMessage) -> list[OperatorBooking]:
        try:
            item = json.loads(raw.body)
        except ValueError as exc:
            raise ParseError(f"not valid JSON: {exc}") from exc
        if not isinstance(item, dict):
            raise ParseError("a booking must be a JSON object")
        return [
            booking_from_item(
                item,
                self.fields(),
                dict(self.setting("content_values", DEFAULT_CONTENT)),
                dict(self.setting("guest_fields", {})),
                dict(self.setting("night_fields", {})),
            )
        ]

    # -- answering -----------------------------------------------------------------------------
    def confirm(self, reply: Reply) -> None:
        self.send(
            str(self.setting("confirm_path", "")), reply, {"voucher": reply.voucher, "hotel_number": reply.hotel_number}
        )

    def reject(self, reply: Reply) -> None:
        self.send(str(self.setting("reject_path", "")), reply, {"voucher": reply.voucher, "reason": reply.reason})

    def send(self, path: str, reply: Reply, body: dict[str, Any]) -> None:
        if not path:
            raise OperatorError(f"operator {self.operator.name}: set confirm_path and reject_path to answer it")
        url = self.url(path.replace("{voucher}", reply.voucher))
        auth, headers = self.auth_parts()
        try:
            with httpx.Client(timeout=float(self.setting("timeout", 30))) as client:
                response = client.post(url, json=body, headers=headers, auth=auth or httpx.USE_CLIENT_DEFAULT)
        except httpx.HTTPError as exc:
            raise unreachable(url, exc) from exc
        check_status(response, url)


def check_status(response: httpx.Response, url: str) -> None:
    if response.status_code in (401, 403):
        raise OperatorError(
            f"{url}: authentication failed (HTTP {response.status_code}): check this operator's "
            "auth settings and secret"
        )
    if response.status_code >= 400:
        raise OperatorError(
            f"{url}: HTTP {response.status_code} {response.text[:200].strip()}".strip(),
            retryable=response.status_code >= 500 or response.status_code == 429,
        )


# -- mapping one item --------------------------------------------------------------------
def dig(value: Any, path: str) -> Any:
    """``a.b.0.c`` into nested dicts and lists; None when any step is missing. Empty path: the value."""
    for step in [p for p in path.split(".") if p]:
        if isinstance(value, dict):
            value = value.get(step)
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    return value


DATE_FIELDS = ("check_in", "check_out", "sale_date", "cancel_date", "option_date")


def booking_from_item(
    item: dict[str, Any],
    fields: dict[str, str],
    content_values: dict[str, str],
    guest_fields: dict[str, str],
    night_fields: dict[str, str],
) -> OperatorBooking:
    voucher = read_text(dig(item, fields["voucher"]), fields["voucher"], "").strip()
    if not voucher:
        raise ParseError("no voucher", field=fields["voucher"])
    status = str(dig(item, fields["content"]) or "")
    if status not in content_values:
        raise ParseError(
            f"unknown status {status!r}; add it to content_values (known: {', '.join(content_values)})",
            field=fields["content"],
            record=voucher,
        )
    booking = OperatorBooking(voucher=voucher, content=Content(content_values[status]))
    for name in BOOKING_TEXT_FIELDS:
        if name in fields and dig(item, fields[name]) is not None:
            setattr(booking, name, read_text(dig(item, fields[name]), fields[name], voucher))
    for name in DATE_FIELDS:
        if name in fields:
            setattr(booking, name, read_date(dig(item, fields[name]), fields[name], voucher))
    if "rooms" in fields:
        booking.rooms = read_int(dig(item, fields["rooms"]), fields["rooms"], voucher, default=1)
    if "adults" in fields:
        booking.adults = read_int(dig(item, fields["adults"]), fields["adults"], voucher)
    if "child_ages" in fields:
        booking.child_ages = [
            read_int(a, fields["child_ages"], voucher)
            for a in read_list(dig(item, fields["child_ages"]), fields["child_ages"], voucher)
        ]
    if "total" in fields:
        booking.total = read_money(dig(item, fields["total"]), fields["total"], voucher)
    if "guests" in fields:
        booking.guests = [
            read_guest(g, guest_fields, fields["guests"], voucher)
            for g in read_list(dig(item, fields["guests"]), fields["guests"], voucher)
        ]
    if "night_prices" in fields:
        nf = {"date": "date", "amount": "amount", **night_fields}
        booking.night_prices = [
            read_night(n, nf, fields["night_prices"], voucher)
            for n in read_list(dig(item, fields["night_prices"]), fields["night_prices"], voucher)
        ]
    if "flights" in fields:
        try:
            booking.flights = normalise_flights(dig(item, fields["flights"]))
        except FlightError as exc:
            raise ParseError(
                str(exc), field=fields["flights"] + exc.field.removeprefix("flights"), record=voucher
            ) from None
    if booking.check_in and booking.check_out and booking.check_out <= booking.check_in:
        raise ParseError(
            f"stay ends {booking.check_out} on or before it starts {booking.check_in}",
            field=fields.get("check_out", "check_out"),
            record=voucher,
        )
    return booking


def read_guest(value: Any, guest_fields: dict[str, str], field: str, voucher: str) -> Guest:
    gf = {
        "first_name": "first_name",
        "last_name": "last_name",
        "age": "age",
        "nationality": "nationality",
        "gender": "gender",
        "birth_date": "birth_date",
        **guest_fields,
    }
    if not isinstance(value, dict):
        raise ParseError("a guest must be an object", field=field, record=voucher)
    age = dig(value, gf["age"])
    text = {
        key: read_text(dig(value, gf[key]), f"{field}.{gf[key]}", voucher)
        for key in ("first_name", "last_name", "nationality", "gender")
    }
    return Guest(
        **text,
        age=read_int(age, f"{field}.{gf['age']}", voucher) if age is not None else None,
        birth_date=read_date(dig(value, gf["birth_date"]), f"{field}.{gf['birth_date']}", voucher),
    )


def read_night(value: Any, nf: dict[str, str], field: str, voucher: str) -> NightPrice:
    day = read_date(dig(value, nf["date"]), f"{field}.{nf['date']}", voucher)
    if day is None:
        raise ParseError("a night without a date", field=f"{field}.{nf['date']}", record=voucher)
    amount = read_money(dig(value, nf["amount"]), f"{field}.{nf['amount']}", voucher)
    if amount is None:
        raise ParseError("a night without an amount", field=f"{field}.{nf['amount']}", record=voucher)
    return NightPrice(day, amount)


def read_list(value: Any, field: str, voucher: str) -> list[Any]:
    try:
        return values.listed(value)
    except ValueError as exc:
        raise ParseError(str(exc), field=field, record=voucher) from None


def read_text(value: Any, field: str, voucher: str) -> str:
    try:
        return values.text(value)
    except ValueError as exc:
        raise ParseError(str(exc), field=field, record=voucher) from None


short = values.quoted


def read_date(value: Any, field: str, voucher: str) -> date | None:
    try:
        return values.iso_date(value, with_time=True)
    except ValueError:
        raise ParseError(f"{short(value)} is not a date (expected YYYY-MM-DD)", field=field, record=voucher) from None


def read_int(value: Any, field: str, voucher: str, default: int = 0) -> int:
    if value in (None, ""):
        return default
    try:
        number = values.whole_number(value)
    except ValueError as exc:
        raise ParseError(str(exc), field=field, record=voucher) from None
    if number < 0:
        raise ParseError(f"{number} is negative", field=field, record=voucher)
    return number


def read_money(value: Any, field: str, voucher: str) -> Decimal | None:
    try:
        amount = values.amount(value)
    except ValueError:
        raise ParseError(f"{short(value)} is not an amount", field=field, record=voucher) from None
    if amount is not None and amount < 0:
        raise ParseError(f"{short(value)} is not a valid amount", field=field, record=voucher)
    return amount
