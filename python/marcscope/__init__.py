"""MarcScope for Python: pymarc's API on MarcScope's C++ engine.

``import marcscope as pymarc`` runs pymarc scripts unchanged; beyond pymarc:

- ``MARCReader("file.mrc")`` reads a path natively (memory-mapped or gunzipped, the GIL released,
  parsed ahead on every core); a file object is read in 1 MiB chunks and parsed with the GIL
  released; ``reader.read_batch(n)``;
- ``marcscope.read(path, threads=None)``: every good record, parsed ahead in parallel, bad ones
  named in ``reader.diagnostics``;
- ``marcscope.validate(path_or_records)``, ``marcscope.convert(src, dest, format)`` (both with an
  optional ``progress`` callback, and stopped by Ctrl-C), ``RecordWriter(target, format)`` for
  every format the engine writes;
- reading modes (``mode="strict" | "permissive" | "recover"``), MARCXML, MARC-in-JSON and
  MARCMaker text through the same reader, diagnostics with record number, byte offset and code.

Where pymarc has a quirk, it is kept; docs/PYTHON.md lists each one and every difference.
"""

from __future__ import annotations

import os as _os

from . import _core

# The validation rules and code lists ship inside the wheel; a build tree uses the source tree's.
_resources = _os.path.join(_os.path.dirname(__file__), "resources")
if _os.path.isdir(_os.path.join(_resources, "validation")) and not _os.environ.get("MARCSCOPE_RESOURCE_DIR"):
    _os.environ["MARCSCOPE_RESOURCE_DIR"] = _resources

from .constants import *  # noqa: E402,F401,F403
from .exceptions import *  # noqa: E402,F401,F403
from .exceptions import MarcIOError, NotMarcError  # noqa: E402
from .leader import Leader  # noqa: E402
from .field import Field, Indicators, RawField, Subfield, map_marc8_field  # noqa: E402
from .record import Record, map_marc8_record, normalize_subfield_code  # noqa: E402
from .diagnostics import Diagnostic, Finding, ValidationReport  # noqa: E402
from .progress import Progress  # noqa: E402

_core._register(Record, Field, RawField, Subfield, Indicators, Diagnostic, Finding)
_core._register_errors(NotMarcError, MarcIOError)

from .marc8 import MARC8ToUnicode, marc8_to_unicode  # noqa: E402
from .reader import JSONReader, MARCMakerReader, MARCReader, Reader, map_records, read  # noqa: E402
from .writer import JSONWriter, MARCWriter, RecordWriter, TextWriter, Writer, XMLWriter, convert  # noqa: E402
from .marcxml import (  # noqa: E402
    MARC_XML_NS,
    MARC_XML_SCHEMA,
    XSI_NS,
    XmlHandler,
    map_xml,
    parse_xml,
    parse_xml_to_array,
    record_to_xml,
    record_to_xml_node,
)
from .marcjson import JSONHandler, parse_json_to_array  # noqa: E402
from .validate import profiles as validation_profiles, validate  # noqa: E402

__version__: str = _core.__version__
