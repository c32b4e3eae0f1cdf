// The validation engine: schema loading, golden records for each rule, MARC::Lint's own examples, real records,
// user options and schemas, and a cross-check against marclint where it is installed.
#include <QtTest>

#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <functional>
#include <thread>

#include "marcscope/charset/utf8.h"
#include "marcscope/formats/record_stream.h"
#include "marcscope/iso2709/record_view.h"
#include "marcscope/validate/validation.h"
#include "marcscope/validate/validator.h"
#include "test_support.h"

using namespace marcscope;
using namespace marcscope::test;

namespace {

// A record that breaks no rule: Books, full 008, valid ISBN/ISSN, codes from the lists.
Record clean() {
  Record r;
  r.set_leader("00000cam a2200000 a 4500");
  r.add_field(Field("001", "12345"));
  r.add_field(Field("005", "20240131235959.0"));
  r.add_field(Field("008", "120613s2009    nyu           000 0 eng d"));
  r.add_field(Field("020", ' ', ' ', {{'a', "0441172717 (pbk.)"}}));
  r.add_field(Field("022", ' ', ' ', {{'a', "0378-5955"}}));
  r.add_field(Field("041", '0', ' ', {{'a', "engfre"}}));
  r.add_field(Field("043", ' ', ' ', {{'a', "n-us---"}}));
  r.add_field(Field("100", '1', ' ', {{'a', "Herbert, Frank."}}));
  r.add_field(Field("245", '1', '4', {{'a', "The dune :"}, {'b', "a novel /"}, {'c', "Frank Herbert."}}));
  r.add_field(Field("650", ' ', '0', {{'a', "Science fiction."}}));
  r.add_field(Field("650", ' ', '7', {{'a', "Science fiction."}, {'2', "fast"}}));
  r.add_field(Field("655", ' ', '7', {{'a', "Novels."}, {'2', "lcgft"}}));
  r.add_field(Field("999", ' ', ' ', {{'a', "local data"}}));
  return r;
}

Field* find(Record& r, std::string_view tag) {
  for (auto& f : r.fields())
    if (f.tag() == tag) return &f;
  return nullptr;
}

/// "tag rule" for each finding, sorted.
QStringList found(const Diagnostics& diags) {
  QStringList out;
  for (const auto& d : diags) {
    QString s = QString::fromStdString(d.tag) + " " + QString::fromStdString(d.rule);
    if (d.subfield) s += QStringLiteral(" $") + QChar(d.subfield);
    out << s;
  }
  out.sort();
  return out;
}

QString dump(const Diagnostics& diags) {
  QString s;
  for (const auto& d : diags) s += QString::fromStdString(d.to_string()) + "\n";
  return s;
}

Diagnostics check(const Validator& v, const Record& r) {
  Diagnostics d;
  v.validate(r, 1, 0, d);
  return d;
}

std::vector<Record> read_records(const QString& rel) {
  std::vector<Record> out;
  ReadOptions options;
  options.mode = ReadMode::Permissive;
  const std::string bytes = read_bytes(rel);
  Iso2709Reader reader(InputBuffer::from_bytes(bytes), options);
  ReadItem item;
  Diagnostics ignored;
  while (reader.next(item))
    if (item.has_record) out.push_back(Record::from_view(item.view, DecodeOptions{}, ignored));
  return out;
}

/// MARC::Record's title(): the 245 subfields joined by blanks.
std::string title_of(const Record& r) {
  const Field* f = r.first("245");
  std::string s;
  if (f == nullptr) return s;
  for (const auto& sf : f->subfields()) {
    if (!s.empty()) s += ' ';
    s += sf.value;
  }
  return s;
}

const char* const kUserSchema = R"({"title": "Local profile", "fields": {
        "001": {"tag": "001", "repeatable": false},
        "245": {"tag": "245", "repeatable": false, "url": "https://example.org/245",
                "indicator1": {"codes": {"0": {}, "1": {}}}, "indicator2": {"codes": {"0-9": {}}},
                "subfields": {"a": {"repeatable": false}, "c": {"repeatable": false}}},
        "950": {"tag": "950", "repeatable": false, "indicator1": null, "indicator2": null,
                "subfields": {"a": {"repeatable": true}}}}})";

// Broken schema files and what the error message must say.
const char* const kBadSchemas[][2] = {
    {"{not json", "not valid JSON"},
    {"[1, 2]", "not an Avram schema"},
    {R"({"fields": []})", "no \"fields\" object"},
    {R"({"fields": {"24": {}}})", "not a three-character tag"},
    {R"({"fields": {"245": {"repeatable": "yes"}}})", "field 245"},
    {R"({"fields": {"245": {"subfields": {"ab": {}}}}})", "subfield code"},
};

}  // namespace

class TestValidator : public QObject {
  Q_OBJECT

  std::unique_ptr<Validator> v_;

 private Q_SLOTS:
  void initTestCase() { v_ = std::make_unique<Validator>(); }

  void schemaLoads() {
    auto s = Schema::builtin();
    QVERIFY(s->field_count() >= 229);
    const FieldSpec* f245 = s->field("245");
    QVERIFY(f245 != nullptr);
    QVERIFY(!f245->repeatable);
    QVERIFY(f245->subfields.test('a') && !f245->repeatable_subfields.test('a'));
    QVERIFY(f245->ind[1].allowed.test('0') && f245->ind[1].allowed.test('9') && !f245->ind[1].allowed.test(' '));
    QCOMPARE(QString::fromStdString(f245->url), QStringLiteral("https://www.loc.gov/marc/bibliographic/bd245.html"));
    QVERIFY(s->field("020")->ind[0].defined && s->field("020")->ind[0].allowed.test(' '));  // undefined: blank
    QVERIFY(s->field("999") == nullptr);
    QVERIFY(s->field("ABC") == nullptr);
    QVERIFY(s->leader() != nullptr);
    QVERIFY(s->field("008")->fixed != nullptr);
    QVERIFY(s->field("008")->fixed->type("Books") != nullptr);
    QVERIFY(s->field("008")->fixed->type("Continuing Resources") != nullptr);
    // "001-999" is a range, "nnn" a code.
    const auto* vm = s->field("008")->fixed->type("Visual Materials");
    QVERIFY(vm != nullptr);
    auto it = std::find_if(vm->begin(), vm->end(), [](const PositionSpec& p) { return p.start == 18; });
    QVERIFY(it != vm->end());
    QVERIFY(it->accepts("120") && it->accepts("nnn") && it->accepts("---") && !it->accepts("12a"));
    auto lists = CodeLists::builtin();
    QVERIFY(lists->languages.contains("eng") && !lists->languages.contains("xyz"));
    QVERIFY(lists->geographic_areas.contains("n-us---"));
    QVERIFY(lists->countries.contains("nyu") && lists->countries.contains("xx"));
    QVERIFY(lists->articles.contains("the"));
  }

  /// The compact binary form round-trips, and a damaged one is a runtime_error, never an
  /// allocation of what a damaged count asks for (found by fuzz_schema).
  void schemaBinary() {
    const auto s = Schema::builtin();
    const std::string bin = s->to_binary();
    const Schema again = Schema::from_binary(bin);
    QCOMPARE(again.field_count(), s->field_count());
    QVERIFY(again.to_binary() == bin);
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, Schema::from_binary(bin.substr(0, bin.size() / 2)));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, Schema::from_binary(bin + "x"));
    // Magic, no title, one leader type with no name and 2^32 - 1 positions.
    const std::string huge = bin.substr(0, 4) + std::string("\0\0\0\0\1\0\0\0\0\0\0\0\xff\xff\xff\xff", 16);
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, Schema::from_binary(huge));
    // One leader position 06-06 (empty): the validator's loop over its codes would never end.
    const auto u32 = [](std::uint32_t v) { return std::string{char(v), char(v >> 8), char(v >> 16), char(v >> 24)}; };
    const std::string position = u32(0) + u32(0) + u32(0) + std::string("\x06\x06\x00", 3) + u32(0) + u32(0) + u32(0) + u32(0);
    const std::string empty_range = bin.substr(0, 4) + u32(0) + u32(1) + u32(0) + u32(1) + position + u32(0);
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, Schema::from_binary(empty_range));
    const std::string good_range = bin.substr(0, 4) + u32(0) + u32(1) + u32(0) + u32(1) +
                                   u32(0) + u32(0) + u32(0) + std::string("\x06\x07\x00", 3) + u32(0) + u32(0) + u32(0) + u32(0) + u32(0);
    QCOMPARE(Schema::from_binary(good_range).field_count(), std::size_t(0));
  }

  void ruleIds() {
    const auto& ids = Validator::rule_ids();
    QVERIFY(ids.size() >= 30);
    for (auto id : ids) QVERIFY2(!Validator::rule_description(id).empty(), std::string(id).c_str());
    QVERIFY(Validator::rule_description("no-such-rule").empty());
  }

  void cleanRecordHasNoFindings() {
    const auto d = check(*v_, clean());
    QVERIFY2(d.empty(), qPrintable(dump(d)));
  }

  void diagnosticText() {
    Record r = clean();
    r.add_field(Field("245", '1', '0', {{'a', "Again."}}));
    const auto d = check(*v_, r);
    QCOMPARE(d.size(), std::size_t(1));
    QCOMPARE(d[0].code, Code::RuleViolation);
    QCOMPARE(d[0].severity, Severity::Warning);
    QCOMPARE(QString::fromStdString(d[0].rule), QStringLiteral("non-repeatable-field"));
    const QString text = QString::fromStdString(d[0].to_string());
    QVERIFY2(text.contains("second 245"), qPrintable(text));
    QVERIFY2(text.contains("https://www.loc.gov/marc/bibliographic/bd245.html"), qPrintable(text));
    QVERIFY2(text.endsWith("[rule-violation: non-repeatable-field]"), qPrintable(text));
    QCOMPARE(code_name(Code::RuleViolation), std::string_view("rule-violation"));
    // Diagnostics without a rule keep their old form.
    Diagnostic plain{Severity::Error, Code::NotMarc, 1, 0, {}, 0, "x"};
    QVERIFY(QString::fromStdString(plain.to_string()).endsWith("[not-marc]"));
  }

  // Each golden case changes the clean record and must produce exactly the expected findings.
  void goldenCases() {
    struct Case {
      const char* name;
      std::function<void(Record&)> change;
      QStringList expected;
    };
    const std::vector<Case> cases = {
        {"unknown tag", [](Record& r) { r.add_field(Field("012", ' ', ' ', {{'a', "x"}})); }, {"012 unknown-tag"}},
        {"non-numeric tag", [](Record& r) { r.add_field(Field("CAT", ' ', ' ', {{'a', "x"}})); }, {"CAT unknown-tag"}},
        {"non-repeatable field", [](Record& r) { r.add_field(Field("100", '1', ' ', {{'a', "Other, A."}})); },
         {"100 multiple-1xx", "100 non-repeatable-field"}},
        {"multiple 1xx", [](Record& r) { r.add_field(Field("110", '2', ' ', {{'a', "Corp."}})); }, {"110 multiple-1xx"}},
        {"missing 245", [](Record& r) { r.remove_fields("245"); }, {"245 missing-245"}},
        {"invalid indicator", [](Record& r) { find(r, "100")->set_indicators('2', ' '); }, {"100 invalid-indicator"}},
        {"undefined indicator not blank", [](Record& r) { find(r, "020")->set_indicators('1', ' '); },
         {"020 invalid-indicator"}},
        {"unknown subfield", [](Record& r) { find(r, "100")->add_subfield('r', "x"); }, {"100 unknown-subfield $r"}},
        {"obsolete subfield", [](Record& r) { find(r, "020")->add_subfield('b', "pbk."); }, {"020 unknown-subfield $b"}},
        {"non-repeatable subfield", [](Record& r) { find(r, "100")->subfields().insert(find(r, "100")->subfields().begin() + 1, Subfield{'a', "Again,"}); },
         {"100 non-repeatable-subfield $a"}},
        {"leader value", [](Record& r) { auto l = r.leader(); l[5] = 'x'; r.set_leader(l); }, {"LDR leader-value"}},
        {"008 length", [](Record& r) { find(r, "008")->set_value("120613s2009"); }, {"008 fixed-field-length"}},
        {"005 length", [](Record& r) { find(r, "005")->set_value("20240131"); }, {"005 fixed-field-length"}},
        {"006 length", [](Record& r) { r.fields().insert(r.fields().begin() + 2, Field("006", "m     o  d")); },
         {"006 fixed-field-length"}},
        {"006 value", [](Record& r) { r.fields().insert(r.fields().begin() + 2, Field("006", "m     x  d        ")); },
         {"006 fixed-field-value"}},
        {"007 value", [](Record& r) { r.fields().insert(r.fields().begin() + 2, Field("007", "cq")); },
         {"007 fixed-field-value"}},
        {"007 ok", [](Record& r) { r.fields().insert(r.fields().begin() + 2, Field("007", "cr")); }, {}},
        {"008 books value", [](Record& r) { auto v = find(r, "008")->value(); v[22] = 'x'; find(r, "008")->set_value(v); },
         {"008 fixed-field-value"}},
        {"008 repeatable content", [](Record& r) { auto v = find(r, "008")->value(); v[18] = 'a'; v[19] = '9'; find(r, "008")->set_value(v); },
         {"008 fixed-field-value"}},
        // The 008 material type follows leader/06-07: a valid music 008 is valid under a music leader only.
        {"008 music type", [](Record& r) {
           auto l = r.leader(); l[6] = 'c'; r.set_leader(l);
           find(r, "008")->set_value("120613s2009    nyusyzn           n eng d"); }, {}},
        {"008 music under books", [](Record& r) { find(r, "008")->set_value("120613s2009    nyusyzn           n eng d"); },
         // 18-21 (four characters), 29, 30, 31 and 33 hold music codes, invalid for books.
         QStringList(8, QStringLiteral("008 fixed-field-value"))},
        {"008 date entered", [](Record& r) { auto v = find(r, "008")->value(); v.replace(0, 6, "121340"); find(r, "008")->set_value(v); },
         {"008 008-date"}},
        {"008 date 1", [](Record& r) { auto v = find(r, "008")->value(); v.replace(7, 4, "20x9"); find(r, "008")->set_value(v); },
         {"008 008-date"}},
        {"008 date 1 future", [](Record& r) { auto v = find(r, "008")->value(); v.replace(7, 4, "2999"); find(r, "008")->set_value(v); },
         {"008 008-date"}},
        {"008 country", [](Record& r) { auto v = find(r, "008")->value(); v.replace(15, 3, "zzz"); find(r, "008")->set_value(v); },
         {"008 country-code"}},
        {"008 language", [](Record& r) { auto v = find(r, "008")->value(); v.replace(35, 3, "xyz"); find(r, "008")->set_value(v); },
         {"008 language-code"}},
        {"005 format", [](Record& r) { find(r, "005")->set_value("20241331235959.0"); }, {"005 005-format"}},
        {"control field delimiter", [](Record& r) { find(r, "001")->set_value("12\x1F" "a345"); },
         {"001 control-field-delimiter"}},
        {"isbn check digit", [](Record& r) { find(r, "020")->subfields()[0].value = "0441172719"; },
         {"020 isbn-check-digit $a"}},
        {"isbn-13 check digit", [](Record& r) { find(r, "020")->subfields()[0].value = "9780441172710"; },
         {"020 isbn-check-digit $a"}},
        {"isbn-13 valid", [](Record& r) { find(r, "020")->subfields()[0].value = "9780441172719"; }, {}},
        {"isbn X valid", [](Record& r) { find(r, "020")->subfields()[0].value = "080442957X"; }, {}},
        {"isbn hyphens", [](Record& r) { find(r, "020")->subfields()[0].value = "0-441-17271-7"; },
         {"020 isbn-invalid-characters $a"}},
        {"isbn qualifier", [](Record& r) { find(r, "020")->subfields()[0].value = "0441172717(pbk.)"; },
         {"020 isbn-qualifier $a"}},
        {"isbn length", [](Record& r) { find(r, "020")->subfields()[0].value = "044117271"; }, {"020 isbn-length $a"}},
        {"isbn z valid", [](Record& r) { find(r, "020")->add_subfield('z', "0-441-17271-7"); }, {"020 isbn-z-valid $z"}},
        {"issn check digit", [](Record& r) { find(r, "022")->subfields()[0].value = "0378-5954"; },
         {"022 issn-check-digit $a"}},
        {"issn format", [](Record& r) { find(r, "022")->subfields()[0].value = "03785955"; }, {"022 issn-format $a"}},
        {"041 length", [](Record& r) { find(r, "041")->subfields()[0].value = "engfr"; }, {"041 language-code $a"}},
        {"041 code", [](Record& r) { find(r, "041")->subfields()[0].value = "engxyz"; }, {"041 language-code $a"}},
        {"041 obsolete code", [](Record& r) { find(r, "041")->subfields()[0].value = "esk"; }, {"041 language-code $a"}},
        {"041 ind2 7 not checked", [](Record& r) { find(r, "041")->set_indicators('0', '7'); find(r, "041")->add_subfield('2', "iso639-1"); find(r, "041")->subfields()[0].value = "en"; }, {}},
        {"043 length", [](Record& r) { find(r, "043")->subfields()[0].value = "n-us"; }, {"043 geographic-area-code $a"}},
        {"043 code", [](Record& r) { find(r, "043")->subfields()[0].value = "n-xx---"; }, {"043 geographic-area-code $a"}},
        {"245 first subfield", [](Record& r) { auto& s = find(r, "245")->subfields(); std::swap(s[0], s[1]); s[1].value = "The dune /"; s[0].value = "a novel :"; },
         {"245 245-first-subfield $b"}},
        {"245 no $a", [](Record& r) { auto& s = find(r, "245")->subfields(); s.erase(s.begin()); s[0].value = "a novel /"; },
         {"245 245-first-subfield $a", "245 245-first-subfield $b", "245 245-nonfiling-indicator"}},
        {"245 ending", [](Record& r) { find(r, "245")->subfields()[2].value = "Frank Herbert"; },
         {"245 245-ending-punctuation $c"}},
        {"245 c slash", [](Record& r) { find(r, "245")->subfields()[1].value = "a novel"; }, {"245 245-c-preceded-by-slash $c"}},
        {"245 b punctuation", [](Record& r) { find(r, "245")->subfields()[0].value = "The dune"; },
         {"245 245-b-preceded-by-punctuation $b"}},
        {"245 h brackets", [](Record& r) { auto& s = find(r, "245")->subfields(); s.insert(s.begin() + 1, Subfield{'h', "videorecording :"}); s[0].value = "The dune"; },
         {"245 245-h-brackets $h"}},
        {"245 h spacing", [](Record& r) { auto& s = find(r, "245")->subfields(); s.insert(s.begin() + 1, Subfield{'h', "[videorecording] :"}); s[0].value = "The dune "; },
         {"245 245-h-spacing $h"}},
        {"245 n period", [](Record& r) { auto& s = find(r, "245")->subfields(); s.insert(s.begin() + 1, Subfield{'n', "Part 1 :"}); s[0].value = "The dune"; },
         {"245 245-n-preceded-by-period $n"}},
        {"245 p comma", [](Record& r) { auto& s = find(r, "245")->subfields(); s.insert(s.begin() + 1, Subfield{'n', "Part 1."}); s.insert(s.begin() + 2, Subfield{'p', "Arrakis :"}); s[0].value = "The dune."; },
         {"245 245-p-punctuation $p"}},
        {"245 n and p fine", [](Record& r) { auto& s = find(r, "245")->subfields(); s.insert(s.begin() + 1, Subfield{'n', "Part 1,"}); s.insert(s.begin() + 2, Subfield{'p', "Arrakis :"}); s[0].value = "The dune."; }, {}},
        {"245 article indicator", [](Record& r) { find(r, "245")->set_indicators('1', '0'); }, {"245 245-nonfiling-indicator"}},
        {"245 not an article", [](Record& r) { find(r, "245")->subfields()[0].value = "Dune :"; }, {"245 245-nonfiling-indicator"}},
        {"245 article with quote", [](Record& r) { find(r, "245")->subfields()[0].value = "\"The dune\" :"; find(r, "245")->set_indicators('1', '5'); }, {}},
        {"245 article exception", [](Record& r) { find(r, "245")->subfields()[0].value = "Los Angeles :"; find(r, "245")->set_indicators('1', '0'); }, {}},
        {"245 an", [](Record& r) { find(r, "245")->subfields()[0].value = "An island :"; find(r, "245")->set_indicators('1', '3'); }, {}},
        {"6xx source missing", [](Record& r) { auto& s = r.fields()[10].subfields(); s.pop_back(); }, {"650 source-code $2"}},
        {"6xx source invalid", [](Record& r) { r.fields()[10].subfields()[1].value = "nosuchthesaurus"; }, {"650 source-code $2"}},
        {"655 source invalid", [](Record& r) { find(r, "655")->subfields()[1].value = "nosuchlist"; }, {"655 source-code $2"}},
        {"880 without $6", [](Record& r) { r.add_field(Field("880", '1', ' ', {{'a', "x"}})); }, {"880 880-linkage $6"}},
        {"880 bad $6", [](Record& r) { r.add_field(Field("880", '1', ' ', {{'6', "24501"}, {'a', "x"}})); },
         {"880 880-linkage $6"}},
        {"880 linked checks", [](Record& r) { r.add_field(Field("880", '1', '9', {{'6', "100-01/(N"}, {'a', "x"}, {'r', "y"}})); },
         {"880 invalid-indicator", "880 unknown-subfield $r"}},
        {"880 linked 245 fine", [](Record& r) { r.add_field(Field("880", '1', '0', {{'6', "245-01/(N"}, {'a', "Title."}})); }, {}},
        {"880 repeated non-repeatable", [](Record& r) {
           r.add_field(Field("880", '1', '0', {{'6', "245-01"}, {'a', "Title."}}));
           r.add_field(Field("880", '1', '0', {{'6', "245-01"}, {'a', "Title."}})); },
         {"880 non-repeatable-field"}},
        {"local tag rejected? no", [](Record& r) { r.add_field(Field("590", ' ', ' ', {{'a', "x"}})); }, {}},
    };
    for (const auto& c : cases) {
      Record r = clean();
      c.change(r);
      const auto d = check(*v_, r);
      QStringList expected = c.expected;
      expected.sort();
      QVERIFY2(found(d) == expected, qPrintable(QString("%1: got %2\n%3").arg(c.name, found(d).join(", "), dump(d))));
    }
  }

  // MARC::Lint's SYNOPSIS record and the warnings it documents, plus our extra ones.
  void marcLintSynopsis() {
    Record r;
    r.set_leader("00000nam  22002538a 4500");
    r.add_field(Field("040", ' ', ' ', {{'a', "MdSSJTT"}, {'c', "MdSSJTT"}}));
    r.add_field(Field("040", ' ', ' ', {{'a', "MdSSJTT"}, {'b', "eng"}, {'c', "MdSSJTT"}}));
    r.add_field(Field("100", '1', '4', {{'a', "Wall, Larry."}}));
    r.add_field(Field("110", '1', ' ', {{'a', "O'Reilly & Associates."}}));
    r.add_field(Field("245", '9', '0', {{'a', "Programming Perl /"}, {'a', "Big Book of Perl /"},
                                        {'c', "Larry Wall, Tom Christiansen & Jon Orwant."}}));
    r.add_field(Field("250", ' ', ' ', {{'a', "3rd ed."}}));
    r.add_field(Field("250", ' ', ' ', {{'a', "3rd ed."}}));
    r.add_field(Field("260", ' ', ' ', {{'a', "Cambridge, Mass. :"}, {'b', "O'Reilly,"}, {'r', "2000."}}));
    r.add_field(Field("590", '4', ' ', {{'a', "Personally signed by Larry."}}));
    r.add_field(Field("856", '4', '3', {{'u', "http://www.perl.com/"}}));
    const auto d = check(*v_, r);
    // MARC::Lint: 1XX: Only one 1XX tag; 100 Indicator 2; 245 Indicator 1; 245 Subfield _a is not repeatable;
    // 040 Field is not repeatable; 260 Subfield _r is not allowed; 856 Indicator 2. (250 is repeatable today.)
    QStringList expected = {"110 multiple-1xx",          "100 invalid-indicator",   "245 invalid-indicator",
                            "245 non-repeatable-subfield $a", "040 non-repeatable-field", "260 unknown-subfield $r",
                            "856 invalid-indicator"};
    expected.sort();
    QVERIFY2(found(d) == expected, qPrintable(dump(d)));
  }

  // MARC::Lint t/check_020.t style cases for 020 $a.
  void marcLintIsbnCases() {
    const std::vector<std::pair<std::string, QStringList>> cases = {
        {"154879473", {"020 isbn-length $a"}},                  // too few digits
        {"1548794743", {"020 isbn-check-digit $a"}},            // invalid checksum
        {"15487947443", {"020 isbn-length $a"}},                // 11 digits
        {"15487947443324", {"020 isbn-length $a"}},             // 14 digits
        {"9781548794743", {}},                                  // 13 digits, valid
        {"9781548794745", {"020 isbn-check-digit $a"}},         // 13 digits, invalid
        {"1548794740 (10 : good checksum)", {}},
        {"1548794745 (10 : bad checksum)", {"020 isbn-check-digit $a"}},
        {"1-54879-474-0 (hyphens and good checksum)", {"020 isbn-invalid-characters $a"}},
        {"1-54879-474-5 (hyphens and bad checksum)", {"020 isbn-invalid-characters $a", "020 isbn-check-digit $a"}},
        {"1548794740(10 : unspaced qualifier)", {"020 isbn-qualifier $a"}},
    };
    for (const auto& [value, want] : cases) {
      Record r = clean();
      find(r, "020")->subfields()[0].value = value;
      QStringList expected = want;
      expected.sort();
      const auto d = check(*v_, r);
      QVERIFY2(found(d) == expected, qPrintable(QString::fromStdString(value) + ":\n" + dump(d)));
    }
  }

  // The ten camel records (MARC::Record's test data): real records, and exactly what they break.
  void camelRecords() {
    const auto records = read_records("pairs/marcperl-camel.usmarc");
    QCOMPARE(records.size(), std::size_t(10));
    QStringList all;
    for (std::size_t i = 0; i < records.size(); ++i) {
      Diagnostics d;
      v_->validate(records[i], i + 1, 0, d);
      for (const auto& x : d) {
        QVERIFY(x.record == i + 1);
        all << QString("%1 %2 %3").arg(i + 1).arg(QString::fromStdString(x.tag), QString::fromStdString(x.rule));
      }
    }
    // The same single problem MARC::Lint finds: record 10 (Cross-platform Perl) has 100 first indicator 2.
    const QStringList expected = {"10 100 invalid-indicator"};
    QCOMPARE(all, expected);
  }

  void threadsAgree() {
    const auto records = read_records("valid/marclint-camel.usmarc");
    QVERIFY(!records.empty());
    auto run = [&](Diagnostics& out) {
      for (int round = 0; round < 20; ++round)
        for (std::size_t i = 0; i < records.size(); ++i) v_->validate(records[i], i + 1, 0, out);
    };
    Diagnostics serial;
    run(serial);
    std::vector<Diagnostics> results(4);
    std::vector<std::thread> threads;
    for (auto& r : results) threads.emplace_back([&run, &r] { run(r); });
    for (auto& t : threads) t.join();
    for (const auto& r : results) QVERIFY(found(r) == found(serial));
  }

  // Every message, not only the rules, is the same from every thread (each has its own scratch counters).
  void threadsAgreeOnMessages() {
    const auto records = read_records("valid/solrmarc-uva_001_2000.mrc");
    QVERIFY(records.size() > 1000);
    auto run = [&](std::vector<std::string>& out) {
      Diagnostics d;
      for (std::size_t i = 0; i < records.size(); ++i) v_->validate(records[i], i + 1, 0, d);
      for (const auto& x : d) out.push_back(x.to_string());
    };
    std::vector<std::string> serial;
    run(serial);
    QVERIFY(serial.size() > 100);
    std::vector<std::vector<std::string>> results(3);
    std::vector<std::thread> threads;
    for (auto& r : results) threads.emplace_back([&run, &r] { run(r); });
    for (auto& t : threads) t.join();
    for (const auto& r : results) QVERIFY(r == serial);
  }

  // Occurrence counters start again at every record (validate() reuses them, per thread).
  void countersPerRecord() {
    Record twice = clean();
    twice.add_field(Field("245", '1', '4', {{'a', "The dune."}}));
    twice.add_field(Field("880", '1', '0', {{'6', "245-01"}, {'a', "Title."}}));
    twice.add_field(Field("880", '1', '0', {{'6', "245-02"}, {'a', "Title."}}));
    QCOMPARE(found(check(*v_, twice)), (QStringList{"245 non-repeatable-field", "880 non-repeatable-field"}));
    Record once = clean();
    once.add_field(Field("880", '1', '0', {{'6', "245-01"}, {'a', "Title."}}));
    for (int i = 0; i < 3; ++i) QVERIFY2(check(*v_, once).empty(), qPrintable(dump(check(*v_, once))));
    QCOMPARE(found(check(*v_, twice)), (QStringList{"245 non-repeatable-field", "880 non-repeatable-field"}));
  }

  // A non-repeatable subfield is reported at its second occurrence only, however many follow (an earlier
  // version counted occurrences in a byte and reported the 258th again).
  void repeatedSubfields() {
    auto with = [](int n) {
      Record r = clean();
      Field& f = *find(r, "100");
      for (int i = 1; i < n; ++i) f.add_subfield('a', "Again,");
      f.add_subfield('d', "1920-1986.");
      return r;
    };
    QCOMPARE(found(check(*v_, with(1))), QStringList{});
    QCOMPARE(found(check(*v_, with(3))), (QStringList{"100 non-repeatable-subfield $a"}));
    QCOMPARE(found(check(*v_, with(257))), (QStringList{"100 non-repeatable-subfield $a"}));
    QCOMPARE(found(check(*v_, with(300))), (QStringList{"100 non-repeatable-subfield $a"}));
    QCOMPARE(found(check(*v_, with(600))), (QStringList{"100 non-repeatable-subfield $a"}));
    const auto d = check(*v_, with(3));
    QCOMPARE(QString::fromStdString(d.at(0).message),
             QStringLiteral("first 100 $a: second $a (Personal name) but the subfield is not repeatable - see "
                            "https://www.loc.gov/marc/bibliographic/bd100.html"));
  }

  void codeList() {
    CodeList l;
    for (const char* c : {"eng", "eng", "n-us---", "abcdefgh", "abcdefgh", "x", ""}) l.insert(c);
    QCOMPARE(l.size(), std::size_t(5));
    for (const char* c : {"eng", "n-us---", "abcdefgh", "x", ""}) QVERIFY2(l.contains(c), c);
    for (const char* c : {"en", "engl", "Eng", "n-us--", "abcdefg", "abcdefghi", "y"}) QVERIFY2(!l.contains(c), c);
    QVERIFY(!l.contains(std::string_view("\0", 1)));
    const auto lists = CodeLists::builtin();
    QVERIFY(lists->subject_sources.contains("lcsh") && lists->genre_sources.contains("lcgft"));
    QVERIFY(lists->languages.size() > 400 && !lists->languages.contains("en"));
  }

  void options() {
    Record r = clean();
    find(r, "100")->set_indicators('2', ' ');
    r.add_field(Field("949", ' ', ' ', {{'a', "local"}}));

    ValidatorOptions off;
    off.disabled_rules = {"invalid-indicator"};
    QVERIFY(check(Validator(off), r).empty());

    ValidatorOptions severe;
    severe.severity_overrides = {{"invalid-indicator", Severity::Error}};
    auto d = check(Validator(severe), r);
    QCOMPARE(d.size(), std::size_t(1));
    QCOMPARE(d[0].severity, Severity::Error);

    ValidatorOptions strict_tags;
    strict_tags.accept_local_tags = false;
    d = check(Validator(strict_tags), r);
    QCOMPARE(found(d), (QStringList{"100 invalid-indicator", "949 unknown-tag", "999 unknown-tag"}));

    ValidatorOptions bad;
    bad.disabled_rules = {"no-such-rule"};
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, Validator{bad});
    ValidatorOptions bad2;
    bad2.severity_overrides = {{"nope", Severity::Info}};
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, Validator{bad2});
  }

  /// Codes accepted beside the schema's at a fixed-field position, tags accepted as local, and the
  /// named profiles the CLI and the app offer.
  void acceptedCodesAndProfiles() {
    Record r = clean();
    r.set_leader_at(17, 'K');  // OCLC's minimal level
    std::string f008 = find(r, "008")->value();
    f008[23] = 'z';  // not a form of item
    find(r, "008")->set_value(f008);
    r.add_field(Field("049", ' ', ' ', {{'a', "ABCD"}}));
    find(r, "245")->subfields().back().value = "Frank Herbert";  // no ending period

    const QStringList all = {"008 fixed-field-value", "049 unknown-tag", "245 245-ending-punctuation $c", "LDR leader-value"};
    QCOMPARE(found(check(Validator(), r)), all);

    ValidatorOptions codes;
    codes.accepted_codes = {{"LDR/17", {"I", "K"}}, {"008/23", {"z"}}};
    QCOMPARE(found(check(Validator(codes), r)), (QStringList{"049 unknown-tag", "245 245-ending-punctuation $c"}));
    r.set_leader_at(17, 'L');  // not added: still reported
    QCOMPARE(found(check(Validator(codes), r)), (QStringList{"049 unknown-tag", "245 245-ending-punctuation $c", "LDR leader-value"}));
    r.set_leader_at(17, 'K');

    ValidatorOptions tags;
    tags.accepted_tags = {"049"};
    QCOMPARE(found(check(Validator(tags), r)), (QStringList{"008 fixed-field-value", "245 245-ending-punctuation $c", "LDR leader-value"}));

    QCOMPARE(QString::fromUtf8(validator_profiles().front().name.data(), int(validator_profiles().front().name.size())),
             QStringLiteral("marc21"));
    QCOMPARE(found(check(Validator(validator_profile("marc21")), r)), all);
    QCOMPARE(found(check(Validator(validator_profile("oclc")), r)), (QStringList{"008 fixed-field-value", "245 245-ending-punctuation $c"}));
    const auto lenient = check(Validator(validator_profile("lenient")), r);
    QCOMPARE(found(lenient), (QStringList{"008 fixed-field-value", "049 unknown-tag", "LDR leader-value"}));
    for (const auto& d : lenient) QCOMPARE(d.severity, d.rule == "unknown-tag" ? Severity::Info : Severity::Warning);
    for (const auto& p : validator_profiles()) {
      QVERIFY(!p.description.empty());
      Validator v(validator_profile(p.name));  // every profile names rules and positions that exist
      Q_UNUSED(v);
    }
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, validator_profile("strictest"));

    // Settings by name, as the CLI and the Python module take them: a profile, then changes on top.
    ValidatorSettings named;
    named.profile = "oclc";
    named.disabled_rules = {"245-ending-punctuation"};
    named.severities = {{"fixed-field-value", "error"}};
    named.accepted_codes = {"008/23=z"};
    QCOMPARE(found(check(Validator(named.options()), r)), QStringList{});
    named.accepted_codes.clear();
    const auto with_008 = check(Validator(named.options()), r);
    QCOMPARE(found(with_008), QStringList{"008 fixed-field-value"});
    QCOMPARE(with_008.front().severity, Severity::Error);
    const ValidatorOptions from_settings = named.options();
    QVERIFY(from_settings.accepted_tags.contains("049"));  // the profile's, kept
    QVERIFY(from_settings.accept_local_tags);
    named.reject_local_tags = true;
    QVERIFY(!named.options().accept_local_tags);
    std::vector<ValidatorSettings> bads(3);
    bads[0].profile = "strictest";
    bads[1].severities = {{"unknown-tag", "loud"}};
    bads[2].accepted_codes = {"LDR17"};
    for (const auto& bad : bads) {
      try {
        (void)bad.options();
        QFAIL("bad settings were accepted");
      } catch (const std::invalid_argument& e) {
        QVERIFY(std::string(e.what()).find(bad.profile == "strictest" ? "strictest" : bad.severities.empty() ? "LDR17" : "loud") !=
                std::string::npos);
      }
    }

    for (const auto& [key, code] : std::vector<std::pair<std::string, std::string>>{
             {"LDR/99", "a"}, {"LDR/17", "KK"}, {"245/01", "a"}, {"LDR/x", "a"}, {"LDR", "a"}, {"008/35", "fr"}}) {
      ValidatorOptions bad;
      bad.accepted_codes = {{key, {code}}};
      QVERIFY_THROWS_EXCEPTION(std::invalid_argument, Validator{bad});
    }
  }

  void userSchema() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = (dir.path() + "/local.avram.json").toStdString();
    {
      std::ofstream out(path);
      out << kUserSchema;
    }
    auto schema = std::make_shared<const Schema>(Schema::load(path));
    QCOMPARE(QString::fromStdString(schema->title()), QStringLiteral("Local profile"));
    QCOMPARE(schema->field_count(), std::size_t(3));
    Validator v(schema);
    Record r;
    r.set_leader("00000cam a2200000 a 4500");  // no leader positions in this schema: not checked
    r.add_field(Field("001", "1"));
    r.add_field(Field("100", '1', ' ', {{'a', "Someone."}}));  // not in the schema
    r.add_field(Field("245", '1', '0', {{'a', "Title /"}, {'c', "Someone."}, {'b', "x."}}));
    r.add_field(Field("950", ' ', ' ', {{'a', "one"}}));
    r.add_field(Field("950", '1', ' ', {{'a', "two"}}));
    const auto d = check(v, r);
    // Content rules apply by tag whatever the schema: 245 $b after "Someone." lacks its punctuation.
    QStringList expected = {"100 unknown-tag", "245 unknown-subfield $b", "245 245-b-preceded-by-punctuation $b",
                            "950 non-repeatable-field", "950 invalid-indicator"};
    expected.sort();
    QVERIFY2(found(d) == expected, qPrintable(dump(d)));
    bool url = false;
    for (const auto& x : d) url = url || x.message.find("https://example.org/245") != std::string::npos;
    QVERIFY(url);

    // Bad files fail with a message naming the file.
    auto expect_error = [&](const std::string& text, const char* needle) {
      const std::string bad = (dir.path() + "/bad.json").toStdString();
      std::ofstream(bad) << text;
      try {
        (void)Schema::load(bad);
        QFAIL("no exception");
      } catch (const std::runtime_error& e) {
        const QString msg = QString::fromUtf8(e.what());
        QVERIFY2(msg.contains("bad.json") && msg.contains(needle), qPrintable(msg));
      }
    };
    for (const auto& [text, needle] : kBadSchemas) expect_error(text, needle);
    try {
      (void)Schema::load((dir.path() + "/missing.json").toStdString());
      QFAIL("no exception");
    } catch (const std::runtime_error& e) {
      QVERIFY(QString::fromUtf8(e.what()).contains("missing.json"));
    }
  }

  /// Authority, holdings, classification and community information records are not checked
  /// against the bibliographic schema: one Info per record says so, and the rules for every MARC
  /// 21 record still apply.
  void otherFormatsStructureOnly() {
    for (const char type : {'z', 'u', 'v', 'x', 'y', 'w', 'q'}) {
      Record r;
      r.set_leader(std::string("00000n") + type + "  a2200000n  4500");
      r.add_field(Field("001", "n123"));
      r.add_field(Field("005", "20241399000000.0"));             // month 13
      r.add_field(Field("007", "ta\x1F" "b"));                    // a subfield delimiter
      r.add_field(Field("008", "short"));                        // 008 differs per format: not checked
      r.add_field(Field("150", ' ', '0', {{'a', "Subject"}}));   // not a bibliographic tag: fine
      r.add_field(Field("880", ' ', ' ', {{'a', "no linkage"}}));
      const auto d = check(*v_, r);
      QStringList expected = {"005 005-format", "007 control-field-delimiter", "880 880-linkage $6", "LDR "};
      expected.sort();
      QVERIFY2(found(d) == expected, qPrintable(QString(type) + "\n" + dump(d)));
      int info = 0;
      for (const auto& x : d) {
        if (x.code != Code::StructureOnly) continue;
        ++info;
        QCOMPARE(x.severity, Severity::Info);
        QVERIFY(x.message.starts_with("record 1 is a"));
        QVERIFY(x.message.find(std::string("(leader/06 '") + type + "')") != std::string::npos);
        QVERIFY(x.message.find("MARC 21 Format for Bibliographic Data does not describe") != std::string::npos);
      }
      QCOMPARE(info, 1);
    }
    // Rules can still be turned off.
    ValidatorOptions o;
    o.disabled_rules = {"005-format"};
    Record a;
    a.set_leader("00000nz  a2200000n  4500");
    a.add_field(Field("005", "x"));
    QVERIFY(found(check(Validator(o), a)).contains("005 fixed-field-length"));
    a.fields()[0].set_value("20241399000000.0");
    QCOMPARE(found(check(Validator(o), a)), QStringList{"LDR "});
    // A bibliographic record without 245 is still told; a leader/06 of no format gets every rule.
    Record b = clean();
    b.remove_fields("245");
    QVERIFY(found(check(*v_, b)).contains("245 missing-245"));
    b.set_leader("00000n#m a2200000 a 4500");
    const QStringList odd = found(check(*v_, b));
    QVERIFY(odd.contains("245 missing-245"));
    QVERIFY(odd.contains("LDR leader-value"));
    // A schema whose leader says nothing about leader/06 applies to every record.
    auto schema = std::make_shared<const Schema>(Schema::parse(kUserSchema));
    Record z;
    z.set_leader("00000nz  a2200000n  4500");
    z.add_field(Field("100", '1', ' ', {{'a', "Name"}}));
    QCOMPARE(found(check(Validator(schema), z)), (QStringList{"100 unknown-tag", "245 missing-245"}));
  }

  /// Real authority and holdings files: no bibliographic findings, one Info per record.
  void otherFormatsFiles() {
    for (const QString file : {"valid/evergreen-auth-1066.mrc", "xml/evergreen-serials_mfhd.xml"}) {
      std::vector<Record> records;
      auto stream = open_record_stream(Format::Unknown, open_source(data_path(file)));
      Record rec;
      Diagnostics reading;
      while (stream->next(rec, reading)) records.push_back(std::move(rec));
      QVERIFY(!records.empty());
      Diagnostics d;
      for (std::size_t i = 0; i < records.size(); ++i) v_->validate(records[i], i + 1, 0, d);
      int info = 0;
      for (const auto& x : d) {
        if (x.code == Code::StructureOnly) ++info;
        else QVERIFY2(x.rule == "005-format" || x.rule == "control-field-delimiter" || x.rule == "880-linkage" ||
                          x.rule == "fixed-field-length",
                      qPrintable(file + ": " + QString::fromStdString(x.to_string())));
      }
      QCOMPARE(info, int(records.size()));
    }
  }

  // marclint (libmarc-lint-perl): every warning it gives must be one of ours, same record and tag.
  void crossCheckMarclint_data() {
    QTest::addColumn<QString>("file");
    QTest::newRow("camel") << QStringLiteral("pairs/marcperl-camel.usmarc");
    QTest::newRow("marclint camel") << QStringLiteral("valid/marclint-camel.usmarc");
  }
  void crossCheckMarclint() {
    QFETCH(QString, file);
    const QString marclint = QStandardPaths::findExecutable(QStringLiteral("marclint"));
    if (marclint.isEmpty()) QSKIP("marclint is not installed (apt-get install libmarc-lint-perl); cross-check skipped");
    QProcess p;
    p.start(marclint, {data_dir() + "/" + file});
    QVERIFY(p.waitForFinished(60000));
    const QStringList lines = QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError()).split('\n');

    const auto records = read_records(file);
    std::vector<Diagnostics> ours(records.size());
    for (std::size_t i = 0; i < records.size(); ++i) v_->validate(records[i], i + 1, 0, ours[i]);

    // marclint prints the title of each record with warnings, then "TAG: message" lines.
    const std::vector<std::pair<QRegularExpression, std::string>> map = {
        {QRegularExpression("Indicator \\d must be"), "invalid-indicator"},
        {QRegularExpression("Subfield _. is not allowed"), "unknown-subfield"},
        {QRegularExpression("Subfield _. is not repeatable"), "non-repeatable-subfield"},
        {QRegularExpression("Field is not repeatable"), "non-repeatable-field"},
        {QRegularExpression("Only one 1XX tag"), "multiple-1xx"},
        {QRegularExpression("No 245 tag"), "missing-245"},
        {QRegularExpression("Subfields are not allowed in fields lower than 010"), "control-field-delimiter"},
        {QRegularExpression("bad checksum"), "isbn-check-digit"},
        {QRegularExpression("wrong number of digits"), "isbn-length"},
        {QRegularExpression("may have invalid characters"), "isbn-invalid-characters"},
        {QRegularExpression("qualifier must be preceded by space"), "isbn-qualifier"},
        {QRegularExpression("^041:"), "language-code"},
        {QRegularExpression("^043:"), "geographic-area-code"},
        {QRegularExpression("Must end with"), "245-ending-punctuation"},
        {QRegularExpression("First subfield|Must have a subfield _a"), "245-first-subfield"},
        {QRegularExpression("_c must be preceded"), "245-c-preceded-by-slash"},
        {QRegularExpression("_b should be preceded"), "245-b-preceded-by-punctuation"},
        {QRegularExpression("_h should not be preceded"), "245-h-spacing"},
        {QRegularExpression("_h must have matching"), "245-h-brackets"},
        {QRegularExpression("_n must be preceded"), "245-n-preceded-by-period"},
        {QRegularExpression("_p must be preceded"), "245-p-punctuation"},
        {QRegularExpression("article"), "245-nonfiling-indicator"},
    };
    static const QRegularExpression warning_re(QStringLiteral("^(\\d{3}|1XX): (.*)$"));
    int checked = 0;
    std::size_t current = records.size();
    for (const QString& line : lines) {
      if (line.trimmed().isEmpty() || line == data_dir() + "/" + file || line.startsWith(" Recs") || line.startsWith("-----") ||
          QRegularExpression("^\\s+\\d+\\s+\\d+ ").match(line).hasMatch())
        continue;
      const auto m = warning_re.match(line);
      if (!m.hasMatch()) {  // a title line: find the record
        current = records.size();
        for (std::size_t i = 0; i < records.size(); ++i)
          if (QString::fromStdString(title_of(records[i])) == line) current = i;
        QVERIFY2(current < records.size(), qPrintable("no record titled " + line));
        continue;
      }
      QVERIFY(current < records.size());
      std::string rule;
      for (const auto& [re, id] : map)
        if (re.match(line).hasMatch()) {
          rule = id;
          break;
        }
      QVERIFY2(!rule.empty(), qPrintable("marclint warning with no rule mapped: " + line));
      const std::string tag = m.captured(1) == "1XX" ? std::string() : m.captured(1).toStdString();
      const bool matched = std::any_of(ours[current].begin(), ours[current].end(), [&](const Diagnostic& d) {
        return d.rule == rule && (tag.empty() || d.tag == tag);
      });
      QVERIFY2(matched, qPrintable(QString("record %1: marclint says \"%2\", we have:\n%3")
                                       .arg(current + 1)
                                       .arg(line, dump(ours[current]))));
      ++checked;
    }
    QVERIFY2(checked > 0, "marclint gave no warnings to compare");
  }

  // A record kept as bytes (DecodeOptions::raw, or built by a program) may hold tags and values
  // that are not UTF-8: a finding quoting them still is, with U+FFFD for each broken sequence.
  void findingsAreUtf8() {
    Record r = clean();
    r.add_field(Field("9\xC3Z", ' ', ' ', {{'a', "x"}}));                       // a tag cut in a sequence
    r.add_field(Field("020", ' ', ' ', {{'a', "12\xFF" "34"}}));                    // an ISBN with a stray byte
    r.fields()[2] = Field("008", "120613s2009    nyu           000 0 \xE9ng d");  // a language code, broken
    ValidatorOptions o;
    o.accept_local_tags = false;
    const Diagnostics d = check(Validator(o), r);
    int broken = 0;
    for (const auto& x : d) {
      QVERIFY2(is_valid_utf8(x.message) && is_valid_utf8(x.tag) && is_valid_utf8(x.rule),
               qPrintable(QString::fromUtf8(x.message.data(), int(x.message.size()))));
      broken += x.message.find("\xEF\xBF\xBD") != std::string::npos;
    }
    QVERIFY2(broken >= 3, qPrintable(dump(d)));
    QVERIFY(std::any_of(d.begin(), d.end(), [](const Diagnostic& x) { return x.tag == "9\xEF\xBF\xBDZ"; }));
  }

  // A record that decodes as it is is validated from its view (validate_batch does so for a
  // record delivered as_is): the same findings, every part of each, in the same order, as
  // validating the model Record::from_view() builds. Records of every ISO 2709 fixture, declared
  // UTF-8 and MARC-8, as they are and with printable bytes overwritten (so that indicators, codes,
  // fixed fields and punctuation break rules), under every profile; MARC-8 records beyond ASCII
  // through the UTF-8 form transcode_marc8_as_is() makes.
  void validatedFromTheViewAsFromTheModel() {
    const std::string printable("abcz0179 .-/|#$:;,()[]ABZ");
    FixedSequence next(97531);
    std::vector<Validator> validators;
    for (const auto& p : validator_profiles()) validators.emplace_back(validator_profile(p.name));
    ValidatorOptions strict;
    strict.accept_local_tags = false;
    validators.emplace_back(strict);
    // A schema that takes leader/09 'a' only: the view must read as the model, which sets it.
    validators.emplace_back(std::make_shared<const Schema>(Schema::parse(
        R"({"title": "UTF-8 only", "fields": {"LDR": {"tag": "LDR", "positions": {"09": {"codes": {"a": {}}}}},
            "245": {"tag": "245", "indicator1": {"codes": {"0": {}, "1": {}}}, "indicator2": {"codes": {"0-9": {}}},
                    "subfields": {"a": {"repeatable": false}, "c": {}}}}})")));
    auto text = [](const Diagnostics& ds) {
      QString all;
      for (const auto& d : ds)
        all += QString::fromStdString(d.to_string()) + QString(" field=%1 sub=%2 rule=%3 tag=%4 sev=%5\n")
                                                          .arg(d.field)
                                                          .arg(int(d.subfield))
                                                          .arg(QString::fromStdString(d.rule))
                                                          .arg(QString::fromStdString(d.tag))
                                                          .arg(int(d.severity));
      return all;
    };
    std::uint64_t as_is = 0, transcoded = 0, with_findings = 0, findings = 0;
    const int variants = small_data() ? 3 : 6;
    for (const auto& [file, record] : fixture_records()) {
      for (int variant = 0; variant < variants; ++variant) {
        std::string spoiled = record;
        if (variant % 2 == 1) spoiled[9] = ' ';
        for (int k = 0; variant >= 2 && k < variant; ++k)
          spoiled[5 + next() % (spoiled.size() - 6)] = printable[next() % printable.size()];
        for (const ReadMode mode : {ReadMode::Permissive, ReadMode::Recover}) {
          RecordView view;
          Diagnostics parsed;
          if (!view.parse(spoiled, 7, 3, mode, parsed) || !parsed.empty() || view.repaired()) continue;
          for (int o = 0; o < 2; ++o) {
            DecodeOptions options;
            if (o == 1) options.leader_utf8 = false;
            const RecordView* checked = nullptr;
            std::string form;
            RecordView utf8;
            if (decodes_as_is(view, options)) {
              checked = &view;
              ++as_is;
            } else if (transcode_marc8_as_is(view, options, form, utf8)) {
              checked = &utf8;
              ++transcoded;
            } else {
              continue;
            }
            Diagnostics decoding;
            const Record model = Record::from_view(view, options, decoding);
            QVERIFY(decoding.empty());
            for (const Validator& v : validators) {
              Diagnostics from_model, from_view;
              v.validate(model, 3, 7, from_model);
              v.validate(*checked, 3, 7, from_view);
              QCOMPARE(text(from_view), text(from_model));
              with_findings += !from_model.empty();
              findings += from_model.size();
            }
          }
        }
      }
    }
    qInfo("as is %llu, transcoded %llu; %llu validations with findings, %llu findings", (unsigned long long)as_is,
          (unsigned long long)transcoded, (unsigned long long)with_findings, (unsigned long long)findings);
    QVERIFY(as_is > 1000);
    QVERIFY(transcoded > 100);
    QVERIFY(with_findings > 1000);
  }

  // A whole input validated as front ends read it (read_for_validation: records that need no
  // change are not decoded) gives the very report, finding by finding with each record's 001, of
  // a read that decodes every record.
  void readForValidationGivesTheSameReport() {
    std::uint64_t as_is = 0, findings = 0, files = 0;
    for (const QString& file : iso2709_fixtures()) {
      for (const ReadMode mode : {ReadMode::Strict, ReadMode::Permissive, ReadMode::Recover}) {
        std::vector<QString> seen[2];
        FileReport reports[2];
        for (int fast = 0; fast < 2; ++fast) {
          ReadOptions options;
          options.mode = mode;
          options.slice_bytes = 4096;
          options.threads = 2;
          if (fast) read_for_validation(options);
          std::unique_ptr<RecordReader> reader;
          try {
            reader = RecordReader::open(file.toStdString(), options);
          } catch (const std::exception&) {
            continue;
          }
          BatchTransform check = [&](Batch& batch) {
            validate_batch(*v_, batch);
            if (fast)
              for (const auto& r : batch.records) as_is += r.as_is;
          };
          reader->run(
              [&](Batch& batch) {
                reports[fast].add_batch(batch, {}, [&](const Finding& f) {
                  seen[fast].push_back(QString::fromStdString(f.diagnostic.to_string() + " | " + f.control_number +
                                                              " | " + f.diagnostic.rule));
                });
                return true;
              },
              check, {});
        }
        QCOMPARE(seen[1], seen[0]);
        QCOMPARE(reports[1].records, reports[0].records);
        QCOMPARE(reports[1].clean, reports[0].clean);
        QCOMPARE(reports[1].skipped, reports[0].skipped);
        QCOMPARE(text_summary(reports[1]), text_summary(reports[0]));
        findings += seen[0].size();
      }
      ++files;
    }
    qInfo("%llu files, %llu records read as they are, %llu findings", (unsigned long long)files,
          (unsigned long long)as_is, (unsigned long long)findings);
    QVERIFY(as_is > 1000);
    QVERIFY(findings > 1000);
  }
};

QTEST_GUILESS_MAIN(TestValidator)
#include "test_validator.moc"
