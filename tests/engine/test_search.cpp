// Finding records: the condition notation, what each kind of condition matches (case, Unicode
// normalisation, positions, presence), and whole-file searches on the pipeline agreeing with
// counts made another way.
#include <QDirIterator>
#include <QtTest>

#include "marcscope/iso2709/record_view.h"
#include "marcscope/read/record_file.h"
#include "marcscope/read/record_reader.h"
#include "marcscope/search/query.h"
#include "marcscope/stats/statistics.h"
#include "test_support.h"

using namespace marcscope;
using namespace marcscope::test;

namespace {

Record sample() {
  Record r;
  r.set_leader("01234cam a2200301 i 4500");
  r.add_field(Field("001", "ocm12345"));
  r.add_field(Field("008", "850101s1985    nyu           000 0 eng d"));
  r.add_field(Field("100", '1', ' ', {{'a', "Zoë Ångström,"}, {'d', "1950-"}}));
  r.add_field(Field("245", '1', '0', {{'a', "The War of the Worlds /"}, {'c', "H. G. Wells."}}));
  r.add_field(Field("650", ' ', '0', {{'a', "Science fiction."}, {'v', "Fiction."}}));
  r.add_field(Field("651", ' ', '0', {{'a', "Mars (Planet)"}}));
  return r;
}

bool match(const std::string& condition, const Record& r = sample()) {
  return Matcher(Query{{Condition::parse(condition)}, false}).matches(r);
}

}  // namespace

class TestSearch : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void notation() {
    Condition c = Condition::parse("245$a~war");
    QCOMPARE(c.tag, std::string("245"));
    QCOMPARE(c.subfield, 'a');
    QCOMPARE(int(c.kind), int(MatchKind::Contains));
    QCOMPARE(c.text, std::string("war"));
    QVERIFY(!c.case_sensitive && !c.negate);
    c = Condition::parse("!008/35-37==eng");
    QVERIFY(c.negate && c.case_sensitive && c.positions);
    QCOMPARE(c.positions->first, 35u);
    QCOMPARE(c.positions->second, 37u);
    QCOMPARE(int(c.kind), int(MatchKind::Equals));
    c = Condition::parse("6xx absent");
    QCOMPARE(c.tag, std::string("6XX"));
    QCOMPARE(int(c.kind), int(MatchKind::Absent));
    c = Condition::parse("650$a /^sci.*n\\.$/i");
    QCOMPARE(int(c.kind), int(MatchKind::Regex));
    QCOMPARE(c.text, std::string("^sci.*n\\.$"));
    QVERIFY(!c.case_sensitive);
    c = Condition::parse("LDR/06=a");
    QCOMPARE(c.tag, std::string("LDR"));
    for (const std::string bad : {"", "245", "245$ab~x", "008/3x=1", "245 maybe", "245$a/unclosed", "245$a/x/g"})
      QVERIFY_THROWS_EXCEPTION(std::invalid_argument, Condition::parse(bad));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, Matcher(Query{{Condition::parse("245$a/(unclosed/")}, false}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, Matcher(Query{{Condition::parse("24$a~x")}, false}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, Matcher(Query{{Condition::parse("008/37-35=x")}, false}));
  }

  void values() {
    QVERIFY(match("245$a~war"));
    QVERIFY(match("245$a~WAR"));
    QVERIFY(!match("245$a~~WAR"));  // exact case
    QVERIFY(match("245$a~~War"));
    QVERIFY(match("245$a^the war"));
    QVERIFY(!match("245$a^war"));
    QVERIFY(match("245$c=h. g. wells."));
    QVERIFY(!match("245$c=h. g. wells"));
    QVERIFY(match("245~wells"));       // any subfield
    QVERIFY(!match("245$a~wells"));    // not in $a
    QVERIFY(match("6XX$a~mars"));      // pattern tags
    QVERIFY(!match("600$a~mars"));
    QVERIFY(match("*~fiction"));
    QVERIFY(match("001=OCM12345"));
    // Unicode: case folding beyond ASCII, and NFC/NFD written either way.
    QVERIFY(match("100$a~zoË"));
    QVERIFY(match("100$a~ÅNGSTRÖM"));
    QVERIFY(match(std::string("100$a~A\xCC\x8Angstr")));  // A + combining ring (NFD) finds the stored NFC
    Record nfd = sample();
    nfd.fields()[2].subfields()[0].value = "Zoe\xCC\x88 A\xCC\x8Angstro\xCC\x88m,";
    QVERIFY(match("100$a~zoë ångström", nfd));
    QVERIFY(match("100$a~~Zoë", nfd));
    QVERIFY(!match("100$a~~zoë", nfd));
  }

  void regexes() {
    QVERIFY(match("650$a/^Science/"));
    QVERIFY(!match("650$a/^science/"));
    QVERIFY(match("650$a/^science/i"));
    QVERIFY(match("100$a/\\p{Lu}ngstr/"));     // Unicode properties
    QVERIFY(match("100$d/^[0-9]{4}-$/"));
    QVERIFY(!match("245$c/^H\\. G\\. Wells$/")); // anchored: the final '.' is missing
  }

  void positions_and_presence() {
    QVERIFY(match("LDR/06=a"));
    QVERIFY(match("LDR/06-07=am"));
    QVERIFY(!match("LDR/07=s"));
    QVERIFY(match("008/35-37=eng"));
    QVERIFY(match("008/07-10^198"));
    QVERIFY(!match("008/60-62=eng"));  // past the end: nothing there
    QVERIFY(match("020 absent"));
    QVERIFY(match("650 present"));
    QVERIFY(match("650$v present"));
    QVERIFY(!match("650$x present"));
    QVERIFY(match("!650$x present"));
    QVERIFY(!match("!650 present"));
    // all and any
    Query all{{Condition::parse("245$a~war"), Condition::parse("020 present")}, false};
    Query any = all;
    any.any = true;
    QVERIFY(!Matcher(all).matches(sample()));
    QVERIFY(Matcher(any).matches(sample()));
    QVERIFY(Matcher(Query{}).matches(sample()));  // no condition: everything
  }

  /// A whole-file search on the pipeline agrees with counts made another way.
  void whole_file_agrees() {
    const std::string path = data_path("valid/solrmarc-uva_001_2000.mrc");
    auto file = RecordFile::open(path);
    file->build_index();
    auto reader = RecordReader::open(path);
    const Statistics stats = collect_statistics(*reader);
    for (const std::string tag : {"020", "245", "650", "700", "949"}) {
      std::uint64_t seen = 0;
      const auto hits = search(*file, Matcher(Query{{Condition::parse(tag + " present")}, false}), {},
                               [&](const std::vector<std::uint64_t>& batch) { seen += batch.size(); });
      QCOMPARE(std::uint64_t(hits.size()), stats.fields().at(tag).count.records);
      QCOMPARE(seen, std::uint64_t(hits.size()));
      QVERIFY(std::is_sorted(hits.begin(), hits.end()));
      const auto absent = search(*file, Matcher(Query{{Condition::parse(tag + " absent")}, false}));
      QCOMPARE(std::uint64_t(absent.size() + hits.size()), file->index().size());
    }
    // A value search against a plain loop over the same records.
    std::vector<std::uint64_t> want;
    RecordReader::open(path)->run([&](Batch& b) {
      for (const auto& r : b.records)
        for (const Field* f : r.record.fields_with_tag("245"))
          if (const std::string* a = f->subfield('a')) {
            std::string lower = *a;
            for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            if (lower.find("history") != std::string::npos) {
              want.push_back(r.number);
              break;
            }
          }
      return true;
    });
    QVERIFY(!want.empty());
    QCOMPARE(search(*file, Matcher(Query{{Condition::parse("245$a~HISTORY")}, false})), want);
    // Stopping a search hands back what was found up to then.
    std::stop_source stop;
    stop.request_stop();
    JobControl control;
    control.stop = stop.get_token();
    QVERIFY(search(*file, Matcher(Query{{Condition::parse("245 present")}, false}), control).size() < 2000);
  }

  /// Records that decode as they are (UTF-8, or MARC-8 of plain ASCII) are matched on their bytes
  /// (Matcher::matches_as_is, used by whole-file searches); the answer must be the decoded
  /// record's for every record of every ISO 2709 fixture and every kind of condition.
  void as_is_matching_agrees_with_the_model() {
    const std::vector<std::string> conditions = {
        "LDR/09=a", "LDR/06=a", "LDR/05-07=nam", "LDR~2200", "008/35-37=eng", "008/07-10^19", "001 present",
        "003 absent", "245$a~the", "245$a==The", "245$a^a", "245$a/ (19|20)[0-9]{2}/", "*~history", "650$a~fiction",
        "6XX$v present", "1XX$d present", "*~é", "*~ü", "*/[^\\x00-\\x7f]/", "!020 present", "245$6 present",
        "880 present", "500$a=Includes index.", "*=", "035$a^(OCoLC)"};
    std::vector<Matcher> matchers;
    for (const auto& c : conditions) matchers.emplace_back(Query{{Condition::parse(c)}, false});
    matchers.emplace_back(Query{{Condition::parse("245$a~the"), Condition::parse("650 present")}, false});
    matchers.emplace_back(Query{{Condition::parse("245$a~the"), Condition::parse("650 present")}, true});
    std::size_t as_is = 0, hits = 0, misses = 0;
    int files = 0;
    QString failure;
    QDirIterator it(data_dir(), QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
      const QString path = it.next();
      if (!is_iso2709_name(it.fileName()) || path.endsWith(".md") || path.endsWith(".tsv")) continue;
      ++files;
      const std::string bytes = slurp(path);
      ReadOptions options;
      options.mode = ReadMode::Permissive;
      options.threads = 1;
      std::unique_ptr<RecordReader> reader;
      try {
        reader = RecordReader::open_bytes(bytes, options);
      } catch (const NotMarcError&) {
        continue;  // a malformed fixture that is not MARC at all
      }
      reader->run([&](Batch& b) {
        for (const auto& r : b.records) {
          if (r.bytes.empty()) continue;
          RecordView view;
          Diagnostics diags;
          if (!view.parse(r.bytes, r.offset, r.number, ReadMode::Permissive, diags) || !decodes_as_is(view, {}))
            continue;
          ++as_is;
          for (std::size_t i = 0; i < matchers.size(); ++i) {
            const bool want = matchers[i].matches(r.record);
            if (matchers[i].matches_as_is(view) != want) {
              failure = QStringLiteral("%1 record %2: %3 as-is gives %4")
                            .arg(path)
                            .arg(r.number)
                            .arg(i < conditions.size() ? QString::fromStdString(conditions[i]) : QStringLiteral("combined"))
                            .arg(!want);
              return false;
            }
            (want ? hits : misses) += 1;
          }
        }
        return true;
      });
      QVERIFY2(failure.isEmpty(), qPrintable(failure));
    }
    QVERIFY(files > 20);
    QVERIFY2(as_is > 3000, qPrintable(QString::number(as_is)));
    QVERIFY(hits > 10000);
    QVERIFY(misses > 10000);
  }

  /// A whole-file search (as-is records matched on their bytes) finds what matching every decoded
  /// record finds, in files of UTF-8, of MARC-8 and of both kinds of record.
  void whole_file_search_agrees_with_decoded_records() {
    for (const QString rel : {"valid/solrmarc-uva_001_2000.mrc", "valid/evergreen-jazz_1k.mrc", "marc8/evergreen-hebrew.marc",
                              "valid/evergreen-lul_fre_500.mrc"}) {
      const std::string path = data_path(rel);
      auto file = RecordFile::open(path);
      file->build_index();
      for (const std::string c : {"245$a~the", "LDR/09=a", "*~é", "650 absent", "008/35-37=fre"}) {
        const Matcher matcher(Query{{Condition::parse(c)}, false});
        std::vector<std::uint64_t> want;
        RecordReader::open(path)->run([&](Batch& b) {
          for (const auto& r : b.records)
            if (matcher.matches(r.record)) want.push_back(r.number);
          return true;
        });
        QCOMPARE(search(*file, matcher), want);
      }
    }
  }
};

QTEST_GUILESS_MAIN(TestSearch)
#include "test_search.moc"
