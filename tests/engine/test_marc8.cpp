// Tests for marcscope::marc8_to_utf8 (engine/src/marc8.cpp, tables from tools/gen_marc8_tables.py).

#include <QFile>
#include <QString>
#include <QTest>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "marcscope/charset/charset.h"
#include "marcscope/charset/marc8.h"
#include "marcscope/charset/utf8.h"

using marcscope::Marc8Options;
using marcscope::Marc8Problem;
using marcscope::Marc8ProblemKind;
using marcscope::marc8_to_utf8;

namespace {

std::string convert(std::string_view in, const Marc8Options& options = {}, std::vector<Marc8Problem>* problems = nullptr) {
  std::string out;
  marc8_to_utf8(in, out, problems, options);
  return out;
}

std::string hex(std::string_view s) {
  static const char digits[] = "0123456789ABCDEF";
  std::string h;
  for (unsigned char c : s) {
    if (!h.empty()) h += ' ';
    h += digits[c >> 4];
    h += digits[c & 0xF];
  }
  return h;
}

std::string u8(std::u8string_view s) { return std::string(s.begin(), s.end()); }

QByteArray readFixture(const char* relative) {
  QFile f(QStringLiteral(MARCSCOPE_TEST_DATA "/") + QString::fromUtf8(relative));
  if (!f.open(QIODevice::ReadOnly)) return {};
  return f.readAll();
}

std::vector<std::string> splitLines(const QByteArray& data) {
  std::vector<std::string> lines;
  std::string_view rest(data.constData(), static_cast<std::size_t>(data.size()));
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) {
      lines.emplace_back(rest);
      break;
    }
    lines.emplace_back(rest.substr(0, nl));
    rest.remove_prefix(nl + 1);
  }
  return lines;
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

/// Random MARC-8-ish bytes: plain bytes mixed with escape and set bytes so that every state of
/// the decoder is reached.
std::string randomMarc8(Rng& rng) {
  static const char interesting[] = "\x1b\x1b\x1b()$,-!gbps1EB23NQ4S&#x;\xe1\xe2\xeb\xec\xfa\xfb \x1d\x1e\x1f";
  std::string s(rng.next() % 48, '\0');
  for (char& c : s) {
    const std::uint32_t r = rng.next();
    c = (r % 10 < 4) ? interesting[(r >> 8) % (sizeof(interesting) - 1)] : static_cast<char>(r >> 16);
  }
  return s;
}

}  // namespace

class TestMarc8 : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void pymarcPairs();
  void nfcOnlyWhenNeeded();
  void asciiAndEmpty();
  void escapeForms_data();
  void escapeForms();
  void techniqueOne();
  void eacc();
  void hebrewAndCyrillic();
  void combiningReordering();
  void trailingCombining();
  void numericCharacterReference();
  void ligatureHalves();
  void unknownEscape();
  void truncated();
  void unmapped();
  void controlsPassThrough();
  void stateResetsPerCall();
  void randomBytesNeverCrash();
  void iso2709Smoke();
  void plainAsciiChecksMatchByteByByte();
  void asciiRunsEndAtEveryPosition();
  void latinLettersComposeAsNfcSays();
};

// pymarc's own test pairs: line i of test_marc8.txt must convert to line i of test_utf8.txt.
void TestMarc8::pymarcPairs() {
  const QByteArray marc8 = readFixture("marc8/pymarc-test_marc8.txt");
  const QByteArray utf8 = readFixture("marc8/pymarc-test_utf8.txt");
  QVERIFY2(!marc8.isEmpty() && !utf8.isEmpty(), "pymarc fixtures missing");
  const std::vector<std::string> in = splitLines(marc8);
  const std::vector<std::string> expected = splitLines(utf8);
  QCOMPARE(in.size(), std::size_t{1515});
  QCOMPARE(expected.size(), in.size());

  int mismatches = 0;
  int problemLines = 0;
  std::string report;
  for (std::size_t i = 0; i < in.size(); ++i) {
    std::vector<Marc8Problem> problems;
    std::string out;
    const bool ok = marc8_to_utf8(in[i], out, &problems);
    if (!ok || !problems.empty()) ++problemLines;
    if (out != expected[i]) {
      if (++mismatches <= 5) {
        report += "\nline " + std::to_string(i + 1) + "\n  in:       " + hex(in[i]) + "\n  got:      " + hex(out) +
                  "\n  expected: " + hex(expected[i]);
      }
    }
  }
  if (mismatches) report = std::to_string(mismatches) + " of 1515 lines differ; first ones:" + report;
  QVERIFY2(mismatches == 0, report.c_str());
  QCOMPARE(problemLines, 0);
}

// The decoder skips NFC for text that cannot change under it; the result must still equal full NFC.
void TestMarc8::nfcOnlyWhenNeeded() {
  Marc8Options raw;
  raw.normalize_nfc = false;
  std::vector<std::string> inputs = splitLines(readFixture("marc8/pymarc-test_marc8.txt"));
  Rng rng;
  for (int i = 0; i < 20000; ++i) inputs.push_back(randomMarc8(rng));
  for (const std::string& s : inputs) {
    const std::string composed = convert(s);
    const std::string decomposed = convert(s, raw);
    if (composed != marcscope::nfc(decomposed)) {
      const std::string msg = "input " + hex(s) + ": " + hex(composed) + " != NFC(" + hex(decomposed) + ")";
      QFAIL(msg.c_str());
    }
  }
}

void TestMarc8::asciiAndEmpty() {
  std::vector<Marc8Problem> problems;
  std::string out = "keep";
  QVERIFY(marc8_to_utf8("", out, &problems));
  QCOMPARE(out, std::string("keep"));
  QVERIFY(problems.empty());

  QVERIFY(marc8_to_utf8(" plain ASCII, 123 & more ", out, &problems));
  QCOMPARE(out, std::string("keep plain ASCII, 123 & more "));
  QVERIFY(problems.empty());

  QCOMPARE(convert("Eszett \xc7 Euro \xc8 alif \xae"), u8(u8"Eszett \u00df Euro \u20ac alif \u02bc"));
  QCOMPARE(convert("\xa1\xa2\xb1\xb2"), u8(u8"\u0141\u00d8\u0142\u00f8"));
  // ANSEL's C1 codes NSB, NSE, ZWJ and ZWNJ map as the LoC table says.
  QCOMPARE(convert("\x88The\x89 x\x8dy\x8ez"), u8(u8"\u0098The\u009c x\u200dy\u200cz"));
}

void TestMarc8::escapeForms_data() {
  QTest::addColumn<QByteArray>("input");
  QTest::addColumn<QString>("expected");
  // Basic Hebrew 0x60/0x61 = alef/bet; as G1 the same characters sit at 0xE0/0xE1.
  QTest::newRow("ESC ( F") << QByteArray("a\x1b(2\x60\x61\x1b(Bb") << QString::fromUtf8(u8"a\u05d0\u05d1b");
  QTest::newRow("ESC , F") << QByteArray("a\x1b,2\x60\x61\x1b,Bb") << QString::fromUtf8(u8"a\u05d0\u05d1b");
  QTest::newRow("ESC ) F") << QByteArray("a\x1b)2\xe0\xe1\x1b)E\xa1") << QString::fromUtf8(u8"a\u05d0\u05d1\u0141");
  QTest::newRow("ESC - F") << QByteArray("a\x1b-2\xe0\xe1\x1b-E\xa1") << QString::fromUtf8(u8"a\u05d0\u05d1\u0141");
  QTest::newRow("ESC ) F keeps G0") << QByteArray("\x1b)2x\xe0y") << QString::fromUtf8(u8"x\u05d0y");
  QTest::newRow("ESC $ F") << QByteArray("\x1b$1\x21\x30\x64\x1b(B.") << QString::fromUtf8(u8"\u4eba.");
  QTest::newRow("ESC $ ( F") << QByteArray("\x1b$(1\x21\x30\x64\x1b(B.") << QString::fromUtf8(u8"\u4eba.");
  QTest::newRow("ESC $ , F") << QByteArray("\x1b$,1\x21\x30\x64\x1b(B.") << QString::fromUtf8(u8"\u4eba.");
  QTest::newRow("ESC $ ) F") << QByteArray("x\x1b$)1\xa1\xb0\xe4y") << QString::fromUtf8(u8"x\u4ebay");
  QTest::newRow("ESC $ - F") << QByteArray("x\x1b$-1\xa1\xb0\xe4y") << QString::fromUtf8(u8"x\u4ebay");
  QTest::newRow("ESC ( ! E") << QByteArray("\x1b(!E\x21\x1b(B!") << QString::fromUtf8(u8"\u0141!");
  QTest::newRow("ANSEL as G0") << QByteArray("\x1b(E\x62\x1b(Be") << QString::fromUtf8(u8"\u00e9");
  QTest::newRow("Extended Cyrillic G1") << QByteArray("\x1b)Q\xc0\xc1") << QString::fromUtf8(u8"\u0491\u0452");
  QTest::newRow("Extended Cyrillic G0") << QByteArray("\x1b(Q\x40\x41") << QString::fromUtf8(u8"\u0491\u0452");
  QTest::newRow("Basic Arabic") << QByteArray("\x1b(3\x47\x1b(B") << QString::fromUtf8(u8"\u0627");
  QTest::newRow("Extended Arabic G1") << QByteArray("\x1b)4\xa1") << QString::fromUtf8(u8"\u06fd");
  QTest::newRow("C1 whatever G1 is") << QByteArray("\x1b(3\x1b)4\x47\x8e\x47\x88") << QString::fromUtf8(u8"\u0627\u200c\u0627\u0098");
  QTest::newRow("Basic Greek") << QByteArray("\x1b(S\x41\x62\x1b(B") << QString::fromUtf8(u8"\u0391\u03b2");
}

void TestMarc8::escapeForms() {
  QFETCH(QByteArray, input);
  QFETCH(QString, expected);
  std::vector<Marc8Problem> problems;
  std::string out;
  QVERIFY(marc8_to_utf8(std::string_view(input.constData(), static_cast<std::size_t>(input.size())), out, &problems));
  QCOMPARE(QString::fromStdString(out), expected);
  QVERIFY(problems.empty());
}

void TestMarc8::techniqueOne() {
  QCOMPARE(convert("CO\x1b" "b2\x1bs is a gas"), u8(u8"CO\u2082 is a gas"));
  QCOMPARE(convert("CO\x1b" "b2\x1bs"), u8(u8"CO\u2082"));
  QCOMPARE(convert("x\x1bp2\x1bs"), u8(u8"x\u00b2"));
  QCOMPARE(convert("\x1bgabc\x1bs"), u8(u8"\u03b1\u03b2\u03b3"));
  // The technique-1 sets can also be designated the long way.
  QCOMPARE(convert("\x1b(gab\x1b(B"), u8(u8"\u03b1\u03b2"));
}

void TestMarc8::eacc() {
  // 人 (EACC 213064), an ideographic space both ways (212320, 212321), then a one-byte space.
  QCOMPARE(convert("\x1b$1\x21\x30\x64\x21\x23\x20\x21\x23\x21 \x21\x30\x64\x1b(B"),
           u8(u8"\u4eba\u3000\u3000 \u4eba"));
  // A line from pymarc's data: Korean with a return to ASCII.
  QCOMPARE(convert("\x1b$1\x21\x30\x64\x1b(B (\x1b$1\x21\x30\x64\x1b(B)"), u8(u8"\u4eba (\u4eba)"));
  // Innovative Interfaces' punctuation codes inside EACC runs.
  QCOMPARE(convert("\x1b$1\x21\x20\x3d\x7f\x20\x14\x1b(B"), u8(u8"\u2026\u2014"));
  // G1 stays ANSEL while G0 is EACC.
  QCOMPARE(convert("\x1b$1\x21\x30\x64\xa1\x1b(B"), u8(u8"\u4eba\u0141"));
}

void TestMarc8::hebrewAndCyrillic() {
  // Hebrew points (combining, 0x40 patah, 0x41 qamats) precede their letter in MARC-8.
  QCOMPARE(convert("\x1b(2\x41\x60\x61\x1b(B"), u8(u8"\u05d0\u05b8\u05d1"));
  QCOMPARE(convert("\x1b(2\x60\x61\x62\x1b(B 1"), u8(u8"\u05d0\u05d1\u05d2 1"));
  // Basic Cyrillic: 0x6F О, 0x4D м, 0x41 а, 0x5A з; punctuation stays ASCII.
  QCOMPARE(convert("\x1b(N\x6F\x4D\x41\x5A, \x61\x1b(B."), u8(u8"\u041e\u043c\u0430\u0437, \u0410."));
}

void TestMarc8::combiningReordering() {
  QCOMPARE(convert("\xe2" "e"), u8(u8"\u00e9"));
  QCOMPARE(convert("communaut\xe2" "e."), u8(u8"communaut\u00e9."));
  Marc8Options raw;
  raw.normalize_nfc = false;
  QCOMPARE(convert("\xe2" "e", raw), u8(u8"e\u0301"));
  // Several marks keep their MARC-8 order after the base.
  QCOMPARE(convert("\xf2\xe2" "x", raw), u8(u8"x\u0323\u0301"));
  QCOMPARE(convert("\xf2\xe2" "e"), marcscope::nfc(u8(u8"e\u0323\u0301")));
  // A mark before a space goes on the space; before an escape, on the next character.
  QCOMPARE(convert("\xe2 e", raw), u8(u8" \u0301e"));
  QCOMPARE(convert("\xe2\x1b(2\x60\x1b(B", raw), u8(u8"\u05d0\u0301"));
}

void TestMarc8::trailingCombining() {
  Marc8Options raw;
  raw.normalize_nfc = false;
  std::vector<Marc8Problem> problems;
  std::string out;
  QVERIFY(marc8_to_utf8("e\xe2", out, &problems, raw));
  QCOMPARE(out, u8(u8"e \u0301"));
  QCOMPARE(convert("e\xe2"), u8(u8"e \u0301"));  // not composed with the 'e' before it
}

void TestMarc8::numericCharacterReference() {
  QCOMPARE(convert("a&#x4E2D;b"), u8(u8"a\u4e2db"));
  QCOMPARE(convert("&#xfffd;"), u8(u8"\ufffd"));
  QCOMPARE(convert("&#x1F600;"), u8(u8"\U0001F600"));
  QCOMPARE(convert("e&#x301;"), u8(u8"\u00e9"));  // NFC applies to references too
  // Not references: left as text.
  QCOMPARE(convert("&#xZZ; &#x; &#x110000; &#xD800; &#x0; &amp; &#x41 &"), std::string("&#xZZ; &#x; &#x110000; &#xD800; &#x0; &amp; &#x41 &"));
  QCOMPARE(convert("&#x1234567;"), std::string("&#x1234567;"));
  // After a combining mark: the mark goes after the referenced character.
  Marc8Options raw;
  raw.normalize_nfc = false;
  QCOMPARE(convert("\xe2&#x61;", raw), u8(u8"a\u0301"));
}

void TestMarc8::ligatureHalves() {
  // MARC-8: EB t EC s (ligature over "ts"), FA n FB g (double tilde over "ng").
  const std::string_view in = "\xeb" "t\xec" "s \xfa" "n\xfb" "g";
  QCOMPARE(convert(in), u8(u8"t\ufe20s\ufe21 n\ufe22g\ufe23"));
  Marc8Options loc;
  loc.ligature_halves_fe2x = false;
  std::vector<Marc8Problem> problems;
  std::string out;
  QVERIFY(marc8_to_utf8(in, out, &problems, loc));
  QCOMPARE(out, u8(u8"t\u0361s n\u0360g"));
  QVERIFY(problems.empty());
}

void TestMarc8::unknownEscape() {
  std::vector<Marc8Problem> problems;
  std::string out;
  QVERIFY(!marc8_to_utf8("ab\x1b(Zcd", out, &problems));
  QCOMPARE(out, std::string("abcd"));  // designation skipped, G0 unchanged
  QCOMPARE(problems.size(), std::size_t{1});
  QCOMPARE(problems[0].kind, Marc8ProblemKind::UnknownEscape);
  QCOMPARE(problems[0].offset, std::size_t{2});
  QCOMPARE(problems[0].detail, std::string("ESC ( Z"));

  problems.clear();
  out.clear();
  QVERIFY(!marc8_to_utf8("x\x1bqy", out, &problems));  // not an escape sequence: only ESC dropped
  QCOMPARE(out, std::string("xqy"));
  QCOMPARE(problems.size(), std::size_t{1});
  QCOMPARE(problems[0].kind, Marc8ProblemKind::UnknownEscape);
  QCOMPARE(problems[0].offset, std::size_t{1});

  problems.clear();
  out.clear();
  QVERIFY(!marc8_to_utf8("x\x1b$)Zy\xe1" "e", out, &problems));
  QCOMPARE(out, u8(u8"xy\u00e8"));
  QCOMPARE(problems.size(), std::size_t{1});
}

void TestMarc8::truncated() {
  std::vector<Marc8Problem> problems;
  std::string out;
  QVERIFY(!marc8_to_utf8("\x1b$1\x21\x30", out, &problems));
  QCOMPARE(out, u8(u8"\ufffd"));
  QCOMPARE(problems.size(), std::size_t{1});
  QCOMPARE(problems[0].kind, Marc8ProblemKind::TruncatedSequence);
  QCOMPARE(problems[0].offset, std::size_t{3});

  // An escape inside a character cuts it short and still takes effect.
  problems.clear();
  out.clear();
  QVERIFY(!marc8_to_utf8("\x1b$1\x21\x30\x64\x21\x1b(Bok", out, &problems));
  QCOMPARE(out, u8(u8"\u4eba\ufffdok"));
  QCOMPARE(problems.size(), std::size_t{1});
  QCOMPARE(problems[0].kind, Marc8ProblemKind::TruncatedSequence);
  QCOMPARE(problems[0].offset, std::size_t{6});

  // Escapes cut off by the end of the string: the ESC goes, the rest is text.
  problems.clear();
  out.clear();
  QVERIFY(!marc8_to_utf8("Soci\xe2" "et\x1b", out, &problems));
  QCOMPARE(out, u8(u8"Soci\u00e9t"));
  QCOMPARE(problems.size(), std::size_t{1});
  QCOMPARE(problems[0].kind, Marc8ProblemKind::TruncatedSequence);
  problems.clear();
  out.clear();
  QVERIFY(!marc8_to_utf8("Soci\xe2" "et\x1b,", out, &problems));
  QCOMPARE(out, u8(u8"Soci\u00e9t,"));
  QCOMPARE(problems.size(), std::size_t{1});
  QCOMPARE(problems[0].kind, Marc8ProblemKind::TruncatedSequence);
}

void TestMarc8::unmapped() {
  std::vector<Marc8Problem> problems;
  std::string out;
  QVERIFY(!marc8_to_utf8("a\xa0" "b\x1b(2\x4f\x1b(B\x7f", out, &problems));
  QCOMPARE(out, u8(u8"a\ufffdb\ufffd\ufffd"));
  QCOMPARE(problems.size(), std::size_t{3});
  QCOMPARE(problems[0].kind, Marc8ProblemKind::UnmappedCode);
  QCOMPARE(problems[0].offset, std::size_t{1});
  QCOMPARE(problems[0].detail, std::string("0xA0 in Extended Latin (ANSEL)"));
  QCOMPARE(problems[1].detail, std::string("0x4F in Basic Hebrew"));
  QCOMPARE(problems[1].offset, std::size_t{6});

  // pymarc writes a space for unknown codes.
  Marc8Options space;
  space.replacement = U' ';
  QCOMPARE(convert("a\xa0" "b", space), std::string("a b"));

  problems.clear();
  out.clear();
  QVERIFY(!marc8_to_utf8("\x1b$1\x7e\x7e\x7e\x1b(B", out, &problems));
  QCOMPARE(out, u8(u8"\ufffd"));
  QCOMPARE(problems.size(), std::size_t{1});
  QCOMPARE(problems[0].kind, Marc8ProblemKind::UnmappedCode);
  QCOMPARE(problems[0].detail, std::string("0x7E7E7E in Chinese, Japanese, Korean (EACC)"));

  // An unmapped code is a base character: pending marks go after the replacement.
  Marc8Options raw;
  raw.normalize_nfc = false;
  QCOMPARE(convert("\xe2\xa0", raw), u8(u8"\ufffd\u0301"));
}

void TestMarc8::controlsPassThrough() {
  QCOMPARE(convert(std::string_view("a\x01" "b\x00" "c\x1f" "d", 7)), std::string("a\x01" "b\x00" "c\x1f" "d", 7));
  // Also through the NFC pass (two marks force it).
  QCOMPARE(convert(std::string_view("\xe3\xe2" "e\x00" "x", 5)), u8(u8"\u1ebf") + std::string("\x00" "x", 2));
}

void TestMarc8::stateResetsPerCall() {
  std::string out;
  marc8_to_utf8("\x1b(2\x1b)N\x1b$1", out);
  QCOMPARE(out, std::string());
  QCOMPARE(convert("ab\xa1"), u8(u8"ab\u0141"));
}

void TestMarc8::randomBytesNeverCrash() {
  Rng rng;
  Marc8Options loc;
  loc.ligature_halves_fe2x = false;
  loc.normalize_nfc = false;
  std::size_t problemsSeen = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string in = randomMarc8(rng);
    for (const Marc8Options& options : {Marc8Options{}, loc}) {
      std::vector<Marc8Problem> problems;
      std::string out;
      const bool ok = marc8_to_utf8(in, out, &problems, options);
      QCOMPARE(ok, problems.empty());
      if (!marcscope::is_valid_utf8(out)) QFAIL(("invalid UTF-8 for input " + hex(in)).c_str());
      for (const Marc8Problem& p : problems) QVERIFY(p.offset < in.size());
      problemsSeen += problems.size();
      // Without a problem list the result is the same.
      std::string again;
      QCOMPARE(marc8_to_utf8(in, again, nullptr, options), ok);
      QCOMPARE(again, out);
    }
  }
  QVERIFY(problemsSeen > 0);
}

// Every data field and subfield of the MARC-8 ISO 2709 fixtures converts to valid UTF-8. The
// records are cut apart here by their terminators only, to stay independent of the reader.
void TestMarc8::iso2709Smoke() {
  const char* files[] = {
      "marc8/evergreen-hebrew.marc",      "marc8/marccharset-cjk1.marc",     "marc8/marccharset-cjk2.marc",
      "marc8/marccharset-cjk3.marc",      "marc8/marccharset-cjk4.marc",     "marc8/marccharset-cyrillic.marc",
      "marc8/marccharset-farsi.marc",     "marc8/marccharset-hebrew1.marc",  "marc8/marccharset-hebrew2.marc",
      "marc8/marccharset-hebrew3.marc",   "marc8/marccharset-hebrew4.marc",  "marc8/solrmarc-u5278992.mrc",
      "marc8/rubymarc-escaped_character_reference.marc8.marc", "valid/solrmarc-uva_001_2000.mrc",
  };
  std::size_t pieces = 0;
  std::size_t withProblems = 0;
  bool sawReference = false;
  for (const char* name : files) {
    const QByteArray data = readFixture(name);
    if (data.isEmpty()) QFAIL((std::string("missing fixture ") + name).c_str());
    std::string_view rest(data.constData(), static_cast<std::size_t>(data.size()));
    while (!rest.empty()) {
      const std::size_t end = rest.find_first_of("\x1d\x1e\x1f");
      const std::string_view piece = rest.substr(0, end);
      std::vector<Marc8Problem> problems;
      std::string out;
      marc8_to_utf8(piece, out, &problems);
      if (!marcscope::is_valid_utf8(out)) QFAIL((std::string("invalid UTF-8 from ") + name).c_str());
      if (!problems.empty()) ++withProblems;
      if (out.find("\xef\xbf\xbd .") != std::string::npos) sawReference = true;  // &#xFFFD; decoded
      ++pieces;
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
  }
  QVERIFY(pieces > 1000);
  QVERIFY(sawReference);
  qInfo("%zu pieces converted, %zu with problems", pieces, withProblems);
}

QTEST_APPLESS_MAIN(TestMarc8)
#include "test_marc8.moc"

// The eight-bytes-at-a-time checks must agree with the obvious byte loop for every byte value at
// every position of strings of every length up to 24 (whole words, tails, both).
void TestMarc8::plainAsciiChecksMatchByteByByte() {
  auto plain = [](std::string_view s) {
    for (unsigned char c : s)
      if (c < 0x20 || c >= 0x7F || c == '&') return false;
    return true;
  };
  auto passthrough = [](std::string_view s) {
    for (unsigned char c : s)
      if (c >= 0x80 || c == 0x1B || c == '&') return false;
    return true;
  };
  std::size_t checked = 0, rejected = 0;
  for (std::size_t len = 0; len <= 24; ++len) {
    // A buffer with guard bytes around the string that would fail every check if they were read.
    std::string buf(len + 16, '\x80');
    for (std::size_t i = 0; i < len; ++i) buf[8 + i] = char('A' + i % 26);
    const std::string_view s(buf.data() + 8, len);
    QVERIFY(marcscope::is_marc8_plain_ascii(s));
    QVERIFY(marcscope::is_marc8_passthrough(s));
    for (std::size_t pos = 0; pos < len; ++pos) {
      for (int b = 0; b < 256; ++b) {
        const char saved = buf[8 + pos];
        buf[8 + pos] = char(b);
        const bool want_plain = plain(s), want_pass = passthrough(s);
        if (marcscope::is_marc8_plain_ascii(s) != want_plain || marcscope::is_marc8_passthrough(s) != want_pass)
          QFAIL(qPrintable(QString("length %1, byte 0x%2 at %3").arg(len).arg(b, 2, 16, QChar('0')).arg(pos)));
        rejected += !want_plain;
        ++checked;
        buf[8 + pos] = saved;
      }
    }
  }
  QCOMPARE(checked, std::size_t(300 * 256));  // 1 + 2 + ... + 24 positions
  QVERIFY(rejected > checked / 2);
}

// The decoder copies a run of printable ASCII sixteen bytes at a time: whatever ends the run
// ('&', a control, DEL, a byte above ASCII, a combining mark) is seen at every position across
// the blocks, and the run goes on after it.
void TestMarc8::asciiRunsEndAtEveryPosition() {
  struct Stop {
    std::string in, out;  // the byte(s) that end the run, and what they decode to before the 'e's
  };
  const std::vector<Stop> stops = {
      {"&", "&e"},
      {"&#x41;", "Ae"},
      {"\x1C", "\x1C" "e"},
      {"\x7F", u8(u8"\uFFFD") + "e"},  // DEL has no character in ASCII
      {"\xB0", u8(u8"\u02BB") + "e"},   // ANSEL ayn
      {"\xE1", u8(u8"\u00E8")},          // ANSEL grave: on the 'e' after it, composed
  };
  std::size_t checked = 0;
  for (const bool lead : {false, true}) {
    for (std::size_t k = 0; k <= 40; ++k) {
      for (std::size_t m = 1; m <= 34; m += 11) {
        for (const Stop& stop : stops) {
          // A high byte first starts the decoder's loop before the run (else the run starts it).
          const std::string prefix = lead ? "\xB0" : "";
          const std::string want_prefix = lead ? u8(u8"\u02BB") : "";
          const std::string in = prefix + std::string(k, 'a') + stop.in + std::string(m, 'e');
          const std::string want = want_prefix + std::string(k, 'a') + stop.out + std::string(m - 1, 'e');
          std::string out;
          marc8_to_utf8(in, out);
          if (out != want)
            QFAIL(qPrintable(QString("k=%1 m=%2 stop %3: %4").arg(k).arg(m).arg(QString::fromStdString(hex(stop.in)),
                                                                           QString::fromStdString(hex(out)))));
          ++checked;
        }
      }
    }
  }
  QCOMPARE(checked, std::size_t(2 * 41 * 4 * 6));
}

// Every ANSEL combining mark before every Basic Latin letter decodes to what Unicode's NFC (utf8proc)
// makes of the letter and the mark: the decoder's direct table for letters and the marks
// U+0300-U+033F agrees with the canonical composites (and leaves the pairs with none as two).
void TestMarc8::latinLettersComposeAsNfcSays() {
  std::size_t composed = 0, pairs = 0;
  for (int b = 0xE0; b <= 0xFE; ++b) {
    // A mark alone is kept on a SPACE: what follows the space is the mark.
    const std::string alone = convert(std::string(1, char(b)));
    if (alone.size() < 2 || alone[0] != ' ') continue;  // not a combining mark in ANSEL
    const std::string mark = alone.substr(1);
    for (char c = 'A'; c <= 'z'; ++c) {
      if (c > 'Z' && c < 'a') continue;
      const std::string got = convert(std::string(1, char(b)) + c);
      const std::string want = marcscope::nfc(std::string(1, c) + mark);
      if (got != want)
        QFAIL(qPrintable(QString("0x%1 before %2: %3, NFC says %4").arg(b, 2, 16).arg(c).arg(QString::fromStdString(hex(got)),
                                                                                  QString::fromStdString(hex(want)))));
      composed += got.size() < 1 + mark.size();
      ++pairs;
    }
  }
  QVERIFY(pairs > 1000);
  QVERIFY(composed > 150);
}
