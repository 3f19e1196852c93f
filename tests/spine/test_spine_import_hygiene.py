"""Imports run one way: core knows no UI and no operator I/O; connectors know no UI."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import connectors
import core


def _modules(package) -> list[str]:
    return [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]


def _loaded_after_import(modules: list[str]) -> set[str]:
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + "print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_core_imports_no_textual_httpx_or_imap():
    loaded = _loaded_after_import(_modules(core))
    assert not {m for m in loaded if m.split(".")[0] in {"textual", "httpx", "imap_tools", "tui", "connectors"}}


def test_connectors_import_no_textual():
    loaded = _loaded_after_import(_modules(connectors))
    assert not {m for m in loaded if m.split(".")[0] in {"textual", "tui"}}


def test_no_module_imports_itself_round_a_cycle():
    """Every import counts, also one inside a function: a cycle shows where a module's idea leaks."""
    import grimp

    graph = grimp.build_graph("core", "connectors", "tui")
    cycles = []
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if module < imported and graph.chain_exists(importer=imported, imported=module):
                back = graph.find_shortest_chain(importer=imported, imported=module)
                cycles.append(f"{module} -> {' -> '.join(back)}")
    assert cycles == []
