"""A simulated operator that pushes its bookings to a hotel (``opdesk simulate --kind ota-push``)."""

from __future__ import annotations

import time

import httpx

from connectors.ota import writer
from connectors.ota.connector import PROTOCOL_VERSION, PUSH_ACTION
from connectors.ota.parser import read_acknowledgements
from connectors.simulate.feed import BookingFeed
from core.models import OperatorBooking


def push(url: str, bookings: list[OperatorBooking], *, username: str, password: str,
         client_id: str = "opdesk-simulator",
         timeout: float = 30) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Post one ``OTA_HotelResNotifRQ``; returns the hotel's acks and refusals."""
    body = writer.booking_to_ota_xml(bookings, push=True)
    response = httpx.post(url, files={"action": (None, PUSH_ACTION), "request": (None, body)},
                          auth=(username, password), timeout=timeout,
                          headers={"X-AlpineBits-ClientProtocolVersion": PROTOCOL_VERSION,
                                   "X-AlpineBits-ClientID": client_id})
    response.raise_for_status()
    return read_acknowledgements(response.content, name=url)


def push_forever(url: str, feed: BookingFeed, *, username: str, password: str, interval: float = 5.0,
                 rounds: int | None = None, report=print) -> None:
    """Push what the hotel has not acknowledged, let time pass, again every ``interval`` seconds."""
    done = 0
    while rounds is None or done < rounds:
        pending = feed.pending()
        if pending:
            try:
                acks, refusals = push(url, pending, username=username, password=password)
            except (httpx.HTTPError, ValueError) as exc:
                report(f"push to {url} failed: {exc}")
            else:
                for id_type, voucher in acks:
                    feed.acknowledge(voucher, cancelled=id_type == "15")
                report(f"pushed {len(pending)}: {len(acks)} acknowledged, {len(refusals)} refused")
        feed.tick()
        done += 1
        time.sleep(interval)
