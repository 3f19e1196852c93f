"""opdesk JSON reads the usual guest and night without a reader call per field: that quick way must
give exactly what the readers give (the same values of the same types), or the same named error."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from connectors import canonical
from core import values
from core.models import Guest, NightPrice, ParseError

# Values as a JSON file holds them where a guest's or a night's field belongs: mostly what the quick
# way takes, and everything it must leave to the readers.
field_values = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            " a@b.c ",
            "2027-05-01",
            "2027-02-30",
            "20270501",
            "2027-W01-1",
            "155.00",
            " 155 ",
            "1e3",
            "1_000",
            "NaN",
            "-Infinity",
            "sNaN",
            "12",
            "x",
        ]
    ),
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
texts = st.one_of(st.text(max_size=12), st.sampled_from(["", " ", " a@b.c ", "a@b.c", "Yılmaz", "12"]))
dates = st.one_of(
    st.dates().map(str), st.sampled_from(["", "2027-02-30", "20270501", "2027-W01-1", "2027-05-01T10:00"])
)
amounts = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", " ", "155.00", " 155 ", "1e3", "1_000", "NaN", "-Infinity", "sNaN", "0x1", "１２"]),
)
# A guest or a night is mostly what the quick way takes: each field is often of the usual kind,
# sometimes anything at all, sometimes missing.
guests = st.fixed_dictionaries(
    {},
    optional={
        "first_name": texts | field_values,
        "last_name": texts | field_values,
        "gender": texts | field_values,
        "nationality": texts | field_values,
        "email": texts | field_values,
        "age": st.none() | st.integers(min_value=-5, max_value=120) | field_values,
        "birth_date": st.none() | dates | field_values,
        "other": field_values,
    },
)
nights = (
    st.fixed_dictionaries({}, optional={"date": dates | field_values, "amount": amounts | field_values}) | field_values
)


def read(reader: Any, value: Any, record: str, field: str) -> Any:
    """One field as its reader in ``core.values`` reads it, its error named as the parser names it."""
    return canonical._read(reader, value, record, field)


def read_guest_by_the_readers(g: Any, record: str, i: int) -> Guest:
    """A guest as the readers alone read it, field by field."""
    if not isinstance(g, dict):
        raise ParseError("a guest must be an object", record=record, field=f"guests[{i}]")
    age = g.get("age")
    text = {key: read(values.text, g.get(key), record, f"guests[{i}].{key}") for key in canonical._GUEST_TEXT}
    text["email"] = text["email"].strip()
    return Guest(
        **text,
        age=read(values.whole_number, age, record, f"guests[{i}].age") if age is not None else None,
        birth_date=read(values.iso_date, g.get("birth_date"), record, f"guests[{i}].birth_date"),
    )


def read_night_by_the_readers(n: Any, record: str, i: int) -> NightPrice:
    """A night as the readers alone read it."""
    if not isinstance(n, dict):
        raise ParseError("a night must be an object with date and amount", record=record, field=f"night_prices[{i}]")
    day = read(values.iso_date, n.get("date"), record, f"night_prices[{i}].date")
    if day is None:
        raise ParseError("missing", record=record, field=f"night_prices[{i}].date")
    amount = read(values.amount, n.get("amount"), record, f"night_prices[{i}].amount")
    if amount is None:
        raise ParseError("missing: a night needs its amount", record=record, field=f"night_prices[{i}].amount")
    return NightPrice(day, amount)


def read_total_by_the_reader(value: Any, record: str, i: int) -> Any:
    return read(values.amount, value, record, "total")


def read_total(value: Any, record: str, i: int) -> Any:
    return canonical._money(value, record, "total")


def outcome(read: Any, value: Any) -> str:
    """What reading gives, spelled out with every value's type and digits (Decimal('85.5') is not '85.50')."""
    try:
        return repr(read(value, "1 (voucher V)", 2))
    except ParseError as exc:
        return f"ParseError: {exc}"


@given(guests)
@example({"first_name": "A", "email": " a@b.c "})
@example({"first_name": "A", "age": True})
@example({"first_name": "A", "age": 3.0})
@example({"first_name": None})
@example({"birth_date": ""})
def test_a_guest_read_the_quick_way_is_the_guest_the_readers_read(g: dict[str, Any]) -> None:
    assert outcome(canonical._guest, g) == outcome(read_guest_by_the_readers, g)


@given(nights)
@example({"date": "2027-05-01", "amount": "NaN"})
@example({"date": "2027-05-01", "amount": "sNaN"})
@example({"date": "2027-05-01", "amount": "-Infinity"})
@example({"date": "2027-05-01", "amount": ""})
@example({"date": "2027-05-01", "amount": " "})
@example({"date": "2027-02-30", "amount": "1"})
@example({"date": "2027-05-01", "amount": 155})
def test_a_night_read_the_quick_way_is_the_night_the_readers_read(n: Any) -> None:
    assert outcome(canonical._night, n) == outcome(read_night_by_the_readers, n)


@given(amounts | field_values)
@example("NaN")
@example(" ")
@example("")
def test_an_amount_read_the_quick_way_is_the_amount_the_reader_reads(value: Any) -> None:
    assert outcome(read_total, value) == outcome(read_total_by_the_reader, value)


def test_the_usual_guest_and_night_come_out_as_the_readers_give_them() -> None:
    g = {"first_name": "Ayşe", "last_name": "Yılmaz", "email": " a@b.c ", "age": 34}
    assert canonical._guest(g, "1", 1) == Guest("Ayşe", "Yılmaz", 34, None, "", "", "a@b.c")
    n = {"date": "2027-05-01", "amount": " 155.50 "}
    assert repr(canonical._night(n, "1", 1)) == repr(read_night_by_the_readers(n, "1", 1))
