"""Nationalities as ISO 3166-1 alpha-2 codes, whatever form an operator sends them in.

Contracts and discounts restrict by nationality (``nationalities = ["DE", "AT"]``),
so a booking's nationality must be comparable with them: operators send ``DE``,
``DEU``, ``de``, ``Germany`` or ``GERMANY``. Each is turned into one alpha-2 code
when the booking arrives. Anything that is not a country (a typo, "EU", a
5,000-digit number) is unknown: the empty string, which a non-empty list of
nationalities leaves out. pycountry holds the ISO list and its English names;
a few English names people use that the standard spells otherwise are added here.
"""

from __future__ import annotations

import functools

import pycountry

from core.models import OperatorBooking

# English names in everyday use that ISO 3166 writes differently (or not at all).
# "UK" and the home nations: operators in Britain send them for British guests.
ALIASES = {
    "RUSSIA": "RU",
    "TURKEY": "TR",
    "UK": "GB",
    "GREAT BRITAIN": "GB",
    "BRITAIN": "GB",
    "ENGLAND": "GB",
    "SCOTLAND": "GB",
    "WALES": "GB",
    "NORTHERN IRELAND": "GB",
    "HOLLAND": "NL",
    "KOSOVO": "XK",
    "NORTH KOREA": "KP",
    "IVORY COAST": "CI",
    "CAPE VERDE": "CV",
    "MACEDONIA": "MK",
    "SWAZILAND": "SZ",
    "BURMA": "MM",
    "VATICAN": "VA",
    "EAST TIMOR": "TL",
}
# Longest name worth looking up; "The United Kingdom of Great Britain and Northern Ireland" fits.
MAX_NAME = 80


def is_alpha2(code: str) -> bool:
    """A known ISO 3166-1 alpha-2 code, upper case (``XK``, Kosovo, is taken as well)."""
    return code in _known_alpha2()


@functools.cache
def _known_alpha2() -> frozenset[str]:
    return frozenset({c.alpha_2 for c in pycountry.countries} | {"XK"})


def to_alpha2(value: str) -> str:
    """``DE`` for DE, de, DEU, Germany or GERMANY; ``""`` when ``value`` names no country."""
    text = " ".join(str(value).split()).upper()
    if not text or len(text) > MAX_NAME or any(ch.isdigit() for ch in text):
        return ""
    return _alpha2_of(text)  # kept by the tidied text: at most MAX_NAME characters, whatever was sent


@functools.lru_cache(maxsize=4096)
def _alpha2_of(text: str) -> str:
    if text in ALIASES:
        return ALIASES[text]
    if len(text) == 2:
        return text if is_alpha2(text) else ""
    try:
        country = pycountry.countries.lookup(text)
    except LookupError:
        return ""
    return str(country.alpha_2)


def normalise_booking(booking: OperatorBooking) -> None:
    """Put the booking's and its guests' nationalities in alpha-2, as it arrives.

    What named no country is kept, as sent, in ``extra["nationality_sent"]`` (the
    raw message keeps it too), so nobody loses what the operator wrote.
    """
    sent = booking.nationality.strip()
    booking.nationality = to_alpha2(sent) if sent else ""
    if sent and not booking.nationality:
        booking.extra["nationality_sent"] = sent[:MAX_NAME]
    for guest in booking.guests:
        if guest.nationality:
            guest.nationality = to_alpha2(guest.nationality)
