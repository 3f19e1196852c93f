"""Messages by hand: `opdesk ingest` files an operator sent, `opdesk raw list|show|retry`."""

from __future__ import annotations

import sys
from collections import deque
from pathlib import Path
from typing import Any, Iterator, Optional

import typer
from rich.table import Table

from connectors.base import connector_for
from connectors.detect import parser_for
from core.inbox import raw_messages, raw_row
from core.ingest import Ingestor
from core.models import RawMessage
from tui import shown
from tui.cli_common import EXIT_OK, EXIT_REFUSED, cli_actor, config, console, fail, open_store, print_json

raw_app = typer.Typer(
    help="Raw messages as they arrived: list those that failed, show one, parse again.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add this area's commands to `app`."""
    app.command("ingest")(ingest_cmd)
    app.add_typer(raw_app, name="raw")


INGEST_BATCH = 200  # files stored per transaction by `opdesk ingest`


def ingest_cmd(
    files: list[Path] = typer.Argument(..., metavar="FILE...", exists=False),
    operator: str = typer.Option(..., "--operator", "-o", help="Who sent the files (need not be configured)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Put files an operator sent (OTA XML, JSON, .eml) through the pipeline by hand."""
    store, cfg = open_store(), config()
    if len(files) > INGEST_BATCH:
        store.checkpoint_in_background()  # a bulk load: the writer never stops to checkpoint
    ingestor = Ingestor(store, cfg, cli_actor())
    parse_any = parser_for(cfg)
    results: list[dict[str, Any]] = []
    bad = 0
    chunks: deque[tuple[list[Path], list[dict[str, Any]]]] = deque()  # files read, files that could not be

    def batches() -> Iterator[list[tuple[RawMessage, Any]]]:
        for first in range(0, len(files), INGEST_BATCH):
            raws, readable, unreadable = [], [], []
            for path in files[first : first + INGEST_BATCH]:
                try:
                    raws.append(
                        RawMessage(
                            body=path.read_bytes(),
                            operator=operator,
                            channel="manual",
                            source_ref=str(path),
                            filename=path.name,
                        )
                    )
                    readable.append(path)
                except OSError as exc:  # nothing to keep: say so, and go on with the other files
                    unreadable.append(_unreadable(path, exc))
            chunks.append((readable, unreadable))
            yield [(raw, parse_any) for raw in raws]

    # Many files: a writer process stores each batch while the next is read (Ingestor.ingest_stream).
    for stored in ingestor.ingest_stream(batches()):
        readable, unreadable = chunks.popleft()
        results += unreadable
        bad += len(unreadable) + sum(result.quarantined for result in stored)
        for path, result in zip(readable, stored):
            results.append(
                {
                    "file": str(path),
                    "raw_id": result.raw_id,
                    "duplicate": result.duplicate,
                    "state": str(result.state),
                    "error": result.error,
                    "new": result.new,
                    "changed": result.changed,
                    "cancelled": result.cancelled,
                    "unchanged": result.unchanged,
                    "reservation_ids": result.reservation_ids,
                    "again": result.again,
                }
            )
    if as_json:
        print_json(results)
    else:
        for r in results:
            if r["error"] and r["state"] not in ("parsed",):
                console.print(
                    f"[red]✗[/] {shown.markup(r['file'])}: {r['state']}: {shown.markup(r['error'])} "
                    f"(raw #{r['raw_id']})",
                    highlight=False,
                )
            else:
                what = (
                    "already stored"
                    if r["duplicate"]
                    else (
                        f"{r['new']} new, {r['changed']} changed, {r['cancelled']} cancelled, "
                        f"{r['unchanged']} unchanged"
                    )
                )
                console.print(f"[green]✓[/] {shown.markup(r['file'])}: {what}", highlight=False)
    raise typer.Exit(EXIT_REFUSED if bad else EXIT_OK)


def _unreadable(path: Path, exc: OSError) -> dict[str, Any]:
    return {
        "file": str(path),
        "raw_id": None,
        "duplicate": False,
        "state": "unreadable",
        "error": f"cannot read: {exc.strerror}",
        "new": 0,
        "changed": 0,
        "cancelled": 0,
        "unchanged": 0,
        "reservation_ids": [],
        "again": False,
    }


@raw_app.command("list")
def raw_list(
    state: list[str] = typer.Option(
        ["failed", "unparsed"], "--state", help="failed, unparsed, ignored, parsed (repeat for several)."
    ),
    operator: Optional[str] = typer.Option(None, "--operator", "-o"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Raw messages in these states (default: the ones a person must look at)."""
    rows = raw_messages(open_store(), tuple(state), operator=operator)
    if as_json:
        print_json(rows)
        return
    table = Table("id", "operator", "received", "file", "state", "error", box=None)
    for r in rows:
        table.add_row(
            *shown.cells(
                r["id"], r["operator"], r["received_at"][:16], r["filename"], r["parse_state"], r["parse_error"][:80]
            )
        )
    console.print(table)


RAW_FIELDS = (
    "id",
    "operator",
    "channel",
    "received_at",
    "filename",
    "source_ref",
    "size",
    "sha256",
    "parse_state",
    "parse_error",
    "attempts",
)


@raw_app.command("show")
def raw_show(
    raw_id: int = typer.Argument(..., metavar="ID"),
    body: bool = typer.Option(False, "--body", help="Print the message's text, controls shown as symbols."),
    raw_bytes: bool = typer.Option(
        False, "--bytes", help="Write the exact bytes as they arrived (redirect to a file)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (with --body: the body as text too)."),
) -> None:
    """One raw message: where it came from, its state and error (and body with --body or --bytes)."""
    row = raw_row(open_store(), raw_id)
    if row is None:
        fail(f"no raw message #{raw_id}")
    if as_json:
        shape = {k: row[k] for k in RAW_FIELDS}
        shape["text_preview"] = row["text_preview"]
        if body:
            shape["body"] = bytes(row["body"]).decode("utf-8", errors="replace")
        print_json(shape)
        return
    if raw_bytes:
        if sys.stdout.isatty():
            fail(
                f"--bytes writes what the operator sent, control characters and all: redirect it, "
                f"e.g. opdesk raw show {raw_id} --bytes > message.bin"
            )
        sys.stdout.flush()
        sys.stdout.buffer.write(bytes(row["body"]))
        sys.stdout.buffer.flush()
        return
    if body:
        console.print(shown.text(bytes(row["body"]).decode("utf-8", errors="replace"), lines=True), highlight=False)
        return
    for key in RAW_FIELDS:
        console.print(f"{key:12} {shown.markup(row[key])}", highlight=False)
    if row["text_preview"]:
        console.print(shown.text(row["text_preview"][:3000], lines=True), highlight=False)


@raw_app.command("retry")
def raw_retry(
    raw_ids: Optional[list[int]] = typer.Argument(None, metavar="[ID...]"),
    failed: bool = typer.Option(False, "--failed", help="Every failed and unparsed message."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: one entry per message."),
) -> None:
    """Parse stored raw messages again (after a parser or profile was fixed)."""
    store, cfg = open_store(), config()
    parse_any = parser_for(cfg)
    if failed:
        raw_ids = [r["id"] for r in raw_messages(store, ("failed", "unparsed"), limit=1_000_000)]
    if not raw_ids:
        fail("give raw message IDs or --failed")
    ingestor = Ingestor(store, cfg, cli_actor())
    still_bad = 0
    done = []
    for rid in raw_ids:
        row = raw_row(store, rid)
        if row is None:
            fail(f"no raw message #{rid}")
        op = cfg.operator(row["operator"])
        parse = connector_for(op, cfg).parse if op and row["channel"] == op.kind else parse_any
        result = ingestor.reprocess(rid, parse)
        still_bad += not result.ok
        done.append(
            {"id": rid, "state": str(result.state), "error": result.error, "reservation_ids": result.reservation_ids}
        )
        if not as_json:
            console.print(
                f"#{rid}: {result.state}"
                + (f": {shown.markup(result.error)}" if result.error else f", {len(result.reservation_ids)} row(s)"),
                highlight=False,
            )
    if as_json:
        print_json(done)
    raise typer.Exit(EXIT_REFUSED if still_bad else EXIT_OK)
