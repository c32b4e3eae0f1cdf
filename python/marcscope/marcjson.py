"""MARC-in-JSON: reading through the engine's JSON reader."""

from __future__ import annotations

from typing import Any

from .reader import JSONReader

__all__ = ["parse_json_to_array"]


def parse_json_to_array(json_file: Any) -> list:
    """Every record of a MARC-in-JSON document (a path, JSON text, bytes or a file object)."""
    return list(JSONReader(json_file))
