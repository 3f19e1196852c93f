"""Documents that came with a booking (a PDF voucher) can be read from the CLI and the app."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from typer.testing import CliRunner

from core.config import load_config
from tui.cli import app

EML = Path(__file__).resolve().parents[1] / "fixtures" / "mail" / "w2m_new.eml"


def _desk(tmp_path: Path) -> Path:
    cfg = tmp_path / "opdesk.toml"
    cfg.write_text('[store]\npath = "opdesk.db"\n')
    result = CliRunner().invoke(app, ["--config", str(cfg), "ingest", "--operator", "w2m", str(EML)])
    assert result.exit_code == 0, result.output
    return cfg


def test_the_pdf_voucher_text_is_printed(tmp_path):
    cfg = _desk(tmp_path)
    out = CliRunner().invoke(app, ["--config", str(cfg), "documents", "1", "--text", "--json"])
    [doc] = json.loads(out.output)
    assert doc["name"].endswith(".pdf") and doc["content_type"] == "application/pdf"
    assert Path(doc["path"]).is_file() and Path(doc["path"]).read_bytes().startswith(b"%PDF")
    assert "Booking number: 7781234" in doc["text"] and "Wiśniewska" in doc["text"]
    missing = CliRunner().invoke(app, ["--config", str(cfg), "documents", "99"])
    assert missing.exit_code == 2 and "no operator reservation #99" in missing.output


def test_the_detail_screen_opens_the_documents(tmp_path):
    from textual.widgets import TextArea

    from tui.app import OpdeskApp
    from tui.screens.detail import DetailScreen
    from tui.screens.documents import DocumentsScreen

    config = load_config(_desk(tmp_path))

    async def drive() -> str:
        opdesk = OpdeskApp(config)
        async with opdesk.run_test(size=(80, 24)) as pilot:
            opdesk.push_screen(DetailScreen(1))
            await pilot.pause()
            await pilot.press("o")
            await pilot.pause()
            assert isinstance(opdesk.screen, DocumentsScreen)
            return opdesk.screen.query_one(TextArea).text

    text = asyncio.run(drive())
    assert "voucher_7781234.pdf" in text and "Booking number: 7781234" in text
