// The validation engine: schema rules (tags, repeatability, indicators, subfields, fixed-field positions) and
// content rules in the manner of MARC::Lint (ISBN, ISSN, language and geographic codes, 245 punctuation ...).
// validate() keeps all of its state on the stack; only findings allocate.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <stdexcept>

#include "marcscope/validator.h"

namespace marcscope {

namespace {

enum class Rule : std::uint8_t {
  UnknownTag,
  NonRepeatableField,
  InvalidIndicator,
  UnknownSubfield,
  NonRepeatableSubfield,
  LeaderValue,
  FixedFieldValue,
  FixedFieldLength,
  Multiple1xx,
  Missing245,
  Linkage880,
  IsbnCheckDigit,
  IsbnInvalidCharacters,
  IsbnLength,
  IsbnQualifier,
  IsbnCanceledValid,
  IssnFormat,
  IssnCheckDigit,
  LanguageCode,
  GeographicAreaCode,
  CountryCode,
  T245FirstSubfield,
  T245EndingPunctuation,
  T245CPrecededBySlash,
  T245BPrecededByPunctuation,
  T245HSpacing,
  T245HBrackets,
  T245NPrecededByPeriod,
  T245PPunctuation,
  T245NonfilingIndicator,
  SourceCode,
  Format005,
  Date008,
  ControlFieldDelimiter,
  Count_
};

struct RuleInfo {
  std::string_view id;
  std::string_view description;
};

constexpr RuleInfo kRules[] = {
    {"unknown-tag", "the schema does not define this tag (and it is not a local tag that is accepted)"},
    {"non-repeatable-field", "a field that is not repeatable occurs more than once"},
    {"invalid-indicator", "an indicator value the schema does not define for this field"},
    {"unknown-subfield", "a subfield code the schema does not define for this field"},
    {"non-repeatable-subfield", "a subfield that is not repeatable occurs more than once in a field"},
    {"leader-value", "a leader position holds a value not in its code list"},
    {"fixed-field-value", "an 006/007/008 position holds a value not in its code list for the material type"},
    {"fixed-field-length", "005 is not 16, 006 not 18 or 008 not 40 characters long"},
    {"multiple-1xx", "more than one main entry (1XX) field"},
    {"missing-245", "no title statement (245)"},
    {"880-linkage", "an 880 without a usable $6 linking it to a field"},
    {"isbn-check-digit", "020 $a ISBN-10 or ISBN-13 with a wrong check digit"},
    {"isbn-invalid-characters", "020 $a does not start with the ISBN digits (hyphens, prefixes)"},
    {"isbn-length", "020 $a does not hold 10 or 13 ISBN digits"},
    {"isbn-qualifier", "020 $a qualifier in parentheses not preceded by a space"},
    {"isbn-z-valid", "020 $z (canceled/invalid ISBN) holds a valid ISBN-10"},
    {"issn-format", "022 $a is not an ISSN of the form NNNN-NNNC"},
    {"issn-check-digit", "022 $a ISSN with a wrong check digit"},
    {"language-code", "041 or 008/35-37 language code not in the MARC Code List for Languages"},
    {"geographic-area-code", "043 $a not in the MARC Code List for Geographic Areas"},
    {"country-code", "008/15-17 not in the MARC Code List for Countries"},
    {"245-first-subfield", "245 must have $a as its first subfield (after $6)"},
    {"245-ending-punctuation", "245 must end with a period (or ? or !)"},
    {"245-c-preceded-by-slash", "245 $c must be preceded by \" /\""},
    {"245-b-preceded-by-punctuation", "245 $b must be preceded by \" :\", \" ;\" or \" =\""},
    {"245-h-spacing", "245 $h must not be preceded by a space"},
    {"245-h-brackets", "245 $h must be enclosed in square brackets"},
    {"245-n-preceded-by-period", "245 $n must be preceded by a period"},
    {"245-p-punctuation", "245 $p must be preceded by a comma after $n, else by a period"},
    {"245-nonfiling-indicator", "245 second indicator disagrees with an initial article in $a"},
    {"source-code", "$2 of a 6XX with second indicator 7 missing or not in the LoC source code lists"},
    {"005-format", "005 is not a valid yyyymmddhhmmss.f timestamp"},
    {"008-date", "008/00-05 (date entered) or 008/07-10 (date 1) is not a plausible date"},
    {"control-field-delimiter", "a control field (00X) holds a subfield delimiter; control fields have no subfields"},
};
static_assert(std::size(kRules) == static_cast<std::size_t>(Rule::Count_));

constexpr std::string_view kOrdinals[] = {"first",   "second", "third", "fourth", "fifth",
                                          "sixth",   "seventh", "eighth", "ninth", "tenth"};

std::string ordinal(unsigned n) {
  if (n >= 1 && n <= 10) return std::string(kOrdinals[n - 1]);
  std::string s = std::to_string(n);
  const unsigned t = n % 100;
  s += (t >= 11 && t <= 13) ? "th" : n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th";
  return s;
}

/// A value quoted for a message, cut at 60 bytes on a UTF-8 boundary.
std::string quote(std::string_view v) {
  std::string s = "\"";
  if (v.size() > 60) {
    std::size_t cut = 60;
    while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0) == 0x80) --cut;
    s.append(v.substr(0, cut));
    s += "...";
  } else {
    s.append(v);
  }
  s += '"';
  return s;
}

/// " (label)", or nothing for an empty label.
std::string paren(std::string_view label) { return label.empty() ? std::string() : " (" + std::string(label) + ")"; }

std::string show_char(char c) { return c == ' ' ? std::string("blank") : quote(std::string_view(&c, 1)); }

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word(char c) {
  auto u = static_cast<unsigned char>(c);
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || u >= 0x80;
}
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

int number_of(std::string_view s) {
  int n = 0;
  for (char c : s) n = n * 10 + (c - '0');
  return n;
}
bool digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_digit(c); });
}

bool isbn10_valid(std::string_view d) {
  int sum = 0;
  for (int i = 0; i < 10; ++i) {
    const int v = (i == 9 && (d[9] == 'X' || d[9] == 'x')) ? 10 : d[static_cast<std::size_t>(i)] - '0';
    sum += (10 - i) * v;
  }
  return sum % 11 == 0;
}

bool isbn13_valid(std::string_view d) {
  int sum = 0;
  for (int i = 0; i < 12; ++i) sum += (d[static_cast<std::size_t>(i)] - '0') * (i % 2 == 0 ? 1 : 3);
  return (10 - sum % 10) % 10 == d[12] - '0';
}

/// MARC::Lint's normalisation of an 020 value: hyphens removed, then the ISBN digits when a 10 to 13 character
/// ISBN (last one possibly X) stands after any non-digits and ends at a word boundary; else the whole value.
std::string isbn_digits(std::string_view data) {
  std::string s;
  s.reserve(data.size());
  for (char c : data)
    if (c != '-') s += c;
  std::size_t i = 0;
  while (i < s.size() && !is_digit(s[i])) ++i;
  std::size_t j = i;
  while (j < s.size() && is_digit(s[j])) ++j;
  const std::size_t n = j - i;
  std::size_t end = 0;
  if (i < s.size()) {
    if (j < s.size() && s[j] == 'X' && n >= 9 && n <= 12) end = j + 1;
    else if (n >= 10 && n <= 13) end = j;
  }
  if (end != 0 && (end == s.size() || !is_word(s[end]))) return s.substr(i, end - i);
  return s;
}

int days_in_month(int year, int month) {
  static constexpr int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2) return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
  return days[month - 1];
}

int current_year() {
  static const int year = [] {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
#if defined(_WIN32)
    gmtime_s(&tm, &now);
#else
    gmtime_r(&now, &tm);
#endif
    return tm.tm_year + 1900;
  }();
  return year;
}

/// The 008 material type (schema type name) from leader/06-07.
std::string_view material_type(char type, char level) {
  switch (type) {
    case 'a':
      return (level == 'b' || level == 'i' || level == 's') ? "Continuing Resources" : "Books";
    case 't': return "Books";
    case 'm': return "Computer Files";
    case 'e': case 'f': return "Maps";
    case 'c': case 'd': case 'i': case 'j': return "Music";
    case 'g': case 'k': case 'o': case 'r': return "Visual Materials";
    case 'p': return "Mixed Materials";
    default: return {};
  }
}

/// The 006 material type from 006/00.
std::string_view material_type_006(char form) {
  switch (form) {
    case 'a': case 't': return "Books";
    case 's': return "Continuing Resources";
    default: return material_type(form, 'm');
  }
}

bool is_local_tag(std::string_view tag) {
  return tag.size() == 3 && (tag[0] == '9' || (tag[1] == '9' && (tag[0] == '0' || tag[0] == '5' || tag[0] == '6')));
}

bool numeric_tag(std::string_view tag) { return tag.size() == 3 && digits(tag); }

}  // namespace

/// One validate() call: the record, the output and the per-record counters (all on the stack).
struct ValidationRun {
  const Validator& v;
  const Record& rec;
  std::uint64_t number;
  std::uint64_t offset;
  Diagnostics& out;
  std::array<std::uint16_t, 1000> seen{};      // occurrences so far by numeric tag
  std::array<std::uint16_t, 1000> seen880{};   // 880 occurrences by linked tag

  bool on(Rule r) const { return v.enabled_[static_cast<std::size_t>(r)] != 0; }

  void report(Rule r, std::string_view tag, char sub, std::string message, std::string_view url = {}) {
    if (!on(r)) return;
    Diagnostic d;
    d.severity = v.severity_[static_cast<std::size_t>(r)];
    d.code = Code::RuleViolation;
    d.record = number;
    d.offset = offset;
    d.tag = std::string(tag);
    d.subfield = sub;
    d.message = std::move(message);
    if (!url.empty()) {
      d.message += " - see ";
      d.message += url;
    }
    d.rule = std::string(kRules[static_cast<std::size_t>(r)].id);
    out.push_back(std::move(d));
  }

  static std::string where(unsigned occ, std::string_view tag, char sub = 0) {
    std::string s = occ ? ordinal(occ) + " " + std::string(tag) : std::string(tag);
    if (sub != 0) {
      s += " $";
      s += sub;
    }
    return s;
  }

  void run();
  void check_leader();
  void check_control(const Field& f, const FieldSpec* spec, unsigned occ);
  void check_positions(const std::vector<PositionSpec>& positions, std::string_view value, std::string_view tag,
                       unsigned occ, Rule rule, std::string_view type);
  void check_data(const Field& f, const FieldSpec& spec, std::string_view tag, unsigned occ, bool is880);
  void check_content(const Field& f, std::string_view tag, unsigned occ);
  void check_020(const Field& f, unsigned occ);
  void check_022(const Field& f, unsigned occ);
  void check_041(const Field& f, unsigned occ);
  void check_043(const Field& f, unsigned occ);
  void check_245(const Field& f, std::string_view tag, unsigned occ, const FieldSpec* spec);
  void check_article(const Field& f, std::string_view tag, unsigned occ, const FieldSpec* spec);
  void check_source(const Field& f, std::string_view tag, unsigned occ);
  void check_005(const Field& f, unsigned occ);
  void check_008(const Field& f, unsigned occ);
};

void ValidationRun::run() {
  const Schema& schema = *v.schema_;
  check_leader();

  // Record-level rules.
  unsigned n1xx = 0;
  const Field* second1xx = nullptr;
  std::string tags1xx;
  bool has245 = false;
  for (const auto& f : rec.fields()) {
    const auto& t = f.tag();
    if (t == "245") has245 = true;
    if (t.size() == 3 && t[0] == '1' && digits(t)) {
      if (++n1xx == 2) second1xx = &f;
      if (!tags1xx.empty()) tags1xx += ", ";
      tags1xx += t;
    }
  }
  if (n1xx > 1 && on(Rule::Multiple1xx))
    report(Rule::Multiple1xx, second1xx->tag(), 0,
           std::to_string(n1xx) + " main entry fields (" + tags1xx + "); only one 1XX is allowed");
  if (!has245) report(Rule::Missing245, "245", 0, "the record has no 245 (title statement)",
                      "https://www.loc.gov/marc/bibliographic/bd245.html");

  for (const auto& f : rec.fields()) {
    const std::string& tag = f.tag();
    unsigned occ = 1;
    const bool numeric = numeric_tag(tag);
    if (numeric) {
      occ = ++seen[static_cast<std::size_t>(number_of(tag))];
    } else {
      occ = 0;
      for (const auto& g : rec.fields()) {
        if (g.tag() == tag) ++occ;
        if (&g == &f) break;
      }
    }
    const FieldSpec* spec = schema.field(tag);

    if (tag == "880" && !f.is_control()) {
      const std::string* six = f.subfield('6');
      if (six == nullptr) {
        report(Rule::Linkage880, tag, '6', where(occ, tag) + ": no $6 linking it to another field",
               spec ? spec->url : std::string_view{});
        continue;
      }
      std::string_view linked = std::string_view(*six).substr(0, 3);
      const bool well_formed = six->size() >= 6 && numeric_tag(linked) && (*six)[3] == '-' && is_digit((*six)[4]) &&
                               is_digit((*six)[5]);
      const FieldSpec* lspec = well_formed ? schema.field(linked) : nullptr;
      if (!well_formed || linked == "880" || (lspec == nullptr && !(v.options_.accept_local_tags && is_local_tag(linked)))) {
        report(Rule::Linkage880, tag, '6',
               where(occ, tag, '6') + ": " + quote(*six) +
                   (well_formed ? " links to a tag the schema does not define"
                                : " is not a linkage of the form tag-occurrence (e.g. \"245-01\")"),
               spec ? spec->url : std::string_view{});
        continue;
      }
      if (lspec == nullptr) continue;  // linked to an accepted local tag
      const unsigned locc = ++seen880[static_cast<std::size_t>(number_of(linked))];
      if (!lspec->repeatable && locc == 2)
        report(Rule::NonRepeatableField, tag, 0,
               where(occ, tag) + " is the second 880 linked to " + std::string(linked) + paren(lspec->label) +
                   ", which is not repeatable",
               lspec->url);
      check_data(f, *lspec, linked, occ, true);
      check_content(f, linked, occ);
      continue;
    }

    if (spec == nullptr) {
      if (v.options_.accept_local_tags && is_local_tag(tag)) continue;
      report(Rule::UnknownTag, tag, 0,
             where(occ, tag) + ": tag " + quote(tag) + " is not defined in " +
                 (schema.title().empty() ? std::string("the schema") : schema.title()) +
                 (is_local_tag(tag) ? " (a local tag; local tags are not accepted)" : ""));
      continue;
    }
    if (!spec->repeatable && occ == 2)
      report(Rule::NonRepeatableField, tag, 0,
             where(occ, tag) + ": field " + tag + paren(spec->label) + " is not repeatable", spec->url);
    if (f.is_control()) {
      check_control(f, spec, occ);
    } else {
      check_data(f, *spec, tag, occ, false);
      check_content(f, tag, occ);
    }
  }
}

void ValidationRun::check_leader() {
  const FixedFieldSpec* ldr = v.schema_->leader();
  if (ldr == nullptr || rec.leader().size() < 24) return;
  if (const auto* positions = ldr->type("All Materials"))
    check_positions(*positions, rec.leader(), "LDR", 0, Rule::LeaderValue, {});
}

void ValidationRun::check_positions(const std::vector<PositionSpec>& positions, std::string_view value,
                                    std::string_view tag, unsigned occ, Rule rule, std::string_view type) {
  if (!on(rule)) return;
  for (const auto& p : positions) {
    if (p.codes.empty() && p.ranges.empty()) continue;
    if (p.end > value.size()) continue;
    const std::size_t width = p.unit ? p.unit : static_cast<std::size_t>(p.end - p.start);
    for (std::size_t at = p.start; at + width <= p.end; at += width) {
      std::string_view code = value.substr(at, width);
      // Repeatable content may be padded with blanks (or fill characters) after the codes.
      if (p.unit && at > p.start && code.find_first_not_of(' ') == std::string_view::npos) continue;
      if (p.accepts(code)) continue;
      std::string msg = where(occ, tag) + "/" + p.name;
      if (p.unit && static_cast<std::size_t>(p.end - p.start) > width) {
        msg += " (character " + std::to_string(at) + ")";
      }
      msg += " " + std::string(p.label);
      if (!type.empty()) msg += " (" + std::string(type) + ")";
      msg += ": " + quote(code) + (p.is_historical(code) ? " is an obsolete code" : " is not a valid code");
      report(rule, tag, 0, std::move(msg), p.url);
    }
  }
}

void ValidationRun::check_control(const Field& f, const FieldSpec* spec, unsigned occ) {
  const std::string& tag = f.tag();
  const std::string& value = f.value();
  if (value.find('\x1F') != std::string::npos)
    report(Rule::ControlFieldDelimiter, tag, 0,
           where(occ, tag) + ": " + quote(value) + " holds a subfield delimiter; control fields have no subfields",
           spec->url);
  auto length_rule = [&](std::size_t expected) {
    if (value.size() == expected) return true;
    report(Rule::FixedFieldLength, tag, 0,
           where(occ, tag) + " is " + std::to_string(value.size()) + " characters long, not " +
               std::to_string(expected) + ": " + quote(value),
           spec->url);
    return false;
  };
  if (tag == "005") {
    if (length_rule(16)) check_005(f, occ);
    return;
  }
  if (tag == "008") {
    if (!length_rule(40)) return;
    if (spec->fixed) {
      if (const auto* all = spec->fixed->type("All Materials"))
        check_positions(*all, value, tag, occ, Rule::FixedFieldValue, {});
      const auto& ldr = rec.leader();
      std::string_view type = ldr.size() >= 8 ? material_type(ldr[6], ldr[7]) : std::string_view{};
      if (!type.empty())
        if (const auto* pos = spec->fixed->type(type)) check_positions(*pos, value, tag, occ, Rule::FixedFieldValue, type);
    }
    check_008(f, occ);
    return;
  }
  if (tag == "006") {
    if (!length_rule(18) || spec->fixed == nullptr) return;
    if (const auto* all = spec->fixed->type("All Materials"))
      check_positions(*all, value, tag, occ, Rule::FixedFieldValue, {});
    std::string_view type = material_type_006(value[0]);
    if (!type.empty())
      if (const auto* pos = spec->fixed->type(type)) check_positions(*pos, value, tag, occ, Rule::FixedFieldValue, type);
    return;
  }
  if (tag == "007" && spec->fixed != nullptr && !value.empty()) {
    const auto* common = spec->fixed->type("Common");
    if (common == nullptr) return;
    check_positions(*common, value, tag, occ, Rule::FixedFieldValue, {});
    // The category's positions are the type named by the label of its 007/00 code ("Map", "Text" ...).
    for (const auto& p : *common) {
      if (p.start != 0 || p.end != 1) continue;
      const std::string_view label = p.label_of(std::string_view(value).substr(0, 1));
      if (!label.empty())
        if (const auto* pos = spec->fixed->type(label)) check_positions(*pos, value, tag, occ, Rule::FixedFieldValue, label);
      break;
    }
  }
}

void ValidationRun::check_data(const Field& f, const FieldSpec& spec, std::string_view tag, unsigned occ, bool is880) {
  auto shown = [&] { return is880 ? "880 (linked to " + std::string(tag) + ")" : std::string(tag); };
  const char inds[2] = {f.indicator1(), f.indicator2()};
  if (on(Rule::InvalidIndicator)) {
    for (int i = 0; i < 2; ++i) {
      const IndicatorSpec& ind = spec.ind[i];
      if (!ind.defined) continue;
      const auto c = static_cast<unsigned char>(inds[i]);
      if (c < 128 && ind.allowed.test(c)) continue;
      std::string valid;
      for (unsigned k = 0; k < 128; ++k)
        if (ind.allowed.test(k)) {
          if (!valid.empty()) valid += ", ";
          valid += k == ' ' ? std::string("blank") : std::string(1, static_cast<char>(k));
        }
      const bool old = c < 128 && ind.historical.test(c);
      report(Rule::InvalidIndicator, is880 ? std::string_view("880") : tag, 0,
             where(occ, shown()) + " indicator " + std::to_string(i + 1) + paren(ind.label) + ": " + show_char(inds[i]) +
                 (old ? " is an obsolete value" : " is not valid") + "; valid: " + valid,
             spec.url);
    }
  }
  std::array<std::uint8_t, 128> count{};
  for (const auto& sf : f.subfields()) {
    const auto c = static_cast<unsigned char>(sf.code);
    if (c >= 128 || !spec.subfields.test(c)) {
      if (is880 && c == '6') continue;
      const bool old = c < 128 && spec.historical_subfields.test(c);
      report(Rule::UnknownSubfield, is880 ? std::string_view("880") : tag, sf.code,
             where(occ, shown(), sf.code) + ": subfield code " + quote(std::string_view(&sf.code, 1)) +
                 (old ? " is obsolete in " : " is not defined for ") + std::string(tag) + paren(spec.label) +
                 (old && !spec.subfield_labels[c].empty() ? ": " + spec.subfield_labels[c] : std::string()),
             spec.url);
      continue;
    }
    if (++count[c] == 2 && !spec.repeatable_subfields.test(c))
      report(Rule::NonRepeatableSubfield, is880 ? std::string_view("880") : tag, sf.code,
             where(occ, shown(), sf.code) + ": second $" + std::string(1, sf.code) + paren(spec.subfield_labels[c]) +
                 " but the subfield is not repeatable",
             spec.url);
  }
}

void ValidationRun::check_content(const Field& f, std::string_view tag, unsigned occ) {
  if (tag == "020") check_020(f, occ);
  else if (tag == "022") check_022(f, occ);
  else if (tag == "041") check_041(f, occ);
  else if (tag == "043") check_043(f, occ);
  else if (tag == "245") check_245(f, tag, occ, v.schema_->field("245"));
  else if (tag == "600" || tag == "610" || tag == "611" || tag == "630" || tag == "647" || tag == "648" ||
           tag == "650" || tag == "651" || tag == "655")
    check_source(f, tag, occ);
}

void ValidationRun::check_020(const Field& f, unsigned occ) {
  static constexpr std::string_view url = "https://www.loc.gov/marc/bibliographic/bd020.html";
  const std::string_view tag = f.tag();
  for (const auto& sf : f.subfields()) {
    const std::string_view data = sf.value;
    if (sf.code == 'a') {
      const std::string isbn = isbn_digits(data);
      if (data.substr(0, std::min(data.size(), isbn.size())) != isbn)
        report(Rule::IsbnInvalidCharacters, tag, 'a',
               where(occ, tag, 'a') + ": " + quote(data) + " may have invalid characters (hyphens or text before the ISBN)",
               url);
      if (data.find('(') != std::string_view::npos) {
        bool ok = false;
        for (std::size_t i = 0; i + 2 < data.size(); ++i)
          if ((is_digit(data[i]) || data[i] == 'X') && data[i + 1] == ' ' && data[i + 2] == '(') ok = true;
        if (!ok)
          report(Rule::IsbnQualifier, tag, 'a',
                 where(occ, tag, 'a') + ": " + quote(data) + ": the qualifier must be preceded by a space after the ISBN",
                 url);
      }
      const bool ten = isbn.size() == 10 && digits(std::string_view(isbn).substr(0, 9)) &&
                       (is_digit(isbn[9]) || isbn[9] == 'X');
      const bool thirteen = isbn.size() == 13 && digits(isbn);
      if (!ten && !thirteen) {
        report(Rule::IsbnLength, tag, 'a', where(occ, tag, 'a') + ": " + quote(data) + " does not have 10 or 13 ISBN digits",
               url);
      } else if (ten ? !isbn10_valid(isbn) : !isbn13_valid(isbn)) {
        report(Rule::IsbnCheckDigit, tag, 'a',
               where(occ, tag, 'a') + ": " + quote(data) + " has a wrong check digit (ISBN-" + (ten ? "10" : "13") + ")",
               url);
      }
    } else if (sf.code == 'z') {
      bool hyphenated = false;
      {
        std::size_t i = 0;
        while (i < data.size() && is_digit(data[i])) ++i;
        hyphenated = i < data.size() && data[i] == '-' && i + 1 < data.size() && is_digit(data[i + 1]);
      }
      if (data.substr(0, 4) == "ISBN" || hyphenated) {
        const std::string isbn = isbn_digits(data);
        if (isbn.size() == 10 && digits(std::string_view(isbn).substr(0, 9)) && (is_digit(isbn[9]) || isbn[9] == 'X') &&
            isbn10_valid(isbn))
          report(Rule::IsbnCanceledValid, tag, 'z',
                 where(occ, tag, 'z') + ": " + quote(data) + " is a valid ISBN although $z is for canceled/invalid ones",
                 url);
      }
    }
  }
}

void ValidationRun::check_022(const Field& f, unsigned occ) {
  static constexpr std::string_view url = "https://www.loc.gov/marc/bibliographic/bd022.html";
  const std::string_view tag = f.tag();
  for (const auto& sf : f.subfields()) {
    if (sf.code != 'a') continue;
    std::string_view d = sf.value;
    while (!d.empty() && d.back() == ' ') d.remove_suffix(1);
    const bool form = d.size() >= 9 && digits(d.substr(0, 4)) && d[4] == '-' && digits(d.substr(5, 3)) &&
                      (is_digit(d[8]) || d[8] == 'X') && (d.size() == 9 || d[9] == ' ');
    if (!form) {
      report(Rule::IssnFormat, tag, 'a', where(occ, tag, 'a') + ": " + quote(sf.value) + " is not an ISSN (NNNN-NNNC)",
             url);
      continue;
    }
    int sum = 0;
    const char ds[7] = {d[0], d[1], d[2], d[3], d[5], d[6], d[7]};
    for (int i = 0; i < 7; ++i) sum += (ds[i] - '0') * (8 - i);
    const int check = (11 - sum % 11) % 11;
    const char expected = check == 10 ? 'X' : static_cast<char>('0' + check);
    if (expected != d[8])
      report(Rule::IssnCheckDigit, tag, 'a',
             where(occ, tag, 'a') + ": " + quote(sf.value) + " has a wrong check digit (expected " +
                 std::string(1, expected) + ")",
             url);
  }
}

void ValidationRun::check_041(const Field& f, unsigned occ) {
  static constexpr std::string_view url = "https://www.loc.gov/marc/bibliographic/bd041.html";
  if (f.indicator2() == '7' || !on(Rule::LanguageCode)) return;
  const std::string_view tag = f.tag();
  const CodeLists& lists = *v.lists_;
  for (const auto& sf : f.subfields()) {
    if (sf.code == '6' || sf.code == '8' || sf.code == '2' || sf.code == '3') continue;
    const std::string_view d = sf.value;
    if (d.size() % 3 != 0) {
      report(Rule::LanguageCode, tag, sf.code,
             where(occ, tag, sf.code) + ": " + quote(d) +
                 " is not made of three-letter language codes (length not a multiple of 3)",
             url);
      continue;
    }
    for (std::size_t i = 0; i < d.size(); i += 3) {
      const std::string_view code = d.substr(i, 3);
      if (lists.languages.contains(code)) continue;
      report(Rule::LanguageCode, tag, sf.code,
             where(occ, tag, sf.code) + ": " + quote(code) +
                 (lists.obsolete_languages.contains(code) ? " is an obsolete language code"
                                                          : " is not in the MARC Code List for Languages"),
             url);
    }
  }
}

void ValidationRun::check_043(const Field& f, unsigned occ) {
  static constexpr std::string_view url = "https://www.loc.gov/marc/bibliographic/bd043.html";
  const std::string_view tag = f.tag();
  const CodeLists& lists = *v.lists_;
  for (const auto& sf : f.subfields()) {
    if (sf.code != 'a') continue;
    const std::string_view d = sf.value;
    if (d.size() != 7) {
      report(Rule::GeographicAreaCode, tag, 'a',
             where(occ, tag, 'a') + ": " + quote(d) + " is not 7 characters long (e.g. \"n-us---\")", url);
    } else if (!lists.geographic_areas.contains(d)) {
      report(Rule::GeographicAreaCode, tag, 'a',
             where(occ, tag, 'a') + ": " + quote(d) +
                 (lists.obsolete_geographic_areas.contains(d) ? " is an obsolete geographic area code"
                                                              : " is not in the MARC Code List for Geographic Areas"),
             url);
    }
  }
}

void ValidationRun::check_245(const Field& f, std::string_view tag, unsigned occ, const FieldSpec* spec) {
  static constexpr std::string_view url = "https://www.loc.gov/marc/bibliographic/bd245.html";
  const std::string_view rtag = f.tag();  // 245 or 880
  const auto& subs = f.subfields();
  if (f.subfield('a') == nullptr)
    report(Rule::T245FirstSubfield, rtag, 'a', where(occ, rtag) + ": 245 has no $a (title)", url);
  if (subs.empty()) return;

  const std::string_view last = subs.back().value;
  if (last.empty() || (last.back() != '.' && last.back() != '?' && last.back() != '!'))
    report(Rule::T245EndingPunctuation, rtag, subs.back().code,
           where(occ, rtag) + ": 245 must end with a period; it ends " + quote(last.substr(last.size() > 10 ? last.size() - 10 : 0)),
           url);

  const bool has6 = f.subfield('6') != nullptr;
  if (has6) {
    if (subs.size() < 2) {
      report(Rule::T245FirstSubfield, rtag, 0, where(occ, rtag) + ": 245 with $6 has too few subfields", url);
    } else {
      if (subs[0].code != '6')
        report(Rule::T245FirstSubfield, rtag, subs[0].code,
               where(occ, rtag) + ": the first subfield must be $6, but it is $" + std::string(1, subs[0].code), url);
      if (subs[1].code != 'a')
        report(Rule::T245FirstSubfield, rtag, subs[1].code,
               where(occ, rtag) + ": the first subfield after $6 must be $a, but it is $" + std::string(1, subs[1].code),
               url);
    }
  } else if (subs[0].code != 'a') {
    report(Rule::T245FirstSubfield, rtag, subs[0].code,
           where(occ, rtag) + ": the first subfield must be $a, but it is $" + std::string(1, subs[0].code), url);
  }

  bool c_done = false;
  for (std::size_t i = 1; i < subs.size(); ++i) {
    const char code = subs[i].code;
    const std::string_view prev = subs[i - 1].value;
    const std::string_view val = subs[i].value;
    if (code == 'c' && !c_done) {
      c_done = true;
      if (!(prev.size() >= 2 && prev.back() == '/' && is_space(prev[prev.size() - 2])))
        report(Rule::T245CPrecededBySlash, rtag, 'c',
               where(occ, rtag, 'c') + ": must be preceded by \" /\"; the preceding subfield ends " +
                   quote(prev.substr(prev.size() > 10 ? prev.size() - 10 : 0)),
               url);
    } else if (code == 'b') {
      if (!(prev.size() >= 2 && prev[prev.size() - 2] == ' ' &&
            (prev.back() == ':' || prev.back() == ';' || prev.back() == '=')))
        report(Rule::T245BPrecededByPunctuation, rtag, 'b',
               where(occ, rtag, 'b') + ": must be preceded by \" :\", \" ;\" or \" =\"; the preceding subfield ends " +
                   quote(prev.substr(prev.size() > 10 ? prev.size() - 10 : 0)),
               url);
    } else if (code == 'h') {
      if (!((!prev.empty() && !is_space(prev.back())) || ends_with(prev, "-- ")))
        report(Rule::T245HSpacing, rtag, 'h', where(occ, rtag, 'h') + ": must not be preceded by a space", url);
      // Perl /^\[\w*\s*\w*\]/
      std::size_t k = 0;
      bool ok = k < val.size() && val[k] == '[';
      if (ok) {
        ++k;
        while (k < val.size() && is_word(val[k])) ++k;
        while (k < val.size() && is_space(val[k])) ++k;
        while (k < val.size() && is_word(val[k])) ++k;
        ok = k < val.size() && val[k] == ']';
      }
      if (!ok)
        report(Rule::T245HBrackets, rtag, 'h',
               where(occ, rtag, 'h') + ": " + quote(val) + " must be in matching square brackets (e.g. \"[videorecording]\")",
               url);
    } else if (code == 'n') {
      if (!((prev.size() >= 2 && prev.back() == '.' && !is_space(prev[prev.size() - 2])) || ends_with(prev, "-- .")))
        report(Rule::T245NPrecededByPeriod, rtag, 'n', where(occ, rtag, 'n') + ": must be preceded by a period", url);
    } else if (code == 'p') {
      const bool after_n = subs[i - 1].code == 'n';
      const char mark = after_n ? ',' : '.';
      const bool ok = (prev.size() >= 2 && prev.back() == mark && !is_space(prev[prev.size() - 2])) ||
                      ends_with(prev, after_n ? std::string_view("-- ,") : std::string_view("-- ."));
      if (!ok)
        report(Rule::T245PPunctuation, rtag, 'p',
               where(occ, rtag, 'p') +
                   (after_n ? ": must be preceded by a comma when it follows $n"
                            : ": must be preceded by a period when it follows a subfield other than $n"),
               url);
    }
  }
  check_article(f, tag, occ, spec);
}

void ValidationRun::check_article(const Field& f, std::string_view, unsigned occ, const FieldSpec*) {
  static constexpr std::string_view url = "https://www.loc.gov/marc/bibliographic/bd245.html";
  if (!on(Rule::T245NonfilingIndicator)) return;
  const std::string_view rtag = f.tag();
  const char ind = f.indicator2();
  if (!is_digit(ind)) return;  // reported by invalid-indicator
  const std::string* a = f.subfield('a');
  std::string_view title = a ? std::string_view(*a) : std::string_view{};
  int prefix = 0;
  auto leading = [](char c) { return c == '"' || c == '\'' || c == '[' || c == '(' || c == '*'; };
  while (!title.empty() && leading(title.front())) {
    ++prefix;
    title.remove_prefix(1);
  }
  auto separator = [](char c) {
    return c == ' ' || c == '(' || c == ')' || c == '[' || c == ']' || c == '\'' || c == '"' || c == '-';
  };
  std::size_t w = 0;
  while (w < title.size() && !separator(title[w])) ++w;
  const std::string_view first_word = title.substr(0, w);
  const bool has_separator = w > 0 && w < title.size();
  std::string_view rest = has_separator ? title.substr(w + 1) : std::string_view{};
  int nonfiling = static_cast<int>(first_word.size()) + prefix + 1;

  // Articles are short: lowercase into a buffer (longer words are no article).
  char buffer[16];
  const std::size_t n = std::min(first_word.size(), sizeof buffer);
  for (std::size_t i = 0; i < n; ++i) buffer[i] = lower(first_word[i]);
  const std::string_view lower_word(buffer, n);
  bool exception = false;
  for (const auto& e : v.lists_->article_exceptions) {
    if (title.size() < e.size()) continue;
    bool match = true;
    for (std::size_t i = 0; i < e.size() && match; ++i) match = lower(title[i]) == e[i];
    if (match) {
      exception = true;
      break;
    }
  }
  const bool article = !first_word.empty() && first_word.size() <= sizeof buffer &&
                       v.lists_->articles.contains(lower_word) && !exception;
  const int indicator = ind - '0';
  if (article) {
    if (has_separator && !rest.empty() && separator(rest.front())) {
      auto skip = [](char c) {
        return c == ' ' || c == '"' || c == '\'' || c == '[' || c == ']' || c == '(' || c == ')' || c == '*';
      };
      while (!rest.empty() && skip(rest.front())) {
        ++nonfiling;
        rest.remove_prefix(1);
      }
    }
    const bool wrong = lower_word == "en" ? !(ind == '3' || ind == '0') : nonfiling != indicator;
    if (wrong)
      report(Rule::T245NonfilingIndicator, rtag, 0,
             where(occ, rtag) + " indicator 2: the first word " + quote(first_word) +
                 " may be an article; check the nonfiling characters (" + std::string(1, ind) + ", expected " +
                 std::to_string(nonfiling) + ")",
             url);
  } else if (ind != '0') {
    report(Rule::T245NonfilingIndicator, rtag, 0,
           where(occ, rtag) + " indicator 2: the first word " + quote(first_word) +
               " does not appear to be an article; check the nonfiling characters (" + std::string(1, ind) + ")",
           url);
  }
}

void ValidationRun::check_source(const Field& f, std::string_view tag, unsigned occ) {
  if (f.indicator2() != '7' || !on(Rule::SourceCode)) return;
  const std::string_view rtag = f.tag();
  const std::string* two = f.subfield('2');
  if (two == nullptr) {
    report(Rule::SourceCode, rtag, '2',
           where(occ, rtag) + ": second indicator 7 (source in $2) but there is no $2",
           "https://www.loc.gov/marc/bibliographic/bd" + std::string(tag) + ".html");
    return;
  }
  std::string_view code = *two;
  while (!code.empty() && (code.back() == ' ' || code.back() == '.')) code.remove_suffix(1);
  const CodeLists& l = *v.lists_;
  const bool genre = tag == "655";
  const CodeList& valid = genre ? l.genre_sources : l.subject_sources;
  const CodeList& obsolete = genre ? l.obsolete_genre_sources : l.obsolete_subject_sources;
  if (valid.contains(code)) return;
  report(Rule::SourceCode, rtag, '2',
         where(occ, rtag, '2') + ": " + quote(*two) +
             (obsolete.contains(code) ? " is an obsolete source code"
                                      : genre ? " is not in the Genre/Form Code and Term Source Codes"
                                              : " is not in the Subject Heading and Term Source Codes"),
         genre ? "https://www.loc.gov/standards/sourcelist/genre-form.html"
               : "https://www.loc.gov/standards/sourcelist/subject.html");
}

void ValidationRun::check_005(const Field& f, unsigned occ) {
  const std::string_view d = f.value();  // 16 characters
  bool ok = digits(d.substr(0, 14)) && d[14] == '.' && is_digit(d[15]);
  if (ok) {
    const int year = number_of(d.substr(0, 4)), month = number_of(d.substr(4, 2)), day = number_of(d.substr(6, 2));
    const int hour = number_of(d.substr(8, 2)), minute = number_of(d.substr(10, 2)), second = number_of(d.substr(12, 2));
    ok = year >= 1900 && month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(year, month) && hour <= 23 &&
         minute <= 59 && second <= 60;
  }
  if (!ok)
    report(Rule::Format005, f.tag(), 0,
           where(occ, f.tag()) + ": " + quote(d) + " is not a date and time of the form yyyymmddhhmmss.f",
           "https://www.loc.gov/marc/bibliographic/bd005.html");
}

void ValidationRun::check_008(const Field& f, unsigned occ) {
  static constexpr std::string_view url = "https://www.loc.gov/marc/bibliographic/bd008a.html";
  const std::string_view d = f.value();  // 40 characters
  const std::string_view tag = f.tag();
  const CodeLists& l = *v.lists_;
  if (on(Rule::Date008)) {
    const std::string_view entered = d.substr(0, 6);
    bool ok = digits(entered);
    if (ok) {
      const int month = number_of(entered.substr(2, 2)), day = number_of(entered.substr(4, 2));
      ok = month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(2000, month);
    }
    if (!ok && entered != "||||||")
      report(Rule::Date008, tag, 0,
             where(occ, tag) + "/00-05 Date entered on file: " + quote(entered) + " is not a date of the form yymmdd",
             url);
    const std::string_view date1 = d.substr(7, 4);
    const char type = d[6];
    bool valid = true;
    std::string why;
    if (type == 'b' && date1 == "    ") {
      // no dates given (B.C.)
    } else if (date1 == "||||") {
    } else if (!std::all_of(date1.begin(), date1.end(), [](char c) { return is_digit(c) || c == 'u'; })) {
      valid = false;
      why = " holds characters other than digits and 'u'";
    } else if (digits(date1) && number_of(date1) > current_year() + 5) {
      valid = false;
      why = " lies in the future";
    }
    if (!valid)
      report(Rule::Date008, tag, 0, where(occ, tag) + "/07-10 Date 1: " + quote(date1) + why, url);
  }
  if (on(Rule::CountryCode)) {
    std::string_view place = d.substr(15, 3);
    while (!place.empty() && place.back() == ' ') place.remove_suffix(1);
    if (place != "|||" && !place.empty() && !l.countries.contains(place))
      report(Rule::CountryCode, tag, 0,
             where(occ, tag) + "/15-17 Place of publication: " + quote(d.substr(15, 3)) +
                 (l.obsolete_countries.contains(place) ? " is an obsolete country code"
                                                       : " is not in the MARC Code List for Countries"),
             url);
  }
  if (on(Rule::LanguageCode)) {
    const std::string_view lang = d.substr(35, 3);
    if (lang != "   " && lang != "|||" && !l.languages.contains(lang))
      report(Rule::LanguageCode, tag, 0,
             where(occ, tag) + "/35-37 Language: " + quote(lang) +
                 (l.obsolete_languages.contains(lang) ? " is an obsolete language code"
                                                      : " is not in the MARC Code List for Languages"),
             url);
  }
}

Validator::Validator(ValidatorOptions options) : Validator(Schema::builtin(), std::move(options), nullptr) {}

Validator::Validator(std::shared_ptr<const Schema> schema, ValidatorOptions options,
                     std::shared_ptr<const CodeLists> lists)
    : schema_(std::move(schema)), lists_(std::move(lists)), options_(std::move(options)) {
  if (!schema_) throw std::invalid_argument("Validator: no schema");
  if (!lists_) lists_ = CodeLists::builtin();
  constexpr auto n = static_cast<std::size_t>(Rule::Count_);
  enabled_.assign(n, 1);
  severity_.assign(n, default_severity(Code::RuleViolation));
  auto index = [](std::string_view id) -> std::size_t {
    for (std::size_t i = 0; i < n; ++i)
      if (kRules[i].id == id) return i;
    throw std::invalid_argument("unknown validation rule \"" + std::string(id) + "\"");
  };
  for (const auto& id : options_.disabled_rules) enabled_[index(id)] = 0;
  for (const auto& [id, severity] : options_.severity_overrides) severity_[index(id)] = severity;
}

void Validator::validate(const Record& rec, std::uint64_t number, std::uint64_t offset, Diagnostics& out) const {
  ValidationRun run{*this, rec, number, offset, out};
  run.run();
}

const std::vector<std::string_view>& Validator::rule_ids() {
  static const std::vector<std::string_view> ids = [] {
    std::vector<std::string_view> v;
    for (const auto& r : kRules) v.push_back(r.id);
    return v;
  }();
  return ids;
}

std::string_view Validator::rule_description(std::string_view rule) {
  for (const auto& r : kRules)
    if (r.id == rule) return r.description;
  return {};
}

}  // namespace marcscope
