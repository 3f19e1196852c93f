"""Bad files never crash a scan and are never lost: they go to failed/ with an error naming what is wrong."""

from __future__ import annotations

import pytest
from support.desk import booking, drop, scan

from core.store import Store

GOOD_XML_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<OTA_ResRetrieveRS xmlns="http://www.opentravel.org/OTA/2003/05" Version="7.000"><Success/>'
    b"<ReservationsList><HotelReservation"
)

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<OTA_ResRetrieveRS xmlns="http://www.opentravel.org/OTA/2003/05"><Success/>&xxe;</OTA_ResRetrieveRS>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<OTA_ResRetrieveRS xmlns="http://www.opentravel.org/OTA/2003/05">&lol3;</OTA_ResRetrieveRS>"""

CASES = {
    "truncated.xml": (GOOD_XML_HEAD, "truncated.xml"),
    "latin1.json": ('{"voucher": "V1", "notes": "Größe"}'.encode("latin-1"), "UTF-8"),
    "empty.xml": (b"", "empty"),
    "xxe.xml": (XXE, "xxe.xml"),
    "laughs.xml": (LAUGHS, "laughs.xml"),
    "broken.json": (b'{"voucher": "V1", "check_in": "2026-13-45"', "JSON"),
    "baddate.json": (b'{"voucher": "V1", "check_in": "2026-13-45", "check_out": "2026-12-01"}', "check_in"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_file_goes_to_failed_with_a_clear_error(desk, name):
    body, expected = CASES[name]
    (desk.base_dir / "drop" / name).write_bytes(body)
    [result] = scan(desk)
    assert result.state in ("failed", "unparsed")
    assert expected.lower() in result.error.lower()
    failed = desk.base_dir / "drop" / "failed" / name
    assert failed.read_bytes() == body, "the file must be kept byte for byte"
    assert expected.lower() in (failed.parent / f"{name}.error.txt").read_text().lower()
    with Store(desk.store_path) as store:
        row = store.one("SELECT body, parse_state, parse_error FROM raw_messages WHERE id = ?", (result.raw_id,))
        assert bytes(row["body"]) == body and row["parse_state"] == result.state
        assert store.scalar("SELECT COUNT(*) FROM operator_reservations") == 0


def test_a_50_mb_file_fails_cleanly_and_the_next_file_still_goes_through(desk):
    big = desk.base_dir / "drop" / "0-big.xml"
    with big.open("wb") as fh:
        fh.write(GOOD_XML_HEAD + b">")
        fh.write(b"<!-- " + b"x" * (50 * 1024 * 1024) + b" -->")
    drop(desk, "1-good.json", booking("V1"))
    results = scan(desk)
    assert [r.state for r in results] == ["failed", "parsed"]
    assert "MB" in results[0].error
    assert (desk.base_dir / "drop" / "failed" / "0-big.xml").stat().st_size > 50 * 1024 * 1024


def test_a_failed_message_is_parsed_again_after_a_fix(desk):
    (desk.base_dir / "drop" / "x.json").write_bytes(b'{"voucher": "V1"}')  # no stay dates
    [result] = scan(desk)
    assert result.state == "failed" and "check_in" in result.error
    from core.ingest import Ingestor
    from core.models import Content

    with Store(desk.store_path) as store:
        again = Ingestor(store, desk).reprocess(result.raw_id, lambda raw: [booking("V1", Content.NEW)])
        assert again.state == "parsed" and again.new == 1
        assert store.scalar("SELECT parse_state FROM raw_messages WHERE id = ?", (result.raw_id,)) == "parsed"
