// Tests for marcscope::utf8_to_marc8 (engine/src/marc8_encode.cpp, reverse tables from
// tools/gen_marc8_tables.py), including the round trip MARC-8 -> UTF-8 -> MARC-8 over the MARC-8
// fixtures, subfield by subfield, with every class of difference counted and explained.

#include <QFile>
#include <QString>
#include <QTest>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "marcscope/charset/marc8.h"
#include "marcscope/charset/utf8.h"

using marcscope::Marc8EncodeOptions;
using marcscope::Marc8Options;
using marcscope::Marc8Problem;
using marcscope::Marc8ProblemKind;
using marcscope::marc8_to_utf8;
using marcscope::utf8_to_marc8;

namespace {

std::string encode(std::string_view in, const Marc8EncodeOptions& options = {}, std::vector<Marc8Problem>* problems = nullptr) {
  std::string out;
  utf8_to_marc8(in, out, problems, options);
  return out;
}

std::string decode(std::string_view in, const Marc8Options& options = {}) {
  std::string out;
  marc8_to_utf8(in, out, nullptr, options);
  return out;
}

/// Readable form of MARC-8 bytes: ESC as "<ESC>", other non-printables as <XX>.
std::string show(std::string_view s) {
  std::string o;
  char buf[8];
  for (unsigned char c : s) {
    if (c == 0x1b) {
      o += "<ESC>";
    } else if (c >= 0x20 && c < 0x7f) {
      o += static_cast<char>(c);
    } else {
      std::snprintf(buf, sizeof buf, "<%02X>", c);
      o += buf;
    }
  }
  return o;
}

/// Decoding without NFC: the code points in MARC-8's order.
Marc8Options rawOptions() {
  Marc8Options o;
  o.normalize_nfc = false;
  return o;
}

std::string u8(std::u8string_view s) { return std::string(s.begin(), s.end()); }

QByteArray readFixture(const char* relative) {
  QFile f(QStringLiteral(MARCSCOPE_TEST_DATA "/") + QString::fromUtf8(relative));
  if (!f.open(QIODevice::ReadOnly)) return {};
  return f.readAll();
}

std::vector<std::string> splitLines(std::string_view rest) {
  std::vector<std::string> lines;
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    lines.emplace_back(rest.substr(0, nl));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  return lines;
}

/// The encoded strings of a fixture: the lines of a text file, or for ISO 2709 every piece of
/// every record's data (from the base address) between field terminators and subfield
/// delimiters: control fields, indicators and subfield values (code letter included).
std::vector<std::string> fixturePieces(const QByteArray& data, bool lines) {
  const std::string_view all(data.constData(), static_cast<std::size_t>(data.size()));
  if (lines) return splitLines(all);
  std::vector<std::string> pieces;
  std::string_view rest = all;
  while (!rest.empty()) {
    const std::size_t end = rest.find('\x1d');
    const std::string_view record = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (record.size() < 24) continue;
    const std::size_t base = static_cast<std::size_t>(std::stoul(std::string(record.substr(12, 5))));
    if (base == 0 || base > record.size()) continue;
    std::string_view body = record.substr(base);
    while (true) {
      const std::size_t cut = body.find_first_of("\x1e\x1f");
      pieces.emplace_back(body.substr(0, cut));
      if (cut == std::string_view::npos) break;
      body.remove_prefix(cut + 1);
    }
  }
  return pieces;
}

// --- a small MARC-8 tokenizer, to say how two encodings of the same text differ ---------------

struct Token {
  char set;  ///< final byte of the set ('B' ASCII, 'E' ANSEL, '1' EACC, ...); 'C' C1, 'R' a reference
  std::uint32_t code;  ///< 7-bit code (G1 bytes folded to G0), three bytes for EACC, or the referenced value
  bool operator==(const Token&) const = default;
};

struct Tokens {
  std::vector<Token> chars;
  std::vector<std::string> escapes;
};

Tokens tokenize(std::string_view s) {
  Tokens t;
  char g0 = 'B';
  char g1 = 'E';
  std::size_t i = 0;
  auto hex = [](unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  };
  while (i < s.size()) {
    const unsigned char b = static_cast<unsigned char>(s[i]);
    if (b == 0x1b) {
      std::size_t k = i + 1;
      if (k < s.size() && (s[k] == 'g' || s[k] == 'b' || s[k] == 'p' || s[k] == 's')) {
        g0 = s[k] == 's' ? 'B' : s[k];
        t.escapes.emplace_back(s.substr(i, 2));
        i = k + 1;
        continue;
      }
      bool g1set = false;
      if (k < s.size() && s[k] == '$') ++k;
      if (k < s.size() && (s[k] == '(' || s[k] == ',')) {
        ++k;
      } else if (k < s.size() && (s[k] == ')' || s[k] == '-')) {
        g1set = true;
        ++k;
      }
      if (k < s.size() && s[k] == '!') ++k;
      if (k >= s.size()) break;
      (g1set ? g1 : g0) = s[k];
      t.escapes.emplace_back(s.substr(i, k + 1 - i));
      i = k + 1;
      continue;
    }
    if (b == '&' && g0 == 'B' && i + 3 < s.size() && s[i + 1] == '#' && s[i + 2] == 'x') {
      std::size_t k = i + 3;
      std::uint32_t v = 0;
      while (k < s.size() && k < i + 10 && hex(static_cast<unsigned char>(s[k]))) {
        v = v * 16 + static_cast<std::uint32_t>(std::stoul(std::string(1, s[k]), nullptr, 16));
        ++k;
      }
      if (k > i + 3 && k < s.size() && s[k] == ';') {
        t.chars.push_back({'R', v});
        i = k + 1;
        continue;
      }
    }
    if (b == 0x20 || b < 0x20) {
      t.chars.push_back({g0 == '1' || b < 0x20 ? 'B' : g0, b});  // EACC's space is ASCII's
      ++i;
    } else if (b >= 0x80 && b < 0xA0) {
      t.chars.push_back({'C', b});
      ++i;
    } else {
      const char set = b < 0x80 ? g0 : g1;
      if (set == '1') {
        std::uint32_t code = 0;
        for (std::size_t k = 0; k < 3 && i + k < s.size(); ++k) code = (code << 8) | (static_cast<unsigned char>(s[i + k]) & 0x7Fu);
        t.chars.push_back({set, code});
        i += 3;
      } else {
        t.chars.push_back({set, b & 0x7Fu});
        ++i;
      }
    }
  }
  return t;
}

/// Why our encoding differs from the original (both decode to the same text).
enum class Diff {
  Iii,            ///< the original uses Innovative Interfaces' EACC punctuation codes
  EaccAlternate,  ///< another EACC code for the same ideograph
  AsciiInSet,     ///< ASCII characters (space, punctuation, digits) kept in a non-Latin set
  NoFinalReset,   ///< the original does not return to ASCII at the end
  BadCode,        ///< the original has a code with no character (decoded as U+FFFD)
  Escapes,        ///< redundant or unused escape sequences in the original
  Other,
};

const char* diffName(Diff d) {
  switch (d) {
    case Diff::Iii: return "III EACC extension";
    case Diff::EaccAlternate: return "EACC alternate code";
    case Diff::AsciiInSet: return "ASCII kept in a non-Latin set";
    case Diff::NoFinalReset: return "no final return to ASCII";
    case Diff::BadCode: return "code with no character";
    case Diff::Escapes: return "redundant escapes";
    case Diff::Other: return "other";
  }
  return "?";
}

Diff classify(std::string_view original, std::string_view ours) {
  std::vector<Marc8Problem> problems;
  std::string text;
  marc8_to_utf8(original, text, &problems);
  if (!problems.empty()) return Diff::BadCode;
  const Tokens a = tokenize(original);
  const Tokens b = tokenize(ours);
  if (a.chars.size() != b.chars.size()) return Diff::Other;
  bool iii = false, eacc = false, ascii = false, other = false;
  for (std::size_t k = 0; k < a.chars.size(); ++k) {
    const Token& x = a.chars[k];
    const Token& y = b.chars[k];
    if (x == y) continue;
    if (x.set == '1' && (x.code == 0x21203D || x.code == 0x212040 || (x.code >> 16) == 0x7F)) {
      iii = true;
    } else if (x.set == '1' && y.set == '1') {
      eacc = true;
    } else if (x.code == y.code && (x.set == 'B' || y.set == 'B')) {
      ascii = true;
    } else {
      other = true;
    }
  }
  if (other) return Diff::Other;
  if (iii) return Diff::Iii;
  if (eacc) return Diff::EaccAlternate;
  if (ascii) return Diff::AsciiInSet;
  if (ours.size() > original.size() && ours.substr(0, original.size()) == original) return Diff::NoFinalReset;
  return Diff::Escapes;
}

/// Deterministic generator (xorshift) so failures reproduce.
struct Rng {
  std::uint64_t s = 0x9E3779B97F4A7C15ull;
  std::uint32_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return static_cast<std::uint32_t>(s >> 11);
  }
};

}  // namespace

class TestMarc8Encode : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void asciiAndEmpty();
  void anselAndDecomposition();
  void compositionOfUnmappedMarks();
  void combiningOrder();
  void escapes_data();
  void escapes();
  void minimalStateChanges();
  void ligatureHalves();
  void unmapped();
  void marksWithoutMarc8Place();
  void ampersandThatLooksLikeReference();
  void invalidUtf8();
  void controls();
  void roundTripFixtures_data();
  void roundTripFixtures();
  void roundTripNormalizationChoice();
  void pymarcUtf8RoundTrip();
  void randomRoundTrip();
};

void TestMarc8Encode::asciiAndEmpty() {
  std::vector<Marc8Problem> problems;
  std::string out = "keep";
  QVERIFY(utf8_to_marc8("", out, &problems));
  QCOMPARE(out, std::string("keep"));
  QVERIFY(utf8_to_marc8(" plain ASCII, 123 ~ more ", out, &problems));
  QCOMPARE(out, std::string("keep plain ASCII, 123 ~ more "));
  QVERIFY(problems.empty());
  // '&' not followed by something that reads as a reference stays itself.
  QCOMPARE(encode("Smith & Jones &amp; &#x; &#xZ1;"), std::string("Smith & Jones &amp; &#x; &#xZ1;"));
}

void TestMarc8Encode::anselAndDecomposition() {
  // Precomposed letters are decomposed, the mark goes before the base; NFC and NFD input agree.
  QCOMPARE(encode(u8(u8"caf\u00e9")), std::string("caf\xe2" "e"));
  QCOMPARE(encode(u8(u8"cafe\u0301")), std::string("caf\xe2" "e"));
  QCOMPARE(encode(u8(u8"\u00c5ngstr\u00f6m")), std::string("\xea" "Angstr\xe8" "om"));
  QCOMPARE(encode(u8(u8"\u212b")), std::string("\xea" "A"));  // ANGSTROM SIGN, a singleton
  // Spacing ANSEL characters, and the C1 codes ANSEL lists.
  QCOMPARE(encode(u8(u8"\u0141\u00d8\u0142\u00f8 \u00df\u20ac\u02bc")), std::string("\xa1\xa2\xb1\xb2 \xc7\xc8\xae"));
  QCOMPARE(encode(u8(u8"\u0098The\u009c x\u200dy\u200cz")), std::string("\x88The\x89 x\x8dy\x8ez"));
  // Two marks: MARC-8 keeps the Unicode order before the base.
  QCOMPARE(encode(u8(u8"\u1e09")), std::string("\xf0\xe2" "c"));  // c, cedilla, acute
}

void TestMarc8Encode::compositionOfUnmappedMarks() {
  // ANSEL has o and u with horn as letters (BC, BD) but no combining horn: Vietnamese decomposes
  // to the horn letter plus the tone mark, whichever form the input has.
  QCOMPARE(encode(u8(u8"\u1edd")), std::string("\xe1\xbc"));
  QCOMPARE(encode(u8(u8"o\u031b\u0300")), std::string("\xe1\xbc"));
  QCOMPARE(encode(u8(u8"o\u0300\u031b")), std::string("\xe1\xbc"));  // canonically equal order
  QCOMPARE(encode(u8(u8"\u01b0\u0323")), std::string("\xf2\xbd"));
  // Kana + combining voiced mark: EACC has the composed kana.
  QCOMPARE(encode(u8(u8"\u304b\u3099")), std::string("\x1b$1\x69\x24\x2c\x1b(B"));
  QCOMPARE(encode(u8(u8"\u304c")), std::string("\x1b$1\x69\x24\x2c\x1b(B"));
  std::vector<Marc8Problem> problems;
  encode(u8(u8"\u1edd\u304b\u3099"), {}, &problems);
  QVERIFY(problems.empty());
}

void TestMarc8Encode::combiningOrder() {
  // Characters that have a code of their own are not decomposed (Extended Cyrillic IO), and a
  // decomposed sequence keeps its parts: E + ANSEL diaeresis, as the original MARC-8 had it.
  QCOMPARE(encode(u8(u8"\u0401")), std::string("\x1b(Qd\x1b(B"));
  QCOMPARE(encode(u8(u8"\u0415\u0308")), std::string("\x1b(N\xe8" "e\x1b(B"));
  // A mark on a space, and a mark in the base's own set (Hebrew qamats on bet, Greek acute).
  QCOMPARE(encode(u8(u8" \u0301")), std::string("\xe2 "));
  QCOMPARE(encode(u8(u8"\u05d1\u05b8")), std::string("\x1b(2\x41\x61\x1b(B"));
  QCOMPARE(encode(u8(u8"\u03ac")), std::string("\x1b(S\x22\x61\x1b(B"));
  QCOMPARE(encode(u8(u8"\u03b1\u0301")), std::string("\x1b(S\x22\x61\x1b(B"));
  // An ANSEL mark on a Hebrew letter: the escape comes before the mark, not between the two.
  QCOMPARE(encode(u8(u8"a \u05d1\u0301")), std::string("a \x1b(2\xe2\x61\x1b(B"));
  // Marks beyond what a cluster holds keep their order as references after the base.
  std::string many = "e";
  for (int k = 0; k < 40; ++k) many += u8(u8"\u0301");
  QCOMPARE(decode(encode(many), rawOptions()), many);
}

void TestMarc8Encode::escapes_data() {
  QTest::addColumn<QString>("utf8");
  QTest::addColumn<QByteArray>("marc8");
  QTest::newRow("Hebrew") << QString::fromUtf8(u8"\u05d0\u05d1") << QByteArray("\x1b(2\x60\x61\x1b(B");
  QTest::newRow("Hebrew then Latin") << QString::fromUtf8(u8"\u05d0\u05d1 ab") << QByteArray("\x1b(2\x60\x61\x1b(B ab");
  QTest::newRow("Basic Cyrillic") << QString::fromUtf8(u8"\u0415") << QByteArray("\x1b(Ne\x1b(B");
  QTest::newRow("Basic + Extended Cyrillic") << QString::fromUtf8(u8"\u0415\u0401\u0415")
                                             << QByteArray("\x1b(Ne\x1b(Qd\x1b(Ne\x1b(B");
  QTest::newRow("Basic + Extended Arabic") << QString::fromUtf8(u8"\u0627\u06a9") << QByteArray("\x1b(3G\x1b(4X\x1b(B");
  QTest::newRow("Greek") << QString::fromUtf8(u8"\u03a9") << QByteArray("\x1b(S\x5d\x1b(B");
  QTest::newRow("EACC") << QString::fromUtf8(u8"\u4eba (\u4eba)") << QByteArray("\x1b$1!0d\x1b(B (\x1b$1!0d\x1b(B)");
  QTest::newRow("ideographic space") << QString::fromUtf8(u8"\u3000") << QByteArray("\x1b$1!#!\x1b(B");
  QTest::newRow("subscript") << QString::fromUtf8(u8"H\u2082O") << QByteArray("H\x1b" "b2\x1bsO");
  QTest::newRow("superscript at end") << QString::fromUtf8(u8"x\u00b2") << QByteArray("x\x1bp2\x1bs");
  QTest::newRow("subscript to superscript") << QString::fromUtf8(u8"\u2082\u00b2") << QByteArray("\x1b" "b2\x1bp2\x1bs");
  QTest::newRow("subscript to Hebrew") << QString::fromUtf8(u8"\u2082\u05d0") << QByteArray("\x1b" "b2\x1b(2\x60\x1b(B");
  QTest::newRow("ANSEL keeps G0") << QString::fromUtf8(u8"\u05d0\u0141\u05d0") << QByteArray("\x1b(2\x60\xa1\x60\x1b(B");
  QTest::newRow("C1 keeps G0") << QString::fromUtf8(u8"\u0627\u200c\u0627") << QByteArray("\x1b(3G\x8eG\x1b(B");
  // Alpha is in Basic Greek and in Greek Symbols: Basic Greek, unless G0 already has the other.
  QTest::newRow("alpha") << QString::fromUtf8(u8"\u03b1") << QByteArray("\x1b(Sa\x1b(B");
  // LEFT DOUBLE QUOTATION MARK is in Basic Arabic and Basic Greek; the current set wins.
  QTest::newRow("quote in Greek") << QString::fromUtf8(u8"\u03a9\u201c") << QByteArray("\x1b(S\x5d\x32\x1b(B");
  QTest::newRow("quote alone") << QString::fromUtf8(u8"\u201c") << QByteArray("\x1b(3z\x1b(B");
}

void TestMarc8Encode::escapes() {
  QFETCH(QString, utf8);
  QFETCH(QByteArray, marc8);
  std::vector<Marc8Problem> problems;
  const std::string out = encode(utf8.toStdString(), {}, &problems);
  QCOMPARE(show(out), show(std::string_view(marc8.constData(), static_cast<std::size_t>(marc8.size()))));
  QVERIFY(problems.empty());
  QCOMPARE(QString::fromStdString(decode(out)), utf8);
}

void TestMarc8Encode::minimalStateChanges() {
  // One escape per change of set: a run of Hebrew letters is one designation.
  const std::string hebrew = u8(u8"\u05e9\u05dc\u05d5\u05dd");
  const std::string out = encode(hebrew + hebrew + hebrew);
  QCOMPARE(std::count(out.begin(), out.end(), '\x1b'), 2);
  // Characters that Basic Latin has go in Basic Latin (yaz and the RLIN data do the same), so a
  // space between two Hebrew words returns to ASCII.
  QCOMPARE(encode(hebrew + " " + hebrew), std::string("\x1b(2yl") + "em\x1b(B \x1b(2yl" + "em\x1b(B");
  // Each call starts and ends with the default sets.
  QCOMPARE(encode(u8(u8"\u05d0")), std::string("\x1b(2\x60\x1b(B"));
  QCOMPARE(encode("a"), std::string("a"));
}

void TestMarc8Encode::ligatureHalves() {
  // ANSEL EB/EC (ligature) and FA/FB (double tilde) halves, from either Unicode convention.
  QCOMPARE(encode(u8(u8"t\ufe20s\ufe21")), std::string("\xeb" "t\xec" "s"));
  QCOMPARE(encode(u8(u8"n\ufe22g\ufe23")), std::string("\xfa" "n\xfb" "g"));
  QCOMPARE(encode(u8(u8"t\u0361s")), std::string("\xeb" "t\xec" "s"));
  QCOMPARE(encode(u8(u8"n\u0360g")), std::string("\xfa" "n\xfb" "g"));
  QCOMPARE(encode(u8(u8"t\u0361s\u0301")), std::string("\xeb" "t\xec\xe2" "s"));
  // Decoding gives each convention back.
  Marc8Options loc;
  loc.ligature_halves_fe2x = false;
  QCOMPARE(decode(encode(u8(u8"t\u0361s"))), u8(u8"t\ufe20s\ufe21"));
  QCOMPARE(decode(encode(u8(u8"t\u0361s")), loc), u8(u8"t\u0361s"));
  QCOMPARE(decode(encode(u8(u8"d\u0361\u017e")), loc), u8(u8"d\u0361\u017e"));
  // At the end of the string the second half has nothing to precede: LoC maps EC to nothing.
  QCOMPARE(encode(u8(u8"t\u0361")), std::string("\xeb" "t"));
}

void TestMarc8Encode::unmapped() {
  std::vector<Marc8Problem> problems;
  std::string out;
  QVERIFY(!utf8_to_marc8(u8(u8"a\u2603b\U0001F600"), out, &problems));
  QCOMPARE(out, std::string("a&#x2603;b&#x1F600;"));
  QCOMPARE(problems.size(), std::size_t{2});
  QCOMPARE(problems[0].kind, Marc8ProblemKind::UnmappedCode);
  QCOMPARE(problems[0].offset, std::size_t{1});
  QCOMPARE(problems[0].detail, std::string("U+2603"));
  QCOMPARE(problems[1].offset, std::size_t{5});
  QCOMPARE(problems[1].detail, std::string("U+1F600"));
  QCOMPARE(decode(out), u8(u8"a\u2603b\U0001F600"));
  // The reference is written with G0 = ASCII.
  QCOMPARE(encode(u8(u8"\u05d0\u2603\u05d0")), std::string("\x1b(2\x60\x1b(B&#x2603;\x1b(2\x60\x1b(B"));
  // Without references: the fallback character, still reported.
  Marc8EncodeOptions lossy;
  lossy.use_ncr = false;
  problems.clear();
  QCOMPARE(encode(u8(u8"a\u2603b"), lossy, &problems), std::string("a?b"));
  QCOMPARE(problems.size(), std::size_t{1});
  lossy.fallback = '_';
  QCOMPARE(encode(u8(u8"a\u2603b"), lossy), std::string("a_b"));
  lossy.fallback = '\x1b';  // not printable ASCII: '?' instead
  QCOMPARE(encode(u8(u8"a\u2603b"), lossy), std::string("a?b"));
  // Innovative Interfaces' EACC punctuation is not LoC MARC-8: references (or another set).
  QCOMPARE(encode(u8(u8"\u2026")), std::string("&#x2026;"));
  // Without a problem list the result is the same.
  QCOMPARE(encode(u8(u8"a\u2603b"), {}, nullptr), std::string("a&#x2603;b"));
}

void TestMarc8Encode::marksWithoutMarc8Place() {
  std::vector<Marc8Problem> problems;
  // An unmapped mark stays after its base as a reference; marks after it too, so that the
  // decoder restores the order.
  QCOMPARE(encode(u8(u8"e\u0334"), {}, &problems), std::string("e&#x0334;"));
  QCOMPARE(problems.size(), std::size_t{1});
  problems.clear();
  QCOMPARE(encode(u8(u8"e\u0301\u0334\u0302x"), {}, &problems), std::string("\xe2" "e&#x0334;&#x0302;x"));
  QCOMPARE(problems.size(), std::size_t{1});
  QCOMPARE(problems[0].offset, std::size_t{3});
  QCOMPARE(decode(encode(u8(u8"e\u0301\u0334\u0302x")), rawOptions()), u8(u8"e\u0301\u0334\u0302x"));
  // A mark with nothing before it: a reference, reported.
  problems.clear();
  QCOMPARE(encode(u8(u8"\u0301abc"), {}, &problems), std::string("&#x0301;abc"));
  QCOMPARE(problems.size(), std::size_t{1});
  QCOMPARE(problems[0].detail, std::string("U+0301 without a base character"));
  QCOMPARE(decode(encode(u8(u8"\u0301abc")), rawOptions()), u8(u8"\u0301abc"));
  // Marks on an unmapped base precede its reference.
  QCOMPARE(encode(u8(u8"\u2603\u0301")), std::string("\xe2&#x2603;"));
  QCOMPARE(decode(encode(u8(u8"\u2603\u0301")), rawOptions()), u8(u8"\u2603\u0301"));
}

void TestMarc8Encode::ampersandThatLooksLikeReference() {
  // The decoder turns &#xHHHH; into a character, so a literal one in the text gets its '&'
  // written as a reference; decoding gives the literal text back.
  const std::string literal = "see &#x41; and &#x0041;";
  std::vector<Marc8Problem> problems;
  const std::string out = encode(literal, {}, &problems);
  QCOMPARE(out, std::string("see &#x0026;#x41; and &#x0026;#x0041;"));
  QVERIFY(problems.empty());
  QCOMPARE(decode(out), literal);
  // Only what the decoder would read: no digits, too many, a bad value or no ';' stay as they are.
  QCOMPARE(encode("&#x; &#x1234567; &#x0; &#xD800; &#x110000; &#x41"), std::string("&#x; &#x1234567; &#x0; &#xD800; &#x110000; &#x41"));
  QCOMPARE(encode(u8(u8"&#x4\u00e91;")), std::string("&#x4\xe2" "e1;"));
  // A combining mark after the '&' is written before it, so the '&' meets what follows the mark
  // (found by fuzz_marc8_encode): "&", U+0301, "#x41;" must not come back as U+0301 "A".
  QCOMPARE(encode(u8(u8"&\u0301#x41;")), std::string("\xe2&#x0026;#x41;"));
  QCOMPARE(decode(encode(u8(u8"&\u0301#x41;")), rawOptions()), u8(u8"&\u0301#x41;"));
  QCOMPARE(encode(u8(u8"&\u0340\u0301#x41;")), std::string("\xe1\xe2&#x0026;#x41;"));  // U+0340 is U+0300
  // A base character after the '&' stays between them.
  QCOMPARE(encode(u8(u8"&\u00e9#x41;")), std::string("&\xe2" "e#x41;"));
  Marc8EncodeOptions lossy;
  lossy.use_ncr = false;
  QCOMPARE(encode(literal, lossy), literal);
}

void TestMarc8Encode::invalidUtf8() {
  std::vector<Marc8Problem> problems;
  std::string out;
  QVERIFY(!utf8_to_marc8("a\xff" "b\xe2\x82" "c\xc3", out, &problems));
  QCOMPARE(out, std::string("a&#xFFFD;b&#xFFFD;c&#xFFFD;"));
  QCOMPARE(problems.size(), std::size_t{3});
  QCOMPARE(problems[0].offset, std::size_t{1});
  QCOMPARE(problems[1].offset, std::size_t{3});
  QCOMPARE(problems[2].offset, std::size_t{6});
  QCOMPARE(problems[0].kind, Marc8ProblemKind::UnmappedCode);
  QVERIFY(problems[0].detail.find("invalid UTF-8") != std::string::npos);
  // Surrogates and overlongs are invalid too.
  QCOMPARE(encode("\xed\xa0\x80" "\xc0\xaf"), std::string("&#xFFFD;&#xFFFD;&#xFFFD;&#xFFFD;&#xFFFD;"));
  Marc8EncodeOptions lossy;
  lossy.use_ncr = false;
  QCOMPARE(encode("a\xff" "b", lossy), std::string("a?b"));
}

void TestMarc8Encode::controls() {
  // C0 controls pass through as in the decoder; ESC would start an escape sequence, so it is a
  // reference (and a problem).
  QCOMPARE(encode(std::string_view("a\x01" "b\x00" "c", 5)), std::string("a\x01" "b\x00" "c", 5));
  std::vector<Marc8Problem> problems;
  QCOMPARE(encode("a\x1b" "b", {}, &problems), std::string("a&#x001B;b"));
  QCOMPARE(problems.size(), std::size_t{1});
  QCOMPARE(encode("\x7f"), std::string("&#x007F;"));
  // A mark after a control has no base.
  problems.clear();
  QCOMPARE(encode(u8(u8"\u0001\u0301"), {}, &problems), std::string("\x01&#x0301;"));
  QCOMPARE(problems.size(), std::size_t{1});
}

// The acceptance test: every MARC-8 string of the fixtures, decoded to UTF-8 and encoded back,
// gives the original bytes, except for the counted classes of difference below (each explained in
// resources/marc8/README.md, "Encoding"). In every case the re-encoded string decodes to the same
// text as the original.
void TestMarc8Encode::roundTripFixtures_data() {
  QTest::addColumn<QString>("fixture");
  QTest::addColumn<int>("pieces");
  QTest::addColumn<int>("identical");
  // Deliberate exceptions: AsciiInSet, NoFinalReset, Escapes, EaccAlternate, Iii, BadCode.
  QTest::addColumn<int>("asciiInSet");
  QTest::addColumn<int>("noFinalReset");
  QTest::addColumn<int>("escapes");
  QTest::addColumn<int>("eaccAlternate");
  QTest::addColumn<int>("iii");
  QTest::addColumn<int>("badCode");
  auto row = [](const char* name, int pieces, int identical, int ascii, int reset, int esc, int eacc, int iii, int bad) {
    QTest::newRow(name) << QString::fromUtf8(name) << pieces << identical << ascii << reset << esc << eacc << iii << bad;
  };
  row("valid/solrmarc-uva_001_2000.mrc", 149423, 149423, 0, 0, 0, 0, 0, 0);
  row("valid/evergreen-jazz_1k.mrc", 48333, 48333, 0, 0, 0, 0, 0, 0);
  row("valid/evergreen-lul_fre_500.mrc", 25311, 25311, 0, 0, 0, 0, 0, 0);
  row("marc8/pymarc-test_marc8.txt", 1515, 1493, 0, 0, 0, 21, 1, 0);
  row("marc8/evergreen-hebrew.marc", 1560, 1490, 69, 0, 0, 0, 0, 1);
  row("marc8/marccharset-cjk1.marc", 101, 101, 0, 0, 0, 0, 0, 0);
  row("marc8/marccharset-cjk2.marc", 101, 101, 0, 0, 0, 0, 0, 0);
  row("marc8/marccharset-cjk3.marc", 110, 110, 0, 0, 0, 0, 0, 0);
  row("marc8/marccharset-cjk4.marc", 83, 83, 0, 0, 0, 0, 0, 0);
  row("marc8/marccharset-cyrillic.marc", 66, 61, 5, 0, 0, 0, 0, 0);
  row("marc8/marccharset-farsi.marc", 5, 0, 5, 0, 0, 0, 0, 0);
  row("marc8/marccharset-hebrew1.marc", 59, 53, 6, 0, 0, 0, 0, 0);
  row("marc8/marccharset-hebrew2.marc", 86, 79, 7, 0, 0, 0, 0, 0);
  row("marc8/marccharset-hebrew3.marc", 47, 43, 4, 0, 0, 0, 0, 0);
  row("marc8/marccharset-hebrew4.marc", 56, 51, 5, 0, 0, 0, 0, 0);
  row("marc8/rubymarc-escaped_character_reference.marc8.marc", 6, 6, 0, 0, 0, 0, 0, 0);
  row("marc8/solrmarc-u5278992.mrc", 102, 94, 6, 0, 2, 0, 0, 0);
}

void TestMarc8Encode::roundTripFixtures() {
  QFETCH(QString, fixture);
  QFETCH(int, pieces);
  QFETCH(int, identical);
  QFETCH(int, asciiInSet);
  QFETCH(int, noFinalReset);
  QFETCH(int, escapes);
  QFETCH(int, eaccAlternate);
  QFETCH(int, iii);
  QFETCH(int, badCode);
  const QByteArray data = readFixture(fixture.toUtf8().constData());
  QVERIFY2(!data.isEmpty(), "fixture missing");
  const bool lines = fixture.endsWith(QStringLiteral(".txt")) || !std::isdigit(static_cast<unsigned char>(data[0]));
  const std::vector<std::string> all = fixturePieces(data, lines);

  // Decoding without NFC keeps each MARC-8 character a code point of its own in MARC-8's mark
  // order, which is what makes the trip back byte-exact in general (roundTripNormalizationChoice).
  Marc8Options raw;
  raw.normalize_nfc = false;
  int same = 0;
  std::map<Diff, int> diffs;
  std::string report;
  for (const std::string& original : all) {
    std::string text;
    marc8_to_utf8(original, text, nullptr, raw);
    std::vector<Marc8Problem> problems;
    std::string back;
    utf8_to_marc8(text, back, &problems);
    // Whatever the bytes, the text survives (the III codes come back through references).
    if (decode(back, raw) != text) {
      QFAIL(("text changed: " + show(original) + " -> " + show(back)).c_str());
    }
    if (back == original) {
      ++same;
      // Only U+FFFD (a reference in the original: rubymarc's &#xFFFD;) has no MARC-8 form.
      for (const Marc8Problem& p : problems) QCOMPARE(p.detail, std::string("U+FFFD"));
      continue;
    }
    const Diff d = classify(original, back);
    if (++diffs[d] <= 2 || d == Diff::Other) {
      report += std::string("\n  [") + diffName(d) + "] " + show(original) + "\n    ours: " + show(back);
    }
  }
  qInfo("%s: %zu strings, %d identical, %zu differ%s", qPrintable(fixture), all.size(), same, all.size() - same,
        report.c_str());
  QCOMPARE(static_cast<int>(all.size()), pieces);
  QCOMPARE(diffs[Diff::Other], 0);
  QCOMPARE(same, identical);
  QCOMPARE(diffs[Diff::AsciiInSet], asciiInSet);
  QCOMPARE(diffs[Diff::NoFinalReset], noFinalReset);
  QCOMPARE(diffs[Diff::Escapes], escapes);
  QCOMPARE(diffs[Diff::EaccAlternate], eaccAlternate);
  QCOMPARE(diffs[Diff::Iii], iii);
  QCOMPARE(diffs[Diff::BadCode], badCode);
}

// Why the round trip decodes without NFC: NFC reorders marks of different combining classes and
// composes base + mark into characters MARC-8 also has precomposed, so the trip back can choose
// another (equivalent) encoding. With normalize_nfc = false it is byte-exact.
void TestMarc8Encode::roundTripNormalizationChoice() {
  Marc8Options raw;
  raw.normalize_nfc = false;
  // acute before dot below in MARC-8: NFC puts the dot (class 220) before the acute (230).
  const std::string marks = "\xe2\xf2" "a";
  QCOMPARE(encode(decode(marks, raw)), marks);
  QCOMPARE(encode(decode(marks)), std::string("\xf2\xe2" "a"));
  // Basic Cyrillic E + ANSEL diaeresis: NFC composes it into IO, which Extended Cyrillic has.
  const std::string io = "\x1b(N\xe8" "e\x1b(B";
  QCOMPARE(encode(decode(io, raw)), io);
  QCOMPARE(encode(decode(io)), std::string("\x1b(Qd\x1b(B"));
}

// UTF-8 -> MARC-8 -> UTF-8 gives the input back (as NFC) for pymarc's UTF-8 test lines.
void TestMarc8Encode::pymarcUtf8RoundTrip() {
  const QByteArray data = readFixture("marc8/pymarc-test_utf8.txt");
  QVERIFY(!data.isEmpty());
  const std::vector<std::string> lines = splitLines(std::string_view(data.constData(), static_cast<std::size_t>(data.size())));
  QCOMPARE(lines.size(), std::size_t{1515});
  int problemLines = 0;
  for (const std::string& line : lines) {
    std::vector<Marc8Problem> problems;
    std::string m8;
    if (!utf8_to_marc8(line, m8, &problems)) ++problemLines;
    const std::string back = decode(m8);
    if (back != marcscope::nfc(line)) QFAIL(("line " + line + " -> " + show(m8) + " -> " + back).c_str());
  }
  // The last line has four of Innovative Interfaces' punctuation characters with no LoC code.
  QCOMPARE(problemLines, 1);
}

// Random strings: mostly characters MARC-8 has (from every set, decomposed and not), plus
// unmapped ones, controls and invalid bytes. UTF-8 -> MARC-8 -> UTF-8 must give back NFC of the
// input (invalid bytes as U+FFFD), and a problem exactly where something had no MARC-8 form.
void TestMarc8Encode::randomRoundTrip() {
  // Every character of every set, found by decoding each code.
  std::vector<std::string> bases;
  std::vector<std::string> marks;
  Marc8Options raw;
  raw.normalize_nfc = false;
  const char* finals = "BE2NQ34Sgbp";
  for (const char* f = finals; *f; ++f) {
    for (int c = 0x21; c < 0x7f; ++c) {
      std::string m8 = std::string("\x1b(") + *f;
      m8 += static_cast<char>(*f == 'E' ? c | 0x80 : c);
      std::string out;
      if (!marc8_to_utf8(m8, out, nullptr, raw) || out.empty()) continue;
      if (out[0] == ' ' && out.size() > 1) {
        if (out != u8(u8" \u0361") && out != u8(u8" \u0360")) marks.push_back(out.substr(1));  // a lone mark
      } else {
        bases.push_back(out);
      }
    }
  }
  std::string m8 = "\x1b$1xyz";
  for (int c1 = 0x21; c1 < 0x7f; ++c1) {
    for (int c2 = 0x21; c2 < 0x7f; ++c2) {
      for (int c3 = 0x21; c3 < 0x7f; ++c3) {
        m8[3] = static_cast<char>(c1);
        m8[4] = static_cast<char>(c2);
        m8[5] = static_cast<char>(c3);
        std::string out;
        if (marc8_to_utf8(m8, out, nullptr, raw)) bases.push_back(out);
      }
    }
  }
  QVERIFY(bases.size() > 15000);
  QVERIFY(marks.size() > 40);
  const std::vector<std::string> extra = {
      u8(u8"\u00e9"), u8(u8"\u1edd"), u8(u8"\u01d8"), u8(u8"\u03ac"), u8(u8"\u0419"), u8(u8"\u304c"), u8(u8"\u2603"),
      u8(u8"\U0001F600"), u8(u8"\u0334"), u8(u8"\u031b"), u8(u8"\u3099"), "&", "&#x41;", " ", "\x01", "\x1b", "\xff", "\xe2\x82",
  };
  Rng rng;
  int withProblems = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string in;
    const std::uint32_t len = rng.next() % 12;
    for (std::uint32_t k = 0; k < len; ++k) {
      const std::uint32_t r = rng.next();
      if (r % 10 < 6) {
        in += bases[(r >> 8) % bases.size()];
      } else if (r % 10 < 8) {
        in += marks[(r >> 8) % marks.size()];
      } else {
        in += extra[(r >> 8) % extra.size()];
      }
    }
    std::vector<Marc8Problem> problems;
    std::string m8;
    const bool ok = utf8_to_marc8(in, m8, &problems);
    QCOMPARE(ok, problems.empty());
    if (!ok) ++withProblems;
    for (const Marc8Problem& p : problems) QVERIFY(p.offset < in.size());
    std::string repaired;
    marcscope::append_utf8_replacing(in, repaired);
    std::string back;
    std::vector<Marc8Problem> decodeProblems;
    marc8_to_utf8(m8, back, &decodeProblems);
    if (!decodeProblems.empty() || back != marcscope::nfc(repaired)) {
      QFAIL(("input " + show(in) + "\n  marc8 " + show(m8) + "\n  back  " + show(back) + "\n  want  " +
             show(marcscope::nfc(repaired))).c_str());
    }
    // Without a problem list, the same bytes.
    std::string again;
    QCOMPARE(utf8_to_marc8(in, again, nullptr), ok);
    QCOMPARE(again, m8);
  }
  QVERIFY(withProblems > 0);
}

QTEST_APPLESS_MAIN(TestMarc8Encode)
#include "test_marc8_encode.moc"
