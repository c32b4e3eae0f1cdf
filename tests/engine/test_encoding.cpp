// Choosing a record's character set: EncodingChoice::Auto in both directions (MARC-8 declared,
// UTF-8 bytes; UTF-8 declared, MARC-8 bytes), on every ISO 2709 fixture and on crafted records.
#include <QtTest>

#include <map>
#include <set>

#include "marcscope/charset/charset.h"
#include "marcscope/charset/marc8.h"
#include "marcscope/charset/utf8.h"
#include "marcscope/iso2709/iso2709_reader.h"
#include "marcscope/iso2709/record_view.h"
#include "marcscope/model/record.h"
#include "test_support.h"

using namespace marcscope;
using namespace marcscope::test;

namespace {

/// One ISO 2709 record from raw field bytes (values already in whatever encoding the test wants):
/// tags with their data (indicators and delimiters included for data fields).
std::string iso_record(char leader09, const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string directory, data;
  for (const auto& [tag, bytes] : fields) {
    char entry[13];
    std::snprintf(entry, sizeof entry, "%s%04zu%05zu", tag.c_str(), bytes.size() + 1, data.size());
    directory += entry;
    data += bytes;
    data += '\x1E';
  }
  directory += '\x1E';
  const std::size_t base = 24 + directory.size();
  const std::size_t length = base + data.size() + 1;
  char leader[25];
  std::snprintf(leader, sizeof leader, "%05zunam %c22%05zu   4500", length, leader09, base);
  return std::string(leader) + directory + data + '\x1D';
}

std::string data_field(std::string_view value) { return std::string("  \x1F" "a") + std::string(value); }

struct Decoded {
  std::vector<Record> records;
  std::vector<Diagnostics> diags;  ///< per record
};

Decoded decode_all(const std::string& bytes, EncodingChoice choice, bool detect = true) {
  ReadOptions options;
  options.decode.encoding = choice;
  options.decode.detect_leader_lies = detect;
  Iso2709Reader reader(InputBuffer::from_bytes(bytes), options);
  ReadItem item;
  Decoded out;
  while (reader.next(item)) {
    if (!item.has_record) continue;
    Diagnostics d;
    out.records.push_back(Record::from_view(item.view, options.decode, d));
    out.diags.push_back(std::move(d));
  }
  return out;
}

std::vector<const Diagnostic*> lies(const Diagnostics& diags) {
  std::vector<const Diagnostic*> out;
  for (const auto& d : diags)
    if (d.code == Code::EncodingLeaderLies) out.push_back(&d);
  return out;
}

bool has_charset_problem(const Diagnostics& diags) {
  for (const auto& d : diags)
    if (d.code == Code::InvalidUtf8 || d.code == Code::Marc8UnknownEscape || d.code == Code::Marc8UnmappedCode ||
        d.code == Code::Marc8TruncatedSequence)
      return true;
  return false;
}

/// A combining mark at the start of a value or right after a blank or control character, judged
/// with Qt's Unicode tables (an oracle independent of the engine's utf8proc).
bool has_mark_without_base(const Record& rec) {
  auto check = [](const std::string& v) {
    const QString s = QString::fromStdString(v);
    bool carried = false;
    for (const QChar c : s) {
      if (c.isMark()) {
        if (!carried) return true;
      } else if (c.isSpace() || c.category() == QChar::Other_Control) {
        carried = false;
      } else {
        carried = true;
      }
    }
    return false;
  };
  for (const auto& f : rec.fields()) {
    if (f.is_control()) {
      if (check(f.value())) return true;
      continue;
    }
    if (check(f.leading_data())) return true;
    for (const auto& s : f.subfields())
      if (check(s.value)) return true;
  }
  return false;
}

/// Every ISO 2709 fixture, as "folder/name".
QStringList iso_fixtures() {
  QStringList out;
  for (const QString folder : {"valid", "marc8", "pairs", "malformed"}) {
    const QDir dir(data_dir() + "/" + folder);
    for (const QString& name : dir.entryList(QDir::Files, QDir::Name))
      if (is_iso2709_name(name) && !name.endsWith(".md")) out << folder + "/" + name;
  }
  return out;
}

}  // namespace

class TestEncoding : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  /// Auto keeps leader/09 for every fixture record except the ones whose bytes contradict it,
  /// listed (with why) in encoding_overrides.tsv; each override carries one warning naming the
  /// record and what was assumed, and the other reading of the record is the broken one.
  void auto_keeps_declared_encodings_except_known_liars() {
    std::map<QString, QString> expected;  // "file#record" -> "utf8" / "marc8"
    QFile tsv(QStringLiteral(MARCSCOPE_TEST_SOURCE_DIR) + "/encoding_overrides.tsv");
    QVERIFY(tsv.open(QIODevice::ReadOnly | QIODevice::Text));
    while (!tsv.atEnd()) {
      const QString line = QString::fromUtf8(tsv.readLine()).trimmed();
      if (line.isEmpty() || line.startsWith('#')) continue;
      const QStringList cols = line.split('\t');
      QVERIFY2(cols.size() >= 3, qPrintable(line));
      expected[cols[0] + "#" + cols[1]] = cols[2];
    }
    QVERIFY(!expected.empty());

    std::map<QString, QString> found;
    int records = 0, utf8 = 0, marc8 = 0;
    for (const QString& rel : iso_fixtures()) {
      const std::string bytes = read_bytes(rel);
      Iso2709Reader reader(InputBuffer::from_bytes(bytes), ReadOptions{});
      ReadItem item;
      while (reader.next(item)) {
        if (!item.has_record) continue;
        ++records;
        const RecordView& v = item.view;
        const bool says_utf8 = v.leader().character_coding() == 'a';
        DecodeOptions automatic;
        automatic.encoding = EncodingChoice::Auto;
        Diagnostics diags;
        const Encoding chosen = choose_encoding(v, automatic, diags);
        (chosen == Encoding::Utf8 ? utf8 : marc8)++;
        const QString key = rel + "#" + QString::number(v.number());
        const bool overridden = (chosen == Encoding::Utf8) != says_utf8;
        const QString what = chosen == Encoding::Utf8 ? "; read as UTF-8" : "; read as MARC-8";
        int overrides = 0;
        for (const Diagnostic* d : lies(diags)) {
          if (!QString::fromStdString(d->message).endsWith(what)) continue;
          ++overrides;
          QCOMPARE(d->record, v.number());
          QCOMPARE(d->offset, v.offset() + 9);
          QVERIFY2(d->message.starts_with("record " + std::to_string(v.number()) + " "), d->message.c_str());
        }
        QVERIFY2(overrides == (overridden ? 1 : 0), qPrintable(key + ": " + describe(diags)));
        if (!overridden) continue;
        found[key] = chosen == Encoding::Utf8 ? "utf8" : "marc8";

        // The reading Auto chose is clean; the one leader/09 asks for is not.
        DecodeOptions forced_chosen, forced_declared;
        forced_chosen.encoding = chosen == Encoding::Utf8 ? EncodingChoice::ForceUtf8 : EncodingChoice::ForceMarc8;
        forced_declared.encoding = says_utf8 ? EncodingChoice::ForceUtf8 : EncodingChoice::ForceMarc8;
        Diagnostics a, b;
        const Record as_chosen = Record::from_view(v, forced_chosen, a);
        const Record as_declared = Record::from_view(v, forced_declared, b);
        QVERIFY2(!has_charset_problem(a), qPrintable(key + ": " + describe(a)));
        QVERIFY2(!(as_chosen == as_declared), qPrintable(key));
        if (says_utf8) QVERIFY2(has_code(b, Code::InvalidUtf8), qPrintable(key));
      }
    }
    QVERIFY(records > 5000);
    QVERIFY(utf8 > 1000 && marc8 > 1000);
    QCOMPARE(found, expected);
  }

  /// Every MARC-8 fixture record with 8-bit bytes or escapes, relabelled UTF-8 (leader/09 'a'),
  /// is read back as MARC-8 by Auto, giving the same record, unless its MARC-8 reading has a
  /// problem or leaves a combining mark with no letter (judged here with Qt's tables): those keep
  /// the declared UTF-8, with invalid bytes replaced and reported.
  void marc8_relabelled_utf8_reads_as_marc8() {
    int relabelled = 0, back = 0, kept = 0;
    for (const QString& rel : iso_fixtures()) {
      if (rel.startsWith("malformed/")) continue;
      const std::string bytes = read_bytes(rel);
      Iso2709Reader reader(InputBuffer::from_bytes(bytes), ReadOptions{});
      ReadItem item;
      while (reader.next(item)) {
        if (!item.has_record) continue;
        const RecordView& v = item.view;
        if (v.leader().character_coding() == 'a') continue;
        const EncodingEvidence ev = examine_encoding(v);
        if (ev.valid_utf8 && !ev.has_escape) continue;  // ASCII (or UTF-8 under a blank leader/09)
        std::string flipped(v.bytes());
        flipped[9] = 'a';
        Diagnostics as_marc8_diags;
        const Record as_marc8 = Record::from_view(v, DecodeOptions{}, as_marc8_diags);
        const bool clean = !has_charset_problem(as_marc8_diags) && !has_mark_without_base(as_marc8);
        const Decoded d = decode_all(flipped, EncodingChoice::Auto);
        QCOMPARE(d.records.size(), std::size_t(1));
        ++relabelled;
        const QString key = rel + "#" + QString::number(v.number());
        if (clean) {
          ++back;
          QVERIFY2(d.records[0] == as_marc8, qPrintable(key));
          QCOMPARE(int(lies(d.diags[0]).size()), 1);
          QVERIFY(lies(d.diags[0])[0]->message.ends_with("; read as MARC-8"));
        } else {
          ++kept;
          QVERIFY2(has_code(d.diags[0], Code::InvalidUtf8) || ev.valid_utf8, qPrintable(key));
        }
      }
    }
    QVERIFY(relabelled > 1600);
    QVERIFY2(back > relabelled * 9 / 10, qPrintable(QString("%1 of %2").arg(back).arg(relabelled)));
    QVERIFY(kept > 0);
  }

  /// UTF-8 under a blank leader/09: Auto reads UTF-8 (one warning), leader/09 reads MARC-8 and
  /// says so.
  void utf8_declared_marc8() {
    const std::string bytes = iso_record(' ', {{"001", "x1"}, {"245", data_field("Caf\xC3\xA9 \xD0\x9C\xD0\xB8\xD1\x80")}});
    const Decoded a = decode_all(bytes, EncodingChoice::Auto);
    QCOMPARE(*a.records[0].first("245")->subfield('a'), std::string("Caf\xC3\xA9 \xD0\x9C\xD0\xB8\xD1\x80"));
    QCOMPARE(int(lies(a.diags[0]).size()), 1);
    QCOMPARE(lies(a.diags[0])[0]->message,
             std::string("record 1 (001 x1): leader/09 is blank (MARC-8) but the data is valid UTF-8; read as UTF-8"));
    QCOMPARE(lies(a.diags[0])[0]->severity, Severity::Warning);
    const Decoded l = decode_all(bytes, EncodingChoice::FromLeader);
    QVERIFY(*l.records[0].first("245")->subfield('a') != *a.records[0].first("245")->subfield('a'));
    QVERIFY(lies(l.diags[0])[0]->message.ends_with("; read as MARC-8 as declared"));
    // The override is reported even when leader lies are not asked for.
    const Decoded quiet = decode_all(bytes, EncodingChoice::Auto, false);
    QCOMPARE(int(lies(quiet.diags[0]).size()), 1);
    QVERIFY(lies(decode_all(bytes, EncodingChoice::FromLeader, false).diags[0]).empty());
  }

  /// MARC-8 under leader/09 'a': ANSEL diacritics, and 7-bit EACC with escape sequences (valid
  /// UTF-8 byte by byte, but ESC has no business in UTF-8 text).
  void marc8_declared_utf8() {
    std::string ansel, cjk;
    QVERIFY(utf8_to_marc8("Histoire du th\xC3\xA9\xC3\xA2tre, \xC5\x81\xC3\xB3""d\xC5\xBA", ansel));
    QVERIFY(utf8_to_marc8("\xE4\xB8\xAD\xE5\x9C\x8B", cjk));  // 中國
    QVERIFY(cjk.find('\x1B') != std::string::npos);
    QVERIFY(std::none_of(cjk.begin(), cjk.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }));
    for (const std::string& value : {ansel, cjk}) {
      const std::string bytes = iso_record('a', {{"245", data_field(value)}});
      const Decoded a = decode_all(bytes, EncodingChoice::Auto);
      std::string expected;
      QVERIFY(marc8_to_utf8(value, expected));
      QCOMPARE(*a.records[0].first("245")->subfield('a'), expected);
      QCOMPARE(int(lies(a.diags[0]).size()), 1);
      QVERIFY2(lies(a.diags[0])[0]->message.ends_with("reads cleanly as MARC-8; read as MARC-8"),
               lies(a.diags[0])[0]->message.c_str());
      QVERIFY(!has_charset_problem(a.diags[0]));
      // leader/09 decides: read as UTF-8 (invalid bytes replaced, or ESC kept as a control).
      const Decoded l = decode_all(bytes, EncodingChoice::FromLeader);
      QVERIFY(*l.records[0].first("245")->subfield('a') != expected);
    }
  }

  /// What must not switch to MARC-8 although leader/09 'a' is wrong or the UTF-8 is damaged.
  void utf8_declared_stays_utf8() {
    struct Case {
      const char* why;
      std::string value;
    };
    const std::vector<Case> cases = {
        // A valid multi-byte sequence is evidence of UTF-8: one broken byte does not outweigh it.
        {"utf8 with a broken byte", "Cort\xC3\xA8ge \xFF"},
        {"utf8 with a cut sequence", "\xC5\x81\xC3\xB3""d\xC5"},
        // Latin-1 and cp1251: accented letters at word ends become marks on the blank after them.
        {"latin-1", "Caf\xE9 au lait"},
        {"cp1251", "\xCF\xF0\xE8\xE2\xE5\xF2 \xEC\xE8\xF0"},
        // Bytes with no character in MARC-8's default sets.
        {"unmapped", "Fitzg\xFFrald"},
        {"c1", "abc \x80 def"},
    };
    for (const Case& c : cases) {
      const std::string bytes = iso_record('a', {{"245", data_field(c.value)}});
      const Decoded a = decode_all(bytes, EncodingChoice::Auto);
      const Decoded u = decode_all(bytes, EncodingChoice::ForceUtf8);
      QVERIFY2(a.records[0] == u.records[0], c.why);
      QVERIFY2(has_code(a.diags[0], Code::InvalidUtf8), c.why);
      for (const Diagnostic* d : lies(a.diags[0])) QVERIFY2(!d->message.ends_with("; read as MARC-8"), c.why);
    }
    // The rubymarc fixture with broken UTF-8 among valid sequences keeps UTF-8.
    const Decoded r = decode_all(read_bytes("malformed/rubymarc-utf8_with_bad_bytes.marc"), EncodingChoice::Auto);
    QCOMPARE(r.records.size(), std::size_t(1));
    QVERIFY(has_code(r.diags[0], Code::InvalidUtf8));
  }

  /// Plain ASCII and well-formed records give no encoding diagnostic under Auto.
  void no_diagnostic_without_a_lie() {
    for (char l : {'a', ' '}) {
      const Decoded a = decode_all(iso_record(l, {{"245", data_field("Plain text & more")}}), EncodingChoice::Auto);
      QVERIFY(a.diags[0].empty());
    }
    const Decoded u = decode_all(iso_record('a', {{"245", data_field("Caf\xC3\xA9")}}), EncodingChoice::Auto);
    QVERIFY(u.diags[0].empty());
    std::string m8;
    QVERIFY(utf8_to_marc8("Caf\xC3\xA9", m8));
    const Decoded m = decode_all(iso_record(' ', {{"245", data_field(m8)}}), EncodingChoice::Auto);
    QVERIFY(m.diags[0].empty());
    QCOMPARE(*m.records[0].first("245")->subfield('a'), std::string("Caf\xC3\xA9"));
  }

  /// InvalidUtf8Policy::Drop removes each maximal invalid subsequence where Replace puts one
  /// U+FFFD: the same cut points (checked against hand-worked values: a lone continuation byte, a
  /// cut three-byte sequence, a surrogate's lead and its continuation as separate subparts).
  void invalid_utf8_dropped() {
    struct Case {
      std::string_view raw, replaced, dropped;
    };
    const Case cases[] = {
        {"a\x80" "b", "a\xEF\xBF\xBD" "b", "ab"},
        {"x\xE4\xB8y", "x\xEF\xBF\xBDy", "xy"},                                   // one cut sequence: one subpart
        {"\xED\xA0\x80z", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDz", "z"},  // surrogate: three subparts
        {"Caf\xC3\xA9\xFF", "Caf\xC3\xA9\xEF\xBF\xBD", "Caf\xC3\xA9"},
    };
    for (const Case& c : cases) {
      for (InvalidUtf8Policy policy : {InvalidUtf8Policy::Replace, InvalidUtf8Policy::Drop}) {
        DecodeOptions options;
        options.invalid_utf8 = policy;
        std::string out;
        Diagnostics diags;
        decode_value(c.raw, Encoding::Utf8, options, out, diags, 1, 100, "245", 'a');
        QCOMPARE(out, std::string(policy == InvalidUtf8Policy::Drop ? c.dropped : c.replaced));
        QCOMPARE(diags.size(), std::size_t(1));
        QCOMPARE(diags[0].code, Code::InvalidUtf8);
        QCOMPARE(diags[0].severity, Severity::Warning);
        QCOMPARE(diags[0].offset, std::uint64_t(100 + find_invalid_utf8(c.raw)));
        QVERIFY(diags[0].message.ends_with(policy == InvalidUtf8Policy::Drop ? "dropped" : "replaced with U+FFFD"));
      }
    }
  }

  /// raw_marc8 keeps the values of a record read as MARC-8 as bytes and decodes a UTF-8 one.
  void raw_marc8_keeps_only_marc8_bytes() {
    const std::string latin1 = "Caf\xE9";
    ReadOptions options;
    options.decode.raw_marc8 = true;
    options.decode.leader_utf8 = false;
    Diagnostics diags;
    const std::string m8 = iso_record(' ', {{"001", "\xE9t\xE9"}, {"245", data_field(latin1)}});
    Iso2709Reader reader(InputBuffer::from_bytes(m8), options);
    ReadItem item;
    QVERIFY(reader.next(item) && item.has_record);
    const Record kept = Record::from_view(item.view, options.decode, diags);
    QCOMPARE(*kept.first("245")->subfield('a'), latin1);
    QCOMPARE(kept.first("001")->value(), std::string("\xE9t\xE9"));
    QVERIFY(!has_charset_problem(diags));
    // Without it the same bytes are MARC-8 (0xE9 is a combining mark there): not kept as they are.
    ReadOptions plain;
    plain.decode.leader_utf8 = false;
    Diagnostics d2;
    const Record converted = Record::from_view(item.view, plain.decode, d2);
    QVERIFY(*converted.first("245")->subfield('a') != latin1);
    // A UTF-8 record is still decoded (and its bad bytes replaced) under raw_marc8.
    const std::string u8 = iso_record('a', {{"245", data_field("Caf\xC3\xA9\xFF")}});
    Iso2709Reader reader2(InputBuffer::from_bytes(u8), options);
    QVERIFY(reader2.next(item) && item.has_record);
    Diagnostics d3;
    const Record decoded = Record::from_view(item.view, options.decode, d3);
    QCOMPARE(*decoded.first("245")->subfield('a'), std::string("Caf\xC3\xA9\xEF\xBF\xBD"));
    QVERIFY(has_code(d3, Code::InvalidUtf8));
  }

  void census_and_cut_points() {
    const Utf8Census c = census_utf8("a\xC3\xA9\xFF\xE4\xB8\xAD\xC3");
    QCOMPARE(c.multibyte, std::size_t(2));
    QCOMPARE(c.invalid, std::size_t(2));
    const std::string s = "ab\xC3\xA9\xE4\xB8\xAD";  // a b é 中
    QCOMPARE(std::string(utf8_prefix(s, 3)), std::string("ab"));
    QCOMPARE(std::string(utf8_prefix(s, 4)), std::string("ab\xC3\xA9"));
    QCOMPARE(std::string(utf8_prefix(s, 6)), std::string("ab\xC3\xA9"));
    QCOMPARE(std::string(utf8_suffix(s, 2)), std::string());
    QCOMPARE(std::string(utf8_suffix(s, 3)), std::string("\xE4\xB8\xAD"));
    QCOMPARE(std::string(utf8_suffix(s, 4)), std::string("\xE4\xB8\xAD"));
    QCOMPARE(std::string(utf8_suffix(s, 5)), std::string("\xC3\xA9\xE4\xB8\xAD"));
    for (std::size_t n = 0; n <= s.size(); ++n) {
      QVERIFY(is_valid_utf8(utf8_prefix(s, n)));
      QVERIFY(is_valid_utf8(utf8_suffix(s, n)));
    }
  }
};

QTEST_APPLESS_MAIN(TestEncoding)
#include "test_encoding.moc"
