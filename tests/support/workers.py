"""Functions a test hands to a worker process: importable there by name, however pytest was started."""

from __future__ import annotations

import sys


def main_module_loaded() -> bool:
    """Whether this worker process ran the main module of the program that started it."""
    return getattr(sys.modules.get("__mp_main__"), "__file__", None) is not None
