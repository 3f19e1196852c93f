"""Contracts and quotes: `opdesk quote` and `opdesk contracts check|load|show|wizard`."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Optional

import typer
from rich.table import Table

from core.desk import load_contracts_text
from core.ingest import recheck
from core.nationality import to_alpha2
from core.pricing import (
    ContractsError,
    ContractSet,
    Quote,
    QuoteRequest,
    load_contracts,
    quote,
)
from core.pricing.copy import CopyError, CopyPlan, copy_contract, parse_percent
from core.pricing.model import Contract, DailyRate, Discount, PriceSource, Promotion
from core.pricing.quote import money
from core.pricing.recheck import RecheckReport, recheck_saved
from core.pricing.store import UNSAVED_PENDING, active_contracts, promo_uses
from core.pricing.wizard import (
    ContractPlan,
    SalesPeriod,
    Season,
    WizardError,
    plan_toml,
)
from core.redact import mask_text
from tui import cli_common, shown
from tui.cli_common import EXIT_REFUSED, cli_actor, console, fail, parse_date, print_json
from tui.commands.contract_wizard import ask, ask_plan

contracts_app = typer.Typer(
    help="The hotel's contracts: check a file, load it, show it, build one.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add `quote` and the `contracts` commands to `app`."""
    app.command("quote")(quote_command)
    app.command("recheck")(recheck_command)
    app.add_typer(contracts_app, name="contracts")


def _load_file(path: Path) -> ContractSet:
    try:
        return load_contracts(Path(path))
    except ContractsError as exc:
        fail(str(exc))


# -- opdesk quote ---------------------------------------------------------------------
def quote_command(
    contracts: Optional[Path] = typer.Option(
        None, "--contracts", metavar="FILE", help="Contracts file (else the contracts loaded in the store)."
    ),
    rate_code: str = typer.Option("", "--rate-code", metavar="CODE", help="Rate code (or give --agency)."),
    room: str = typer.Option(..., "--room", metavar="ROOM", help="Room type."),
    board: str = typer.Option(..., "--board", metavar="BOARD", help="Board (meal plan)."),
    check_in: str = typer.Option(..., "--check-in", metavar="YYYY-MM-DD"),
    nights: Optional[int] = typer.Option(None, "--nights", metavar="N", min=1),
    check_out: Optional[str] = typer.Option(None, "--check-out", metavar="YYYY-MM-DD"),
    adults: int = typer.Option(..., "--adults", metavar="N", min=0),
    child_age: list[float] = typer.Option([], "--child-age", metavar="A", help="A child's age; repeat per child."),
    booked: str = typer.Option(..., "--booked", metavar="YYYY-MM-DD", help="Booking (sale) date."),
    market: str = typer.Option("", "--market", metavar="M"),
    agency: str = typer.Option("", "--agency", metavar="A"),
    discount: list[str] = typer.Option([], "--discount", metavar="CODE", help="A manual discount; repeatable."),
    promo: str = typer.Option("", "--promo", metavar="CODE", help="Promotion code."),
    nationality: str = typer.Option(
        "", "--nationality", metavar="CC", help="The guest's nationality (ISO code such as DE, or DEU, or Germany)."
    ),
    previous_stays: int = typer.Option(
        0, "--previous-stays", metavar="N", min=0, help="The guest's earlier stays at the hotel."
    ),
    adult_age: list[float] = typer.Option(
        [], "--adult-age", metavar="A", help="An adult's age, when known; once per adult, at most --adults times."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Price a stay night by night from the hotel's contracts (exit 0 priced, 1 refused, 2 bad input)."""
    first = parse_date(check_in, "--check-in")
    if check_out is not None:
        if nights is not None:
            fail("give either --nights N or --check-out YYYY-MM-DD")
        nights = (parse_date(check_out, "--check-out") - first).days
        if nights < 1:
            fail(f"--check-out {check_out} must be after --check-in {check_in}")
    elif nights is None:
        fail("give either --nights N or --check-out YYYY-MM-DD")
    if not rate_code and not agency:
        fail("give --rate-code CODE or --agency A (its first rate code is used)")
    if len(adult_age) > adults:
        fail(f"--adult-age given {len(adult_age)} times for {adults} adult(s): give it at most once per adult")
    country = to_alpha2(nationality) if nationality else ""
    if nationality and not country:
        fail(f"--nationality {nationality!r}: not a country (give an ISO code such as DE, DEU, or a name)")
    request = QuoteRequest(
        rate_code=rate_code,
        room_type=room,
        board=board,
        check_in=first,
        nights=nights,
        adults=adults,
        child_ages=_ages(child_age, "--child-age"),
        booked=parse_date(booked, "--booked"),
        market=market,
        agency=agency,
        discounts=list(discount),
        promo=promo,
        nationality=country,
        previous_stays=previous_stays,
        adult_ages=_ages(adult_age, "--adult-age"),
    )
    contract_set, uses = _quote_source(contracts, promo)
    answer = quote(contract_set, request, promo_uses=uses)
    if as_json:
        print_json(answer.as_dict())
    else:
        _show_quote(answer, request)
    raise typer.Exit(0 if answer.ok else EXIT_REFUSED)


def _ages(values: list[float], option: str) -> list[int | Decimal]:
    ages: list[int | Decimal] = []
    for value in values:
        if not math.isfinite(value) or not 0 <= value <= 150:
            fail(f"{option} {value}: an age is a number from 0 to 150")
        ages.append(int(value) if float(value).is_integer() else Decimal(str(value)))
    return ages


def _quote_source(path: Path | None, promo: str) -> tuple[ContractSet, int]:
    if path is not None:
        return _load_file(path), 0
    store = cli_common.open_store()
    try:
        try:
            active = active_contracts(store)
        except ContractsError as exc:
            fail(f"the contracts in the store no longer load: {exc}")
        if active is None:
            fail("no contracts loaded in the store: opdesk contracts load FILE, or give --contracts FILE")
        return active[1], promo_uses(store, promo) if promo else 0
    finally:
        store.close()


def _show_quote(answer: Quote, request: QuoteRequest) -> None:
    if not answer.ok:
        stay = f"{request.rate_code or request.agency} {request.room_type}/{request.board}"
        console.print(
            f"[bold red]refused[/] {shown.markup(stay)} from {request.check_in}, {request.nights} nights:",
            highlight=False,
        )
        for error in answer.errors:
            console.print(f"  [red]{shown.markup(error['rule'])}[/]: {shown.markup(error['message'])}", highlight=False)
        return
    rate_type = f" · rate type {answer.rate_type}" if answer.rate_type else ""
    table = Table(
        title=shown.markup(
            f"{answer.rate_code} {request.room_type}/{request.board} · "
            f"{answer.contract or 'daily rates'} · {answer.currency}{rate_type}"
        ),
        title_justify="left",
    )
    table.add_column("Night")
    for name in ("Contract", "Discount", "Price"):
        table.add_column(name, justify="right")
    for night in answer.nights:
        table.add_row(
            f"{night.date:%a %Y-%m-%d}", money(night.contract_price), money(night.discount), money(night.price)
        )
    totals = answer.totals
    table.add_section()
    table.add_row("[bold]Total", *(f"[bold]{money(totals[k])}" for k in ("contract_price", "discount", "price")))
    console.print(table)
    console.print(shown.text(f"Applied: {', '.join(answer.applied) or 'none'}"), highlight=False)
    if answer.refused:
        refused = ", ".join(f"{r['code']} ({r['reason']})" for r in answer.refused)
        console.print(shown.text(f"Refused: {refused}"), highlight=False)
    if answer.terms:
        console.print(
            "Terms: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in answer.terms.items()), highlight=False
        )


# -- opdesk recheck ----------------------------------------------------------------------
def recheck_command(
    saved: bool = typer.Option(False, "--saved", help="Price saved bookings again and list those that changed."),
    since: Optional[str] = typer.Option(
        None, "--since", metavar="DATE", help="With --saved: only check-ins on or after DATE (YYYY-MM-DD)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Check pending rows not yet saved again; with --saved, re-price saved bookings (exit 1 when a price changed)."""
    first = parse_date(since, "--since") if since else None
    if since and not saved:
        fail("--since goes with --saved (pending rows are all checked again)")
    store, cfg = cli_common.open_store(), cli_common.config()
    try:
        if not saved:
            n = recheck(store, cfg, UNSAVED_PENDING)
            if as_json:
                print_json({"rechecked": n})
            else:
                console.print(f"{n} pending row(s) checked again", highlight=False)
            return
        report = recheck_saved(store, cfg, cli_actor(), first)
    finally:
        store.close()
    if as_json:
        print_json([change.as_dict() for change in report.changed])
    else:
        _show_price_changes(report)
    raise typer.Exit(EXIT_REFUSED if report.changed else 0)


def _show_price_changes(report: RecheckReport) -> None:
    if not report.changed:
        console.print(f"{report.checked} saved booking(s) priced again: no expected price changed", highlight=False)
        return
    table = Table(
        title=f"{len(report.changed)} of {report.checked} saved booking(s) now price differently", title_justify="left"
    )
    for name, justify in (
        ("ID", "right"),
        ("Voucher", "left"),
        ("Check-in", "left"),
        ("Old", "right"),
        ("New", "right"),
        ("Difference", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for change in report.changed:
        table.add_row(
            str(change.id),
            shown.text(change.voucher),
            change.check_in,
            change.old or "none",
            change.new or "none",
            change.difference or "",
        )
    console.print(table)


# -- opdesk contracts check | load | show ------------------------------------------------
def _summary(cs: ContractSet) -> dict[str, Any]:
    return {
        "source": cs.source,
        "rate_codes": sorted(cs.rate_codes),
        "contracts": len(cs.contracts),
        "daily_rates": len(cs.daily_rates),
        "discounts": len(cs.discounts),
        "promotions": len(cs.promotions),
    }


def _say_summary(cs: ContractSet, verb: str) -> None:
    s = _summary(cs)
    console.print(
        shown.text(
            f"{s['source']}: {verb} {s['contracts']} contracts, {s['daily_rates']} daily rates, "
            f"{s['discounts']} discounts, {s['promotions']} promotions "
            f"(rate codes {', '.join(s['rate_codes']) or 'none'})"
        ),
        highlight=False,
    )


@contracts_app.command("check")
def check_command(
    path: Path = typer.Argument(..., metavar="FILE"), as_json: bool = typer.Option(False, "--json")
) -> None:
    """Validate a contracts file without loading it (exit 2 and every problem when it has any)."""
    cs = _load_file(path)
    if as_json:
        print_json({"ok": True, **_summary(cs)})
    else:
        _say_summary(cs, "ok,")


@contracts_app.command("load")
def load_command(
    path: Path = typer.Argument(..., metavar="FILE"), as_json: bool = typer.Option(False, "--json")
) -> None:
    """Make FILE the hotel's contracts (replacing the loaded ones) and re-check every pending reservation."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"{path}: cannot read: {exc.strerror or exc}")
    except UnicodeDecodeError:
        fail(f"{path}: not UTF-8 text")
    store = cli_common.open_store()
    try:
        loaded = load_contracts_text(store, cli_common.config(), text, source=str(path), actor=cli_actor())
    except ContractsError as exc:
        fail(str(exc))
    finally:
        store.close()
    if as_json:
        print_json(
            {
                "ok": True,
                "contract_set": loaded.set_id,
                "rechecked": loaded.rechecked,
                "saved": loaded.saved,
                **_summary(loaded.contracts),
            }
        )
        return
    _say_summary(loaded.contracts, f"loaded as contract set #{loaded.set_id}:")
    console.print(f"re-checked {loaded.rechecked} pending reservation(s)", highlight=False)
    if loaded.saved:
        console.print(
            f"{loaded.saved} saved booking(s) keep their price check: opdesk recheck --saved "
            "lists those whose expected price changes",
            highlight=False,
        )


@contracts_app.command("show")
def show_command(
    rate_code: str = typer.Option("", "--rate-code", metavar="X", help="Only this rate code."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The contracts loaded in the store, their discounts and promotions."""
    store = cli_common.open_store()
    try:
        active = active_contracts(store)
    except ContractsError as exc:
        fail(f"the contracts in the store no longer load: {exc}")
    finally:
        store.close()
    if active is None:
        fail("no contracts loaded: opdesk contracts load FILE", EXIT_REFUSED)
    cs = active[1]
    if rate_code and rate_code not in cs.rate_codes:
        fail(f"no rate code {rate_code} in the loaded contracts (they have {', '.join(sorted(cs.rate_codes))})")
    contracts = [c for c in cs.contracts if not rate_code or c.rate_code == rate_code]
    daily = [r for r in cs.daily_rates if not rate_code or r.rate_code in (rate_code, _base_of(cs, rate_code))]
    discounts = [d for d in cs.discounts if not rate_code or not d.rate_codes or rate_code in d.rate_codes]
    promotions = [p for p in cs.promotions.values() if not rate_code or not p.rate_codes or rate_code in p.rate_codes]
    if as_json:
        print_json(
            {
                "contract_set": active[0],
                "source": cs.source,
                "contracts": [_contract_row(c) for c in contracts],
                "daily_rates": [_daily_row(r) for r in daily],
                "discounts": [_discount_row(d) for d in discounts],
                "promotions": [_promotion_row(p) for p in promotions],
            }
        )
        return
    _show_tables(active[0], cs, contracts, daily, discounts, promotions)


def _base_of(cs: ContractSet, rate_code: str) -> str:
    """The rate code whose daily rates ``rate_code`` uses (``contract_daily``), else none."""
    rate = cs.rate_codes[rate_code]
    return rate.base_rate_code if rate.use_prices == "contract_daily" else ""


def _prices_text(c: PriceSource) -> str:
    p = c.prices
    if p.form == "unit":
        return f"unit {p.unit}"
    if p.form == "per_person":
        return f"pp_dbl {p.pp_dbl}"
    return " ".join(f"{k} {p.by_adults[n]}" for n, k in enumerate(("sgl", "dbl", "trp", "quad"), 1) if n in p.by_adults)


def _contract_row(c: Contract) -> dict[str, Any]:
    return {
        "code": c.label,
        "rate_code": c.rate_code,
        "rate_type": c.rate_type,
        "room_types": list(c.room_types),
        "board": c.board,
        "supplements": sorted(c.supplements),
        "stay": [c.stay[0], c.stay[1]],
        "sales": [c.sales[0], c.sales[1]] if c.sales else None,
        "price_basis": c.price_basis,
        "prices": _prices_text(c),
        "currency": c.currency,
        "inactive": c.inactive,
        "markets": sorted(c.markets),
        "agencies": sorted(c.agencies),
        "nationalities": sorted(c.nationalities),
        "sales_periods": [
            {
                "from": p.span[0],
                "to": p.span[1],
                "rate_type": p.rate_type or None,
                "eb_percent": str(p.eb_percent) if p.eb_percent is not None else None,
            }
            for p in c.sales_periods
        ],
    }


def _daily_row(r: DailyRate) -> dict[str, Any]:
    return {
        "row": r.label,
        "rate_code": r.rate_code,
        "room_type": r.room_type,
        "board": r.board,
        "supplements": sorted(r.supplements),
        "from": r.span[0],
        "to": r.span[1],
        "prices": _prices_text(r),
        "currency": r.currency,
    }


def _discount_row(d: Discount) -> dict[str, Any]:
    return {
        "code": d.code,
        "kind": d.kind,
        "type": d.type,
        "value": str(d.value),
        "order": d.order,
        "rate_codes": sorted(d.rate_codes),
        "stay": list(d.stay) if d.stay else None,
        "sales": list(d.sales) if d.sales else None,
        "manual": d.manual,
        "inactive": d.inactive,
        "apply_alone": d.apply_alone,
    }


def _promotion_row(p: Promotion) -> dict[str, Any]:
    return {
        "code": p.code,
        "type": p.type,
        "value": str(p.value),
        "stay": list(p.stay) if p.stay else None,
        "sales": list(p.sales) if p.sales else None,
        "max_uses": p.max_uses,
        "min_total": str(p.min_total) if p.min_total is not None else None,
    }


def _show_tables(
    set_id: int,
    cs: ContractSet,
    contracts: list[Contract],
    daily: list[DailyRate],
    discounts: list[Discount],
    promotions: list[Promotion],
) -> None:
    table = Table(title=shown.markup(f"Contract set #{set_id} · {cs.source}"), title_justify="left")
    for name in ("Code", "Rate", "Rooms", "Board", "Stay", "Sales", "Prices"):
        table.add_column(name)
    for c in contracts:
        row = _contract_row(c)
        boards = c.board + (f" +{len(c.supplements)}" if c.supplements else "")
        sales = f"{c.sales[0]}..{c.sales[1]}" if c.sales else "any"
        if c.sales_periods:
            sales = f"{len(c.sales_periods)} periods {c.sales_periods[0].span[0]}..{c.sales_periods[-1].span[1]}"
        table.add_row(
            shown.text(c.label + (" (inactive)" if c.inactive else "")),
            shown.text(c.rate_code),
            shown.text(",".join(c.room_types)),
            shown.text(boards),
            f"{c.stay[0]}..{c.stay[1]}",
            sales,
            row["prices"],
        )
    if contracts:
        console.print(table)
    if daily:
        rates = Table(title="Daily rates", title_justify="left")
        for name in ("#", "Rate", "Room", "Board", "From", "To", "Prices"):
            rates.add_column(name)
        for r in daily:
            boards = r.board + (f" +{len(r.supplements)}" if r.supplements else "")
            rates.add_row(
                r.label.removeprefix("daily_rates[").rstrip("]"),
                shown.text(r.rate_code),
                shown.text(r.room_type),
                shown.text(boards),
                str(r.span[0]),
                str(r.span[1]),
                _prices_text(r),
            )
        console.print(rates)
    if discounts:
        console.print(
            shown.text(
                "Discounts: "
                + "; ".join(
                    f"{d.code} {d.type} {d.value}{' addon' if d.kind == 'addon' else ''}"
                    f"{' manual' if d.manual else ''}{' inactive' if d.inactive else ''}"
                    for d in discounts
                )
            ),
            highlight=False,
        )
    if promotions:
        listed = "; ".join(f"{p.code} {p.type} {p.value}" for p in promotions)
        console.print(shown.text(f"Promotions: {listed}"), highlight=False)


# -- opdesk contracts copy ---------------------------------------------------------------
@contracts_app.command("copy")
def copy_command(
    code: str = typer.Argument(..., metavar="CODE", help="The contract to copy."),
    contracts: Path = typer.Option(..., "--contracts", metavar="FILE", help="The contracts file."),
    stay: tuple[str, str] = typer.Option(..., "--stay", metavar="FROM TO", help="The new contract's stay dates."),
    new_code: str = typer.Option(..., "--code", metavar="NEW", help="The new contract's code."),
    sales: Optional[tuple[str, str]] = typer.Option(
        None, "--sales", metavar="FROM TO", help="Its sales dates (else they move with the stay)."
    ),
    change_percent: str = typer.Option(
        "0", "--change-percent", metavar="P", help="Move every amount by P % (e.g. 5 or -3.5)."
    ),
    write: bool = typer.Option(False, "--write", help="Add it to FILE after CODE (else print it)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """A new season from an old contract: dates moved, amounts moved by a percent (exit 2 if NEW exists)."""
    if not new_code.strip():
        fail("--code: give the new contract's code")
    plan = CopyPlan(
        code=code,
        new_code=new_code.strip(),
        stay=(parse_date(stay[0], "--stay"), parse_date(stay[1], "--stay")),
        sales=(parse_date(sales[0], "--sales"), parse_date(sales[1], "--sales")) if sales else None,
        change_percent=Decimal(0),
    )
    try:
        plan.change_percent = parse_percent(change_percent)
        text = contracts.read_text(encoding="utf-8")
        result = copy_contract(text, plan, source=str(contracts))
    except CopyError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{contracts}: cannot read: {exc.strerror or exc}")
    except UnicodeDecodeError:
        fail(f"{contracts}: not UTF-8 text")
    except ContractsError as exc:
        fail(f"the copy would not load:\n{exc}")
    if write:
        contracts.write_text(result.text, encoding="utf-8")
        reloaded = _load_file(contracts)  # read back from disk: what was written loads
        if plan.new_code not in {c.label for c in reloaded.contracts}:
            fail(f"{contracts}: {plan.new_code} is not in the file after writing it")
    if as_json:
        print_json({"code": plan.new_code, "copied_from": code, "file": str(contracts), "written": write})
    elif write:
        console.print(
            shown.text(
                f"{contracts}: added {plan.new_code} (copied from {code}) and loaded the file "
                f"again: ok; opdesk contracts load {contracts} to use it"
            ),
            highlight=False,
        )
    else:
        typer.echo(mask_text(result.entry), nl=False)


# -- opdesk contracts wizard ---------------------------------------------------------------
@contracts_app.command("wizard")
def wizard_command(
    rate_code: Optional[str] = typer.Option(None, "--rate-code", metavar="CODE"),
    board: Optional[str] = typer.Option(None, "--board", metavar="BOARD", help="The board the prices are for."),
    season: list[str] = typer.Option(
        [], "--season", metavar="NAME:FROM:TO:PP_DBL", help="A season and its per-person double price; repeatable."
    ),
    room: list[str] = typer.Option(
        [], "--room", metavar="ROOM=DIFF", help="A room type and its per-person difference to pp_dbl; repeatable."
    ),
    multipliers: str = typer.Option(
        "sgl=1.5,dbl=2,trp=2.75,quad=3.4", "--multipliers", metavar="K=V,...", help="Occupancy multipliers of pp_dbl."
    ),
    unit: list[str] = typer.Option([], "--unit", metavar="ROOM", help="Price this room type per unit; repeatable."),
    sales: list[str] = typer.Option(
        [],
        "--sales",
        metavar="FROM:TO:RATE_TYPE[:EB%]",
        help="A sales period, its rate type and early-booking percent; repeatable.",
    ),
    base: Optional[Path] = typer.Option(
        None, "--base", metavar="FILE", help="Add the new entries to this contracts file (comments kept)."
    ),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="FILE", help="Write here (else print)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: the TOML built and where it was written."),
) -> None:
    """Build season contracts and write them as TOML to review, then load. Without flags it asks for each value."""
    given = {"--rate-code": rate_code, "--board": board, "--season": season, "--room": room}
    if not any(given.values()):
        _wizard_asks(base, output)
        return
    missing = [name for name, value in given.items() if not value]
    if missing:
        fail(f"give {', '.join(missing)} too (or no flags at all, and the wizard asks for each value)")
    plan = ContractPlan(
        rate_code=str(rate_code),
        board=str(board),
        seasons=[_season(s) for s in season],
        sales_periods=[_sales(s) for s in sales],
        room_differences=dict(_pair(r, "--room") for r in room),
        multipliers=dict(_pair(m, "--multipliers") for m in multipliers.split(",") if m.strip()),
        unit_rooms=set(unit),
    )
    text = _plan_text(plan, base)
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"{output}: cannot write: {exc.strerror or exc}", EXIT_REFUSED)
    if as_json:
        print_json(
            {
                "rate_code": rate_code,
                "board": board,
                "seasons": len(plan.seasons),
                "output": str(output) if output is not None else None,
                "toml": text,
            }
        )
        return
    if output is None:
        typer.echo(mask_text(text), nl=False)
        return
    console.print(shown.text(f"wrote {output}: review it, then opdesk contracts load {output}"), highlight=False)


def _plan_text(plan: ContractPlan, base: Path | None) -> str:
    base_text = None
    if base is not None:
        try:
            base_text = base.read_text(encoding="utf-8")
        except OSError as exc:
            fail(f"{base}: cannot read: {exc.strerror or exc}")
        except UnicodeDecodeError:
            fail(f"{base}: not UTF-8 text")
    try:
        return plan_toml(plan, base_text, hotel_currency=cli_common.config().currency)
    except WizardError as exc:
        fail(str(exc))
    except ContractsError as exc:
        fail(f"the result would not load:\n{exc}")
    except Exception as exc:  # noqa: BLE001 - tomlkit reports a broken base file with its own errors
        fail(f"{base}: not valid TOML: {exc}")


def _wizard_asks(base: Path | None, output: Path | None) -> None:
    """The wizard with no flags: ask, show the result, ask before writing."""
    try:
        plan, base = ask_plan(base)
        text = _plan_text(plan, base)
        typer.echo("\n# -- the result " + "-" * 50 + "\n" + mask_text(text))
        contracts = len(plan.seasons) * len(plan.room_differences)
        target = ask("Write it to which file?", _target_file, str(output or base or f"{plan.rate_code}.toml"))
        if not typer.confirm(f"Write {contracts} contract(s) to {target}?", default=True):
            console.print("nothing written", highlight=False)
            return
    except typer.Abort:
        fail("the wizard stopped before it finished: nothing written")
    target.write_text(text, encoding="utf-8")
    console.print(shown.text(f"wrote {target}: review it, then opdesk contracts load {target}"), highlight=False)


def _target_file(text: str) -> Path:
    path = Path(text.strip()).expanduser()
    if not text.strip() or path.is_dir() or not path.parent.is_dir():
        raise typer.BadParameter(f"{text.strip()!r}: give a file name in a folder that exists")
    return path


def _number(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        fail(f"{what}: expected a number, got {text!r}")
    if not value.is_finite():
        fail(f"{what}: expected a number, got {text!r}")
    return value


def _pair(text: str, option: str) -> tuple[str, Decimal]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        fail(f"{option}: expected KEY=NUMBER, got {text!r}")
    return key.strip(), _number(value, f"{option} {key.strip()}")


def _season(text: str) -> Season:
    parts = text.split(":")
    if len(parts) != 4:
        fail(f"--season: expected NAME:FROM:TO:PP_DBL, got {text!r}")
    name, first, last, price = parts
    return Season(
        name,
        parse_date(first, f"--season {name}"),
        parse_date(last, f"--season {name}"),
        _number(price, f"--season {name}"),
    )


def _sales(text: str) -> SalesPeriod:
    parts = text.split(":")
    if len(parts) not in (3, 4):
        fail(f"--sales: expected FROM:TO:RATE_TYPE[:EB%], got {text!r}")
    percent = _number(parts[3].rstrip("%"), f"--sales {parts[2]}") if len(parts) == 4 else Decimal(0)
    return SalesPeriod(parse_date(parts[0], "--sales"), parse_date(parts[1], "--sales"), parts[2], percent)
