// MARCXML writer (MARC21 slim). Output is always well-formed XML 1.0: markup characters are
// escaped, and characters XML 1.0 cannot hold at all (C0 controls other than tab, line feed and
// carriage return; U+FFFE, U+FFFF) or invalid UTF-8 become U+FFFD with a warning.
//
// Speed: a record is written through a raw pointer into the output string (Sink), with room made
// once per value, so fixed markup is a few stores; clean text is copied eight bytes at a time
// while a word test (SWAR) finds the next byte that needs a look: markup, a control character or
// a byte >= 0x80 (UTF-8 to check).
#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <string>

#include "format_support.h"
#include "text_out.h"

namespace marcscope::detail {
namespace {

/// Room kept free after every value: for the markup up to the next value (at most 128 bytes) and
/// for the 8 bytes a word store may write past the end of a value.
constexpr std::size_t kRoom = 128 + 8;

// ---------------------------------------------------------------------------------------------
// Escaping
// ---------------------------------------------------------------------------------------------

/// Bytes copied as they are: printable ASCII (and DEL) other than the markup characters.
constexpr std::array<bool, 256> plain_table(bool attr) {
  std::array<bool, 256> t{};
  for (unsigned c = 0x20; c < 0x80; ++c) t[c] = c != '&' && c != '<' && c != '>' && !(attr && c == '"');
  return t;
}
constexpr std::array<bool, 256> kPlainText = plain_table(false);
constexpr std::array<bool, 256> kPlainAttr = plain_table(true);

/// High bits of the bytes of w (loaded little-endian) that need a look; the lowest is exact.
template <bool Attr>
inline std::uint64_t attention(std::uint64_t w) {
  std::uint64_t m = high_or_control(w);
  m |= zero_bytes(w ^ rep('&'));
  m |= zero_bytes((w | rep(0x02)) ^ rep('>'));  // '<' (0x3C) or '>' (0x3E)
  if constexpr (Attr) m |= zero_bytes(w ^ rep('"'));
  return m;
}

template <bool Attr>
inline std::size_t copy_clean(const char* s, std::size_t n, char* o) {
#if defined(__SSE2__)
  auto attention16 = [](__m128i w) {
    __m128i m = _mm_or_si128(high_or_control16(w), _mm_cmpeq_epi8(w, _mm_set1_epi8('&')));
    // '<' (0x3C) or '>' (0x3E)
    m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_or_si128(w, _mm_set1_epi8(0x02)), _mm_set1_epi8('>')));
    if constexpr (Attr) m = _mm_or_si128(m, _mm_cmpeq_epi8(w, _mm_set1_epi8('"')));
    return static_cast<unsigned>(_mm_movemask_epi8(m));
  };
#else
  auto attention16 = [] {};
#endif
  return detail::copy_clean16(s, n, o, attention16, [](std::uint64_t w) { return attention<Attr>(w); },
                              Attr ? kPlainAttr : kPlainText);
}

/// Writes s[i, n) escaped for XML text (Attr = false) or a double-quoted attribute value at o,
/// which must have room for n - i + kRoom bytes; returns the end, which has room for kRoom.
template <bool Attr>
char* escape_xml(std::string_view s, std::size_t i, char* o, Sink& sink, EscapeProblems& problems) {
  const char* d = s.data();
  const auto* u = reinterpret_cast<const unsigned char*>(d);
  const std::size_t n = s.size();
  // A copied byte takes the room it leaves; before writing more than it replaces (at most 6
  // bytes for 1), make sure that the rest still fits.
  auto room_for_escape = [&] { o = sink.need(o, (n - i) + kRoom + 5); };
  for (;;) {
    const std::size_t k = copy_clean<Attr>(d + i, n - i, o);
    i += k;
    o += k;
    if (i == n) return o;
    const unsigned c = u[i];
    if (c >= 0x80) {
      // XML 1.0 cannot hold U+FFFE or U+FFFF: same length as U+FFFD, so no room is needed.
      copy_utf8_run(u, i, n, o, problems.invalid, room_for_escape, [&](const unsigned char* p, std::size_t len) {
        if (len != 3 || p[0] != 0xEF || p[1] != 0xBF || (p[2] != 0xBE && p[2] != 0xBF)) return false;
        std::memcpy(o, kReplacement, 3);
        o += 3;
        if (problems.control++ == 0) problems.first_control = p[2] == 0xBE ? U'\uFFFE' : U'\uFFFF';
        i += 3;
        return true;
      });
      continue;
    }
    std::string_view esc;
    switch (c) {
      case '&': esc = "&amp;"; break;
      case '<': esc = "&lt;"; break;
      case '>': esc = "&gt;"; break;
      case '"': esc = "&quot;"; break;  // only reached for attributes
      case '\r': esc = "&#13;"; break;
      case '\n': esc = Attr ? "&#10;" : "\n"; break;
      case '\t': esc = Attr ? "&#9;" : "\t"; break;
      default:  // another C0 control
        esc = std::string_view(kReplacement, 3);
        if (is_structure_byte(static_cast<unsigned char>(c))) problems.structure.add(static_cast<unsigned char>(c));
        else if (problems.control++ == 0) problems.first_control = static_cast<char32_t>(c);
    }
    room_for_escape();
    o = put(o, esc);
    ++i;
  }
}

// ---------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------

/// Markup, with or without indentation.
template <bool Pretty>
struct Markup;
template <>
struct Markup<false> {
  static constexpr std::string_view record_open = "<record><leader>", leader_close = "</leader>",
                                    control_open = "<controlfield tag=\"", control_close = "</controlfield>",
                                    data_open = "<datafield tag=\"", data_close = "</datafield>",
                                    sub_open = "<subfield code=\"", sub_close = "</subfield>", nl = "",
                                    record_close = "</record>\n";
};
template <>
struct Markup<true> {
  static constexpr std::string_view record_open = "  <record>\n    <leader>", leader_close = "</leader>\n",
                                    control_open = "    <controlfield tag=\"", control_close = "</controlfield>\n",
                                    data_open = "    <datafield tag=\"", data_close = "    </datafield>\n",
                                    sub_open = "      <subfield code=\"", sub_close = "</subfield>\n", nl = "\n",
                                    record_close = "  </record>\n";
};

class MarcXmlWriter final : public RecordWriter {
 public:
  explicit MarcXmlWriter(const WriterOptions& options) : pretty_(options.pretty) {}

  void begin(std::string& out) const override {
    out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<collection xmlns=\"http://www.loc.gov/MARC21/slim\">\n";
  }
  void end(std::string& out) const override { out += "</collection>\n"; }

  void write(const Record& record, std::uint64_t number, std::uint64_t offset, std::string& out,
             Diagnostics& diags) const override {
    if (pretty_)
      write_record<true>(record, {number, offset}, out, diags);
    else
      write_record<false>(record, {number, offset}, out, diags);
  }
  bool write_view(const RecordView& view, std::uint64_t number, std::uint64_t offset, std::string& out,
                  Diagnostics& diags) const override {
    if (pretty_)
      write_as_is<true>(view, {number, offset}, out, diags);
    else
      write_as_is<false>(view, {number, offset}, out, diags);
    return true;
  }
  bool writes_views() const override { return true; }

 private:
  // Between two values at most 128 bytes of markup are written: the room (kRoom) that every
  // value leaves, and that the record starts with, holds them.
  template <bool Pretty, class R>
  static void write_record(const R& record, Origin origin, std::string& out, Diagnostics& diags) {
    using M = Markup<Pretty>;
    Sink sink(out);
    try {
      char* o = sink.need(sink.start(), kRoom);
      o = put(o, M::record_open);
      o = value(record.leader(), o, sink, "LDR", 0, origin, diags);
      o = put(o, M::leader_close);
      for (const auto& f : record.fields()) {
        const auto& tag = f.tag();  // a std::string, or a view's std::string_view
        if (f.is_control()) {
          o = put(o, M::control_open);
          o = attribute(tag, o, sink, tag, 0, origin, diags);
          o = put(o, "\">");
          o = value(f.value(), o, sink, tag, 0, origin, diags);
          o = put(o, M::control_close);
          continue;
        }
        o = put(o, M::data_open);
        o = attribute(tag, o, sink, tag, 0, origin, diags);
        o = put(o, "\" ind1=\"");
        o = attribute(f.indicator1(), o, sink, tag, 0, origin, diags);
        o = put(o, "\" ind2=\"");
        o = attribute(f.indicator2(), o, sink, tag, 0, origin, diags);
        o = put(o, "\">");
        o = put(o, M::nl);
        if (!f.leading_data().empty())
          diags.push_back({Severity::Warning, Code::SubfieldDelimiterMissing, origin.number, origin.offset, std::string(tag), 0,
                           "field " + std::string(tag) + ": the text before its first subfield (\"" + printable(f.leading_data()) +
                               "\") cannot be written in MARCXML; left out"});
        for (const auto& s : f.subfields()) {
          o = put(o, M::sub_open);
          o = attribute(s.code, o, sink, tag, s.code, origin, diags);
          o = put(o, "\">");
          o = value(s.value, o, sink, tag, s.code, origin, diags);
          o = put(o, M::sub_close);
        }
        o = put(o, M::data_close);
      }
      o = put(o, M::record_close);
      sink.finish(o);
    } catch (...) {
      sink.abandon();
      throw;
    }
  }

  /// write_record() for a record that decodes_as_is() accepts, from its view: the same bytes and
  /// diagnostics, written field by field in one pass over each data field's subfield area (no
  /// subfield list, no call per value). Such a record's bytes are valid UTF-8 (or plain ASCII),
  /// its subfield areas start with a delimiter and every delimiter has a printable code after
  /// it, and its field terminators follow their fields: so only markup, control bytes and 0xEF
  /// (which starts U+FFFE and U+FFFF, which XML cannot hold) need a look, and a delimiter (a
  /// control byte) ends a value.
  template <bool Pretty>
  static void write_as_is(const RecordView& view, Origin origin, std::string& out, Diagnostics& diags) {
    using M = Markup<Pretty>;
    const AsIsRecord record(view);
    const char* const limit = view.bytes().data() + view.bytes().size();
    Sink sink(out);
    try {
      char* o = sink.need(sink.start(), kRoom);
      o = put(o, M::record_open);
      o = value(record.leader(), o, sink, "LDR", 0, origin, diags);
      o = put(o, M::leader_close);
      for (const FieldView& f : view.fields()) {
        const std::string_view tag = f.tag;
        if (f.is_control()) {
          o = put(o, M::control_open);
          o = attribute(tag, o, sink, tag, 0, origin, diags);
          o = put(o, "\">");
          o = value(f.data, o, sink, tag, 0, origin, diags);
          o = put(o, M::control_close);
          continue;
        }
        o = put(o, M::data_open);
        o = attribute(tag, o, sink, tag, 0, origin, diags);
        o = put(o, "\" ind1=\"");
        o = attribute(f.data[0], o, sink, tag, 0, origin, diags);
        o = put(o, "\" ind2=\"");
        o = attribute(f.data[1], o, sink, tag, 0, origin, diags);
        o = put(o, "\">");
        o = put(o, M::nl);
        o = subfields_as_is<Pretty>(f.data.substr(2), limit, o, sink, tag, origin, diags);
        o = put(o, M::data_close);
      }
      o = put(o, M::record_close);
      sink.finish(o);
    } catch (...) {
      sink.abandon();
      throw;
    }
  }

  /// The subfields of an as-is data field (`area`: from its first delimiter to its end; `limit`:
  /// the record's end, which 16-byte loads may reach) as subfield elements, at o.
  template <bool Pretty>
  static char* subfields_as_is(std::string_view area, const char* limit, char* o, Sink& sink, std::string_view tag,
                               Origin origin, Diagnostics& diags) {
    using M = Markup<Pretty>;
    const char* p = area.data();
    const char* const end = p + area.size();
    while (p < end) {  // p: a delimiter, with a code after it
      // Room for the value copied as it is (an escape makes its own) and the markup around it.
      o = sink.need(o, static_cast<std::size_t>(end - p) + kRoom);
      const char code = p[1];
      o = put(o, M::sub_open);
      if (kPlainAttr[static_cast<unsigned char>(code)]) [[likely]] {
        *o++ = code;
      } else {
        o = escaped<true>(std::string_view(p + 1, 1), 0, o, sink, tag, code, origin, diags);
        o = sink.need(o, static_cast<std::size_t>(end - p) + kRoom);
      }
      o = put(o, "\">");
      const char* const value = p + 2;
      p = copy_as_is(value, end, limit, o, attention_as_is16,
                     [](unsigned char c) { return kPlainText[c] || (c >= 0x80 && c != 0xEF); });
      if (p < end && *p != kSubfieldDelimiter) {
        // Markup, a control byte or 0xEF: the rest of this value as value() escapes it.
        const char* const value_end = next_delimiter(p, end, limit);
        o = escaped<false>(std::string_view(value, static_cast<std::size_t>(value_end - value)),
                           static_cast<std::size_t>(p - value), o, sink, tag, code, origin, diags);
        p = value_end;
      }
      o = put(o, M::sub_close);
    }
    return o;
  }

#if defined(__SSE2__)
  /// The bytes of w that need a look in an as-is record's value: control bytes (the delimiter
  /// among them), '&', '<', '>' and 0xEF. Other bytes >= 0x80 are valid UTF-8 there and copied
  /// as they are.
  static unsigned attention_as_is16(__m128i w) {
    __m128i m = _mm_cmpeq_epi8(_mm_min_epu8(w, _mm_set1_epi8(0x1F)), w);
    m = _mm_or_si128(m, _mm_cmpeq_epi8(w, _mm_set1_epi8('&')));
    // '<' (0x3C) or '>' (0x3E)
    m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_or_si128(w, _mm_set1_epi8(0x02)), _mm_set1_epi8('>')));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(w, _mm_set1_epi8(static_cast<char>(0xEF))));
    return static_cast<unsigned>(_mm_movemask_epi8(m));
  }
#else
  static unsigned attention_as_is16(int) { return 0; }  // copy_as_is() copies byte by byte
#endif

  /// Element content.
  [[gnu::always_inline]] static char* value(std::string_view v, char* o, Sink& sink, std::string_view tag, char code, Origin origin,
                     Diagnostics& diags) {
    o = sink.need(o, v.size() + kRoom);
    // Most values need no escaping: copied here, without a call.
    const std::size_t k = copy_clean<false>(v.data(), v.size(), o);
    if (k == v.size()) return o + k;
    return escaped<false>(v, k, o + k, sink, tag, code, origin, diags);
  }
  /// An attribute value (a tag: usually three plain characters).
  static char* attribute(std::string_view v, char* o, Sink& sink, std::string_view tag, char code,
                         Origin origin, Diagnostics& diags) {
    o = sink.need(o, v.size() + kRoom);
    if (v.size() == 3 && kPlainAttr[static_cast<unsigned char>(v[0])] &&
        kPlainAttr[static_cast<unsigned char>(v[1])] && kPlainAttr[static_cast<unsigned char>(v[2])])
      return put(o, std::string_view(v.data(), 3));
    return escaped<true>(v, 0, o, sink, tag, code, origin, diags);
  }
  /// A one-character attribute value (an indicator, a subfield code).
  static char* attribute(char c, char* o, Sink& sink, std::string_view tag, char code, Origin origin,
                         Diagnostics& diags) {
    o = sink.need(o, 1 + kRoom);
    if (kPlainAttr[static_cast<unsigned char>(c)]) {
      *o = c;
      return o + 1;
    }
    return escaped<true>(std::string_view(&c, 1), 0, o, sink, tag, code, origin, diags);
  }
  /// Escapes v[i, n) at o (room made) and reports what had to change. Out of line, so that the
  /// fast paths above stay small enough to inline.
  template <bool Attr>
  [[gnu::noinline]] static char* escaped(std::string_view v, std::size_t i, char* o, Sink& sink, std::string_view tag,
                                         char code, Origin origin, Diagnostics& diags) {
    EscapeProblems p;
    o = escape_xml<Attr>(v, i, o, sink, p);
    if (p.control || p.structure.count || p.invalid)
      report_escape_problems(p, "XML", origin.number, origin.offset, tag, code, diags);
    return o;
  }

  bool pretty_;
};

}  // namespace

std::unique_ptr<RecordWriter> make_marcxml_writer(const WriterOptions& options) {
  return std::make_unique<MarcXmlWriter>(options);
}

}  // namespace marcscope::detail
