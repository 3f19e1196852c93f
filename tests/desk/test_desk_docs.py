"""Docs that speak of the demo say what the demo does."""

from __future__ import annotations

import re
from pathlib import Path

from core import demo

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_operators_doc_names_the_codes_the_demo_leaves_unmapped():
    text = " ".join((DOCS / "operators.md").read_text().split())
    sentence = re.search(r"maps them to the demo hotel except (.+?), left out so the demo shows missing", text)
    assert sentence, "docs/operators.md no longer says which demo codes are left unmapped"
    named = re.findall(r"(\w+) (room|board|rate|market|agency) `([^`]+)`", sentence.group(1))
    titles = {op.name: op.title.split()[0] for op in demo.OPERATORS}
    left_out = {(titles[op.name], kind, code) for op in demo.OPERATORS for kind, code in op.unmapped}
    assert set(named) == left_out
