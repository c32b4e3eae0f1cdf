// Formats other than the ISO 2709 fast path: MARCXML, MARC-in-JSON (array and NDJSON), MARCMaker
// text and CSV; format names and detection; the pair sets of tests/data/SOURCES.md read through
// every format; round trips in every direction; malformed XML and JSON; streaming with bounded
// read-ahead; yaz-marcdump as an independent MARCXML oracle.
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <functional>
#include <set>
#include <stdexcept>

#include "marcscope/io/byte_source.h"
#include "marcscope/iso2709/iso2709_writer.h"
#include "marcscope/iso2709/iso2709_reader.h"
#include "marcscope/model/record.h"
#include "marcscope/formats/record_stream.h"
#include "marcscope/read/record_reader.h"
#include "marcscope/charset/utf8.h"
#include "test_support.h"

using namespace marcscope;
using namespace marcscope::test;

Q_DECLARE_METATYPE(marcscope::Format)

namespace {

struct Read {
  std::vector<Record> records;
  Diagnostics diags;
  std::uint64_t seen = 0;
};

Read read_bytes_as(Format format, std::string bytes, ReadMode mode = ReadMode::Permissive,
                   std::string name = "<memory>") {
  ReadOptions options;
  options.mode = mode;
  auto stream = open_record_stream(format, make_memory_source(std::move(bytes), std::move(name)), options);
  Read r;
  Record rec;
  while (stream->next(rec, r.diags)) r.records.push_back(std::move(rec));
  r.seen = stream->records_seen();
  return r;
}

Read read_fixture(const QString& rel, Format format = Format::Unknown, ReadMode mode = ReadMode::Permissive) {
  ReadOptions options;
  options.mode = mode;
  auto stream = open_record_stream(format, open_source(data_path(rel)), options);
  Read r;
  Record rec;
  while (stream->next(rec, r.diags)) r.records.push_back(std::move(rec));
  r.seen = stream->records_seen();
  return r;
}

/// Options with a mode and decoding, the rest left at their defaults.
ReadOptions read_options(ReadMode mode, DecodeOptions decode = {}) {
  ReadOptions options;
  options.mode = mode;
  options.decode = decode;
  return options;
}

/// ISO 2709 through the serial Reader, with chosen decoding (an independent path to the records).
std::vector<Record> read_iso_with(const QString& rel, DecodeOptions decode) {
  Iso2709Reader reader(InputBuffer::from_bytes(read_bytes(rel)), read_options(ReadMode::Permissive, decode));
  ReadItem item;
  std::vector<Record> out;
  while (reader.next(item)) {
    if (!item.has_record) continue;
    Diagnostics d;
    out.push_back(Record::from_view(item.view, decode, d));
  }
  return out;
}

std::string write_all(Format format, const std::vector<Record>& records, Diagnostics& diags,
                      const WriterOptions& options = {}) {
  auto writer = make_writer(format, options);
  std::string out;
  writer->begin(out);
  std::uint64_t n = 0;
  for (const auto& r : records) {
    ++n;
    writer->write(r, n, 1000 * n, out, diags);
  }
  writer->end(out);
  return out;
}

int count_code(const Diagnostics& diags, Code code) {
  int n = 0;
  for (const auto& d : diags) n += d.code == code;
  return n;
}

int count_at_least(const Diagnostics& diags, Severity s) {
  int n = 0;
  for (const auto& d : diags) n += d.severity >= s;
  return n;
}

const Diagnostic* first_of(const Diagnostics& diags, Code code) {
  for (const auto& d : diags)
    if (d.code == code) return &d;
  return nullptr;
}

QString q(const std::string& s) { return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size())); }

/// Leader positions every writer recomputes or that change with the character set: 00-04, 09, 12-16.
std::string leader_key(const std::string& l) {
  std::string k = l;
  for (std::size_t i : {0, 1, 2, 3, 4, 9, 12, 13, 14, 15, 16})
    if (i < k.size()) k[i] = '#';
  return k;
}

QString show(const Field& f) {
  if (f.is_control()) return q("=" + f.tag() + "  " + f.value());
  std::string s = "=" + f.tag() + "  [" + f.indicator1() + f.indicator2() + "]";
  if (!f.leading_data().empty()) s += " lead{" + f.leading_data() + "}";
  for (const auto& sf : f.subfields()) s += std::string(" $") + sf.code + sf.value;
  return q(s);
}

/// First difference between two records (empty when equal). The leader is compared without
/// 00-04, 09, 12-16; leading data only when `lead`.
QString record_diff(const Record& a, const Record& b, bool lead = false, bool leader = true) {
  if (leader && leader_key(a.leader()) != leader_key(b.leader()))
    return "leader " + q(a.leader()) + " vs " + q(b.leader());
  const auto& fa = a.fields();
  const auto& fb = b.fields();
  for (std::size_t i = 0; i < std::max(fa.size(), fb.size()); ++i) {
    if (i >= fa.size() || i >= fb.size()) return QString("field count %1 vs %2").arg(fa.size()).arg(fb.size());
    Field x = fa[i], y = fb[i];
    if (!lead) {
      x.set_leading_data({});
      y.set_leading_data({});
    }
    if (!(x == y)) return QString("field %1: %2 vs %3").arg(i + 1).arg(show(fa[i]), show(fb[i]));
  }
  return {};
}

QString records_diff(const std::vector<Record>& a, const std::vector<Record>& b, bool lead = false) {
  if (a.size() != b.size()) return QString("record count %1 vs %2").arg(a.size()).arg(b.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    if (QString d = record_diff(a[i], b[i], lead); !d.isEmpty()) return QString("record %1: ").arg(i + 1) + d;
  return {};
}

Record map_values(const Record& r, const std::function<std::string(const std::string&)>& fn) {
  Record out;
  out.set_leader(r.leader());
  for (const auto& f : r.fields()) {
    if (f.is_control()) {
      out.add_field(Field(f.tag(), fn(f.value())));
      continue;
    }
    Field g(f.tag(), f.indicator1(), f.indicator2(), {});
    g.set_leading_data(f.leading_data());
    for (const auto& s : f.subfields()) g.add_subfield(s.code, fn(s.value));
    out.add_field(std::move(g));
  }
  return out;
}

std::vector<Record> nfc_all(const std::vector<Record>& rs) {
  std::vector<Record> out;
  for (const auto& r : rs) out.push_back(map_values(r, [](const std::string& v) { return nfc(v); }));
  return out;
}

/// What MARCXML can hold: C0 controls other than tab, LF and CR become U+FFFD.
std::string xml_safe(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') out += "\xEF\xBF\xBD";
    else out += c;
  }
  return out;
}

/// What every writer writes for a value: ISO 2709's structure bytes become U+FFFD.
std::string structure_safe(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c >= 0x1D && c <= 0x1F) out += "\xEF\xBF\xBD";
    else out += c;
  }
  return out;
}

/// `rs` as it comes back from `format` (what that format cannot hold removed or replaced).
std::vector<Record> as_format_holds(const std::vector<Record>& rs, Format format) {
  std::vector<Record> out;
  for (const auto& r : rs) {
    Record c = map_values(r, format == Format::MarcXml ? xml_safe : structure_safe);
    if (format == Format::MarcXml || format == Format::Json || format == Format::NdJson) {
      for (auto& f : c.fields()) f.set_leading_data({});
      std::string l = c.leader();
      if (format == Format::MarcXml) l = xml_safe(l);
      c.set_leader(l);
    } else {
      for (auto& f : c.fields()) f.set_leading_data(structure_safe(f.leading_data()));
    }
    if (format == Format::Iso2709) {
      // The writer describes its own structure in leader/10-11 and 20-23.
      std::string l = c.leader();
      l.replace(10, 2, "22");
      l.replace(20, 4, "4500");
      c.set_leader(l);
    }
    out.push_back(std::move(c));
  }
  return out;
}

/// A source that counts what it has handed out, over bytes in memory, in small pieces.
struct CountingSource {
  std::shared_ptr<std::string> bytes;
  std::shared_ptr<std::size_t> consumed = std::make_shared<std::size_t>(0);
  std::unique_ptr<ByteSource> make(std::size_t piece = 16 * 1024) {
    auto b = bytes;
    auto c = consumed;
    return make_callback_source([b, c, piece](char* buf, std::size_t n) {
      const std::size_t k = std::min({n, piece, b->size() - *c});
      std::memcpy(buf, b->data() + *c, k);
      *c += k;
      return k;
    });
  }
};

Record sample_record(int i) {
  Record r;
  r.set_leader("00000cam a2200000 a 4500");
  char id[16];
  std::snprintf(id, sizeof id, "rec%06d", i);
  r.add_field(Field("001", id));
  r.add_field(Field("008", "120613s2009    bl a     c    000 0 por c"));
  r.add_field(Field("100", '1', ' ', {{'a', "Author, Some"}, {'d', "1900-1980."}}));
  r.add_field(Field("245", '1', '0', {{'a', "A title with \"quotes\" & <angles> /"}, {'c', "Zoë Ångström, 漢字."}}));
  r.add_field(Field("650", ' ', '0', {{'a', "Subject one."}}));
  r.add_field(Field("650", ' ', '0', {{'a', "Subject two."}, {'x', "History."}}));
  return r;
}

const std::vector<Format> kRoundTripFormats = {Format::Iso2709, Format::MarcXml, Format::Json, Format::NdJson, Format::Mrk};

}  // namespace

class TestFormats : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  // -------------------------------------------------------------------- names and detection

  void format_names() {
    for (Format f : {Format::Iso2709, Format::Iso2709Marc8, Format::MarcXml, Format::Json, Format::NdJson, Format::Mrk,
                     Format::Csv}) {
      Format back = Format::Unknown;
      QVERIFY(parse_format_name(format_name(f), back));
      QCOMPARE(back, f);
    }
    const std::vector<std::pair<std::string, Format>> aliases = {
        {"marc", Format::Iso2709},  {"MRC", Format::Iso2709},        {"usmarc", Format::Iso2709},
        {"dat", Format::Iso2709},   {"marc8", Format::Iso2709Marc8}, {"xml", Format::MarcXml},
        {"MARCXML", Format::MarcXml}, {"mij", Format::Json},         {"jsonl", Format::NdJson},
        {"marcmaker", Format::Mrk}, {"mrk8", Format::Mrk},           {"tsv", Format::Csv}};
    for (const auto& [name, f] : aliases) {
      Format got = Format::Unknown;
      QVERIFY2(parse_format_name(name, got), name.c_str());
      QCOMPARE(got, f);
    }
    Format f = Format::Json;
    QVERIFY(!parse_format_name("pdf", f));
    QVERIFY(!parse_format_name("", f));
    QCOMPARE(f, Format::Json);
    QCOMPARE(format_name(Format::Unknown), std::string_view("unknown"));
  }

  /// Every fixture is recognised from its content alone (no file name).
  void detect_fixtures_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<Format>("expected");
    int rows = 0;
    for (const QString folder : {"valid", "marc8", "pairs", "mrk", "xml", "json", "malformed"}) {
      const QDir dir(data_dir() + "/" + folder);
      for (const QString& name : dir.entryList(QDir::Files, QDir::Name)) {
        if (name.endsWith(".md") || name.endsWith(".txt") || name == "marccharset-farsi.marc") continue;
        Format expected = Format::Iso2709;
        if (name.endsWith(".xml")) expected = Format::MarcXml;
        else if (name.endsWith(".mrk")) expected = Format::Mrk;
        else if (name.endsWith(".ndj") || name == "traject-test_data.utf8.json") expected = Format::NdJson;
        else if (name.endsWith(".json")) expected = Format::Json;
        // Synthetic single-defect binaries whose first bytes are not a leader at all.
        else if (folder == "malformed" && !looks_like_iso2709(read_bytes(folder + "/" + name)) &&
                 read_bytes(folder + "/" + name).substr(0, 5).find_first_not_of("0123456789") != std::string::npos)
          continue;
        QTest::newRow(qPrintable(folder + "/" + name)) << folder + "/" + name << expected;
        ++rows;
      }
    }
    QVERIFY(rows > 300);
  }
  void detect_fixtures() {
    QFETCH(QString, file);
    QFETCH(Format, expected);
    const std::string bytes = read_bytes(file);
    QCOMPARE(detect_format(std::string_view(bytes).substr(0, 64 * 1024)), expected);
    // ... and a whole-file read with format Unknown detects the same way.
    if (expected != Format::Iso2709) {
      const Read auto_read = read_fixture(file, Format::Unknown);
      const Read forced = read_fixture(file, expected);
      QCOMPARE(auto_read.records.size(), forced.records.size());
    }
  }

  /// detection_settled(): a head it calls settled is detected as 64 KB of the same input is (or
  /// refused the same way), for every fixture, at every length it says so. Readers of pipes
  /// decide on such a head rather than waiting for 64 KB.
  void settled_detection_agrees_with_64_kb() {
    int files = 0, settled = 0;
    std::set<std::string> formats;
    const auto outcome = [](std::string_view head, const std::string& name) -> std::string {
      try {
        return std::string(format_name(detect_input_format(head, name)));
      } catch (const NotMarcError& e) {
        return std::string("not MARC: ") + e.what();
      }
    };
    for (const QString folder : {"valid", "marc8", "pairs", "mrk", "xml", "json", "malformed"}) {
      const QDir dir(data_dir() + "/" + folder);
      for (const QString& file : dir.entryList(QDir::Files, QDir::Name)) {
        const std::string bytes = read_bytes(folder + "/" + file);
        const std::string_view head = std::string_view(bytes).substr(0, 65536);
        const std::string name = data_path(folder + "/" + file);
        const std::string full = outcome(head, name);
        ++files;
        for (std::size_t n = 1; n < head.size(); n = n < 200 ? n + 1 : n + n / 4) {
          if (!detection_settled(head.substr(0, n))) continue;
          ++settled;
          formats.insert(full);
          const std::string early = outcome(head.substr(0, n), name);
          QVERIFY2(early == full, qPrintable(QString("%1/%2, settled at %3 bytes: %4, but from 64 KB: %5")
                                                 .arg(folder, file)
                                                 .arg(n)
                                                 .arg(QString::fromStdString(early), QString::fromStdString(full))));
        }
      }
    }
    QVERIFY(files > 300);
    QVERIFY(settled > 1000);
    // Every readable format was settled early somewhere.
    for (const char* f : {"iso2709", "marcxml", "json", "ndjson", "mrk"})
      QVERIFY2(formats.count(f) == 1, f);
    // And what must wait: too little to tell, or what more bytes could still change.
    QVERIFY(!detection_settled(""));
    QVERIFY(!detection_settled("00714cam a2200205 a 4500"));  // no terminator yet
    QVERIFY(!detection_settled("<?xml version=\"1.0\"?><collection>"));  // no <record> yet
    QVERIFY(!detection_settled("{\"leader\":\"00000nam a2200000   4500\",\"fields\":[]}"));  // one object, or NDJSON?
    QVERIFY(!detection_settled("{\"leader\":\"00000nam a2200000   4500\",\"fields\":[]}\n"));
    QVERIFY(detection_settled("{\"leader\":\"00000nam a2200000   4500\",\"fields\":[]}\n{"));
    QVERIFY(!detection_settled("=LD"));
  }

  /// Content wins over the file name; the name only breaks ties.
  void detect_content_beats_extension() {
    const std::string xml = read_bytes("xml/traject-tiny.xml");
    QCOMPARE(detect_format(xml, "records.mrc"), Format::MarcXml);
    const std::string iso = read_bytes("pairs/marcperl-camel.usmarc");
    QCOMPARE(detect_format(iso, "records.xml"), Format::Iso2709);
    QCOMPARE(detect_format(read_bytes("mrk/marcperl-camel.mrk"), "x.json"), Format::Mrk);
    QCOMPARE(detect_format(read_bytes("pairs/marcmij-test.ndj"), "x.json"), Format::NdJson);
    QCOMPARE(detect_format(read_bytes("pairs/pymarc-batch.json"), "x.ndjson"), Format::Json);
    // A single one-line object: JSON, unless the name says NDJSON.
    const std::string one = "{\"leader\":\"00000nam a2200000   4500\",\"fields\":[]}\n";
    QCOMPARE(detect_format(one), Format::Json);
    QCOMPARE(detect_format(one, "a.jsonl"), Format::NdJson);
    QCOMPARE(detect_format("\xEF\xBB\xBF  <?xml version=\"1.0\"?><collection/>"), Format::MarcXml);
    QCOMPARE(detect_format("", "a.xml"), Format::MarcXml);
    QCOMPARE(detect_format("", "a.MRC.gz"), Format::Iso2709);
    QCOMPARE(detect_format(""), Format::Unknown);
    QCOMPARE(detect_format("hello world"), Format::Unknown);
    // open_record_stream with Unknown detects: XML bytes under an ISO 2709 name.
    const Read r = read_bytes_as(Format::Unknown, xml, ReadMode::Strict, "tiny.mrc");
    QCOMPARE(r.records.size(), std::size_t(3));
    // ... also through a stream that has no contiguous view (the head is replayed).
    auto bytes = std::make_shared<std::string>(xml);
    CountingSource cs{bytes};
    auto stream = open_record_stream(Format::Unknown, cs.make(100), ReadOptions{});
    Record rec;
    Diagnostics d;
    int n = 0;
    while (stream->next(rec, d)) ++n;
    QCOMPARE(n, 3);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, open_record_stream(Format::Csv, make_memory_source("x")));
  }

  // -------------------------------------------------------------------- MARCXML

  /// Every xml/ file reads (Strict: no error) with the record count SOURCES.md gives, which counts
  /// <record> elements. Five files are the exception, with 0 MARC records and a not-marc warning:
  /// the four traject OAI-PMH files hold OAI-PMH records of Dublin Core, not MARC, and
  /// traject-namespace-test.xml holds <record> elements in a foreign namespace (SOURCES.md: "a
  /// MARCXML reader must return 0 records").
  void xml_counts_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("records");
    const auto counts = sources_record_counts();
    QVERIFY(counts.size() > 300);
    int rows = 0;
    for (const auto& [file, n] : counts) {
      if (!file.startsWith("xml/")) continue;
      // SOURCES.md counts <record> elements; these hold none in the MARC namespace or in no namespace.
      const bool not_marc = file.startsWith("xml/traject-oai-pmh") || file.startsWith("xml/traject-sample-oai") ||
                            file == "xml/traject-namespace-test.xml";
      QTest::newRow(qPrintable(file)) << file << (not_marc ? 0 : n);
      ++rows;
    }
    QCOMPARE(rows, 42);
  }
  void xml_counts() {
    QFETCH(QString, file);
    QFETCH(int, records);
    const Read r = read_fixture(file, Format::MarcXml, ReadMode::Strict);
    QVERIFY2(count_at_least(r.diags, Severity::Error) == 0, qPrintable(describe(r.diags)));
    QCOMPARE(int(r.records.size()), records);
    QCOMPARE(int(r.seen), records);
    if (records == 0) QVERIFY(has_code(r.diags, Code::NotMarc));
    for (const auto& rec : r.records) {
      QCOMPARE(rec.leader().size(), std::size_t(24));
      QCOMPARE(rec.leader()[9], 'a');
      for (const auto& f : rec.fields()) QCOMPARE(f.tag().size(), std::size_t(3));
    }
  }

  /// Odd MARCXML content: short or long leaders, short tags, empty records, subfield 0, comments.
  void xml_odd_content() {
    {
      const Read r = read_fixture("xml/pymarc-bad_tag.xml");
      QCOMPARE(r.records.size(), std::size_t(1));
      // Padded to 24; leader/09 is 'a' in every record read (values are UTF-8 in memory).
      QCOMPARE(r.records[0].leader(), std::string("      Z  a22 4500       "));
      QVERIFY(r.records[0].first("042"));
      QCOMPARE(*r.records[0].first("042")->subfield('a'), std::string("dc"));
      QCOMPARE(count_code(r.diags, Code::TagInvalid), 1);
      QCOMPARE(count_code(r.diags, Code::RecordStructureInvalid), 1);  // the 17-character leader
      // <subfield code="b"/> is an empty subfield, kept.
      QCOMPARE(*r.records[0].first("245")->subfield('b'), std::string());
    }
    {
      const Read r = read_fixture("xml/rubymarc-no-leading-zero.xml", Format::MarcXml, ReadMode::Strict);
      QCOMPARE(r.records.size(), std::size_t(1));
      const Field* f = r.records[0].first("042");
      QVERIFY(f);
      QCOMPARE(f->indicator1(), 'z');
      const Diagnostic* d = first_of(r.diags, Code::TagInvalid);
      QVERIFY(d);
      QCOMPARE(d->severity, Severity::Warning);
      QCOMPARE(d->tag, std::string("042"));
    }
    {
      const Read r = read_fixture("xml/filemarc-bad_leader.xml");
      QCOMPARE(r.records[0].leader(), std::string("00711cam a2200229 4500"  "45").substr(0, 24));
      QVERIFY(has_code(r.diags, Code::RecordStructureInvalid));
    }
    for (const QString file : {"xml/marcxml-empty-record.xml", "xml/marcxml-empty-record-2.xml"}) {
      const Read r = read_fixture(file, Format::MarcXml, ReadMode::Strict);
      QCOMPARE(r.records.size(), std::size_t(1));
      QVERIFY(r.records[0].fields().empty());
      QCOMPARE(r.records[0].leader(), std::string("00000    a2200000   4500"));
      QVERIFY(has_code(r.diags, Code::NoFields));
      QCOMPARE(count_at_least(r.diags, Severity::Error), 0);
    }
    {
      const Read r = read_fixture("xml/rubymarc-messed_up_leader.xml");
      QCOMPARE(r.records[0].leader(), std::string("01301nam a22003618< 4500"));
    }
    {
      const Read r = read_fixture("xml/marcxml-subfield0.xml");
      QCOMPARE(*r.records[0].first("245")->subfield('0'), std::string("subfield $0 contents"));
    }
    {
      // A comment before and inside the record changes nothing. Koha put OAI-PMH header elements
      // (<identifier>, <datestamp>) inside the MARC record: one warning, and they are left out.
      const Read r = read_fixture("xml/solrmarc-1474920681_KOHA_LFL_6_with_comment.xml", Format::MarcXml, ReadMode::Strict);
      QCOMPARE(r.records.size(), std::size_t(1));
      QCOMPARE(r.diags.size(), std::size_t(1));
      QCOMPARE(r.diags[0].code, Code::RecordStructureInvalid);
      QVERIFY(q(r.diags[0].message).contains("<identifier>"));
      const Read five = read_fixture("xml/solrmarc-1474920681_KOHA_LFL_5.xml");
      QCOMPARE(r.records[0].leader(), five.records[0].leader());
      QVERIFY(r.records[0].fields().size() > 5);
    }
    {
      // Empty indicator attributes are blanks.
      const Read r = read_fixture("xml/marcxml-namespace.xml", Format::MarcXml, ReadMode::Strict);
      QCOMPARE(r.records[0].first("022")->indicator1(), ' ');
      QVERIFY(r.diags.empty());
    }
    {
      // The same 76 records with a BOM and without a prolog.
      const Read a = read_fixture("pairs/solrmarc-specTestRecs.xml");
      const Read b = read_fixture("xml/solrmarc-specTestRecs_withBOM.xml");
      const Read c = read_fixture("xml/solrmarc-specTestRecs_no_Prolog.xml");
      QCOMPARE(a.records.size(), std::size_t(76));
      QVERIFY2(records_diff(a.records, b.records).isEmpty(), qPrintable(records_diff(a.records, b.records)));
      QVERIFY2(records_diff(a.records, c.records).isEmpty(), qPrintable(records_diff(a.records, c.records)));
    }
  }

  /// Namespaces: prefixed, default, none; records in a foreign namespace are not MARC; envelopes.
  void xml_namespaces_and_envelopes() {
    const std::string marc = "<leader>00000nam a2200000   4500</leader><controlfield tag=\"001\">x</controlfield>";
    auto count = [](const std::string& xml) { return read_bytes_as(Format::MarcXml, xml, ReadMode::Strict).records.size(); };
    QCOMPARE(count("<collection xmlns=\"http://www.loc.gov/MARC21/slim\"><record>" + marc + "</record></collection>"), std::size_t(1));
    QCOMPARE(count("<m:collection xmlns:m=\"http://www.loc.gov/MARC21/slim\"><m:record><m:leader>00000nam a2200000   4500</m:leader></m:record></m:collection>"), std::size_t(1));
    QCOMPARE(count("<record>" + marc + "</record>"), std::size_t(1));
    QCOMPARE(count("<x:record xmlns:x=\"http://example.org/\">" + marc + "</x:record>"), std::size_t(0));
    // OAI-PMH without namespaces around a MARC record without namespace.
    QCOMPARE(count("<OAI-PMH><ListRecords><record><header><identifier>a</identifier></header><metadata><record>" + marc +
                   "</record></metadata></record><record><header/><metadata><record>" + marc +
                   "</record></metadata></record></ListRecords></OAI-PMH>"),
             std::size_t(2));
    // OAI-PMH with its namespace around namespaced MARC.
    QCOMPARE(count("<OAI-PMH xmlns=\"http://www.openarchives.org/OAI/2.0/\"><ListRecords><record><metadata>"
                   "<marc:record xmlns:marc=\"http://www.loc.gov/MARC21/slim\"><marc:leader>00000nam a2200000   4500</marc:leader>"
                   "</marc:record></metadata></record></ListRecords></OAI-PMH>"),
             std::size_t(1));
    // Unknown elements inside a record are reported and skipped.
    const Read r = read_bytes_as(Format::MarcXml, "<record>" + marc + "<foo><datafield tag=\"245\"/></foo></record>");
    QCOMPARE(r.records.size(), std::size_t(1));
    QCOMPARE(r.records[0].fields().size(), std::size_t(1));
    QVERIFY(has_code(r.diags, Code::RecordStructureInvalid));
    // Entities and character references; CDATA.
    const Read e = read_bytes_as(Format::MarcXml, "<record><datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">A &amp; B &lt;&#233;&#x4E2D;<![CDATA[<c>]]></subfield></datafield></record>");
    QCOMPARE(*e.records[0].first("245")->subfield('a'), std::string("A & B <\xC3\xA9\xE4\xB8\xAD<c>"));
    // ISO-8859-1 declared encoding.
    const Read l = read_bytes_as(Format::MarcXml, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><record><controlfield tag=\"001\">caf\xE9</controlfield></record>");
    QCOMPARE(l.records[0].first("001")->value(), std::string("caf\xC3\xA9"));
  }

  /// malformed/ XML: the expected diagnostics, records before the error delivered, and what each
  /// read mode makes of the rest.
  void xml_malformed_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("mode");
    QTest::addColumn<int>("delivered");
    QTest::addColumn<int>("seen");
    QTest::addColumn<int>("syntax_errors");
    QTest::addColumn<QString>("where");  // "line N" in the syntax error message
    const int S = int(ReadMode::Strict), P = int(ReadMode::Permissive), R = int(ReadMode::Recover);
    QTest::newRow("three-second-bad strict") << "malformed/rubymarc-three-records-second-bad.xml" << S << 1 << 2 << 1 << "line 72,";
    QTest::newRow("three-second-bad permissive") << "malformed/rubymarc-three-records-second-bad.xml" << P << 2 << 3 << 1 << "line 72,";
    QTest::newRow("three-second-bad recover") << "malformed/rubymarc-three-records-second-bad.xml" << R << 3 << 3 << 1 << "line 72,";
    for (const auto& [m, name] : {std::pair{S, "strict"}, std::pair{P, "permissive"}}) {
      QTest::newRow(qPrintable(QString("bad_char_reference ") + name)) << "malformed/mrrc-e401_bad_char_reference.xml" << m << 0 << 1 << 1 << "line 5,";
      QTest::newRow(qPrintable(QString("malformed_marcxml ") + name)) << "malformed/mrrc-e401_malformed_marcxml.xml" << m << 0 << 1 << 1 << "line 5,";
      QTest::newRow(qPrintable(QString("unexpected_eof ") + name)) << "malformed/mrrc-e401_unexpected_eof_in_subfield.xml" << m << 0 << 1 << 1 << "line 5,";
    }
    QTest::newRow("bad_char_reference recover") << "malformed/mrrc-e401_bad_char_reference.xml" << R << 1 << 1 << 1 << "line 5,";
    QTest::newRow("unexpected_eof recover") << "malformed/mrrc-e401_unexpected_eof_in_subfield.xml" << R << 1 << 1 << 1 << "line 5,";
    QTest::newRow("no_record_element") << "malformed/mrrc-e401_no_record_element.xml" << S << 0 << 0 << 0 << "";
    QTest::newRow("marcxml-invalid") << "malformed/marcxml-invalid.xml" << S << 0 << 0 << 0 << "";
    for (const auto& [m, name] : {std::pair{S, "strict"}, std::pair{P, "permissive"}, std::pair{R, "recover"}}) {
      // Records concatenated with no root: read one by one, one warning.
      QTest::newRow(qPrintable(QString("serials_marc21 ") + name)) << "malformed/evergreen-serials_marc21.xml" << m << 7 << 7 << 0 << "";
      // A datafield with no subfields: kept, with a warning, in every mode.
      QTest::newRow(qPrintable(QString("catmandu-broken ") + name)) << "malformed/catmandu-broken.xml" << m << 10 << 10 << 0 << "";
    }
  }
  void xml_malformed() {
    QFETCH(QString, file);
    QFETCH(int, mode);
    QFETCH(int, delivered);
    QFETCH(int, seen);
    QFETCH(int, syntax_errors);
    QFETCH(QString, where);
    const Read r = read_fixture(file, Format::MarcXml, ReadMode(mode));
    QCOMPARE(int(r.records.size()), delivered);
    QCOMPARE(int(r.seen), seen);
    int errors = 0;
    for (const auto& d : r.diags) {
      if (d.code != Code::XmlSyntaxError || d.severity < Severity::Error) continue;
      ++errors;
      QCOMPARE(d.severity, mode == int(ReadMode::Strict) ? Severity::Fatal : Severity::Error);
      QVERIFY2(q(d.message).contains(where), qPrintable(q(d.message)));
      QVERIFY(q(d.message).contains("column"));
    }
    QCOMPARE(errors, syntax_errors);
    if (file.contains("three-records")) {
      // The records around the broken one are the right ones.
      QCOMPARE(r.records[0].first("001")->value(), std::string("afc99990058366"));
      if (mode == int(ReadMode::Permissive)) {
        QVERIFY(has_code(r.diags, Code::RecordSkipped));
        QCOMPARE(first_of(r.diags, Code::RecordSkipped)->record, std::uint64_t(2));
        QCOMPARE(r.records[1].first("245")->subfield('a') != nullptr, true);
      }
      if (mode == int(ReadMode::Recover)) {
        QVERIFY(has_code(r.diags, Code::RecordRepaired));
        // Record 2 as far as it was read: up to the 245 before the broken subfield.
        QVERIFY(r.records[1].first("040"));
        QCOMPARE(*r.records[1].first("245")->subfield('a'), std::string("The Texas ranger"));
      }
    }
    if (file.contains("serials_marc21")) {
      QCOMPARE(count_code(r.diags, Code::XmlSyntaxError), 1);
      QCOMPARE(first_of(r.diags, Code::XmlSyntaxError)->severity, Severity::Warning);
      QCOMPARE(r.records[0].first("001")->value(), std::string("21061"));
      for (const auto& rec : r.records) QVERIFY(rec.first("245") && rec.fields().size() > 10);
    }
    if (file.contains("catmandu-broken")) {
      const Diagnostic* d = first_of(r.diags, Code::RecordStructureInvalid);
      QVERIFY(d);
      QCOMPARE(d->severity, Severity::Warning);
      QCOMPARE(d->tag, std::string("082"));
      QCOMPARE(d->record, std::uint64_t(1));
      QVERIFY(r.records[0].first("082")->subfields().empty());
    }
    if (file.contains("marcxml-invalid")) QVERIFY(has_code(r.diags, Code::RecordStructureInvalid));
    if (syntax_errors == 0 && !file.contains("serials")) QCOMPARE(count_code(r.diags, Code::XmlSyntaxError), 0);
  }

  /// Junk and errors between records, namespace-prefixed records after an error, concatenated
  /// documents with their own prologs.
  void xml_resume_cases() {
    const std::string rec = "<marc:record><marc:leader>00000nam a2200000   4500</marc:leader>"
                            "<marc:controlfield tag=\"001\">%1</marc:controlfield></marc:record>\n";
    auto make = [&](int i) { return QString::fromStdString(rec).arg(i).toStdString(); };
    // The error is in record 2; records 3 and 4 need the marc: prefix declared on the collection.
    std::string doc = "<?xml version=\"1.0\"?>\n<marc:collection xmlns:marc=\"http://www.loc.gov/MARC21/slim\">\n" +
                      make(1) + "<marc:record><marc:leader>x</marc:leader><marc:controlfield tag=\"001\">2</marc:record>\n" +
                      make(3) + make(4) + "</marc:collection>\n";
    const Read p = read_bytes_as(Format::MarcXml, doc, ReadMode::Permissive);
    QCOMPARE(p.records.size(), std::size_t(3));
    QCOMPARE(p.records[2].first("001")->value(), std::string("4"));
    QCOMPARE(count_code(p.diags, Code::XmlSyntaxError), 1);
    QVERIFY(q(first_of(p.diags, Code::XmlSyntaxError)->message).contains("line 4,"));
    const Read s = read_bytes_as(Format::MarcXml, doc, ReadMode::Strict);
    QCOMPARE(s.records.size(), std::size_t(1));
    // Whole documents one after another (cat a.xml b.xml), each with its prolog.
    const std::string one = read_bytes("xml/traject-tiny.xml");
    const Read twice = read_bytes_as(Format::MarcXml, one + one, ReadMode::Strict);
    QCOMPARE(twice.records.size(), std::size_t(6));
    QCOMPARE(count_at_least(twice.diags, Severity::Error), 0);
    // Text after the document.
    const Read junk = read_bytes_as(Format::MarcXml, one + "garbage", ReadMode::Permissive);
    QCOMPARE(junk.records.size(), std::size_t(3));
    QCOMPARE(count_code(junk.diags, Code::XmlSyntaxError), 1);
    // Trailing comments and processing instructions are fine.
    const Read trailing = read_bytes_as(Format::MarcXml, one + "\n<!-- end -->\n<?pi x?>\n", ReadMode::Strict);
    QCOMPARE(trailing.records.size(), std::size_t(3));
    QCOMPARE(count_code(trailing.diags, Code::XmlSyntaxError), 0);
    // An error before any record, then good records.
    const Read early = read_bytes_as(Format::MarcXml, "<collection><bad attr=></collection>\n<collection>" + make(7) + "</collection>",
                                     ReadMode::Permissive);
    QCOMPARE(early.records.size(), std::size_t(0));  // marc: is not declared in the second document
    const Read early2 = read_bytes_as(Format::MarcXml, "<collection><bad attr=></collection>\n<record><leader>00000nam a2200000   4500</leader></record>",
                                      ReadMode::Permissive);
    QCOMPARE(early2.records.size(), std::size_t(1));
  }

  // -------------------------------------------------------------------- MARC-in-JSON

  void json_shapes() {
    const std::string rec1 = "{\"leader\":\"00000nam a2200000   4500\",\"fields\":[{\"001\":\"a\"},{\"245\":{\"ind1\":\"1\",\"ind2\":\"0\",\"subfields\":[{\"a\":\"T\"}]}}]}";
    const std::string rec2 = "{\"fields\":[{\"245\":{\"subfields\":[{\"b\":\"U\"}],\"ind2\":\" \",\"ind1\":\"0\"}},{\"001\":\"b\"}],\"leader\":\"00000nam a2200000   4500\"}";
    // An array, pretty or not; a single object; NDJSON; objects one after another.
    for (const std::string& text : {"[" + rec1 + "," + rec2 + "]", "[\n  " + rec1 + ",\n  " + rec2 + "\n]\n",
                                    rec1 + "\n" + rec2 + "\n", rec1 + rec2, "\xEF\xBB\xBF" + rec1 + "\r\n" + rec2}) {
      const Read r = read_bytes_as(Format::Json, text, ReadMode::Strict);
      QVERIFY2(r.diags.empty(), qPrintable(describe(r.diags)));
      QCOMPARE(r.records.size(), std::size_t(2));
      QCOMPARE(r.records[1].first("001")->value(), std::string("b"));
      QCOMPARE(r.records[1].first("245")->indicator1(), '0');
      QCOMPARE(*r.records[1].first("245")->subfield('b'), std::string("U"));
    }
    const Read single = read_bytes_as(Format::Json, rec1, ReadMode::Strict);
    QCOMPARE(single.records.size(), std::size_t(1));
    QCOMPARE(read_bytes_as(Format::Json, "[]", ReadMode::Strict).records.size(), std::size_t(0));
    // Escapes, \u surrogate pairs.
    const Read e = read_bytes_as(Format::Json, "{\"leader\":\"00000nam a2200000   4500\",\"fields\":[{\"500\":{\"ind1\":\" \",\"ind2\":\" \",\"subfields\":[{\"a\":\"q\\\"b\\\\s\\u00e9\\ud83d\\ude00\\n\"}]}}]}");
    QCOMPARE(*e.records[0].first("500")->subfield('a'), std::string("q\"b\\s\xC3\xA9\xF0\x9F\x98\x80\n"));
    // Structure problems: a field value that is a number is an error (record skipped in
    // Permissive); a missing leader a warning.
    const Read bad = read_bytes_as(Format::Json, "[{\"leader\":\"00000nam a2200000   4500\",\"fields\":[{\"001\":5}]}," + rec1 + "]");
    QCOMPARE(bad.records.size(), std::size_t(1));
    QVERIFY(has_code(bad.diags, Code::RecordStructureInvalid));
    QVERIFY(has_code(bad.diags, Code::RecordSkipped));
    const Read rec = read_bytes_as(Format::Json, "[{\"leader\":\"00000nam a2200000   4500\",\"fields\":[{\"001\":5},{\"003\":\"x\"}]}]", ReadMode::Recover);
    QCOMPARE(rec.records.size(), std::size_t(1));
    QCOMPARE(rec.records[0].fields().size(), std::size_t(1));
    const Read noleader = read_bytes_as(Format::Json, "{\"fields\":[{\"001\":\"x\"}]}", ReadMode::Strict);
    QCOMPARE(noleader.records.size(), std::size_t(1));
    QVERIFY(has_code(noleader.diags, Code::RecordStructureInvalid));
    const Read notobj = read_bytes_as(Format::Json, "[1, " + rec1 + "]", ReadMode::Permissive);
    QCOMPARE(notobj.records.size(), std::size_t(1));
    QCOMPARE(notobj.seen, std::uint64_t(2));
  }

  /// pymarc's test.json has raw line breaks inside strings (JSON forbids them; Python reads it
  /// only with strict=False): it reads, with one warning, and the line breaks are in the values.
  void json_raw_newlines() {
    const Read r = read_fixture("json/pymarc-test.json", Format::Json, ReadMode::Strict);
    QCOMPARE(r.records.size(), std::size_t(1));
    QCOMPARE(count_code(r.diags, Code::JsonSyntaxError), 1);
    QCOMPARE(r.diags[0].severity, Severity::Warning);
    QVERIFY(q(r.diags[0].message).contains("line 170"));
    QVERIFY(r.records[0].first("100")->subfield('a')->find('\n') != std::string::npos);
    QCOMPARE(r.records[0].first("001")->value(), std::string("5674874"));
  }

  void json_malformed() {
    for (ReadMode mode : {ReadMode::Strict, ReadMode::Permissive, ReadMode::Recover}) {
      const Read r = read_fixture("malformed/mrrc-e402_malformed_marcjson.json", Format::Json, mode);
      const Diagnostic* d = first_of(r.diags, Code::JsonSyntaxError);
      QVERIFY(d);
      QCOMPARE(d->severity, mode == ReadMode::Strict ? Severity::Fatal : Severity::Error);
      QVERIFY2(q(d->message).contains("line 1, column"), qPrintable(q(d->message)));
      QCOMPARE(r.records.size(), mode == ReadMode::Recover ? std::size_t(1) : std::size_t(0));
    }
    // NDJSON with a broken line: records before it come through; Permissive goes on at the next line.
    std::string nd;
    for (int i = 1; i <= 5; ++i) {
      if (i == 3) nd += "{\"leader\":\"00000nam a2200000   4500\",\"fields\":[{\"001\":\"3\"},]}\n";
      else nd += "{\"leader\":\"00000nam a2200000   4500\",\"fields\":[{\"001\":\"" + std::to_string(i) + "\"}]}\n";
    }
    const Read strict = read_bytes_as(Format::NdJson, nd, ReadMode::Strict);
    QCOMPARE(strict.records.size(), std::size_t(2));
    const Diagnostic* d = first_of(strict.diags, Code::JsonSyntaxError);
    QVERIFY(d);
    QVERIFY2(q(d->message).contains("line 3, column"), qPrintable(q(d->message)));
    QCOMPARE(d->record, std::uint64_t(3));
    const Read perm = read_bytes_as(Format::NdJson, nd, ReadMode::Permissive);
    QCOMPARE(perm.records.size(), std::size_t(4));
    QCOMPARE(perm.records[2].first("001")->value(), std::string("4"));
    QCOMPARE(perm.seen, std::uint64_t(5));
    // An unterminated string runs to the end of its line and beyond: the next line still starts a record.
    std::string nd2 = nd;
    nd2.replace(nd2.find("\"3\""), 3, "\"3");
    QCOMPARE(read_bytes_as(Format::NdJson, nd2, ReadMode::Permissive).records.size(), std::size_t(4));
    // In an array, reading goes on at the next {"leader" after the error.
    std::string arr = "[\n";
    for (int i = 1; i <= 4; ++i) {
      if (i > 1) arr += ",\n";
      arr += "{\"leader\": \"00000nam a2200000   4500\", \"fields\": [{\"001\": \"" + std::to_string(i) + "\"}" +
             (i == 2 ? ", {\"245\": {\"ind1\": 1 2}}" : "") + "]}";
    }
    arr += "\n]\n";
    const Read a = read_bytes_as(Format::Json, arr, ReadMode::Permissive);
    QCOMPARE(a.records.size(), std::size_t(3));
    QCOMPARE(a.records[1].first("001")->value(), std::string("3"));
    QVERIFY(q(first_of(a.diags, Code::JsonSyntaxError)->message).contains("line 3, column"));
    QCOMPARE(read_bytes_as(Format::Json, arr, ReadMode::Strict).records.size(), std::size_t(1));
    // Not JSON at all.
    const Read junk = read_bytes_as(Format::Json, "hello", ReadMode::Permissive);
    QCOMPARE(junk.records.size(), std::size_t(0));
    QVERIFY(has_code(junk.diags, Code::JsonSyntaxError));
  }

  void json_writer_shape() {
    Record r;
    r.set_leader("00000nam a2200000   4500");
    r.add_field(Field("001", "x\"1"));
    r.add_field(Field("245", '1', '0', {{'a', "T\\t\n\x01"}, {'c', "\xC3\xA9"}}));
    Diagnostics d;
    const std::string nd = write_all(Format::NdJson, {r}, d);
    QCOMPARE(q(nd), q("{\"leader\":\"00000nam a2200000   4500\",\"fields\":[{\"001\":\"x\\\"1\"},"
                      "{\"245\":{\"ind1\":\"1\",\"ind2\":\"0\",\"subfields\":[{\"a\":\"T\\\\t\\n\\u0001\"},{\"c\":\"\xC3\xA9\"}]}}]}\n"));
    QVERIFY(d.empty());
    const std::string arr = write_all(Format::Json, {r, r}, d);
    QVERIFY(arr.starts_with("[\n{\"leader\""));
    QVERIFY(arr.ends_with("}\n]\n"));
    QCOMPARE(read_bytes_as(Format::Json, arr, ReadMode::Strict).records.size(), std::size_t(2));
    QCOMPARE(q(write_all(Format::Json, {}, d)), QString("[\n]\n"));
    WriterOptions pretty;
    pretty.pretty = true;
    const std::string p = write_all(Format::Json, {r, r}, d, pretty);
    QVERIFY(p.find("\n    \"fields\": [\n      {\"001\": ") != std::string::npos);
    const Read back = read_bytes_as(Format::Json, p, ReadMode::Strict);
    QCOMPARE(back.records.size(), std::size_t(2));
    QVERIFY2(record_diff(back.records[0], r, true, false).isEmpty(), qPrintable(record_diff(back.records[0], r, true, false)));
    // Invalid UTF-8 never reaches the output.
    Record bad;
    bad.add_field(Field("500", ' ', ' ', {{'a', std::string("a\xFF" "b")}}));
    Diagnostics bd;
    const std::string b = write_all(Format::NdJson, {bad}, bd);
    QVERIFY(is_valid_utf8(b));
    QVERIFY(has_code(bd, Code::InvalidUtf8));
    // Leading data cannot be held: reported.
    Record lead;
    Field f("903", ' ', ' ', {});
    f.set_leading_data("002857678");
    lead.add_field(f);
    Diagnostics ld;
    write_all(Format::NdJson, {lead}, ld);
    QVERIFY(has_code(ld, Code::SubfieldDelimiterMissing));
  }

  // -------------------------------------------------------------------- MARCXML writer

  void xml_writer_shape() {
    Record r;
    r.set_leader("00000nam a2200000   4500");
    r.add_field(Field("001", "a&b"));
    r.add_field(Field("245", '1', ' ', {{'a', "<T> \"q\" 'x'\r\n\t"}, {'c', "\xC3\xA9"}}));
    Diagnostics d;
    const std::string x = write_all(Format::MarcXml, {r}, d);
    QCOMPARE(q(x), q("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<collection xmlns=\"http://www.loc.gov/MARC21/slim\">\n"
                     "<record><leader>00000nam a2200000   4500</leader><controlfield tag=\"001\">a&amp;b</controlfield>"
                     "<datafield tag=\"245\" ind1=\"1\" ind2=\" \"><subfield code=\"a\">&lt;T&gt; \"q\" 'x'&#13;\n\t</subfield>"
                     "<subfield code=\"c\">\xC3\xA9</subfield></datafield></record>\n</collection>\n"));
    QVERIFY(d.empty());
    const Read back = read_bytes_as(Format::MarcXml, x, ReadMode::Strict);
    QVERIFY2(record_diff(back.records[0], r, true, false).isEmpty(), qPrintable(record_diff(back.records[0], r, true, false)));
    WriterOptions pretty;
    pretty.pretty = true;
    const std::string p = write_all(Format::MarcXml, {r}, d, pretty);
    QVERIFY(p.find("\n  <record>\n    <leader>") != std::string::npos);
    QVERIFY(p.find("\n      <subfield code=\"c\">") != std::string::npos);
    QVERIFY2(record_diff(read_bytes_as(Format::MarcXml, p, ReadMode::Strict).records[0], r, true, false).isEmpty(), "pretty");
    // Characters XML 1.0 cannot hold, invalid UTF-8, odd attributes: never ill-formed output.
    Record bad;
    bad.set_leader(std::string("00000nam a2200000 \x02 4500"));
    bad.add_field(Field("008", std::string("abc\x01\x01" "def")));
    bad.add_field(Field("5\"0", '<', '&', {{'\x1F', "x"}, {'a', std::string("bad \xC3 utf8 \xEF\xBF\xBF")}}));
    Diagnostics bd;
    const std::string bx = write_all(Format::MarcXml, {bad}, bd);
    const Read br = read_bytes_as(Format::MarcXml, bx, ReadMode::Strict);
    QVERIFY2(count_at_least(br.diags, Severity::Error) == 0, qPrintable(describe(br.diags)));
    QCOMPARE(br.records.size(), std::size_t(1));
    QCOMPARE(br.records[0].first("008")->value(), std::string("abc\xEF\xBF\xBD\xEF\xBF\xBD" "def"));
    QCOMPARE(br.records[0].fields()[1].tag(), std::string("5\"0"));
    QCOMPARE(br.records[0].fields()[1].indicator1(), '<');
    QVERIFY(has_code(bd, Code::ControlCharacter));
    QVERIFY(has_code(bd, Code::InvalidUtf8));
    QVERIFY(is_valid_utf8(bx));
  }

  // -------------------------------------------------------------------- MARCMaker text

  void mrk_reader_details() {
    const std::string text =
        "=LDR  00000nam\\\\2200000\\a\\4500\r\n"
        "=001  a\\b{bsol}c{dollar}\r\n"
        "=245  1\\$aUS{dollar}5 {lcub}x{rcub} {wn} a\\b$b{dollar}$c{acute}ecole {Lstrok}{acute}od{acute}z {eacute}t{eacute}\r\n"
        "=500  \\\\$aA long note that MARC.pm wrapped\r\n"
        " over two lines.\r\n"
        "=520  \\\\$aCtl{1B}x{1f}y {AElig} {pound}5 {copy} {unknown} {1}\r\n"
        "=2 4  \\10$aStray byte after the indicators\r\n"
        "=650  \\0${dollar}odd code\r\n"
        "\r\n"
        "=LDR  00000cam  2200000 a 4500\n"
        "=001  second\n"
        "=LDR  00000cam  2200000 a 4500\n"
        "=001  third, no blank line before, none at the end";
    const Read r = read_bytes_as(Format::Mrk, text, ReadMode::Strict);
    // Names in braces that are no mnemonic are kept, with a warning; a subfield delimiter inside a
    // value is not (U+FFFD, with a warning).
    QCOMPARE(r.diags.size(), std::size_t(3));
    QCOMPARE(r.diags[0].code, Code::MrkSyntaxError);
    QCOMPARE(r.diags[0].severity, Severity::Warning);
    QCOMPARE(r.diags[0].message, std::string("line 3: unknown mnemonic {wn}; kept as written"));
    QCOMPARE(r.diags[0].tag, std::string("245"));
    QCOMPARE(r.diags[1].code, Code::StructureByteInData);
    QCOMPARE(r.diags[1].tag, std::string("520"));
    QCOMPARE(r.diags[1].subfield, 'a');
    QVERIFY(r.diags[1].message.starts_with("line 6: 0x1F (subfield delimiter) in field 520 $a"));
    QCOMPARE(r.diags[2].message, std::string("line 6: unknown mnemonic {unknown}; kept as written"));
    QCOMPARE(r.records.size(), std::size_t(3));
    const Record& a = r.records[0];
    QCOMPARE(a.leader(), std::string("00000nam a2200000 a 4500"));  // backslash = blank; leader/09 = a
    QCOMPARE(a.first("001")->value(), std::string("a b\\c$"));
    const Field* t = a.first("245");
    QCOMPARE(t->indicator2(), ' ');
    QCOMPARE(*t->subfield('a'), std::string("US$5 {x} {wn} a\\b"));
    QCOMPARE(*t->subfield('b'), std::string("$"));
    QCOMPARE(*t->subfield('c'), std::string("\xC3\xA9" "cole \xC5\x81\xC3\xB3" "d\xC5\xBA \xC3\xA9t\xC3\xA9"));
    QCOMPARE(*a.first("500")->subfield('a'), std::string("A long note that MARC.pm wrapped over two lines."));
    QCOMPARE(*a.first("520")->subfield('a'), std::string("Ctl\x1Bx\xEF\xBF\xBDy \xC3\x86 \xC2\xA3" "5 \xC2\xA9 {unknown} 1"));
    const Field* stray = a.first("2 4");
    QVERIFY(stray);
    QCOMPARE(stray->indicator1(), ' ');
    QCOMPARE(stray->indicator2(), '1');
    QCOMPARE(stray->leading_data(), std::string("0"));
    QCOMPARE(a.first("650")->subfields()[0].code, '$');
    QCOMPARE(r.records[2].first("001")->value(), std::string("third, no blank line before, none at the end"));
    // A line that is not MARCMaker: the record is skipped (Permissive), or reading stops (Strict).
    const std::string broken = "=LDR  00000nam  2200000 a 4500\nnot a field\n=001  x\n\n=LDR  00000nam  2200000 a 4500\n=001  y\n";
    const Read p = read_bytes_as(Format::Mrk, broken, ReadMode::Permissive);
    QCOMPARE(p.records.size(), std::size_t(1));
    QCOMPARE(p.records[0].first("001")->value(), std::string("y"));
    QVERIFY(q(first_of(p.diags, Code::MrkSyntaxError)->message).contains("line 2"));
    QCOMPARE(read_bytes_as(Format::Mrk, broken, ReadMode::Strict).records.size(), std::size_t(0));
    QCOMPARE(read_bytes_as(Format::Mrk, broken, ReadMode::Recover).records.size(), std::size_t(2));
    // No =LDR line: a warning and a blank leader.
    const Read noldr = read_bytes_as(Format::Mrk, "=001  x\n=245  00$aT\n", ReadMode::Strict);
    QCOMPARE(noldr.records.size(), std::size_t(1));
    QVERIFY(has_code(noldr.diags, Code::RecordStructureInvalid));
    // An indicator that is not ASCII is one whole character, read as '?': the rest of the field
    // stays UTF-8 (found by fuzz_mrk: a cut character was left in the field's leading data).
    const Read wide = read_bytes_as(Format::Mrk,
                                    "=LDR  00000nam  2200000 a 4500\n=100  \xC3\xA9" "1$aName\n=245  \xE2\x82\xAC$aTitle\n",
                                    ReadMode::Permissive);
    QCOMPARE(wide.records.size(), std::size_t(1));
    const Field* wide100 = wide.records[0].first("100");
    QCOMPARE(wide100->indicator1(), '?');
    QCOMPARE(wide100->indicator2(), '1');
    QCOMPARE(wide100->leading_data(), std::string());
    QCOMPARE(*wide100->subfield('a'), std::string("Name"));
    const Field* wide245 = wide.records[0].first("245");
    QCOMPARE(wide245->indicator1(), '?');
    QCOMPARE(wide245->indicator2(), ' ');
    QCOMPARE(wide245->leading_data(), std::string());
    QCOMPARE(*wide245->subfield('a'), std::string("Title"));
  }

  /// Every name of the Library of Congress MARCMaker table (text-to-MARC 21 conversion table of
  /// MARCMaker 2.5, the names listed here from it) is a mnemonic; anything else shaped like a name
  /// is kept as written with a warning.
  void mrk_mnemonics_loc_table() {
    static const char* const kLocNames[] = {
    "Aacute", "aacute", "Abreve", "abreve", "Acirc", "acirc", "acute", "Acy", "acy", "AElig", "aelig", "agr",
    "Agrave", "agrave", "alif", "amp", "Aogon", "aogon", "apos", "arab", "Aring", "aring", "ast", "asuper",
    "Atilde", "atilde", "Auml", "auml", "ayn", "bcy", "Bcy", "bgr", "breve", "breveb", "brvbar", "bsol",
    "bull", "Cacute", "cacute", "candra", "caron", "Ccaron", "ccaron", "Ccedil", "ccedil", "cedil", "cent",
    "CHcy", "chcy", "circ", "circb", "cjk", "colon", "comma", "commaa", "commab", "commat", "copy", "curren",
    "cyril", "Dagger", "dagger", "dblac", "dbldotb", "dblunder", "Dcaron", "dcaron", "Dcy", "dcy", "deg",
    "diaer", "divide", "djecy", "DJEcy", "dollar", "dot", "dotb", "Dstrok", "dstrok", "DZEcy", "dzecy",
    "DZHEcy", "dzhecy", "Eacute", "eacute", "Ecaron", "ecaron", "Ecirc", "ecirc", "Ecy", "ecy", "Egrave",
    "egrave", "Ehookr", "ehookr", "Eogon", "eogon", "equals", "esc", "eth", "ETH", "Euml", "euml", "excl",
    "Fcy", "fcy", "flat", "fnof", "frac12", "frac14", "frac34", "Gcy", "gcy", "GEcy", "gecy", "ggr", "GHcy",
    "ghcy", "GJEcy", "gjecy", "grave", "greek", "gs", "gt", "HARDcy", "hardcy", "hardsign", "Hcy", "hcy",
    "hebrew", "hellip", "hooka", "hookl", "hookr", "hyphen", "Iacute", "iacute", "Icaron", "icaron", "Icirc",
    "icirc", "Icy", "icy", "Idot", "IEcy", "iecy", "iexcl", "Igrave", "igrave", "IJlig", "ijlig", "inodot",
    "IOcy", "iocy", "iquest", "Iuml", "iuml", "Iumlcy", "iumlcy", "IYcy", "iycy", "Jcy", "jcy", "JEcy", "jecy",
    "JIcy", "jicy", "joiner", "Kcy", "kcy", "KHcy", "khcy", "KJEcy", "kjecy", "Lacute", "lacute", "laquo",
    "latin", "lcub", "Lcy", "lcy", "ldbltil", "ldquo", "LJEcy", "ljecy", "llig", "lpar", "lsqb", "lsquo",
    "lsquor", "Lstrok", "lstrok", "lt", "macr", "Mcy", "mcy", "mdash", "middot", "mllhring", "mlprime",
    "mlPrime", "mlrhring", "Nacute", "nacute", "Ncaron", "ncaron", "Ncy", "ncy", "ndash", "NJEcy", "njecy",
    "No", "nonjoin", "Ntilde", "ntilde", "num", "Oacute", "oacute", "Ocirc", "ocirc", "Ocy", "ocy", "Odblac",
    "odblac", "OElig", "oelig", "ogon", "Ograve", "ograve", "Ohorn", "ohorn", "ordf", "ordm", "Ostrok",
    "ostrok", "osuper", "Otilde", "otilde", "Ouml", "ouml", "para", "Pcy", "pcy", "percnt", "period", "phono",
    "pipe", "plus", "plusmn", "pound", "quest", "quot", "Racute", "racute", "raquo", "Rcaron", "rcaron",
    "rcedil", "rcommaa", "rcub", "Rcy", "rcy", "rdbltil", "rdquofh", "rdquor", "reg", "ring", "ringb", "rlig",
    "rpar", "rs", "rsqb", "rsquo", "rsquor", "Sacute", "sacute", "Scommab", "scommab", "scriptl", "Scy", "scy",
    "sect", "semi", "sharp", "SHCHcy", "shchcy", "SHcy", "shcy", "shy", "SOFTcy", "softcy", "softsign", "sol",
    "space", "spcirc", "spgrave", "sptilde", "spundscr", "squf", "sub", "sup1", "sup2", "sup3", "super",
    "szlig", "Tcaron", "tcaron", "Tcommab", "tcommab", "Tcy", "tcy", "THORN", "thorn", "tilde", "times",
    "trade", "TScy", "tscy", "TSHEcy", "tshecy", "Uacute", "uacute", "Ubrevecy", "ubrevecy", "Ucirc", "ucirc",
    "Ucy", "ucy", "Udblac", "udblac", "Ugrave", "ugrave", "Uhorn", "uhorn", "uml", "under", "Uring", "uring",
    "us", "Uuml", "uuml", "Vcy", "vcy", "verbar", "vlineb", "Yacute", "yacute", "YAcy", "yacy", "Ycy", "ycy",
    "YEcy", "yecy", "yen", "YIcy", "yicy", "YUcy", "yucy", "Zacute", "zacute", "Zcy", "zcy", "Zdot", "zdot",
    "ZHcy", "zhcy", "ZHuacy", "zhuacy",
    };
    std::string text = "=LDR  00000nam a2200000 a 4500\n";
    int n = 0;
    for (const char* name : kLocNames) {
      // One field per name, after a letter (a diacritic alone attaches to the letter after it).
      text += "=500  \\\\$ax{" + std::string(name) + "}y\n";
      ++n;
    }
    const Read r = read_bytes_as(Format::Mrk, text);
    QCOMPARE(r.records.size(), std::size_t(1));
    QCOMPARE(int(r.records[0].fields().size()), n);
    QCOMPARE(count_code(r.diags, Code::MrkSyntaxError), 0);
    for (int i = 0; i < n; ++i) {
      const std::string& v = r.records[0].fields()[std::size_t(i)].subfields()[0].value;
      QVERIFY2(v != "x{" + std::string(kLocNames[i]) + "}y" && v.size() > 2 && v.starts_with("x") && is_valid_utf8(v), kLocNames[i]);
    }
    auto one = [](const std::string& value) {
      const Read x = read_bytes_as(Format::Mrk, "=LDR  00000nam a2200000 a 4500\n=245  10$a" + value + "\n");
      return std::make_pair(*x.records.at(0).first("245")->subfield('a'), x.diags);
    };
    const std::pair<const char*, const char*> cases[] = {
        {"{oelig}uvre", "\xC5\x93uvre"},  {"{OElig}", "\xC5\x92"},          {"{eacute}t{eacute}", "\xC3\xA9t\xC3\xA9"},
        {"{acute}e", "\xC3\xA9"},          {"{E2}e", "\xC3\xA9"},              {"{A1}", "\xC5\x81"},
        {"{A}{1}", "A1"},                  {"{SHCHcy}i", "Shchi"},             {"{ldquo}x{rdquor}", "\xE2\x80\x9Cx\xE2\x80\x9D"},
        {"{agr}", "\xCE\xB1"},             {"{sup1}", "\xC2\xB9"},             {"{frac12}", "\xC2\xBD"},
        {"{Ecy}", "\xC4\x96"},             {"{mdash}", "\xE2\x80\x94"},       {"{Ycirc}", "\xC5\xB6"},
        {"{curren}", "\xC2\xA4"},          {"{szlig}", "\xC3\x9F"},            {"{euro}", "\xE2\x82\xAC"},
        // Escape sequences written with {esc} read as the MARC-8 they spell.
        {"H{esc}b2{esc}sO", "H\xE2\x82\x82O"},
        {"{esc}{cyril}mOSKWA{esc}{latin}", "\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0"},
        {"{esc}{greek}{agr}{esc}s", "\xCE\xB1"},
        // ... unless they spell nothing: the ESC is kept as a control character.
        {"a{esc}zb", "a\x1B" "zb"},
    };
    for (const auto& [in, want] : cases) {
      const auto [got, diags] = one(in);
      QVERIFY2(got == want, in);
      QVERIFY2(diags.empty(), qPrintable(QString(in) + ": " + describe(diags)));
    }
    // Unknown names: kept, one warning per line naming the first.
    const auto [kept, diags] = one("{zilch} and {wn}");
    QCOMPARE(kept, std::string("{zilch} and {wn}"));
    QCOMPARE(diags.size(), std::size_t(1));
    QCOMPARE(diags[0].message, std::string("line 2: unknown mnemonic {zilch} (and 1 more); kept as written"));
    // Braces around what is no name stay text, silently.
    QVERIFY(one("{a b} {} {{x}}").second.empty());
  }

  /// Everything the .mrk writer can write reads back the same, braces, dollars, backslashes,
  /// control characters and text before the first subfield included.
  void mrk_write_read() {
    Record r;
    r.set_leader("00000cam a2200000 a 4500");
    r.add_field(Field("001", "a b\\c{d}$e\x1B" "f\x01"));
    Field f("245", ' ', '4', {{'a', "{wn} $5 \\x\x1E"}, {'$', "dollar code"}, {'{', "brace code"}, {'\\', "bs"}, {' ', "blank"}});
    f.set_leading_data(" 0\\");
    r.add_field(f);
    r.add_field(Field("500", '\\', ' ', {{'a', ""}}));
    for (bool crlf : {false, true}) {
      WriterOptions o;
      o.crlf = crlf;
      Diagnostics d;
      const std::string text = write_all(Format::Mrk, {r, r}, d, o);
      // The field terminator inside 245 $a is written as U+FFFD, once per record, with its number
      // and offset.
      QCOMPARE(d.size(), std::size_t(2));
      for (std::size_t k = 0; k < 2; ++k) {
        QCOMPARE(d[k].code, Code::StructureByteInData);
        QCOMPARE(d[k].record, std::uint64_t(k + 1));
        QCOMPARE(d[k].offset, std::uint64_t(1000 * (k + 1)));
      }
      const Read back = read_bytes_as(Format::Mrk, text, ReadMode::Strict);
      // Braces in the data ("{wn}") are written as {lcub} and {rcub}: no unknown mnemonic.
      QVERIFY2(back.diags.empty(), qPrintable(describe(back.diags)));
      QCOMPARE(back.records.size(), std::size_t(2));
      // A backslash indicator is written as '\', which reads as a blank: the one thing not kept
      // besides the field terminator.
      Record expected = r;
      expected.fields()[2].set_indicators(' ', ' ');
      expected.fields()[1].subfields()[0].value = "{wn} $5 \\x\xEF\xBF\xBD";
      QVERIFY2(record_diff(back.records[1], expected, true, false).isEmpty(), qPrintable(record_diff(back.records[1], expected, true, false)));
    }
  }

  // -------------------------------------------------------------------- pair sets

  /// SOURCES.md "Pair sets": the twins read through our readers hold the same records, field for
  /// field (leaders without 00-04, 09, 12-16), with exactly the documented exceptions.
  void pairs_identical_data() {
    QTest::addColumn<QString>("a");
    QTest::addColumn<QString>("b");
    QTest::addColumn<int>("records");
    QTest::addColumn<bool>("lead");
    QTest::newRow("camel usmarc-mrk") << "pairs/marcperl-camel.usmarc" << "mrk/marcperl-camel.mrk" << 10 << true;
    QTest::newRow("camel usmarc-xml") << "pairs/marcperl-camel.usmarc" << "pairs/marcperl-camel-batch.xml" << 10 << false;
    QTest::newRow("camel usmarc-xml-ns") << "pairs/marcperl-camel.usmarc" << "pairs/marcperl-camel-batch-ns.xml" << 10 << false;
    QTest::newRow("camel mrk-xml") << "mrk/marcperl-camel.mrk" << "pairs/marcperl-camel-batch.xml" << 10 << false;
    QTest::newRow("traject mrc-xml") << "pairs/traject-test_data.utf8.mrc" << "pairs/traject-test_data.utf8.marc.xml" << 30 << false;
    QTest::newRow("traject mrc-ndjson") << "pairs/traject-test_data.utf8.mrc" << "pairs/traject-test_data.utf8.json" << 30 << false;
    QTest::newRow("traject xml-ndjson") << "pairs/traject-test_data.utf8.marc.xml" << "pairs/traject-test_data.utf8.json" << 30 << false;
    QTest::newRow("marcmij mrc-ndj") << "pairs/marcmij-test.mrc" << "pairs/marcmij-test.ndj" << 9 << false;
    QTest::newRow("pymarc one dat-json") << "pairs/pymarc-one.dat" << "pairs/pymarc-one.json" << 1 << false;
    QTest::newRow("pymarc batch xml-json") << "pairs/pymarc-batch.xml" << "pairs/pymarc-batch.json" << 2 << false;
    QTest::newRow("sandburg mrc-xml") << "pairs/filemarc-sandburg.mrc" << "pairs/filemarc-sandburg.xml" << 1 << false;
    QTest::newRow("lcmarcedit mrc-mrk") << "pairs/lcmarcedit-marc_sample_data.mrc" << "mrk/lcmarcedit-marc_sample_data.mrk" << 536 << true;
    QTest::newRow("specTestRecs xml-bom") << "pairs/solrmarc-specTestRecs.xml" << "xml/solrmarc-specTestRecs_withBOM.xml" << 76 << false;
  }
  void pairs_identical() {
    QFETCH(QString, a);
    QFETCH(QString, b);
    QFETCH(int, records);
    QFETCH(bool, lead);
    const Read ra = read_fixture(a);
    const Read rb = read_fixture(b);
    QCOMPARE(int(ra.records.size()), records);
    QCOMPARE(int(rb.records.size()), records);
    QVERIFY2(records_diff(ra.records, rb.records, lead).isEmpty(), qPrintable(records_diff(ra.records, rb.records, lead)));
    QVERIFY2(count_at_least(rb.diags, Severity::Error) == 0, qPrintable(describe(rb.diags)));
    if (b.contains("lcmarcedit")) {
      // Record 19's directory tag "2 4" with a stray byte after the indicators: kept in both.
      const Field* f = rb.records[18].first("2 4");
      QVERIFY(f);
      QCOMPARE(f->leading_data(), std::string("0"));
    }
  }

  /// marcjs bib.mrc holds UTF-8 under a blank leader/09; read as UTF-8 it equals its MARCXML twin.
  void pairs_marcjs() {
    DecodeOptions auto_enc;
    auto_enc.encoding = EncodingChoice::Auto;
    const auto bin = read_iso_with("pairs/marcjs-bib.mrc", auto_enc);
    const Read xml = read_fixture("pairs/marcjs-bib.xml");
    QCOMPARE(bin.size(), std::size_t(6));
    QVERIFY2(records_diff(bin, xml.records).isEmpty(), qPrintable(records_diff(bin, xml.records)));
  }

  /// specTestRecs: MARC-8 binary against UTF-8 MARCXML, compared in NFC. With the LoC ligature
  /// mapping all 76 agree; with the default (pymarc's U+FE20/U+FE21 halves) records 64 and 73 differ.
  void pairs_spec_test_recs() {
    const Read xml = read_fixture("pairs/solrmarc-specTestRecs.xml");
    const auto xml_nfc = nfc_all(xml.records);
    DecodeOptions loc;
    loc.marc8.ligature_halves_fe2x = false;
    const auto bin_loc = nfc_all(read_iso_with("pairs/solrmarc-specTestRecs.mrc", loc));
    QVERIFY2(records_diff(bin_loc, xml_nfc).isEmpty(), qPrintable(records_diff(bin_loc, xml_nfc)));
    const auto bin = nfc_all(read_fixture("pairs/solrmarc-specTestRecs.mrc").records);
    QCOMPARE(bin.size(), std::size_t(76));
    std::set<std::size_t> differing;
    for (std::size_t i = 0; i < bin.size(); ++i)
      if (!record_diff(bin[i], xml_nfc[i]).isEmpty()) differing.insert(i + 1);
    QCOMPARE(differing, (std::set<std::size_t>{64, 73}));
  }

  /// File_MARC music: records 2-3 identical; record 1 differs in its 505 only (SOURCES.md: the
  /// XML keeps MARC-8 order there).
  void pairs_music() {
    const auto bin = read_fixture("pairs/filemarc-music.mrc").records;
    const auto xml = read_fixture("pairs/filemarc-music.xml").records;
    QCOMPARE(bin.size(), std::size_t(3));
    QCOMPARE(xml.size(), std::size_t(3));
    for (std::size_t i : {1, 2}) QVERIFY2(record_diff(bin[i], xml[i]).isEmpty(), qPrintable(record_diff(bin[i], xml[i])));
    QCOMPARE(bin[0].fields().size(), xml[0].fields().size());
    for (std::size_t i = 0; i < bin[0].fields().size(); ++i)
      if (bin[0].fields()[i].tag() != "505") QVERIFY(bin[0].fields()[i] == xml[0].fields()[i]);
  }

  /// Open Library: 15 binary/MARCXML pairs, 13 identical; cu31924091184469 differs in 700$a,
  /// mytwocountries1954asto in 008 (control bytes the XML dropped) and 903 (no subfield delimiter
  /// in the binary).
  void pairs_openlibrary() {
    const QDir dir(data_dir() + "/pairs");
    const QStringList bins = dir.entryList({"openlibrary-*_meta.mrc"}, QDir::Files, QDir::Name);
    QCOMPARE(bins.size(), 15);
    int identical = 0;
    for (const QString& name : bins) {
      const QString item = name.mid(12, name.size() - 12 - 9);
      const auto bin = read_fixture("pairs/" + name).records;
      const auto xml = read_fixture("pairs/openlibrary-" + item + "_marc.xml").records;
      QCOMPARE(bin.size(), std::size_t(1));
      QCOMPARE(xml.size(), std::size_t(1));
      if (item == "engineercorpsofh00sher") {
        // The binary's leader/22 is the byte 0x02: the ISO 2709 reader writes it as '0' (with a
        // warning), which is what the MARCXML has.
        QVERIFY(record_diff(bin[0], xml[0]).isEmpty());
        QCOMPARE(bin[0].leader().substr(20), std::string("4500"));
        QVERIFY(has_code(read_fixture("pairs/" + name).diags, Code::LeaderUnusualValue));
      }
      std::vector<std::string> differ;
      for (std::size_t i = 0; i < std::min(bin[0].fields().size(), xml[0].fields().size()); ++i)
        if (!(bin[0].fields()[i] == xml[0].fields()[i])) differ.push_back(bin[0].fields()[i].tag());
      QCOMPARE(bin[0].fields().size(), xml[0].fields().size());
      QCOMPARE(leader_key(bin[0].leader()), leader_key(xml[0].leader()));
      if (item == "cu31924091184469") QCOMPARE(differ, std::vector<std::string>{"700"});
      else if (item == "mytwocountries1954asto") QCOMPARE(differ, (std::vector<std::string>{"008", "903"}));
      else if (differ.empty()) ++identical;
      else QFAIL(qPrintable(item + " differs in " + q(differ[0])));
    }
    QCOMPARE(identical, 13);
  }

  // -------------------------------------------------------------------- round trips

  /// read X -> write Y -> read Y gives the same records, for X and Y among ISO 2709, MARCXML,
  /// JSON, NDJSON and .mrk, less what Y cannot hold (XML: C0 controls; XML and JSON: text before
  /// the first subfield), which the writer reports.
  void round_trips_data() {
    QTest::addColumn<QString>("file");
    for (const char* f : {"pairs/marcperl-camel.usmarc", "pairs/traject-test_data.utf8.mrc", "pairs/lcmarcedit-marc_sample_data.mrc",
                          "pairs/solrmarc-specTestRecs.xml", "pairs/openlibrary-mytwocountries1954asto_meta.mrc",
                          "valid/evergreen-auth-subset100.mrc", "xml/pymarc-bad_tag.xml", "malformed/catmandu-broken.xml",
                          "pairs/marcmij-test.ndj", "mrk/marcperl-camel.mrk", "valid/catmandu-dollar_subfields.mrc"})
      QTest::newRow(f) << QString(f);
  }
  void round_trips() {
    QFETCH(QString, file);
    const std::vector<Record> source = read_fixture(file).records;
    QVERIFY(!source.empty());
    for (Format x : kRoundTripFormats) {
      Diagnostics dx;
      const std::string bx = write_all(x, source, dx);
      const Read rx = read_bytes_as(x, bx, ReadMode::Strict);
      QVERIFY2(count_at_least(rx.diags, Severity::Error) == 0, qPrintable(describe(rx.diags)));
      const auto expected_x = as_format_holds(source, x);
      QVERIFY2(records_diff(expected_x, rx.records, true).isEmpty(),
               qPrintable(q(std::string(format_name(x))) + ": " + records_diff(expected_x, rx.records, true)));
      for (Format y : kRoundTripFormats) {
        Diagnostics dy;
        const std::string by = write_all(y, rx.records, dy);
        const Read ry = read_bytes_as(y, by, ReadMode::Strict);
        const auto expected = as_format_holds(rx.records, y);
        const QString diff = records_diff(expected, ry.records, true);
        QVERIFY2(diff.isEmpty(), qPrintable(q(std::string(format_name(x)) + " -> " + std::string(format_name(y))) + ": " + diff));
        QCOMPARE(ry.seen, std::uint64_t(source.size()));
      }
    }
    // What a format cannot hold is reported by its writer.
    bool has_lead = false, has_ctl = false;
    for (const auto& r : source)
      for (const auto& f : r.fields()) {
        has_lead |= !f.leading_data().empty();
        for (char c : f.is_control() ? f.value() : std::string())
          has_ctl |= static_cast<unsigned char>(c) < 0x20;
      }
    Diagnostics d;
    write_all(Format::MarcXml, source, d);
    QCOMPARE(has_code(d, Code::SubfieldDelimiterMissing), has_lead);
    if (has_ctl) QVERIFY(has_code(d, Code::ControlCharacter));
  }

  /// ISO 2709 in MARC-8: leader/09 blank, and reading it back (as MARC-8) gives the same text.
  void round_trip_marc8() {
    for (const QString file : {"pairs/solrmarc-specTestRecs.mrc", "pairs/marcperl-camel.usmarc", "pairs/traject-test_data.utf8.mrc",
                               "pairs/lcmarcedit-marc_sample_data.mrc"}) {
      const auto source = read_fixture(file).records;
      Diagnostics d;
      const std::string m8 = write_all(Format::Iso2709Marc8, source, d);
      QCOMPARE(m8[9], ' ');
      Read back = read_bytes_as(Format::Iso2709, m8, ReadMode::Strict);
      QVERIFY2(count_at_least(back.diags, Severity::Error) == 0, qPrintable(describe(back.diags)));
      // The writer records the character sets its escape sequences use in 066 $c (LoC's rule);
      // compare without 066, and check it where escapes were needed.
      auto without_066 = [](std::vector<Record> records) {
        for (auto& r : records) r.remove_fields("066");
        return records;
      };
      bool any_escape = m8.find('\x1B') != std::string::npos;
      bool any_066 = false;
      for (const auto& r : back.records) any_066 |= r.first("066") != nullptr;
      QCOMPARE(any_066, any_escape);
      QVERIFY2(records_diff(nfc_all(without_066(source)), nfc_all(without_066(back.records)), true).isEmpty(),
               qPrintable(file + ": " + records_diff(nfc_all(without_066(source)), nfc_all(without_066(back.records)), true)));
      if (file.contains("camel") || file.contains("specTest")) QVERIFY2(d.empty(), qPrintable(describe(d)));
      // Reading with format iso2709-marc8 forces MARC-8 whatever leader/09 says.
      QCOMPARE(read_bytes_as(Format::Iso2709Marc8, m8).records.size(), source.size());
    }
    // A character with no MARC-8 form becomes a numeric character reference and is reported.
    Record r;
    r.add_field(Field("500", ' ', ' ', {{'a', "snow \xE2\x98\x83 man"}}));
    Diagnostics d;
    const std::string m8 = write_all(Format::Iso2709Marc8, {r}, d);
    QVERIFY(m8.find("&#x2603;") != std::string::npos);
    QVERIFY(has_code(d, Code::NoMarc8Equivalent));
    QCOMPARE(*read_bytes_as(Format::Iso2709, m8).records[0].first("500")->subfield('a'), std::string("snow \xE2\x98\x83 man"));
  }

  /// Records ISO 2709 cannot hold are reported and not written.
  void iso2709_writer_limits() {
    Record big;
    big.add_field(Field("500", ' ', ' ', {{'a', std::string(10000, 'x')}}));
    Record ok = sample_record(1);
    Diagnostics d;
    const std::string out = write_all(Format::Iso2709, {big, ok}, d);
    QCOMPARE(count_code(d, Code::RecordStructureInvalid), 1);
    QCOMPARE(d[0].record, std::uint64_t(1));
    QCOMPARE(read_bytes_as(Format::Iso2709, out, ReadMode::Strict).records.size(), std::size_t(1));
  }

  // -------------------------------------------------------------------- CSV

  void csv_output() {
    const auto camel = read_fixture("pairs/marcperl-camel.usmarc").records;
    WriterOptions o;
    o.columns = {"001", "245$a", "650$a", "630$a", "245", "LDR/06", "LDR/06-07", "008/07-10", "100$ad", "999$a"};
    Diagnostics d;
    const std::string csv = write_all(Format::Csv, {camel[0], camel[1]}, d, o);
    const QStringList lines = q(csv).split('\n');
    QCOMPARE(lines.size(), 4);  // header, 2 rows, empty after the last LF
    QCOMPARE(lines[0], QString("id,001,245$a,650$a,630$a,245,LDR/06,LDR/06-07,008/07-10,100$ad,999$a"));
    QCOMPARE(lines[1], QString("fol05731351 ,fol05731351 ,ActivePerl with ASP and ADO /,Perl (Computer program language),"
                               "Active server pages.|ActiveX.,ActivePerl with ASP and ADO / Tobias Martinsson.,a,am,2000,"
                               "\"Martinsson, Tobias, 1976-\","));
    QVERIFY(d.empty());
    // Quoting (RFC 4180), TSV, the record number when there is no 001, CRLF.
    Record r;
    r.add_field(Field("245", '0', '0', {{'a', "Say \"hi\", then\nleave"}}));
    r.add_field(Field("650", ' ', '0', {{'a', "tab\there"}}));
    WriterOptions t;
    t.columns = {"245$a", "650$a"};
    t.csv_separator = '\t';
    t.crlf = true;
    const std::string tsv = write_all(Format::Csv, {r}, d, t);
    QCOMPARE(q(tsv), QString("id\t245$a\t650$a\r\n1\t\"Say \"\"hi\"\", then\nleave\"\t\"tab\there\"\r\n"));
    // Default columns.
    const std::string def = write_all(Format::Csv, {camel[0]}, d);
    QVERIFY(def.starts_with("id,LDR/06-07,245$a\n"));
    // Bad column specifications are refused.
    for (const char* bad : {"24", "245$", "LDR$a", "008/x", "008/09-07", "245#a"}) {
      WriterOptions b;
      b.columns = {bad};
      QVERIFY_THROWS_EXCEPTION(std::invalid_argument, make_writer(Format::Csv, b));
    }
  }

  // -------------------------------------------------------------------- streaming

  /// 20,000 records as a JSON array, NDJSON, MARCXML, .mrk and ISO 2709 built in memory and read
  /// through a callback source: records come out long before the input is exhausted, and the
  /// reader never runs more than a bounded distance ahead of the record it hands out.
  void streaming_bounded_data() {
    QTest::addColumn<Format>("format");
    QTest::addColumn<bool>("pretty");
    QTest::newRow("json array") << Format::Json << false;
    QTest::newRow("json array pretty") << Format::Json << true;
    QTest::newRow("ndjson") << Format::NdJson << false;
    QTest::newRow("marcxml") << Format::MarcXml << false;
    QTest::newRow("marcxml pretty") << Format::MarcXml << true;
    QTest::newRow("mrk") << Format::Mrk << false;
    QTest::newRow("iso2709") << Format::Iso2709 << false;
  }
  void streaming_bounded() {
    QFETCH(Format, format);
    QFETCH(bool, pretty);
    constexpr int kRecords = 20000;
    WriterOptions o;
    o.pretty = pretty;
    auto writer = make_writer(format, o);
    auto bytes = std::make_shared<std::string>();
    Diagnostics wd;
    writer->begin(*bytes);
    for (int i = 1; i <= kRecords; ++i) writer->write(sample_record(i), std::uint64_t(i), 0, *bytes, wd);
    writer->end(*bytes);
    QVERIFY(wd.empty());
    QVERIFY(bytes->size() > 5'000'000);
    CountingSource cs{bytes};
    auto stream = open_record_stream(format, cs.make(), read_options(ReadMode::Strict));
    Record rec;
    Diagnostics d;
    int n = 0;
    std::size_t max_ahead = 0;
    while (stream->next(rec, d)) {
      ++n;
      if (n == 1) QVERIFY2(*cs.consumed < 2'000'000, qPrintable(QString::number(*cs.consumed)));
      max_ahead = std::max<std::size_t>(max_ahead, *cs.consumed - stream->last_offset());
      char id[16];
      std::snprintf(id, sizeof id, "rec%06d", n);
      if (rec.first("001")->value() != id) QFAIL(qPrintable(QString("record %1 out of order").arg(n)));
    }
    QVERIFY2(d.empty(), qPrintable(describe(d)));
    QCOMPARE(n, kRecords);
    QCOMPARE(stream->records_seen(), std::uint64_t(kRecords));
    QCOMPARE(*cs.consumed, bytes->size());
    // Read-ahead is a few chunks, not the input.
    QVERIFY2(max_ahead < 2'500'000, qPrintable(QString::number(max_ahead)));
    QCOMPARE(rec.first("001")->value(), std::string("rec020000"));
  }

  /// ISO 2709 through open_record_stream, contiguous and streamed, gives what the serial Reader gives.
  void iso2709_stream_matches_reader() {
    for (const QString file : {"valid/evergreen-jazz_1k.mrc", "malformed/catmandu-bu_bibs.mrc", "malformed/marcperl-badldr.usmarc",
                               "malformed/pymarc-bad_records.mrc", "pairs/filemarc-music.mrc"}) {
      for (ReadMode mode : {ReadMode::Strict, ReadMode::Permissive, ReadMode::Recover}) {
        Iso2709Reader reader(InputBuffer::from_bytes(read_bytes(file)), read_options(mode));
        ReadItem item;
        std::vector<Record> expected;
        Diagnostics expected_diags;
        while (reader.next(item)) {
          if (item.has_record) expected.push_back(Record::from_view(item.view, DecodeOptions{}, item.diagnostics));
          expected_diags.insert(expected_diags.end(), item.diagnostics.begin(), item.diagnostics.end());
        }
        const Read contiguous = read_bytes_as(Format::Iso2709, read_bytes(file), mode);
        auto bytes = std::make_shared<std::string>(read_bytes(file));
        CountingSource cs{bytes};
        auto stream = open_record_stream(Format::Iso2709, cs.make(1000), read_options(mode));
        Read streamed;
        Record rec;
        while (stream->next(rec, streamed.diags)) streamed.records.push_back(rec);
        for (const Read* r : {&contiguous, static_cast<const Read*>(&streamed)}) {
          QVERIFY2(records_diff(expected, r->records, true).isEmpty(), qPrintable(file + ": " + records_diff(expected, r->records, true)));
          QCOMPARE(r->records.size(), expected.size());
          QCOMPARE(r->diags.size(), expected_diags.size());
        }
      }
    }
  }

  // -------------------------------------------------------------------- yaz-marcdump oracle

  /// yaz-marcdump (Index Data) as an independent MARCXML writer and reader: its MARCXML of our
  /// inputs reads back through our reader as the records we read; our MARCXML read by yaz and
  /// written as ISO 2709 reads back as the same records.
  void yaz_oracle() {
    const QString yaz = QStandardPaths::findExecutable("yaz-marcdump");
    if (yaz.isEmpty()) QSKIP("yaz-marcdump is not installed (Debian package yaz); the independent MARCXML oracle was not run");
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    for (const QString file : {"pairs/marcperl-camel.usmarc", "pairs/traject-test_data.utf8.mrc", "pairs/marcmij-test.mrc",
                               "valid/evergreen-auth-subset100.mrc", "valid/evergreen-nepali.marc"}) {
      const auto ours = read_fixture(file).records;
      QProcess p;
      p.start(yaz, {"-i", "marc", "-o", "marcxml", data_dir() + "/" + file});
      QVERIFY(p.waitForFinished(60000));
      QCOMPARE(p.exitCode(), 0);
      const QByteArray out = p.readAllStandardOutput();
      const Read theirs = read_bytes_as(Format::MarcXml, out.toStdString(), ReadMode::Strict);
      QVERIFY2(count_at_least(theirs.diags, Severity::Error) == 0, qPrintable(describe(theirs.diags)));
      // yaz writes leader/20-23 as "4500" whatever the input has (evergreen authority records: "45 0").
      std::vector<Record> ours_4500 = ours;
      for (auto& r : ours_4500) r.set_leader(r.leader().substr(0, 20) + "4500");
      QVERIFY2(records_diff(ours_4500, theirs.records).isEmpty(), qPrintable(file + " (yaz MARCXML): " + records_diff(ours_4500, theirs.records)));

      Diagnostics d;
      const std::string our_xml = write_all(Format::MarcXml, ours, d);
      const QString xml_path = tmp.filePath("ours.xml");
      QFile f(xml_path);
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write(our_xml.data(), qint64(our_xml.size()));
      f.close();
      QProcess back;
      back.start(yaz, {"-i", "marcxml", "-o", "marc", xml_path});
      QVERIFY(back.waitForFinished(60000));
      QCOMPARE(back.exitCode(), 0);
      const Read again = read_bytes_as(Format::Iso2709, back.readAllStandardOutput().toStdString(), ReadMode::Strict);
      QVERIFY2(records_diff(ours_4500, again.records).isEmpty(), qPrintable(file + " (yaz reading our MARCXML): " + records_diff(ours_4500, again.records)));
    }
  }
};

QTEST_APPLESS_MAIN(TestFormats)
#include "test_formats.moc"
