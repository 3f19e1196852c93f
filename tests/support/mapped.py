"""Rows made confirmable: every code a scan's rows use mapped to itself, then checked again."""

from __future__ import annotations

import json

from core.config import Config
from core.ingest import recheck
from core.mapping import set_mapping
from core.store import Store


def map_everything(config: Config) -> None:
    """Map every code the latest rows miss to itself (or ANY when empty), so they can be saved and confirmed."""
    with Store(config.store_path) as store:
        for row in store.all("SELECT * FROM operator_reservations WHERE is_latest = 1"):
            for kind in json.loads(row["missing_mappings"]):
                set_mapping(store, row["operator"], kind, row[kind], row[kind] or "ANY")
        recheck(store, config)
