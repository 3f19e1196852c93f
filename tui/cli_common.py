"""What every CLI command shares: the config and store it works on, output, exits.

Exit status: 0 done, 1 refused or partly done, 2 bad input. User errors are
printed as one line on stderr, never as a traceback.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NoReturn, overload

import typer
from rich.console import Console

from core.audit import Actor
from core.config import Config, load_config
from core.errors import ConfigError, InvalidInput, NotFound, OpdeskError, StoreError
from core.models import plain
from core.redact import MaskingStream, mask_value
from core.shown import json_text
from core.store import Store
from core.store import open_store as open_configured_store
from tui import shown

EXIT_OK, EXIT_REFUSED, EXIT_BAD_INPUT = 0, 1, 2

# Everything the CLI prints passes core.redact: no secret reaches a terminal, a log or a pipe.
console = Console(file=MaskingStream(lambda: sys.stdout))  # type: ignore[arg-type]
err_console = Console(file=MaskingStream(lambda: sys.stderr), stderr=True)  # type: ignore[arg-type]


@dataclass
class CliState:
    config_path: str | None = None
    actor: str | None = None
    _config: Config | None = field(default=None, repr=False)


STATE = CliState()


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """One line on stderr and an exit status. The message is text: what it quotes from outside is never markup,
    and its control characters are shown, not sent to the terminal (tui/shown.py)."""
    err_console.print(f"[bold red]error:[/] {shown.markup(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def cli_actor() -> Actor:
    """Who the audit log names for this command: ``--as NAME``, else the OS user."""
    return Actor.current("cli", STATE.actor)


def exit_code(exc: OpdeskError) -> int:
    """The exit status an error stands for: bad input (2) for what the caller typed or wrote, else refused (1)."""
    return EXIT_BAD_INPUT if isinstance(exc, (NotFound, InvalidInput)) else EXIT_REFUSED


def fail_on(exc: OpdeskError) -> NoReturn:
    """Stop with the error's one line and the exit status its kind stands for."""
    fail(str(exc), exit_code(exc))


def config() -> Config:
    if STATE._config is None:
        try:
            STATE._config = load_config(STATE.config_path)
        except ConfigError as exc:
            fail(str(exc))
    return STATE._config


def check_staff(name: str) -> None:
    """``--as NAME`` is taken only for a name on ``[staff] names``, when the config has that list."""
    names = config().section("staff").get("names")
    if names is None:
        return
    if not isinstance(names, list):
        fail(f"{config().path}: staff.names must be a list of names")
    if name not in [str(n) for n in names]:
        fail(
            f"--as {name}: not a name on the staff list (staff.names in {config().path}); use one of: "
            f"{', '.join(str(n) for n in names)}",
            EXIT_REFUSED,
        )


def open_store() -> Store:
    cfg = config()
    try:
        return open_configured_store(cfg)
    except (StoreError, ConfigError) as exc:
        fail(str(exc))


@overload
def parse_date(value: str, option: str) -> date: ...
@overload
def parse_date(value: None, option: str) -> None: ...
@overload
def parse_date(value: str | None, option: str) -> date | None: ...
def parse_date(value: str | None, option: str) -> date | None:
    """A ``YYYY-MM-DD`` option's value, or a bad-input exit naming the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: not a date (YYYY-MM-DD): {value!r}")


def print_json(value: Any) -> None:
    sys.stdout.write(json_text(json.dumps(mask_value(plain(value)), ensure_ascii=False, indent=2, default=str)) + "\n")


def reset_state() -> None:
    """Forget the loaded config (tests run many commands in one process)."""
    STATE._config = None
