// Writing records that need no change straight from their view (ReadOptions::skip_as_is, which
// `marcscope convert` sets): every ISO 2709 fixture, in every read mode, converted to every
// format both ways, gives the same bytes and the same diagnostics as decoding every record to
// the model; UTF-8 records take the view path, and so do MARC-8 records of plain ASCII, and with
// ReadOptions::iso2709_forms other clean MARC-8 records, as their UTF-8 form.
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <cctype>

#include "marcscope/charset/charset.h"
#include "marcscope/iso2709/iso2709_writer.h"
#include "marcscope/iso2709/record_view.h"
#include "marcscope/model/record.h"
#include "marcscope/read/record_reader.h"
#include "marcscope/write/converter.h"
#include "test_support.h"

using namespace marcscope;
using namespace marcscope::test;

namespace {

struct Converted {
  bool opened = false;
  std::string bytes;
  std::vector<std::string> diagnostics;
  std::uint64_t as_is = 0;      ///< records delivered undecoded (written from their view)
  std::uint64_t transcoded = 0; ///< of those, MARC-8 records delivered as their UTF-8 form
  std::uint64_t delivered = 0;
};

Converted convert(const std::string& input, ReadMode mode, Format to, const WriterOptions& wopts, bool skip_as_is,
                  const QString& out_path, unsigned threads, bool transcode = false, Format from = Format::Iso2709) {
  Converted c;
  ReadOptions read;
  read.mode = mode;
  read.format = from;
  // MARCXML: small chunks, so that most files are read as several by the fast path.
  read.chunk_bytes = 16384;
  read.skip_as_is = skip_as_is;
  read.iso2709_forms = transcode;
  read.threads = threads;
  // Small slices: several batches even for the small fixtures.
  read.slice_bytes = 4096;
  std::unique_ptr<RecordReader> reader;
  try {
    reader = RecordReader::open(input, read);
  } catch (const std::exception&) {
    return c;
  }
  c.opened = true;
  {
    OutputFile out(out_path.toStdString());
    Converter converter(to, wopts, out);
    converter.add(*reader, {}, [&](Batch& batch) {
      for (const auto& d : batch.diagnostics) c.diagnostics.push_back(d.to_string());
      for (const auto& r : batch.records) {
        ++c.delivered;
        if (r.as_is) ++c.as_is;
        if (r.transcoded) ++c.transcoded;
      }
      return true;
    });
    converter.finish();
  }
  c.bytes = slurp(out_path);
  return c;
}

/// decodes_as_is() spelled out one byte at a time, as the rule reads: what the engine's SIMD
/// version must agree with on every record.
bool as_is_by_the_rule(const RecordView& view, const DecodeOptions& options) {
  const std::string_view leader = view.leader().bytes();
  auto printable = [](char c) { return c >= 0x20 && c < 0x7F; };
  if (leader.size() != 24 || leader[10] != '2' || leader[11] != '2') return false;
  const bool ascii_only = leader[9] != 'a';
  if (ascii_only && (!options.leader_utf8 || options.raw_marc8)) return false;
  if (options.raw || view.indicator_count() != 2) return false;
  if (options.encoding == EncodingChoice::ForceMarc8 || options.encoding == EncodingChoice::ForceUtf8) return false;
  if (options.encoding == EncodingChoice::FromLeader && !options.detect_leader_lies) return false;
  for (const char c : leader)
    if (!printable(c)) return false;
  for (const auto& f : view.fields()) {
    for (const char c : f.tag)
      if (!printable(c)) return false;
    const std::string_view d = f.data;
    std::size_t i = 0;
    if (f.is_control()) {
      if (d.data() != view.bytes().data() && static_cast<unsigned char>(d.data()[-1]) >= 0x80) return false;
    } else {
      if (d.size() < 2 || !printable(d[0]) || !printable(d[1])) return false;
      if (d.size() > 2 && d[2] != '\x1F') return false;
      i = 2;
    }
    if (ascii_only && (d.find('\x7F') != std::string_view::npos || d.find("&#") != std::string_view::npos)) return false;
    for (; i < d.size(); ++i) {
      const auto c = static_cast<unsigned char>(d[i]);
      if (c >= 0x20) continue;
      if (c == 0x1F && !f.is_control()) {
        if (i + 1 == d.size() || static_cast<unsigned char>(d[i + 1]) <= 0x20 || static_cast<unsigned char>(d[i + 1]) >= 0x7F)
          return false;
        ++i;
        continue;
      }
      if (c == 0x1F || c == 0x1E || c == 0x1D || ascii_only) return false;
    }
  }
  Diagnostics none;
  EncodingEvidence evidence;
  bool examined = false;
  const Encoding enc = choose_encoding(view, options, none, &evidence, &examined);
  if (!examined || !none.empty() || evidence.has_escape) return false;
  return ascii_only ? enc == Encoding::Marc8 && !evidence.has_high_bytes : enc == Encoding::Utf8 && evidence.valid_utf8;
}

}  // namespace

class TestViewWriter : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void same_bytes_and_diagnostics_as_the_model();
  void utf8_and_plain_ascii_marc8_take_the_view_path();
  void decodes_as_is_refuses_what_the_model_changes();
  void decodes_as_is_follows_the_rule_on_spoiled_records();
  void text_writers_escape_views_as_the_model();
  void fields_in_one_piece_follows_the_rule();
  void as_is_records_carry_their_view();
  void transcoded_marc8_is_the_model_of_the_record();
  void marcxml_written_from_its_iso2709_form();
};

void TestViewWriter::same_bytes_and_diagnostics_as_the_model() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const auto files = iso2709_fixtures();
  QVERIFY(files.size() > 100);
  struct Target {
    Format format;
    bool pretty;
  };
  const std::vector<Target> targets = {{Format::Iso2709, false}, {Format::MarcXml, false}, {Format::MarcXml, true},
                                       {Format::Json, false},    {Format::Json, true},     {Format::NdJson, false},
                                       {Format::Mrk, false},     {Format::Iso2709Marc8, false}};
  const std::vector<ReadMode> modes = {ReadMode::Strict, ReadMode::Permissive, ReadMode::Recover};
  std::uint64_t compared = 0, as_is = 0, transcoded = 0;
  for (const auto& file : files) {
    for (const ReadMode mode : modes) {
      for (const auto& target : targets) {
        if (small_data() && (target.pretty || target.format == Format::Iso2709Marc8)) continue;
        WriterOptions wopts;
        wopts.pretty = target.pretty;
        // Threads: 1 (the serial path) for the model, 2 for the view path.
        const Converted model = convert(file.toStdString(), mode, target.format, wopts, false, dir.filePath("model"), 1);
        const Converted view = convert(file.toStdString(), mode, target.format, wopts, true, dir.filePath("view"), 2);
        const QString what = file + " " + QString::number(int(mode)) + " " +
                             QString::fromUtf8(format_name(target.format)) + (target.pretty ? " pretty" : "");
        QVERIFY2(model.opened == view.opened, qPrintable(what));
        if (!model.opened) continue;
        QCOMPARE(model.as_is, std::uint64_t{0});
        QVERIFY2(model.bytes == view.bytes, qPrintable(what));
        QVERIFY2(model.diagnostics == view.diagnostics, qPrintable(what));
        QCOMPARE(model.delivered, view.delivered);
        QCOMPARE(view.transcoded, std::uint64_t{0});
        ++compared;
        as_is += view.as_is;
        // MARC-8 records beyond ASCII delivered as their UTF-8 form too (ReadOptions::iso2709_forms).
        if (target.pretty) continue;
        const Converted utf8 =
            convert(file.toStdString(), mode, target.format, wopts, true, dir.filePath("utf8"), 2, true);
        QVERIFY2(utf8.bytes == model.bytes, qPrintable(what + " transcoded"));
        QVERIFY2(utf8.diagnostics == model.diagnostics, qPrintable(what + " transcoded"));
        QCOMPARE(utf8.delivered, model.delivered);
        QVERIFY(utf8.as_is >= view.as_is);
        transcoded += utf8.transcoded;
      }
    }
  }
  qInfo("%llu conversions compared; %llu records written from their view, %llu MARC-8 ones from their UTF-8 form",
        (unsigned long long)compared, (unsigned long long)as_is, (unsigned long long)transcoded);
  QVERIFY(compared > 1000);
  // The view path was taken, often, and so was the transcoded one.
  QVERIFY(as_is > 1000);
  QVERIFY(transcoded > 1000);
}

void TestViewWriter::utf8_and_plain_ascii_marc8_take_the_view_path() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  // UTF-8 records, well formed: all of them written from their view.
  const Converted utf8 = convert(data_path("pairs/traject-test_data.utf8.mrc"), ReadMode::Permissive, Format::MarcXml, {},
                                 true, dir.filePath("a"), 2);
  QVERIFY(utf8.opened);
  QVERIFY(utf8.delivered > 0);
  QCOMPARE(utf8.as_is, utf8.delivered);
  // MARC-8 records: those whose fields hold nothing but printable ASCII and delimiters followed by
  // a code (MARC-8's default set is ASCII), counted here from the file's bytes.
  const std::string jazz = read_bytes("valid/evergreen-jazz_1k.mrc");
  std::uint64_t plain = 0, records = 0;
  for (std::size_t at = 0; at < jazz.size();) {
    const std::size_t end = jazz.find('\x1D', at);
    QVERIFY(end != std::string::npos);
    ++records;
    QCOMPARE(jazz[at + 9], ' ');
    bool ascii = true;
    for (std::size_t i = at + 24; i < end; ++i) {
      const auto c = static_cast<unsigned char>(jazz[i]);
      if ((c < 0x20 || c > 0x7E) && c != 0x1E && c != 0x1F) ascii = false;
      // A delimiter with no subfield code after it: the model changes that (as for UTF-8).
      if (c == 0x1F && (i + 1 == end || jazz[i + 1] <= 0x20 || jazz[i + 1] >= 0x7F)) ascii = false;
    }
    // "&#x...;" is a character reference that MARC-8 decodes: not as it is.
    if (std::string_view(jazz).substr(at, end - at).find("&#") != std::string_view::npos) ascii = false;
    plain += ascii;
    at = end + 1;
  }
  QVERIFY(plain > 100 && plain < records);
  const Converted marc8 = convert(data_path("valid/evergreen-jazz_1k.mrc"), ReadMode::Permissive, Format::MarcXml, {},
                                  true, dir.filePath("b"), 2);
  QVERIFY(marc8.opened);
  QCOMPARE(marc8.delivered, records);
  QCOMPARE(marc8.as_is, plain);
  // MARC-8 with Hebrew in every record: none.
  const Converted hebrew = convert(data_path("marc8/evergreen-hebrew.marc"), ReadMode::Permissive, Format::MarcXml, {},
                                   true, dir.filePath("d"), 2);
  QVERIFY(hebrew.opened);
  QVERIFY(hebrew.delivered > 0);
  QCOMPARE(hebrew.as_is, std::uint64_t{0});
  // Invalid UTF-8 (repaired in the model): not that record.
  const Converted bad = convert(data_path("malformed/pymarc-utf8_invalid.mrc"), ReadMode::Permissive,
                                Format::MarcXml, {}, true, dir.filePath("c"), 2);
  QVERIFY(bad.opened);
  QVERIFY(bad.as_is < bad.delivered);
}

void TestViewWriter::decodes_as_is_refuses_what_the_model_changes() {
  // A clean UTF-8 record, then the same record spoiled one way at a time.
  Record rec;
  rec.set_leader("00000nam a2200000 a 4500");
  rec.add_field(Field("001", "id1"));
  rec.add_field(Field("245", '1', '0', {{'a', "Caf\xC3\xA9"}, {'c', "x"}}));
  const std::string good = to_iso2709(rec);
  auto as_is = [](const std::string& bytes, const DecodeOptions& options = {}) {
    RecordView view;
    Diagnostics diags;
    if (!view.parse(bytes, 0, 1, ReadMode::Permissive, diags)) return false;
    return decodes_as_is(view, options);
  };
  QVERIFY(as_is(good));
  const std::size_t value = good.find("Caf");
  QVERIFY(value != std::string::npos);
  auto spoiled = [&](std::size_t at, char byte) {
    std::string s = good;
    s[at] = byte;
    return s;
  };
  QVERIFY(!as_is(spoiled(9, ' ')));              // declared MARC-8
  QVERIFY(!as_is(spoiled(5, '\x01')));           // leader byte that is not a character
  QVERIFY(!as_is(spoiled(value + 3, '\xFF')));   // invalid UTF-8
  QVERIFY(!as_is(spoiled(value + 1, '\x1B')));   // ESC
  QVERIFY(!as_is(spoiled(value - 1, ' ')));      // subfield code not printable
  QVERIFY(!as_is(spoiled(value - 2, 'x')));      // text before the first subfield
  QVERIFY(!as_is(spoiled(value - 4, '\x01')));   // indicator not printable
  DecodeOptions raw;
  raw.raw = true;
  QVERIFY(!as_is(good, raw));

  // Read as MARC-8: plain ASCII only, and only when the model's leader/09 becomes 'a'.
  Record ascii;
  ascii.set_leader("00000nam  2200000 a 4500");
  ascii.add_field(Field("001", "id1"));
  ascii.add_field(Field("245", '1', '0', {{'a', "Cafe"}, {'c', "x"}}));
  std::string m8 = to_iso2709(ascii);  // written as UTF-8 ...
  m8[9] = ' ';                          // ... and declared MARC-8
  QVERIFY(as_is(m8));
  const std::size_t m8value = m8.find("Cafe");
  auto m8spoiled = [&](std::size_t at, char byte) {
    std::string s = m8;
    s[at] = byte;
    return s;
  };
  QVERIFY(!as_is(m8spoiled(m8value + 3, '\xE2')));  // a MARC-8 byte above ASCII (a combining mark)
  QVERIFY(!as_is(m8spoiled(m8value + 3, '\x7F')));  // DEL
  QVERIFY(!as_is(m8spoiled(m8value + 3, '\x1B')));  // ESC: a change of character set
  QVERIFY(!as_is(m8spoiled(m8value + 3, '\x0A')));  // another control character
  std::string reference = m8;
  reference.replace(m8value, 4, "&#x");               // the start of "&#x00E9;"
  QVERIFY(!as_is(reference));
  DecodeOptions keep_leader;
  keep_leader.leader_utf8 = false;  // the model keeps leader/09 ' ': the view writers would not
  QVERIFY(!as_is(m8, keep_leader));
  QVERIFY(as_is(good, keep_leader));  // UTF-8's leader/09 is 'a' either way
  DecodeOptions raw_marc8;
  raw_marc8.raw_marc8 = true;
  QVERIFY(!as_is(m8, raw_marc8));
  RecordView m8view;
  Diagnostics m8diags;
  QVERIFY(m8view.parse(m8, 0, 1, ReadMode::Permissive, m8diags));
  Encoding enc = Encoding::Utf8;
  QVERIFY(decodes_as_is(m8view, {}, &enc));
  QCOMPARE(enc, Encoding::Marc8);
  DecodeOptions forced;
  forced.encoding = EncodingChoice::ForceMarc8;
  QVERIFY(!as_is(good, forced));

  // "&#" and DEL at every offset of a value, across the sixteen-byte blocks of the one-pass
  // check; '&' or '#' alone is plain ASCII.
  for (std::size_t k = 0; k < 48; ++k) {
    for (const std::string& piece : {std::string("&#"), std::string("\x7F"), std::string("&"), std::string("#")}) {
      Record r;
      r.set_leader("00000nam  2200000 a 4500");
      r.add_field(Field("001", "id1"));
      r.add_field(Field("245", '1', '0', {{'a', std::string(k, 'v') + piece + "w"}}));
      std::string bytes = to_iso2709(r);
      bytes[9] = ' ';
      const bool plain = piece.size() == 1 && piece[0] != '\x7F';
      QVERIFY2(as_is(bytes) == plain, qPrintable(QString("k=%1 piece=%2").arg(k).arg(QString::fromStdString(piece))));
    }
  }
}

void TestViewWriter::fields_in_one_piece_follows_the_rule() {
  // RecordView::parse() finds whether the fields lie one after the other, each with its
  // terminator, as it reads the directory (and the damaged-record path afterwards): the answer is
  // the rule's, spelled out here, on records as they are, with bytes overwritten anywhere past the
  // leader (the directory too), and with two directory entries swapped (fields out of order).
  auto by_the_rule = [](const RecordView& view) {
    const auto& fields = view.fields();
    if (fields.empty()) return false;
    std::size_t next = fields.front().offset;
    for (const auto& f : fields) {
      const std::size_t end = next + f.data.size();
      if (f.offset != next || f.data.data() != view.bytes().data() + f.offset || end >= view.bytes().size() ||
          view.bytes()[end] != '\x1E')
        return false;
      next = end + 1;
    }
    return true;
  };
  const std::string bytes_of_interest("\x1F\x1E\x1D" "0159 a", 9);
  FixedSequence next(2468);
  std::uint64_t checked = 0, in_one_piece = 0, as_written = 0, written_views = 0, plain_shapes = 0,
                own_terminator_views = 0;
  for (const auto& [file, record] : fixture_records()) {
    for (int variant = 0; variant < 7; ++variant) {
      std::string spoiled = record;
      if (variant == 1 && spoiled.size() > 48 && spoiled[47] != '\x1E' && spoiled[35] != '\x1E')
        std::swap_ranges(spoiled.begin() + 24, spoiled.begin() + 36, spoiled.begin() + 36);
      if (variant == 6) {
        // A byte no field holds before the first: every start one further, the record one longer.
        RecordView plain;
        Diagnostics ignored;
        if (!plain.parse(record, 0, 1, ReadMode::Strict, ignored) || !plain.directory_as_written()) continue;
        const std::size_t base = 24 + 12 * plain.fields().size() + 1;
        spoiled = record.substr(0, base) + "X" + record.substr(base);
        std::memcpy(spoiled.data(), QString::asprintf("%05zu", spoiled.size()).toLatin1().constData(), 5);
        for (std::size_t e = 0; e < plain.fields().size(); ++e) {
          const std::size_t at = 24 + 12 * e + 7;
          const int start = std::stoi(spoiled.substr(at, 5)) + 1;
          std::memcpy(spoiled.data() + at, QString::asprintf("%05d", start).toLatin1().constData(), 5);
        }
      }
      for (int k = 0; variant >= 2 && k < variant - 1 && spoiled.size() > 24; ++k)
        spoiled[24 + next() % (spoiled.size() - 24)] = bytes_of_interest[next() % bytes_of_interest.size()];
      for (const ReadMode mode : {ReadMode::Strict, ReadMode::Permissive, ReadMode::Recover}) {
        RecordView view;
        Diagnostics diags;
        if (!view.parse(spoiled, 0, 1, mode, diags)) continue;
        const bool rule = by_the_rule(view);
        QVERIFY2(view.fields_in_one_piece() == rule, qPrintable(QString("%1 variant %2 mode %3").arg(file).arg(variant).arg(int(mode))));
        // directory_as_written(): the directory holds exactly the entries a writer would write
        // for these fields, from the data's start (what lets write_iso2709_view copy the record).
        if (view.directory_as_written()) {
          QVERIFY(rule);
          const auto& fields = view.fields();
          std::size_t pos = 0;
          std::string entries;
          for (const auto& f : fields) {
            entries += std::string(f.tag) + QString::asprintf("%04zu%05zu", f.data.size() + 1, pos).toStdString();
            pos += f.data.size() + 1;
          }
          QCOMPARE(view.bytes().substr(24, entries.size() + 1), std::string_view(entries + "\x1E"));
          QCOMPARE(std::size_t(fields.front().offset), 24 + entries.size() + 1);
          ++as_written;
        }
        // What write_iso2709_view() writes (the record copied, or its directory written afresh)
        // is the model's ISO 2709.
        if (decodes_as_is(view, {})) {
          std::string out;
          Diagnostics ignored;
          QVERIFY(write_iso2709_view(view, out));
          QVERIFY2(out == to_iso2709(Record::from_view(view, {}, ignored)),
                   qPrintable(QString("%1 variant %2 mode %3").arg(file).arg(variant).arg(int(mode))));
          ++written_views;
        }
        // tags_and_indicators_plain(): every tag letters and digits, every other field two
        // MARC 21 indicators and a delimiter (what decodes_as_is() then does not look at again).
        const bool plain = view.tags_and_indicators_plain();
        if (plain) {
          auto indicator = [](char c) { return c == ' ' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
          for (const auto& f : view.fields()) {
            QVERIFY(f.tag.size() == 3);
            for (const char c : f.tag) QVERIFY2(std::isalnum(static_cast<unsigned char>(c)) && static_cast<unsigned char>(c) < 0x80, qPrintable(file));
            if (f.is_control()) continue;
            QVERIFY2(f.data.size() >= 3 && indicator(f.data[0]) && indicator(f.data[1]) && f.data[2] == '\x1F',
                     qPrintable(QString("%1 variant %2 mode %3").arg(file).arg(variant).arg(int(mode))));
          }
          ++plain_shapes;
        }
        // only_field_terminators(): the fields' terminators are the data area's only ones (checked
        // here where the fields are in one piece, the case decodes_as_is() relies on it).
        const bool own_terminators = view.only_field_terminators();
        if (own_terminators && rule) {
          const auto& last = view.fields().back();
          const std::string_view area = view.bytes().substr(view.fields().front().offset);
          const std::size_t tail = last.offset + last.data.size() + 1 - view.fields().front().offset;
          std::size_t terminators = 0;
          for (std::size_t i = 0; i < tail; ++i) terminators += area[i] == '\x1E' || area[i] == '\x1D';
          QCOMPARE(terminators, view.fields().size());
          ++own_terminator_views;
        }
        const bool written = view.directory_as_written();
        const std::string copy = spoiled;
        view.rebase(copy);
        QCOMPARE(view.fields_in_one_piece(), rule);
        QCOMPARE(view.directory_as_written(), written);
        QCOMPARE(view.tags_and_indicators_plain(), plain);
        QCOMPARE(view.only_field_terminators(), own_terminators);
        ++checked;
        in_one_piece += rule;
      }
    }
  }
  qInfo("%llu records checked, %llu in one piece, %llu with the directory as written, %llu written, %llu plain", (unsigned long long)checked,
        (unsigned long long)in_one_piece, (unsigned long long)as_written, (unsigned long long)written_views,
        (unsigned long long)plain_shapes);
  QVERIFY(in_one_piece > 1000 && checked - in_one_piece > 1000);
  QVERIFY(as_written > 1000);
  QVERIFY(written_views > 1000);
  QVERIFY(plain_shapes > 1000 && checked - plain_shapes > 1000);
  QVERIFY(own_terminator_views > 1000 && checked - own_terminator_views > 1000);
}

void TestViewWriter::decodes_as_is_follows_the_rule_on_spoiled_records() {
  // Records of every ISO 2709 fixture, each as it is, declared UTF-8 and declared MARC-8, then
  // with bytes overwritten by the ones the rule is about, at positions picked by a fixed seed:
  // the engine's answer is the rule's on every one of them.
  const std::string bytes_of_interest("\x1F\x1E\x1D\x1B\x0A\x00 \x7F\x80\xA9\xC3\xE2\xF0\xFF&#a", 18);
  FixedSequence next(12345);
  std::uint64_t checked = 0, accepted = 0;
  for (const auto& [file, record] : fixture_records()) {
    for (int variant = 0; variant < 12; ++variant) {
      std::string spoiled = record;
      if (variant % 3 == 1) spoiled[9] = 'a';
      if (variant % 3 == 2) spoiled[9] = ' ';
      // Variants 0-2 as they are; the others with one to three bytes changed past the leader.
      for (int k = 0; variant >= 3 && k < 1 + variant % 3 && spoiled.size() > 24; ++k)
        spoiled[24 + next() % (spoiled.size() - 24)] = bytes_of_interest[next() % bytes_of_interest.size()];
      for (const ReadMode mode : {ReadMode::Permissive, ReadMode::Recover}) {
        RecordView view;
        Diagnostics diags;
        if (!view.parse(spoiled, 0, 1, mode, diags)) continue;
        for (int o = 0; o < 3; ++o) {
          DecodeOptions options;
          if (o == 1) options.encoding = EncodingChoice::FromLeader;
          if (o == 2) options.leader_utf8 = false;
          const bool rule = as_is_by_the_rule(view, options);
          Encoding enc = Encoding::Utf8;
          const bool engine = decodes_as_is(view, options, &enc);
          if (engine != rule) {
            QString hex;
            for (unsigned char c : spoiled) hex += QString::asprintf("%02X", c);
            QFAIL(qPrintable(QString("%1: engine %2, rule %3, mode %4, options %5: %6")
                                 .arg(file)
                                 .arg(engine)
                                 .arg(rule)
                                 .arg(int(mode))
                                 .arg(o)
                                 .arg(hex)));
          }
          if (engine) QCOMPARE(enc, spoiled[9] == 'a' ? Encoding::Utf8 : Encoding::Marc8);
          ++checked;
          accepted += engine;
        }
      }
    }
  }
  qInfo("%llu records checked, %llu as they are", (unsigned long long)checked, (unsigned long long)accepted);
  QVERIFY(checked > 10000);
  QVERIFY(accepted > 1000 && accepted < checked);
}

void TestViewWriter::text_writers_escape_views_as_the_model() {
  // Records of every ISO 2709 fixture, declared UTF-8, with one to four bytes past the leader
  // overwritten by ones the JSON and MARCXML writers escape or look at (quotes, backslashes,
  // markup, control bytes, DEL, bytes beyond ASCII, delimiters), at positions picked by a fixed
  // seed. Every one that decodes_as_is() accepts is written from its view (write_view, which
  // takes the values field by field) and from its model: the same bytes and diagnostics.
  static const char kBytes[] = "\"\\<>&'\t\n\r\x01\x08\x0C\x1F\x7F\xC3\xA9\xE2\x82\xAC a";
  const std::string bytes_of_interest(kBytes, sizeof kBytes - 1);
  struct Target {
    Format format;
    bool pretty;
  };
  const std::vector<Target> targets = {{Format::Json, false}, {Format::Json, true}, {Format::NdJson, false},
                                       {Format::MarcXml, false}, {Format::MarcXml, true}};
  // One writer for each path: a JSON array's writer remembers whether it wrote a record yet.
  std::vector<std::unique_ptr<RecordWriter>> view_writers, model_writers;
  for (const auto& t : targets) {
    WriterOptions w;
    w.pretty = t.pretty;
    view_writers.push_back(make_writer(t.format, w));
    model_writers.push_back(make_writer(t.format, w));
  }
  FixedSequence next(4242);
  std::uint64_t written = 0, escaped = 0;
  for (const auto& [file, record] : fixture_records()) {
    for (int variant = 0; variant < 16; ++variant) {
      std::string spoiled = record;
      spoiled[9] = 'a';
      for (int k = 0; variant > 0 && k < 1 + variant % 4 && spoiled.size() > 24; ++k)
        spoiled[24 + next() % (spoiled.size() - 24)] = bytes_of_interest[next() % bytes_of_interest.size()];
      // Three-byte characters at 0xEF: U+FFFE and U+FFFF (which XML cannot hold), U+FF01.
      static const char* const kEf[] = {"\xEF\xBF\xBE", "\xEF\xBF\xBF", "\xEF\xBC\x81"};
      if (variant >= 12 && spoiled.size() > 30) spoiled.replace(24 + next() % (spoiled.size() - 30), 3, kEf[variant % 3]);
      RecordView view;
      Diagnostics parse_diags;
      if (!view.parse(spoiled, 0, 7, ReadMode::Permissive, parse_diags) || !parse_diags.empty()) continue;
      const DecodeOptions options;
      if (!decodes_as_is(view, options)) continue;
      Diagnostics none;
      const Record model = Record::from_view(view, options, none);
      QVERIFY(none.empty());
      for (std::size_t t = 0; t < targets.size(); ++t) {
        std::string from_view = "x", from_model = "x";  // appended to, as a batch's output is
        Diagnostics view_diags, model_diags;
        QVERIFY(view_writers[t]->write_view(view, 7, 100, from_view, view_diags));
        model_writers[t]->write(model, 7, 100, from_model, model_diags);
        if (from_view != from_model) {
          QString hex;
          for (unsigned char c : spoiled) hex += QString::asprintf("%02X", c);
          QFAIL(qPrintable(QString("%1 %2%3:\n%4\n%5\n%6")
                               .arg(file, QString::fromUtf8(format_name(targets[t].format)),
                                    targets[t].pretty ? " pretty" : "", QString::fromStdString(from_view),
                                    QString::fromStdString(from_model), hex)));
        }
        QCOMPARE(view_diags.size(), model_diags.size());
        for (std::size_t i = 0; i < view_diags.size(); ++i)
          QCOMPARE(view_diags[i].to_string(), model_diags[i].to_string());
        ++written;
        if (from_view.find("\\u00") != std::string::npos || from_view.find("\\\"") != std::string::npos ||
            from_view.find("&amp;") != std::string::npos || from_view.find("\xEF\xBF\xBD") != std::string::npos)
          ++escaped;
      }
    }
  }
  qInfo("%llu records written both ways, %llu with something escaped", (unsigned long long)written,
        (unsigned long long)escaped);
  QVERIFY(written > 5000);
  QVERIFY(escaped > 500);
}

void TestViewWriter::as_is_records_carry_their_view() {
  // A record delivered as it is comes with the view the reader parsed: the same fields as parsing
  // its bytes again, pointing into those bytes.
  ReadOptions read;
  read.format = Format::Iso2709;
  read.skip_as_is = true;
  read.threads = 2;
  read.slice_bytes = 4096;
  auto reader = RecordReader::open(data_path("pairs/traject-test_data.utf8.mrc"), read);
  std::uint64_t with_view = 0;
  reader->run([&](Batch& batch) {
    for (const auto& r : batch.records) {
      if (!r.as_is) continue;
      RecordView fresh;
      Diagnostics diags;
      if (!fresh.parse(r.bytes, r.offset, r.number, ReadMode::Permissive, diags)) return false;
      if (r.view.bytes().data() != r.bytes.data() || r.view.fields().size() != fresh.fields().size()) return false;
      for (std::size_t i = 0; i < fresh.fields().size(); ++i)
        if (r.view.fields()[i].data.data() != fresh.fields()[i].data.data() ||
            r.view.fields()[i].data.size() != fresh.fields()[i].data.size())
          return false;
      RecordView scratch;
      if (&r.view_of(scratch, ReadMode::Permissive) != &r.view) return false;
      ++with_view;
    }
    return true;
  });
  QVERIFY(with_view > 0);

  // rebase(): the same view over a copy of the bytes, nothing left pointing at the original.
  std::string original = read_bytes("pairs/traject-test_data.utf8.mrc");
  original.resize(original.find('\x1D') + 1);
  RecordView view;
  Diagnostics diags;
  QVERIFY(view.parse(original, 0, 1, ReadMode::Permissive, diags));
  const std::string copy = original;
  RecordView moved = view;
  moved.rebase(copy);
  original.assign(original.size(), 'x');
  QCOMPARE(moved.bytes().data(), copy.data());
  QCOMPARE(moved.fields().size(), view.fields().size());
  QVERIFY(moved.fields().size() > 5);
  for (std::size_t i = 0; i < moved.fields().size(); ++i) {
    const FieldView& f = moved.fields()[i];
    QVERIFY(f.data.data() >= copy.data() && f.data.data() + f.data.size() <= copy.data() + copy.size());
    QCOMPARE(f.data.size(), view.fields()[i].data.size());
    QVERIFY(f.tag.data() >= copy.data() && f.tag.data() < copy.data() + copy.size());
    QCOMPARE(f.data.data() - copy.data(), static_cast<std::ptrdiff_t>(f.offset));
  }
  QCOMPARE(std::string(moved.fields()[0].tag), std::string("001"));
  QVERIFY(decodes_as_is(moved, {}));
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, moved.rebase(std::string_view(copy).substr(1)));
}

void TestViewWriter::transcoded_marc8_is_the_model_of_the_record() {
  // Records of every ISO 2709 fixture declared MARC-8, as they are and with bytes overwritten by
  // ones MARC-8 decoding and the record's structure care about: wherever transcode_marc8_as_is()
  // takes one, its UTF-8 form decodes to the very model the record decodes to (leader included),
  // with no diagnostic either way, and is written as the model is.
  const std::string bytes_of_interest("\x1F\x1E\x1D\x1B\x0A\x00 \x7F\x80\xA9\xC3\xE2\xF0\xFF&#ab(", 20);
  FixedSequence next(54321);
  std::uint64_t checked = 0, taken = 0, beyond_ascii = 0;
  for (const auto& [file, record] : fixture_records()) {
    for (int variant = 0; variant < 8; ++variant) {
      std::string spoiled = record;
      spoiled[9] = ' ';
      for (int k = 0; variant > 0 && k < 1 + variant % 3 && spoiled.size() > 24; ++k)
        spoiled[24 + next() % (spoiled.size() - 24)] = bytes_of_interest[next() % bytes_of_interest.size()];
      for (const ReadMode mode : {ReadMode::Permissive, ReadMode::Recover}) {
        RecordView view;
        Diagnostics parsed;
        if (!view.parse(spoiled, 0, 1, mode, parsed)) continue;
        for (int o = 0; o < 3; ++o) {
          DecodeOptions options;
          if (o == 1) options.marc8.replacement = U' ';
          if (o == 2) options.leader_utf8 = false;
          std::string out;
          RecordView utf8;
          ++checked;
          const bool took = transcode_marc8_as_is(view, options, out, utf8);
          if (o == 2) QVERIFY(!took);  // the model keeps leader/09: no UTF-8 form stands for it
          if (!took) continue;
          ++taken;
          Diagnostics from_original, from_utf8;
          const Record model = Record::from_view(view, options, from_original);
          const Record again = Record::from_view(utf8, options, from_utf8);
          QString hex;
          for (unsigned char c : spoiled) hex += QString::asprintf("%02X", c);
          QVERIFY2(from_original.empty(), qPrintable(file + " " + hex));
          QVERIFY2(from_utf8.empty(), qPrintable(file + " " + hex));
          QVERIFY2(again == model, qPrintable(file + " " + hex));
          QVERIFY2(decodes_as_is(utf8, options), qPrintable(file + " " + hex));
          QCOMPARE(utf8.fields().size(), view.fields().size());
          QVERIFY(utf8.fields_in_one_piece());
          std::string written;
          QVERIFY(write_iso2709_view(utf8, written));
          QVERIFY2(written == to_iso2709(model), qPrintable(file + " " + hex));
          beyond_ascii += out.size() != spoiled.size() || out.compare(24, std::string::npos, spoiled, 24) != 0;
        }
      }
    }
  }
  qInfo("%llu records checked, %llu transcoded (%llu changed by it)", (unsigned long long)checked,
        (unsigned long long)taken, (unsigned long long)beyond_ascii);

  // A field of plain ASCII is copied in one piece once its subfield codes are checked sixteen
  // bytes at a time: a code that is a blank or a delimiter, at every position across the blocks,
  // is still seen (the model says so), and a good one is taken. The last block of a field is read
  // in place when the record goes on for sixteen bytes after it (a field follows, here one of
  // bytes the check turns down, after a terminator), else from a copy.
  for (std::size_t k = 0; k < 48; ++k) {
    for (const char code : {' ', '\x1F', 'b'}) {
      for (const bool field_after : {false, true}) {
        Record r;
        r.set_leader("00000nam  2200000   4500");
        r.add_field(Field("001", "x"));
        Field f("245", '1', '0', {});
        f.add_subfield('a', std::string(k, 'v'));
        f.add_subfield('!', "w");  // the code put in below (the writer would not write a delimiter)
        r.add_field(std::move(f));
        if (field_after) r.add_field(Field("500", ' ', ' ', {{'a', "x#x#x#x#x#x#x#x#"}}));
        Iso2709WriteOptions marc8;
        marc8.utf8 = false;
        std::string bytes;
        Diagnostics ignored;
        write_iso2709(r, bytes, ignored, 1, 0, marc8);
        QCOMPARE(bytes[9], ' ');
        const std::size_t at = bytes.find("\x1F!w");
        QVERIFY(at != std::string::npos);
        bytes[at + 1] = code;
        std::replace(bytes.begin(), bytes.end(), '#', '\xB0');  // the 500's MARC-8 ayns (U+02BB)
        RecordView view;
        Diagnostics parsed;
        QVERIFY(view.parse(bytes, 0, 1, ReadMode::Permissive, parsed));
        std::string out;
        RecordView utf8;
        const bool took = transcode_marc8_as_is(view, {}, out, utf8);
        QVERIFY2(took == (code == 'b'),
                 qPrintable(QString("k=%1 code=%2 field after: %3").arg(k).arg(int(code)).arg(field_after)));
        if (took) QCOMPARE(Record::from_view(utf8, {}, ignored), Record::from_view(view, {}, ignored));
      }
    }
  }
  QVERIFY(checked > 10000);
  QVERIFY(taken > 1000 && taken < checked);
  QVERIFY(beyond_ascii > 500);
}

void TestViewWriter::marcxml_written_from_its_iso2709_form() {
  // Every MARCXML fixture converted to ISO 2709 with its records delivered as their ISO 2709 form
  // where the fast path reads them (ReadOptions::iso2709_forms), and through the model: the same
  // bytes and diagnostics, in every mode.
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  QStringList files;
  QDirIterator it(data_dir(), {"*.xml"}, QDir::Files, QDirIterator::Subdirectories);
  while (it.hasNext()) files << it.next();
  files.sort();
  QVERIFY(files.size() > 10);
  std::uint64_t compared = 0, forms = 0, delivered = 0;
  for (const auto& file : files) {
    for (const ReadMode mode : {ReadMode::Strict, ReadMode::Permissive, ReadMode::Recover}) {
      const Converted model = convert(file.toStdString(), mode, Format::Iso2709, {}, false, dir.filePath("model"), 2,
                                      false, Format::MarcXml);
      const Converted form = convert(file.toStdString(), mode, Format::Iso2709, {}, true, dir.filePath("form"), 2, true,
                                     Format::MarcXml);
      const QString what = file + " " + QString::number(int(mode));
      QVERIFY2(model.opened == form.opened, qPrintable(what));
      if (!model.opened) continue;
      QCOMPARE(model.as_is, std::uint64_t{0});
      QVERIFY2(model.bytes == form.bytes, qPrintable(what));
      QVERIFY2(model.diagnostics == form.diagnostics, qPrintable(what));
      QCOMPARE(form.delivered, model.delivered);
      QCOMPARE(form.as_is, form.transcoded);
      ++compared;
      forms += form.transcoded;
      delivered += form.delivered;
    }
  }
  qInfo("%llu conversions compared; %llu of %llu records written from their ISO 2709 form", (unsigned long long)compared,
        (unsigned long long)forms, (unsigned long long)delivered);
  QVERIFY(compared > 30);
  QVERIFY(forms > 100 && forms < delivered);
}

QTEST_GUILESS_MAIN(TestViewWriter)
#include "test_view_writer.moc"
