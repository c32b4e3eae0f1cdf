// Format names and detection, the ISO 2709 record stream, the ISO 2709 / MARC-8 / MARCMaker
// writers, and the dispatch to the MARCXML, MARC-in-JSON and MARCMaker readers and the other writers.
#include "marcscope/formats/record_stream.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>

#include "format_support.h"
#include "marcscope/iso2709/iso2709_writer.h"
#include "marcscope/charset/marc8.h"
#include "marcscope/formats/mrk_writer.h"
#include "marcscope/iso2709/iso2709_reader.h"
#include "marcscope/iso2709/record_scanner.h"
#include "marcscope/iso2709/record_view.h"

namespace marcscope {

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

std::string_view format_name(Format format) {
  switch (format) {
    case Format::Iso2709: return "iso2709";
    case Format::Iso2709Marc8: return "iso2709-marc8";
    case Format::MarcXml: return "marcxml";
    case Format::Json: return "json";
    case Format::NdJson: return "ndjson";
    case Format::Mrk: return "mrk";
    case Format::Csv: return "csv";
    case Format::Unknown: return "unknown";
  }
  return "unknown";
}

bool parse_format_name(std::string_view name, Format& format) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  struct Alias {
    std::string_view name;
    Format format;
  };
  static constexpr std::array<Alias, 21> kAliases{{
      {"iso2709", Format::Iso2709},       {"marc", Format::Iso2709},         {"mrc", Format::Iso2709},
      {"usmarc", Format::Iso2709},        {"dat", Format::Iso2709},          {"marc21", Format::Iso2709},
      {"iso2709-marc8", Format::Iso2709Marc8}, {"marc8", Format::Iso2709Marc8},
      {"marcxml", Format::MarcXml},       {"xml", Format::MarcXml},
      {"json", Format::Json},             {"mij", Format::Json},             {"marc-in-json", Format::Json},
      {"ndjson", Format::NdJson},         {"jsonl", Format::NdJson},         {"ndj", Format::NdJson},
      {"mrk", Format::Mrk},               {"marcmaker", Format::Mrk},        {"mrk8", Format::Mrk},
      {"csv", Format::Csv},               {"tsv", Format::Csv},
  }};
  for (const auto& a : kAliases) {
    if (a.name == lower) {
      format = a.format;
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Detection
// ---------------------------------------------------------------------------------------------

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view skip_bom_and_space(std::string_view s) {
  if (s.starts_with("\xEF\xBB\xBF")) s.remove_prefix(3);
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  return s;
}

/// True when `line` is one complete JSON object: braces balance (outside strings) and close at
/// its end.
bool is_complete_json_object(std::string_view line) {
  while (!line.empty() && is_space(line.back())) line.remove_suffix(1);
  int depth = 0;
  bool in_string = false, escape = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string) {
      if (escape) escape = false;
      else if (c == '\\') escape = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') ++depth;
    else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1 == line.size() && c == '}';
      if (depth < 0) return false;
    }
  }
  return false;
}

/// Looks like the start of an ISO 2709 record: five digits, then either a terminator somewhere
/// in the head or the leader's fixed "22" / digits at 10-16.
bool looks_like_leader(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && (s[i] == '\n' || s[i] == '\r' || s[i] == 0x1A || s[i] == 0 || s[i] == ' ' || s[i] == '\t')) ++i;
  s.remove_prefix(i);
  if (s.size() < 5) return false;
  for (std::size_t k = 0; k < 5; ++k)
    if (s[k] < '0' || s[k] > '9') return false;
  if (s.substr(0, 100000).find_first_of("\x1D\x1E") != std::string_view::npos) return true;
  if (s.size() < 24) return false;
  for (std::size_t k = 12; k < 17; ++k)
    if (s[k] < '0' || s[k] > '9') return false;
  return s[10] >= '0' && s[10] <= '9' && s[11] >= '0' && s[11] <= '9';
}

Format format_from_extension(std::string_view path) {
  const std::size_t slash = path.find_last_of("/\\");
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  if (path.ends_with(".gz")) path.remove_suffix(3);
  const std::size_t dot = path.rfind('.');
  if (dot == std::string_view::npos) return Format::Unknown;
  std::string ext(path.substr(dot + 1));
  for (char& c : ext) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (ext == "xml" || ext == "marcxml") return Format::MarcXml;
  if (ext == "json" || ext == "mij") return Format::Json;
  if (ext == "ndjson" || ext == "jsonl" || ext == "ndj") return Format::NdJson;
  if (ext == "mrk" || ext == "mrk8" || ext == "mrc8") return Format::Mrk;
  if (ext == "mrc" || ext == "marc" || ext == "dat" || ext == "usmarc" || ext == "iso" || ext == "iso2709" ||
      ext == "bin" || ext == "001")
    return Format::Iso2709;
  return Format::Unknown;
}

}  // namespace

Format detect_format(std::string_view head, std::string_view path) {
  const Format by_ext = format_from_extension(path);
  const std::string_view s = skip_bom_and_space(head);
  if (s.empty()) return by_ext;
  if (s.front() == '<') return Format::MarcXml;
  if (s.front() == '[') return Format::Json;
  if (s.front() == '{') {
    // NDJSON: the first line is a whole object and the next non-blank line starts another.
    const std::size_t nl = s.find('\n');
    if (nl != std::string_view::npos && is_complete_json_object(s.substr(0, nl))) {
      const std::string_view rest = skip_bom_and_space(s.substr(nl + 1));
      if (!rest.empty() && rest.front() == '{') return Format::NdJson;
      if (rest.empty() && by_ext == Format::NdJson) return Format::NdJson;
      return Format::Json;
    }
    return by_ext == Format::NdJson ? Format::NdJson : Format::Json;
  }
  if (s.starts_with("=LDR")) return Format::Mrk;
  if (looks_like_leader(head)) return Format::Iso2709;
  // A .mrk file without a leader line: "=TAG  ...".
  if (s.size() >= 6 && s[0] == '=' && s[4] == ' ' && s[5] == ' ') return Format::Mrk;
  if (looks_like_iso2709(head)) return Format::Iso2709;
  return by_ext;
}

bool detection_settled(std::string_view head) {
  const std::string_view s = skip_bom_and_space(head);
  if (s.empty()) return false;
  switch (s.front()) {
    case '<':  // MARCXML until its first <record> says it holds records
      return marc_evidence(Format::MarcXml, head, false) == MarcEvidence::Yes;
    case '[':
      return marc_evidence(Format::Json, head, false) == MarcEvidence::Yes;
    case '{': {
      // One object, or NDJSON: told by what follows the first line, which must have come.
      const std::size_t nl = s.find('\n');
      if (nl == std::string_view::npos) return false;
      if (skip_bom_and_space(s.substr(nl + 1)).empty()) return false;
      const Format f = detect_format(head);
      return marc_evidence(f, head, false) == MarcEvidence::Yes;
    }
    case '=':  // "=LDR", or "=TAG  ": nothing later changes either
      return s.size() >= 6;
    default:
      // ISO 2709 once a terminator has come: looks_like_leader() and looks_like_iso2709() then
      // say what they will say of any longer head (bytes that are not MARC at all keep waiting).
      return detect_format(head) == Format::Iso2709 && looks_like_iso2709(head);
  }
}

// ---------------------------------------------------------------------------------------------
// Shared helpers (format_support.h)
// ---------------------------------------------------------------------------------------------

namespace detail {

std::string printable(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  const auto* u = reinterpret_cast<const unsigned char*>(s.data());
  for (std::size_t i = 0; i < s.size();) {
    const unsigned c = u[i];
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    // A whole UTF-8 character as it is; a control byte, or a byte of no valid character (a
    // value cut inside one, input that is not UTF-8), by its number: the message stays UTF-8.
    if (const std::size_t len = c >= 0x80 ? utf8_sequence_length(u + i, s.size() - i) : 0) {
      out.append(s.substr(i, len));
      i += len;
      continue;
    }
    out += "0x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
    ++i;
  }
  return out;
}

namespace {

/// "field 245 $a", "the leader", "a value".
std::string where_of(std::string_view tag, char code) {
  std::string where = tag.empty() ? std::string("a value") : tag == "LDR" ? std::string("the leader") : "field " + std::string(tag);
  if (code != 0) where += std::string(" $") + ((static_cast<unsigned char>(code) > 0x20 && static_cast<unsigned char>(code) < 0x7F) ? std::string(1, code) : std::string("?"));
  return where;
}

}  // namespace

std::string structure_byte_name(unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string s = "0x";
  s += kHex[c >> 4];
  s += kHex[c & 15];
  s += c == 0x1D ? " (record terminator)" : c == 0x1E ? " (field terminator)" : c == 0x1F ? " (subfield delimiter)" : "";
  return s;
}

void replace_structure_bytes(std::string& value, StructureBytes& found) {
  std::size_t at = value.find_first_of("\x1D\x1E\x1F");
  if (at == std::string::npos) return;
  std::string out(value, 0, at);
  for (; at < value.size(); ++at) {
    const auto c = static_cast<unsigned char>(value[at]);
    if (is_structure_byte(c)) {
      found.add(c);
      out += "\xEF\xBF\xBD";
    } else {
      out += value[at];
    }
  }
  value = std::move(out);
}

Diagnostic structure_bytes_diagnostic(const StructureBytes& found, std::uint64_t number, std::uint64_t offset,
                                      std::string_view tag, char code, std::string_view action) {
  const std::string first = structure_byte_name(found.first);
  return {Severity::Warning, Code::StructureByteInData, number, offset, std::string(tag), code,
          (found.count == 1 ? first : std::to_string(found.count) + " structure bytes (first " + first + ")") + " in " +
              where_of(tag, code) + ", where ISO 2709 would end a " +
              (found.first == 0x1D ? "record" : found.first == 0x1E ? "field" : "subfield") + "; " + std::string(action)};
}

void clean_read_value(std::string& value, Diagnostics& diags, std::uint64_t number, std::uint64_t offset,
                      std::string_view tag, char code, std::string_view prefix) {
  StructureBytes found;
  replace_structure_bytes(value, found);
  if (found.count == 0) return;
  diags.push_back(structure_bytes_diagnostic(found, number, offset, tag, code, "read as U+FFFD"));
  diags.back().message.insert(0, prefix);
}

char clean_read_code(char code, Diagnostics& diags, std::uint64_t number, std::uint64_t offset, std::string_view tag,
                     std::string_view prefix) {
  const auto c = static_cast<unsigned char>(code);
  if (!is_structure_byte(c)) return code;
  diags.push_back({Severity::Warning, Code::StructureByteInData, number, offset, std::string(tag), 0,
                   std::string(prefix) + "field " + std::string(tag) + " has " + structure_byte_name(c) +
                       " as a subfield code, where ISO 2709 would end a " + (c == 0x1D ? "record" : c == 0x1E ? "field" : "subfield") +
                       "; read as '?'"});
  return '?';
}

void report_escape_problems(const EscapeProblems& p, std::string_view format, std::uint64_t number,
                            std::uint64_t offset, std::string_view tag, char code, Diagnostics& diags) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const std::string where = where_of(tag, code);
  if (p.control) {
    // A control character by its byte (0x01), a noncharacter by its code point (U+FFFE).
    std::string byte = p.first_control < 0x80 ? "0x" : "U+";
    for (int shift = p.first_control < 0x80 ? 4 : 12; shift >= 0; shift -= 4) byte += kHex[(p.first_control >> shift) & 15];
    diags.push_back({Severity::Warning, Code::ControlCharacter, number, offset, std::string(tag), code,
                     std::to_string(p.control) + " character(s) in " + where + " (first " + byte + ") cannot be written in " +
                         std::string(format) + "; replaced by U+FFFD"});
  }
  if (p.structure.count) diags.push_back(structure_bytes_diagnostic(p.structure, number, offset, tag, code, "written as U+FFFD"));
  if (p.invalid)
    diags.push_back({Severity::Warning, Code::InvalidUtf8, number, offset, std::string(tag), code,
                     std::to_string(p.invalid) + " invalid UTF-8 sequence(s) in " + where + "; written as U+FFFD"});
}

bool append_clean_text(std::string_view value, std::string& out, EscapeProblems& problems) {
  // Most values are printable ASCII: one look at eight bytes at a time, then one copy.
  if (no_byte(value, 0x2020202020202020ull, [](std::uint64_t w) { return (w | ((w - 0x2020202020202020ull) & ~w)) & kHigh; })) {
    out.append(value);
    return true;
  }
  const auto* u = reinterpret_cast<const unsigned char*>(value.data());
  bool clean = true;
  std::size_t i = 0;
  while (i < value.size()) {
    // Runs of printable ASCII and of controls other than the structure bytes are copied at once.
    std::size_t k = i;
    while (k < value.size() && u[k] < 0x80 && !is_structure_byte(u[k])) ++k;
    out.append(value.substr(i, k - i));
    i = k;
    if (i == value.size()) break;
    if (is_structure_byte(u[i])) {
      problems.structure.add(u[i]);
      out += "\xEF\xBF\xBD";
      clean = false;
      ++i;
      continue;
    }
    if (const std::size_t len = utf8_sequence_length(u + i, value.size() - i)) {
      out.append(value.substr(i, len));
      i += len;
      continue;
    }
    ++problems.invalid;
    out += "\xEF\xBF\xBD";
    clean = false;
    ++i;
  }
  return clean;
}

bool set_text_leader(Record& record, std::string_view leader, Diagnostics& diags, std::uint64_t number,
                     std::uint64_t offset, std::string_view where, bool leader_utf8) {
  bool ok = true;
  std::size_t chars = 0;
  for (char c : leader)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++chars;
  if (chars != 24 || leader.size() != 24) {
    ok = false;
    diags.push_back({Severity::Warning, Code::RecordStructureInvalid, number, offset, "LDR", 0,
                     std::string(where) + " leader has " + std::to_string(chars) + " characters instead of 24 (\"" +
                         printable(leader) + "\"); " + (chars < 24 ? "padded with blanks" : "cut to 24")});
  }
  // The model holds a leader of 24 printable ASCII characters (as Record::from_view does).
  std::string l;
  l.reserve(24);
  for (std::size_t i = 0; i < leader.size() && l.size() < 24;) {
    const auto c = static_cast<unsigned char>(leader[i]);
    std::size_t len = 1;
    if (c >= 0xC0) len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    const std::size_t pos = l.size();
    if (c >= 0x20 && c < 0x7F) {
      l += static_cast<char>(c);
    } else {
      const char standard = pos >= 20 ? "4500"[pos - 20] : ' ';
      diags.push_back({Severity::Warning, Code::LeaderUnusualValue, number, offset, "LDR", 0,
                       std::string(where) + " leader/" + (pos < 10 ? "0" : "") + std::to_string(pos) + " is \"" +
                           printable(leader.substr(i, len)) + "\", not a printable ASCII character; written as '" +
                           std::string(1, standard) + "'"});
      l += standard;
    }
    i += len;
  }
  record.set_leader(l);
  l = record.leader();
  if (leader_utf8) l[9] = 'a';
  for (std::size_t i : {std::size_t(10), std::size_t(11)}) {
    if (l[i] < '0' || l[i] > '9') {
      diags.push_back({Severity::Warning, Code::LeaderUnusualValue, number, offset, "LDR", 0,
                       std::string(where) + " leader/" + std::to_string(i) + " is '" + std::string(1, l[i]) +
                           "' where MARC 21 has '2'; read as '2'"});
      l[i] = '2';
    }
  }
  record.set_leader(l);
  return ok;
}

bool normalise_tag(std::string& tag, Diagnostics& diags, ReadMode mode, std::uint64_t number, std::uint64_t offset,
                   std::string_view what) {
  if (tag.size() == 3 && std::all_of(tag.begin(), tag.end(), [](char c) { return c >= 0x20 && c < 0x7F; })) return true;
  const std::string where = std::string(what) + " in record " + std::to_string(number);
  // One '?' for each character that is not printable ASCII (as Record::from_view does).
  bool replaced = false;
  for (std::size_t i = 0; i < tag.size(); ++i) {
    const auto c = static_cast<unsigned char>(tag[i]);
    if (c >= 0x20 && c < 0x7F) continue;
    std::size_t len = 1;
    if (c >= 0xC0) len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    const std::string old = tag.substr(i, len);
    // The character's bytes become one '?' (set and erase: GCC 12 at -O3 reads replace() here as
    // an overlapping memcpy, a -Wrestrict false positive that -Werror stops on).
    tag[i] = '?';
    tag.erase(i + 1, std::min(len, tag.size() - i) - 1);
    if (!replaced)
      diags.push_back({Severity::Warning, Code::TagInvalid, number, offset, tag, 0,
                       std::string(where) + " has a tag with \"" + printable(old) +
                           "\", not a printable ASCII character; written as '?'"});
    replaced = true;
  }
  if (tag.size() == 3) return true;
  if (tag.empty() || tag.size() > 3) {
    diags.push_back({error_severity(mode), Code::RecordStructureInvalid, number, offset, tag, 0,
                     std::string(where) + (tag.empty() ? " has no tag" : " has tag \"" + printable(tag) + "\", longer than 3 characters")});
    return false;
  }
  const std::string old = tag;
  tag.insert(0, 3 - tag.size(), '0');
  diags.push_back({Severity::Warning, Code::TagInvalid, number, offset, tag, 0,
                   std::string(where) + " has tag \"" + printable(old) + "\", shorter than 3 characters; read as \"" + tag + "\""});
  return true;
}

char single_char(std::string_view text, bool control_ok, std::string& problem) {
  problem.clear();
  if (text.empty()) {
    problem = "is empty; read as a blank";
    return ' ';
  }
  const auto c = static_cast<unsigned char>(text[0]);
  std::size_t len = 1;
  if (c >= 0xC0) len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
  const bool ok = (c >= 0x20 && c < 0x7F) || (control_ok && c < 0x20);
  if (!ok) {
    problem = "\"" + printable(text) + "\" is not a printable ASCII character; read as '?'";
    return '?';
  }
  if (text.size() > len) problem = "\"" + printable(text) + "\" is longer than one character; the first is kept";
  return static_cast<char>(c);
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// ISO 2709 stream: stage 1 (RecordScanner) and stage 2 (RecordView) as the serial Reader does,
// over a memory-mapped input or, for streams, a window that holds at most one record plus a chunk.
// ---------------------------------------------------------------------------------------------

namespace {

class Iso2709Stream final : public RecordStream {
 public:
  Iso2709Stream(std::unique_ptr<ByteSource> source, const ReadOptions& options, DecodeOptions decode)
      : source_(std::move(source)), mode_(options.mode), scanner_(options.mode), decode_(decode) {
    if (auto whole = source_->contiguous()) {
      contiguous_ = true;
      data_ = *whole;
      at_eof_ = true;
    }
  }

  bool next(Record& record, Diagnostics& diags) override {
    if (done_) return false;
    for (;;) {
      RecordSpan span;
      const std::string_view data = contiguous_ ? data_ : std::string_view(buf_);
      const auto status = scanner_.next(data, pos_, base_, at_eof_, span, diags);
      switch (status) {
        case RecordScanner::Status::NeedMore:
          if (!read_more()) at_eof_ = true;
          continue;
        case RecordScanner::Status::End:
        case RecordScanner::Status::Stopped:
          done_ = true;
          return false;
        case RecordScanner::Status::Skipped:
          diags.push_back({Severity::Error, Code::RecordSkipped, scanner_.records_seen(), span.offset, {}, 0,
                           "record " + std::to_string(scanner_.records_seen()) + " skipped"});
          continue;
        case RecordScanner::Status::Record: {
          const std::size_t at = static_cast<std::size_t>(span.offset - base_);
          const std::string_view bytes = data.substr(at, span.length);
          if (!view_.parse(bytes, span.offset, scanner_.records_seen(), mode_, diags)) {
            if (mode_ == ReadMode::Strict) {
              done_ = true;
              return false;
            }
            diags.push_back({Severity::Error, Code::RecordSkipped, scanner_.records_seen(), span.offset, {}, 0,
                             "record " + std::to_string(scanner_.records_seen()) + " skipped"});
            continue;
          }
          record = Record::from_view(view_, decode_, diags);
          if (span.flags != 0 || view_.repaired()) {
            diags.push_back({Severity::Info, Code::RecordRepaired, scanner_.records_seen(), span.offset, {}, 0,
                             "record " + std::to_string(scanner_.records_seen()) +
                                 " was repaired; the diagnostics before this one say what changed"});
          }
          last_offset_ = span.offset;
          last_end_ = span.offset + span.length;
          if (contiguous_ && span.offset - released_ > (64u << 20)) {
            source_->release_before(span.offset);
            released_ = span.offset;
          }
          return true;
        }
      }
    }
  }

  std::uint64_t records_seen() const override { return scanner_.records_seen(); }
  std::uint64_t last_offset() const override { return last_offset_; }
  std::uint64_t last_end() const override { return last_end_; }

 private:
  /// Streams: drops what was consumed, appends a chunk. False at the end of the input.
  bool read_more() {
    if (contiguous_) return false;
    if (pos_ > 0) {
      buf_.erase(0, pos_);
      base_ += pos_;
      pos_ = 0;
    }
    constexpr std::size_t kChunk = 1u << 20;
    const std::size_t old = buf_.size();
    buf_.resize(old + kChunk);
    const std::size_t got = source_->read(buf_.data() + old, kChunk);
    buf_.resize(old + got);
    return got > 0;
  }

  std::unique_ptr<ByteSource> source_;
  ReadMode mode_;
  RecordScanner scanner_;
  RecordView view_;
  DecodeOptions decode_;
  bool contiguous_ = false;
  std::string_view data_;
  std::string buf_;
  std::uint64_t base_ = 0;
  std::size_t pos_ = 0;
  bool at_eof_ = false;
  bool done_ = false;
  std::uint64_t last_offset_ = 0;
  std::uint64_t last_end_ = 0;
  std::uint64_t released_ = 0;
};

}  // namespace

std::unique_ptr<RecordStream> open_record_stream(Format format, std::unique_ptr<ByteSource> source,
                                                 const ReadOptions& options) {
  if (!source) throw std::invalid_argument("open_record_stream: no input");
  if (format == Format::Unknown) {
    // A stream's head is read and put back in front of it (peek()).
    const std::string head = peek(source, 64 * 1024);
    format = detect_format(head, source->name());
    if (format == Format::Unknown) format = Format::Iso2709;  // reports not-marc if it is not
  }
  switch (format) {
    case Format::Iso2709:
      return std::make_unique<Iso2709Stream>(std::move(source), options, options.decode);
    case Format::Iso2709Marc8: {
      // Reading "iso2709-marc8" means: the input is MARC-8 whatever leader/09 says.
      DecodeOptions decode = options.decode;
      decode.encoding = EncodingChoice::ForceMarc8;
      return std::make_unique<Iso2709Stream>(std::move(source), options, decode);
    }
    case Format::MarcXml:
      return detail::open_marcxml_stream(std::move(source), options);
    case Format::Json:
    case Format::NdJson:
      return detail::open_json_stream(std::move(source), options);
    case Format::Mrk:
      return detail::open_mrk_stream(std::move(source), options);
    case Format::Csv:
    case Format::Unknown:
      break;
  }
  throw std::invalid_argument("cannot read " + std::string(format_name(format)) + ": it is an output-only format");
}

// ---------------------------------------------------------------------------------------------
// Writers: ISO 2709 (UTF-8 and MARC-8) and MARCMaker
// ---------------------------------------------------------------------------------------------

namespace {

/// Writes with write_iso2709; a record the format cannot hold is reported and not written, and so
/// is a record without fields: ISO 2709 readers (this engine's too, Code::NoFields) take one as
/// damaged, so a file written with it would not read back.
bool append_iso2709(const Record& record, std::uint64_t number, std::uint64_t offset, std::string& out,
                    Diagnostics& diags, const Iso2709WriteOptions& options = {}) {
  if (record.fields().empty()) {
    diags.push_back({Severity::Error, Code::NoFields, number, offset, {}, 0,
                     "record not written as ISO 2709: it has no fields, and a record without fields does not read back"});
    return false;
  }
  try {
    write_iso2709(record, out, diags, number, offset, options);
    return true;
  } catch (const std::exception& e) {
    diags.push_back({Severity::Error, Code::RecordStructureInvalid, number, offset, {}, 0,
                     std::string("record not written as ISO 2709: ") + e.what()});
    return false;
  }
}

class Iso2709Writer final : public RecordWriter {
 public:
  void write(const Record& record, std::uint64_t number, std::uint64_t offset, std::string& out,
             Diagnostics& diags) const override {
    append_iso2709(record, number, offset, out, diags);
  }
  bool write_view(const RecordView& view, std::uint64_t, std::uint64_t, std::string& out, Diagnostics&) const override {
    return write_iso2709_view(view, out);
  }
  bool writes_views() const override { return true; }
};

class Iso2709Marc8Writer final : public RecordWriter {
 public:
  void write(const Record& record, std::uint64_t number, std::uint64_t offset, std::string& out,
             Diagnostics& diags) const override {
    Record m;
    m.set_leader(record.leader());
    m.fields().reserve(record.fields().size());
    std::vector<Marc8Problem> problems;
    // Alternate character sets designated by escape sequences, for 066 $c (LoC: "(3", "$1" ...;
    // the technique-1 shortcuts ESC g/b/p are not recorded there).
    std::vector<std::string> designations;
    auto note_designations = [&](const std::string& converted) {
      for (std::size_t i = 0; (i = converted.find('\x1B', i)) != std::string::npos; ++i) {
        std::string d;
        if (i + 2 < converted.size() && converted[i + 1] == '(') d = converted.substr(i + 1, 2);
        else if (i + 2 < converted.size() && converted[i + 1] == '$') d = converted.substr(i + 1, 2);
        if (d.empty() || d == "(B") continue;
        if (std::find(designations.begin(), designations.end(), d) == designations.end()) designations.push_back(d);
      }
    };
    std::string cleaned;
    auto convert = [&](const std::string& value, const std::string& tag, char code) {
      // Structure bytes first become U+FFFD (which MARC-8 then holds as a character reference):
      // the converter passes control characters through, where they would end the field.
      const std::string* in = &value;
      if (value.find_first_of("\x1D\x1E\x1F") != std::string::npos) {
        cleaned = value;
        detail::StructureBytes found;
        detail::replace_structure_bytes(cleaned, found);
        diags.push_back(detail::structure_bytes_diagnostic(found, number, offset, tag, code, "written as U+FFFD"));
        in = &cleaned;
      }
      std::string converted;
      converted.reserve(in->size());
      problems.clear();
      utf8_to_marc8(*in, converted, &problems);
      note_designations(converted);
      for (const auto& p : problems)
        diags.push_back({Severity::Warning, Code::NoMarc8Equivalent, number, offset, tag, code,
                         "no MARC-8 form: " + p.detail + "; written as a numeric character reference"});
      return converted;
    };
    for (const auto& f : record.fields()) {
      if (f.tag() == "066") continue;  // describes the input's character sets; rebuilt below
      if (f.is_control()) {
        m.add_field(Field(f.tag(), convert(f.value(), f.tag(), 0)));
        continue;
      }
      Field nf(f.tag(), f.indicator1(), f.indicator2(), {});
      if (!f.leading_data().empty()) nf.set_leading_data(convert(f.leading_data(), f.tag(), 0));
      nf.subfields().reserve(f.subfields().size());
      for (const auto& s : f.subfields()) nf.add_subfield(s.code, convert(s.value, f.tag(), s.code));
      m.add_field(std::move(nf));
    }
    if (!designations.empty()) {
      Field f066("066", ' ', ' ', {});
      for (const auto& d : designations) f066.add_subfield('c', d);
      auto at = std::find_if(m.fields().begin(), m.fields().end(), [](const Field& f) { return f.tag() > "066"; });
      m.fields().insert(at, std::move(f066));
    }
    Iso2709WriteOptions marc8;
    marc8.utf8 = false;
    append_iso2709(m, number, offset, out, diags, marc8);
  }
};

class MrkWriter final : public RecordWriter {
 public:
  explicit MrkWriter(const WriterOptions& options) { options_.crlf = options.crlf; }
  void write(const Record& record, std::uint64_t number, std::uint64_t offset, std::string& out,
             Diagnostics& diags) const override {
    write_mrk(record, out, options_, diags, number, offset);
  }

 private:
  MrkOptions options_;
};

}  // namespace

std::unique_ptr<RecordWriter> make_writer(Format format, const WriterOptions& options) {
  switch (format) {
    case Format::Iso2709: return std::make_unique<Iso2709Writer>();
    case Format::Iso2709Marc8: return std::make_unique<Iso2709Marc8Writer>();
    case Format::MarcXml: return detail::make_marcxml_writer(options);
    case Format::Json: return detail::make_json_writer(options, false);
    case Format::NdJson: return detail::make_json_writer(options, true);
    case Format::Mrk: return std::make_unique<MrkWriter>(options);
    case Format::Csv: return detail::make_csv_writer(options);
    case Format::Unknown: break;
  }
  throw std::invalid_argument("no writer for format \"" + std::string(format_name(format)) + "\"");
}

}  // namespace marcscope
