"""The leader of a record: pymarc's mutable Leader (positions by index, slice or name)."""

from __future__ import annotations

from typing import Union

from .constants import LEADER_LEN
from .exceptions import BadLeaderValue, RecordLeaderInvalid

__all__ = ["Leader"]


def _position(start: int, length: int, doc: str) -> property:
    def get(self: "Leader") -> str:
        return self.leader[start : start + length]

    def set(self: "Leader", value: str) -> None:
        if len(value) != length:
            raise BadLeaderValue(f"{doc} is {length} char{'s' if length > 1 else ''}, got {value!r}")
        self._replace_values(start, value)

    return property(get, set, doc=doc)


class Leader:
    """The 24 characters of a leader, readable and writable by position (``leader[5]``), slice
    (``leader[0:5]``) or name (``leader.record_status``). ``str(leader)`` gives them back.
    """

    __slots__ = ("leader",)

    def __init__(self, leader: str) -> None:
        if len(leader) != LEADER_LEN:
            raise RecordLeaderInvalid
        self.leader = leader

    def __getitem__(self, item: Union[str, int, slice]) -> str:
        if isinstance(item, (slice, int)):
            return self.leader[item]
        return getattr(self, item)

    def __setitem__(self, item: Union[str, int, slice], value: str) -> None:
        if isinstance(item, slice):
            self._replace_values(item.start or 0, value)
        elif isinstance(item, int):
            self._replace_values(item, value)
        else:
            setattr(self, item, value)

    def __str__(self) -> str:
        return self.leader

    def __repr__(self) -> str:
        return f"Leader({self.leader!r})"

    def _replace_values(self, position: int, value: str) -> None:
        if position < 0:
            raise IndexError("Position must be positive")
        after = position + len(value)
        if after > LEADER_LEN:
            raise BadLeaderValue(f"{value} is too long to be inserted at {position}")
        self.leader = self.leader[:position] + value + self.leader[after:]

    record_length = _position(0, 5, "Record length (00-04)")
    record_status = _position(5, 1, "Record status (05)")
    type_of_record = _position(6, 1, "Type of record (06)")
    bibliographic_level = _position(7, 1, "Bibliographic level (07)")
    type_of_control = _position(8, 1, "Type of control (08)")
    coding_scheme = _position(9, 1, "Character coding scheme (09)")
    indicator_count = _position(10, 1, "Indicator count (10)")
    subfield_code_count = _position(11, 1, "Subfield code count (11)")
    base_address = _position(12, 5, "Base address of data (12-16)")
    encoding_level = _position(17, 1, "Encoding level (17)")
    cataloging_form = _position(18, 1, "Descriptive cataloging form (18)")
    multipart_ressource = _position(19, 1, "Multipart resource record level (19)")
    length_of_field_length = _position(20, 1, "Length of the length-of-field portion (20)")
    starting_character_position_length = _position(21, 1, "Length of the starting-character-position portion (21)")
    implementation_defined_length = _position(22, 1, "Length of the implementation-defined portion (22)")
