"""pymarc's Record, on the engine.

A Record read from a file keeps the engine's record and makes Field objects only when asked:
``record['245']``, ``record.get_fields('650')`` and ``'245' in record`` look in the engine record
and make (and keep) just the fields they return; the first use of ``record.fields`` (or of
anything that needs every field) makes the whole list once, and from then on that Python list
is the record, exactly as in pymarc. A Field handed out is the same object every time, and stays
valid after ``add_field``, ``remove_field`` and the like.
"""

from __future__ import annotations

import json
import re
from typing import Any, Optional, Union

from . import _core
from .constants import LEADER_LEN
from .exceptions import FieldNotFound, MissingLinkedFields
from .field import Field, Indicators, RawField, Subfield, map_marc8_field
from .leader import Leader

__all__ = ["Record", "map_marc8_record", "normalize_subfield_code"]

isbn_regex = re.compile(r"([0-9\-xX]+)")

_record_field = _core._record_field
_record_fields = _core._record_fields
_record_has = _core._record_has
_record_materialise = _core._record_materialise
_record_leader = _core._record_leader

_SUBJECT_TAGS = (
    "600", "610", "611", "630", "648", "650", "651", "653", "654", "655",
    "656", "657", "658", "662", "690", "691", "696", "697", "698", "699",
)  # fmt: skip
_ADDED_ENTRY_TAGS = (
    "700", "710", "711", "720", "730", "740", "752", "753", "754", "790",
    "791", "792", "793", "796", "797", "798", "799",
)  # fmt: skip
_NOTE_TAGS = (
    "500", "501", "502", "504", "505", "506", "507", "508", "510", "511",
    "513", "514", "515", "516", "518", "520", "521", "522", "524", "525",
    "526", "530", "533", "534", "535", "536", "538", "540", "541", "544",
    "545", "546", "547", "550", "552", "555", "556", "561", "562", "563",
    "565", "567", "580", "581", "583", "584", "585", "586", "590", "591",
    "592", "593", "594", "595", "596", "597", "598", "599",
)  # fmt: skip
_SERIES_TAGS = ("440", "490", "800", "810", "811", "830")


class Record:
    """A MARC record: a leader and a list of fields.

    ``Record()`` makes an empty one, ``Record(data=bytes)`` decodes one ISO 2709 record (through
    the engine), and readers make them from files.
    """

    # _native: the engine record (a capsule) of a record read from an input, else None.
    # _fields: the Python field list once made (None while the engine record stands for it).
    # _cache:  fields handed out one by one before that (a list by field index), or None.
    # _leader: the Leader (or a str a script set), made from the engine record on first use.
    # The bindings fill these directly (python/src/bind_record.cpp): keep the names.
    __slots__ = ("_native", "_fields", "_cache", "_leader", "pos", "force_utf8", "to_unicode", "__pos")

    def __init__(
        self,
        data: Union[bytes, str] = "",
        fields: Optional[list] = None,
        to_unicode: bool = True,
        force_utf8: bool = False,
        hide_utf8_warnings: bool = False,
        utf8_handling: str = "strict",
        leader: str = " " * LEADER_LEN,
        file_encoding: str = "iso8859-1",
    ) -> None:
        self._native = None
        self._cache = None
        self._fields = []
        self._leader = Leader(leader[0:10] + "22" + leader[12:20] + "4500")
        self.pos = 0
        self.force_utf8 = force_utf8
        self.to_unicode = to_unicode
        if fields:
            self._fields = fields
        elif len(data) > 0:
            self.decode_marc(
                data,
                to_unicode=to_unicode,
                force_utf8=force_utf8,
                hide_utf8_warnings=hide_utf8_warnings,
                utf8_handling=utf8_handling,
                encoding=file_encoding,
            )
        elif force_utf8:
            self._leader = Leader(self._leader[0:9] + "a" + self._leader[10:])

    # ---- the leader and the field list ------------------------------------------------------

    @property
    def leader(self) -> Any:
        leader = self._leader
        if leader is None:
            leader = self._leader = Leader(_record_leader(self))
        return leader

    @leader.setter
    def leader(self, value: Any) -> None:
        self._leader = value

    @property
    def fields(self) -> list:
        fields = self._fields
        if fields is None:
            fields = _record_materialise(self)
        return fields

    @fields.setter
    def fields(self, value: list) -> None:
        if self._fields is None:
            _record_materialise(self)
        self._fields = value

    # ---- pymarc's API ----------------------------------------------------------------------

    def __str__(self) -> str:
        """The record in MARCMaker form (``=LDR  ...`` then one line per field)."""
        # A record whose fields are still the engine's: made from its view, at C speed.
        made = _core._record_text(self, str(self.leader))
        if made is not None:
            return made
        lines = [f"=LDR  {self.leader}"]
        lines.extend(str(field) for field in self.fields)
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return f"<Record {self.get('001').data if self.get('001') else '?'}>"

    # get() and __getitem__() are replaced by C methods that do the same (_core._register, see
    # python/src/bind_record.cpp); these are the reference, and tests/python/test_lookups.py
    # holds both to pymarc's rules.
    def get(self, tag: str, default: Optional[Field] = None) -> Optional[Field]:
        """The first field with `tag`, or `default`."""
        if self._fields is None:
            field = _record_field(self, tag)
            return default if field is None else field
        for f in self._fields:
            if f.tag == tag:
                return f
        return default

    def __getitem__(self, tag: str) -> Field:
        """The first field with `tag`; KeyError when there is none."""
        if self._fields is None:
            field = _record_field(self, tag)
            if field is None:
                raise KeyError(tag)
            return field
        for f in self._fields:
            if f.tag == tag:
                return f
        raise KeyError(tag)

    def __contains__(self, tag: str) -> bool:
        if self._fields is None:
            return _record_has(self, tag)
        for f in self._fields:
            if f.tag == tag:
                return True
        return False

    # pymarc: a Record is its own iterator over its fields (nested loops share the position).
    def __iter__(self):
        self.__pos = 0
        return self

    def __next__(self) -> Field:
        fields = self.fields
        if self.__pos >= len(fields):
            raise StopIteration
        self.__pos += 1
        return fields[self.__pos - 1]

    def add_field(self, *fields: Field) -> None:
        """Appends fields."""
        self.fields.extend(fields)

    def add_grouped_field(self, *fields: Field) -> None:
        """Adds fields after the last field of the same hundred (``245`` after the ``2XX``)."""
        for f in fields:
            if not self.fields or not f.tag.isdigit():
                self.fields.append(f)
                continue
            self._sort_fields(f, "grouped")

    def add_ordered_field(self, *fields: Field) -> None:
        """Adds fields in tag order (after every field with the same or a lower tag)."""
        for f in fields:
            if not self.fields or not f.tag.isdigit():
                self.fields.append(f)
                continue
            self._sort_fields(f, "ordered")

    def _sort_fields(self, field: Field, mode: str) -> None:
        tag = int(field.tag[0]) if mode == "grouped" else int(field.tag)
        fields = self.fields
        for i, existing in enumerate(fields, 1):
            if not existing.tag.isdigit():
                fields.insert(i - 1, field)
                break
            last_tag = int(existing.tag[0]) if mode == "grouped" else int(existing.tag)
            if last_tag > tag:
                fields.insert(i - 1, field)
                break
            if len(fields) == i:
                fields.append(field)
                break

    def remove_field(self, *fields: Field) -> None:
        """Removes these field objects (FieldNotFound when one is not in the record)."""
        for f in fields:
            try:
                self.fields.remove(f)
            except ValueError:
                raise FieldNotFound from None

    def remove_fields(self, *tags: str) -> None:
        """Removes every field with any of `tags`."""
        self.fields[:] = [f for f in self.fields if f.tag not in tags]

    def get_fields(self, *args: str) -> list:
        """The fields with any of the tags given, in record order (every field when none is given)."""
        if not args:
            return self.fields
        if self._fields is None:
            return _record_fields(self, args)
        return [f for f in self._fields if f.tag in args]

    def get_linked_fields(self, field: Field) -> list:
        """The 880 fields linked to `field` by subfield 6 (MissingLinkedFields when it links to none)."""
        num = field.linkage_occurrence_num()
        linked = [f for f in self.get_fields("880") if f.linkage_occurrence_num() == num]
        if num is not None and not linked:
            raise MissingLinkedFields(field)
        return linked

    def decode_marc(
        self,
        marc: Union[bytes, str],
        to_unicode: bool = True,
        force_utf8: bool = False,
        hide_utf8_warnings: bool = False,
        utf8_handling: str = "strict",
        encoding: str = "iso8859-1",
    ) -> None:
        """Fills this record from one record in ISO 2709 (decoded by the engine)."""
        from .reader import decode_one

        if isinstance(marc, str):
            marc = marc.encode("latin-1")
        other = decode_one(marc, to_unicode=to_unicode, force_utf8=force_utf8 or self.force_utf8,
                           utf8_handling=utf8_handling, file_encoding=encoding)
        self._leader = other.leader
        self._fields = list(other.fields)
        self._native = None
        self._cache = None

    def as_marc(self) -> bytes:
        """The record in ISO 2709: UTF-8, leader/09 'a' (set in this record's leader too), record
        length, base address and directory computed."""
        if self.to_unicode:
            leader = self.leader
            if isinstance(leader, Leader):
                leader.coding_scheme = "a"
            else:
                self._leader = leader[0:9] + "a" + leader[10:]
            return _core.record_as_marc(self)
        # Undecoded values are written as they were read, and leader/09 keeps what it said.
        return _core.record_as_marc(self, raw=True)

    as_marc21 = as_marc

    def as_dict(self) -> dict[str, Any]:
        """``{"leader": ..., "fields": [{tag: data} or {tag: {"ind1", "ind2", "subfields"}}]}``."""
        # A record whose fields are still the engine's: made from its view, at C speed.
        made = _core._record_as_dict(self, str(self.leader))
        if made is not None:
            return made
        out: list = []
        for field in self.fields:
            if field.control_field:
                out.append({field.tag: field.data})
            else:
                out.append(
                    {
                        field.tag: {
                            "ind1": field.indicator1,
                            "ind2": field.indicator2,
                            "subfields": [{s.code: s.value} for s in field.subfields],
                        }
                    }
                )
        return {"leader": str(self.leader), "fields": out}

    def as_json(self, **kwargs: Any) -> str:
        """MARC-in-JSON text of as_dict() (``json.dumps`` keyword arguments pass through)."""
        if not kwargs:
            # A record whose fields are still the engine's: json.dumps()'s text, made from its view.
            made = _core._record_json(self, str(self.leader), False)
            if made is not None:
                return made
        return json.dumps(self.as_dict(), **kwargs)

    # ---- beyond pymarc ---------------------------------------------------------------------

    @property
    def number(self) -> Optional[int]:
        """The record's 1-based number in the input it was read from (None for a record made here)."""
        info = _core.record_info(self)
        return None if info is None else info[0]

    @property
    def offset(self) -> Optional[int]:
        """The byte offset where the record starts in its input."""
        info = _core.record_info(self)
        return None if info is None else info[1]

    @property
    def diagnostics(self) -> list:
        """What reading found in this record (warnings, repairs), as Diagnostic objects."""
        info = _core.record_info(self)
        return [] if info is None else info[3]

    def __reduce__(self):
        return (_rebuild_record, (type(self), str(self.leader), list(self.fields), self.force_utf8, self.to_unicode))

    # ---- pymarc's properties ---------------------------------------------------------------

    @property
    def title(self) -> Optional[str]:
        """245 $a, and $b after a space when there is one."""
        return _title_of(self.get("245"))

    @property
    def issn_title(self) -> Optional[str]:
        """The key title: 222 $a, and $b after a space."""
        return _title_of(self.get("222"))

    @property
    def isbn(self) -> Optional[str]:
        """The first 020 $a, digits and X only (None when it has none)."""
        field = self.get("020")
        if not field:
            return None
        number = field.get("a")
        if not number:
            return None
        match = isbn_regex.search(number)
        return match.group(1).replace("-", "") if match else None

    @property
    def issn(self) -> Optional[str]:
        field = self.get("022")
        return field.get("a") if (field and "a" in field) else None

    @property
    def issnl(self) -> Optional[str]:
        field = self.get("022")
        return field["l"] if (field and "l" in field) else None

    @property
    def sudoc(self) -> Optional[str]:
        field = self.get("086")
        return field.format_field() if field else None

    @property
    def author(self) -> Optional[str]:
        field = self.get("100") or self.get("110") or self.get("111")
        return field.format_field() if field else None

    @property
    def uniformtitle(self) -> Optional[str]:
        field = self.get("130") or self.get("240")
        return field.format_field() if field else None

    @property
    def series(self) -> list:
        return self.get_fields(*_SERIES_TAGS)

    @property
    def subjects(self) -> list:
        return self.get_fields(*_SUBJECT_TAGS)

    @property
    def addedentries(self) -> list:
        return self.get_fields(*_ADDED_ENTRY_TAGS)

    @property
    def location(self) -> list:
        return self.get_fields("852")

    @property
    def notes(self) -> list:
        return self.get_fields(*_NOTE_TAGS)

    @property
    def physicaldescription(self) -> list:
        return self.get_fields("300")

    @property
    def publisher(self) -> Optional[str]:
        """260 $b, or $b of the first 264 with second indicator 1."""
        for f in self.get_fields("260", "264"):
            if f.tag == "260":
                return f.get("b")
            if f.tag == "264" and f.indicator2 == "1":
                return f.get("b")
        return None

    @property
    def pubyear(self) -> Optional[str]:
        """260 $c, or $c of the first 264 with second indicator 1."""
        for f in self.get_fields("260", "264"):
            if f.tag == "260":
                return f.get("c")
            if f.tag == "264" and f.indicator2 == "1":
                return f.get("c")
        return None


def _title_of(field: Optional[Field]) -> Optional[str]:
    if not field:
        return None
    title = field.get("a")
    if title:
        subtitle = field.get("b")
        if subtitle:
            title += f" {subtitle}"
    return title


def _rebuild_record(cls, leader, fields, force_utf8, to_unicode):
    r = cls.__new__(cls)
    r._native = None
    r._cache = None
    r._fields = fields
    r._leader = Leader(leader) if len(leader) == LEADER_LEN else leader
    r.pos = 0
    r.force_utf8 = force_utf8
    r.to_unicode = to_unicode
    return r


def map_marc8_record(record: Record) -> Record:
    """Converts a record's MARC-8 values (bytes) to Unicode in place; leader/09 becomes 'a'."""
    record.fields = [map_marc8_field(field) for field in record.fields]
    leader = list(str(record.leader))
    leader[9] = "a"
    record.leader = "".join(leader)
    return record


def normalize_subfield_code(subfield: bytes) -> tuple[Any, int]:
    """A subfield's first character as ASCII (diacritics dropped) and how many bytes it took."""
    import unicodedata

    skip = 1
    try:
        text = subfield.decode("utf-8")
        skip = len(text[0].encode("utf-8"))
    except UnicodeDecodeError:
        text = subfield.decode("latin-1")
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return plain[0], skip


# The names pymarc's record module exports alongside Record.
_ = (Indicators, RawField, Subfield)
