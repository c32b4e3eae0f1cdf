// Streaming MARC-in-JSON reader: one JSON array of records, a single record object, or one
// object per line (NDJSON; any whitespace between whole objects works too).
//
// A light framing pass finds where each record's object ends (strings, escapes and bracket
// nesting only), reading 64 KB chunks as needed; the object is then parsed with nlohmann_json's
// SAX interface straight into a Record. Only one record is held in memory at a time, so a
// gigabyte array streams like NDJSON does.
//
// Accepted shape (MiJ, also what pymarc writes, keys in any order):
//   {"leader": "...", "fields": [{"001": "value"},
//                                {"245": {"ind1": "1", "ind2": "0", "subfields": [{"a": "..."}]}}]}
// Raw control characters inside strings (a pretty-printer that broke lines inside values, as
// json/pymarc-test.json has) are read as if escaped, with a warning: what Python's
// json.load(strict=False) does.
//
// Malformed JSON: json-syntax-error with line and column. Records before it are delivered. Strict
// stops. Permissive and Recover go on at the next line that starts with '{' (one object per line)
// or at the next '{"leader"' (inside an array); the broken record is skipped (Permissive) or
// delivered as far as it was read, marked repaired (Recover).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "format_support.h"

namespace marcscope::detail {
namespace {

using json = nlohmann::json;

/// Builds one Record from the SAX events of one MiJ object.
class MijHandler {
 public:
  MijHandler(Record& record, Diagnostics& diags, ReadMode mode, std::uint64_t number, std::uint64_t offset,
             bool leader_utf8)
      : rec_(record), diags_(diags), mode_(mode), number_(number), offset_(offset), leader_utf8_(leader_utf8) {}

  // --- nlohmann SAX interface
  bool null() {
    // null where an indicator or the leader should be: read as absent (blank / missing leader).
    if (!skip_ && ((top() == S::Data && (expect_ == V::Ind1 || expect_ == V::Ind2)) || (top() == S::Record && expect_ == V::Leader))) {
      if (top() == S::Data)
        warn(Code::RecordStructureInvalid, tag_, "an indicator of field " + tag_ + " is null; read as a blank");
      return true;
    }
    return scalar("null");
  }
  bool boolean(bool) { return scalar("a boolean"); }
  bool number_integer(json::number_integer_t) { return scalar("a number"); }
  bool number_unsigned(json::number_unsigned_t) { return scalar("a number"); }
  bool number_float(json::number_float_t, const std::string&) { return scalar("a number"); }
  bool binary(json::binary_t&) { return scalar("binary data"); }
  bool string(std::string& value) {
    if (skip_) return true;
    switch (top()) {
      case S::Record:
        if (expect_ == V::Leader) {
          set_text_leader(rec_, value, diags_, number_, offset_, "record " + std::to_string(number_) + ":",
                          leader_utf8_);
          leader_seen_ = true;
          return true;
        }
        if (expect_ == V::Fields) return wrong("\"fields\"", "a string", "an array");
        return true;
      case S::Field:
        if (!tag_ok_) return true;
        clean_read_value(value, diags_, number_, offset_, tag_, 0);
        rec_.add_field(Field(tag_, std::move(value)));
        return true;
      case S::Data:
        if (expect_ == V::Ind1 || expect_ == V::Ind2) {
          const char c = indicator(value, expect_ == V::Ind1 ? 1 : 2);
          if (expect_ == V::Ind1) ind1_ = c;
          else ind2_ = c;
          return true;
        }
        if (expect_ == V::Subfields) return wrong("\"subfields\" of field " + tag_, "a string", "an array");
        return true;
      case S::Subfield:
        clean_read_value(value, diags_, number_, offset_, tag_, code_);
        field_.add_subfield(code_, std::move(value));
        return true;
      case S::Top:
      case S::Fields:
      case S::Subfields:
        return scalar("a string");
    }
    return true;
  }
  bool start_object(std::size_t) { return open(true); }
  bool start_array(std::size_t) { return open(false); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(std::string& k) {
    if (skip_) return true;
    switch (top()) {
      case S::Record:
        expect_ = k == "leader" ? V::Leader : k == "fields" ? V::Fields : V::Ignore;
        return true;
      case S::Field:
        if (++keys_ == 2)
          warn(Code::RecordStructureInvalid, k, "a field object in record " + std::to_string(number_) +
                                                    " has more than one tag; each is read as a field");
        tag_ = k;
        tag_ok_ = normalise_tag(tag_, diags_, mode_, number_, offset_, "a field");
        if (!tag_ok_) error_ = true;
        return true;
      case S::Data:
        expect_ = k == "ind1" ? V::Ind1 : k == "ind2" ? V::Ind2 : k == "subfields" ? V::Subfields : V::Ignore;
        return true;
      case S::Subfield:
        code_ = single_char(k, true, problem_);
        if (!problem_.empty()) warn(Code::RecordStructureInvalid, tag_, "a subfield code of field " + tag_ + " " + problem_);
        code_ = clean_read_code(code_, diags_, number_, offset_, tag_);
        return true;
      default:
        return true;
    }
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) {
    failed_ = true;
    error_position_ = position;
    std::string what = ex.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 7: syntax error ..." -> the detail.
    if (const auto colon = what.find(": "); colon != std::string::npos && what.starts_with("[json.exception"))
      what.erase(0, colon + 2);
    error_message_ = std::move(what);
    return false;
  }

  // --- results
  bool failed() const { return failed_; }
  std::size_t error_position() const { return error_position_; }
  const std::string& error_message() const { return error_message_; }
  bool had_error() const { return error_; }
  bool leader_seen() const { return leader_seen_; }
  /// After a syntax error: keeps what was read of the field in progress.
  void salvage() {
    if (std::find(stack_.begin(), stack_.end(), S::Data) != stack_.end() && tag_ok_) {
      field_.set_indicators(ind1_, ind2_);
      rec_.add_field(std::move(field_));
    }
  }

 private:
  enum class S : std::uint8_t { Top, Record, Fields, Field, Data, Subfields, Subfield };
  enum class V : std::uint8_t { None, Leader, Fields, Ind1, Ind2, Subfields, Ignore };

  S top() const { return stack_.back(); }

  void warn(Code code, std::string tag, std::string message) {
    diags_.push_back({Severity::Warning, code, number_, offset_, std::move(tag), 0, std::move(message)});
  }
  bool wrong(const std::string& what, std::string_view got, std::string_view wanted) {
    error_ = true;
    diags_.push_back({error_severity(mode_), Code::RecordStructureInvalid, number_, offset_, tag_, 0,
                      what + " in record " + std::to_string(number_) + " is " + std::string(got) + ", not " +
                          std::string(wanted) + "; left out"});
    return true;
  }

  char indicator(const std::string& v, int which) {
    if (v.empty()) return ' ';
    const char c = single_char(v, false, problem_);
    if (!problem_.empty())
      warn(Code::RecordStructureInvalid, tag_, "indicator " + std::to_string(which) + " of field " + tag_ + " " + problem_);
    return c;
  }

  /// A value that is not a string where a string or container was expected (or ignored).
  bool scalar(std::string_view what) {
    if (skip_) return true;
    switch (top()) {
      case S::Record:
        if (expect_ == V::Leader) return wrong("the leader", what, "a string");
        if (expect_ == V::Fields) return wrong("\"fields\"", what, "an array");
        return true;
      case S::Fields: return wrong("a field", what, "an object");
      case S::Field: return tag_ok_ ? wrong("field " + tag_, what, "a string or an object") : true;
      case S::Data:
        if (expect_ == V::Ind1 || expect_ == V::Ind2) return wrong("an indicator of field " + tag_, what, "a string");
        if (expect_ == V::Subfields) return wrong("\"subfields\" of field " + tag_, what, "an array");
        return true;
      case S::Subfields: return wrong("a subfield of field " + tag_, what, "an object");
      case S::Subfield: return wrong("subfield $" + std::string(1, code_) + " of field " + tag_, what, "a string");
      case S::Top: return wrong("the record", what, "an object");
    }
    return true;
  }

  bool open(bool object) {
    if (skip_) {
      ++skip_;
      return true;
    }
    const std::string_view what = object ? "an object" : "an array";
    switch (top()) {
      case S::Top:
        if (!object) {
          wrong("the record", what, "an object");
          skip_ = 1;
          return true;
        }
        stack_.push_back(S::Record);
        return true;
      case S::Record:
        if (expect_ == V::Fields && !object) {
          stack_.push_back(S::Fields);
          return true;
        }
        if (expect_ == V::Leader) wrong("the leader", what, "a string");
        else if (expect_ == V::Fields) wrong("\"fields\"", what, "an array");
        skip_ = 1;
        return true;
      case S::Fields:
        if (!object) {
          wrong("a field", what, "an object");
          skip_ = 1;
          return true;
        }
        stack_.push_back(S::Field);
        keys_ = 0;
        tag_.clear();
        tag_ok_ = false;
        return true;
      case S::Field:
        if (!object || !tag_ok_) {
          if (tag_ok_) wrong("field " + tag_, what, "a string or an object");
          skip_ = 1;
          return true;
        }
        stack_.push_back(S::Data);
        ind1_ = ind2_ = ' ';
        field_ = Field(tag_, ' ', ' ', {});
        expect_ = V::None;
        return true;
      case S::Data:
        if (expect_ == V::Subfields && !object) {
          stack_.push_back(S::Subfields);
          return true;
        }
        if (expect_ == V::Ind1 || expect_ == V::Ind2) wrong("an indicator of field " + tag_, what, "a string");
        else if (expect_ == V::Subfields) wrong("\"subfields\" of field " + tag_, what, "an array");
        skip_ = 1;
        return true;
      case S::Subfields:
        if (!object) {
          wrong("a subfield of field " + tag_, what, "an object");
          skip_ = 1;
          return true;
        }
        stack_.push_back(S::Subfield);
        code_ = ' ';
        return true;
      case S::Subfield:
        wrong("subfield $" + std::string(1, code_) + " of field " + tag_, what, "a string");
        skip_ = 1;
        return true;
    }
    return true;
  }

  bool close() {
    if (skip_) {
      --skip_;
      return true;
    }
    const S s = top();
    stack_.pop_back();
    switch (s) {
      case S::Record:
        expect_ = V::None;
        break;
      case S::Field:
        if (keys_ == 0) warn(Code::RecordStructureInvalid, {}, "an empty field object in record " + std::to_string(number_) + "; ignored");
        expect_ = V::None;
        break;
      case S::Data:
        field_.set_indicators(ind1_, ind2_);
        if (field_.subfields().empty())
          warn(Code::RecordStructureInvalid, tag_,
               "field " + tag_ + " in record " + std::to_string(number_) + " has no subfields; kept as it is");
        rec_.add_field(std::move(field_));
        field_ = Field();
        expect_ = V::None;
        break;
      case S::Subfields:
      case S::Fields:
        expect_ = V::None;
        break;
      default:
        break;
    }
    return true;
  }

  Record& rec_;
  Diagnostics& diags_;
  ReadMode mode_;
  std::uint64_t number_;
  std::uint64_t offset_;
  bool leader_utf8_;  ///< DecodeOptions::leader_utf8
  std::vector<S> stack_{S::Top};
  V expect_ = V::None;
  int skip_ = 0;
  int keys_ = 0;
  std::string tag_;
  bool tag_ok_ = false;
  char ind1_ = ' ', ind2_ = ' ';
  char code_ = ' ';
  Field field_;
  bool leader_seen_ = false;
  bool error_ = false;
  bool failed_ = false;
  std::size_t error_position_ = 0;
  std::string error_message_;
  std::string problem_;
};

class JsonStream final : public RecordStream {
 public:
  JsonStream(std::unique_ptr<ByteSource> source, const ReadOptions& options)
      : win_(std::move(source)), mode_(options.mode), leader_utf8_(options.decode.leader_utf8) {}

  bool next(Record& record, Diagnostics& diags) override {
    for (;;) {
      if (shape_ == Shape::Done) return false;
      const int c = skip_space();
      switch (shape_) {
        case Shape::Start:
          if (c < 0) {
            shape_ = Shape::Done;
            // An empty array (what a writer writes for no records) is a collection with none.
            if (seen_ == 0 && !had_error_ && !saw_array_)
              diags.push_back({Severity::Warning, Code::NotMarc, 0, pos_, {}, 0, "the input holds no JSON records"});
            continue;
          }
          if (c == '[') {
            saw_array_ = true;
            shape_ = Shape::Array;
            expect_element_ = true;
            after_comma_ = false;
            ++pos_;
            continue;
          }
          if (c == '{') {
            shape_ = Shape::Objects;
            continue;
          }
          syntax_error(pos_, after_array_ ? "text after the end of the JSON array"
                                          : "expected '[' or '{' at the start of MARC-in-JSON input", diags);
          continue;
        case Shape::Array:
          if (c < 0) {
            syntax_error(pos_, "unexpected end of input: the JSON array is not closed", diags);
            continue;
          }
          if (c == ']') {
            if (after_comma_)
              diags.push_back({Severity::Warning, Code::JsonSyntaxError, 0, pos_, {}, 0,
                               "a comma before ']' at " + win_.pos_at(pos_).describe() + " (not allowed in JSON); ignored"});
            ++pos_;
            shape_ = Shape::Start;  // another array (or object) may follow
            after_array_ = true;
            continue;
          }
          if (c == ',') {
            if (expect_element_) {
              syntax_error(pos_, "unexpected ',' in the JSON array", diags);
              continue;
            }
            expect_element_ = true;
            after_comma_ = true;
            ++pos_;
            continue;
          }
          if (!expect_element_) {
            syntax_error(pos_, std::string("expected ',' or ']' after a record, found '") + printable(std::string(1, static_cast<char>(c))) + "'", diags);
            continue;
          }
          expect_element_ = false;
          after_comma_ = false;
          if (c != '{') {
            not_an_object(diags);
            continue;
          }
          if (read_element(record, diags)) return true;
          continue;
        case Shape::Objects:
          if (c < 0) {
            shape_ = Shape::Done;
            continue;
          }
          if (c != '{') {
            syntax_error(pos_, std::string("expected '{' to start the next record, found '") + printable(std::string(1, static_cast<char>(c))) + "'", diags);
            continue;
          }
          if (read_element(record, diags)) return true;
          continue;
        case Shape::Done:
          return false;
      }
    }
  }

  std::uint64_t records_seen() const override { return seen_; }
  std::uint64_t last_offset() const override { return last_offset_; }
  std::uint64_t last_end() const override { return last_end_; }

 private:
  enum class Shape : std::uint8_t { Start, Array, Objects, Done };

  /// Skips whitespace (and a BOM at the very start); the byte at pos_, or -1 at the end.
  int skip_space() {
    for (;;) {
      win_.discard_before(pos_);
      const int c = win_.byte_at(pos_);
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++pos_;
        continue;
      }
      if (c == 0xEF && pos_ == 0 && win_.byte_at(1) == 0xBB && win_.byte_at(2) == 0xBF) {
        pos_ = 3;
        continue;
      }
      return c;
    }
  }

  /// A syntax error outside any record: report, then stop (Strict) or find the next record.
  void syntax_error(std::uint64_t at, const std::string& what, Diagnostics& diags) {
    had_error_ = true;
    diags.push_back({error_severity(mode_), Code::JsonSyntaxError, 0, at, {}, 0,
                     "JSON syntax error at " + win_.pos_at(at).describe() + ": " + what});
    resync(at);
  }

  /// After an error at `at`: Strict stops; otherwise reading goes on at the next record, found
  /// after `from` (the start of the broken record, or the error).
  void resync(std::uint64_t from) {
    if (mode_ == ReadMode::Strict) {
      shape_ = Shape::Done;
      return;
    }
    const bool in_array = shape_ == Shape::Array || (shape_ == Shape::Start && after_array_);
    const auto next = in_array ? find_leader_object(from + 1) : find_line_object(from + 1);
    if (!next) {
      shape_ = Shape::Done;
      return;
    }
    pos_ = *next;
    if (in_array) {
      shape_ = Shape::Array;
      expect_element_ = true;
      after_comma_ = false;
    } else {
      shape_ = Shape::Objects;
    }
  }

  /// The next line, after `from`, whose first character is '{': the next record of NDJSON or of
  /// pretty-printed objects one after another (whose nested objects are indented).
  std::optional<std::uint64_t> find_line_object(std::uint64_t from) {
    std::uint64_t at = from;
    for (;;) {
      win_.discard_before(at);
      if (at >= win_.end() && win_.fill() == 0) return std::nullopt;
      const std::string_view v = win_.view();
      const std::size_t nl = v.find('\n', static_cast<std::size_t>(at - win_.base()));
      if (nl == std::string_view::npos) {
        at = win_.end();
        continue;
      }
      const std::uint64_t p = win_.base() + nl + 1;
      const int c = win_.byte_at(p);
      if (c == '{') return p;
      if (c < 0) return std::nullopt;
      at = p;
    }
  }

  /// The next '{' followed by optional whitespace and "leader", after `from`.
  std::optional<std::uint64_t> find_leader_object(std::uint64_t from) {
    std::uint64_t at = from;
    for (;;) {
      win_.discard_before(at);
      if (at >= win_.end() && win_.fill() == 0) return std::nullopt;
      const std::string_view v = win_.view();
      const std::size_t b = v.find('{', static_cast<std::size_t>(at - win_.base()));
      if (b == std::string_view::npos) {
        at = win_.end();
        continue;
      }
      const std::uint64_t p = win_.base() + b;
      std::uint64_t q = p + 1;
      int c = win_.byte_at(q);
      while (c == ' ' || c == '\t' || c == '\r' || c == '\n') c = win_.byte_at(++q);
      bool match = c == '"';
      for (std::size_t k = 0; match && k < 7; ++k) match = win_.byte_at(q + 1 + k) == "leader\""[k];
      if (match) return p;
      at = p + 1;
    }
  }

  struct Frame {
    std::uint64_t end = 0;   ///< one past the last byte of the value (or of what there is)
    bool complete = false;   ///< brackets balanced
    std::vector<std::uint64_t> raw_controls;
  };

  /// Finds where the value starting at pos_ ends, reading more input as needed.
  Frame frame() {
    Frame f;
    std::string stack;
    bool in_string = false, escape = false;
    std::uint64_t i = pos_;
    for (;;) {
      if (i >= win_.end() && win_.fill() == 0) {
        f.end = win_.end();
        return f;
      }
      const char* d = win_.data();
      const std::uint64_t base = win_.base();
      const std::size_t n = win_.size();
      for (std::size_t k = static_cast<std::size_t>(i - base); k < n; ++k) {
        const char c = d[k];
        if (in_string) {
          if (escape) escape = false;
          else if (c == '\\') escape = true;
          else if (c == '"') in_string = false;
          else if (static_cast<unsigned char>(c) < 0x20) f.raw_controls.push_back(base + k);
          continue;
        }
        switch (c) {
          case '"': in_string = true; break;
          case '{': stack.push_back('}'); break;
          case '[': stack.push_back(']'); break;
          case '}':
          case ']':
            if (stack.empty() || stack.back() != c) {
              f.end = base + k + 1;  // nlohmann reports the mismatch here
              return f;
            }
            stack.pop_back();
            if (stack.empty()) {
              f.end = base + k + 1;
              f.complete = true;
              return f;
            }
            break;
          default:
            break;
        }
      }
      i = base + n;
    }
  }

  /// An array element that is a string, number, array ...: counted as a record, reported, passed over.
  void not_an_object(Diagnostics& diags) {
    const std::uint64_t start = pos_;
    const std::uint64_t number = ++seen_;
    int c = win_.byte_at(pos_);
    if (c == '[') {
      pos_ = frame().end;
    } else if (c == '"') {
      bool escape = false;
      for (c = win_.byte_at(++pos_); c >= 0; c = win_.byte_at(++pos_)) {
        if (escape) escape = false;
        else if (c == '\\') escape = true;
        else if (c == '"') break;
      }
      if (c >= 0) ++pos_;
    } else {
      while (c >= 0 && c != ',' && c != ']' && c != '}' && c != ' ' && c != '\t' && c != '\r' && c != '\n') c = win_.byte_at(++pos_);
    }
    diags.push_back({error_severity(mode_), Code::RecordStructureInvalid, number, start, {}, 0,
                     "element " + std::to_string(number) + " of the JSON array (at " + win_.pos_at(start).describe() +
                         ") is not an object, so not a record"});
    if (mode_ == ReadMode::Strict) {
      shape_ = Shape::Done;
      return;
    }
    diags.push_back({Severity::Error, Code::RecordSkipped, number, start, {}, 0, "record " + std::to_string(number) + " skipped"});
  }

  /// Reads the record whose object starts at pos_. True when one is delivered into `record`.
  bool read_element(Record& record, Diagnostics& diags) {
    const std::uint64_t start = pos_;
    win_.discard_before(start);
    const std::uint64_t number = ++seen_;
    Frame f = frame();
    std::string_view slice(win_.data() + (start - win_.base()), static_cast<std::size_t>(f.end - start));
    std::string fixed;
    if (!f.raw_controls.empty()) {
      // Escape raw control characters inside strings so the strict parser takes them.
      static constexpr char kHex[] = "0123456789ABCDEF";
      fixed.reserve(slice.size() + 6 * f.raw_controls.size());
      std::uint64_t copied = start;
      for (const std::uint64_t at : f.raw_controls) {
        fixed.append(slice.substr(static_cast<std::size_t>(copied - start), static_cast<std::size_t>(at - copied)));
        const auto c = static_cast<unsigned char>(slice[static_cast<std::size_t>(at - start)]);
        switch (c) {
          case '\n': fixed += "\\n"; break;
          case '\r': fixed += "\\r"; break;
          case '\t': fixed += "\\t"; break;
          default: fixed += "\\u00"; fixed += kHex[c >> 4]; fixed += kHex[c & 15];
        }
        copied = at + 1;
      }
      fixed.append(slice.substr(static_cast<std::size_t>(copied - start)));
      if (f.complete)
        diags.push_back({Severity::Warning, Code::JsonSyntaxError, number, f.raw_controls.front(), {}, 0,
                         std::to_string(f.raw_controls.size()) + " raw control character(s) inside strings of record " +
                             std::to_string(number) + " (first at " + win_.pos_at(f.raw_controls.front()).describe() +
                             "); JSON requires them escaped; read as if they were"});
    }
    cur_ = Record();
    MijHandler handler(cur_, diags, mode_, number, start, leader_utf8_);
    const std::string_view text = fixed.empty() ? slice : std::string_view(fixed);
    json::sax_parse(text.data(), text.data() + text.size(), &handler, json::input_format_t::json, true);
    pos_ = f.end;
    last_offset_ = start;
    last_end_ = f.end;

    bool error = handler.had_error();
    if (handler.failed() || !f.complete) {
      had_error_ = true;
      // Position: nlohmann counts characters read (1-based); map back over inserted escapes.
      std::uint64_t rel = handler.failed() && handler.error_position() > 0 ? handler.error_position() - 1
                                                                          : static_cast<std::uint64_t>(text.size());
      if (!fixed.empty()) {
        std::uint64_t extra = 0;
        for (const std::uint64_t at : f.raw_controls) {
          const std::uint64_t in_fixed = at - start + extra;
          if (in_fixed >= rel) break;
          const auto c = static_cast<unsigned char>(win_.data()[at - win_.base()]);
          extra += (c == '\n' || c == '\r' || c == '\t') ? 1 : 5;
        }
        rel = rel >= extra ? rel - extra : 0;
      }
      const std::uint64_t at = std::min<std::uint64_t>(start + rel, win_.end());
      const std::string detail = handler.failed() ? handler.error_message()
                                                  : std::string("unexpected end of input inside the record");
      diags.push_back({error_severity(mode_), Code::JsonSyntaxError, number, at, {}, 0,
                       "JSON syntax error at " + win_.pos_at(at).describe() + " (record " + std::to_string(number) +
                           "): " + detail});
      if (mode_ == ReadMode::Strict) {
        shape_ = Shape::Done;
        return false;
      }
      if (mode_ == ReadMode::Recover && (handler.leader_seen() || !cur_.fields().empty())) {
        handler.salvage();
        if (!handler.leader_seen()) cur_.set_leader(kDefaultLeader);
        diags.push_back({Severity::Error, Code::RecordStructureInvalid, number, at, {}, 0,
                         "record " + std::to_string(number) + " is cut short by the JSON error; delivered as far as it was read"});
        diags.push_back({Severity::Info, Code::RecordRepaired, number, start, {}, 0,
                         "record " + std::to_string(number) + " was repaired; the diagnostics before this one say what changed"});
        record = std::move(cur_);
        resync(start);
        return true;
      }
      diags.push_back({Severity::Error, Code::RecordSkipped, number, start, {}, 0, "record " + std::to_string(number) + " skipped"});
      resync(start);
      return false;
    }
    if (!handler.leader_seen()) {
      diags.push_back({Severity::Warning, Code::RecordStructureInvalid, number, start, "LDR", 0,
                       "record " + std::to_string(number) + " has no leader; a blank one was used"});
      cur_.set_leader(kDefaultLeader);
    }
    if (cur_.fields().empty())
      diags.push_back({Severity::Warning, Code::NoFields, number, start, {}, 0, "record " + std::to_string(number) + " has no fields"});
    switch (record_outcome(mode_, error, number, start, diags)) {
      case Outcome::Deliver:
        record = std::move(cur_);
        return true;
      case Outcome::Skip:
        return false;
      case Outcome::Stop:
        shape_ = Shape::Done;
        return false;
    }
    return false;
  }

  InputWindow win_;
  ReadMode mode_;
  bool leader_utf8_;  ///< DecodeOptions::leader_utf8
  Shape shape_ = Shape::Start;
  std::uint64_t pos_ = 0;
  bool expect_element_ = false;
  bool after_comma_ = false;
  bool after_array_ = false;
  bool had_error_ = false;
  bool saw_array_ = false;  ///< a top-level array began (an empty one is a collection of no records)
  std::uint64_t seen_ = 0;
  std::uint64_t last_offset_ = 0;
  std::uint64_t last_end_ = 0;
  Record cur_;
};

}  // namespace

std::unique_ptr<RecordStream> open_json_stream(std::unique_ptr<ByteSource> source, const ReadOptions& options) {
  return std::make_unique<JsonStream>(std::move(source), options);
}

}  // namespace marcscope::detail
