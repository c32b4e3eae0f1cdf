// What the engine writes keeps its structure and is UTF-8: ISO 2709's structure bytes (0x1D
// record terminator, 0x1E field terminator, 0x1F subfield delimiter) inside values, from readers
// and from records built by hand; invalid UTF-8 in the model; every writer's output and every
// diagnostic of every fixture; leader/10-11 and 20-23 of the ISO 2709 writer; writer diagnostics
// naming the record's number and offset.
#include <QtTest>

#include "marcscope/charset/utf8.h"
#include "marcscope/formats/record_stream.h"
#include "marcscope/iso2709/iso2709_reader.h"
#include "marcscope/iso2709/iso2709_writer.h"
#include "marcscope/iso2709/record_view.h"
#include "marcscope/model/record.h"
#include "marcscope/validate/validator.h"
#include "test_support.h"

using namespace marcscope;
using namespace marcscope::test;

namespace {

struct Read {
  std::vector<Record> records;
  Diagnostics diags;
};

Read read_as(Format format, std::string bytes, ReadMode mode = ReadMode::Permissive) {
  ReadOptions options;
  options.mode = mode;
  auto stream = open_record_stream(format, make_memory_source(std::move(bytes), "<memory>"), options);
  Read r;
  Record rec;
  while (stream->next(rec, r.diags)) r.records.push_back(std::move(rec));
  return r;
}

std::string write_as(Format format, const std::vector<Record>& records, Diagnostics& diags, std::uint64_t first = 1) {
  auto writer = make_writer(format);
  std::string out;
  writer->begin(out);
  std::uint64_t n = first;
  for (const auto& r : records) {
    writer->write(r, n, 100 * n, out, diags);
    ++n;
  }
  writer->end(out);
  return out;
}

bool has_structure_byte(std::string_view s) { return s.find_first_of("\x1D\x1E\x1F") != std::string_view::npos; }

/// The fields of ISO 2709 bytes as the directory gives them (data without the terminator),
/// parsed here without the engine.
std::vector<std::pair<std::string, std::string>> directory_fields(std::string_view rec) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::size_t base = std::stoul(std::string(rec.substr(12, 5)));
  for (std::size_t at = 24; at + 12 <= base - 1; at += 12) {
    const std::size_t len = std::stoul(std::string(rec.substr(at + 3, 4)));
    const std::size_t start = std::stoul(std::string(rec.substr(at + 7, 5)));
    out.emplace_back(std::string(rec.substr(at, 3)), std::string(rec.substr(base + start, len - 1)));
  }
  return out;
}

/// Every value of a record, leading data included.
std::vector<std::string> values_of(const Record& r) {
  std::vector<std::string> out;
  for (const auto& f : r.fields()) {
    if (f.is_control()) {
      out.push_back(f.value());
      continue;
    }
    out.push_back(f.leading_data());
    for (const auto& s : f.subfields()) out.push_back(s.value);
  }
  return out;
}

/// A record built by hand with structure bytes everywhere the model lets them be.
Record structure_everywhere() {
  Record r;
  r.set_leader(std::string("00000nam a2200000\x1D" "a 4500", 24));
  r.add_field(Field("001", "id\x1F" "1"));
  r.add_field(Field("008", std::string("120613s2009\x1E", 12)));
  Field f("245", '1', '\x1F', {{'a', "Ti\x1Ftle"}, {'\x1E', "code"}, {'b', "end\x1D"}});
  f.set_leading_data("x\x1F");
  r.add_field(f);
  r.add_field(Field("2\x1F" "0", ' ', ' ', {{'a', "tag"}}));
  return r;
}

const std::vector<Format> kWriters = {Format::Iso2709, Format::Iso2709Marc8, Format::MarcXml, Format::Json,
                                      Format::NdJson,  Format::Mrk,          Format::Csv};

QStringList all_fixtures() {
  QStringList out;
  for (const QString folder : {"valid", "marc8", "pairs", "mrk", "xml", "json", "malformed"}) {
    const QDir dir(data_dir() + "/" + folder);
    for (const QString& name : dir.entryList(QDir::Files, QDir::Name))
      if (!name.endsWith(".md") && !name.endsWith(".txt")) out << folder + "/" + name;
  }
  return out;
}

}  // namespace

class TestOutputSafety : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  /// The issue's case: a MiJ value "Ti\u001ftle" used to convert into an extra subfield.
  void mij_subfield_delimiter_in_a_value() {
    const std::string mij = R"([{"leader":"00000nam a2200000 a 4500","fields":[{"001":"c\u001e1"},)"
                            R"({"245":{"ind1":"1","ind2":"0","subfields":[{"a":"Ti\u001ftle"},{"\u001f":"x"}]}}]}])";
    const Read r = read_as(Format::Json, mij, ReadMode::Strict);
    QCOMPARE(r.records.size(), std::size_t(1));
    const Field* t = r.records[0].first("245");
    QCOMPARE(t->subfields().size(), std::size_t(2));
    QCOMPARE(t->subfields()[0].value, std::string("Ti\xEF\xBF\xBDtle"));
    QCOMPARE(t->subfields()[1].code, '?');
    QCOMPARE(r.records[0].first("001")->value(), std::string("c\xEF\xBF\xBD" "1"));
    int found = 0;
    for (const auto& d : r.diags) {
      QCOMPARE(d.code, Code::StructureByteInData);
      QCOMPARE(d.severity, Severity::Warning);
      QCOMPARE(d.record, std::uint64_t(1));
      ++found;
    }
    QCOMPARE(found, 3);
    // Written as ISO 2709 and read back: still two subfields.
    Diagnostics wd;
    const std::string iso = write_as(Format::Iso2709, r.records, wd);
    QVERIFY(wd.empty());
    const Read back = read_as(Format::Iso2709, iso, ReadMode::Strict);
    QVERIFY2(back.diags.empty(), qPrintable(describe(back.diags)));
    QCOMPARE(back.records[0].first("245")->subfields().size(), std::size_t(2));
  }

  /// MARCMaker's names for the structure bytes, hex escapes and raw bytes: none reaches a value.
  void mrk_structure_bytes() {
    const std::string mrk = "=LDR  00000nam a2200000 a 4500\n=001  a{rs}b\n=245  10$aa{us}b{1D}c\x1E" "d$b{gs}\n=500  \\\\${1F}x\n";
    const Read r = read_as(Format::Mrk, mrk, ReadMode::Strict);
    QCOMPARE(r.records.size(), std::size_t(1));
    for (const auto& v : values_of(r.records[0])) QVERIFY(!has_structure_byte(v));
    QCOMPARE(*r.records[0].first("245")->subfield('a'), std::string("a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD" "d"));
    QCOMPARE(r.records[0].first("500")->subfields()[0].code, '?');
    QCOMPARE(r.diags.size(), std::size_t(4));
    for (const auto& d : r.diags) {
      QCOMPARE(d.code, Code::StructureByteInData);
      QVERIFY2(d.message.starts_with("line "), d.message.c_str());
    }
    QVERIFY(r.diags[1].message.find("3 structure bytes (first 0x1F (subfield delimiter)) in field 245 $a") !=
            std::string::npos);
  }

  /// A record built by hand with structure bytes in every place: no writer writes one where it
  /// would change the structure, each says so with the record's number and offset, and the ISO
  /// 2709 output reads back with the same fields.
  void writers_never_write_structure_bytes() {
    const Record r = structure_everywhere();
    for (const Format f : kWriters) {
      Diagnostics d;
      const std::string out = write_as(f, {r}, d, 12);
      const QString name = QString::fromStdString(std::string(format_name(f)));
      QVERIFY2(!d.empty(), qPrintable(name));
      for (const auto& x : d) {
        QVERIFY2(x.code == Code::StructureByteInData || x.code == Code::NoMarc8Equivalent || x.code == Code::ControlCharacter ||
                     x.code == Code::SubfieldDelimiterMissing,
                 qPrintable(name + ": " + QString::fromStdString(x.to_string())));
        QCOMPARE(x.record, std::uint64_t(12));
        QCOMPARE(x.offset, std::uint64_t(1200));
      }
      QVERIFY2(has_code(d, Code::StructureByteInData), qPrintable(name));
      if (f == Format::Iso2709 || f == Format::Iso2709Marc8) {
        // The only structure bytes are the directory's and data's own: one terminator per field.
        const auto fields = directory_fields(out);
        QCOMPARE(fields.size(), r.fields().size());
        for (const auto& [tag, data] : fields) {
          QVERIFY2(!has_structure_byte(tag), qPrintable(name));
          const bool control = tag.starts_with("00");
          for (std::size_t i = 0; i < data.size(); ++i) {
            const char c = data[i];
            if (c == '\x1D' || c == '\x1E') QFAIL(qPrintable(name + ": terminator inside field " + QString::fromStdString(tag)));
            if (c == '\x1F') {
              QVERIFY2(!control && i >= 2, qPrintable(name + " " + QString::fromStdString(tag)));
              QVERIFY2(i + 1 < data.size() && !has_structure_byte(data.substr(i + 1, 1)), qPrintable(name));
            }
          }
        }
        ReadOptions strict;
        strict.mode = ReadMode::Strict;
        Iso2709Reader reader(InputBuffer::from_bytes(out), strict);
        ReadItem item;
        QVERIFY(reader.next(item));
        QVERIFY2(item.has_record && max_severity(item.diagnostics) < Severity::Error, qPrintable(describe(item.diagnostics)));
        Diagnostics dd;
        const Record back = Record::from_view(item.view, DecodeOptions{}, dd);
        QCOMPARE(back.first("245")->subfields().size(), std::size_t(3));
        QCOMPARE(*back.first("245")->subfield('a'), std::string("Ti\xEF\xBF\xBDtle"));
      } else {
        // Text formats: not one structure byte anywhere, and UTF-8 throughout.
        QVERIFY2(!has_structure_byte(out), qPrintable(name));
        QVERIFY2(is_valid_utf8(out), qPrintable(name));
      }
    }
  }

  /// Invalid UTF-8 in a record built by hand: every UTF-8 writer writes U+FFFD and says so.
  void writers_write_utf8() {
    Record r;
    r.set_leader("00000nam a2200000 a 4500");
    r.add_field(Field("001", "id\xFF"));
    r.add_field(Field("245", '1', '0', {{'a', "caf\xE9 \xC3 ok \xC3\xA9"}}));
    for (const Format f : kWriters) {
      if (f == Format::Iso2709Marc8) continue;
      Diagnostics d;
      const std::string out = write_as(f, {r}, d, 3);
      const QString name = QString::fromStdString(std::string(format_name(f)));
      QVERIFY2(is_valid_utf8(out), qPrintable(name));
      QVERIFY2(has_code(d, Code::InvalidUtf8), qPrintable(name));
      for (const auto& x : d) QCOMPARE(x.offset, std::uint64_t(300));
      QVERIFY2(out.find("\xC3\xA9") != std::string::npos, qPrintable(name));  // valid text stays
    }
  }

  /// The ISO 2709 writer writes the leader positions that describe its own structure, and a
  /// record it cannot write is reported with its number and offset.
  void iso2709_leader_and_errors() {
    Record r;
    r.set_leader("00000nam a1300000 a 0000");
    r.add_field(Field("245", '1', '0', {{'a', "T"}}));
    for (const Format f : {Format::Iso2709, Format::Iso2709Marc8}) {
      Diagnostics d;
      const std::string out = write_as(f, {r}, d);
      QVERIFY(d.empty());
      QCOMPARE(out.substr(10, 2), std::string("22"));
      QCOMPARE(out.substr(20, 4), std::string("4500"));
      QCOMPARE(out[9], f == Format::Iso2709 ? 'a' : ' ');
      QCOMPARE(out.substr(5, 4), std::string("nam "));
    }
    Record big = r;
    big.add_field(Field("500", ' ', ' ', {{'a', std::string(9998, 'x')}}));
    Diagnostics d;
    const std::string out = write_as(Format::Iso2709, {r, big}, d, 41);
    QCOMPARE(d.size(), std::size_t(1));
    QCOMPARE(d[0].severity, Severity::Error);
    QCOMPARE(d[0].record, std::uint64_t(42));
    QCOMPARE(d[0].offset, std::uint64_t(4200));
    QCOMPARE(read_as(Format::Iso2709, out).records.size(), std::size_t(1));
    // Structure bytes in the leader become blanks.
    Record l = r;
    l.set_leader(std::string("00000n\x1Em a2200000 a 4500", 24));
    Diagnostics ld;
    const std::string lo = write_as(Format::Iso2709, {l}, ld);
    QCOMPARE(lo.substr(5, 3), std::string("n m"));
    QCOMPARE(ld.size(), std::size_t(1));
    QCOMPARE(ld[0].tag, std::string("LDR"));
  }

  /// Every fixture through every reader, every writer and the validator: all the text that comes
  /// out (records and diagnostics) is UTF-8.
  void every_output_of_every_fixture_is_utf8() {
    const Validator validator;
    int files = 0, records = 0;
    for (const QString& rel : all_fixtures()) {
      ReadOptions options;
      auto stream = open_record_stream(Format::Unknown, open_source(data_path(rel)), options);
      Read r;
      Record rec;
      try {
        while (stream->next(rec, r.diags)) r.records.push_back(std::move(rec));
      } catch (const std::exception&) {
        continue;  // not a MARC file at all
      }
      ++files;
      records += int(r.records.size());
      Diagnostics all = r.diags;
      for (std::size_t i = 0; i < r.records.size(); ++i) validator.validate(r.records[i], i + 1, 0, all);
      for (const Format f : kWriters) {
        if (f == Format::Iso2709Marc8) continue;
        const std::string out = write_as(f, r.records, all);
        QVERIFY2(is_valid_utf8(out), qPrintable(rel + " -> " + QString::fromStdString(std::string(format_name(f)))));
      }
      for (const auto& d : all) {
        QVERIFY2(is_valid_utf8(d.message) && is_valid_utf8(d.tag) && is_valid_utf8(d.to_string()),
                 qPrintable(rel + ": " + QString::fromStdString(d.to_string())));
      }
    }
    QVERIFY(files > 300);
    QVERIFY(records > 6000);
  }

  /// Messages that quote the end of a value cut at a character (a 245 ending in Cyrillic used to
  /// be cut inside a letter), and the whole characters are kept.
  void validator_quotes_whole_characters() {
    const Validator validator;
    Record r;
    r.set_leader("00000nam a2200000 a 4500");
    r.add_field(Field("245", '0', '0', {{'a', "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xD0\xBC\xD0\xB8\xD1\x80"}}));
    Diagnostics d;
    validator.validate(r, 1, 0, d);
    bool seen = false;
    for (const auto& x : d) {
      QVERIFY(is_valid_utf8(x.message));
      if (x.rule != "245-ending-punctuation") continue;
      seen = true;
      // The last 10 bytes hold 5 whole letters: "т мир" is 9 bytes, one more would cut "е".
      QVERIFY2(x.message.find("it ends \"\xD1\x82 \xD0\xBC\xD0\xB8\xD1\x80\"") != std::string::npos, x.message.c_str());
    }
    QVERIFY(seen);
    // A bare diagnostic with broken bytes is repaired where it is made.
    const Diagnostic broken(Severity::Warning, Code::TagInvalid, 1, 0, "\xCC" "00", 0, "tag \xCC" "00 and \xE2\x82");
    QCOMPARE(broken.tag, std::string("\xEF\xBF\xBD" "00"));
    QVERIFY(is_valid_utf8(broken.message));
  }
};

QTEST_APPLESS_MAIN(TestOutputSafety)
#include "test_output_safety.moc"
