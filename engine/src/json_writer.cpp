// MARC-in-JSON writers: one JSON array (Format::Json) or one object per line (Format::NdJson).
// Keys come in the order of the MiJ specification: leader, fields; ind1, ind2, subfields.
//
// The array writer puts the comma between records, so it needs to know whether a record is the
// first one written: it remembers that itself. Its write() calls must therefore come in output
// order (NdJson has no such constraint and suits parallel encoding).
#include <atomic>

#include "format_support.h"

namespace marcscope::detail {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

/// Appends `s` as the inside of a JSON string.
void append_json(std::string_view s, std::string& out, EscapeProblems& problems) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t run = 0, i = 0;
  auto flush = [&] {
    if (i > run) out.append(s.data() + run, i - run);
  };
  while (i < n) {
    const unsigned c = p[i];
    if (c >= 0x80) {
      const std::size_t len = utf8_sequence_length(p + i, n - i);
      if (len == 0) {
        flush();
        out += kReplacement;
        ++problems.invalid;
        ++i;
        run = i;
      } else {
        i += len;
      }
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    flush();
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    ++i;
    run = i;
  }
  flush();
}

class JsonWriter final : public RecordWriter {
 public:
  JsonWriter(const WriterOptions& options, bool ndjson) : pretty_(options.pretty && !ndjson), ndjson_(ndjson) {}

  void begin(std::string& out) const override {
    if (!ndjson_) out += "[\n";
  }
  void end(std::string& out) const override {
    if (!ndjson_) out += first_.load(std::memory_order_relaxed) ? "]\n" : "\n]\n";
  }

  void write(const Record& record, std::uint64_t number, std::string& out, Diagnostics& diags) const override {
    if (!ndjson_ && !first_.exchange(false, std::memory_order_relaxed)) out += ",\n";
    const char* ind = pretty_ ? "\n  " : "";
    out += pretty_ ? "  {\n    \"leader\": \"" : "{\"leader\":\"";
    str(record.leader(), out, "LDR", 0, number, diags);
    out += pretty_ ? "\",\n    \"fields\": [" : "\",\"fields\":[";
    bool first_field = true;
    for (const auto& f : record.fields()) {
      if (!first_field) out += ',';
      first_field = false;
      if (pretty_) out += "\n      ";
      out += "{\"";
      str(f.tag(), out, f.tag(), 0, number, diags);
      out += pretty_ ? "\": " : "\":";
      if (f.is_control()) {
        out += '"';
        str(f.value(), out, f.tag(), 0, number, diags);
        out += "\"}";
        continue;
      }
      if (!f.leading_data().empty())
        diags.push_back({Severity::Warning, Code::SubfieldDelimiterMissing, number, 0, f.tag(), 0,
                         "field " + f.tag() + ": the text before its first subfield (\"" + printable(f.leading_data()) +
                             "\") cannot be written in MARC-in-JSON; left out"});
      out += pretty_ ? "{\"ind1\": \"" : "{\"ind1\":\"";
      const char i1 = f.indicator1(), i2 = f.indicator2();
      str(std::string_view(&i1, 1), out, f.tag(), 0, number, diags);
      out += pretty_ ? "\", \"ind2\": \"" : "\",\"ind2\":\"";
      str(std::string_view(&i2, 1), out, f.tag(), 0, number, diags);
      out += pretty_ ? "\", \"subfields\": [" : "\",\"subfields\":[";
      bool first_sub = true;
      for (const auto& s : f.subfields()) {
        if (!first_sub) out += pretty_ ? ", " : ",";
        first_sub = false;
        out += "{\"";
        str(std::string_view(&s.code, 1), out, f.tag(), s.code, number, diags);
        out += pretty_ ? "\": \"" : "\":\"";
        str(s.value, out, f.tag(), s.code, number, diags);
        out += "\"}";
      }
      out += "]}}";
    }
    if (pretty_) {
      out += ind;
      out += "  ]\n  }";
    } else {
      out += "]}";
    }
    if (ndjson_) out += '\n';
  }

 private:
  static void str(std::string_view v, std::string& out, std::string_view tag, char code, std::uint64_t number,
                  Diagnostics& diags) {
    EscapeProblems p;
    append_json(v, out, p);
    if (p.invalid) report_escape_problems(p, "JSON", number, tag, code, diags);
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
