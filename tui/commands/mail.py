"""The mail channel: `opdesk mail test`, `opdesk mail profiles`, `opdesk mail scan`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer
from rich.table import Table

from tui import cli_common, shown
from tui.cli_common import EXIT_REFUSED, console, fail, print_json

mail_app = typer.Typer(
    help="Booking mail: try parsing profiles on a mail, list them, read the mailboxes.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add the `mail` commands to `app`."""
    app.add_typer(mail_app, name="mail")


def _profiles() -> dict[str, Any]:
    from connectors.mail.connector import profile_dirs
    from connectors.mail.profiles import ProfileError, load_profiles

    cfg = cli_common.config()
    dirs: list[Path] = profile_dirs(None, cfg)
    for op in cfg.operators:
        if op.kind == "mail":
            dirs += [d for d in profile_dirs(op, cfg) if d not in dirs]
    try:
        return load_profiles(dirs)
    except ProfileError as exc:
        fail(str(exc))


def _profile(name_or_path: str):
    from connectors.mail.profiles import ProfileError, load_profile

    path = Path(name_or_path)
    if path.suffix == ".toml":
        if not path.is_file():
            fail(f"{path}: profile file not found")
        try:
            return load_profile(path)
        except ProfileError as exc:
            fail(str(exc))
    profiles = _profiles()
    if name_or_path not in profiles:
        fail(
            f"no mail profile {name_or_path!r} (known: {', '.join(sorted(profiles))}); "
            "give a profile name or a .toml file"
        )
    return profiles[name_or_path]


@mail_app.command("test")
def test_command(
    profile: str = typer.Argument(..., help="Profile name (see: opdesk mail profiles) or a profile .toml file."),
    mail_file: Path = typer.Argument(..., metavar="FILE.eml", help="A mail saved as .eml."),
    as_json: bool = typer.Option(False, "--json", help="Print what was extracted as JSON."),
) -> None:
    """Print what a profile extracts from a mail: for people writing profiles."""
    from connectors.mail.extract import read_mail
    from core.models import ParseError, plain

    chosen = _profile(profile)
    try:
        mail = read_mail(mail_file.read_bytes())
    except OSError as exc:
        fail(f"{mail_file}: cannot read: {exc.strerror}")
    matches = chosen.matches(mail.sender, mail.subject)
    try:
        bookings = chosen.read(mail)
    except ParseError as exc:
        if as_json:
            print_json({"profile": chosen.name, "matches": matches, "error": str(exc), "field": exc.field})
        else:
            _print_match(chosen, mail, matches)
            cli_common.err_console.print(f"[bold red]error:[/] {shown.markup(exc)}", highlight=False)
        raise typer.Exit(EXIT_REFUSED) from None
    if as_json:
        print_json(
            {
                "profile": chosen.name,
                "operator": chosen.operator,
                "matches": matches,
                "bookings": [_booking_dict(plain(b)) for b in bookings],
            }
        )
        return
    _print_match(chosen, mail, matches)
    for booking in bookings:
        _print_booking(plain(booking))


def _booking_dict(values: dict[str, Any]) -> dict[str, Any]:
    values["documents"] = [
        {"name": d["name"], "content_type": d["content_type"], "size": len(d["body"])}
        for d in values.get("documents", [])
    ]
    return values


def _print_match(profile, mail, matches: bool) -> None:
    console.print(
        f"profile [bold]{shown.markup(profile.name)}[/] (operator {shown.markup(profile.operator)}, "
        f"reads {shown.markup(profile.source)})",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"mail from {shown.markup(mail.sender)}: {shown.markup(mail.subject)}", highlight=False, soft_wrap=True
    )
    if not matches:
        console.print(
            "[yellow]note:[/] the profile's From/Subject patterns do not match this mail, "
            "so a scan would not pick this profile for it",
            highlight=False,
            soft_wrap=True,
        )


def _print_booking(values: dict[str, Any]) -> None:
    console.print(
        f"[bold]{shown.markup(values['voucher'])}[/] ({shown.markup(values['content'])})",
        highlight=False,
        soft_wrap=True,
    )
    table = Table(show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, value in values.items():
        if key in ("guests", "documents", "voucher", "content") or value in ("", [], {}, None):
            continue
        table.add_row(key, shown.text(value))
    for i, g in enumerate(values.get("guests", []), start=1):
        age = f" ({g['age']})" if g.get("age") is not None else ""
        table.add_row(f"guest {i}", shown.text(f"{g['last_name']}, {g['first_name']}{age}"))
    for doc in values.get("documents", []):
        table.add_row("document", shown.text(f"{doc['name']} ({doc['content_type']}, {len(doc['body'])} bytes)"))
    console.print(table)


@mail_app.command("profiles")
def profiles_command(as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """List the parsing profiles: built-in ones and the user's (profiles_dir)."""
    from connectors.mail.profiles import BUILTIN_DIR

    rows = [
        {
            "name": p.name,
            "operator": p.operator,
            "title": p.title,
            "source": p.source,
            "from": [s.pattern for s in p.senders],
            "subject": [s.pattern for s in p.subjects],
            "builtin": p.path is not None and p.path.parent == BUILTIN_DIR,
            "path": str(p.path or ""),
        }
        for p in _profiles().values()
    ]
    if as_json:
        print_json(rows)
        return
    table = Table("name", "operator", "reads", "from", "file")
    for r in rows:
        table.add_row(
            *shown.cells(
                r["name"], r["operator"], r["source"], " | ".join(r["from"]), "built-in" if r["builtin"] else r["path"]
            )
        )
    console.print(table)


@mail_app.command("scan")
def scan_command(
    operator: Optional[str] = typer.Argument(None, help="A mail operator (default: every one with a mailbox)."),
    as_json: bool = typer.Option(False, "--json", help="Print the outcome as JSON."),
) -> None:
    """Read the mailboxes now: new mail into the inbox, handled mail filed away."""
    from connectors.mail.connector import scan_mailbox
    from core.errors import ConfigError

    cfg = cli_common.config()
    names = (
        [operator]
        if operator
        else [o.name for o in cfg.operators if o.kind == "mail" and o.enabled and o.settings.get("host")]
    )
    if not names:
        fail("no mail operator with a mailbox in the config (see docs/config-mail.toml)")
    store = cli_common.open_store()
    outcomes = []
    try:
        for name in names:
            try:
                outcomes.append(scan_mailbox(store, cfg, name))
            except ConfigError as exc:
                fail(str(exc))
    finally:
        store.close()
    rows = [
        {
            "operator": s.operator,
            "total": s.total,
            "new": s.new,
            "changed": s.changed,
            "cancelled": s.cancelled,
            "errors": s.errors,
            "error": s.error,
            "quarantined": sum(r.quarantined for r in s.results),
            "again": sum(not r.ok and r.again for r in s.results),
        }
        for s in outcomes
    ]
    if as_json:
        print_json(rows)
    else:
        for r in rows:
            line = (
                f"{r['operator']}: {r['total']} mails, {r['new']} new, {r['changed']} changed, "
                f"{r['cancelled']} cancelled, {r['errors']} to read by hand"
            )
            console.print(
                shown.markup(line) + (f" [red]error: {shown.markup(r['error'])}[/]" if r["error"] else ""),
                highlight=False,
            )
    if any(r["error"] or r["quarantined"] for r in rows):
        raise typer.Exit(EXIT_REFUSED)
