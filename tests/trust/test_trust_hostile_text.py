"""One hostile booking through ingest, then every command that prints it and every screen that shows it.

Every text field holds markup (``[/]``, ``[bold red]x``, ``[@click=app.quit]``),
terminal sequences (ESC[2J, an OSC 0 title, an OSC 8 link), a bidi override and
a long run of text. Nothing may crash, no ESC byte from the input may reach the
output, and the text must be shown literally.
"""

from __future__ import annotations

import html
import json
import re

import pytest
from support.desk import booking, drop, scan
from typer.testing import CliRunner

from core.config import Config
from core.models import Guest
from core.store import Store
from tui.cli import app

CLEAR = "\x1b[2J"
TITLE = "\x1b]0;owned\x07"
LINK = "\x1b]8;;http://evil.example/\x1b\\click me\x1b]8;;\x1b\\"
RTL = "\u202e"
LONG = "Z" * 10_000


def hostile(tag: str) -> str:
    return f"Hofer[/] [bold red]x {tag} [@click=app.quit] {CLEAR}{TITLE}{LINK} {RTL}gpj.exe"


runner = CliRunner()


def run(cfg: Config, *args: str):
    result = runner.invoke(app, ["--config", str(cfg.path), "--as", "night", *args], env={"COLUMNS": "400"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def assert_shown_as_text(output: str) -> None:
    assert "\x1b" not in output and "\u009b" not in output and RTL not in output
    assert "\u241b" in output  # ESC is shown as ␛
    assert "Hofer[/]" in output and "Hofer\\[/]" not in output  # literal, never an escaped form
    assert "[@click=app.quit]" in output


@pytest.fixture
def hostile_desk(desk: Config) -> tuple[Config, int]:
    b = booking(
        hostile("voucher")[:60] + "V1",
        room="DZ",
        notes=hostile("notes") + LONG,
        market=hostile("market"),
        source=hostile("source"),
        segment=hostile("segment"),
    )
    b.agency = hostile("agency")
    b.guests = [Guest(hostile("first"), hostile("last") + LONG, nationality=hostile("nat")), Guest("Ann", "Lee")]
    drop(desk, "hostile[bold]\x1b[2J.json", b)
    (desk.base_dir / "drop" / f"broken {CLEAR}[bold].json").write_bytes(b'{"voucher": "' + CLEAR.encode() + b'[/]"')
    scan(desk)
    with Store(desk.store_path, desk.documents_dir) as store:
        rid = int(store.one("SELECT id FROM operator_reservations")["id"])
    return desk, rid


def test_every_command_shows_hostile_text_as_text(hostile_desk):
    cfg, rid = hostile_desk
    with Store(cfg.store_path, cfg.documents_dir) as store:
        raw_failed = int(store.one("SELECT id FROM raw_messages WHERE parse_state = 'failed'")["id"])
    outputs = {}
    for args in (
        ["inbox"],
        ["inbox", "--status", "all"],
        ["show", str(rid)],
        ["raw", "list"],
        ["raw", "show", str(raw_failed)],
        ["raw", "show", str(raw_failed), "--body"],
        ["map", "missing"],
        ["map", "list"],
        ["audit"],
        ["audit", str(rid)],
        ["documents", str(rid)],
        ["report"],
        ["raw", "retry", str(raw_failed)],
    ):
        result = run(cfg, *args)
        assert result.exit_code in (0, 1), (args, result.output[-2000:])
        assert "\x1b" not in result.output and RTL not in result.output, args
        outputs[" ".join(args)] = result.output
    assert "Hofer[/]" in outputs["inbox"]  # cut to the column's width, but literal
    assert_shown_as_text(outputs[f"show {rid}"])
    assert "Hofer[/] [bold red]x notes" in outputs[f"show {rid}"]
    assert "broken ␛[2J[bold].json" in outputs[f"raw show {raw_failed}"]


def test_json_output_keeps_the_text_and_never_a_raw_control(hostile_desk):
    cfg, rid = hostile_desk
    result = run(cfg, "show", str(rid), "--json")
    assert result.exit_code == 0
    assert "\x1b" not in result.output and RTL not in result.output
    data = json.loads(result.output)
    assert data["notes"].startswith(hostile("notes"))  # the data itself is kept as sent
    assert data["guests"][0]["last_name"].startswith(hostile("last"))


def test_an_error_that_quotes_input_is_shown_as_text(desk: Config):
    result = run(desk, "show", "1", "--json")
    assert result.exit_code == 2
    result = run(desk, "inbox", "--since", "[/]\x1b[2J")
    assert result.exit_code == 2
    assert "\x1b" not in result.output and "[/]" in result.output


def screen_text(app_) -> str:
    svg = app_.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


async def test_every_screen_shows_hostile_text_as_text(hostile_desk):
    from core.audit import Actor
    from tui.app import OpdeskApp

    cfg, rid = hostile_desk
    shown: list[str] = []
    app_ = OpdeskApp(cfg, actor=Actor("night", "app"))
    notified: list[str] = []
    async with app_.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        # inbox, detail, documents, back; unparsed messages and one of them; status board; dashboard
        for key in ("i", "enter", "o", "back", "back", "u", "enter", "back", "b", "D"):
            if key == "back":
                if len(app_.screen_stack) > 1:
                    app_.pop_screen()
            else:
                await pilot.press(key)
            await app_.workers.wait_for_complete()
            await pilot.pause()
            shown.append(screen_text(app_))
            notified += [n.message for n in app_._notifications]
        assert app_.is_running  # [@click=app.quit] did not quit it
    everything = "\n".join(shown + notified)
    assert "\x1b" not in everything and RTL not in everything
    assert "␛[2J" in everything
    assert "Hofer[/]" in everything
