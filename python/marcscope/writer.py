"""Writers: pymarc's MARCWriter, TextWriter, JSONWriter and XMLWriter (pymarc's output, byte for
byte), and RecordWriter, the engine's writers for every format."""

from __future__ import annotations

import json
import os
from typing import IO, Any, Callable, Optional, Sequence, Union

from . import _core
from .exceptions import WriteNeedsRecord
from .progress import Progress, _adapt
from .record import Record

__all__ = ["Writer", "MARCWriter", "TextWriter", "JSONWriter", "XMLWriter", "RecordWriter", "convert"]


class Writer:
    """Base of pymarc's writers: ``write(record)``, then ``close()``."""

    def __init__(self, file_handle: IO) -> None:
        self.file_handle = file_handle

    def write(self, record: Record) -> None:
        if not isinstance(record, Record):
            raise WriteNeedsRecord

    def close(self, close_fh: bool = True) -> None:
        """Ends the output; closes the file handle too unless ``close_fh=False``."""
        if close_fh:
            self.file_handle.close()
        self.file_handle = None  # type: ignore[assignment]


class MARCWriter(Writer):
    """ISO 2709 (UTF-8) to a binary file."""

    def write(self, record: Record) -> None:
        Writer.write(self, record)
        self.file_handle.write(record.as_marc())


class TextWriter(Writer):
    """MARCMaker text (``str(record)``), records separated by a blank line, to a text file."""

    def __init__(self, file_handle: IO) -> None:
        super().__init__(file_handle)
        self.write_count = 0

    def write(self, record: Record) -> None:
        Writer.write(self, record)
        if self.write_count > 0:
            self.file_handle.write("\n")
        self.file_handle.write(str(record))
        self.write_count += 1


class JSONWriter(Writer):
    """A JSON array of records (MARC-in-JSON) to a text file; close() ends the array."""

    def __init__(self, file_handle: IO) -> None:
        super().__init__(file_handle)
        self.write_count = 0
        self.file_handle.write("[")

    def write(self, record: Record) -> None:
        Writer.write(self, record)
        if self.write_count > 0:
            self.file_handle.write(",")
        # The text json.dump() writes: made from the record's view while its fields are still the
        # engine's, else json.dumps() (the C encoder, where json.dump() is pure Python).
        text = _core._record_json(record, str(record.leader), True)
        if text is None:
            text = json.dumps(record.as_dict(), separators=(",", ":"))
        self.file_handle.write(text)
        self.write_count += 1

    def close(self, close_fh: bool = True) -> None:
        self.file_handle.write("]")
        Writer.close(self, close_fh)


class XMLWriter(Writer):
    """A MARCXML collection to a binary file; close() ends the collection."""

    def __init__(self, file_handle: IO) -> None:
        super().__init__(file_handle)
        self.file_handle.write(b'<?xml version="1.0" encoding="UTF-8"?>')
        self.file_handle.write(b'<collection xmlns="http://www.loc.gov/MARC21/slim">')

    def write(self, record: Record) -> None:
        from .marcxml import _xml_text

        Writer.write(self, record)
        # What ET.tostring(record_to_xml_node(record), encoding="utf-8") writes, without the tree.
        self.file_handle.write(_xml_text(record).encode("utf-8", "xmlcharrefreplace"))

    def close(self, close_fh: bool = True) -> None:
        self.file_handle.write(b"</collection>")
        Writer.close(self, close_fh)


class RecordWriter:
    """Writes records with the engine's writers, in any format it writes: "marc" (ISO 2709,
    UTF-8), "marc8" (ISO 2709 in MARC-8), "marcxml", "json", "ndjson", "mrk", "csv" (``columns``
    such as ``["001", "245$a", "LDR/06"]``). ``target`` is a path or a binary file object.

    >>> with RecordWriter("out.xml", "marcxml") as w:
    ...     for record in marcscope.read("in.mrc"):
    ...         w.write(record)
    """

    def __init__(
        self,
        target: Union[str, os.PathLike, IO[bytes]],
        format: str = "marc",
        *,
        pretty: bool = False,
        crlf: bool = False,
        columns: Sequence[str] = (),
        csv_separator: str = ",",
    ) -> None:
        self._engine = _core.EngineWriter(format, pretty=pretty, crlf=crlf, columns=list(columns),
                                          csv_separator=csv_separator)
        if isinstance(target, (str, os.PathLike)):
            self._file: Any = open(target, "wb")
            self._owns = True
        else:
            self._file = target
            self._owns = False
        self._file.write(self._engine.begin())
        self._closed = False

    def write(self, record: Record) -> None:
        if not isinstance(record, Record):
            raise WriteNeedsRecord
        self._file.write(self._engine.write(record))

    @property
    def diagnostics(self) -> list:
        """Problems met while writing (characters with no MARC-8 form, records too long ...)."""
        return self._engine.diagnostics

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._file.write(self._engine.end())
        if self._owns:
            self._file.close()

    def __enter__(self) -> "RecordWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def convert(
    source: Union[str, os.PathLike],
    dest: Union[str, os.PathLike],
    format: str = "marcxml",
    *,
    mode: str = "permissive",
    threads: Optional[int] = None,
    pretty: bool = False,
    crlf: bool = False,
    columns: Sequence[str] = (),
    csv_separator: str = ",",
    progress: Optional[Callable[[Progress], Any]] = None,
    progress_interval: float = 0.2,
) -> dict:
    """Converts a file (any format the engine reads) to `format` on the engine's pipeline, with the
    GIL released. Returns ``{"records", "skipped", "repaired", "stopped", "cancelled", "diagnostics"}``.

    ``progress``, when given, is called with a ``marcscope.Progress`` every ``progress_interval``
    seconds and once at the end, on this thread; returning False stops the conversion
    (``cancelled``), an exception raised in it stops it and propagates, and so does Ctrl-C
    (KeyboardInterrupt). A conversion stopped before its end leaves `dest` as it was."""
    return _core.convert(os.fspath(source), os.fspath(dest), format, mode=mode, threads=threads, pretty=pretty,
                         crlf=crlf, columns=list(columns), csv_separator=csv_separator, progress=_adapt(progress),
                         progress_interval=progress_interval)
