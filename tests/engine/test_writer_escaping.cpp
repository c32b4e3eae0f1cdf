// Escaping in the MARCXML and MARC-in-JSON writers against simple reference escapers written
// here: every special character (markup, quotes, control characters, valid and invalid UTF-8) at
// every position of values of 0 to 40 bytes (the writers look at sixteen bytes at a time, then
// eight), in
// element content, attribute values, control fields, JSON keys and strings, indented or not;
// random values; runs of characters that expand when escaped; values long enough to make the
// output grow while one is escaped; many records appended to one string.
#include <QtTest>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "marcscope/core/diagnostic.h"
#include "marcscope/model/record.h"
#include "marcscope/formats/record_stream.h"

using namespace marcscope;

namespace {

// ---------------------------------------------------------------------------------------------
// Reference escapers: one code point at a time, by the definition of UTF-8.
// ---------------------------------------------------------------------------------------------

const std::string kFffd = "\xEF\xBF\xBD";

/// Length of the code point at s[i] (its value in cp), or 0 when the bytes there are not UTF-8:
/// a bad lead byte, a missing continuation byte, an overlong form, a surrogate, > U+10FFFF.
std::size_t decode(const std::string& s, std::size_t i, char32_t& cp) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t len;
  char32_t v;
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    v = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    v = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    v = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMin[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  cp = v;
  return len;
}

struct Escaped {
  std::string text;
  std::size_t control = 0;  ///< characters replaced because the format cannot hold them
  std::size_t invalid = 0;  ///< bytes replaced because they are not UTF-8
  char32_t first_control = 0;
  std::size_t structure = 0;  ///< ISO 2709's 0x1D-0x1F, which no writer writes inside a value
  char32_t first_structure = 0;
};

/// 0x1D-0x1F become U+FFFD in every format; true when `cp` was one.
bool structure(char32_t cp, Escaped& e) {
  if (cp < 0x1D || cp > 0x1F) return false;
  e.text += kFffd;
  if (e.structure++ == 0) e.first_structure = cp;
  return true;
}

/// Both references: each character of `s` goes to `escape(cp, bytes, e)`, each byte that does not
/// start a valid UTF-8 sequence becomes U+FFFD and counts as invalid.
template <class Escape>
Escaped escape_each(const std::string& s, Escape escape) {
  Escaped e;
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const std::size_t len = decode(s, i, cp);
    if (len == 0) {
      e.text += kFffd;
      ++e.invalid;
      ++i;
      continue;
    }
    escape(cp, std::string_view(s).substr(i, len), e);
    i += len;
  }
  return e;
}

/// XML 1.0 text or a double-quoted attribute value. The writer names a character it replaces by
/// its code point (a control character by its byte), and so does this.
Escaped ref_xml(const std::string& s, bool attr) {
  return escape_each(s, [attr](char32_t cp, std::string_view bytes, Escaped& e) {
    if (structure(cp, e)) return;
    const bool not_xml = cp == 0xFFFE || cp == 0xFFFF || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r');
    if (not_xml) {
      e.text += kFffd;
      if (e.control++ == 0) e.first_control = cp;
    } else if (cp == '&') {
      e.text += "&amp;";
    } else if (cp == '<') {
      e.text += "&lt;";
    } else if (cp == '>') {
      e.text += "&gt;";
    } else if (cp == '\r') {
      e.text += "&#13;";
    } else if (attr && cp == '"') {
      e.text += "&quot;";
    } else if (attr && cp == '\n') {
      e.text += "&#10;";
    } else if (attr && cp == '\t') {
      e.text += "&#9;";
    } else {
      e.text += bytes;
    }
  });
}

/// The inside of a JSON string.
Escaped ref_json(const std::string& s) {
  return escape_each(s, [](char32_t cp, std::string_view bytes, Escaped& e) {
    if (structure(cp, e)) return;
    switch (cp) {
      case '"': e.text += "\\\""; break;
      case '\\': e.text += "\\\\"; break;
      case '\n': e.text += "\\n"; break;
      case '\r': e.text += "\\r"; break;
      case '\t': e.text += "\\t"; break;
      case '\b': e.text += "\\b"; break;
      case '\f': e.text += "\\f"; break;
      default:
        if (cp < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          e.text += "\\u00";
          e.text += kHex[cp >> 4];
          e.text += kHex[cp & 15];
        } else {
          e.text += bytes;
        }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/// Pieces that need a look, and some that look like them but do not.
const std::vector<std::string>& units() {
  static const std::vector<std::string> u = {
      "&", "<", ">", "\"", "'", "\\", "\t", "\n", "\r", std::string(1, '\0'), "\x01", "\x08", "\x0c", "\x1c", "\x1d",
      "\x1e", "\x1f",
      "\x7f", " ", "=", "?", "@", ";", "%",
      // valid UTF-8
      "\xC2\x80", "\xC3\xA9", "\xDF\xBF", "\xE0\xA0\x80", "\xE2\x82\xAC", "\xED\x9F\xBF", "\xEE\x80\x80",
      "\xEF\xBF\xBD", "\xEF\xBF\xBE", "\xEF\xBF\xBF", "\xF0\x90\x80\x80", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF",
      // invalid: lone continuation bytes, bad lead bytes, truncated sequences, overlongs,
      // surrogates, beyond U+10FFFF
      "\x80", "\xBF", "\xC0\xAF", "\xC1\xBF", "\xF5\x80\x80\x80", "\xF8", "\xFE", "\xFF", "\xC3", "\xE2\x82",
      "\xF0\x9F\x98", "\xE0\x80\xAF", "\xE0\x9F\xBF", "\xF0\x80\x80\x80", "\xF0\x8F\xBF\xBF", "\xED\xA0\x80",
      "\xED\xBF\xBF", "\xF4\x90\x80\x80", "\xEF\xBF", "\xC3\xC3\xA9"};
  return u;
}

/// Plain bytes around the units: letters, digits and the punctuation next to the special ones.
std::string filler(std::size_t n, std::size_t seed) {
  static const std::string kPlain = "a !#$%()*+,-./09:;=?@AZ[]^_`az{|}~";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += kPlain[(seed * 7 + i) % kPlain.size()];
  return s;
}

/// Every unit at every position of values of 0 to 40 bytes: two blocks of sixteen, then words.
std::vector<std::string> positional_values() {
  std::vector<std::string> out;
  for (std::size_t len = 0; len <= 40; ++len) {
    out.push_back(filler(len, len));
    for (std::size_t u = 0; u < units().size(); ++u) {
      const std::string& unit = units()[u];
      if (unit.size() > len) continue;
      for (std::size_t at = 0; at + unit.size() <= len; ++at)
        out.push_back(filler(at, u) + unit + filler(len - at - unit.size(), u + at));
    }
  }
  return out;
}

/// Random values: units and plain bytes mixed, and raw random bytes.
std::vector<std::string> random_values() {
  std::mt19937 rng(20240611);
  std::vector<std::string> out;
  for (int k = 0; k < 3000; ++k) {
    std::string s;
    const int pieces = static_cast<int>(rng() % 24);
    for (int p = 0; p < pieces; ++p) {
      if (rng() % 2)
        s += units()[rng() % units().size()];
      else
        s += filler(rng() % 9, rng());
    }
    out.push_back(s);
  }
  for (int k = 0; k < 3000; ++k) {
    std::string s(rng() % 40, '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 256);
    out.push_back(s);
  }
  return out;
}

/// Runs of characters whose escaped form is longer (up to 6 bytes for 1), of every length up to
/// 400, alone and after plain text: their expansion eats the room that a writer keeps after each
/// value for the markup that follows.
std::vector<std::string> run_values() {
  std::vector<std::string> out;
  for (const std::string unit : {"&", "\"", "\x01", "\x80", "\\", "\r"})
    for (std::size_t k = 0; k <= 400; ++k) {
      std::string run;
      for (std::size_t j = 0; j < k; ++j) run += unit;
      out.push_back(run);
      if (k % 7 == 0) out.push_back(filler(k * 3, k) + run);
    }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writing one value
// ---------------------------------------------------------------------------------------------

enum class Place { Subfield, Control, Tag };

Record record_with(Place place, const std::string& v) {
  Record r;
  r.set_leader("00000nam a2200000 i 4500");
  r.add_field(Field("001", place == Place::Control ? v : std::string("ID")));
  r.add_field(Field(place == Place::Tag ? v : std::string("245"), '1', '0',
                    {{'a', place == Place::Subfield ? v : std::string("T")}, {'b', "rest"}}));
  r.add_field(Field("650", ' ', '0', {{'a', "Subject"}}));
  return r;
}

std::string write_one(Format format, bool pretty, const Record& r, Diagnostics& diags) {
  WriterOptions options;
  options.pretty = pretty;
  auto writer = make_writer(format, options);
  std::string out;
  writer->write(r, 7, 4711, out, diags);
  return out;
}

/// Replaces the one occurrence of `from` in `s`.
bool replace_once(std::string& s, const std::string& from, const std::string& to) {
  const std::size_t at = s.find(from);
  if (at == std::string::npos || s.find(from, at + 1) != std::string::npos) return false;
  s.replace(at, from.size(), to);
  return true;
}

std::string show(const std::string& s) {
  std::string out;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

/// Checks the output and the warnings of writing `v` at `place`: the output must be that of a
/// plain value with the reference escaping in its place.
bool check_value(Format format, bool pretty, Place place, const std::string& v, QString& why) {
  const bool xml = format == Format::MarcXml;
  const bool attr = place == Place::Tag;
  const Escaped ref = xml ? ref_xml(v, attr) : ref_json(v);

  // The same record with a plain marker value, then the marker replaced by the reference text.
  static const std::string kMarker = "MARKER";
  Diagnostics plain_diags;
  std::string expected = write_one(format, pretty, record_with(place, kMarker), plain_diags);
  if (!plain_diags.empty()) {
    why = "warnings for the plain record";
    return false;
  }
  std::string from, to;
  if (xml) {
    from = place == Place::Tag ? "tag=\"" + kMarker + "\"" : ">" + kMarker + "<";
    to = place == Place::Tag ? "tag=\"" + ref.text + "\"" : ">" + ref.text + "<";
  } else {
    from = "\"" + kMarker + "\"";
    to = "\"" + ref.text + "\"";
  }
  if (!replace_once(expected, from, to)) {
    why = "marker not found once";
    return false;
  }

  Diagnostics diags;
  const std::string got = write_one(format, pretty, record_with(place, v), diags);
  if (got != expected) {
    why = QString::fromStdString("value \"" + show(v) + "\":\n   got: " + show(got) + "\n  want: " + show(expected));
    return false;
  }

  // Warnings: one for characters the format cannot hold, one for invalid UTF-8, in that order.
  const std::string where = place == Place::Tag ? ref.text : place == Place::Control ? "001" : "245";
  std::vector<std::pair<Code, std::string>> want;
  if (ref.control) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string first = "(first ";
    if (ref.first_control < 0x80) {
      first += "0x";
      first += kHex[ref.first_control >> 4];
      first += kHex[ref.first_control & 15];
    } else {
      char buf[16];
      std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(ref.first_control));
      first += buf;
    }
    first += ")";
    want.emplace_back(Code::ControlCharacter, std::to_string(ref.control) + " character(s) in ");
    want.back().second += first;  // checked as two parts below
  }
  if (ref.structure) {
    static constexpr const char* kNames[] = {"0x1D (record terminator)", "0x1E (field terminator)", "0x1F (subfield delimiter)"};
    const std::string first = kNames[ref.first_structure - 0x1D];
    want.emplace_back(Code::StructureByteInData,
                      ref.structure == 1 ? first : std::to_string(ref.structure) + " structure bytes (first " + first + ")");
  }
  if (ref.invalid) want.emplace_back(Code::InvalidUtf8, std::to_string(ref.invalid) + " invalid UTF-8 sequence(s)");
  if (diags.size() != want.size()) {
    why = QString::fromStdString("value \"" + show(v) + "\": " + std::to_string(diags.size()) + " warnings, want " +
                                 std::to_string(want.size()));
    return false;
  }
  for (std::size_t k = 0; k < want.size(); ++k) {
    const Diagnostic& d = diags[k];
    bool ok = d.code == want[k].first && d.severity == Severity::Warning && d.record == 7 && d.offset == 4711;
    if (want[k].first == Code::ControlCharacter) {
      const std::string& w = want[k].second;
      const std::size_t cut = w.find("(first");
      ok = ok && d.message.rfind(w.substr(0, cut), 0) == 0 && d.message.find(w.substr(cut)) != std::string::npos;
    } else {
      ok = ok && d.message.rfind(want[k].second, 0) == 0;
    }
    if (place != Place::Tag) ok = ok && d.tag == where && d.subfield == (place == Place::Subfield ? 'a' : 0);
    if (!ok) {
      why = QString::fromStdString("value \"" + show(v) + "\": warning \"" + d.message + "\"");
      return false;
    }
  }
  return true;
}

}  // namespace

class TestWriterEscaping : public QObject {
  Q_OBJECT

 private:
  void sweep(const std::vector<std::string>& values, bool with_pretty) {
    QFETCH(int, format);
    QFETCH(int, place);
    int checked = 0;
    for (const bool pretty : {false, true}) {
      if (pretty && !with_pretty) continue;
      for (const auto& v : values) {
        QString why;
        if (!check_value(static_cast<Format>(format), pretty, static_cast<Place>(place), v, why))
          QFAIL(qPrintable((pretty ? QStringLiteral("pretty: ") : QString()) + why));
        ++checked;
      }
    }
    QVERIFY(checked > 0);
  }
  static void places() {
    QTest::addColumn<int>("format");
    QTest::addColumn<int>("place");
    for (const Format f : {Format::MarcXml, Format::Json, Format::NdJson})
      for (const Place p : {Place::Subfield, Place::Control, Place::Tag})
        QTest::addRow("%s/%s", f == Format::MarcXml ? "marcxml" : f == Format::Json ? "json" : "ndjson",
                      p == Place::Subfield ? "subfield" : p == Place::Control ? "controlfield" : "tag")
            << static_cast<int>(f) << static_cast<int>(p);
  }

 private Q_SLOTS:
  void referenceEscapers() {
    // The references themselves, on hand-made cases.
    QCOMPARE(ref_xml("a<b>&\"'\t\n\r", false).text, std::string("a&lt;b&gt;&amp;\"'\t\n&#13;"));
    QCOMPARE(ref_xml("a<b>&\"'\t\n\r", true).text, std::string("a&lt;b&gt;&amp;&quot;'&#9;&#10;&#13;"));
    const Escaped bad = ref_xml("\x01x\x80\xE2\x82" "A\xEF\xBF\xBE", false);
    QCOMPARE(bad.text, std::string("\xEF\xBF\xBDx\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "A\xEF\xBF\xBD"));
    QCOMPARE(bad.control, std::size_t(2));
    QCOMPARE(bad.invalid, std::size_t(3));
    QCOMPARE(bad.first_control, U'\x01');
    QCOMPARE(ref_xml("A\xEF\xBF\xBF\x01", false).first_control, U'\uFFFF');
    QCOMPARE(ref_json(std::string("\"\\\b\f\x01\x1c\x7f", 7)).text, std::string("\\\"\\\\\\b\\f\\u0001\\u001c\x7f"));
    const Escaped st = ref_json("a\x1E" "b\x1D\x1F");
    QCOMPARE(st.text, "a" + kFffd + "b" + kFffd + kFffd);
    QCOMPARE(st.structure, std::size_t(3));
    QCOMPARE(st.first_structure, U'\x1E');
    QCOMPARE(ref_xml("\x1F", false).control, std::size_t(0));
    QCOMPARE(ref_json("\xC3\xA9\xC3").text, std::string("\xC3\xA9\xEF\xBF\xBD"));
  }

  void positions_data() { places(); }
  void positions() { sweep(positional_values(), true); }

  void randomValues_data() { places(); }
  void randomValues() { sweep(random_values(), false); }

  void longValues_data() { places(); }
  void longValues() {
    // Values whose escaped form is many times longer than the value and than the room a writer
    // makes at a time.
    std::vector<std::string> values = {std::string(20000, '&'), std::string(20000, '"'), std::string(5000, '\x01'),
                                       std::string(5000, '\x80'), filler(30000, 3)};
    std::string mixed;
    for (int k = 0; k < 3000; ++k) mixed += units()[static_cast<std::size_t>(k) % units().size()] + filler(k % 11, k);
    values.push_back(mixed);
    sweep(values, true);
  }

  void escapeRuns_data() { places(); }
  void escapeRuns() { sweep(run_values(), true); }

  void manyRecordsAppended() {
    // Records appended one after the other to a string that already holds something: the result
    // is the concatenation of the records written alone.
    auto values = random_values();
    const auto runs = run_values();
    values.insert(values.end(), runs.begin(), runs.end());
    for (const Format f : {Format::MarcXml, Format::NdJson, Format::Json}) {
      auto writer = make_writer(f);
      std::string out = "PREFIX";
      std::string want = "PREFIX";
      Diagnostics diags, want_diags;
      for (std::size_t k = 0; k < 2000; ++k) {
        const Record r = record_with(static_cast<Place>(k % 3), values[k * 7 % values.size()]);
        writer->write(r, 7, 4711, out, diags);
        if (f == Format::Json && k > 0) want += ",\n";
        want += write_one(f, false, r, want_diags);
      }
      QCOMPARE(out.size(), want.size());
      QVERIFY(out == want);
      QCOMPARE(diags.size(), want_diags.size());
    }
  }
};

QTEST_GUILESS_MAIN(TestWriterEscaping)
#include "test_writer_escaping.moc"
