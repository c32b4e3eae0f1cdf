#!/usr/bin/env python3
"""Generate engine/src/charset/marc8_tables.inc and marc8_encode_tables.inc from resources/marc8/codetables.xml.

The input is the Library of Congress "MARC 21 Specifications: Code Tables" in XML form (the copy
distributed with the yaz toolkit, indexdata/yaz src/codetables.xml). The outputs are C++ fragments
with compact lookup tables: marc8_tables.inc for the MARC-8 decoder in engine/src/charset/marc8.cpp and
marc8_encode_tables.inc (reverse tables, see generate_encode) for the encoder in
engine/src/charset/marc8_encode.cpp. Both are committed to the tree and the build never runs this script.

Usage (Python 3 standard library only):

    /usr/bin/python3 tools/gen_marc8_tables.py            # rewrite both .inc files
    /usr/bin/python3 tools/gen_marc8_tables.py --check    # exit 1 if a committed file is stale

Table entries are 32-bit words:

    bits  0-20  Unicode code point (0 with no flag set: the code is unmapped)
    bit   28    DECOMPOSES: the character has a canonical decomposition (a mark after it may be
                reordered into it by NFC, so the decoder's one-mark shortcut does not apply)
    bit   29    EMPTY: the code is valid but produces no character (LoC maps the second halves of
                the ligature and double tilde, Extended Latin EC/FB, to nothing: the single
                U+0361/U+0360 emitted for the first half spans both characters)
    bit   30    NFC: emitting this code point may make the text non-NFC (combining class != 0,
                changed by NFC, or able to compose with a preceding character); the decoder only
                runs NFC over strings that contain at least one such code point
    bit   31    COMBINING: a MARC-8 combining mark, written before its base character in MARC-8
                and moved after it in Unicode

Single-byte sets get a 256-entry table indexed by the raw byte. The XML lists ASCII and ANSEL by
the code they have in their usual graphic set (ASCII as G0 21-7E, ANSEL as G1 A1-FE) and every
other set by its G0 code (21-7E); the generator fills both halves (c and c|0x80) so any set works
as G0 or G1, as ISO 2022 intends. The C1 controls listed with ANSEL (88 NSB, 89 NSE, 8D ZWJ,
8E ZWNJ) go to a separate 32-entry table: they stay valid whatever set G1 designates.
The EACC (CJK) set becomes a sorted array of entries with an O(1) index: rows by the first two
bytes of the code, each with a bit set of the third bytes present (rank by popcount).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
XML_PATH = ROOT / "resources" / "marc8" / "codetables.xml"
OUT_PATH = ROOT / "engine" / "src" / "charset" / "marc8_tables.inc"
ENCODE_OUT_PATH = ROOT / "engine" / "src" / "charset" / "marc8_encode_tables.inc"

FLAG_DECOMPOSES = 1 << 28
FLAG_EMPTY = 1 << 29
FLAG_NFC = 1 << 30
FLAG_COMBINING = 1 << 31

EACC_FINAL = 0x31
ANSEL_FINAL = 0x45

# Codes outside the LoC tables that Innovative Interfaces (III Millennium/Sierra) systems write
# inside EACC runs for a few punctuation marks. pymarc's test data (tests/data/marc8/
# pymarc-test_marc8.txt, last line) contains all six; the LoC tables do not define these codes,
# so adding them cannot change the meaning of any conforming data.
III_EACC_EXTENSIONS = {
    0x21203D: 0x2026,  # HORIZONTAL ELLIPSIS
    0x212040: 0x201C,  # LEFT DOUBLE QUOTATION MARK
    0x7F2014: 0x2014,  # EM DASH
    0x7F2019: 0x2019,  # RIGHT SINGLE QUOTATION MARK
    0x7F2020: 0x201D,  # RIGHT DOUBLE QUOTATION MARK
    0x7F2122: 0x2122,  # TRADE MARK SIGN
}


def composable_second_elements() -> set[int]:
    """Code points that appear as the second element of a two-character canonical decomposition,
    i.e. characters NFC may compose with the character before them (NFC_QC=Maybe), plus the
    Hangul medial vowels and final consonants that compose algorithmically."""
    seconds: set[int] = set()
    for cp in range(0x110000):
        d = unicodedata.decomposition(chr(cp))
        if not d or d.startswith("<"):
            continue
        parts = d.split()
        if len(parts) == 2:
            seconds.add(int(parts[1], 16))
    seconds.update(range(0x1161, 0x1176))  # Hangul V jamo
    seconds.update(range(0x11A8, 0x11C3))  # Hangul T jamo
    return seconds


def nfc_sensitive(cp: int, seconds: set[int]) -> bool:
    ch = chr(cp)
    return (
        unicodedata.combining(ch) != 0
        or unicodedata.normalize("NFC", ch) != ch
        or cp in seconds
    )


def decomposes(cp: int) -> bool:
    d = unicodedata.decomposition(chr(cp))
    return (bool(d) and not d.startswith("<")) or 0xAC00 <= cp <= 0xD7A3  # Hangul: algorithmic


def text(el: ET.Element, tag: str) -> str:
    return (el.findtext(tag) or "").strip()


def entry(cp: int | None, combining: bool, seconds: set[int]) -> int:
    if cp is None:
        return FLAG_EMPTY | (FLAG_COMBINING if combining else 0)
    if not 0 < cp <= 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
        raise ValueError(f"bad code point {cp:#x}")
    word = cp
    if combining:
        word |= FLAG_COMBINING
    if combining or nfc_sensitive(cp, seconds):
        word |= FLAG_NFC
    if decomposes(cp):
        word |= FLAG_DECOMPOSES
    return word


def parse(xml_path: Path):
    tree = ET.parse(xml_path)
    sets = []
    for cs in tree.iter("characterSet"):
        final = int(cs.get("ISOcode"), 16)
        name = cs.get("name")
        codes = []
        for code in cs.iter("code"):
            marc = int(text(code, "marc"), 16)
            ucs = text(code, "ucs")
            alt = text(code, "alt")
            combining = text(code, "isCombining") == "true"
            codes.append((marc, int(ucs, 16) if ucs else None, int(alt, 16) if alt else None, combining))
        sets.append((final, name, codes))
    return sets


def c_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def hex_rows(values: list[int], per_row: int, width: int) -> list[str]:
    rows = []
    for i in range(0, len(values), per_row):
        rows.append("    " + ", ".join(f"0x{v:0{width}X}" for v in values[i:i + per_row]) + ",")
    return rows


def generate(xml_path: Path) -> str:
    xml_bytes = xml_path.read_bytes()
    sets = parse(xml_path)
    seconds = composable_second_elements()

    single = []          # (final, name, table)
    c1 = [0] * 32        # 0x80-0x9F
    ansel_fe2x = None
    eacc = None
    for final, name, codes in sets:
        if final == EACC_FINAL:
            eacc = (final, name, codes)
            continue
        table = [0] * 256
        for marc, ucs, alt, combining in codes:
            if marc < 0x21 or marc == 0x7F:
                continue  # ESC, the MARC structure characters and space are handled by the decoder
            if marc > 0xFF:
                raise ValueError(f"{name}: multi-byte code {marc:#x} in a single-byte set")
            word = entry(ucs, combining, seconds)
            if 0x80 <= marc <= 0x9F:
                # C1 controls (ANSEL lists NSB, NSE, ZWJ, ZWNJ): ISO 2022 keeps them apart from
                # the G1 graphic set, so they stay valid whatever set G1 designates.
                if c1[marc - 0x80]:
                    raise ValueError(f"{name}: duplicate C1 code {marc:#x}")
                c1[marc - 0x80] = word
                continue
            if not (0x21 <= marc <= 0x7E or 0xA1 <= marc <= 0xFE):
                raise ValueError(f"{name}: code {marc:#x} outside the graphic ranges")
            for p in (marc & 0x7F, marc | 0x80):
                if table[p]:
                    raise ValueError(f"{name}: duplicate code {p:#x}")
                table[p] = word
        if final == ANSEL_FINAL:
            alt_table = list(table)
            for marc, ucs, alt, combining in codes:
                if alt is None:
                    continue
                word = entry(alt, combining, seconds)
                for p in (marc & 0x7F, marc | 0x80):
                    alt_table[p] = word
            ansel_fe2x = alt_table
        single.append((final, name, table))

    if eacc is None or ansel_fe2x is None:
        raise ValueError("codetables.xml lacks the EACC or the ANSEL set")

    eacc_map: dict[int, int] = {}
    for marc, ucs, _alt, combining in eacc[2]:
        if marc in eacc_map:
            raise ValueError(f"EACC: duplicate code {marc:#x}")
        if not 0x200000 <= marc <= 0x7FFFFF:
            raise ValueError(f"EACC: code {marc:#x} is not three bytes")
        eacc_map[marc] = entry(ucs, combining, seconds)
    for marc, cp in III_EACC_EXTENSIONS.items():
        if marc in eacc_map:
            raise ValueError(f"III extension {marc:#x} collides with the LoC table")
        eacc_map[marc] = entry(cp, False, seconds)
    eacc_keys = sorted(eacc_map)

    # Canonical compositions of one base character with one of the marks above, for the
    # decoder's shortcut: a base that is a stable starter followed by exactly one mark is NFC
    # once that pair is composed (or left alone when it has no composite), without a full NFC.
    marks = {w & 0x1FFFFF for _f, _n, t in single for w in t if w & FLAG_COMBINING and not w & FLAG_EMPTY}
    marks |= {w & 0x1FFFFF for w in ansel_fe2x if w & FLAG_COMBINING and not w & FLAG_EMPTY}
    compose: dict[int, int] = {}
    for cp in range(0x110000):
        d = unicodedata.decomposition(chr(cp))
        if not d or d.startswith("<"):
            continue
        parts = [int(x, 16) for x in d.split()]
        if len(parts) != 2 or parts[1] not in marks:
            continue
        base, mark = parts
        if unicodedata.normalize("NFC", chr(base) + chr(mark)) != chr(cp):
            continue  # composition exclusion
        if base > 0xFFFF or mark > 0xFFFF:
            raise ValueError(f"composition {cp:#x} outside the BMP")
        compose[(base << 16) | mark] = cp

    set_names = [name for _f, name, _t in single] + [eacc[1]]
    set_finals = [f for f, _n, _t in single] + [eacc[0]]
    by_final = [-1] * 128
    for i, f in enumerate(set_finals):
        by_final[f] = i

    out = []
    out.append("// GENERATED FILE - DO NOT EDIT.")
    out.append("// Generated by tools/gen_marc8_tables.py from resources/marc8/codetables.xml")
    out.append(f"// (sha256 {hashlib.sha256(xml_bytes).hexdigest()}),")
    out.append('// the Library of Congress "MARC 21 Specifications: Code Tables" as distributed in the yaz')
    out.append("// toolkit (indexdata/yaz src/codetables.xml). NFC flags computed with Unicode "
               f"{unicodedata.unidata_version} data.")
    out.append("// Regenerate: /usr/bin/python3 tools/gen_marc8_tables.py")
    out.append("//")
    out.append("// Entry word: bits 0-20 code point, bit 28 DECOMPOSES (has a canonical decomposition),")
    out.append("// bit 29 EMPTY (valid code, no character), bit 30 NFC (may need normalization),")
    out.append("// bit 31 COMBINING (MARC-8 combining mark).")
    out.append("// Included by engine/src/charset/marc8.cpp inside its private namespace.")
    out.append("")
    out.append(f"constexpr std::uint32_t kFlagDecomposes = 0x{FLAG_DECOMPOSES:08X}u;")
    out.append(f"constexpr std::uint32_t kFlagEmpty = 0x{FLAG_EMPTY:08X}u;")
    out.append(f"constexpr std::uint32_t kFlagNfc = 0x{FLAG_NFC:08X}u;")
    out.append(f"constexpr std::uint32_t kFlagCombining = 0x{FLAG_COMBINING:08X}u;")
    out.append("constexpr std::uint32_t kCodePointMask = 0x001FFFFFu;")
    out.append("")
    out.append(f"constexpr int kSingleByteSetCount = {len(single)};")
    out.append(f"constexpr int kEaccSet = {len(single)};  // index of the EACC set in the arrays below")
    out.append(f"constexpr int kSetCount = {len(set_names)};")
    out.append("")
    out.append("// ISO 2022 final byte of each set's designation escape, by set index.")
    out.append("constexpr unsigned char kSetFinal[kSetCount] = {"
               + ", ".join(f"0x{f:02X}" for f in set_finals) + "};")
    out.append("")
    out.append("constexpr const char* kSetName[kSetCount] = {")
    for n in set_names:
        out.append(f"    {c_string(n)},")
    out.append("};")
    out.append("")
    out.append("// Set index by final byte (0x00-0x7F), -1 where no set has that final byte.")
    out.append("constexpr signed char kSetByFinal[128] = {")
    for i in range(0, 128, 16):
        out.append("    " + ", ".join(f"{v:2d}" for v in by_final[i:i + 16]) + ",")
    out.append("};")
    out.append("")
    out.append("// Single-byte sets, indexed [set][byte]; the LoC primary mapping.")
    out.append("constexpr std::uint32_t kSingleByte[kSingleByteSetCount][256] = {")
    for f, n, t in single:
        out.append(f"  {{  // 0x{f:02X} {n}")
        out.extend(hex_rows(t, 8, 8))
        out.append("  },")
    out.append("};")
    out.append("")
    out.append("// C1 controls 0x80-0x9F, independent of the G1 designation.")
    out.append("constexpr std::uint32_t kC1[32] = {")
    out.extend(hex_rows(c1, 8, 8))
    out.append("};")
    out.append("")
    out.append("// Extended Latin (ANSEL) with the alternate mappings of the ligature and double tilde")
    out.append("// halves (EB/EC -> U+FE20/U+FE21, FA/FB -> U+FE22/U+FE23), the forms pymarc emits.")
    out.append("constexpr std::uint32_t kAnselFe2x[256] = {")
    out.extend(hex_rows(ansel_fe2x, 8, 8))
    out.append("};")
    out.append("")
    out.append(f"// Canonical compositions base + MARC-8 mark (key base << 16 | mark), {len(compose)} pairs.")
    out.append(f"constexpr std::size_t kComposeCount = {len(compose)};")
    out.append("constexpr std::uint32_t kComposeKey[kComposeCount] = {")
    out.extend(hex_rows(sorted(compose), 8, 8))
    out.append("};")
    out.append("constexpr std::uint32_t kComposeValue[kComposeCount] = {")
    out.extend(hex_rows([compose[k] for k in sorted(compose)], 8, 6))
    out.append("};")
    out.append("")
    # EACC lookup, O(1): the codes sorted; kEaccRow maps the first two bytes (both 0x20-0x7F)
    # to a row number (0: no code starts with them); row r has a 128-bit set of the third bytes
    # present (bit t, in kEaccRowBits[r][0..1]) and kEaccRowBase[r], the index in
    # kEaccEntry of its first code. A code's entry is base + the number of lower bits set.
    rows: dict[int, list[int]] = {}
    for k in eacc_keys:
        b1, b2, b3 = k >> 16, (k >> 8) & 0xFF, k & 0xFF
        if not (0x20 <= b1 <= 0x7F and 0x20 <= b2 <= 0x7F and b3 <= 0x7F):
            raise ValueError(f"EACC code {k:#x} outside the indexed ranges")
        rows.setdefault((b1 - 0x20) * 96 + (b2 - 0x20), []).append(b3)
    row_of = [0] * (96 * 96)
    row_bits = [(0, 0)]
    row_base = [0]
    index = 0
    for n, slot in enumerate(sorted(rows), start=1):
        row_of[slot] = n
        bits = 0
        for b3 in rows[slot]:
            bits |= 1 << b3
        row_bits.append((bits & 0xFFFFFFFFFFFFFFFF, bits >> 64))
        row_base.append(index)
        index += len(rows[slot])
    if len(row_bits) > 0xFFFF or index > 0xFFFF:
        raise ValueError("EACC rows do not fit 16-bit indexes")
    out.append(f"// EACC: {len(eacc_keys)} codes ({len(III_EACC_EXTENSIONS)} of them Innovative Interfaces "
               "extensions, see the generator), sorted by 24-bit code.")
    out.append("// kEaccRow[(b1 - 0x20) * 96 + (b2 - 0x20)] is the row of codes b1 b2 xx (0: none); a row has the")
    out.append("// set of its third bytes t (0x00-0x7F) as bit t of kEaccRowBits[row] and the index of its first")
    out.append("// code in kEaccEntry as kEaccRowBase[row]; an entry's index is the base plus the lower bits set.")
    out.append(f"constexpr std::size_t kEaccCount = {len(eacc_keys)};")
    out.append(f"constexpr std::size_t kEaccRowCount = {len(row_bits)};")
    out.append("constexpr std::uint16_t kEaccRow[96 * 96] = {")
    for i in range(0, len(row_of), 16):
        out.append("    " + ", ".join(str(v) for v in row_of[i:i + 16]) + ",")
    out.append("};")
    out.append("constexpr std::uint64_t kEaccRowBits[kEaccRowCount][2] = {")
    for i in range(0, len(row_bits), 2):
        out.append("    " + " ".join(f"{{0x{a:016X}u, 0x{b:016X}u}}," for a, b in row_bits[i:i + 2]))
    out.append("};")
    out.append("constexpr std::uint16_t kEaccRowBase[kEaccRowCount] = {")
    for i in range(0, len(row_base), 16):
        out.append("    " + ", ".join(str(v) for v in row_base[i:i + 16]) + ",")
    out.append("};")
    out.append("constexpr std::uint32_t kEaccEntry[kEaccCount] = {")
    out.extend(hex_rows([eacc_map[k] for k in eacc_keys], 8, 8))
    out.append("};")
    out.append("")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# Encoder tables (UTF-8 -> MARC-8), written to engine/src/charset/marc8_encode_tables.inc.
# ---------------------------------------------------------------------------------------------

C1_SET = 12  # pseudo set of the C1 controls (NSB, NSE, ZWJ, ZWNJ): written as is, no designation

# Which set a character goes to when several have it: Basic Latin, then ANSEL, then the other
# sets (by final byte). The technique-1 sets come after the full sets, Greek Symbols last (LoC
# discourages it; alpha, beta and gamma are also in Basic Greek).
SET_PREFERENCE = [0x42, 0x45, 0x32, 0x4E, 0x51, 0x33, 0x34, 0x53, 0x62, 0x70, 0x67, 0x31]

ENC_COMBINING = 1 << 28
ENC_DOUBLE = 1 << 29
ENC_EXPAND = 1 << 30


def ccc(cp: int) -> int:
    return unicodedata.combining(chr(cp))


def canonical_pair(cp: int) -> tuple[int, int] | None:
    """The two-element canonical decomposition of cp (Hangul included), or None."""
    if 0xAC00 <= cp <= 0xD7A3:
        s = cp - 0xAC00
        if s % 28:
            return (cp - s % 28, 0x11A7 + s % 28)
        return (0x1100 + s // 588, 0x1161 + (s % 588) // 28)
    d = unicodedata.decomposition(chr(cp))
    if not d or d.startswith("<"):
        return None
    parts = [int(x, 16) for x in d.split()]
    return (parts[0], parts[1]) if len(parts) == 2 else None


def eacc_names(xml_path: Path) -> dict[int, str]:
    names = {}
    for cs in ET.parse(xml_path).iter("characterSet"):
        if int(cs.get("ISOcode"), 16) != EACC_FINAL:
            continue
        for code in cs.iter("code"):
            names[int(text(code, "marc"), 16)] = " ".join(text(code, "name").split())
    return names


def generate_encode(xml_path: Path) -> str:
    """Reverse tables: code point -> (set, MARC-8 code). Each code point gets its code in the
    preferred set (SET_PREFERENCE; among EACC duplicates the lowest code, U+3000 -> 212321),
    with codes in other sets kept as alternates. Code points without a code get a precomputed
    canonical decomposition into mappable parts when there is one (marks with no MARC-8 form
    composed into the base), and the compositions base + unmapped mark whose result is mappable
    are listed for the encoder. The Innovative Interfaces EACC codes are decoding-only."""
    xml_bytes = xml_path.read_bytes()
    sets = parse(xml_path)
    order = [s for s in sets if s[0] != EACC_FINAL] + [s for s in sets if s[0] == EACC_FINAL]
    set_index = {final: i for i, (final, _n, _c) in enumerate(order)}
    ansel = set_index[ANSEL_FINAL]
    eacc = set_index[EACC_FINAL]
    rank = {set_index[f]: r for r, f in enumerate(SET_PREFERENCE)}
    rank[C1_SET] = 1
    names = eacc_names(xml_path)

    # Every (code point -> set, code) the tables define. ANSEL codes are written as G1 bytes
    # (A1-FE), the other single-byte sets as G0 bytes (21-7E): each set is designated the way
    # LoC lists it (all but ANSEL by their G0 codes), so G1 stays ANSEL throughout.
    cands: dict[int, list[tuple]] = {}

    def add(cp: int, s: int, code: int, combining: bool, demote: int = 0) -> None:
        cands.setdefault(cp, []).append((rank[s], demote, code, s, combining))

    for final, _name, codes in order:
        si = set_index[final]
        for marc, ucs, alt, combining in codes:
            if final == EACC_FINAL:
                if ucs is not None:
                    # Two codes map to U+3000; prefer ANSI Z39.64's over "some implementations".
                    add(ucs, si, marc, combining, 1 if "some implementations" in names.get(marc, "") else 0)
                continue
            if marc < 0x20 or marc == 0x7F:
                continue  # ESC and the MARC structure characters are not text
            if 0x80 <= marc <= 0x9F:
                if ucs is not None:
                    add(ucs, C1_SET, marc, combining)
                continue
            code = (marc | 0x80) if si == ansel else (marc & 0x7F)
            if ucs is not None:
                add(ucs, si, code, combining)
            if si == ansel and alt is not None:
                add(alt, si, code, combining)  # U+FE20-U+FE23, the ligature/double-tilde halves

    def value(c: tuple) -> int:
        _r, _d, code, s, combining = c
        v = code | (s << 24)
        if combining:
            v |= ENC_COMBINING | (ccc_of[c] << 16)
        return v

    primary: dict[int, tuple] = {}
    alternates: dict[tuple[int, int], tuple] = {}
    ccc_of: dict[tuple, int] = {}
    for cp, lst in cands.items():
        lst.sort()
        primary[cp] = lst[0]
        for c in lst:
            ccc_of[c] = ccc(cp)
            if c[3] != lst[0][3] and (cp, c[3]) not in alternates:
                alternates[(cp, c[3])] = c
    for cp, c in primary.items():
        if c[4] and ccc(cp) == 0:
            raise ValueError(f"MARC-8 combining mark U+{cp:04X} has combining class 0")
        if c[3] == eacc and c[4]:
            raise ValueError("EACC combining marks are not supported by the encoder")

    def is_base(cp: int) -> bool:
        return cp in primary and not primary[cp][4]

    def is_mark(cp: int) -> bool:
        return cp in primary and primary[cp][4]

    # Canonical pairs (base, mark) whose mark has no MARC-8 form but whose composite does (or
    # composes on into one that does, as Hangul LV + T): the encoder composes these, e.g.
    # o + U+031B horn -> U+01A1 (ANSEL BC), ka + U+3099 -> ga (EACC).
    pairs: dict[tuple[int, int], int] = {}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        pr = canonical_pair(cp)
        if pr and not is_mark(pr[1]) and ccc(pr[0]) == 0:
            pairs[pr] = cp
    useful = {cp for cp in primary if is_base(cp)}
    changed = True
    while changed:
        changed = False
        for (a, m), c in pairs.items():
            if c in useful and a not in useful:
                useful.add(a)
                changed = True
    compose = {k: c for k, c in pairs.items() if c in useful}

    def compose_run(seq: list[int]) -> list[int] | None:
        """MARC-8-mappable form of a canonically decomposed sequence: the starter, composed with
        every mark that has no MARC-8 form, then the mappable marks. None if impossible."""
        if ccc(seq[0]) != 0 and not is_base(seq[0]):
            return seq if all(is_mark(m) for m in seq) else None
        base, kept = seq[0], []
        for m in seq[1:]:
            if is_mark(m):
                kept.append(m)
            elif (base, m) in compose and all(ccc(k) != ccc(m) for k in kept):
                base = compose[(base, m)]
            else:
                return None
        return [base] + kept if is_base(base) else None

    # Characters without a MARC-8 form of their own: a canonical decomposition into mappable
    # parts (the encoder's NFD, precomputed), or, for the target of a singleton mapping, the
    # code of the MARC-8 character that normalizes to it (CJK compatibility ideographs).
    expansions: dict[int, list[int]] = {}
    aliases: dict[int, tuple] = {}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF or cp in primary:
            continue
        nfd = [ord(x) for x in unicodedata.normalize("NFD", chr(cp))]
        if nfd == [cp]:
            continue
        run = compose_run(nfd)
        if run is not None:
            expansions[cp] = run
    for cp, c in sorted(primary.items()):
        n = unicodedata.normalize("NFC", chr(cp))
        if len(n) == 1 and ord(n) != cp and ord(n) not in primary and ord(n) not in expansions:
            u = ord(n)
            if u not in aliases or c[:3] < aliases[u][:3]:
                aliases[u] = c

    expand_data: list[int] = []
    values: dict[int, int] = {}
    for cp, c in primary.items():
        v = value(c)
        if c[4] and c[3] == ansel and c[2] in (0xEB, 0xFA) and cp in (0x0361, 0x0360):
            v |= ENC_DOUBLE  # one mark over two letters: the second half (EC/FB) precedes the next
        values[cp] = v
    for u, c in aliases.items():
        values[u] = value(c)
    for cp in sorted(expansions):
        run = expansions[cp]
        if len(expand_data) + len(run) + 1 > 0xFFFF:
            raise ValueError("expansion table too large")
        values[cp] = ENC_EXPAND | len(expand_data) | (ENC_COMBINING if not is_base(run[0]) else 0)
        expand_data.append(len(run))
        expand_data.extend(run)

    # BMP: a page table (cp >> 8 -> block of 256 values, block 0 all zero); above: sorted arrays.
    blocks = [[0] * 256]
    page_index = [0] * 256
    for page in range(256):
        block = [values.get((page << 8) | lo, 0) for lo in range(256)]
        if any(block):
            page_index[page] = len(blocks)
            blocks.append(block)
    if len(blocks) > 255:
        raise ValueError("too many BMP pages for an 8-bit page index")
    high = sorted(cp for cp in values if cp > 0xFFFF)
    alt_keys = sorted(alternates)
    compose_keys = sorted(compose)
    for a, m in compose_keys:
        if a > 0x1FFFFF or m > 0x1FFFFF:
            raise ValueError("compose key out of range")

    out = []
    out.append("// GENERATED FILE - DO NOT EDIT.")
    out.append("// Generated by tools/gen_marc8_tables.py from resources/marc8/codetables.xml")
    out.append(f"// (sha256 {hashlib.sha256(xml_bytes).hexdigest()}), with Unicode "
               f"{unicodedata.unidata_version} data for decompositions.")
    out.append("// Regenerate: /usr/bin/python3 tools/gen_marc8_tables.py")
    out.append("//")
    out.append("// Reverse tables for the MARC-8 encoder (engine/src/charset/marc8_encode.cpp), included inside its")
    out.append("// private namespace. Value word (0: no entry):")
    out.append("//   bits  0-23  MARC-8 code: one byte (ANSEL and C1 as written, 80-FE; other single-byte")
    out.append("//               sets as G0 bytes 20-7E) or three EACC bytes; with EXPAND, an index into")
    out.append("//               kEncExpand")
    out.append("//   bits 16-23  for a combining mark, its Unicode canonical combining class")
    out.append("//   bits 24-27  set index (as kEncSetFinal; 12 = C1 control, no designation)")
    out.append("//   bit  28     COMBINING: a MARC-8 mark, written before its base character")
    out.append("//   bit  29     DOUBLE: U+0361/U+0360, one mark over two letters; the second half")
    out.append("//               (code + 1: EC / FB) goes before the next base character")
    out.append("//   bit  30     EXPAND: no code of its own; kEncExpand[index] = n, then n code points")
    out.append("//               (the canonical decomposition, with marks that have no MARC-8 form")
    out.append("//               composed into the base), each with an entry of its own")
    out.append("")
    out.append("constexpr std::uint32_t kEncCombining = 0x%08Xu;" % ENC_COMBINING)
    out.append("constexpr std::uint32_t kEncDouble = 0x%08Xu;" % ENC_DOUBLE)
    out.append("constexpr std::uint32_t kEncExpandFlag = 0x%08Xu;" % ENC_EXPAND)
    out.append(f"constexpr int kEncSetC1 = {C1_SET};")
    out.append(f"constexpr int kEncSetCount = {len(order)};")
    out.append(f"constexpr int kEncSetAscii = {set_index[0x42]};")
    out.append(f"constexpr int kEncSetAnsel = {ansel};")
    out.append(f"constexpr int kEncSetEacc = {eacc};")
    out.append("")
    out.append("// ISO 2022 final byte of each set (index as in the value word).")
    out.append("constexpr unsigned char kEncSetFinal[kEncSetCount] = {"
               + ", ".join(f"0x{f:02X}" for f, _n, _c in order) + "};")
    out.append("")
    counts = {}
    for c in primary.values():
        counts[c[3]] = counts.get(c[3], 0) + 1
    out.append("// Code points with a code of their own, by set: " + ", ".join(
        f"{(order[s][1] if s < len(order) else 'C1 controls')} {counts[s]}" for s in sorted(counts)) + ";")
    out.append(f"// {len(alternates)} alternates in another set, {len(aliases)} normalization aliases, "
               f"{len(expansions)} expansions, {len(compose)} compositions.")
    out.append(f"// BMP code points: kEncBlock[kEncPage[cp >> 8]][cp & 0xFF] ({len(blocks) - 1} pages used;")
    out.append("// block 0 is empty).")
    out.append(f"constexpr std::size_t kEncBlockCount = {len(blocks)};")
    out.append("constexpr std::uint8_t kEncPage[256] = {")
    for i in range(0, 256, 16):
        out.append("    " + ", ".join(str(v) for v in page_index[i:i + 16]) + ",")
    out.append("};")
    out.append("constexpr std::uint32_t kEncBlock[kEncBlockCount][256] = {")
    for n, block in enumerate(blocks):
        page = page_index.index(n) if n else None
        out.append("  {" + (f"  // U+{page << 8:04X}" if n else "  // empty"))
        out.extend(hex_rows(block, 8, 8))
        out.append("  },")
    out.append("};")
    out.append("")
    out.append(f"// Code points above U+FFFF, sorted ({len(high)}).")
    out.append(f"constexpr std::size_t kEncHighCount = {len(high)};")
    out.append("constexpr std::uint32_t kEncHighKey[kEncHighCount] = {")
    out.extend(hex_rows(high, 8, 6))
    out.append("};")
    out.append("constexpr std::uint32_t kEncHighValue[kEncHighCount] = {")
    out.extend(hex_rows([values[cp] for cp in high], 8, 8))
    out.append("};")
    out.append("")
    out.append("// The same character in another set than its primary one (key cp << 4 | set), for marks")
    out.append("// that match their base character's set and for characters the current G0 set has.")
    out.append(f"constexpr std::size_t kEncAltCount = {len(alt_keys)};")
    out.append("constexpr std::uint32_t kEncAltKey[kEncAltCount] = {")
    out.extend(hex_rows([(cp << 4) | s for cp, s in alt_keys], 8, 8))
    out.append("};")
    out.append("constexpr std::uint32_t kEncAltValue[kEncAltCount] = {")
    out.extend(hex_rows([value(alternates[k]) for k in alt_keys], 8, 8))
    out.append("};")
    out.append("")
    out.append("// Expansions: a count, then that many code points.")
    out.append(f"constexpr std::size_t kEncExpandSize = {len(expand_data)};")
    out.append("constexpr std::uint32_t kEncExpand[kEncExpandSize] = {")
    out.extend(hex_rows(expand_data, 8, 6))
    out.append("};")
    out.append("")
    out.append("// Canonical compositions base + mark (key base << 21 | mark) for marks with no MARC-8 form;")
    out.append("// value: the composite | the mark's combining class << 24.")
    out.append(f"constexpr std::size_t kEncComposeCount = {len(compose_keys)};")
    out.append("constexpr std::uint64_t kEncComposeKey[kEncComposeCount] = {")
    for i in range(0, len(compose_keys), 4):
        out.append("    " + ", ".join(f"0x{(a << 21) | m:011X}u" for a, m in compose_keys[i:i + 4]) + ",")
    out.append("};")
    out.append("constexpr std::uint32_t kEncComposeValue[kEncComposeCount] = {")
    out.extend(hex_rows([compose[k] | (ccc(k[1]) << 24) for k in compose_keys], 8, 8))
    out.append("};")
    out.append("")
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xml", type=Path, default=XML_PATH)
    parser.add_argument("--out", type=Path, default=OUT_PATH, help="decoder tables (marc8_tables.inc)")
    parser.add_argument("--out-encode", type=Path, default=ENCODE_OUT_PATH,
                        help="encoder tables (marc8_encode_tables.inc)")
    parser.add_argument("--check", action="store_true", help="fail if an output differs from the generated text")
    args = parser.parse_args()

    outputs = [(args.out, generate(args.xml)), (args.out_encode, generate_encode(args.xml))]
    if args.check:
        stale = False
        for path, text_out in outputs:
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if current != text_out:
                print(f"{path} is out of date; run {Path(__file__).name}", file=sys.stderr)
                stale = True
        return 1 if stale else 0
    for path, text_out in outputs:
        path.write_text(text_out, encoding="utf-8", newline="\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
