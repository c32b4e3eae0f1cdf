"""MARC-8 to Unicode (pymarc's marc8_to_unicode and MARC8ToUnicode), by the engine's converter:
every LoC character set, combining marks moved after their base, NFC."""

from __future__ import annotations

import sys

from . import _core

__all__ = ["marc8_to_unicode", "MARC8ToUnicode"]


class MARC8ToUnicode:
    """``MARC8ToUnicode().translate(b'...')`` -> str. ``quiet`` hides the problems pymarc prints
    to standard error (codes with no character, which become a space, as in pymarc)."""

    basic_latin = 0x42
    ansel = 0x45

    def __init__(self, G0: int = basic_latin, G1: int = ansel, quiet: bool = False) -> None:
        self.g0 = G0
        self.g1 = G1
        self.quiet = quiet

    def translate(self, marc8_string: bytes) -> str:
        if not marc8_string:
            return ""
        if isinstance(marc8_string, str):
            marc8_string = marc8_string.encode("latin-1")
        text, problems = _core.marc8_to_utf8(bytes(marc8_string))
        if problems and not self.quiet:
            for offset, detail in problems:
                sys.stderr.write(f"Unable to parse character at byte {offset}: {detail}\n")
        return text


def marc8_to_unicode(marc8: bytes, hide_utf8_warnings: bool = False) -> str:
    """MARC-8 bytes to a Unicode str (NFC)."""
    return MARC8ToUnicode(quiet=hide_utf8_warnings).translate(marc8)
