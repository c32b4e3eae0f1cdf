// run_stream_pipeline must deliver exactly what the serial RecordStream reads — the same records,
// numbers, offsets and diagnostics in the same order — for every MARCXML, MARC-in-JSON and .mrk
// fixture, in every mode, with any thread count, chunk size and batch size; MARCXML and
// MARC-in-JSON / NDJSON chunks must really be parsed in parallel where the document allows it, the
// serial reader must take over where a chunk is not clean, and the fast paths (pugixml for MARCXML,
// simdjson for JSON) must read exactly what the streaming readers read.
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QTest>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "marcscope/io/byte_source.h"
#include "marcscope/read/stream_pipeline.h"
#include "test_support.h"

using namespace marcscope;

namespace {

/// What was delivered, flattened to text so that a difference prints readably: the records (with
/// number and offset) and the diagnostics, each in input order. (A batch holds the two as
/// separate lists, so their interleaving is not compared.)
struct Trace {
  std::vector<std::string> lines;  // records, then "--", then diagnostics
  std::uint64_t records = 0;
};

std::string describe(const Record& r) {
  std::string s = r.leader();
  for (const auto& f : r.fields()) {
    s += "|" + f.tag() + (f.is_control() ? "=" + f.value() : std::string(" ") + f.indicator1() + f.indicator2() + f.leading_data());
    for (const auto& sf : f.subfields()) {
      s += '$';  // appended piece by piece: "$" + std::string is a GCC 12 -O3 -Wrestrict false positive
      s += sf.code;
      s += sf.value;
    }
  }
  return s;
}

std::string describe(const Diagnostic& d) {
  return "diag " + std::string(code_name(d.code)) + " sev=" + std::to_string(int(d.severity)) + " rec=" +
         std::to_string(d.record) + " at=" + std::to_string(d.offset) + " tag=" + d.tag + " " + d.message;
}

Format format_of(const QString& file) {
  if (file.endsWith(".xml")) return Format::MarcXml;
  if (file.endsWith(".json")) return Format::Json;
  if (file.endsWith(".ndjson")) return Format::NdJson;
  return Format::Mrk;
}

/// The reference: the serial reader, record by record.
Trace serial(const std::string& path, Format format, ReadMode mode) {
  Trace t;
  ReadOptions o;
  o.mode = mode;
  auto stream = open_record_stream(format, open_source(path), o);
  Record r;
  Diagnostics diags;
  while (stream->next(r, diags)) {
    t.lines.push_back("record " + std::to_string(stream->records_seen()) + " at " + std::to_string(stream->last_offset()) +
                      "-" + std::to_string(stream->last_end()) +
                      " " + describe(r));
    ++t.records;
  }
  t.lines.push_back("--");
  for (const auto& d : diags) t.lines.push_back(describe(d));
  return t;
}

Trace piped(const std::string& path, Format format, ReadMode mode, unsigned threads, std::size_t chunk, std::size_t batch,
            StreamPipelineResult* result = nullptr, bool fast = true) {
  Trace t;
  ReadOptions o;
  o.fast_xml = fast;
  o.fast_json = fast;
  o.mode = mode;
  o.threads = threads;
  o.chunk_bytes = chunk;
  o.batch_records = batch;
  std::vector<std::string> diags;
  std::uint64_t last_seen = 0;
  auto r = run_stream_pipeline(format, open_source(path), o, {}, [&](Batch& b) {
    for (const auto& rec : b.records) {
      t.lines.push_back("record " + std::to_string(rec.number) + " at " + std::to_string(rec.offset) + "-" +
                        std::to_string(rec.end) + " " +
                        describe(rec.record));
      ++t.records;
      if (rec.number > b.records_seen) diags.push_back("record numbered past the batch's records_seen");
    }
    // A batch's diagnostics belong to it: none names a record after it.
    for (const auto& d : b.diagnostics) {
      if (d.record > b.records_seen) diags.push_back("diagnostic for a later record: " + describe(d));
      diags.push_back(describe(d));
    }
    if (b.records_seen < last_seen) diags.push_back("records_seen went backwards");
    last_seen = b.records_seen;
    return true;
  });
  t.lines.push_back("--");
  t.lines.insert(t.lines.end(), diags.begin(), diags.end());
  if (result) *result = r;
  return t;
}

QStringList fixtures() {
  QStringList out;
  for (const QString dir : {"xml", "json", "mrk", "pairs", "valid", "malformed"}) {
    QDir d(test::data_dir() + "/" + dir);
    for (const QString& f : d.entryList({"*.xml", "*.json", "*.mrk"}, QDir::Files, QDir::Name)) out << dir + "/" + f;
  }
  return out;
}


// ------------------------------------------------------------------ the MARCXML fast path

/// Every MARCXML file under tests/data, at any depth.
QStringList all_xml_fixtures() {
  QStringList out;
  QDir root(test::data_dir());
  std::vector<QString> dirs{""};
  while (!dirs.empty()) {
    const QString dir = dirs.back();
    dirs.pop_back();
    QDir d(root.filePath(dir));
    for (const QString& f : d.entryList({"*.xml"}, QDir::Files, QDir::Name)) out << (dir.isEmpty() ? f : dir + "/" + f);
    for (const QString& sub : d.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name))
      dirs.push_back(dir.isEmpty() ? sub : dir + "/" + sub);
  }
  return out;
}

/// What the fast path must do with a generated document: read every chunk, refuse at least one,
/// or either (documents whose header already sends them to the serial reader).
enum class Expect { AllFast, SomeRefused, Either };

struct Generated {
  std::string name;
  std::string text;
  Expect expect;
};

/// A record in the style of `p` ("marc:" or ""), the third of six holding `odd` in place of its
/// title field when given.
std::string gen_record(const std::string& p, int i, const std::string& odd = {}) {
  std::string r = "<" + p + "record>\n  <" + p + "leader>00000nam a2200000 a 4500</" + p + "leader>\n  <" + p +
                  "controlfield tag=\"001\">id" + std::to_string(i) + "</" + p + "controlfield>\n  ";
  if (!odd.empty()) {
    r += odd;
  } else {
    r += "<" + p + "datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><" + p + "subfield code=\"a\">Title " +
         std::to_string(i) + " caf\xC3\xA9</" + p + "subfield><" + p + "subfield code=\"c\">by x</" + p + "subfield></" + p +
         "datafield>";
  }
  return r + "\n</" + p + "record>";
}

std::string gen_collection(const std::string& head, const std::string& p, const std::string& odd = {},
                           const std::string& tail = "\n") {
  std::string d = head;
  for (int i = 1; i <= 6; ++i) {
    d += '\n';
    d += gen_record(p, i, i == 3 ? odd : std::string());
  }
  return d + "\n</" + p + "collection>" + tail;
}

/// " x0=\"0\" x1=\"1\" ...": n attributes of no meaning to MARCXML.
std::string many_attributes(int n) {
  std::string a;
  for (int i = 0; i < n; ++i) a += " x" + std::to_string(i) + "=\"" + std::to_string(i) + "\"";
  return a;
}

std::vector<Generated> generated_xml() {
  const std::string decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  const std::string ns = "http://www.loc.gov/MARC21/slim";
  const std::string h_prefix = decl + "<marc:collection xmlns:marc=\"" + ns + "\">";
  const std::string h_default = decl + "<collection xmlns=\"" + ns + "\">";
  const std::string h_none = decl + "<collection>";
  std::vector<Generated> g;
  // Plain documents in each namespace style, and header variants the fast path reads.
  g.push_back({"prefix", gen_collection(h_prefix, "marc:"), Expect::AllFast});
  g.push_back({"default-ns", gen_collection(h_default, ""), Expect::AllFast});
  g.push_back({"no-ns", gen_collection(h_none, ""), Expect::AllFast});
  g.push_back({"no-decl", gen_collection("<collection xmlns='" + ns + "'>", ""), Expect::AllFast});
  g.push_back({"bom", gen_collection("\xEF\xBB\xBF" + h_default, ""), Expect::AllFast});
  g.push_back({"decl-single-quotes-standalone",
               gen_collection("<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<collection xmlns=\"" + ns + "\">", ""),
               Expect::AllFast});
  g.push_back({"root-schema-attrs",
               gen_collection(decl + "<marc:collection xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                                     "xsi:schemaLocation=\"" + ns + " http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd\" "
                                     "xmlns:marc=\"" + ns + "\" >", "marc:"),
               Expect::AllFast});
  // Header variants that go to expat (or to the serial reader) as a whole.
  g.push_back({"latin1-decl", gen_collection("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<collection>", ""), Expect::Either});
  g.push_back({"utf8-nodash-decl", gen_collection("<?xml version=\"1.0\" encoding=\"utf8\"?>\n<collection>", ""), Expect::Either});
  g.push_back({"header-comment", gen_collection(decl + "<!-- exported -->\n<collection>", ""), Expect::Either});
  g.push_back({"header-pi", gen_collection(decl + "<?xml-stylesheet href=\"x.xsl\"?>\n<collection>", ""), Expect::Either});
  g.push_back({"doctype-entity",
               gen_collection(decl + "<!DOCTYPE collection [<!ENTITY t \"Entity title\">]>\n<collection>", "",
                              "<datafield tag=\"245\" ind1=\"0\" ind2=\"0\"><subfield code=\"a\">&t;</subfield></datafield>"),
               Expect::Either});
  g.push_back({"unbound-root-prefix", gen_collection(decl + "<marc:collection>", "marc:"), Expect::Either});
  g.push_back({"space-before-decl", gen_collection(" " + h_none, ""), Expect::Either});
  g.push_back({"root-attr-newline", gen_collection(decl + "<collection\n  xmlns=\"" + ns + "\">", ""), Expect::AllFast});
  g.push_back({"bad-decl-version", gen_collection("<?xml version=\"2.0\"?>\n<collection>", ""), Expect::Either});

  // The third record holds something odd; the others are plain.
  struct Odd {
    const char* name;
    std::string field;  // in the default-namespace style; "marc:" is added for the prefixed one
    Expect expect;
  };
  const std::vector<Odd> odd = {
      {"escapes", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;</subfield></datafield>", Expect::AllFast},
      {"escaped-code", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"&amp;\">x</subfield><subfield code=\"&gt;\">y</subfield></datafield>", Expect::AllFast},
      // An attribute value holding '<' (even from a reference) goes to expat.
      {"escaped-lt-code", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"&#x3C;\">y</subfield></datafield>", Expect::SomeRefused},
      {"quote-in-attribute", "<datafield tag=\"245\" ind1='\"' ind2=\"'\"><subfield code=\"a\">y</subfield></datafield>", Expect::AllFast},
      {"odd-tag-syntax", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield\"code=\"a\">y</subfield></datafield>", Expect::SomeRefused},
      {"attribute-name-digit", "<datafield tag=\"245\" 1x=\"1\" ind2=\"0\"><subfield code=\"a\">y</subfield></datafield>", Expect::SomeRefused},
      {"attribute-name-colon-start", "<datafield tag=\"245\" :x=\"1\" ind2=\"0\"><subfield code=\"a\">y</subfield></datafield>", Expect::SomeRefused},
      {"attribute-name-non-ascii", "<datafield tag=\"245\" \xC3\xA9=\"1\" ind2=\"0\"><subfield code=\"a\">y</subfield></datafield>", Expect::SomeRefused},
      {"attribute-no-value", "<datafield tag=\"245\" ind1 ind2=\"0\"><subfield code=\"a\">y</subfield></datafield>", Expect::SomeRefused},
      {"slash-in-tag", "<datafield tag=\"245\" / ind2=\"0\"><subfield code=\"a\">y</subfield></datafield>", Expect::SomeRefused},
      {"end-tag-attribute", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">y</subfield a=\"1\"></datafield>", Expect::SomeRefused},
      {"lt-in-text", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">a < b</subfield></datafield>", Expect::SomeRefused},
      {"char-refs", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">&#65;&#x42;&#x00043; &#x1F600; &#128512; &#xE9;&#9;</subfield></datafield>", Expect::AllFast},
      {"char-ref-cr", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">a&#13;b&#xD;&#10;c</subfield></datafield>", Expect::AllFast},
      {"char-ref-blank-between", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\">&#32;<subfield code=\"a\">x</subfield></datafield>", Expect::AllFast},
      {"astral-raw", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">\xF0\x9F\x98\x80 \xE4\xB8\xAD\xE6\x96\x87 \xEF\xBF\xBD</subfield></datafield>", Expect::AllFast},
      {"odd-attributes", "<datafield ind2 = '0' ind1='1'  tag=\"245\" extra=\"x\"><subfield\ncode='a'\t>x</subfield ></datafield >", Expect::AllFast},
      // Past 32 attributes on an element, expat checks them (the fast path's check is pairwise):
      // a few more, one of them repeated, and tens of thousands, which must not take quadratic time.
      {"many-attributes", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"" + many_attributes(40) + "><subfield code=\"a\"" +
                              many_attributes(40) + ">x</subfield></datafield>", Expect::SomeRefused},
      {"repeated-among-many", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"" + many_attributes(40) +
                                  " x7=\"again\"><subfield code=\"a\">x</subfield></datafield>", Expect::SomeRefused},
      {"tens-of-thousands-of-attributes", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"" + many_attributes(60000) +
                                              "><subfield code=\"a\"" + many_attributes(60000) + ">x</subfield></datafield>",
       Expect::SomeRefused},
      {"blank-indicators", "<datafield tag=\"245\" ind1=\"\"><subfield code=\"a\">x</subfield></datafield>", Expect::AllFast},
      {"whitespace-values", "<datafield tag=\"245\" ind1=\" \" ind2=\" \"><subfield code=\"a\">   </subfield><subfield code=\"b\"> x \t y </subfield><subfield code=\"c\"/><subfield code=\"d\"></subfield></datafield>", Expect::AllFast},
      {"tabs-newlines", "<datafield\ttag=\"245\"\nind1=\"1\" ind2=\"0\">\n\t<subfield code=\"a\">line1\nline2</subfield>\n\t</datafield>", Expect::AllFast},
      {"gt-and-brackets", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">a > b ] ]] c</subfield></datafield>", Expect::AllFast},
      {"record-attrs", "<controlfield tag=\"005\">20200101</controlfield>", Expect::AllFast},
      {"crlf", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\">\r\n<subfield code=\"a\">a\r\nb\rc</subfield></datafield>", Expect::SomeRefused},
      {"char-ref-cr-in-attribute", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"&#13;\">x</subfield></datafield>", Expect::AllFast},
      {"cr-in-attribute", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"\r\">x</subfield></datafield>", Expect::SomeRefused},
      {"tab-in-attribute", "<datafield tag=\"245\" ind1=\"\t\" ind2=\"0\"><subfield code=\"a\">x</subfield></datafield>", Expect::SomeRefused},
      {"cdata", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\"><![CDATA[a <b> & </record>]]></subfield></datafield>", Expect::SomeRefused},
      {"comment", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">ab<!-- </record> -->cd</subfield></datafield>", Expect::SomeRefused},
      {"pi", "<?marc x?><datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">a<?pi y?>b</subfield></datafield>", Expect::SomeRefused},
      {"cdata-end-in-text", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">a ]]> b</subfield></datafield>", Expect::SomeRefused},
      {"unknown-entity", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">&nbsp;</subfield></datafield>", Expect::SomeRefused},
      {"bare-ampersand", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">a & b</subfield></datafield>", Expect::SomeRefused},
      {"char-ref-nul", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">&#0;</subfield></datafield>", Expect::SomeRefused},
      {"char-ref-surrogate", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">&#xD800;</subfield></datafield>", Expect::SomeRefused},
      {"char-ref-too-big", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">&#x110000;&#99999999999;</subfield></datafield>", Expect::SomeRefused},
      {"char-ref-upper-x", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">&#X41;</subfield></datafield>", Expect::SomeRefused},
      {"char-ref-fffe", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">&#xFFFE;\xEF\xBF\xBF</subfield></datafield>", Expect::SomeRefused},
      {"control-char", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">a\x01" "b\x1F" "c</subfield></datafield>", Expect::SomeRefused},
      {"bad-utf8", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">caf\xE9 \xC0\xAF \xED\xA0\x80</subfield></datafield>", Expect::SomeRefused},
      {"lt-in-attribute", "<datafield tag=\"245\" ind1=\"<\" ind2=\"0\"><subfield code=\"a\">x</subfield></datafield>", Expect::SomeRefused},
      {"duplicate-attribute", "<datafield tag=\"245\" tag=\"246\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">x</subfield></datafield>", Expect::SomeRefused},
      {"no-blank-between-attributes", "<datafield tag=\"245\"ind1=\"1\" ind2=\"0\"><subfield code=\"a\">x</subfield></datafield>", Expect::SomeRefused},
      {"unquoted-attribute", "<datafield tag=245 ind1=\"1\" ind2=\"0\"><subfield code=\"a\">x</subfield></datafield>", Expect::SomeRefused},
      {"mismatched-tag", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">x</datafield>", Expect::SomeRefused},
      {"unclosed-element", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">x</subfield>", Expect::SomeRefused},
      {"unbound-attribute-prefix", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\" q:x=\"1\"><subfield code=\"a\">x</subfield></datafield>", Expect::SomeRefused},
      {"unbound-element-prefix", "<q:datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><q:subfield code=\"a\">x</q:subfield></q:datafield>", Expect::SomeRefused},
      {"foreign-element", "<x:identifier xmlns:x=\"urn:x\">oai:1</x:identifier><datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">x</subfield></datafield>", Expect::SomeRefused},
      {"unknown-element", "<identifier>oai:1</identifier><datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">x</subfield></datafield>", Expect::SomeRefused},
      {"text-in-record", "stray text<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">x</subfield></datafield>", Expect::SomeRefused},
      {"element-in-subfield", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">x<b>y</b>z</subfield></datafield>", Expect::SomeRefused},
      {"text-in-datafield", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\">loose<subfield code=\"a\">x</subfield></datafield>", Expect::SomeRefused},
      {"second-leader", "<leader>00000cam a2200000 a 4500</leader>", Expect::SomeRefused},
      {"short-leader", "<leader>00000nam</leader>", Expect::SomeRefused},
      {"empty-datafield", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"/>", Expect::SomeRefused},
      {"missing-code", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield>x</subfield></datafield>", Expect::SomeRefused},
      {"long-code", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"ab\">x</subfield></datafield>", Expect::SomeRefused},
      {"long-indicator", "<datafield tag=\"245\" ind1=\"12\" ind2=\"0\"><subfield code=\"a\">x</subfield></datafield>", Expect::SomeRefused},
      {"non-ascii-indicator", "<datafield tag=\"245\" ind1=\"\xC3\xA9\" ind2=\"0\"><subfield code=\"a\">x</subfield></datafield>", Expect::SomeRefused},
      {"short-tag", "<datafield tag=\"45\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">x</subfield></datafield>", Expect::SomeRefused},
      {"long-tag", "<datafield tag=\"2456\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">x</subfield></datafield>", Expect::SomeRefused},
      {"no-tag", "<controlfield>x</controlfield>", Expect::SomeRefused},
      {"nested-record", "<record><leader>00000nam a2200000 a 4500</leader><controlfield tag=\"001\">n</controlfield></record>", Expect::SomeRefused},
      {"xmlns-on-field", "<datafield xmlns=\"http://www.loc.gov/MARC21/slim\" tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">x</subfield></datafield>", Expect::SomeRefused},
      {"junk-between-fields", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">x</subfield></datafield></record>junk<record>", Expect::SomeRefused},
  };
  for (const Odd& o : odd) {
    g.push_back({std::string("default-ns-") + o.name, gen_collection(h_default, "", o.field), o.expect});
    g.push_back({std::string("no-ns-") + o.name, gen_collection(h_none, "", o.field), o.expect});
    // Prefixed: every element name in the odd text gains "marc:".
    std::string f = o.field;
    for (const char* el : {"datafield", "subfield", "controlfield", "leader", "record", "identifier", "b"}) {
      for (const std::string& open : {std::string("<") + el, std::string("</") + el}) {
        for (std::size_t at = f.find(open); at != std::string::npos; at = f.find(open, at + 1)) {
          const char next = at + open.size() < f.size() ? f[at + open.size()] : '\0';
          if (next == ' ' || next == '>' || next == '/' || next == '\t' || next == '\n')
            f.insert(at + open.size() - std::strlen(el), "marc:"), at += 5;
        }
      }
    }
    g.push_back({std::string("prefix-") + o.name, gen_collection(h_prefix, "marc:", f), o.expect});
  }
  // Record-level namespace variants.
  auto records = [&](const std::string& third) {
    std::string d = decl + "<collection>";
    for (int i = 1; i <= 6; ++i) {
      std::string r = gen_record("", i);
      if (i == 3) r.replace(0, std::strlen("<record>"), third);
      else r.replace(0, std::strlen("<record>"), "<record xmlns=\"" + ns + "\" type=\"Bibliographic\">");
      d += "\n" + r;
    }
    return d + "\n</collection>\n";
  };
  g.push_back({"ns-on-each-record", records("<record xmlns=\"" + ns + "\">"), Expect::AllFast});
  g.push_back({"record-xsi-bound", records("<record xmlns=\"" + ns + "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"x\" id='r3'>"), Expect::AllFast});
  g.push_back({"record-xsi-unbound", records("<record xmlns=\"" + ns + "\" xsi:type=\"x\">"), Expect::SomeRefused});
  g.push_back({"record-foreign-ns", records("<record xmlns=\"urn:not-marc\">"), Expect::SomeRefused});
  g.push_back({"record-empty-prefix-binding", records("<record xmlns:m=\"\">"), Expect::SomeRefused});
  g.push_back({"record-ns-undeclared", records("<record xmlns=\"\">"), Expect::AllFast});
  {
    // Children under another prefix bound to the same namespace.
    std::string d = gen_collection(h_prefix, "marc:");
    const std::size_t at = d.find("<marc:record>", d.find("id2"));
    d.replace(at, std::strlen("<marc:record>"), "<marc:record xmlns:m=\"" + ns + "\">");
    g.push_back({"record-second-prefix-unused", d, Expect::AllFast});
  }
  // Between and after the records.
  {
    std::string d = gen_collection(h_default, "");
    const std::size_t at = d.find("<record>", d.find("id3"));
    g.push_back({"comment-between-records", std::string(d).insert(at, "<!-- c -->"), Expect::SomeRefused});
    g.push_back({"pi-between-records", std::string(d).insert(at, "<?pi x?>"), Expect::SomeRefused});
    g.push_back({"text-between-records", std::string(d).insert(at, "loose text"), Expect::SomeRefused});
    g.push_back({"other-element-between-records", std::string(d).insert(at, "<header><id>1</id></header>"), Expect::SomeRefused});
    g.push_back({"leader-outside-record", std::string(d).insert(at, "<leader>x</leader>"), Expect::SomeRefused});
    g.push_back({"trailing-comment", gen_collection(h_default, "", {}, "\n<!-- end -->\n"), Expect::SomeRefused});
    g.push_back({"trailing-junk", gen_collection(h_default, "", {}, "\njunk\n"), Expect::SomeRefused});
    std::string second = "\n";  // appended: "\n" + std::string is a GCC 12 -O3 -Wrestrict false positive
    second += gen_collection(h_default, "");
    g.push_back({"second-document", gen_collection(h_default, "", {}, second), Expect::SomeRefused});
    g.push_back({"truncated", d.substr(0, d.size() - 20), Expect::SomeRefused});
    g.push_back({"root-end-with-blank", d.substr(0, d.rfind("</collection>")) + "</collection >\n", Expect::SomeRefused});
  }
  return g;
}

}  // namespace

class TestStreamPipeline : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void sameAsSerialReader_data();
  void sameAsSerialReader();
  void xmlChunksRunInParallel();
  void serialTakesOverAtABadChunk();
  void consumerStopsEarly();
  void transformRunsAndErrorsReachTheCaller();
  void mappedReadReleasesPagesAndLosesNothing();
  void fastXmlSameAsExpatOnFixtures();
  void fastXmlSameAsExpatOnGenerated();
  void jsonChunksRunInParallel();
  void fastJsonSameAsStreamingOnFixtures();
  void fastJsonSameAsStreamingOnGenerated();
  void textLeadersKeptOnRequest();
};

void TestStreamPipeline::sameAsSerialReader_data() {
  QTest::addColumn<QString>("file");
  QTest::addColumn<int>("mode");
  const QStringList files = fixtures();
  QVERIFY(files.size() >= 30);
  // Under ThreadSanitizer one mode, and the files under 100 KB (the larger ones hold more
  // records of the same kinds), keep the run short.
  const bool fast = test::small_data();
  int rows = 0;
  for (const QString& f : files) {
    if (fast && QFileInfo(test::data_dir() + "/" + f).size() > 100 * 1024) continue;
    for (int m : {int(ReadMode::Strict), int(ReadMode::Permissive), int(ReadMode::Recover)})
      if (!fast || m == int(ReadMode::Permissive)) {
        QTest::newRow(qPrintable(f + " mode " + QString::number(m))) << f << m;
        ++rows;
      }
  }
  QVERIFY(rows >= 30);
}

void TestStreamPipeline::sameAsSerialReader() {
  QFETCH(QString, file);
  QFETCH(int, mode);
  const std::string path = test::data_path(file);
  const Format format = format_of(file);
  const Trace want = serial(path, format, ReadMode(mode));
  struct Setting {
    unsigned threads;
    std::size_t chunk, batch;
  };
  // Chunks of 1 byte: one record per chunk; 700: a few; 1 MB: the whole file in one.
  for (const Setting s : {Setting{1, 1u << 20, 1000}, Setting{2, 1, 1}, Setting{4, 700, 7}, Setting{3, 1, 1000}}) {
    const Trace got = piped(path, format, ReadMode(mode), s.threads, s.chunk, s.batch);
    if (got.lines != want.lines) {
      std::size_t i = 0;
      while (i < got.lines.size() && i < want.lines.size() && got.lines[i] == want.lines[i]) ++i;
      QFAIL(qPrintable(QString("threads %1 chunk %2 batch %3: first difference at line %4:\n got: %5\nwant: %6")
                           .arg(s.threads).arg(s.chunk).arg(s.batch).arg(i)
                           .arg(i < got.lines.size() ? QString::fromStdString(got.lines[i]) : "(end)")
                           .arg(i < want.lines.size() ? QString::fromStdString(want.lines[i]) : "(end)")));
    }
  }
}

void TestStreamPipeline::xmlChunksRunInParallel() {
  // Clean collections of several records: with 1-byte chunks every record is its own chunk,
  // parsed in parallel, and no chunk needs the serial reader.
  int checked = 0;
  for (const QString f : {"pairs/marcjs-bib.xml", "pairs/marcperl-camel-batch-ns.xml", "pairs/marcperl-camel-batch.xml",
                          "pairs/traject-test_data.utf8.marc.xml", "xml/solrmarc-specTestRecs_withBOM.xml"}) {
    const std::string path = test::data_path(f);
    StreamPipelineResult r;
    const Trace got = piped(path, Format::MarcXml, ReadMode::Permissive, 2, 1, 1000, &r);
    const Trace want = serial(path, Format::MarcXml, ReadMode::Permissive);
    QCOMPARE(got.lines, want.lines);
    QVERIFY2(want.records >= 6, qPrintable(f));
    QVERIFY2(!r.serial_fallback, qPrintable(f));
    QCOMPARE(r.parallel_chunks, want.records);  // the last chunk also holds the root's end tag
    QCOMPARE(r.records_seen, want.records);
    ++checked;
  }
  QCOMPARE(checked, 5);
}

void TestStreamPipeline::serialTakesOverAtABadChunk() {
  // A collection whose third record is broken: the first two come from parallel chunks, the
  // serial reader reports the error exactly as it would alone and delivers the rest.
  const std::string good = test::read_bytes("pairs/marcperl-camel-batch-ns.xml");
  QVERIFY(!good.empty());
  const std::size_t first_end = good.find("</marc:record>");
  const std::size_t second_end = good.find("</marc:record>", first_end + 1);
  const std::size_t third_start = good.find("<marc:record", second_end);
  QVERIFY(third_start != std::string::npos);
  std::string bad = good;
  bad.insert(good.find("<marc:datafield", third_start),
             "<marc:datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><marc:subfield code=\"a\">x</marc:datafield>");
  const QString tmp = QDir::tempPath() + "/marcscope-stream-pipeline-bad.xml";
  QFile out(tmp);
  QVERIFY(out.open(QIODevice::WriteOnly));
  out.write(bad.data(), qint64(bad.size()));
  out.close();
  for (ReadMode mode : {ReadMode::Strict, ReadMode::Permissive, ReadMode::Recover}) {
    StreamPipelineResult r;
    const Trace got = piped(tmp.toStdString(), Format::MarcXml, mode, 2, 1, 1000, &r);
    const Trace want = serial(tmp.toStdString(), Format::MarcXml, mode);
    QCOMPARE(got.lines, want.lines);
    QVERIFY(r.serial_fallback);
    QCOMPARE(r.parallel_chunks, std::uint64_t(2));
    bool error_seen = false;
    for (const auto& l : got.lines) error_seen |= l.find("xml-syntax-error") != std::string::npos;
    QVERIFY(error_seen);
  }
  QFile::remove(tmp);
}

void TestStreamPipeline::consumerStopsEarly() {
  for (const QString f : {"pairs/pymarc-batch.xml", "pairs/pymarc-batch.json"}) {
    ReadOptions o;
    o.threads = 2;
    o.chunk_bytes = 1;
    o.batch_records = 1;
    std::uint64_t seen = 0;
    int calls = 0;
    run_stream_pipeline(format_of(f), open_source(test::data_path(f)), o, {}, [&](Batch& b) {
      seen += b.records.size();
      return ++calls < 2;
    });
    QCOMPARE(calls, 2);
    QCOMPARE(seen, std::uint64_t(2));
  }
}

void TestStreamPipeline::transformRunsAndErrorsReachTheCaller() {
  for (const QString& f : QStringList{"pairs/pymarc-batch.xml", "pairs/pymarc-batch.json", "mrk/marcperl-camel.mrk"}) {
    ReadOptions o;
    o.threads = 2;
    o.chunk_bytes = 1;
    o.batch_records = 2;
    std::uint64_t titles = 0, records = 0;
    run_stream_pipeline(
        format_of(f), open_source(test::data_path(f)), o,
        [](Batch& b) {
          std::uint64_t n = 0;
          for (const auto& rec : b.records) n += rec.record.first("245") != nullptr;
          b.output = std::to_string(n);
        },
        [&](Batch& b) {
          titles += std::stoull(b.output.empty() ? "0" : b.output);
          records += b.records.size();
          return true;
        });
    QVERIFY2(records > 0, qPrintable(f));
    QVERIFY2(titles > 0 && titles <= records, qPrintable(f));
    bool thrown = false;
    try {
      run_stream_pipeline(format_of(f), open_source(test::data_path(f)), o, [](Batch&) { throw std::runtime_error("boom"); },
                          [](Batch&) { return true; });
    } catch (const std::runtime_error& e) {
      thrown = std::string(e.what()) == "boom";
    }
    QVERIFY2(thrown, qPrintable(f));
  }
}

// A memory-mapped source drops the pages read() has copied out (every 8 MB); the bytes must all
// arrive, and the whole mapping must still read back through contiguous() afterwards.
void TestStreamPipeline::mappedReadReleasesPagesAndLosesNothing() {
  const QString tmp = QDir::tempPath() + "/marcscope-mapped-release.bin";
  std::string data(20u << 20, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = char((i * 2654435761u) >> 13);
  QFile out(tmp);
  QVERIFY(out.open(QIODevice::WriteOnly));
  QCOMPARE(out.write(data.data(), qint64(data.size())), qint64(data.size()));
  out.close();
  auto source = open_source(tmp.toStdString());
  QVERIFY(source->contiguous().has_value());
  std::string got;
  std::string buf(777777, '\0');
  for (std::size_t k; (k = source->read(buf.data(), buf.size())) > 0;) got.append(buf.data(), k);
  QVERIFY(got == data);
  QVERIFY(*source->contiguous() == data);
  QFile::remove(tmp);
}

namespace {

/// Reads `path` with the fast path on and off in every mode and several chunkings: the records and
/// diagnostics must be the same, and the same as the serial reader's. Adds up the chunks.
void compare_fast(const std::string& path, const QString& label, std::uint64_t& fast, std::uint64_t& chunks,
                  Format format = Format::MarcXml) {
  struct Setting {
    unsigned threads;
    std::size_t chunk, batch;
  };
  for (ReadMode mode : {ReadMode::Strict, ReadMode::Permissive, ReadMode::Recover}) {
    const Trace want = serial(path, format, mode);
    for (const Setting s : {Setting{1, 1u << 20, 1000}, Setting{2, 1, 1}, Setting{3, 600, 7}, Setting{2, 2500, 3}}) {
      StreamPipelineResult on, off;
      const Trace a = piped(path, format, mode, s.threads, s.chunk, s.batch, &on, true);
      const Trace b = piped(path, format, mode, s.threads, s.chunk, s.batch, &off, false);
      const QString where = label + QString(" mode %1 threads %2 chunk %3").arg(int(mode)).arg(s.threads).arg(s.chunk);
      if (a.lines != b.lines || a.lines != want.lines) {
        const Trace& other = a.lines != b.lines ? b : want;
        std::size_t i = 0;
        while (i < a.lines.size() && i < other.lines.size() && a.lines[i] == other.lines[i]) ++i;
        QFAIL(qPrintable(where + QString(": first difference at line %1:\n fast: %2\nother: %3")
                                     .arg(i)
                                     .arg(i < a.lines.size() ? QString::fromStdString(a.lines[i]) : "(end)")
                                     .arg(i < other.lines.size() ? QString::fromStdString(other.lines[i]) : "(end)")));
      }
      QVERIFY2(off.fast_chunks == 0, qPrintable(where));
      QVERIFY2(on.fast_chunks <= on.parallel_chunks, qPrintable(where));
      QCOMPARE(on.serial_fallback, off.serial_fallback);
      QCOMPARE(on.parallel_chunks, off.parallel_chunks);
      fast += on.fast_chunks;
      chunks += on.parallel_chunks;
    }
  }
}

}  // namespace

void TestStreamPipeline::fastXmlSameAsExpatOnFixtures() {
  const QStringList files = all_xml_fixtures();
  QVERIFY(files.size() >= 70);
  const bool small = test::small_data();
  std::uint64_t fast = 0, chunks = 0;
  int read = 0;
  for (const QString& f : files) {
    if (small && QFileInfo(test::data_dir() + "/" + f).size() > 100 * 1024) continue;
    compare_fast(test::data_path(f), f, fast, chunks);
    ++read;
  }
  QVERIFY(read >= 30);
  qInfo("%d files: %llu of %llu parallel chunks read by the fast path", read, (unsigned long long)fast,
        (unsigned long long)chunks);
  // The fixtures hold clean collections: the fast path must have read a good part of them.
  QVERIFY2(fast * 4 >= chunks && fast > 100, qPrintable(QString("%1 of %2 chunks fast").arg(fast).arg(chunks)));
}

void TestStreamPipeline::fastXmlSameAsExpatOnGenerated() {
  const QString tmp = QDir::tempPath() + "/marcscope-fast-xml-" + QString::number(QCoreApplication::applicationPid()) + ".xml";
  int all_fast = 0, refused = 0;
  for (const Generated& g : generated_xml()) {
    QFile out(tmp);
    QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
    out.write(g.text.data(), qint64(g.text.size()));
    out.close();
    std::uint64_t fast = 0, chunks = 0;
    compare_fast(tmp.toStdString(), QString::fromStdString(g.name), fast, chunks);
    // Alone (one record per chunk, permissive): which chunks the fast path took.
    StreamPipelineResult r;
    piped(tmp.toStdString(), Format::MarcXml, ReadMode::Permissive, 2, 1, 1000, &r, true);
    const QString what = QString::fromStdString(g.name) +
                         QString(": %1 of %2 chunks fast, fallback %3").arg(r.fast_chunks).arg(r.parallel_chunks).arg(r.serial_fallback);
    if (g.expect == Expect::AllFast) {
      QVERIFY2(r.parallel_chunks == 6 && r.fast_chunks == 6 && !r.serial_fallback, qPrintable(what));
      ++all_fast;
    } else if (g.expect == Expect::SomeRefused) {
      // The plain records before the odd one are read fast; the odd one is not.
      QVERIFY2(r.fast_chunks >= 2 && (r.fast_chunks < r.parallel_chunks || r.serial_fallback), qPrintable(what));
      ++refused;
    }
  }
  QFile::remove(tmp);
  QVERIFY(all_fast >= 20);
  QVERIFY(refused >= 60);
}

// ------------------------------------------------------------------ MARC-in-JSON and NDJSON

namespace {

/// The records of a fixture written one per line by the engine's own writer: NDJSON, or a MiJ
/// array with a record per line ("[\n" rec ",\n" rec "\n]").
std::vector<std::string> json_lines(const std::string& path) {
  std::vector<std::string> lines;
  ReadOptions o;
  auto stream = open_record_stream(Format::Json, open_source(path), o);
  const auto writer = make_writer(Format::NdJson);
  Record r;
  Diagnostics diags;
  while (stream->next(r, diags)) {
    std::string out;
    writer->write(r, 1, 0, out, diags);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    lines.push_back(out);
  }
  return lines;
}

std::string as_ndjson(const std::vector<std::string>& recs, const std::string& eol = "\n") {
  std::string s;
  for (const auto& r : recs) s += r + eol;
  return s;
}

std::string as_array(const std::vector<std::string>& recs) {
  std::string s = "[\n";
  for (std::size_t i = 0; i < recs.size(); ++i) s += recs[i] + (i + 1 < recs.size() ? ",\n" : "\n");
  return s + "]\n";
}

std::string one_line_array(const std::vector<std::string>& recs) {
  std::string s = "[";
  for (std::size_t i = 0; i < recs.size(); ++i) s += (i ? ", " : "") + recs[i];
  return s + "]";
}

void write_file(const QString& path, const std::string& text) {
  QFile out(path);
  QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
  out.write(text.data(), qint64(text.size()));
}

/// Six plain records, and documents made of them where the third is changed: ones the fast path
/// must read whole, and ones where it must refuse the third record's chunk.
std::vector<Generated> generated_json(std::vector<std::string> base) {
  std::vector<Generated> g;
  const std::string plain = base[2];
  auto with = [&](const std::string& name, const std::string& third, Expect e) {
    std::vector<std::string> recs = base;
    recs[2] = third;
    g.push_back({name + ".ndjson", as_ndjson(recs), e});
    g.push_back({name + ".json", as_array(recs), e});
  };
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string r = plain;
    const std::size_t at = r.find(from);
    if (at == std::string::npos) return std::string("(no " + from + ")");
    r.replace(at, from.size(), to);
    return r;
  };
  const std::string leader = plain.substr(plain.find("\"leader\":") + 10, 24);
  with("plain", plain, Expect::AllFast);
  with("escapes", replaced("\"subfields\":[", "\"subfields\":[{\"a\":\"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\\\ \\/ \\t\"},"), Expect::AllFast);
  with("control-code", replaced("\"subfields\":[", "\"subfields\":[{\"\\u0001\":\"x\"},"), Expect::AllFast);
  with("two-codes-one-object", replaced("\"subfields\":[", "\"subfields\":[{\"a\":\"x\",\"b\":\"y\"},{},"), Expect::AllFast);
  with("indicator-empty", replaced("\"subfields\":[", "\"ind2\":\"\",\"subfields\":["), Expect::AllFast);
  with("leader-twice", replaced("{\"leader\":", "{\"leader\":\"00000nam a2200000 a 4500\",\"leader\":"), Expect::AllFast);
  with("fields-twice", plain.substr(0, plain.size() - 1) + ",\"fields\":[{\"999\":\"x\"}]}", Expect::AllFast);
  with("fields-first", "{\"fields\":[{\"001\":\"x\"}],\"leader\":\"" + leader + "\"}", Expect::AllFast);
  with("leader-9-not-a", "{\"leader\":\"" + leader.substr(0, 9) + "x" + leader.substr(10) + "\",\"fields\":[{\"001\":\"x\"}]}", Expect::AllFast);
  with("long-leader", "{\"leader\":\"" + leader + " \",\"fields\":[{\"001\":\"x\"}]}", Expect::SomeRefused);
  with("blanks-around", "  \t" + plain + " \t", Expect::AllFast);
  // Refused and reported by the streaming reader (the serial reader takes over).
  with("null-indicator", replaced("\"ind1\":\"", "\"ind1\":null,\"ind9\":\""), Expect::SomeRefused);
  with("number-value", replaced("\"subfields\":[", "\"subfields\":[{\"a\":1},"), Expect::SomeRefused);
  with("true-value", replaced("\"subfields\":[", "\"subfields\":[{\"a\":true},"), Expect::SomeRefused);
  with("long-indicator", replaced("\"subfields\":[", "\"ind2\":\"10\",\"subfields\":["), Expect::SomeRefused);
  with("empty-subfields", replaced("\"subfields\":[", "\"subfields\":[]},\"x\":{\"subfields\":["), Expect::SomeRefused);
  with("no-subfields", replaced("{\"ind1\"", "{\"ind1\":\" \"},\"x\":{\"ind1\""), Expect::SomeRefused);
  with("no-leader", "{\"fields\":[{\"001\":\"x\"}]}", Expect::SomeRefused);
  with("no-fields", "{\"leader\":\"" + leader + "\",\"fields\":[]}", Expect::SomeRefused);
  with("short-leader", "{\"leader\":\"" + leader.substr(1) + "\",\"fields\":[{\"001\":\"x\"}]}", Expect::SomeRefused);
  with("leader-10-not-digit", "{\"leader\":\"" + leader.substr(0, 10) + "x" + leader.substr(11) + "\",\"fields\":[{\"001\":\"x\"}]}", Expect::SomeRefused);
  with("raw-tab", replaced("\"subfields\":[", "\"subfields\":[{\"a\":\"x\ty\"},"), Expect::SomeRefused);
  with("structure-byte", replaced("\"subfields\":[", "\"subfields\":[{\"a\":\"x\\u001fy\"},"), Expect::SomeRefused);
  with("structure-code", replaced("\"subfields\":[", "\"subfields\":[{\"\\u001F\":\"y\"},"), Expect::SomeRefused);
  with("long-code", replaced("\"subfields\":[", "\"subfields\":[{\"ab\":\"y\"},"), Expect::SomeRefused);
  with("empty-code", replaced("\"subfields\":[", "\"subfields\":[{\"\":\"y\"},"), Expect::SomeRefused);
  with("short-tag", replaced("\"fields\":[", "\"fields\":[{\"24\":\"x\"},"), Expect::SomeRefused);
  with("long-tag", replaced("\"fields\":[", "\"fields\":[{\"2450\":\"x\"},"), Expect::SomeRefused);
  with("non-ascii-tag", replaced("\"fields\":[", "\"fields\":[{\"24\xC3\xA9\":\"x\"},"), Expect::SomeRefused);
  with("two-tags", replaced("\"fields\":[", "\"fields\":[{\"500\":\"x\",\"501\":\"y\"},"), Expect::SomeRefused);
  with("empty-field", replaced("\"fields\":[", "\"fields\":[{},"), Expect::SomeRefused);
  with("array-field", replaced("\"fields\":[", "\"fields\":[{\"500\":[\"x\"]},"), Expect::SomeRefused);
  with("lone-surrogate", replaced("\"subfields\":[", "\"subfields\":[{\"a\":\"\\udc00\"},"), Expect::SomeRefused);
  with("bad-escape", replaced("\"subfields\":[", "\"subfields\":[{\"a\":\"\\x\"},"), Expect::SomeRefused);
  with("invalid-utf8", replaced("\"subfields\":[", "\"subfields\":[{\"a\":\"\xC3\x28\"},"), Expect::SomeRefused);
  with("syntax-error", replaced("\"subfields\":[", "\"subfields\":[{\"a\" \"x\"},"), Expect::SomeRefused);
  with("cut-short", plain.substr(0, plain.size() / 2), Expect::SomeRefused);
  with("not-an-object", "\"x\"", Expect::SomeRefused);
  // Refused by the fast path, read cleanly by the streaming reader (parallel chunks go on).
  with("unknown-record-key", replaced("{\"leader\":", "{\"id\":12,\"leader\":"), Expect::SomeRefused);
  with("unknown-indicator-key", replaced("{\"ind1\"", "{\"ind0\":\"1\",\"ind1\""), Expect::SomeRefused);
  with("unknown-field-key", replaced("{\"ind1\"", "{\"x\":[1,{}],\"ind1\""), Expect::SomeRefused);
  with("unicode-key", replaced("{\"leader\":", "{\"\\u006ceader\":\"x\",\"leader\":"), Expect::SomeRefused);
  {
    std::vector<std::string> recs = base;
    g.push_back({"crlf.ndjson", as_ndjson(recs, "\r\n"), Expect::AllFast});
    g.push_back({"blank-lines.ndjson", "\n\n" + as_ndjson(recs, "\n\n \n"), Expect::AllFast});
    g.push_back({"bom.ndjson", "\xEF\xBB\xBF" + as_ndjson(recs), Expect::AllFast});
    g.push_back({"bom.json", "\xEF\xBB\xBF" + as_array(recs), Expect::AllFast});
    g.push_back({"first-on-bracket-line.json", "[" + as_array(recs).substr(2), Expect::AllFast});
    g.push_back({"bracket-on-last-line.json", as_array(recs).substr(0, as_array(recs).size() - 3) + "]\n", Expect::AllFast});
    g.push_back({"comma-lines.json", "[\n" + recs[0] + "\n,\n" + recs[1] + "\n ,\n" + recs[2] + ",\n" + recs[3] + ",\n" + recs[4] + ",\n" + recs[5] + "\n]", Expect::AllFast});
    g.push_back({"trailing-comma.json", as_array(recs).substr(0, as_array(recs).size() - 3) + ",\n]\n", Expect::SomeRefused});
    g.push_back({"text-after-array.json", as_array(recs) + "x", Expect::SomeRefused});
    g.push_back({"array-after-array.json", as_array(recs) + as_array(recs), Expect::SomeRefused});
    g.push_back({"text-after-objects.ndjson", as_ndjson(recs) + "x\n", Expect::SomeRefused});
    g.push_back({"missing-comma.json", "[\n" + recs[0] + ",\n" + recs[1] + ",\n" + recs[2] + "\n" + recs[3] + ",\n" + recs[4] + ",\n" + recs[5] + "\n]", Expect::SomeRefused});
    g.push_back({"two-on-a-line.ndjson", recs[0] + "\n" + recs[1] + "\n" + recs[2] + " " + recs[3] + "\n" + recs[4] + "\n" + recs[5] + "\n", Expect::SomeRefused});
    g.push_back({"one-line.json", one_line_array(recs), Expect::Either});
    g.push_back({"pretty.ndjson", "{\n \"leader\": \"" + leader + "\",\n \"fields\": [{\"001\": \"x\"}]\n}\n" + as_ndjson(recs), Expect::Either});
    g.push_back({"array-in-objects.ndjson", recs[0] + "\n" + recs[1] + "\n[" + recs[2] + "]\n" + recs[3] + "\n", Expect::Either});
    g.push_back({"comma-ndjson.ndjson", recs[0] + ",\n" + recs[1] + "\n", Expect::Either});
  }
  return g;
}

}  // namespace

void TestStreamPipeline::jsonChunksRunInParallel() {
  // MiJ arrays and NDJSON written by the engine: with 1-byte chunks every record is its own
  // chunk, every one read by the fast path, and the same with the fast path off.
  int checked = 0;
  const QString tmp = QDir::tempPath() + "/marcscope-json-parallel-" + QString::number(QCoreApplication::applicationPid());
  for (const QString f : {"pairs/pymarc-batch.json", "pairs/traject-test_data.utf8.json"}) {
    const std::vector<std::string> recs = json_lines(test::data_path(f));
    QVERIFY2(recs.size() >= 2, qPrintable(f));
    for (const auto& [name, text, format] : {std::tuple{QString(".json"), as_array(recs), Format::Json},
                                             std::tuple{QString(".ndjson"), as_ndjson(recs), Format::NdJson}}) {
      write_file(tmp + name, text);
      for (const bool fast : {true, false}) {
        StreamPipelineResult r;
        const Trace got = piped((tmp + name).toStdString(), format, ReadMode::Permissive, 2, 1, 1000, &r, fast);
        const Trace want = serial((tmp + name).toStdString(), format, ReadMode::Permissive);
        QCOMPARE(got.lines, want.lines);
        QCOMPARE(want.records, std::uint64_t(recs.size()));
        QVERIFY2(!r.serial_fallback, qPrintable(f));
        QCOMPARE(r.parallel_chunks, want.records);
        QCOMPARE(r.fast_chunks, fast ? want.records : 0);
        QCOMPARE(r.records_seen, want.records);
      }
      QFile::remove(tmp + name);
      ++checked;
    }
  }
  QCOMPARE(checked, 4);
}

void TestStreamPipeline::fastJsonSameAsStreamingOnFixtures() {
  // Every JSON fixture as it is, and the records of each rewritten as NDJSON and as a MiJ array
  // (a record per line, the layouts the fast path reads).
  QStringList files;
  QDir root(test::data_dir());
  std::vector<QString> dirs{""};
  while (!dirs.empty()) {
    const QString dir = dirs.back();
    dirs.pop_back();
    QDir d(root.filePath(dir));
    for (const QString& f : d.entryList({"*.json", "*.ndjson", "*.jsonl"}, QDir::Files, QDir::Name))
      files << (dir.isEmpty() ? f : dir + "/" + f);
    for (const QString& sub : d.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name))
      dirs.push_back(dir.isEmpty() ? sub : dir + "/" + sub);
  }
  QVERIFY(files.size() >= 5);
  const QString tmp = QDir::tempPath() + "/marcscope-fast-json-" + QString::number(QCoreApplication::applicationPid());
  std::uint64_t fast = 0, chunks = 0;
  int read = 0;
  for (const QString& f : files) {
    const Format format = f.endsWith(".json") ? Format::Json : Format::NdJson;
    compare_fast(test::data_path(f), f, fast, chunks, format);
    const std::vector<std::string> recs = json_lines(test::data_path(f));
    if (!recs.empty()) {
      write_file(tmp + ".ndjson", as_ndjson(recs));
      compare_fast((tmp + ".ndjson").toStdString(), f + " as NDJSON", fast, chunks, Format::NdJson);
      write_file(tmp + ".json", as_array(recs));
      compare_fast((tmp + ".json").toStdString(), f + " as an array", fast, chunks, Format::Json);
    }
    ++read;
  }
  QFile::remove(tmp + ".ndjson");
  QFile::remove(tmp + ".json");
  qInfo("%d files: %llu of %llu parallel chunks read by the fast path", read, (unsigned long long)fast,
        (unsigned long long)chunks);
  QVERIFY2(fast * 3 >= chunks && fast > 100, qPrintable(QString("%1 of %2 chunks fast").arg(fast).arg(chunks)));
}

void TestStreamPipeline::fastJsonSameAsStreamingOnGenerated() {
  const std::vector<std::string> base = json_lines(test::data_path("pairs/traject-test_data.utf8.json"));
  QVERIFY(base.size() >= 6);
  const QString tmp = QDir::tempPath() + "/marcscope-fast-json-gen-" + QString::number(QCoreApplication::applicationPid());
  int all_fast = 0, refused = 0;
  for (const Generated& g : generated_json({base.begin(), base.begin() + 6})) {
    QVERIFY2(g.text.find("(no ") == std::string::npos, qPrintable(QString::fromStdString(g.name)));
    const bool nd = g.name.ends_with(".ndjson");
    const Format format = nd ? Format::NdJson : Format::Json;
    const QString path = tmp + (nd ? ".ndjson" : ".json");
    write_file(path, g.text);
    std::uint64_t fast = 0, chunks = 0;
    compare_fast(path.toStdString(), QString::fromStdString(g.name), fast, chunks, format);
    // One record per chunk, permissive: which chunks the fast path took.
    StreamPipelineResult r;
    piped(path.toStdString(), format, ReadMode::Permissive, 2, 1, 1000, &r, true);
    const QString what = QString::fromStdString(g.name) +
                         QString(": %1 of %2 chunks fast, fallback %3").arg(r.fast_chunks).arg(r.parallel_chunks).arg(r.serial_fallback);
    // (A record that does not start with "leader" is not cut before in an array: 5 chunks.)
    if (g.expect == Expect::AllFast) {
      QVERIFY2(r.parallel_chunks >= 5 && r.fast_chunks == r.parallel_chunks && !r.serial_fallback, qPrintable(what));
      ++all_fast;
    } else if (g.expect == Expect::SomeRefused) {
      // The plain records before the odd one are read fast (in an array, the odd record may
      // share a chunk with the one before it); the odd one is not.
      QVERIFY2(r.fast_chunks >= 1 && (r.fast_chunks < r.parallel_chunks || r.serial_fallback), qPrintable(what));
      ++refused;
    }
    QFile::remove(path);
  }
  QVERIFY(all_fast >= 20);
  QVERIFY(refused >= 60);
}

// DecodeOptions::leader_utf8 off (the Python module's pymarc-compatible readers): a MARCXML,
// MARC-in-JSON or .mrk record keeps the leader its document writes, leader/09 included, on the
// fast paths (pugixml, simdjson) and the streaming readers alike; on (the default) leader/09 is 'a'.
void TestStreamPipeline::textLeadersKeptOnRequest() {
  const std::vector<std::string> leaders = {"00000cam  2200000 a 4500", "00000nam  2200000   4500", "00000cas a2200000 i 4500",
                                            "00000ngm  2200000 a 4500"};
  std::string xml = "<?xml version=\"1.0\"?>\n<collection xmlns=\"http://www.loc.gov/MARC21/slim\">\n";
  std::string ndjson, mrk;
  for (std::size_t i = 0; i < 40; ++i) {
    const std::string& l = leaders[i % leaders.size()];
    const std::string id = std::to_string(i + 1);
    xml += "<record><leader>" + l + "</leader><controlfield tag=\"001\">" + id +
           "</controlfield><datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">Caf\xC3\xA9 " + id +
           "</subfield></datafield></record>\n";
    ndjson += "{\"leader\":\"" + l + "\",\"fields\":[{\"001\":\"" + id +
              "\"},{\"245\":{\"ind1\":\"1\",\"ind2\":\"0\",\"subfields\":[{\"a\":\"Caf\xC3\xA9 " + id + "\"}]}}]}\n";
    mrk += "=LDR  " + l + "\n=001  " + id + "\n=245  10$aCaf\xC3\xA9 " + id + "\n\n";
  }
  xml += "</collection>\n";
  const QString tmp = QDir::tempPath() + "/marcscope-leaders-" + QString::number(QCoreApplication::applicationPid());
  struct Doc {
    Format format;
    QString path;
  };
  const std::vector<Doc> docs = {{Format::MarcXml, tmp + ".xml"}, {Format::NdJson, tmp + ".ndjson"}, {Format::Mrk, tmp + ".mrk"}};
  write_file(docs[0].path, xml);
  write_file(docs[1].path, ndjson);
  write_file(docs[2].path, mrk);
  for (const Doc& doc : docs) {
    for (const bool keep : {true, false}) {
      for (const bool fast : {true, false}) {
        ReadOptions o;
        o.decode.leader_utf8 = !keep;
        o.fast_xml = fast;
        o.fast_json = fast;
        o.threads = 2;
        o.chunk_bytes = 512;  // several records a chunk, many chunks
        std::vector<std::string> got;
        Diagnostics diags;
        const StreamPipelineResult r = run_stream_pipeline(doc.format, open_source(doc.path.toStdString()), o, {}, [&](Batch& b) {
          for (const auto& rec : b.records) {
            got.push_back(rec.record.leader());
            const Field* title = rec.record.first("245");
            // Unicode values, as with leader/09 'a'.
            if (rec.as_is || !title || title->subfields().at(0).value != "Caf\xC3\xA9 " + std::to_string(got.size()))
              got.back() = "record " + std::to_string(got.size()) + " not as written";
          }
          diags.insert(diags.end(), b.diagnostics.begin(), b.diagnostics.end());
          return true;
        });
        const QString what = QString("format %1, keep %2, fast %3").arg(int(doc.format)).arg(keep).arg(fast);
        QVERIFY2(diags.empty(), qPrintable(what));
        QCOMPARE(got.size(), std::size_t(40));
        for (std::size_t i = 0; i < got.size(); ++i) {
          std::string want = leaders[i % leaders.size()];
          if (!keep) want[9] = 'a';
          QVERIFY2(got[i] == want, qPrintable(what + ": " + QString::fromStdString(got[i])));
        }
        // The fast paths did read these documents (.mrk has none).
        if (fast && doc.format != Format::Mrk) QVERIFY2(r.fast_chunks > 0, qPrintable(what));
      }
    }
    QFile::remove(doc.path);
  }
}

QTEST_GUILESS_MAIN(TestStreamPipeline)
#include "test_stream_pipeline.moc"
