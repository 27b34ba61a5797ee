"""JSON Schema export of the wire contract, for gateways and tools not written in Python."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contracts.commands import COMMAND_ADAPTER
from contracts.events import EVENT_ADAPTER, CommandAck


def json_schemas() -> dict[str, dict[str, Any]]:
    """Schema name -> JSON Schema (draft 2020-12)."""
    return {
        "event": EVENT_ADAPTER.json_schema(),
        "command": COMMAND_ADAPTER.json_schema(),
        "command_ack": CommandAck.model_json_schema(),
    }


def write_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in json_schemas().items():
        path = directory / f"{name}.schema.json"
        path.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written
