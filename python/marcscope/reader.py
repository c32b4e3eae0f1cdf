"""Readers: pymarc's MARCReader, JSONReader and MARCMakerReader, and ``marcscope.read``.

Every reader here reads through the engine (``marcscope._core.Reader``): ISO 2709, MARCXML,
MARC-in-JSON and MARCMaker text, from a path (read natively, the GIL released), bytes, or any
binary file object (read in 1 MiB chunks, decoded with the GIL released).
"""

from __future__ import annotations

import abc
import io
import os
import re
from typing import Any, Callable, Optional, Union

from . import _core
from .exceptions import (
    EXCEPTION_FOR_CODE,
    FATAL_CODES,
    BaseAddressInvalid,
    BaseAddressNotFound,
    NotMarcError,
    PymarcException,
    RecordInvalid,
    RecordLeaderInvalid,
)
from .record import Record

__all__ = ["Reader", "MARCReader", "JSONReader", "MARCMakerReader", "map_records", "read", "decode_one"]

_UTF8_HANDLING = ("strict", "replace", "ignore")


class Reader(abc.ABC):
    """Base of every iterating reader (pymarc's ``pymarc.Reader``)."""

    def __iter__(self):
        return self


def _source_kind(target: Any) -> tuple[Any, str]:
    if isinstance(target, (bytes, bytearray, memoryview)):
        return bytes(target), "bytes"
    if isinstance(target, (str, os.PathLike)):
        return os.fspath(target), "path"
    if hasattr(target, "readinto") or hasattr(target, "read"):
        return target, "file"
    raise TypeError(f"a reader reads a path, bytes or a binary file object, not {type(target).__name__}")


def _utf8_error(chunk: bytes, start: Optional[int], diagnostics: list) -> UnicodeDecodeError:
    """The UnicodeDecodeError Python's codec raises for the first bad sequence of `chunk` (the
    record's bytes; pymarc's names the value's bytes instead), found at `start`. The value ends
    at the next delimiter or terminator, so a sequence cut there is "unexpected end of data"."""
    if start is not None and 0 <= start < len(chunk):
        stop = min((i for i in (chunk.find(b, start) for b in b"\x1d\x1e\x1f") if i >= 0), default=len(chunk))
        try:
            chunk[start:stop].decode("utf-8")
        except UnicodeDecodeError as e:
            if e.start == 0:
                return UnicodeDecodeError("utf-8", chunk, start, start + e.end, e.reason)
    first = next((d for d in diagnostics if d.code == "invalid-utf8"), None)
    return UnicodeDecodeError("utf-8", chunk, 0, len(chunk), first.message if first else "invalid UTF-8")


def _exception_from(bad: Optional[tuple]) -> Optional[Exception]:
    if bad is None:
        return None
    kind, chunk, diagnostics, message, extra = bad
    if kind == "utf8":
        exc = _utf8_error(chunk, extra, diagnostics)
    elif kind == "codec":
        exc = extra
    elif kind == "not-marc":
        exc = NotMarcError(message)
    else:
        cls = RecordInvalid
        for d in diagnostics:
            if d.severity in ("error", "fatal") and d.code in EXCEPTION_FOR_CODE:
                cls = EXCEPTION_FOR_CODE[d.code]
                break
        if cls is BaseAddressInvalid and isinstance(chunk, bytes) and chunk[12:17] == b"00000":
            # pymarc's taxonomy: a base address of zero is "not found" rather than "invalid" (the
            # engine's diagnostic, base-address-mismatch, says data cannot start at byte 0).
            cls = BaseAddressNotFound
        exc = cls()
    exc.diagnostics = diagnostics  # type: ignore[attr-defined]
    return exc


class MARCReader(_core.Reader):
    """Reads MARC records: ``for record in MARCReader(open('file.mrc', 'rb')): ...``.

    ``marc_target`` is a binary file object (read in large chunks), bytes, or - beyond pymarc - a
    path (``str`` or ``os.PathLike``), which the engine reads itself, memory-mapped or gunzipped,
    with the GIL released, parsing ahead on the process's worker threads.

    pymarc's behaviour on bad records is kept: a record that cannot be read is handed over as
    ``None`` with ``current_exception`` (one of pymarc's exceptions, with ``.diagnostics``) and
    ``current_chunk`` (its bytes) set; after a fatal reader error (``FatalReaderError``) the
    iteration ends. Giving ``mode`` ("strict", "permissive" or "recover") reads on past bad
    records as that mode says instead (the engine's modes; nothing is skipped without a
    diagnostic in ``reader.diagnostics``).

    Beyond pymarc: ``threads`` (None: the process's shared pool; 1: everything on the calling
    thread), ``format`` (detected when None: "marc", "marcxml", "json", "ndjson", "mrk"),
    ``chunk_size`` for file objects, ``read_batch(n)``, ``diagnostics``, ``records_seen``.
    """

    def __init__(
        self,
        marc_target: Union[bytes, str, os.PathLike, Any],
        to_unicode: bool = True,
        force_utf8: bool = False,
        hide_utf8_warnings: bool = False,
        utf8_handling: str = "strict",
        file_encoding: str = "iso8859-1",
        permissive: bool = False,
        *,
        mode: Optional[str] = None,
        threads: Optional[int] = None,
        format: Optional[str] = None,
        chunk_size: int = 1 << 20,
        _yield_bad: bool = True,
    ) -> None:
        if utf8_handling not in _UTF8_HANDLING:
            raise ValueError(f"utf8_handling must be one of {_UTF8_HANDLING}")
        source, kind = _source_kind(marc_target)
        self.to_unicode = to_unicode
        self.force_utf8 = force_utf8
        self.hide_utf8_warnings = hide_utf8_warnings
        self.utf8_handling = utf8_handling
        self.file_encoding = file_encoding
        self.permissive = permissive
        self.file_handle = source if kind == "file" else None
        super().__init__(
            source,
            kind,
            to_unicode=to_unicode,
            force_utf8=force_utf8,
            utf8_handling=utf8_handling,
            # pymarc: exactly "iso8859-1" means MARC-8; any other name is a Python codec that
            # decodes the records not declared UTF-8 (an unknown name: each such record is None
            # with a LookupError, as in pymarc).
            file_encoding="" if file_encoding == "iso8859-1" else file_encoding,
            yield_bad=_yield_bad,
            fatal_codes=FATAL_CODES if mode is None else [],
            mode=mode or "permissive",
            threads=threads,
            format=format,
            chunk_size=chunk_size,
        )

    @property
    def current_exception(self) -> Optional[Exception]:
        """Why the last record handed over was None (None after a good record)."""
        return _exception_from(self._bad())

    @property
    def current_chunk(self) -> Optional[bytes]:
        """The bytes of the last record handed over (ISO 2709 input), good or bad."""
        return self._chunk()

    def close(self) -> None:
        """Stops reading and closes the file object it was given (as pymarc does)."""
        super().close()
        if self.file_handle is not None:
            self.file_handle.close()

    def __enter__(self) -> "MARCReader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


Reader.register(MARCReader)
_core._fast_iteration(MARCReader)


def read(
    source: Union[str, os.PathLike, bytes, Any],
    *,
    threads: Optional[int] = None,
    mode: str = "permissive",
    to_unicode: bool = True,
    force_utf8: bool = False,
    format: Optional[str] = None,
) -> MARCReader:
    """Every good record of `source`, parsed ahead on the process's worker threads while Python
    consumes them, in file order; memory is bounded by the read-ahead, not the file size.

    Bad records are not handed over (no ``None``): each is named, with its record number, byte
    offset and code, in ``reader.diagnostics``, and counted in ``reader.records_skipped``.
    ``threads``: None for the shared pool (every core), or a number of threads for this read.
    """
    return MARCReader(
        source,
        to_unicode=to_unicode,
        force_utf8=force_utf8,
        utf8_handling="replace",
        mode=mode,
        threads=threads,
        format=format,
        _yield_bad=False,
    )


def decode_one(data: bytes, *, to_unicode: bool = True, force_utf8: bool = False, utf8_handling: str = "strict",
               file_encoding: str = "iso8859-1") -> Record:
    """One ISO 2709 record from its bytes (pymarc's ``Record(data=...)``): raises pymarc's exception
    for a record that cannot be read."""
    reader = MARCReader(bytes(data), to_unicode=to_unicode, force_utf8=force_utf8, utf8_handling=utf8_handling,
                        file_encoding=file_encoding, threads=1, format="marc")
    for record in reader:
        if record is None:
            exc = reader.current_exception
            raise exc if exc is not None else RecordInvalid()
        return record
    if len(data) < 24:
        # Fewer bytes than a leader holds, and no record in them: pymarc's RecordLeaderInvalid.
        exc = RecordLeaderInvalid()
        exc.diagnostics = reader.diagnostics
        raise exc
    exc = NotMarcError("no record in the data given")
    exc.diagnostics = reader.diagnostics
    raise exc


def map_records(f: Callable[[Record], Any], *files: Any) -> None:
    """Calls `f` on every record of every file (pymarc's map_records)."""
    for file in files:
        list(map(f, MARCReader(file)))


def _text_source(target: Any, encoding: str) -> tuple[Any, str]:
    """Paths stay paths; text (str) that is not a path, and text files, become bytes."""
    if isinstance(target, (bytes, bytearray)):
        return bytes(target), "bytes"
    if isinstance(target, os.PathLike) or (isinstance(target, str) and os.path.exists(target)):
        return os.fspath(target), "path"
    if isinstance(target, str):
        return target.encode(encoding), "bytes"
    if isinstance(target, io.TextIOBase):
        return target.read().encode(encoding), "bytes"
    if hasattr(target, "read"):
        return target, "file"
    raise TypeError(f"cannot read records from {type(target).__name__}")


class _Locator:
    """Where an XML syntax error is, for xml.sax.SAXParseException."""

    def __init__(self, line: Optional[int], column: Optional[int], name: Optional[str]) -> None:
        self._line, self._column, self._name = line, column, name

    def getLineNumber(self) -> Optional[int]:
        return self._line

    def getColumnNumber(self) -> Optional[int]:
        return self._column

    def getSystemId(self) -> Optional[str]:
        return self._name

    def getPublicId(self) -> None:
        return None


def _syntax_error(diagnostics: list, name: Optional[str] = None) -> Optional[Exception]:
    """The exception pymarc's parsers raise for the first syntax error among `diagnostics`, else
    None: a document that is not well formed raises (after the records before the error) rather
    than passing for a shorter one. MARCXML: xml.sax.SAXParseException; MARC-in-JSON:
    json.JSONDecodeError; MARCMaker: PymarcException."""
    for d in diagnostics:
        if d.severity not in ("error", "fatal"):
            continue
        where = re.search(r"line (\d+), column (\d+)", d.message)
        line, column = (int(where.group(1)), int(where.group(2))) if where else (None, None)
        if d.code == "xml-syntax-error":
            import xml.sax

            exc: Exception = xml.sax.SAXParseException(d.message, None, _Locator(line, column, name))
        elif d.code == "json-syntax-error":
            import json

            # Made without its __init__, which would word a position in a document it has not.
            exc = json.JSONDecodeError.__new__(json.JSONDecodeError)
            ValueError.__init__(exc, d.message)
            exc.msg, exc.doc, exc.pos, exc.lineno, exc.colno = d.message, "", d.offset, line or 1, column or 1
        elif d.code == "mrk-syntax-error":
            exc = PymarcException(d.message)
        else:
            continue
        exc.diagnostics = diagnostics  # type: ignore[attr-defined]
        return exc
    return None


def _records_or_syntax_error(reader: "MARCReader", name: Optional[str] = None):
    """The records `reader` gives, then the syntax error its input had, if any, raised."""
    yield from reader
    exc = _syntax_error(reader.diagnostics, name)
    if exc is not None:
        raise exc


class _FormatReader(Reader):
    """Records of one text format, read by the engine; a document that is not well formed raises
    (pymarc's parser's exception) once the records before the error are read."""

    _format = ""

    def __init__(self, target: Any, encoding: str = "utf-8") -> None:
        source, _ = _text_source(target, encoding)
        self.encoding = encoding
        self._reader = MARCReader(source, format=self._format, mode="permissive", _yield_bad=False)
        self._records = _records_or_syntax_error(self._reader, source if isinstance(source, str) else None)

    def __next__(self) -> Record:
        return next(self._records)

    @property
    def diagnostics(self) -> list:
        return self._reader.diagnostics


class JSONReader(_FormatReader):
    """MARC-in-JSON (an array of records, one object, or one object per line)."""

    _format = "json"

    def __init__(self, marc_target: Union[bytes, str, Any], encoding: str = "utf-8", stream: bool = False) -> None:
        super().__init__(marc_target, encoding)


class MARCMakerReader(_FormatReader):
    """MARCMaker text (``=LDR  ...``, ``=245  10$a...``), records separated by a blank line."""

    _format = "mrk"

