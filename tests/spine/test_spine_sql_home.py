"""SQL lives in core/: the app, the CLI and the connectors ask core's functions and hold no SQL text."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b", re.IGNORECASE | re.DOTALL
)


def _strings(path: Path) -> list[tuple[int, str]]:
    """Every string constant of a module, with adjacent pieces of an implicit concatenation joined."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            found.append((node.lineno, text))
    return found


def test_no_sql_outside_core():
    offenders = []
    for package in ("tui", "connectors"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, text in _strings(path):
                if SQL.search(text):
                    offenders.append(f"{path.relative_to(ROOT)}:{line}: {text[:60]!r}")
    assert offenders == []
