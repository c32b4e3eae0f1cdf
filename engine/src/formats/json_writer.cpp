// MARC-in-JSON writers: one JSON array (Format::Json) or one object per line (Format::NdJson).
// Keys come in the order of the MiJ specification: leader, fields; ind1, ind2, subfields.
//
// The array writer puts the comma between records, so it needs to know whether a record is the
// first one written: it remembers that itself. Its write() calls must therefore come in output
// order (NdJson has no such constraint and suits parallel encoding).
//
// Speed: as in marcxml_writer.cpp, a record is written through a raw pointer into the output
// string with room made once per value, and clean text is copied eight bytes at a time while a
// word test finds the next byte that needs a look: '"', '\\', a control character or a byte
// >= 0x80 (UTF-8 to check).
#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstring>

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

/// Bytes copied as they are: printable ASCII (and DEL) other than '"' and '\\'.
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> t{};
  for (unsigned c = 0x20; c < 0x80; ++c) t[c] = c != '"' && c != '\\';
  return t;
}();

/// High bits of the bytes of w (loaded little-endian) that need a look; the lowest is exact.
inline std::uint64_t attention(std::uint64_t w) {
  return high_or_control(w) | zero_bytes(w ^ rep('"')) | zero_bytes(w ^ rep('\\'));
}

inline std::size_t copy_clean(const char* s, std::size_t n, char* o) {
#if defined(__SSE2__)
  auto attention16 = [](__m128i w) {
    const __m128i m = _mm_or_si128(high_or_control16(w), _mm_or_si128(_mm_cmpeq_epi8(w, _mm_set1_epi8('"')),
                                                                     _mm_cmpeq_epi8(w, _mm_set1_epi8('\\'))));
    return static_cast<unsigned>(_mm_movemask_epi8(m));
  };
#else
  auto attention16 = [] {};
#endif
  return detail::copy_clean16(s, n, o, attention16, [](std::uint64_t w) { return attention(w); }, kPlain);
}

/// Writes s[i, n) as (part of) the inside of a JSON string at o, which must have room for
/// n - i + kRoom bytes; returns the end, which has room for kRoom.
char* escape_json(std::string_view s, std::size_t i, char* o, Sink& sink, EscapeProblems& problems) {
  static constexpr char kHex[] = "0123456789abcdef";
  const char* d = s.data();
  const auto* u = reinterpret_cast<const unsigned char*>(d);
  const std::size_t n = s.size();
  // A copied byte takes the room it leaves; before writing more than it replaces (at most 6
  // bytes for 1), make sure that the rest still fits.
  auto room_for_escape = [&] { o = sink.need(o, (n - i) + kRoom + 5); };
  for (;;) {
    const std::size_t k = copy_clean(d + i, n - i, o);
    i += k;
    o += k;
    if (i == n) return o;
    const unsigned c = u[i];
    if (c >= 0x80) {
      copy_utf8_run(u, i, n, o, problems.invalid, room_for_escape, [](const unsigned char*, std::size_t) { return false; });
      continue;
    }
    room_for_escape();
    if (is_structure_byte(static_cast<unsigned char>(c))) {
      problems.structure.add(static_cast<unsigned char>(c));
      o = put(o, std::string_view(kReplacement, 3));
      ++i;
      continue;
    }
    o[0] = '\\';
    switch (c) {
      case '"': o[1] = '"'; o += 2; break;
      case '\\': o[1] = '\\'; o += 2; break;
      case '\n': o[1] = 'n'; o += 2; break;
      case '\r': o[1] = 'r'; o += 2; break;
      case '\t': o[1] = 't'; o += 2; break;
      case '\b': o[1] = 'b'; o += 2; break;
      case '\f': o[1] = 'f'; o += 2; break;
      default:
        std::memcpy(o + 1, "u00", 3);
        o[4] = kHex[c >> 4];
        o[5] = kHex[c & 15];
        o += 6;
    }
    ++i;
  }
}

// ---------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------

/// Punctuation, with or without indentation.
template <bool Pretty>
struct Markup;
template <>
struct Markup<false> {
  static constexpr std::string_view record_open = "{\"leader\":\"", fields_open = "\",\"fields\":[", field_sep = "",
                                    tag_close = "\":", ind1_open = "{\"ind1\":\"", ind2_open = "\",\"ind2\":\"",
                                    subfields_open = "\",\"subfields\":[", sub_sep = ",", code_close = "\":\"",
                                    record_close = "]}";
};
template <>
struct Markup<true> {
  static constexpr std::string_view record_open = "  {\n    \"leader\": \"", fields_open = "\",\n    \"fields\": [",
                                    field_sep = "\n      ", tag_close = "\": ", ind1_open = "{\"ind1\": \"",
                                    ind2_open = "\", \"ind2\": \"", subfields_open = "\", \"subfields\": [",
                                    sub_sep = ", ", code_close = "\": \"", record_close = "\n    ]\n  }";
};

class JsonWriter final : public RecordWriter {
 public:
  JsonWriter(const WriterOptions& options, bool ndjson) : pretty_(options.pretty && !ndjson), ndjson_(ndjson) {}

  void begin(std::string& out) const override {
    if (!ndjson_) out += "[\n";
  }
  void end(std::string& out) const override {
    if (!ndjson_) out += first_.load(std::memory_order_relaxed) ? "]\n" : "\n]\n";
  }

  void write(const Record& record, std::uint64_t number, std::uint64_t offset, std::string& out,
             Diagnostics& diags) const override {
    const bool comma = !ndjson_ && !first_.exchange(false, std::memory_order_relaxed);
    if (pretty_)
      write_record<true>(record, {number, offset}, comma, ndjson_, out, diags);
    else
      write_record<false>(record, {number, offset}, comma, ndjson_, out, diags);
  }
  bool write_view(const RecordView& view, std::uint64_t number, std::uint64_t offset, std::string& out,
                  Diagnostics& diags) const override {
    const bool comma = !ndjson_ && !first_.exchange(false, std::memory_order_relaxed);
    if (pretty_)
      write_as_is<true>(view, {number, offset}, comma, ndjson_, out, diags);
    else
      write_as_is<false>(view, {number, offset}, comma, ndjson_, out, diags);
    return true;
  }
  bool writes_views() const override { return true; }

 private:
  // Between two values at most 128 bytes of punctuation are written: the room (kRoom) that every
  // value leaves, and that the record starts with, holds them.
  template <bool Pretty, class R>
  static void write_record(const R& record, Origin origin, bool comma, bool ndjson, std::string& out,
                           Diagnostics& diags) {
    using M = Markup<Pretty>;
    Sink sink(out);
    try {
      char* o = sink.need(sink.start(), kRoom);
      if (comma) o = put(o, ",\n");
      o = put(o, M::record_open);
      o = str(record.leader(), o, sink, "LDR", 0, origin, diags);
      o = put(o, M::fields_open);
      bool first_field = true;
      for (const auto& f : record.fields()) {
        const auto& tag = f.tag();  // a std::string, or a view's std::string_view
        if (!first_field) *o++ = ',';
        first_field = false;
        o = put(o, M::field_sep);
        o = put(o, "{\"");
        o = key(tag, o, sink, tag, origin, diags);
        o = put(o, M::tag_close);
        if (f.is_control()) {
          *o++ = '"';
          o = str(f.value(), o, sink, tag, 0, origin, diags);
          o = put(o, "\"}");
          continue;
        }
        if (!f.leading_data().empty())
          diags.push_back({Severity::Warning, Code::SubfieldDelimiterMissing, origin.number, origin.offset, std::string(tag), 0,
                           "field " + std::string(tag) + ": the text before its first subfield (\"" + printable(f.leading_data()) +
                               "\") cannot be written in MARC-in-JSON; left out"});
        o = put(o, M::ind1_open);
        o = str(f.indicator1(), o, sink, tag, 0, origin, diags);
        o = put(o, M::ind2_open);
        o = str(f.indicator2(), o, sink, tag, 0, origin, diags);
        o = put(o, M::subfields_open);
        bool first_sub = true;
        for (const auto& s : f.subfields()) {
          if (!first_sub) o = put(o, M::sub_sep);
          first_sub = false;
          o = put(o, "{\"");
          o = str(s.code, o, sink, tag, s.code, origin, diags);
          o = put(o, M::code_close);
          o = str(s.value, o, sink, tag, s.code, origin, diags);
          o = put(o, "\"}");
        }
        o = put(o, "]}}");
      }
      o = put(o, M::record_close);
      if (ndjson) *o++ = '\n';
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
  /// it, and its field terminators follow their fields: so only '"', '\\' and control bytes
  /// need a look, and a delimiter (a control byte) ends a value.
  template <bool Pretty>
  static void write_as_is(const RecordView& view, Origin origin, bool comma, bool ndjson, std::string& out,
                          Diagnostics& diags) {
    using M = Markup<Pretty>;
    const AsIsRecord record(view);
    const char* const limit = view.bytes().data() + view.bytes().size();
    Sink sink(out);
    try {
      char* o = sink.need(sink.start(), kRoom);
      if (comma) o = put(o, ",\n");
      o = put(o, M::record_open);
      o = str(record.leader(), o, sink, "LDR", 0, origin, diags);
      o = put(o, M::fields_open);
      bool first_field = true;
      for (const FieldView& f : view.fields()) {
        const std::string_view tag = f.tag;
        if (!first_field) *o++ = ',';
        first_field = false;
        o = put(o, M::field_sep);
        o = put(o, "{\"");
        o = key(tag, o, sink, tag, origin, diags);
        o = put(o, M::tag_close);
        if (f.is_control()) {
          *o++ = '"';
          o = str(f.data, o, sink, tag, 0, origin, diags);
          o = put(o, "\"}");
          continue;
        }
        o = put(o, M::ind1_open);
        o = str(f.data[0], o, sink, tag, 0, origin, diags);
        o = put(o, M::ind2_open);
        o = str(f.data[1], o, sink, tag, 0, origin, diags);
        o = put(o, M::subfields_open);
        o = subfields_as_is<Pretty>(f.data.substr(2), limit, o, sink, tag, origin, diags);
        o = put(o, "]}}");
      }
      o = put(o, M::record_close);
      if (ndjson) *o++ = '\n';
      sink.finish(o);
    } catch (...) {
      sink.abandon();
      throw;
    }
  }

  /// The subfields of an as-is data field (`area`: from its first delimiter to its end; `limit`:
  /// the record's end, which 16-byte loads may reach) as a JSON array's items, at o.
  template <bool Pretty>
  static char* subfields_as_is(std::string_view area, const char* limit, char* o, Sink& sink, std::string_view tag,
                               Origin origin, Diagnostics& diags) {
    using M = Markup<Pretty>;
    const char* p = area.data();
    const char* const end = p + area.size();
    bool first = true;
    while (p < end) {  // p: a delimiter, with a code after it
      // Room for the value copied as it is (an escape makes its own) and the markup around it.
      o = sink.need(o, static_cast<std::size_t>(end - p) + kRoom);
      const char code = p[1];
      if (!first) o = put(o, M::sub_sep);
      first = false;
      o = put(o, "{\"");
      if (kPlain[static_cast<unsigned char>(code)]) [[likely]] {
        *o++ = code;
      } else {
        o = escaped(std::string_view(p + 1, 1), 0, o, sink, tag, code, origin, diags);
        o = sink.need(o, static_cast<std::size_t>(end - p) + kRoom);
      }
      o = put(o, M::code_close);
      const char* const value = p + 2;
      p = copy_as_is(value, end, limit, o, attention_as_is16, [](unsigned char c) { return kPlain[c] || c >= 0x80; });
      if (p < end && *p != kSubfieldDelimiter) {
        // '"', '\\' or a control byte: the rest of this value as str() escapes it.
        const char* const value_end = next_delimiter(p, end, limit);
        o = escaped(std::string_view(value, static_cast<std::size_t>(value_end - value)),
                    static_cast<std::size_t>(p - value), o, sink, tag, code, origin, diags);
        p = value_end;
      }
      o = put(o, "\"}");
    }
    return o;
  }

#if defined(__SSE2__)
  /// The bytes of w that need a look in an as-is record's value: control bytes (the delimiter
  /// among them), '"' and '\\'. Bytes >= 0x80 are valid UTF-8 there and copied as they are.
  static unsigned attention_as_is16(__m128i w) {
    const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(w, _mm_set1_epi8(0x1F)), w);
    return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(
        control, _mm_or_si128(_mm_cmpeq_epi8(w, _mm_set1_epi8('"')), _mm_cmpeq_epi8(w, _mm_set1_epi8('\\'))))));
  }
#else
  static unsigned attention_as_is16(int) { return 0; }  // copy_as_is() copies byte by byte
#endif

  /// The inside of a string.
  [[gnu::always_inline]] static char* str(std::string_view v, char* o, Sink& sink, std::string_view tag, char code, Origin origin,
                   Diagnostics& diags) {
    o = sink.need(o, v.size() + kRoom);
    // Most values need no escaping: copied here, without a call.
    const std::size_t k = copy_clean(v.data(), v.size(), o);
    if (k == v.size()) return o + k;
    return escaped(v, k, o + k, sink, tag, code, origin, diags);
  }
  /// A tag: usually three plain characters.
  static char* key(std::string_view v, char* o, Sink& sink, std::string_view tag, Origin origin,
                   Diagnostics& diags) {
    o = sink.need(o, v.size() + kRoom);
    if (v.size() == 3 && kPlain[static_cast<unsigned char>(v[0])] && kPlain[static_cast<unsigned char>(v[1])] &&
        kPlain[static_cast<unsigned char>(v[2])])
      return put(o, std::string_view(v.data(), 3));
    return escaped(v, 0, o, sink, tag, 0, origin, diags);
  }
  /// A one-character string (an indicator, a subfield code).
  static char* str(char c, char* o, Sink& sink, std::string_view tag, char code, Origin origin,
                   Diagnostics& diags) {
    o = sink.need(o, 1 + kRoom);
    if (kPlain[static_cast<unsigned char>(c)]) {
      *o = c;
      return o + 1;
    }
    return escaped(std::string_view(&c, 1), 0, o, sink, tag, code, origin, diags);
  }
  /// Escapes v[i, n) at o (room made) and reports what had to change. Out of line, so that the
  /// fast paths above stay small enough to inline.
  [[gnu::noinline]] static char* escaped(std::string_view v, std::size_t i, char* o, Sink& sink, std::string_view tag,
                                         char code, Origin origin, Diagnostics& diags) {
    EscapeProblems p;
    o = escape_json(v, i, o, sink, p);
    if (p.invalid || p.structure.count) report_escape_problems(p, "JSON", origin.number, origin.offset, tag, code, diags);
    return o;
  }

  bool pretty_;
  bool ndjson_;
  mutable std::atomic<bool> first_{true};
};

}  // namespace

std::unique_ptr<RecordWriter> make_json_writer(const WriterOptions& options, bool ndjson) {
  return std::make_unique<JsonWriter>(options, ndjson);
}

}  // namespace marcscope::detail
