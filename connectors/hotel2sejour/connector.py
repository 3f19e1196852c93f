"""The ``hotel2sejour`` connector: pull reservations from Hotel2Sejour and confirm or refuse them there.

Hotel2Sejour ("PMS Services") is the hotel-side REST service of Sejour, the
reservation software most Turkish tour operators run. The hotel logs in with
``GET /api/system/login?user=…&pass=…`` and gets a token, which every later
request sends back as its ``cookie`` header. Then:

- ``/api/pax/gethotelagencies`` lists the agencies (operators) connected to the hotel;
- ``/api/pax/getreservationlist`` lists each agency's reservations with a
  check-in in a date range (``days_back`` before today to ``days_ahead`` after),
  in their latest state: new, changed or cancelled;
- ``/api/pax/getnotconfirmmessages`` lists the reasons a hotel may give for
  not confirming; a refusal names the one closest to the hotel's reason;
- ``/api/pax/sendconfirmation`` confirms (with the hotel's number) or refuses.

There is no acknowledgement on receipt: a reservation stays in the list until
the hotel answers it, and reading it again unchanged gives the same bytes,
which are stored once. A change is new bytes, so a new version.

The login puts the password in a URL. It never leaves this module unmasked:
every error and log line goes through ``mask``.

Settings (``[[operators]]``): ``url``, ``username``, ``password`` (or
``password_env`` / ``password_file``), ``hotel_code`` (the hotel's Paximum ID
at Hotel2Sejour), ``agencies`` (names or ids to read; default every connected
one), ``days_back`` (default 2), ``days_ahead`` (default 400), ``language``
(default ``en-US``), ``pms_user`` (default ``opdesk``), ``timeout``.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import logging
import re
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import httpx

from connectors.base import Connector, FetchContext, Reply
from connectors.hotel2sejour import records
from core.models import OperatorBooking, OperatorError, ParseError, RawMessage

ANSWERED = {"Y", "N"}  # ResConf of a reservation the hotel confirmed or refused
MASK = "****"  # fixed width: says nothing about the password's length
_PASS_IN_URL = re.compile(r"(?i)(\bpass=)[^&\s'\"]*")


def mask(text: str, secret: str = "") -> str:
    """``text`` with the password blanked: the ``pass=`` of a URL, and the secret wherever it appears."""
    text = _PASS_IN_URL.sub(rf"\g<1>{MASK}", text)
    return text.replace(secret, MASK) if secret else text


class _MaskPasswords(logging.Filter):
    """A backstop on httpx's own request log: its lines carry the full URL, login included."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = ()
        return True


logging.getLogger("httpx").addFilter(_MaskPasswords())


def check_in_param(day: date) -> str:
    """Hotel2Sejour's date parameters are written month.day.year."""
    return day.strftime("%m.%d.%Y")


class Hotel2SejourConnector(Connector):
    kind = "hotel2sejour"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.token = ""
        self.today = date.today  # a test injects its own day

    # -- settings ------------------------------------------------------------------------
    def setting(self, key: str, default: Any = "") -> Any:
        return self.operator.settings.get(key, default)

    def base(self) -> str:
        url = str(self.setting("url", "")).rstrip("/")
        if not url:
            raise OperatorError(
                f"operator {self.operator.name}: set url (the Hotel2Sejour address, e.g. "
                "https://admin.hotel2sejour.com) in its [[operators]] entry"
            )
        return url

    @property
    def hotel_code(self) -> str:
        return str(self.setting("hotel_code", ""))

    def password(self) -> str:
        return self.config.secret(self.operator.settings, "password")

    def mask(self, text: str) -> str:
        return mask(text, self.password())

    # -- one request -------------------------------------------------------------------------
    async def get(
        self, http: httpx.AsyncClient, method: str, params: dict[str, str], timeout: float, *, login: bool = False
    ) -> httpx.Response:
        url = f"{self.base()}/api/{method}"
        headers = {} if login else {"cookie": self.token}
        try:
            response = await http.get(url, params=params, headers=headers, timeout=timeout)
        except httpx.HTTPError as exc:
            raise self.unreachable(url, exc) from None
        if response.status_code in (401, 403):
            raise OperatorError(
                f"{url}: authentication failed (HTTP {response.status_code}): check username and "
                f"password of operator {self.operator.name}"
            )
        if response.status_code >= 400:
            raise OperatorError(
                self.mask(f"{url}: HTTP {response.status_code} {response.text[:200].strip()}"),
                retryable=response.status_code >= 500 or response.status_code == 429,
            )
        return response

    def unreachable(self, url: str, exc: httpx.HTTPError) -> OperatorError:
        from connectors.httperrors import unreachable

        error = unreachable(url, exc)
        return OperatorError(self.mask(str(error)), retryable=error.retryable)

    async def login(self, http: httpx.AsyncClient, timeout: float) -> None:
        password = self.password()
        if not self.setting("username", "") or not password:
            raise OperatorError(f"operator {self.operator.name}: set username and password_env (or password_file)")
        response = await self.get(
            http, "system/login", {"user": str(self.setting("username")), "pass": password}, timeout, login=True
        )
        token = read_token(response.content)
        if not token:
            raise OperatorError(
                f"{self.base()}/api/system/login: no token in the answer; check username and password "
                f"of operator {self.operator.name}"
            )
        self.token = token

    async def call(
        self, http: httpx.AsyncClient, method: str, params: dict[str, str], timeout: float
    ) -> records.ServiceResult:
        """A token request; logs in first, and once more when the token has run out."""
        if not self.token:
            await self.login(http, timeout)
        params = {"format": "xml", **params}
        try:
            response = await self.get(http, f"pax/{method}", params, timeout)
        except OperatorError as exc:
            if "authentication failed" not in str(exc):
                raise
            await self.login(http, timeout)
            response = await self.get(http, f"pax/{method}", params, timeout)
        name = f"{self.base()}/api/pax/{method}"
        try:
            result = records.read_result(response.content, name=name)
        except ParseError as exc:
            raise OperatorError(self.mask(str(exc))) from None
        if not result.ok:
            raise OperatorError(self.mask(f"{name}: {result.error or 'refused, without a reason'}"))
        return result

    # -- fetching ----------------------------------------------------------------------------
    async def fetch(self, ctx: FetchContext) -> AsyncIterator[RawMessage]:
        if ctx.http is None:
            raise OperatorError("no HTTP client")
        if not self.hotel_code:
            raise OperatorError(
                f"operator {self.operator.name}: set hotel_code (the hotel's Paximum ID at "
                "Hotel2Sejour) in its [[operators]] entry"
            )
        agencies = self.chosen(records.agencies((await self.call(ctx.http, "gethotelagencies", {}, ctx.timeout)).data))
        start = self.today() - timedelta(days=int(self.setting("days_back", 2)))
        end = self.today() + timedelta(days=int(self.setting("days_ahead", 400)))
        for agency in agencies:
            result = await self.call(
                ctx.http,
                "getreservationlist",
                {
                    "paximumId": self.hotel_code,
                    "agencyId": agency.id,
                    "status": "",
                    "isSendRequired": "true",
                    "checkInStart": check_in_param(start),
                    "checkInEnd": check_in_param(end),
                },
                ctx.timeout,
            )
            for element in records.reservations(result.data):
                res_no, res_order, _ = records.identity(element)
                if (element.findtext("ResConf") or "").strip() in ANSWERED and not ctx.since:
                    continue  # answered already; a later change comes back waiting
                if element.find("AgencyId") is None:
                    element.append(_text_element("AgencyId", agency.id))
                voucher = records.voucher_of(res_no, res_order)
                yield RawMessage(
                    body=records.reservation_document(element),
                    operator=self.operator.name,
                    channel=self.kind,
                    source_ref=f"{self.base()}/api/pax/getreservationlist#{voucher}",
                    filename=f"{voucher} {element.findtext('ResType') or ''}".strip(),
                )

    def chosen(self, agencies: list[records.Agency]) -> list[records.Agency]:
        wanted = [str(a) for a in self.setting("agencies", [])]
        if not wanted:
            return agencies
        picked = [a for a in agencies if a.id in wanted or a.name in wanted]
        missing = set(wanted) - {a.id for a in picked} - {a.name for a in picked}
        if missing:
            known = ", ".join(a.name for a in agencies) or "none"
            raise OperatorError(
                f"operator {self.operator.name}: agencies {', '.join(sorted(missing))} are not "
                f"connected to this hotel at Hotel2Sejour (connected: {known}); fix agencies"
            )
        return picked

    def parse(self, raw: RawMessage) -> list[OperatorBooking]:
        return [records.parse_reservation(raw.body, hotel_code=self.hotel_code, name=raw.filename)]

    # -- answering -----------------------------------------------------------------------------
    def confirm(self, reply: Reply) -> None:
        number = str(reply.reservation.get("pms_number") or "") or reply.hotel_number
        self.send_answer(reply, {"confirmationStatus": "Y", "confirmationNote": number})

    def reject(self, reply: Reply) -> None:
        reason = reply.reason or "Unable to process reservation"
        self.send_answer(reply, {"confirmationStatus": "N", "notconfirmationNote": reason}, reason=reason)

    def send_answer(self, reply: Reply, params: dict[str, str], *, reason: str = "") -> None:
        res_no, res_order, agency_id = self.identify(reply)
        timeout = float(self.setting("timeout", 30))

        async def send() -> None:
            async with httpx.AsyncClient() as http:
                if reason:
                    messages = records.not_confirm_messages(
                        (
                            await self.call(
                                http,
                                "getnotconfirmmessages",
                                {"paximumId": self.hotel_code, "langId": str(self.setting("language", "en-US"))},
                                timeout,
                            )
                        ).data
                    )
                    params["notConfirmMessageId"] = closest(messages, reason)
                await self.call(
                    http,
                    "sendconfirmation",
                    {
                        "paximumId": self.hotel_code,
                        "agencyId": agency_id,
                        "resNo": res_no,
                        "resOrder": res_order,
                        "pmsUser": str(self.setting("pms_user", "opdesk")),
                        **params,
                    },
                    timeout,
                )

        # A confirmation is answered from a thread of its own: the caller may already run an event loop.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, send()).result()

    def identify(self, reply: Reply) -> tuple[str, str, str]:
        """ResNo, ResOrder and AgencyId of the reservation answered, from the message it came in."""
        if reply.raw is not None:
            try:
                booking = records.parse_reservation(reply.raw.body)
                return (booking.extra["res_no"], booking.extra["res_order"], booking.extra["agency_id"])
            except ParseError:
                pass
        res_no, _, res_order = reply.voucher.partition("/")
        return res_no, res_order or "1", ""


def closest(messages: list[records.Agency], reason: str) -> str:
    """The id of the listed not-confirm reason nearest the hotel's words ("" when none is listed)."""
    if not messages:
        return ""
    names = {m.name.casefold(): m.id for m in messages}
    match = difflib.get_close_matches(reason.casefold(), list(names), n=1, cutoff=0.0)
    return names[match[0]] if match else messages[0].id


def read_token(body: bytes) -> str:
    """The login answers the token as a JSON string (``"eccb…"``) or as bare text."""
    text = body.decode("utf-8", "replace").strip()
    try:
        value = json.loads(text)
    except ValueError:
        value = text
    token = value if isinstance(value, str) else ""
    return token if re.fullmatch(r"[A-Za-z0-9._~+/=-]{1,200}", token) else ""


def _text_element(tag: str, text: str) -> Any:
    from lxml import etree

    element = etree.Element(tag)
    element.text = text
    return element
