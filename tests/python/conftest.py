"""Shared fixtures for the Python module's tests.

The tests import the `marcscope` package found on PYTHONPATH (CTest points it at the build tree's
python/ folder; after `pip install .` the installed one is used). Expected values come from the
pair sets' twins (MARC-in-JSON, MARCXML, .mrk) read by tests/cli/marcmodel.py, an independent
Python parser that shares no code with the engine, or from pymarc's documented behaviour.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("MARCSCOPE_TEST_DATA", HERE.parent / "data"))
sys.path.insert(0, str(HERE.parent / "cli"))

import marcmodel  # noqa: E402


@pytest.fixture(scope="session")
def data() -> Path:
    return DATA


@pytest.fixture(scope="session")
def model():
    return marcmodel


def py_fields(record):
    """A marcscope Record as marcmodel fields, for comparison with an independent parse."""
    out = []
    for f in record.fields:
        if f.control_field:
            out.append(marcmodel.ControlField(f.tag, f.data))
        else:
            out.append(marcmodel.DataField(f.tag, f.indicator1, f.indicator2, tuple((s.code, s.value) for s in f.subfields)))
    return out
