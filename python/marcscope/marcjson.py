"""MARC-in-JSON: reading through the engine's JSON reader."""

from __future__ import annotations

import json
from typing import Any

from .reader import JSONReader

__all__ = ["JSONHandler", "parse_json_to_array"]


class JSONHandler:
    """pymarc's handler of MARC-in-JSON objects already parsed: ``elements(dicts)`` makes a
    Record of each (through the engine's reader) and calls ``process_record(record)``, which a
    subclass may override (the default keeps them in ``records``)."""

    def __init__(self) -> None:
        self.records: list = []

    def element(self, element_dict: dict, name: Any = None) -> None:
        """One record's object: made a Record and handed to ``process_record``."""
        for record in JSONReader(json.dumps(element_dict).encode("utf-8")):
            self.process_record(record)

    def elements(self, dict_list: Any) -> list:
        """Each object of `dict_list` (a list, or one object) through ``element``; returns ``records``."""
        if type(dict_list) is not list:
            dict_list = [dict_list]
        for rec in dict_list:
            self.element(rec)
        return self.records

    def process_record(self, record: Any) -> None:
        """Keeps `record` in ``records``."""
        self.records.append(record)


def parse_json_to_array(json_file: Any) -> list:
    """Every record of a MARC-in-JSON document (a path, JSON text, bytes or a file object)."""
    return list(JSONReader(json_file))
