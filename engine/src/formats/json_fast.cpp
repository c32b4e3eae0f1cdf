// MARC-in-JSON chunks and their fast path (see json_fast.h). The fast path accepts only what the
// streaming reader (json_reader.cpp, nlohmann_json's SAX parser behind a framing pass) reads with
// no diagnostic, and builds the records as that reader does:
//   - simdjson's DOM parser validates the whole record (UTF-8, raw control characters, escapes and
//     surrogates, structure, a single value per line), keeping keys in order and duplicates; only
//     strings, objects and arrays are taken (null, numbers and booleans refuse the chunk);
//   - a record is an object with "leader" (a string set_text_leader takes without a word) and
//     "fields" (an array), in any order and as often as they come (what the reader does with a key
//     given twice: the last leader wins, every "fields" adds its fields); a field is an object with
//     exactly one key, a tag of three printable ASCII characters, whose value is a string (a
//     control field) or an object with "ind1", "ind2" (empty or one printable ASCII character) and
//     "subfields" (objects of one-character codes, a control character or printable ASCII but not a
//     structure byte, to strings); a data field has at least one subfield; values hold no
//     structure byte (0x1D-0x1F, which the reader replaces with a warning);
//   - NDJSON: one record per line, nothing else on it but blanks; an array: its elements, then
//     only blanks after it.
#include "json_fast.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>

#include "format_support.h"

namespace marcscope::detail {
namespace {

namespace dom = simdjson::dom;

constexpr bool json_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool printable_ascii(std::string_view s) {
  for (const char c : s)
    if (c < 0x20 || c > 0x7E) return false;
  return true;
}

/// Builds records from parsed objects; every method returns false to refuse the chunk.
class Builder {
 public:
  /// `escapes`: the chunk holds "\u001" somewhere, so a value may decode to a structure byte.
  /// `leader_utf8`: DecodeOptions::leader_utf8 (set_text_leader).
  Builder(bool escapes, bool leader_utf8) : escapes_(escapes), leader_utf8_(leader_utf8) {}

  bool record(dom::object object, Record& rec) {
    bool leader = false;
    for (const dom::key_value_pair item : object) {
      if (item.key == "leader") {
        std::string_view text;
        if (item.value.get_string().get(text)) return false;
        set_text_leader(rec, text, scratch_, 0, 0, {}, leader_utf8_);
        if (!scratch_.empty()) return false;
        leader = true;
      } else if (item.key == "fields") {
        dom::array fields;
        if (item.value.get_array().get(fields)) return false;
        for (const dom::element element : fields) {
          dom::object field_object;
          if (element.get_object().get(field_object) || !field(field_object, rec)) return false;
        }
      } else {
        return false;
      }
    }
    return leader && !rec.fields().empty();
  }

 private:
  bool clean(std::string_view value) const {
    return !escapes_ || value.find_first_of("\x1D\x1E\x1F") == std::string_view::npos;
  }

  bool field(dom::object object, Record& rec) {
    if (object.size() != 1) return false;
    const dom::key_value_pair item = *object.begin();
    const std::string_view tag = item.key;
    if (tag.size() != 3 || !printable_ascii(tag)) return false;
    switch (item.value.type()) {
      case dom::element_type::STRING: {
        std::string_view text;
        if (item.value.get_string().get(text) || !clean(text)) return false;
        rec.add_field(Field(std::string(tag), std::string(text)));
        return true;
      }
      case dom::element_type::OBJECT: {
        Field data(std::string(tag), ' ', ' ', {});
        dom::object body;
        if (item.value.get_object().get(body) || !data_field(body, data)) return false;
        rec.add_field(std::move(data));
        return true;
      }
      default:
        return false;
    }
  }

  bool data_field(dom::object object, Field& data) {
    char ind[2] = {' ', ' '};
    for (const dom::key_value_pair item : object) {
      if (item.key == "ind1" || item.key == "ind2") {
        std::string_view text;
        if (item.value.get_string().get(text)) return false;
        char c = ' ';
        if (!text.empty()) {
          if (text.size() != 1 || text[0] < 0x20 || text[0] > 0x7E) return false;
          c = text[0];
        }
        ind[item.key[3] - '1'] = c;
      } else if (item.key == "subfields") {
        dom::array subfields;
        if (item.value.get_array().get(subfields)) return false;
        for (const dom::element element : subfields) {
          dom::object subfield;
          if (element.get_object().get(subfield)) return false;
          for (const dom::key_value_pair sub : subfield) {
            std::string_view text;
            if (sub.key.size() != 1) return false;
            const auto c = static_cast<unsigned char>(sub.key[0]);
            if (c > 0x7E || is_structure_byte(c)) return false;
            if (sub.value.get_string().get(text) || !clean(text)) return false;
            data.add_subfield(sub.key[0], std::string(text));
          }
        }
      } else {
        return false;
      }
    }
    if (data.subfields().empty()) return false;
    data.set_indicators(ind[0], ind[1]);
    return true;
  }

  bool escapes_;
  bool leader_utf8_;
  Diagnostics scratch_;
};

/// The chunk's parser: one per thread, reused (it keeps its buffers), and a padded copy.
struct Scratch {
  dom::parser parser;
  std::string text;
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

/// Copies `part` into the thread's padded buffer.
std::string_view padded_copy(std::string& buf, std::string_view part) {
  buf.resize(part.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(buf.data(), part.data(), part.size());
  std::memset(buf.data() + part.size(), ' ', simdjson::SIMDJSON_PADDING);
  return std::string_view(buf.data(), part.size());
}

/// Reads records one per line from `text` (offset `base` in the file). In an array (`array`),
/// a record's line may end with the ',' after it, or with the array's ']'; a line may also hold
/// just one of those. `last`: the array's ']' must come, then nothing but blanks; otherwise the
/// text ends just after a ','.
bool fast_lines(std::string_view text, std::uint64_t base, bool array, bool last, bool leader_utf8,
                std::vector<BatchRecord>& out) {
  Scratch& s = scratch();
  Builder builder(text.find("\\u001") != std::string_view::npos, leader_utf8);
  enum class Expect : std::uint8_t { Record, Separator, Nothing } expect = Expect::Record;
  std::size_t pos = 0, records = 0;
  while (pos < text.size()) {
    const void* nl = std::memchr(text.data() + pos, '\n', text.size() - pos);
    const std::size_t line_end = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - text.data()) : text.size();
    std::size_t b = pos, e = line_end;
    pos = line_end + 1;
    while (b < e && json_blank(text[b])) ++b;
    while (e > b && json_blank(text[e - 1])) --e;
    if (b == e) continue;
    if (expect == Expect::Nothing) return false;
    char after = 0;  // a ',' or ']' at the end of the line
    if (array && text[b] != '{') {
      if (e - b != 1 || expect != Expect::Separator) return false;
      after = text[b];
    } else {
      if (expect != Expect::Record && array) return false;
      if (array && (text[e - 1] == ',' || text[e - 1] == ']')) {
        after = text[--e];
        while (e > b && json_blank(text[e - 1])) --e;
      }
      if (text[b] != '{' || text[e - 1] != '}') return false;
      dom::object object;
      BatchRecord rec;
      if (s.parser.parse(text.data() + b, e - b, false).get(object) || !builder.record(object, rec.record)) return false;
      rec.offset = base + b;
      rec.end = base + e;
      out.push_back(std::move(rec));
      ++records;
      expect = Expect::Separator;
    }
    if (after == ',') expect = Expect::Record;
    else if (after == ']') expect = last ? Expect::Nothing : Expect::Record;  // not last: refused below
    if (after == ']' && !last) return false;
  }
  if (!array) return true;
  return last ? expect == Expect::Nothing : expect == Expect::Record && records > 0;
}

/// The ',' before a cut (chunks of an array end with blanks, a comma and blanks).
std::size_t comma_before(std::string_view doc, std::size_t end) {
  std::size_t c = end;
  while (c > 0 && json_blank(doc[c - 1])) --c;
  return c - 1;  // the cut was made only where a ',' is there
}

}  // namespace

std::optional<JsonPlan> plan_json(std::string_view doc) {
  std::size_t p = doc.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  while (p < doc.size() && json_blank(doc[p])) ++p;
  if (p >= doc.size()) return std::nullopt;
  JsonPlan plan;
  if (doc[p] == '[') {
    plan.array = true;
    ++p;
    while (p < doc.size() && json_blank(doc[p])) ++p;
  }
  if (p >= doc.size() || doc[p] != '{') return std::nullopt;
  plan.first = p;
  return plan;
}

std::size_t json_chunk_end(std::string_view doc, const JsonPlan& plan, std::size_t begin, std::size_t target) {
  std::size_t from = std::max({begin + std::max<std::size_t>(target, 1), plan.first + 1});
  while (from < doc.size()) {
    if (!plan.array) {
      const std::size_t nl = doc.find("\n{", from - 1);
      return nl == std::string_view::npos ? doc.size() : nl + 1;
    }
    // '}' ',' '{' '"leader"', blanks allowed between them.
    const std::size_t p = doc.find("\"leader\"", from);
    if (p == std::string_view::npos) return doc.size();
    from = p + 1;
    std::size_t q = p;
    while (q > begin && json_blank(doc[q - 1])) --q;
    if (q <= begin + 1 || doc[q - 1] != '{') continue;
    const std::size_t brace = --q;
    while (q > begin && json_blank(doc[q - 1])) --q;
    if (q <= begin || doc[q - 1] != ',') continue;
    --q;
    while (q > begin && json_blank(doc[q - 1])) --q;
    if (q > begin && doc[q - 1] == '}') return brace;
  }
  return doc.size();
}

std::string json_chunk_text(std::string_view doc, const JsonPlan& plan, std::size_t begin, std::size_t end,
                            std::size_t& lead) {
  const bool last = end >= doc.size();
  if (!plan.array) {
    lead = 0;
    return std::string(doc.substr(begin, end - begin));
  }
  std::string text;
  lead = begin == 0 ? 0 : 1;
  const std::size_t stop = last ? doc.size() : comma_before(doc, end);
  text.reserve(stop - begin + 2);
  if (lead) text += '[';
  text.append(doc.substr(begin, stop - begin));
  if (!last) text += ']';
  return text;
}

bool fast_json_chunk(std::string_view doc, const JsonPlan& plan, std::size_t begin, std::size_t end,
                     std::vector<BatchRecord>& out, bool leader_utf8) {
  const std::size_t size_before = out.size();
  const std::size_t from = begin == 0 ? plan.first : begin;
  const bool last = end >= doc.size();
  const bool ok = fast_lines(padded_copy(scratch().text, doc.substr(from, end - from)), from, plan.array, last, leader_utf8, out);
  if (!ok) out.resize(size_before);
  return ok;
}

}  // namespace marcscope::detail
