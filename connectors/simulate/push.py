"""A simulated operator that pushes its bookings to a hotel (``opdesk simulate --kind ota-push``).

It speaks AlpineBits as a push client does: ``OTA_Ping:Handshaking`` first,
then ``OTA_HotelResNotif:GuestRequests`` in the highest version both sides
speak; a reservation the hotel refuses (``Warning Type="3" Code="450"`` or an
``Errors`` answer naming it) is not sent again.
"""

from __future__ import annotations

import time
from typing import Callable

import httpx

from connectors.ota import handshake, writer
from connectors.ota.connector import PROTOCOL_VERSION, PUSH_ACTION
from connectors.ota.parser import read_acknowledgements
from connectors.simulate.feed import BookingFeed
from core.models import OperatorBooking, OperatorError, ParseError


def headers(version: str, client_id: str) -> dict[str, str]:
    return {"X-AlpineBits-ClientProtocolVersion": version, "X-AlpineBits-ClientID": client_id}


def agree_version(
    url: str, *, username: str, password: str, client_id: str = "opdesk-simulator", timeout: float = 30
) -> str:
    """Handshake with the hotel; the highest version both speak."""
    request = handshake.ping_request(handshake.capabilities(handshake.PUSH_ACTIONS))
    response = httpx.post(
        url,
        files={"action": (None, handshake.PING_ACTION), "request": (None, request)},
        auth=(username, password),
        timeout=timeout,
        headers=headers(PROTOCOL_VERSION, client_id),
    )
    response.raise_for_status()
    version = handshake.highest_version(handshake.read_ping_response(response.content, name=url))
    if not version:
        raise OperatorError(f"{url}: the hotel speaks none of {', '.join(handshake.SUPPORTED_VERSIONS)}")
    return version


def push(
    url: str,
    bookings: list[OperatorBooking],
    *,
    username: str,
    password: str,
    client_id: str = "opdesk-simulator",
    timeout: float = 30,
    version: str = PROTOCOL_VERSION,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Post one ``OTA_HotelResNotifRQ``; returns the hotel's acks and refusals (``OperatorError`` for Errors)."""
    body = writer.booking_to_ota_xml(bookings, push=True)
    response = httpx.post(
        url,
        files={"action": (None, PUSH_ACTION), "request": (None, body)},
        auth=(username, password),
        timeout=timeout,
        headers=headers(version, client_id),
    )
    response.raise_for_status()
    return read_acknowledgements(response.content, name=url)


def push_forever(
    url: str,
    feed: BookingFeed,
    *,
    username: str,
    password: str,
    interval: float = 5.0,
    rounds: int | None = None,
    report: Callable[[str], None] = print,
) -> None:
    """Push what the hotel has not acknowledged, let time pass, again every ``interval`` seconds."""
    done = 0
    version = ""
    while rounds is None or done < rounds:
        pending = feed.pending()
        if pending:
            try:
                version = version or agree_version(url, username=username, password=password)
                acks, refusals = push(url, pending, username=username, password=password, version=version)
            except (httpx.HTTPError, ValueError, OperatorError, ParseError) as exc:
                report(f"push to {url} failed: {exc}")
                version = ""  # agree again: the hotel may have changed what it speaks
            else:
                for id_type, voucher in acks:
                    feed.acknowledge(voucher, cancelled=id_type == "15")
                for voucher, _ in refusals:  # refused: not sent again
                    feed.acknowledge(voucher, cancelled=False)
                report(f"pushed {len(pending)} ({version}): {len(acks)} acknowledged, {len(refusals)} refused")
        feed.tick()
        done += 1
        time.sleep(interval)
