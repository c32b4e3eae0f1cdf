// The owning model and the writers: building, editing, ISO 2709 layout and MARCMaker text.
#include <QtTest>

#include "marcscope/iso2709/iso2709_writer.h"
#include "marcscope/formats/mrk_writer.h"
#include "marcscope/model/record.h"
#include "marcscope/iso2709/record_view.h"

#include <cstdio>
#include <random>
#include "test_support.h"

using namespace marcscope;
using namespace marcscope::test;

namespace {

Record sample() {
  Record r;
  r.set_leader("00000cam a2200000 a 4500");
  r.add_field(Field("001", "ocm12345 "));
  r.add_field(Field("008", "120613s2009    bl a     c    000 0 por c"));
  r.add_field(Field("245", '1', '0', {{'a', "Price: $5 {approx.} /"}, {'c', "Zoë Ångström."}}));
  r.add_field(Field("650", ' ', '0', {{'a', "Back\\slash"}}));
  return r;
}

/// An ISO 2709 record laid out by hand (leader, directory, fields), so that field contents can
/// hold anything but the two terminators.
std::string raw_record(const std::vector<std::pair<std::string, std::string>>& fields, char coding) {
  std::string directory, data;
  for (const auto& [tag, content] : fields) {
    char entry[13];
    std::snprintf(entry, sizeof entry, "%3s%04zu%05zu", tag.c_str(), content.size() + 1, data.size());
    directory += entry;
    data += content;
    data += '\x1E';
  }
  const std::size_t base = 24 + directory.size() + 1;
  const std::size_t total = base + data.size() + 1;
  char leader[25];
  std::snprintf(leader, sizeof leader, "%05zunam %c22%05zu   4500", total, coding, base);
  return std::string(leader) + directory + '\x1E' + data + '\x1D';
}

Record read_one(const std::string& bytes, Diagnostics& diags) {
  ReadOptions options;
  options.mode = ReadMode::Strict;
  Iso2709Reader reader(InputBuffer::from_bytes(bytes), options);
  ReadItem item;
  Record rec;
  int n = 0;
  while (reader.next(item)) {
    diags.insert(diags.end(), item.diagnostics.begin(), item.diagnostics.end());
    if (item.has_record) {
      rec = Record::from_view(item.view, DecodeOptions{}, diags);
      ++n;
    }
  }
  if (n != 1) diags.push_back({Severity::Fatal, Code::NotMarc, 0, 0, {}, 0, "expected one record"});
  return rec;
}

}  // namespace

class TestRecord : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  /// Record::from_view splits subfields with its own word-at-a-time scan: it must cut exactly
  /// where FieldView's subfield iterator does, for any placement of delimiters (first, last,
  /// doubled, across 16-byte blocks, in fields shorter than a block with more of the record
  /// after them or at its end), NUL and control codes, and bytes before the first delimiter,
  /// and report the same codes at the same offsets.
  void subfields_split_as_the_view_does() {
    std::mt19937 rng(20261126);
    const std::string alphabet = std::string("\x1F\x1F\x1F\x00\x01 aZ9.", 10);
    int checked_fields = 0, leading = 0, nul_codes = 0, short_inside = 0, short_at_end = 0;
    for (int round = 0; round < 400; ++round) {
      std::vector<std::pair<std::string, std::string>> fields{{"001", "id" + std::to_string(round)}};
      const int n = 1 + static_cast<int>(rng() % 6);
      for (int f = 0; f < n; ++f) {
        std::string content = "  ";
        const std::size_t len = rng() % 70;
        for (std::size_t i = 0; i < len; ++i) content += alphabet[rng() % alphabet.size()];
        if (rng() % 3) content[2 % content.size()] = '\x1F';
        std::string tag = "5";  // appended: "5" + std::string is a GCC 12 -O3 -Wrestrict false positive
        tag += std::to_string(10 + f);
        fields.push_back({tag, content});
      }
      for (char coding : {' ', 'a'}) {
        const std::string bytes = raw_record(fields, coding);
        RecordView view;
        Diagnostics parse_diags;
        QVERIFY(view.parse(bytes, 1000, 7, ReadMode::Permissive, parse_diags));
        Diagnostics diags;
        const Record rec = Record::from_view(view, DecodeOptions{}, diags);
        QCOMPARE(rec.fields().size(), view.fields().size());
        // The diagnostics the reference expects, in order.
        std::vector<std::pair<Code, std::uint64_t>> expected_diags;
        for (std::size_t i = 1; i < view.fields().size(); ++i) {
          const FieldView& fv = view.fields()[i];
          const Field& field = rec.fields()[i];
          const std::string_view area = fv.subfield_area(view.indicator_count());
          const std::size_t first = area.find('\x1F');
          const std::string_view stray = area.substr(0, first);
          QCOMPARE(field.leading_data(), std::string(stray));
          leading += !stray.empty();
          // Areas under 16 bytes are read with one load that runs past them when the record goes
          // on for 16 more bytes (delimiters of the next fields masked off), else byte by byte.
          if (area.size() < 16) {
            const auto readable = static_cast<std::size_t>(bytes.data() + bytes.size() - area.data());
            (readable >= 16 ? short_inside : short_at_end) += 1;
          }
          std::vector<Subfield> want;
          for (const SubfieldView& sf : fv.subfields(view.indicator_count())) {
            const std::uint64_t code_offset = 1000 + static_cast<std::uint64_t>(sf.value.data() - bytes.data()) - 1;
            if (sf.code == 0 && sf.value.empty()) {
              expected_diags.push_back({Code::SubfieldCodeMissing, code_offset});
              nul_codes += sf.value.data() != area.data() + area.size();
              continue;
            }
            const auto c = static_cast<unsigned char>(sf.code);
            if (c <= 0x20 || c >= 0x7F) expected_diags.push_back({Code::SubfieldCodeInvalid, code_offset});
            want.push_back({sf.code, std::string(sf.value)});
          }
          QCOMPARE(field.subfields(), want);
          ++checked_fields;
        }
        std::vector<std::pair<Code, std::uint64_t>> got_diags;
        for (const Diagnostic& d : diags)
          if (d.code == Code::SubfieldCodeMissing || d.code == Code::SubfieldCodeInvalid) got_diags.push_back({d.code, d.offset});
        QCOMPARE(got_diags, expected_diags);
      }
    }
    // The random fields did reach the cases this test is about.
    QVERIFY(checked_fields > 1000);
    QVERIFY(leading > 50);
    QVERIFY(nul_codes > 10);
    QVERIFY(short_inside > 100);
    QVERIFY(short_at_end > 10);
  }

  /// A subfield code that is a UTF-8 character of more than one byte, in a record read as UTF-8,
  /// is read whole as '?': the value is what follows the character (valid UTF-8, no invalid-utf8
  /// diagnostic). Read as MARC-8, or where the bytes are no valid sequence, a code is one byte.
  void multibyte_subfield_codes_are_read_whole() {
    struct Case {
      char coding;
      std::string field;  // indicators and subfields of a 245
      std::vector<Subfield> want;
      std::string code_bytes;  // what the diagnostic names
    };
    const std::vector<Case> cases = {
        {'a', "10\x1F\xEF\xBF\xBDTitle\x1F" "bRest", {{'?', "Title"}, {'b', "Rest"}}, "0xEF 0xBF 0xBD"},
        {'a', "10\x1F\xC3\xA9t\xC3\xA9", {{'?', "t\xC3\xA9"}}, "0xC3 0xA9"},
        {'a', "10\x1F\xC3" "Title", {{'?', "Title"}}, "byte 0xC3"},
        {' ', "10\x1F\xE9Title", {{'?', "Title"}}, "byte 0xE9"},
        // The same bytes as the second case, read as MARC-8: one byte, then 0xA9 (the flat sign).
        {' ', "10\x1F\xC3\xA9t", {{'?', "\xE2\x99\xADt"}}, "byte 0xC3"},
    };
    for (const Case& c : cases) {
      const std::string bytes = raw_record({{"001", "x"}, {"245", c.field}}, c.coding);
      RecordView view;
      Diagnostics diags;
      QVERIFY(view.parse(bytes, 0, 1, ReadMode::Permissive, diags));
      const Record rec = Record::from_view(view, DecodeOptions{}, diags);
      QCOMPARE(rec.fields().at(1).subfields(), c.want);
      int invalid_code = 0;
      for (const Diagnostic& d : diags) {
        QVERIFY2(d.code != Code::InvalidUtf8, d.message.c_str());
        if (d.code != Code::SubfieldCodeInvalid) continue;
        ++invalid_code;
        QVERIFY2(QString::fromStdString(d.message).contains(QString::fromStdString(c.code_bytes)), d.message.c_str());
        QVERIFY(QString::fromStdString(d.message).endsWith("read as '?'"));
      }
      QCOMPARE(invalid_code, 1);
    }
  }

  /// The writer computes record length, base address and directory exactly.
  void iso2709_layout() {
    const Record r = sample();
    const std::string out = to_iso2709(r);
    QCOMPARE(out.size(), std::size_t(std::stoul(out.substr(0, 5))));
    const std::size_t base = std::stoul(out.substr(12, 5));
    QCOMPARE(base, std::size_t(24 + 12 * 4 + 1));
    QCOMPARE(out[base - 1], '\x1E');
    QCOMPARE(out.back(), '\x1D');
    QCOMPARE(out[9], 'a');
    // First directory entry: 001, length 10 ("ocm12345 " + terminator), start 0.
    QCOMPARE(out.substr(24, 12), std::string("001001000000"));
    QCOMPARE(out.substr(36, 12), std::string("008004100010"));
    // Each entry points at its field, which ends with a terminator.
    for (std::size_t i = 0; i < 4; ++i) {
      const std::size_t len = std::stoul(out.substr(24 + i * 12 + 3, 4));
      const std::size_t start = std::stoul(out.substr(24 + i * 12 + 7, 5));
      QCOMPARE(out[base + start + len - 1], '\x1E');
    }
    QVERIFY(out.find("\x1E" "10\x1F" "aPrice: $5 {approx.} /\x1F" "cZo\xC3\xAB") != std::string::npos);
  }

  /// Build -> write -> read gives back the same record.
  void build_write_read() {
    const Record r = sample();
    Diagnostics diags;
    const Record back = read_one(to_iso2709(r), diags);
    QVERIFY2(diags.empty(), qPrintable(describe(diags)));
    QCOMPARE(back.fields().size(), r.fields().size());
    QVERIFY(back.fields() == r.fields());
    QCOMPARE(back.leader().substr(5, 7), r.leader().substr(5, 7));
  }

  /// Editing: remove, add, change values; the written record follows.
  void edit_and_rewrite() {
    Record r = sample();
    QCOMPARE(r.remove_fields("650"), std::size_t(1));
    QCOMPARE(r.remove_fields("650"), std::size_t(0));
    r.fields()[2].subfields()[0].value = "New title /";
    r.add_field(Field("700", '1', ' ', {{'a', "Added, Person."}}));
    r.fields()[0].set_value("xyz");
    Diagnostics diags;
    const Record back = read_one(to_iso2709(r), diags);
    QVERIFY(diags.empty());
    QCOMPARE(*back.first("245")->subfield('a'), std::string("New title /"));
    QCOMPARE(back.first("001")->value(), std::string("xyz"));
    QVERIFY(back.first("650") == nullptr);
    QCOMPARE(back.fields_with_tag("700").size(), std::size_t(1));
    QCOMPARE(back.first("700")->indicator1(), '1');
    QCOMPARE(back.first("700")->subfield_values('a'), std::vector<std::string>{"Added, Person."});
  }

  /// Records and fields beyond what ISO 2709 can express are refused, not written corrupt.
  void limits() {
    Record r;
    r.add_field(Field("500", ' ', ' ', {{'a', std::string(10000, 'x')}}));
    QVERIFY_THROWS_EXCEPTION(std::length_error, to_iso2709(r));
    Record big;
    for (int i = 0; i < 12; ++i) big.add_field(Field("500", ' ', ' ', {{'a', std::string(9000, 'y')}}));
    QVERIFY_THROWS_EXCEPTION(std::length_error, to_iso2709(big));
    Record badtag;
    badtag.add_field(Field("24", ' ', ' ', {{'a', "x"}}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, to_iso2709(badtag));
  }

  /// MARCMaker text: blanks as '\' in indicators and control fields, escapes for $ { } and \.
  void mrk_text() {
    std::string out;
    write_mrk(sample(), out);
    const std::string expected =
        "=LDR  00000cam a2200000 a 4500\n"
        "=001  ocm12345\\\n"
        "=008  120613s2009\\\\\\\\bl\\a\\\\\\\\\\c\\\\\\\\000\\0\\por\\c\n"
        "=245  10$aPrice: {dollar}5 {lcub}approx.{rcub} /$cZo\xC3\xAB \xC3\x85ngstr\xC3\xB6m.\n"
        "=650  \\0$aBack\\slash\n"
        "\n";
    QCOMPARE(QString::fromStdString(out), QString::fromStdString(expected));
    std::string crlf;
    write_mrk(sample(), crlf, MrkOptions{true});
    QVERIFY(crlf.find("=001  ocm12345\\\r\n") != std::string::npos);
    QVERIFY(crlf.ends_with("\r\n\r\n"));
  }

  /// Control characters never reach .mrk text raw; ISO 2709's structure bytes are not written
  /// inside a value at all (U+FFFD, reported).
  void mrk_control_characters() {
    Record r;
    r.add_field(Field("001", std::string("a\x1B" "b\x01", 4)));
    r.add_field(Field("500", ' ', ' ', {{'a', std::string("x\x1Ey")}}));
    std::string out;
    Diagnostics diags;
    write_mrk(r, out, MrkOptions{}, diags, 3, 300);
    QVERIFY(out.find("=001  a{esc}b{01}\n") != std::string::npos);
    QVERIFY(out.find("$ax\xEF\xBF\xBDy\n") != std::string::npos);
    QCOMPARE(diags.size(), std::size_t(1));
    QCOMPARE(diags[0].code, Code::StructureByteInData);
    QCOMPARE(diags[0].record, std::uint64_t(3));
    QCOMPARE(diags[0].offset, std::uint64_t(300));
  }

  /// The .mrk of a real file matches its MarcEdit twin line for line. MarcEdit is inconsistent
  /// with braces and control bytes (it escapes "{believed}" but leaves "{wn}" and a raw 0x12);
  /// we always escape them so the text reads back, so a handful of lines differ in spelling
  /// only: they must agree once our escapes are decoded.
  void mrk_matches_marcedit_twin() {
    const std::string bytes = read_bytes("pairs/lcmarcedit-marc_sample_data.mrc");
    Iso2709Reader reader(InputBuffer::from_bytes(bytes), ReadOptions{});
    ReadItem item;
    std::string ours;
    int n = 0;
    while (reader.next(item)) {
      if (!item.has_record) continue;
      Diagnostics diags;
      write_mrk(Record::from_view(item.view, DecodeOptions{}, diags), ours, MrkOptions{true});
      ++n;
    }
    QCOMPARE(n, 536);
    const std::string twin = read_bytes("mrk/lcmarcedit-marc_sample_data.mrk");
    const QList<QByteArray> a = QByteArray::fromStdString(ours).split('\n');
    const QList<QByteArray> b = QByteArray::fromStdString(twin).split('\n');
    QCOMPARE(a.size(), b.size());
    static const QRegularExpression hex(QStringLiteral("\\{([0-9A-F]{2})\\}"));
    int differing = 0;
    for (qsizetype i = 0; i < a.size(); ++i) {
      if (a[i] == b[i]) continue;
      ++differing;
      QString decoded = QString::fromUtf8(a[i]);
      decoded.replace("{lcub}", "{").replace("{rcub}", "}");
      for (auto m = hex.match(decoded); m.hasMatch(); m = hex.match(decoded))
        decoded.replace(m.capturedStart(), m.capturedLength(), QChar(m.captured(1).toInt(nullptr, 16)));
      QCOMPARE(decoded, QString::fromUtf8(b[i]));
    }
    QVERIFY2(differing <= 4, qPrintable(QString("%1 lines differ").arg(differing)));
  }
};

QTEST_APPLESS_MAIN(TestRecord)
#include "test_record.moc"
