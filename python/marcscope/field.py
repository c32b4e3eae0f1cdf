"""Fields of a record: pymarc's Field, RawField, Subfield and Indicators.

Fields read from a file are made by the engine's bindings (without running ``__init__``) the
first time a script asks for them; fields a script makes are made here. Both are the same class.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple, Optional, Sequence

from .constants import END_OF_FIELD, SUBFIELD_INDICATOR

__all__ = ["Field", "RawField", "Subfield", "Indicators"]


class Subfield(NamedTuple):
    """One subfield: its code and its value."""

    code: str
    value: str


class Indicators(NamedTuple):
    """The two indicators of a data field."""

    first: str
    second: str


def _is_control_tag(tag: str) -> bool:
    return tag < "010" and tag.isdigit()


class Field:
    """A control field (``Field(tag='001', data='...')``) or a data field
    (``Field(tag='245', indicators=Indicators('0', '1'), subfields=[Subfield('a', '...')])``).
    """

    # The bindings fill these slots directly (python/src/bind_record.cpp): keep the names.
    __slots__ = ("tag", "data", "_indicators", "subfields", "__pos", "control_field")

    def __init__(
        self,
        tag: str,
        indicators: Optional[Sequence[str]] = None,
        subfields: Optional[list[Subfield]] = None,
        data: Optional[str] = None,
    ) -> None:
        try:
            self.tag = f"{int(tag):03}"
        except ValueError:
            self.tag = f"{tag}"
        if subfields and isinstance(subfields[0], str):
            raise ValueError(
                "subfields are a list of Subfield(code, value), no longer a flat list of strings: "
                "Field.convert_legacy_subfields() converts the old form"
            )
        self.subfields: list = []
        self._indicators: Optional[Indicators] = None
        self.data = None
        self.control_field = False
        if _is_control_tag(self.tag):
            self.control_field = True
            self.data = data
        else:
            self.subfields = subfields or []
            if not indicators:
                self.indicators = Indicators(" ", " ")
            else:
                self.indicators = indicators

    @property
    def indicators(self) -> Optional[Indicators]:
        return self._indicators

    @indicators.setter
    def indicators(self, value: Sequence[str]) -> None:
        if value and isinstance(value, (list, tuple)) and len(value) != 2:
            raise ValueError("indicators are two values: use Indicators(first, second)")
        if value is not None:
            self._indicators = value if isinstance(value, Indicators) else Indicators(*value)

    @classmethod
    def convert_legacy_subfields(cls, subfields: list[str]) -> list[Subfield]:
        """``['a', 'x', 'b', 'y']`` -> ``[Subfield('a', 'x'), Subfield('b', 'y')]``."""
        it = iter(subfields)
        return [Subfield._make(pair) for pair in zip(it, it)]

    # pymarc: a Field is its own iterator over its subfields (nested loops share the position).
    def __iter__(self):
        self.__pos = 0
        return self

    def __next__(self) -> Subfield:
        if self.control_field:
            raise StopIteration
        try:
            subfield = self.subfields[self.__pos]
        except IndexError:
            raise StopIteration from None
        self.__pos += 1
        return subfield

    def __str__(self) -> str:
        """The field in MARCMaker form: ``=245  10$aTitle``, blanks as backslashes."""
        if self.control_field:
            data = self.data.replace(" ", "\\") if self.data else ""
            return f"={self.tag}  {data}"
        ind = "".join("\\" if i in (" ", "\\") else f"{i}" for i in self.indicators)  # type: ignore[union-attr]
        subs = "".join(f"${s.code}{s.value}" for s in self.subfields)
        return f"={self.tag}  {ind}{subs}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self}>"

    # get() and __getitem__() are replaced by C methods that do the same (_core._register, see
    # python/src/bind_record.cpp); these are the reference, and tests/python/test_lookups.py
    # holds both to pymarc's rules.
    def get(self, code: str, default: Optional[str] = None) -> Optional[str]:
        """The first value of subfield `code`, or `default`."""
        if self.control_field:
            return default
        for s in self.subfields:
            if s.code == code:
                return s.value
        return default

    def __getitem__(self, code: str) -> str:
        """The first value of subfield `code`; KeyError when absent or for a control field."""
        if not self.control_field:
            for s in self.subfields:
                if s.code == code:
                    return s.value
        raise KeyError(code)

    def __contains__(self, code: str) -> bool:
        if self.control_field:
            return False
        for s in self.subfields:
            if s.code == code:
                return True
        return False

    def __setitem__(self, code: str, value: str) -> None:
        """Replaces the value of the one subfield `code` (KeyError when there are none or several)."""
        if self.control_field:
            raise KeyError("field is a control field")
        found = [i for i, s in enumerate(self.subfields) if s.code == code]
        if len(found) > 1:
            raise KeyError(f"more than one code '{code}'")
        if not found:
            raise KeyError(f"no code '{code}'")
        self.subfields[found[0]] = Subfield(code=code, value=value)

    # value() too is replaced by a C method that makes the same calls (python/src/bind_record.cpp);
    # this is the reference, which tests/python/test_lookups.py holds it to.
    def value(self) -> str:
        """The data of a control field, else every subfield value stripped, joined by spaces."""
        if self.control_field:
            return self.data or ""
        return " ".join([s.value.strip() for s in self.subfields])

    def get_subfields(self, *codes: str) -> list[str]:
        """Values of the subfields with any of `codes`, in field order."""
        if self.control_field:
            return []
        return [s.value for s in self.subfields if s.code in codes]

    def add_subfield(self, code: str, value: str, pos: Optional[int] = None) -> None:
        """Appends a subfield, or inserts it at `pos` (appended when `pos` is past the end)."""
        if self.control_field:
            return
        item = Subfield(code=code, value=value)
        if pos is None or pos > len(self.subfields):
            self.subfields.append(item)
        else:
            self.subfields.insert(pos, item)

    def delete_subfield(self, code: str) -> Optional[str]:
        """Removes the first subfield `code` and returns its value (None when there is none)."""
        if self.control_field:
            return None
        for i, s in enumerate(self.subfields):
            if s.code == code:
                del self.subfields[i]
                return s.value
        return None

    def subfields_as_dict(self) -> dict[str, list]:
        """``{code: [values...]}`` (empty for a control field)."""
        if self.control_field:
            return {}
        subs: defaultdict[str, list] = defaultdict(list)
        for s in self.subfields:
            subs[s.code].append(s.value)
        return dict(subs)

    def is_control_field(self) -> bool:
        return self.control_field

    def linkage_occurrence_num(self) -> Optional[str]:
        """The occurrence number of subfield 6 (``880-02/r`` -> ``02``), or None."""
        ocn = self.get("6", "")
        return ocn.split("-")[1].split("/")[0] if ocn else None

    def as_marc(self, encoding: str) -> bytes:
        """The field's bytes in ISO 2709 (data, then the field terminator)."""
        if self.control_field:
            return f"{self.data}{END_OF_FIELD}".encode(encoding)
        subs = "".join(f"{SUBFIELD_INDICATOR}{s.code}{s.value}" for s in self.subfields)
        return f"{self.indicator1}{self.indicator2}{subs}{END_OF_FIELD}".encode(encoding)

    as_marc21 = as_marc

    def format_field(self) -> str:
        """Like value(), for display: $6 left out, subject subdivisions ($v $x $y $z) after ' -- '."""
        if self.control_field:
            return self.data or ""
        subject = self.is_subject_field()
        parts = []
        for s in self.subfields:
            if s.code == "6":
                continue
            if subject and s.code in ("v", "x", "y", "z"):
                parts.append(f" -- {s.value}")
            else:
                parts.append(f" {s.value}")
        return "".join(parts).strip()

    def is_subject_field(self) -> bool:
        return self.tag.startswith("6")

    @property
    def indicator1(self) -> str:
        """The first indicator ('' for a control field)."""
        return self._indicators.first if self._indicators else ""

    @indicator1.setter
    def indicator1(self, value: str) -> None:
        # pymarc: setting an indicator of a control field fails (it has none).
        if self.control_field:
            self._indicators = None
        self._indicators = self._indicators._replace(first=value)  # type: ignore[union-attr]

    @property
    def indicator2(self) -> str:
        """The second indicator ('' for a control field)."""
        return self._indicators.second if self._indicators else ""

    @indicator2.setter
    def indicator2(self, value: str) -> None:
        if self.control_field:
            self._indicators = None
        self._indicators = self._indicators._replace(second=value)  # type: ignore[union-attr]

    def __reduce__(self):
        return (_rebuild_field, (type(self), self.tag, self._indicators, list(self.subfields), self.data, self.control_field))


def _rebuild_field(cls, tag, indicators, subfields, data, control_field):
    f = cls.__new__(cls)
    f.tag = tag
    f._indicators = indicators
    f.subfields = subfields
    f.data = data
    f.control_field = control_field
    return f


class RawField(Field):
    """A field whose values are the input's bytes, undecoded (``MARCReader(..., to_unicode=False)``)."""

    __slots__ = ()

    def as_marc(self, encoding: Optional[str] = None) -> bytes:  # type: ignore[override]
        if self.control_field:
            return self.data + END_OF_FIELD.encode("ascii")  # type: ignore[operator]
        out = self.indicator1.encode("ascii") + self.indicator2.encode("ascii")
        for s in self.subfields:
            out += SUBFIELD_INDICATOR.encode("ascii") + s.code.encode("ascii") + s.value
        return out + END_OF_FIELD.encode("ascii")

    def value(self) -> bytes:  # type: ignore[override]
        if self.control_field:
            return self.data or b""
        return b" ".join([s.value.strip() for s in self.subfields])


def map_marc8_field(f: Field) -> Field:
    """Converts a field's MARC-8 values (bytes) to Unicode in place."""
    from .marc8 import marc8_to_unicode

    if f.control_field:
        f.data = marc8_to_unicode(f.data)
    else:
        f.subfields = [Subfield(s.code, marc8_to_unicode(s.value)) for s in f.subfields]
    return f
