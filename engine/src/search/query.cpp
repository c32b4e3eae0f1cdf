#include "marcscope/search/query.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <utf8proc.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <stdexcept>

#include "marcscope/iso2709/record_view.h"
#include "marcscope/read/record_file.h"
#include "marcscope/read/record_reader.h"

namespace marcscope {
namespace {

bool is_ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ascii_lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

/// NFC, and case-folded unless `keep_case`: the form values and texts are compared in, so that
/// "é" typed by a user finds an "é" stored decomposed, and "Éd" finds "éd".
std::string normalised(std::string_view s, bool keep_case) {
  if (is_ascii(s)) return keep_case ? std::string(s) : ascii_lowered(s);
  utf8proc_uint8_t* out = nullptr;
  const int options = UTF8PROC_STABLE | UTF8PROC_COMPOSE | (keep_case ? 0 : UTF8PROC_CASEFOLD);
  const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                                          static_cast<utf8proc_ssize_t>(s.size()), &out,
                                          static_cast<utf8proc_option_t>(options));
  if (n < 0) return keep_case ? std::string(s) : ascii_lowered(s);  // not valid UTF-8: compare the bytes
  std::string result(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
  std::free(out);
  return result;
}

/// ASCII case-insensitive search of an already lowered needle in `hay`.
bool ascii_contains(std::string_view hay, std::string_view lowered_needle, MatchKind kind) {
  const std::size_t n = lowered_needle.size();
  auto same_at = [&](std::size_t at) {
    for (std::size_t i = 0; i < n; ++i)
      if (ascii_lower(hay[at + i]) != lowered_needle[i]) return false;
    return true;
  };
  if (kind == MatchKind::Equals) return hay.size() == n && same_at(0);
  if (hay.size() < n) return false;
  if (kind == MatchKind::StartsWith) return same_at(0);
  for (std::size_t at = 0; at + n <= hay.size(); ++at)
    if (same_at(at)) return true;
  return false;
}

bool tag_matches(std::string_view pattern, std::string_view tag) {
  if (pattern == "*") return true;
  if (pattern.size() != 3 || tag.size() != 3) return pattern == tag;
  for (std::size_t i = 0; i < 3; ++i)
    if (pattern[i] != 'X' && pattern[i] != tag[i]) return false;
  return true;
}

struct Pcre2Deleter {
  void operator()(pcre2_code* code) const { pcre2_code_free(code); }
};

}  // namespace

struct Matcher::Compiled {
  struct One {
    const Condition* condition = nullptr;
    std::string text;        ///< normalised as values will be (unless case-sensitive and ASCII)
    bool ascii_fast = false; ///< the text is ASCII: ASCII values need no normalising
    std::unique_ptr<pcre2_code, Pcre2Deleter> regex;
  };
  std::vector<One> conditions;

  bool test(const One& c, std::string_view value) const {
    const Condition& cond = *c.condition;
    if (c.regex) {
      thread_local std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> data(
          pcre2_match_data_create(1, nullptr), &pcre2_match_data_free);
      const std::string norm = is_ascii(value) ? std::string() : normalised(value, true);
      const std::string_view v = norm.empty() ? value : std::string_view(norm);
      return pcre2_match(c.regex.get(), reinterpret_cast<PCRE2_SPTR>(v.data()), v.size(), 0, 0, data.get(), nullptr) >= 0;
    }
    if (c.ascii_fast && is_ascii(value)) {
      if (cond.case_sensitive) {
        if (cond.kind == MatchKind::Equals) return value == c.text;
        if (cond.kind == MatchKind::StartsWith) return value.starts_with(c.text);
        return value.find(c.text) != std::string_view::npos;
      }
      return ascii_contains(value, c.text, cond.kind);
    }
    const std::string v = normalised(value, cond.case_sensitive);
    if (cond.kind == MatchKind::Equals) return v == c.text;
    if (cond.kind == MatchKind::StartsWith) return v.starts_with(c.text);
    return v.find(c.text) != std::string::npos;
  }

  std::string_view positioned(const One& c, std::string_view value) const {
    const auto& p = c.condition->positions;
    if (!p) return value;
    if (p->first >= value.size()) return {};
    return value.substr(p->first, p->second - p->first + 1);
  }

  template <class Rec>
  bool holds(const One& c, const Rec& record) const {
    const Condition& cond = *c.condition;
    const bool presence = cond.kind == MatchKind::Present || cond.kind == MatchKind::Absent;
    bool found = false;
    if (cond.tag == "LDR") {
      found = presence || test(c, positioned(c, leader_of(record)));
    } else {
      for (const auto& f : fields_of(record)) {
        if (!tag_matches(cond.tag, tag_of(f))) continue;
        if (f.is_control()) {
          if (cond.subfield != 0) continue;
          found = presence || test(c, positioned(c, control_value(f)));
        } else if (presence) {
          if (cond.subfield == 0) found = true;
          else
            for (const auto& sf : f.subfields())
              if (sf.code == cond.subfield) {
                found = true;
                break;
              }
        } else if (!cond.positions) {
          for (const auto& sf : f.subfields())
            if ((cond.subfield == 0 || sf.code == cond.subfield) && test(c, sf.value)) {
              found = true;
              break;
            }
        }
        if (found) break;
      }
    }
    const bool result = cond.kind == MatchKind::Absent ? !found : found;
    return cond.negate ? !result : result;
  }

  template <class Rec>
  bool matches(const Rec& record, bool any) const {
    if (conditions.empty()) return true;
    for (const auto& c : conditions) {
      const bool h = holds(c, record);
      if (any && h) return true;
      if (!any && !h) return false;
    }
    return !any;
  }

  // The two shapes a record is matched in: the model, and the view of a record that decodes as is.
  static std::string_view leader_of(const Record& r) { return r.leader(); }
  static const std::vector<Field>& fields_of(const Record& r) { return r.fields(); }
  static std::string_view tag_of(const Field& f) { return f.tag(); }
  static std::string_view control_value(const Field& f) { return f.value(); }

  struct AsIs {
    const RecordView& view;
    char leader[LeaderView::kSize];
  };
  static std::string_view leader_of(const AsIs& r) { return {r.leader, LeaderView::kSize}; }
  static const std::vector<FieldView>& fields_of(const AsIs& r) { return r.view.fields(); }
  static std::string_view tag_of(const FieldView& f) { return f.tag; }
  static std::string_view control_value(const FieldView& f) { return f.data; }
};

Matcher::Matcher(Query query) : query_(std::move(query)) {
  auto compiled = std::make_unique<Compiled>();
  for (const Condition& cond : query_.conditions) {
    const std::string& t = cond.tag;
    const bool tag_ok = t == "*" || t == "LDR" ||
                        (t.size() == 3 && std::all_of(t.begin(), t.end(), [](char c) {
                           return (c >= '0' && c <= '9') || c == 'X' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
                         }));
    if (!tag_ok) throw std::invalid_argument("'" + t + "' is not a tag: give three characters (6XX matches 600-699), LDR or *");
    if (cond.positions && cond.positions->first > cond.positions->second)
      throw std::invalid_argument("positions " + std::to_string(cond.positions->first) + "-" +
                                  std::to_string(cond.positions->second) + " run backwards");
    Compiled::One one;
    one.condition = &cond;
    if (cond.kind == MatchKind::Regex) {
      int error = 0;
      PCRE2_SIZE at = 0;
      const std::uint32_t flags = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | (cond.case_sensitive ? 0 : PCRE2_CASELESS);
      pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(cond.text.data()), cond.text.size(), flags, &error, &at, nullptr);
      if (!code) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(error, message, sizeof message);
        throw std::invalid_argument("the regular expression /" + cond.text + "/ is not valid at character " +
                                    std::to_string(at + 1) + ": " + reinterpret_cast<const char*>(message));
      }
      pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // where JIT is not available, matching is interpreted
      one.regex.reset(code);
    } else {
      one.ascii_fast = is_ascii(cond.text);
      one.text = one.ascii_fast ? (cond.case_sensitive ? cond.text : ascii_lowered(cond.text))
                                : normalised(cond.text, cond.case_sensitive);
    }
    compiled->conditions.push_back(std::move(one));
  }
  compiled_ = std::move(compiled);
}

Matcher::~Matcher() = default;
Matcher::Matcher(Matcher&&) noexcept = default;
Matcher& Matcher::operator=(Matcher&&) noexcept = default;

bool Matcher::matches(const Record& record) const { return compiled_->matches(record, query_.any); }

bool Matcher::matches_as_is(const RecordView& view) const {
  Compiled::AsIs record{view, {}};
  const std::string_view leader = view.bytes().substr(0, LeaderView::kSize);
  std::fill(std::begin(record.leader), std::end(record.leader), ' ');
  std::copy(leader.begin(), leader.end(), record.leader);
  record.leader[9] = 'a';  // as the model sets it (decodes_as_is)
  return compiled_->matches(record, query_.any);
}

Condition Condition::parse(const std::string& input) {
  Condition c;
  std::string_view s = input;
  auto trim = [](std::string_view v) {
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
    return v;
  };
  s = trim(s);
  auto fail = [&](const std::string& why) {
    throw std::invalid_argument("cannot read the condition '" + input + "': " + why);
  };
  if (!s.empty() && s.front() == '!') {
    c.negate = true;
    s.remove_prefix(1);
  }
  // The field spec: up to the first operator character or blank.
  std::size_t end = 0;
  while (end < s.size() && !std::isspace(static_cast<unsigned char>(s[end])) && s[end] != '=' && s[end] != '~' &&
         s[end] != '^' && !(s[end] == '/' && end > 0 && !std::isdigit(static_cast<unsigned char>(s[end + 1 < s.size() ? end + 1 : end]))))
    ++end;
  std::string_view spec = s.substr(0, end);
  s = trim(s.substr(end));
  if (spec.empty()) fail("it names no field (245$a, 6XX, LDR/06, 008/35-37, *)");
  if (const std::size_t slash = spec.find('/'); slash != std::string_view::npos) {
    const std::string_view pos = spec.substr(slash + 1);
    spec = spec.substr(0, slash);
    unsigned a = 0, b = 0;
    const std::size_t dash = pos.find('-');
    auto number = [&](std::string_view d, unsigned& v) {
      if (d.empty() || d.size() > 3 || !std::all_of(d.begin(), d.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) return false;
      v = static_cast<unsigned>(std::stoul(std::string(d)));
      return true;
    };
    if (!number(dash == std::string_view::npos ? pos : pos.substr(0, dash), a) ||
        !(dash == std::string_view::npos ? (b = a, true) : number(pos.substr(dash + 1), b)))
      fail("positions are written /06 or /35-37");
    c.positions = std::make_pair(a, b);
  }
  if (const std::size_t dollar = spec.find('$'); dollar != std::string_view::npos) {
    if (dollar + 2 != spec.size()) fail("a subfield is one character after '$'");
    c.subfield = spec[dollar + 1];
    spec = spec.substr(0, dollar);
  }
  c.tag = std::string(spec);
  for (char& ch : c.tag)
    if (ch == 'x') ch = 'X';
  if (s == "present" || s == "absent") {
    c.kind = s == "present" ? MatchKind::Present : MatchKind::Absent;
    return c;
  }
  if (s.empty()) fail("it has no operator (=, ~, ^, /regex/, present or absent)");
  if (s.front() == '/') {
    const std::size_t close = s.rfind('/');
    if (close == 0) fail("the regular expression has no closing '/'");
    c.kind = MatchKind::Regex;
    c.text = std::string(s.substr(1, close - 1));
    const std::string_view flags = s.substr(close + 1);
    c.case_sensitive = flags.find('i') == std::string_view::npos;
    if (!trim(flags).empty() && trim(flags) != "i") fail("the only flag after a regular expression is i");
    return c;
  }
  const char op = s.front();
  c.kind = op == '=' ? MatchKind::Equals : op == '~' ? MatchKind::Contains : op == '^' ? MatchKind::StartsWith : MatchKind::Present;
  if (op != '=' && op != '~' && op != '^') fail("the operator must be =, ~, ^, /regex/, present or absent");
  s.remove_prefix(1);
  if (!s.empty() && s.front() == op) {  // doubled: exact case
    c.case_sensitive = true;
    s.remove_prefix(1);
  }
  c.text = std::string(trim(s));
  return c;
}

std::vector<std::uint64_t> search(RecordReader& reader, const Matcher& matcher, const JobControl& control,
                                  const HitsCallback& on_hits) {
  std::vector<std::uint64_t> hits;
  reader.run(
      [&](Batch& batch) {
        if (batch.selected.empty()) return true;
        hits.insert(hits.end(), batch.selected.begin(), batch.selected.end());
        if (on_hits) on_hits(batch.selected);
        return true;
      },
      [&](Batch& batch) {
        RecordView view;  // for a record that comes without its view
        for (const auto& r : batch.records) {
          // A record delivered undecoded (ReadOptions::skip_as_is) is matched on its bytes, which
          // are what decoding it would give, through the view the pipeline parsed.
          const bool hit = r.as_is ? matcher.matches_as_is(r.view_of(view, ReadMode::Permissive)) : matcher.matches(r.record);
          if (hit) batch.selected.push_back(r.number);
        }
      },
      control);
  return hits;
}

std::vector<std::uint64_t> search(const RecordFile& file, const Matcher& matcher, const JobControl& control,
                                  const HitsCallback& on_hits) {
  auto reader = file.read_from(1, /*skip_as_is=*/true);
  return search(*reader, matcher, control, on_hits);
}

}  // namespace marcscope
