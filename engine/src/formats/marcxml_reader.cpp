// Streaming MARCXML reader over expat.
//
// Input is fed to expat in 64 KB chunks; records are built from element events and the parser
// is suspended (XML_StopParser, resumable) as each record closes, so one record is handed out at
// a time and memory stays bounded whatever the input size.
//
// What counts as a MARC record: an element named "record" in the MARC21 slim namespace, or in no
// namespace at all (many exports omit it), at any depth (OAI-PMH and other envelopes are looked
// through). An un-namespaced "record" that turns out to hold only non-MARC elements (an OAI-PMH
// envelope without namespaces) is not a record; when it contains another "record" the inner one is
// the MARC record. Records in any other namespace are not MARC records.
//
// Several top-level elements (records concatenated with no root, or whole documents one after
// another) are not one well-formed document; after each top-level element ends a new parser is
// started on what follows, with one warning per input.
//
// Malformed XML: an xml-syntax-error diagnostic with line and column; records before it have been
// delivered. Strict stops there. Permissive and Recover look for the next "<record" (with or without
// a prefix) after the error and start a new parser there, inside a synthetic wrapper element that
// re-declares the namespaces in scope at the error, so later records come through; the record the
// error was in is skipped (Permissive) or delivered as far as it was read, marked repaired (Recover).
//
// Odd content (warnings unless said otherwise; the record is delivered in every mode):
//   - a leader that is not 24 characters is padded with blanks or cut; no leader: a blank one
//     ("00000    a2200000   4500"); leader/09 is always 'a', the record being UTF-8 in memory;
//     characters that are not printable ASCII become blanks (leader/20-23: the "4500" digit);
//   - a tag shorter than 3 characters is zero-padded (tag="42" -> "042"); an empty tag or one
//     longer than 3 characters is an error: the field is left out (Recover), the record skipped
//     (Permissive), reading stops (Strict);
//   - a datafield with no subfields is kept as it is (ISO 2709 can hold it: indicators only), with
//     a warning, in every mode (malformed/catmandu-broken.xml: 10 records, 1 warning);
//   - an empty <record/> is a record with no fields (no-fields warning);
//   - indicators: missing or empty = blank; subfield code: missing or empty = blank, more than one
//     character = the first, not ASCII = '?';
//   - other elements inside a record (Koha's OAI <identifier>) are left out, one warning per record;
//   - MARC elements outside any record are ignored with one warning; no record at all gives a
//     not-marc warning at the end.
#include <expat.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

#include "format_support.h"
#include "marcscope/iso2709/record_view.h"

namespace marcscope::detail {
namespace {

constexpr std::string_view kMarcNs = "http://www.loc.gov/MARC21/slim";
constexpr XML_Char kNsSep = '\x01';  // cannot appear in XML text, so never inside a namespace URI
constexpr std::size_t kMaxFeed = 1u << 20;
constexpr std::uint64_t kKeepBehind = 64 * 1024;

enum class Ns : std::uint8_t { Marc, None, Foreign };
enum class El : std::uint8_t { Other, Record, Leader, ControlField, DataField, Subfield };

struct Name {
  Ns ns;
  El el;
  std::string_view local;
};

Name classify(const XML_Char* name) {
  const char* sep = std::strchr(name, kNsSep);
  Name n{Ns::None, El::Other, {}};
  std::string_view local;
  if (sep) {
    const std::string_view uri(name, static_cast<std::size_t>(sep - name));
    n.ns = uri == kMarcNs ? Ns::Marc : Ns::Foreign;
    local = sep + 1;
  } else {
    local = name;
  }
  n.local = local;
  if (local == "subfield") n.el = El::Subfield;
  else if (local == "datafield") n.el = El::DataField;
  else if (local == "controlfield") n.el = El::ControlField;
  else if (local == "leader") n.el = El::Leader;
  else if (local == "record") n.el = El::Record;
  return n;
}

std::string_view attribute(const XML_Char** atts, std::string_view key, bool& present) {
  for (const XML_Char** a = atts; a && *a; a += 2) {
    if (key == a[0]) {
      present = true;
      return a[1];
    }
  }
  present = false;
  return {};
}

bool all_space(const char* s, int len) {
  for (int i = 0; i < len; ++i)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') return false;
  return true;
}

std::string xml_attr_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

class MarcXmlStream final : public RecordStream {
 public:
  MarcXmlStream(std::unique_ptr<ByteSource> source, const ReadOptions& options)
      : win_(std::move(source)), mode_(options.mode), leader_utf8_(options.decode.leader_utf8) {}
  ~MarcXmlStream() override { drop_parser(); }

  bool next(Record& record, Diagnostics& diags) override {
    diags_ = &diags;
    for (;;) {
      if (record_ready_) {
        record_ready_ = false;
        record = std::move(out_);
        return true;
      }
      if (stopped_) done_ = true;
      if (done_) {
        if (!end_reported_) {
          end_reported_ = true;
          // An empty <collection> in the MARC 21 namespace (what a writer writes for no records:
          // no element in it) is MARCXML with no records, not a document that is not MARC.
          if (seen_ == 0 && !had_syntax_error_ && !(marc_collection_ && !other_element_))
            diags.push_back({Severity::Warning, Code::NotMarc, 0, 0, {}, 0,
                             "no MARC records found: no <record> element in the MARC21 slim namespace or in no namespace"});
        }
        return false;
      }
      if (!parser_ && !start_next()) {
        done_ = true;
        continue;
      }
      drive();
    }
  }

  std::uint64_t records_seen() const override { return seen_; }
  std::uint64_t last_offset() const override { return last_offset_; }
  std::uint64_t last_end() const override { return last_end_; }

 private:
  enum class Scan : std::uint8_t { Initial, AfterRoot, FindRecord };
  enum class Part : std::uint8_t { None, Leader, Control, Data, Subfield };

  // ------------------------------------------------------------------ parser lifecycle

  void drop_parser() {
    if (parser_) XML_ParserFree(parser_);
    parser_ = nullptr;
  }

  void start_parser(std::uint64_t at, bool wrapper, bool own_encoding) {
    drop_parser();
    const char* enc = (own_encoding || encoding_.empty()) ? nullptr : encoding_.c_str();
    parser_ = XML_ParserCreateNS(enc, kNsSep);
    if (!parser_) throw std::bad_alloc();
    XML_SetUserData(parser_, this);
    XML_SetElementHandler(parser_, &MarcXmlStream::on_start, &MarcXmlStream::on_end);
    XML_SetCharacterDataHandler(parser_, &MarcXmlStream::on_text);
    XML_SetNamespaceDeclHandler(parser_, &MarcXmlStream::on_ns_start, &MarcXmlStream::on_ns_end);
    XML_SetXmlDeclHandler(parser_, &MarcXmlStream::on_xml_decl);
    XML_SetExternalEntityRefHandler(parser_, &MarcXmlStream::on_external_entity);
    XML_SetSkippedEntityHandler(parser_, &MarcXmlStream::on_skipped_entity);
    reset_record_state();
    depth_ = 0;
    unit_depth_ = wrapper ? 2 : 1;
    unit_ended_ = false;
    suspended_ = false;
    final_fed_ = false;
    parser_base_ = at;
    fed_to_ = at;
    win_.discard_before(at > kKeepBehind ? at - kKeepBehind : 0);
    parser_base_pos_ = win_.pos_at(at);
    ns_stack_.clear();
    prefix_len_ = 0;
    if (wrapper) {
      std::string prefix = "<marcscope-resume";
      for (const auto& [p, uri] : resume_bindings_) {
        if (!p.empty() && uri.empty()) continue;  // xmlns:p="" is not allowed
        prefix += p.empty() ? " xmlns=\"" : " xmlns:" + p + "=\"";
        prefix += xml_attr_escape(uri);
        prefix += '"';
      }
      prefix += '>';
      prefix_len_ = prefix.size();
      XML_Parse(parser_, prefix.data(), static_cast<int>(prefix.size()), XML_FALSE);
    }
  }

  /// Starts the parser for whatever comes next; false at the end of the input.
  bool start_next() {
    if (scan_ == Scan::Initial) {
      start_parser(0, false, true);
      return true;
    }
    if (scan_ == Scan::AfterRoot) {
      std::uint64_t at = next_start_;
      const int what = after_root(at);
      if (what == 0) return false;
      if (what == 1) {
        if (!warned_concatenated_) {
          warned_concatenated_ = true;
          diags_->push_back({Severity::Warning, Code::XmlSyntaxError, 0, at, {}, 0,
                             "several top-level elements at " + win_.pos_at(at).describe() +
                                 ": this is not one well-formed XML document; each element is read on its own"});
        }
        const bool own = win_.byte_at(at + 1) == '?';
        start_parser(at, false, own);
        return true;
      }
      // Junk after the document.
      had_syntax_error_ = true;
      diags_->push_back({error_severity(mode_), Code::XmlSyntaxError, 0, at, {}, 0,
                         "XML syntax error at " + win_.pos_at(at).describe() +
                             ": text after the end of the XML document"});
      if (mode_ == ReadMode::Strict) {
        stopped_ = true;
        return false;
      }
      next_start_ = at + 1;
      scan_ = Scan::FindRecord;
    }
    const auto found = find_record(next_start_);
    if (!found) return false;
    start_parser(*found, true, false);
    return true;
  }

  /// Feeds the parser (or resumes it) once and handles what it says.
  void drive() {
    XML_Status st;
    if (suspended_) {
      suspended_ = false;
      st = XML_ResumeParser(parser_);
    } else {
      if (fed_to_ >= win_.end()) {
        win_.discard_before(fed_to_ > kKeepBehind ? fed_to_ - kKeepBehind : 0);
        win_.fill();
      }
      const std::size_t avail = static_cast<std::size_t>(win_.end() - fed_to_);
      const std::size_t len = std::min(avail, kMaxFeed);
      const bool final = win_.eof() && len == avail;
      const char* p = win_.data() + (fed_to_ - win_.base());
      fed_to_ += len;
      final_fed_ = final;
      st = XML_Parse(parser_, p, static_cast<int>(len), final ? XML_TRUE : XML_FALSE);
    }
    switch (st) {
      case XML_STATUS_SUSPENDED:
        suspended_ = true;
        if (stopped_) {
          drop_parser();
        } else if (unit_ended_) {
          drop_parser();
          next_start_ = unit_end_;
          scan_ = unit_depth_ == 1 ? Scan::AfterRoot : Scan::FindRecord;
        }
        break;
      case XML_STATUS_ERROR:
        syntax_error();
        break;
      case XML_STATUS_OK:
        if (final_fed_) {
          // The document ended cleanly without a top-level end tag being seen (cannot happen
          // with expat, which reports "no element found"); nothing more to read.
          drop_parser();
          done_ = true;
        }
        break;
    }
  }

  // ------------------------------------------------------------------ positions

  std::uint64_t abs_offset(XML_Index idx) const {
    if (idx < 0) return parser_base_;
    const auto i = static_cast<std::uint64_t>(idx);
    return i < prefix_len_ ? parser_base_ : parser_base_ + (i - prefix_len_);
  }

  std::uint64_t current_offset() const { return abs_offset(XML_GetCurrentByteIndex(parser_)); }

  TextPos pos_of(std::uint64_t abs) const {
    if (abs >= win_.base()) return win_.pos_at(abs);
    // Before the window (a token that began long ago): expat's own count, shifted to the file.
    TextPos p = parser_base_pos_;
    const auto line = XML_GetCurrentLineNumber(parser_);
    const auto col = XML_GetCurrentColumnNumber(parser_);
    if (line <= 1) {
      p.column += col > static_cast<XML_Size>(prefix_len_) ? col - prefix_len_ : 0;
    } else {
      p.line += line - 1;
      p.column = col + 1;
    }
    return p;
  }

  // ------------------------------------------------------------------ scanning between parsers

  /// After a top-level element: 0 = end of input, 1 = another element or document starts at
  /// `at`, 2 = junk at `at`.
  int after_root(std::uint64_t& at) {
    for (;;) {
      win_.discard_before(at > kKeepBehind ? at - kKeepBehind : 0);
      const int c = win_.byte_at(at);
      if (c < 0) return 0;
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++at;
        continue;
      }
      if (c == 0xEF && win_.byte_at(at + 1) == 0xBB && win_.byte_at(at + 2) == 0xBF) {
        at += 3;
        continue;
      }
      if (c != '<') return 2;
      const int c1 = win_.byte_at(at + 1);
      if (c1 == '!' && win_.byte_at(at + 2) == '-' && win_.byte_at(at + 3) == '-') {
        const auto end = find_text(at + 4, "-->");
        if (!end) return 2;
        at = *end + 3;
        continue;
      }
      if (c1 == '?') {
        // "<?xml " starts a new document; other processing instructions are skipped.
        if (win_.byte_at(at + 2) == 'x' && win_.byte_at(at + 3) == 'm' && win_.byte_at(at + 4) == 'l' &&
            (win_.byte_at(at + 5) == ' ' || win_.byte_at(at + 5) == '\t' || win_.byte_at(at + 5) == '\n' ||
             win_.byte_at(at + 5) == '\r'))
          return 1;
        const auto end = find_text(at + 2, "?>");
        if (!end) return 2;
        at = *end + 2;
        continue;
      }
      if (c1 == '!') return win_.byte_at(at + 2) == 'D' ? 1 : 2;  // <!DOCTYPE
      if (c1 < 0) return 2;
      if (c1 >= 0x80 || std::isalpha(c1) || c1 == '_' || c1 == ':') return 1;
      return 2;
    }
  }

  std::optional<std::uint64_t> find_text(std::uint64_t from, std::string_view needle) {
    for (;;) {
      const std::string_view v = win_.view();
      const std::size_t start = from >= win_.base() ? static_cast<std::size_t>(from - win_.base()) : 0;
      const std::size_t i = v.find(needle, start);
      if (i != std::string_view::npos) return win_.base() + i;
      if (win_.fill() == 0) return std::nullopt;
    }
  }

  static bool name_char(int c) {
    return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  }

  /// The next "<record" or "<prefix:record" start tag at or after `from`.
  std::optional<std::uint64_t> find_record(std::uint64_t from) {
    std::uint64_t at = from;
    for (;;) {
      win_.discard_before(at > kKeepBehind ? at - kKeepBehind : 0);
      if (at >= win_.end() && win_.fill() == 0) return std::nullopt;
      const std::string_view v = win_.view();
      const std::size_t start = static_cast<std::size_t>(std::max(at, win_.base()) - win_.base());
      const std::size_t lt = v.find('<', start);
      if (lt == std::string_view::npos) {
        at = win_.end();
        continue;
      }
      const std::uint64_t p = win_.base() + lt;
      // Look at the name: optional prefix, then "record", then a delimiter.
      std::uint64_t q = p + 1;
      std::uint64_t colon = 0;
      int c = win_.byte_at(q);
      while (c >= 0 && name_char(c) && q - p < 200) c = win_.byte_at(++q);
      if (c == ':') {
        colon = q;
        c = win_.byte_at(++q);
        while (c >= 0 && name_char(c) && q - p < 400) c = win_.byte_at(++q);
      }
      const std::uint64_t name_start = colon ? colon + 1 : p + 1;
      const bool delimited = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '>' || c == '/';
      if (delimited && q - name_start == 6) {
        bool match = true;
        for (std::size_t k = 0; k < 6 && match; ++k) match = win_.byte_at(name_start + k) == "record"[k];
        if (match) return p;
      }
      at = p + 1;
    }
  }

  // ------------------------------------------------------------------ errors

  void syntax_error() {
    const XML_Error code = XML_GetErrorCode(parser_);
    const std::uint64_t at = current_offset();
    const TextPos pos = pos_of(at);
    had_syntax_error_ = true;
    const bool in_record = in_record_ && !candidate_;
    const std::uint64_t number = in_record ? number_ : 0;
    diags_->push_back({error_severity(mode_), Code::XmlSyntaxError, number, at, {}, 0,
                       "XML syntax error at " + pos.describe() + ": " + XML_ErrorString(code) +
                           (in_record ? " (inside record " + std::to_string(number_) + ")" : "")});
    if (in_record) {
      if (mode_ == ReadMode::Recover && (leader_seen_ || !cur_.fields().empty())) {
        if (part_ == Part::Data || part_ == Part::Subfield) cur_.add_field(std::move(field_));
        if (!leader_seen_) cur_.set_leader(kDefaultLeader);
        diags_->push_back({Severity::Error, Code::RecordStructureInvalid, number_, at, {}, 0,
                           "record " + std::to_string(number_) + " is cut short by the XML error; delivered as far as it was read"});
        diags_->push_back({Severity::Info, Code::RecordRepaired, number_, record_offset_, {}, 0,
                           "record " + std::to_string(number_) + " was repaired; the diagnostics before this one say what changed"});
        out_ = std::move(cur_);
        record_ready_ = true;
        last_offset_ = record_offset_;
        last_end_ = at;
      } else if (mode_ == ReadMode::Permissive || mode_ == ReadMode::Recover) {
        diags_->push_back({Severity::Error, Code::RecordSkipped, number_, record_offset_, {}, 0,
                           "record " + std::to_string(number_) + " skipped"});
      }
    }
    // Namespaces in scope at the error, for the wrapper of the next parser.
    std::map<std::string, std::string> bindings(resume_bindings_.begin(), resume_bindings_.end());
    for (const auto& [p, uri] : ns_stack_) bindings[p] = uri;
    resume_bindings_.assign(bindings.begin(), bindings.end());
    drop_parser();
    reset_record_state();
    if (mode_ == ReadMode::Strict) {
      stopped_ = true;
      return;
    }
    next_start_ = std::max(at, last_resume_) + 1;
    last_resume_ = next_start_;
    scan_ = Scan::FindRecord;
  }

  // ------------------------------------------------------------------ records

  void reset_record_state() {
    in_record_ = false;
    candidate_ = false;
    foreign_child_ = false;
    skip_depth_ = 0;
    part_ = Part::None;
    capture_ = false;
  }

  void confirm() {
    if (!candidate_) return;
    candidate_ = false;
    number_ = ++seen_;
  }

  void begin_record(bool no_namespace) {
    in_record_ = true;
    record_depth_ = depth_;
    candidate_ = true;
    foreign_child_ = false;
    leader_seen_ = false;
    record_error_ = false;
    warned_text_ = false;
    warned_element_ = false;
    part_ = Part::None;
    cur_ = Record();
    record_offset_ = current_offset();
    number_ = seen_ + 1;
    if (!no_namespace) confirm();
  }

  void warn(Code code, std::string tag, char subfield, std::string message) {
    diags_->push_back({Severity::Warning, code, number_, current_offset(), std::move(tag), subfield, std::move(message)});
  }

  void end_record() {
    in_record_ = false;
    if (candidate_) {
      if (foreign_child_) return;  // an envelope that happens to be called "record"
      confirm();
    }
    if (!leader_seen_) {
      warn(Code::RecordStructureInvalid, "LDR", 0, "record " + std::to_string(number_) + " has no leader; a blank one was used");
      cur_.set_leader(kDefaultLeader);
    }
    if (cur_.fields().empty())
      diags_->push_back({Severity::Warning, Code::NoFields, number_, record_offset_, {}, 0,
                         "record " + std::to_string(number_) + " has no fields"});
    switch (record_outcome(mode_, record_error_, number_, record_offset_, *diags_)) {
      case Outcome::Deliver:
        out_ = std::move(cur_);
        record_ready_ = true;
        last_offset_ = record_offset_;
        last_end_ = abs_offset(XML_GetCurrentByteIndex(parser_) + XML_GetCurrentByteCount(parser_));
        break;
      case Outcome::Skip:
        break;
      case Outcome::Stop:
        stopped_ = true;
        break;
    }
  }

  /// One character attribute (indicator, subfield code).
  char one_char(const XML_Char** atts, std::string_view key, const std::string& tag, std::string_view what) {
    bool present = false;
    const std::string_view v = attribute(atts, key, present);
    const bool indicator = key != "code";
    if (v.empty() && indicator) return ' ';  // ind1="" or no ind1: blank, as many exporters write it
    std::string problem;
    const char c = single_char(v, !indicator, problem);
    if (!problem.empty())
      warn(Code::RecordStructureInvalid, tag, 0,
           std::string(what) + " of field " + tag + (present ? " " + problem : " is missing; read as a blank"));
    return c;
  }

  std::string tag_of(const XML_Char** atts, std::string_view element) {
    bool present = false;
    std::string tag(attribute(atts, "tag", present));
    if (!normalise_tag(tag, *diags_, mode_, number_, current_offset(), element)) {
      record_error_ = true;
      return {};
    }
    return tag;
  }

  void skip_element(const Name& n, bool warn_user) {
    if (candidate_) {
      // Not known to be a MARC record yet: look inside, an envelope may hold the record.
      foreign_child_ = true;
      return;
    }
    skip_depth_ = depth_;
    if (warn_user && !warned_element_) {
      warned_element_ = true;
      warn(Code::RecordStructureInvalid, {}, 0,
           "unexpected element <" + std::string(n.local) + "> in record " + std::to_string(number_) + "; ignored");
    }
  }

  void start(const XML_Char* name, const XML_Char** atts) {
    ++depth_;
    if (skip_depth_) return;
    const Name n = classify(name);
    if (!in_record_) {
      if (depth_ == 1 && n.ns == Ns::Marc && n.local == "collection") marc_collection_ = true;
      else if (n.el != El::Record) other_element_ = true;
      if (n.el == El::Record && n.ns != Ns::Foreign) {
        begin_record(n.ns == Ns::None);
      } else if (n.ns == Ns::Marc && n.el != El::Other && !warned_outside_) {
        warned_outside_ = true;
        diags_->push_back({Severity::Warning, Code::RecordStructureInvalid, 0, current_offset(), {}, 0,
                           "<" + std::string(n.local) + "> outside a <record> element at " +
                               pos_of(current_offset()).describe() + "; ignored"});
      }
      return;
    }
    if (n.el == El::Record && n.ns != Ns::Foreign && candidate_) {
      begin_record(n.ns == Ns::None);  // the outer "record" was an envelope
      return;
    }
    if (n.ns == Ns::Foreign) {
      skip_element(n, true);
      return;
    }
    const int rel = depth_ - record_depth_;
    if (rel == 1) {
      switch (n.el) {
        case El::Leader:
          confirm();
          part_ = Part::Leader;
          text_.clear();
          capture_ = true;
          return;
        case El::ControlField:
          confirm();
          part_ = Part::Control;
          tag_ = tag_of(atts, "controlfield");
          text_.clear();
          capture_ = true;
          return;
        case El::DataField: {
          confirm();
          part_ = Part::Data;
          tag_ = tag_of(atts, "datafield");
          const char i1 = one_char(atts, "ind1", tag_, "indicator 1");
          const char i2 = one_char(atts, "ind2", tag_, "indicator 2");
          field_ = Field(tag_, i1, i2, {});
          return;
        }
        default:
          skip_element(n, true);
          return;
      }
    }
    if (rel == 2 && part_ == Part::Data && n.el == El::Subfield) {
      part_ = Part::Subfield;
      code_ = one_char(atts, "code", tag_, "subfield code");
      text_.clear();
      capture_ = true;
      return;
    }
    skip_element(n, true);
  }

  void end() {
    if (skip_depth_) {
      if (depth_ == skip_depth_) skip_depth_ = 0;
    } else if (in_record_) {
      const int rel = depth_ - record_depth_;
      if (rel == 0) {
        end_record();
      } else if (rel == 1) {
        switch (part_) {
          case Part::Leader:
            if (leader_seen_)
              warn(Code::RecordStructureInvalid, "LDR", 0, "record " + std::to_string(number_) + " has a second leader; it replaces the first");
            set_text_leader(cur_, text_, *diags_, number_, current_offset(), "record " + std::to_string(number_) + ":",
                            leader_utf8_);
            leader_seen_ = true;
            break;
          case Part::Control:
            if (!tag_.empty()) cur_.add_field(Field(tag_, text_));
            break;
          case Part::Data:
            if (!tag_.empty()) {
              if (field_.subfields().empty())
                warn(Code::RecordStructureInvalid, tag_, 0,
                     "datafield " + tag_ + " in record " + std::to_string(number_) + " has no subfields; kept as it is");
              cur_.add_field(std::move(field_));
            }
            break;
          default:
            break;
        }
        part_ = Part::None;
        capture_ = false;
      } else if (rel == 2 && part_ == Part::Subfield) {
        field_.add_subfield(code_, text_);
        part_ = Part::Data;
        capture_ = false;
      }
    }
    if (depth_ == unit_depth_) {
      unit_ended_ = true;
      unit_end_ = abs_offset(XML_GetCurrentByteIndex(parser_) + XML_GetCurrentByteCount(parser_));
      XML_StopParser(parser_, XML_TRUE);
    } else if (record_ready_ || stopped_) {
      XML_StopParser(parser_, XML_TRUE);
    }
    --depth_;
  }

  void text(const XML_Char* s, int len) {
    if (skip_depth_) return;
    if (capture_) {
      text_.append(s, static_cast<std::size_t>(len));
    } else if (in_record_ && !candidate_ && !warned_text_ && !all_space(s, len)) {
      warned_text_ = true;
      warn(Code::RecordStructureInvalid, part_ == Part::Data ? tag_ : std::string(), 0,
           "text outside any leader, controlfield or subfield in record " + std::to_string(number_) + " (\"" +
               printable(utf8_prefix(std::string_view(s, static_cast<std::size_t>(len)), 40)) + "\"); ignored");
    }
  }

  // ------------------------------------------------------------------ expat trampolines

  static void XMLCALL on_start(void* self, const XML_Char* name, const XML_Char** atts) {
    static_cast<MarcXmlStream*>(self)->start(name, atts);
  }
  static void XMLCALL on_end(void* self, const XML_Char*) { static_cast<MarcXmlStream*>(self)->end(); }
  static void XMLCALL on_text(void* self, const XML_Char* s, int len) { static_cast<MarcXmlStream*>(self)->text(s, len); }
  static void XMLCALL on_ns_start(void* self, const XML_Char* prefix, const XML_Char* uri) {
    static_cast<MarcXmlStream*>(self)->ns_stack_.emplace_back(prefix ? prefix : "", uri ? uri : "");
  }
  static void XMLCALL on_ns_end(void* self, const XML_Char*) {
    auto& stack = static_cast<MarcXmlStream*>(self)->ns_stack_;
    if (!stack.empty()) stack.pop_back();
  }
  /// An external entity referenced in the document: never read (no file or URL an input names is
  /// opened), and said, since its text is missing where it is referenced.
  static int XMLCALL on_external_entity(XML_Parser parser, const XML_Char*, const XML_Char*, const XML_Char* system_id,
                                        const XML_Char*) {
    me_missing(static_cast<MarcXmlStream*>(XML_GetUserData(parser)),
               "an external entity (SYSTEM \"" + printable(utf8_prefix(system_id ? system_id : "", 80)) + "\") is referenced",
               "; marcscope does not read files or URLs a document names, so its text is missing");
    return XML_STATUS_OK;
  }
  /// A general entity referenced but not declared where expat reads declarations (in an external
  /// DTD, or after an external parameter entity): not an error in such a document, but its text
  /// is missing, so said.
  static void XMLCALL on_skipped_entity(void* self, const XML_Char* name, int is_parameter_entity) {
    if (is_parameter_entity) return;  // in the DTD: what it would declare is said where it is used
    me_missing(static_cast<MarcXmlStream*>(self),
               "the entity &" + printable(utf8_prefix(name ? name : "", 80)) +
                   "; is declared outside the document (an external DTD, which is not read)",
               ", so its text is missing");
  }
  static void me_missing(MarcXmlStream* me, const std::string& what, const std::string& missing) {
    if (me->in_record_)
      me->warn(Code::RecordStructureInvalid, me->part_ == Part::None ? std::string() : me->tag_,
               me->part_ == Part::Subfield ? me->code_ : 0, what + " in record " + std::to_string(me->number_) + missing);
    else
      me->diags_->push_back({Severity::Warning, Code::RecordStructureInvalid, 0, me->current_offset(), {}, 0,
                             what + " outside any record" + missing});
  }
  static void XMLCALL on_xml_decl(void* self, const XML_Char*, const XML_Char* encoding, int) {
    auto* me = static_cast<MarcXmlStream*>(self);
    if (encoding && me->encoding_.empty()) me->encoding_ = encoding;
  }

  // ------------------------------------------------------------------ state

  InputWindow win_;
  ReadMode mode_;
  bool leader_utf8_;  ///< DecodeOptions::leader_utf8
  Diagnostics* diags_ = nullptr;

  XML_Parser parser_ = nullptr;
  std::uint64_t parser_base_ = 0;  ///< absolute offset of the first real byte given to the parser
  TextPos parser_base_pos_;
  std::size_t prefix_len_ = 0;     ///< synthetic wrapper bytes given before that
  std::uint64_t fed_to_ = 0;
  bool final_fed_ = false;
  bool suspended_ = false;
  int depth_ = 0;
  int unit_depth_ = 1;             ///< depth of the elements after which the parser is restarted
  bool unit_ended_ = false;
  std::uint64_t unit_end_ = 0;
  Scan scan_ = Scan::Initial;
  std::uint64_t next_start_ = 0;
  std::uint64_t last_resume_ = 0;
  std::string encoding_;
  std::vector<std::pair<std::string, std::string>> ns_stack_;
  std::vector<std::pair<std::string, std::string>> resume_bindings_;

  bool marc_collection_ = false;  ///< the root element is a <collection> in the MARC 21 namespace
  bool other_element_ = false;    ///< an element outside records that is neither that nor a <record>
  bool in_record_ = false;
  bool candidate_ = false;     ///< an un-namespaced "record" not yet known to hold MARC data
  bool foreign_child_ = false;
  int record_depth_ = 0;
  int skip_depth_ = 0;
  Part part_ = Part::None;
  bool capture_ = false;
  bool leader_seen_ = false;
  bool record_error_ = false;
  bool warned_text_ = false;
  bool warned_element_ = false;
  bool warned_outside_ = false;
  bool warned_concatenated_ = false;
  std::uint64_t number_ = 0;
  std::uint64_t record_offset_ = 0;
  Record cur_;
  Field field_;
  std::string tag_;
  char code_ = ' ';
  std::string text_;

  Record out_;
  bool record_ready_ = false;
  bool stopped_ = false;
  bool done_ = false;
  bool end_reported_ = false;
  bool had_syntax_error_ = false;
  std::uint64_t seen_ = 0;
  std::uint64_t last_offset_ = 0;
  std::uint64_t last_end_ = 0;
};

}  // namespace

std::unique_ptr<RecordStream> open_marcxml_stream(std::unique_ptr<ByteSource> source, const ReadOptions& options) {
  return std::make_unique<MarcXmlStream>(std::move(source), options);
}

}  // namespace marcscope::detail
