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
// Mnemonics in braces: {dollar} {lcub} {rcub} {bsol} {esc}, two hex digits for control characters
// ({1B}, {1F}), the ANSEL specials and diacritics of the LoC MARCMaker table ({eth}, {aelig},
// {pound}, {acute}, {uml} ...: combining marks come before their base letter, as in MARC-8, and are
// moved after it, then the value is NFC-composed), common ASCII names ({quot}, {amp}, {lt} ...) and
// letter+accent names ({eacute}, {Ouml}). Anything else in braces ("{wn}" in real MarcEdit data)
// is kept literally, with no diagnostic.
#include <algorithm>
#include <array>
#include <iterator>

#include "format_support.h"
#include "marcscope/iso2709/record_view.h"
#include "marcscope/charset/utf8.h"

namespace marcscope::detail {
namespace {

struct Mnemonic {
  std::string_view name;
  char32_t cp;
  bool combining;
};

// Sorted by name (checked in a test through the reader).
constexpr Mnemonic kMnemonics[] = {
    {"AElig", 0x00C6, false},   {"Dstrok", 0x0110, false},  {"Eth", 0x0110, false},     {"Lstrok", 0x0141, false},
    {"OElig", 0x0152, false},   {"Ohorn", 0x01A0, false},   {"Ostrok", 0x00D8, false},  {"THORN", 0x00DE, false},
    {"Uhorn", 0x01AF, false},   {"acute", 0x0301, true},    {"aelig", 0x00E6, false},   {"alif", 0x02BC, false},
    {"amp", 0x0026, false},     {"apos", 0x0027, false},    {"ast", 0x002A, false},     {"ayn", 0x02BB, false},
{"breve", 0x0306, true},    {"breveb", 0x032E, true},   {"bsol", 0x005C, false},
    {"candra", 0x0310, true},   {"caron", 0x030C, true},    {"cedil", 0x0327, true},    {"circ", 0x0302, true},
{"colon", 0x003A, false},   {"comma", 0x002C, false},   {"commaa", 0x0313, true},
    {"commab", 0x0326, true},   {"commat", 0x0040, false},  {"copy", 0x00A9, false},    {"curren", 0x00A4, false},
    {"dagger", 0x2020, false},  {"dblac", 0x030B, true},    {"dbldotb", 0x0324, true},  {"dblunder", 0x0333, true},
    {"deg", 0x00B0, false},     {"diaer", 0x0308, true},    {"dollar", 0x0024, false},  {"dot", 0x0307, true},
    {"dotb", 0x0323, true},     {"dstrok", 0x0111, false},  {"equals", 0x003D, false},  {"esc", 0x001B, false},
    {"eth", 0x00F0, false},     {"euro", 0x20AC, false},    {"excl", 0x0021, false},    {"flat", 0x266D, false},
    {"grave", 0x0300, true},    {"gs", 0x001D, false},      {"gt", 0x003E, false},      {"hardsign", 0x02BA, false},
    {"hooka", 0x0309, true},    {"hookl", 0x0326, true},    {"hookr", 0x0328, true},    {"hyphen", 0x002D, false},
    {"iexcl", 0x00A1, false},   {"inodot", 0x0131, false},  {"iquest", 0x00BF, false},  {"joiner", 0x200D, false},
    {"laquo", 0x00AB, false},   {"lcub", 0x007B, false},    {"ldbltil", 0xFE22, true},  {"ldquo", 0x201C, false},
    {"llig", 0xFE20, true},     {"lpar", 0x0028, false},    {"lsqb", 0x005B, false},    {"lsquo", 0x2018, false},
    {"lstrok", 0x0142, false},  {"lt", 0x003C, false},      {"macr", 0x0304, true},     {"mdash", 0x2014, false},
    {"middot", 0x00B7, false},  {"mlPrime", 0x02BA, false}, {"mllhring", 0x02BB, false},{"mlprime", 0x02B9, false},
    {"mlrhring", 0x02BC, false},{"nbsp", 0x00A0, false},    {"ndash", 0x2013, false},   {"nonjoin", 0x200C, false},
    {"num", 0x0023, false},     {"ogon", 0x0328, true},     {"ohorn", 0x01A1, false},   {"ostrok", 0x00F8, false},
    {"para", 0x00B6, false},    {"percnt", 0x0025, false},  {"period", 0x002E, false},  {"phono", 0x2117, false},
    {"plus", 0x002B, false},    {"plusmn", 0x00B1, false},  {"pound", 0x00A3, false},   {"quest", 0x003F, false},
    {"quot", 0x0022, false},    {"raquo", 0x00BB, false},   {"rcedil", 0x031C, true},   {"rcommaa", 0x0315, true},
    {"rcub", 0x007D, false},    {"rdbltil", 0xFE23, true},  {"rdquo", 0x201D, false},   {"reg", 0x00AE, false},
    {"ring", 0x030A, true},     {"ringb", 0x0325, true},    {"rlig", 0xFE21, true},     {"rpar", 0x0029, false},
    {"rs", 0x001E, false},      {"rsqb", 0x005D, false},    {"rsquo", 0x2019, false},   {"scriptl", 0x2113, false},
    {"sect", 0x00A7, false},    {"semi", 0x003B, false},    {"sharp", 0x266F, false},   {"softsign", 0x02B9, false},
    {"sol", 0x002F, false},     {"space", 0x0020, false},   {"spcirc", 0x005E, false},  {"spgrave", 0x0060, false},
    {"sptilde", 0x007E, false}, {"spundscr", 0x005F, false},{"szlig", 0x00DF, false},   {"thorn", 0x00FE, false},
    {"tilde", 0x0303, true},    {"uhorn", 0x01B0, false},   {"uml", 0x0308, true},      {"under", 0x0332, true},
    {"us", 0x001F, false},
};
static_assert(std::is_sorted(std::begin(kMnemonics), std::end(kMnemonics),
                             [](const Mnemonic& a, const Mnemonic& b) { return a.name < b.name; }));

// Letter + accent names ({eacute}, {Ouml}, {ccedil} ...): the accent's combining mark after the letter.
struct Accent {
  std::string_view suffix;
  char32_t mark;
};
constexpr std::array<Accent, 12> kAccents{{
    {"acute", 0x0301}, {"grave", 0x0300}, {"circ", 0x0302}, {"uml", 0x0308},  {"tilde", 0x0303}, {"cedil", 0x0327},
    {"caron", 0x030C}, {"ring", 0x030A},  {"dblac", 0x030B}, {"ogon", 0x0328}, {"macr", 0x0304},  {"breve", 0x0306},
}};

const Mnemonic* find_mnemonic(std::string_view name) {
  const auto it = std::lower_bound(std::begin(kMnemonics), std::end(kMnemonics), name,
                                   [](const Mnemonic& m, std::string_view n) { return m.name < n; });
  if (it == std::end(kMnemonics) || it->name != name) return nullptr;
  return &*it;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/// What "{name}" stands for: up to two code points (a letter and its mark); false when unknown.
bool decode_mnemonic(std::string_view name, char32_t& first, char32_t& second, bool& combining) {
  second = 0;
  combining = false;
  if (name.size() == 2) {
    const int hi = hex_value(name[0]), lo = hex_value(name[1]);
    if (hi >= 0 && lo >= 0) {
      const int v = hi * 16 + lo;
      if (v < 0x20 || v == 0x7F) {
        first = static_cast<char32_t>(v);
        return true;
      }
      return false;
    }
  }
  if (const Mnemonic* m = find_mnemonic(name)) {
    first = m->cp;
    combining = m->combining;
    return true;
  }
  if (name.size() > 1) {
    const char letter = name[0];
    if ((letter >= 'a' && letter <= 'z') || (letter >= 'A' && letter <= 'Z')) {
      for (const auto& a : kAccents) {
        if (name.substr(1) == a.suffix) {
          first = static_cast<char32_t>(letter);
          second = a.mark;
          return true;
        }
      }
    }
  }
  return false;
}

/// Decodes MARCMaker text: mnemonics, and '\' as a blank where `backslash_blank`.
void decode_text(std::string_view in, bool backslash_blank, std::string& out) {
  out.clear();
  std::string pending;  // combining marks waiting for their base character
  bool composed = false;
  std::size_t i = 0;
  auto flush_pending = [&] {
    if (!pending.empty()) {
      out += pending;
      pending.clear();
    }
  };
  while (i < in.size()) {
    const char c = in[i];
    if (c == '{') {
      const std::size_t close = in.find('}', i + 1);
      if (close != std::string_view::npos && close - i <= 16) {
        char32_t a = 0, b = 0;
        bool combining = false;
        if (decode_mnemonic(in.substr(i + 1, close - i - 1), a, b, combining)) {
          if (combining) {
            append_utf8(a, pending);
            composed = true;
          } else {
            append_utf8(a, out);
            flush_pending();
            if (b) {
              append_utf8(b, out);
              composed = true;
            }
          }
          i = close + 1;
          continue;
        }
      }
      out += '{';
      flush_pending();
      ++i;
      continue;
    }
    if (backslash_blank && c == '\\') {
      out += ' ';
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
    flush_pending();
    i += len;
  }
  flush_pending();
  if (composed && is_valid_utf8(out)) out = nfc(out);
}

class MrkStream final : public RecordStream {
 public:
  MrkStream(std::unique_ptr<ByteSource> source, const ReadOptions& options)
      : win_(std::move(source)), mode_(options.mode) {}

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
        syntax_error(at, line_no_, "a line that does not start with '=' (\"" + printable(line.substr(0, 40)) + "\")");
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
    const std::string_view line = line_;
    if (!in_record_) begin_record(line_at_);
    if (line.size() < 4) {
      syntax_error(line_at_, line_no_at_, "a line too short to hold a tag (\"" + printable(line) + "\")");
      return;
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
      syntax_error(line_at_, line_no_at_, "the tag is not followed by two blanks (\"" + printable(line.substr(0, 40)) + "\")");
      return;
    }
    if (tag == "LDR") {
      if (leader_seen_) warn(Code::RecordStructureInvalid, "LDR", "a second =LDR line in the record; it replaces the first");
      decode_text(data, true, text_);
      set_text_leader(cur_, text_, *diags_, number_, line_at_, "line " + std::to_string(line_no_at_) + ": the");
      leader_seen_ = true;
      return;
    }
    if (is_control_tag(tag)) {
      decode_text(data, true, text_);
      cur_.add_field(Field(tag, text_));
      return;
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
      ind1 = ind(data[0], 1);
      ind2 = ind(data[1], 2);
      rest = data.substr(2);
    }
    Field field(tag, ind1, ind2, {});
    const std::size_t first = rest.find('$');
    if (first != 0 && !rest.empty()) {
      decode_text(rest.substr(0, first), true, text_);
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
        const std::size_t close = piece.find('}');
        if (close != std::string_view::npos) {
          decode_text(piece.substr(0, close + 1), false, text_);
          if (text_.size() == 1) {
            code = text_[0];
            skip = close + 1;
          }
        }
      }
      decode_text(piece.substr(skip), false, text_);
      field.add_subfield(code, text_);
    }
    if (field.subfields().empty() && field.leading_data().empty())
      warn(Code::RecordStructureInvalid, tag, "field " + tag + " has no subfields; kept as it is");
    cur_.add_field(std::move(field));
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
