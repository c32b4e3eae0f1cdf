// MARCMaker / MarcEdit mnemonic text (.mrk) reader.
//
//   =LDR  00000nam a2200000 a 4500        leader ('\' = blank)
//   =001  ocm12345\                       control field ('\' = blank, {bsol} = backslash)
//   =245  10$aTitle /$cAuthor.            data field: two indicators ('\' = blank), text up to the
//                                         first '$' (kept as Field::leading_data), subfields
//
// Records end at a blank line or at the next =LDR. LF or CR LF. A line that starts with a blank
// or a tab continues the previous line (MARC.pm wraps long lines at 66 columns that way); the text
// is appended as it is. Any other line is an mrk-syntax-error.
//
// Mnemonics in braces ({dollar}, {lcub}, {eacute}, {1F} ...) are those of the Library of Congress
// MARCMaker table (mrk_mnemonics.h): a MARC-8 diacritic ({acute}) comes before its letter, as in
// MARC-8, and is moved after it, then the value is NFC-composed. A value holding ESC ({esc}, {1B})
// is read as MARCMaker means it, as MARC-8 with escape sequences ("{esc}b2{esc}s" is a subscript
// 2), when that reads without a problem. Anything else in braces that looks like a name ("{wn}" in
// real MarcEdit data) is kept as written, with a warning; other braces are text.
#include <algorithm>

#include "format_support.h"
#include "marcscope/charset/marc8.h"
#include "marcscope/formats/mrk_reader.h"
#include "marcscope/iso2709/record_view.h"
#include "marcscope/charset/utf8.h"
#include "mrk_mnemonics.h"

namespace marcscope::detail {
namespace {

/// Names of unknown mnemonics met while decoding (the first, and how many).
struct Unknown {
  std::size_t count = 0;
  std::string first;
};

/// "{name}" at in[i] when name is 1-16 letters or digits: its length with the braces, else 0.
std::size_t mnemonic_at(std::string_view in, std::size_t i) {
  std::size_t k = i + 1;
  while (k < in.size() && k - i <= 16 &&
         ((in[k] >= 'a' && in[k] <= 'z') || (in[k] >= 'A' && in[k] <= 'Z') || (in[k] >= '0' && in[k] <= '9')))
    ++k;
  return k > i + 1 && k < in.size() && in[k] == '}' ? k + 1 - i : 0;
}

/// Decodes MARCMaker text into `out`: mnemonics, and '\' as a blank where `backslash_blank`.
void decode_text(std::string_view in, bool backslash_blank, std::string& out, Unknown& unknown) {
  out.clear();
  if (in.find('{') == std::string_view::npos && (!backslash_blank || in.find('\\') == std::string_view::npos) &&
      in.find('\x1B') == std::string_view::npos) {
    out.assign(in);
    return;
  }
  std::string pending;  // combining marks waiting for their base character
  bool composed = false;
  bool escape = in.find('\x1B') != std::string_view::npos;
  // The same text as MARC-8 bytes (mnemonics as their LoC bytes), in case it holds escape sequences.
  std::string marc8;
  auto flush_pending = [&] {
    if (!pending.empty()) {
      out += pending;
      pending.clear();
    }
  };
  for (std::size_t i = 0; i < in.size();) {
    const char c = in[i];
    if (c == '{') {
      if (const std::size_t len = mnemonic_at(in, i)) {
        const std::string_view name = in.substr(i + 1, len - 2);
        if (const MnemonicValue* v = find_mnemonic(name)) {
          if (v->combining) {
            pending += v->text;
            composed = true;
          } else {
            out += v->text;
            flush_pending();
            composed = composed || v->text.size() > 1;
          }
          marc8 += v->marc8;
          escape = escape || v->marc8.find('\x1B') != std::string::npos;
          i += len;
          continue;
        }
        if (unknown.count++ == 0) unknown.first = std::string(in.substr(i, len));
      }
      out += '{';
      marc8 += '{';
      flush_pending();
      ++i;
      continue;
    }
    if (backslash_blank && c == '\\') {
      out += ' ';
      marc8 += ' ';
      flush_pending();
      ++i;
      continue;
    }
    // One whole character (UTF-8 sequence) as it is.
    std::size_t len = 1;
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0xC0) len = u >= 0xF0 ? 4 : u >= 0xE0 ? 3 : 2;
    len = std::min(len, in.size() - i);
    out.append(in.data() + i, len);
    if (u < 0x80) marc8 += c;
    else utf8_to_marc8(in.substr(i, len), marc8);
    flush_pending();
    i += len;
  }
  flush_pending();
  if (escape) {
    std::string as_marc8;
    std::vector<Marc8Problem> problems;
    if (marc8_to_utf8(marc8, as_marc8, &problems)) {
      out = std::move(as_marc8);
      return;
    }
  }
  if (composed && is_valid_utf8(out)) out = nfc(out);
}

class MrkStream final : public RecordStream {
 public:
  MrkStream(std::unique_ptr<ByteSource> source, const ReadOptions& options)
      : win_(std::move(source)), mode_(options.mode), leader_utf8_(options.decode.leader_utf8) {}

  bool next(Record& record, Diagnostics& diags) override {
    diags_ = &diags;
    for (;;) {
      if (ready_) {
        ready_ = false;
        record = std::move(out_);
        return true;
      }
      if (done_) return false;
      std::string_view line;
      std::uint64_t at = 0;
      if (!next_line(line, at)) {
        flush_line();
        finish_record();
        done_ = true;
        continue;
      }
      ++line_no_;
      if (line_no_ == 1 && line.starts_with("\xEF\xBB\xBF")) {
        line.remove_prefix(3);
        at += 3;
      }
      if (line.find_first_not_of(" \t") == std::string_view::npos) {
        flush_line();
        finish_record();
        continue;
      }
      if (line[0] == ' ' || line[0] == '\t') {
        if (have_line_) {
          line_ += line;
          record_end_ = pos_;
          continue;
        }
        syntax_error(at, line_no_, "a continuation line with no field line before it");
        continue;
      }
      if (line[0] != '=') {
        flush_line();
        syntax_error(at, line_no_, "a line that does not start with '=' (\"" + printable(utf8_prefix(line, 40)) + "\")");
        continue;
      }
      flush_line();
      if (line.starts_with("=LDR") && in_record_) finish_record();
      line_.assign(line);
      line_at_ = at;
      line_no_at_ = line_no_;
      have_line_ = true;
      record_end_ = pos_;
    }
  }

  /// Notes where the first record's leader and fields start in `text` (read_mrk_record()).
  void track_lines(MrkRecordText* text) { lines_ = text; }

  std::uint64_t records_seen() const override { return seen_; }
  std::uint64_t last_offset() const override { return last_offset_; }
  std::uint64_t last_end() const override { return last_end_; }

 private:
  /// The next line without its line end; false at the end of the input.
  bool next_line(std::string_view& line, std::uint64_t& at) {
    for (;;) {
      const std::string_view v = win_.view();
      const std::size_t start = static_cast<std::size_t>(pos_ - win_.base());
      const std::size_t nl = v.find('\n', start);
      if (nl != std::string_view::npos || (win_.eof() && start < v.size())) {
        const std::size_t stop = nl == std::string_view::npos ? v.size() : nl;
        line = v.substr(start, stop - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        at = pos_;
        pos_ = win_.base() + (nl == std::string_view::npos ? v.size() : nl + 1);
        return true;
      }
      if (win_.eof()) return false;
      // line_ holds its own copy, so everything before this line can go.
      win_.discard_before(pos_);
      win_.fill();
    }
  }

  void begin_record(std::uint64_t at) {
    in_record_ = true;
    cur_ = Record();
    leader_seen_ = false;
    error_ = false;
    number_ = ++seen_;
    record_at_ = at;
  }

  void syntax_error(std::uint64_t at, std::uint64_t line_no, const std::string& what) {
    diags_->push_back({error_severity(mode_), Code::MrkSyntaxError, in_record_ ? number_ : 0, at, {}, 0,
                       "line " + std::to_string(line_no) + ": " + what + "; ignored"});
    if (in_record_) {
      error_ = true;
    } else if (mode_ == ReadMode::Strict) {
      done_ = true;
    }
  }

  void warn(Code code, std::string tag, std::string message) {
    diags_->push_back({Severity::Warning, code, number_, line_at_, std::move(tag), 0,
                       "line " + std::to_string(line_no_at_) + ": " + std::move(message)});
  }

  /// Reads the pending field line into the record.
  void flush_line() {
    if (!have_line_) return;
    have_line_ = false;
    std::string_view line = line_;
    if (!in_record_) begin_record(line_at_);
    // The model holds UTF-8: a line that is not (a Latin-1 export) gets U+FFFD where it breaks.
    std::string fixed;
    if (!is_valid_utf8(line)) {
      const std::size_t n = append_utf8_replacing(line, fixed);
      line = fixed;
      warn(Code::InvalidUtf8, {}, std::to_string(n) + " invalid UTF-8 sequence(s) replaced with U+FFFD");
    }
    Unknown unknown;
    const std::string tag = read_line(line, unknown);
    // Names in braces that are no mnemonic are kept as written, with one warning per line.
    if (unknown.count)
      warn(Code::MrkSyntaxError, tag,
           "unknown mnemonic " + printable(unknown.first) +
               (unknown.count > 1 ? " (and " + std::to_string(unknown.count - 1) + " more)" : std::string()) +
               "; kept as written");
  }

  /// Reads one field line (continuations included); returns its tag.
  std::string read_line(std::string_view line, Unknown& unknown) {
    const std::string at_line = "line " + std::to_string(line_no_at_) + ": ";
    auto decode = [&](std::string_view in, bool backslash_blank) { decode_text(in, backslash_blank, text_, unknown); };
    if (line.size() < 4) {
      syntax_error(line_at_, line_no_at_, "a line too short to hold a tag (\"" + printable(line) + "\")");
      return {};
    }
    std::string tag(line.substr(1, 3));
    for (char& c : tag)
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) c = '?';
    std::string_view data;
    if (line.size() >= 6 && line[4] == ' ' && line[5] == ' ') {
      data = line.substr(6);
    } else if (line.size() == 4 || (line.size() == 5 && line[4] == ' ')) {
      data = {};
    } else if (line[4] == ' ') {
      data = line.substr(5);
      warn(Code::MrkSyntaxError, tag, "one blank after the tag instead of two");
    } else {
      syntax_error(line_at_, line_no_at_, "the tag is not followed by two blanks (\"" + printable(utf8_prefix(line, 40)) + "\")");
      return tag;
    }
    if (tag == "LDR") {
      if (leader_seen_) warn(Code::RecordStructureInvalid, "LDR", "a second =LDR line in the record; it replaces the first");
      decode(data, true);
      set_text_leader(cur_, text_, *diags_, number_, line_at_, "line " + std::to_string(line_no_at_) + ": the",
                      leader_utf8_);
      leader_seen_ = true;
      if (lines_ && number_ == 1) lines_->leader_line = static_cast<std::uint32_t>(line_no_at_);
      return tag;
    }
    if (is_control_tag(tag)) {
      decode(data, true);
      clean_read_value(text_, *diags_, number_, line_at_, tag, 0, at_line);
      cur_.add_field(Field(tag, text_));
      note_field_line();
      return tag;
    }
    char ind1 = ' ', ind2 = ' ';
    std::string_view rest;
    auto ind = [&](char c, int which) {
      if (c == '\\') return ' ';
      if (c >= 0x20 && c < 0x7F) return c;
      warn(Code::RecordStructureInvalid, tag, "indicator " + std::to_string(which) + " of field " + tag + " is \"" +
                                                  printable(std::string_view(&c, 1)) + "\", not a printable ASCII character; read as '?'");
      return '?';
    };
    if (data.size() < 2 || data[0] == '$' || data[1] == '$') {
      warn(Code::IndicatorsMissing, tag, "field " + tag + " lacks its two indicators; read as blanks");
      const std::size_t dollar = data.find('$');
      if (dollar == 1) ind1 = ind(data[0], 1);
      rest = dollar == std::string_view::npos ? std::string_view() : data.substr(dollar);
    } else {
      // An indicator that is not ASCII takes its whole character (the line is UTF-8 by now), as
      // a subfield code does below: cutting it would leave the rest of it in the field's data.
      const auto length = [&](std::size_t at) {
        const auto u = static_cast<unsigned char>(data[at]);
        return std::min<std::size_t>(data.size() - at, u >= 0xF0 ? 4 : u >= 0xE0 ? 3 : u >= 0xC0 ? 2 : 1);
      };
      const std::size_t second = length(0);
      ind1 = ind(data[0], 1);
      if (second < data.size() && data[second] != '$') {
        ind2 = ind(data[second], 2);
        rest = data.substr(std::min(data.size(), second + length(second)));
      } else {  // as for "x$a..." above
        warn(Code::IndicatorsMissing, tag, "field " + tag + " lacks its two indicators; read as blanks");
        rest = data.substr(second);
      }
    }
    Field field(tag, ind1, ind2, {});
    const std::size_t first = rest.find('$');
    if (first != 0 && !rest.empty()) {
      decode(rest.substr(0, first), true);
      clean_read_value(text_, *diags_, number_, line_at_, tag, 0, at_line);
      field.set_leading_data(text_);
    }
    std::size_t i = first;
    while (i != std::string_view::npos && i < rest.size()) {
      const std::size_t next = rest.find('$', i + 1);
      std::string_view piece = rest.substr(i + 1, next == std::string_view::npos ? std::string_view::npos : next - i - 1);
      i = next;
      if (piece.empty()) {
        warn(Code::SubfieldCodeMissing, tag, "field " + tag + " has a '$' with no subfield code after it; dropped");
        continue;
      }
      char code = piece[0];
      std::size_t skip = 1;
      if (static_cast<unsigned char>(code) >= 0x80) {
        // A non-ASCII character as code: '?' (as Record::from_view does), the whole character skipped.
        const auto u = static_cast<unsigned char>(code);
        skip = std::min<std::size_t>(piece.size(), u >= 0xF0 ? 4 : u >= 0xE0 ? 3 : u >= 0xC0 ? 2 : 1);
        warn(Code::SubfieldCodeInvalid, tag, "field " + tag + " has subfield code \"" + printable(piece.substr(0, skip)) +
                                                 "\", not an ASCII character; read as '?'");
        code = '?';
      }
      if (piece[0] == '{') {
        // A code written as a mnemonic ("${dollar}"): one character, or the '{' itself.
        if (const std::size_t len = mnemonic_at(piece, 0)) {
          const MnemonicValue* v = find_mnemonic(piece.substr(1, len - 2));
          if (v != nullptr && v->text.size() == 1) {
            code = v->text[0];
            skip = len;
          }
        }
      }
      code = clean_read_code(code, *diags_, number_, line_at_, tag, at_line);
      decode(piece.substr(skip), false);
      clean_read_value(text_, *diags_, number_, line_at_, tag, code, at_line);
      field.add_subfield(code, text_);
    }
    if (field.subfields().empty() && field.leading_data().empty())
      warn(Code::RecordStructureInvalid, tag, "field " + tag + " has no subfields; kept as it is");
    cur_.add_field(std::move(field));
    note_field_line();
    return tag;
  }

  void note_field_line() {
    if (lines_ && number_ == 1) lines_->field_lines.push_back(static_cast<std::uint32_t>(line_no_at_));
  }

  void finish_record() {
    if (!in_record_) return;
    in_record_ = false;
    if (!leader_seen_) {
      diags_->push_back({Severity::Warning, Code::RecordStructureInvalid, number_, record_at_, "LDR", 0,
                         "record " + std::to_string(number_) + " has no =LDR line; a blank leader was used"});
      cur_.set_leader(kDefaultLeader);
    }
    if (cur_.fields().empty())
      diags_->push_back({Severity::Warning, Code::NoFields, number_, record_at_, {}, 0,
                         "record " + std::to_string(number_) + " has no fields"});
    switch (record_outcome(mode_, error_, number_, record_at_, *diags_)) {
      case Outcome::Deliver:
        out_ = std::move(cur_);
        ready_ = true;
        last_offset_ = record_at_;
        last_end_ = record_end_;
        break;
      case Outcome::Skip:
        break;
      case Outcome::Stop:
        done_ = true;
        break;
    }
  }

  InputWindow win_;
  ReadMode mode_;
  bool leader_utf8_;  ///< DecodeOptions::leader_utf8
  MrkRecordText* lines_ = nullptr;
  Diagnostics* diags_ = nullptr;
  std::uint64_t pos_ = 0;
  std::uint64_t line_no_ = 0;

  std::string line_;           ///< the field line being collected (with its continuations)
  bool have_line_ = false;
  std::uint64_t line_at_ = 0;
  std::uint64_t line_no_at_ = 0;
  std::string text_;

  bool in_record_ = false;
  bool leader_seen_ = false;
  bool error_ = false;
  std::uint64_t number_ = 0;
  std::uint64_t record_at_ = 0;
  Record cur_;
  Record out_;
  bool ready_ = false;
  bool done_ = false;
  std::uint64_t seen_ = 0;
  std::uint64_t last_offset_ = 0;
  std::uint64_t last_end_ = 0;
  std::uint64_t record_end_ = 0;  ///< just past the last line that belongs to the current record
};

}  // namespace

std::unique_ptr<RecordStream> open_mrk_stream(std::unique_ptr<ByteSource> source, const ReadOptions& options) {
  return std::make_unique<MrkStream>(std::move(source), options);
}

}  // namespace marcscope::detail

namespace marcscope {

MrkRecordText read_mrk_record(std::string_view text, std::uint64_t number) {
  MrkRecordText out;
  ReadOptions options;
  options.mode = ReadMode::Recover;  // every line that can be read is kept; what could not says so
  detail::MrkStream stream(make_memory_source(std::string(text), "<editor>"), options);
  stream.track_lines(&out);
  // Line starts, to place each problem by its byte offset.
  std::vector<std::size_t> starts{0};
  for (std::size_t i = text.find('\n'); i != std::string_view::npos; i = text.find('\n', i + 1)) starts.push_back(i + 1);
  const auto line_at = [&](std::uint64_t offset) {
    return static_cast<std::uint32_t>(std::upper_bound(starts.begin(), starts.end(), offset) - starts.begin());
  };
  Diagnostics diags;
  Record record;
  std::uint64_t records = 0;
  while (stream.next(record, diags)) {
    if (++records == 1) {
      out.record = std::move(record);
    } else if (records == 2) {
      const std::uint32_t line = line_at(stream.last_offset());
      diags.push_back({Severity::Error, Code::MrkSyntaxError, 0, stream.last_offset(), {}, 0,
                       "line " + std::to_string(line) +
                           ": a second record starts here (a blank line ends a record in MARCMaker); remove the blank line"});
    }
  }
  if (records == 0)
    diags.push_back({Severity::Error, Code::NoFields, 0, 0, {}, 0, "the text holds no record: type =LDR and the fields"});
  for (Diagnostic& d : diags) {
    // Recover mode's "record was repaired" says nothing the problems before it do not; what
    // reading a second record finds is covered by the error that says it is there.
    if (d.code == Code::RecordRepaired || d.record > 1) continue;
    d.record = number;
    out.diagnostic_lines.push_back(d.offset == 0 && d.code == Code::NoFields && records == 0 ? 0 : line_at(d.offset));
    out.diagnostics.push_back(std::move(d));
  }
  out.readable = records == 1 && max_severity(out.diagnostics) < Severity::Error;
  return out;
}

}  // namespace marcscope
