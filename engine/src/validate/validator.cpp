// The validation engine: schema rules (tags, repeatability, indicators, subfields, fixed-field positions) and
// content rules in the manner of MARC::Lint (ISBN, ISSN, language and geographic codes, 245 punctuation ...).
// The constructor compiles the schema into tables (field specs by tag number, fixed-field positions with their codes as
// bit sets or sorted numbers); validate() reads them, keeps per-record counters in per-thread scratch space, and
// allocates only for findings, whose messages are built only then.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>
#include <span>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <stdexcept>

#include "marcscope/charset/utf8.h"
#include "marcscope/iso2709/record_view.h"
#include "marcscope/validate/validator.h"
#include "core/strings.h"

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

/// A three-byte tag of ASCII (valid UTF-8 without looking further).
inline bool is_ascii3(std::string_view t) {
  return t.size() == 3 && ((static_cast<unsigned char>(t[0]) | static_cast<unsigned char>(t[1]) |
                            static_cast<unsigned char>(t[2])) & 0x80) == 0;
}

/// A message being written: a buffer on the stack (long messages continue in a string), copied into the diagnostic
/// once, at its exact size. Messages are built only for findings (ValidationRun::report).
class Msg {
 public:
  Msg() = default;
  Msg(const Msg&) = delete;
  Msg& operator=(const Msg&) = delete;

  [[gnu::always_inline]] Msg& operator+=(std::string_view v) {
    if (v.size() > static_cast<std::size_t>(buf_ + sizeof buf_ - p_)) [[unlikely]] {
      spill(v);
    } else if (!v.empty()) {
      std::memcpy(p_, v.data(), v.size());
      p_ += v.size();
    }
    return *this;
  }
  [[gnu::always_inline]] Msg& operator+=(char c) {
    if (p_ == buf_ + sizeof buf_) [[unlikely]] spill({});
    *p_++ = c;
    return *this;
  }
  /// The message into `s` (a fresh, empty string), which takes its exact size.
  void put_into(std::string& s) const {
    const std::string_view tail(buf_, static_cast<std::size_t>(p_ - buf_));
    if (long_.empty()) {
      detail::construct_into(s, tail);
    } else {
      s.reserve(long_.size() + tail.size());
      s.assign(long_);
      s += tail;
    }
  }

 private:
  [[gnu::noinline]] void spill(std::string_view v) {
    long_.append(buf_, static_cast<std::size_t>(p_ - buf_));
    long_ += v;
    p_ = buf_;
  }
  char buf_[384];
  char* p_ = buf_;
  std::string long_;
};

// The put_* helpers append parts of messages.

template <class Int>
void put_num(Msg& s, Int n) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, n);
  s += std::string_view(buf, static_cast<std::size_t>(r.ptr - buf));
}

/// "first" ... "tenth", then "11th", "21st" ...
void put_ordinal(Msg& s, unsigned n) {
  if (n >= 1 && n <= 10) {
    s += kOrdinals[n - 1];
    return;
  }
  put_num(s, n);
  const unsigned t = n % 100;
  s += (t >= 11 && t <= 13) ? "th" : n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th";
}

/// Appends text that may start or end inside a character (a fixed-width code cut out of a value,
/// a value of a record built by hand): a broken sequence becomes U+FFFD, so messages stay UTF-8.
void put_text(Msg& s, std::string_view v) {
  if (is_valid_utf8(v)) {
    s += v;
    return;
  }
  std::string fixed;
  append_utf8_replacing(v, fixed);
  s += fixed;
}

/// A value quoted for a message, cut at 60 bytes on a UTF-8 boundary.
void put_quote(Msg& s, std::string_view v) {
  s += '"';
  const std::string_view shown = utf8_prefix(v, 60);
  put_text(s, shown);
  if (shown.size() < v.size()) s += "...";
  s += '"';
}

/// " (label)", or nothing for an empty label.
[[gnu::always_inline]] inline void put_paren(Msg& s, std::string_view label) {
  if (label.empty()) return;
  s += " (";
  s += label;
  s += ')';
}

[[gnu::always_inline]] inline void put_char(Msg& s, char c) {
  if (c == ' ') s += "blank";
  else put_quote(s, std::string_view(&c, 1));
}

/// "first 245", "245", "second 020 $a".
[[gnu::always_inline]] inline void put_where(Msg& s, unsigned occ, std::string_view tag, char sub = 0) {
  if (occ) {
    put_ordinal(s, occ);
    s += ' ';
  }
  s += tag;
  if (sub != 0) {
    s += " $";
    s += sub;
  }
}

/// The last 10 bytes of a value, quoted ("it ends ..."), starting at a character.
[[gnu::always_inline]] inline void put_tail(Msg& s, std::string_view v) { put_quote(s, utf8_suffix(v, 10)); }

/// The values an indicator allows: "blank, 0, 1".
std::string valid_list(const std::bitset<128>& allowed) {
  std::string valid;
  for (unsigned k = 0; k < 128; ++k)
    if (allowed[k]) {
      if (!valid.empty()) valid += ", ";
      if (k == ' ') valid += "blank";
      else valid += static_cast<char>(k);
    }
  return valid;
}

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

/// Material types of 006/008, as the schema names them; index 0 is "none".
constexpr std::string_view kMaterials[] = {{},     "Books", "Continuing Resources", "Computer Files",
                                           "Maps", "Music", "Visual Materials",     "Mixed Materials"};
constexpr std::size_t kMaterialCount = std::size(kMaterials);

/// The 008 material type (index into kMaterials) from leader/06-07.
std::size_t material_type(char type, char level) {
  switch (type) {
    case 'a':
      return (level == 'b' || level == 'i' || level == 's') ? 2 : 1;
    case 't': return 1;
    case 'm': return 3;
    case 'e': case 'f': return 4;
    case 'c': case 'd': case 'i': case 'j': return 5;
    case 'g': case 'k': case 'o': case 'r': return 6;
    case 'p': return 7;
    default: return 0;
  }
}

/// The 006 material type from 006/00.
std::size_t material_type_006(char form) {
  switch (form) {
    case 'a': case 't': return 1;
    case 's': return 2;
    default: return material_type(form, 'm');
  }
}

bool is_local_tag(std::string_view tag) {
  return tag.size() == 3 && (tag[0] == '9' || (tag[1] == '9' && (tag[0] == '0' || tag[0] == '5' || tag[0] == '6')));
}

/// One position of a fixed field with a code list or ranges, with its codes in a form that is quick to test.
struct CompiledPosition {
  const PositionSpec* spec = nullptr;
  std::uint8_t start = 0, end = 0;
  std::uint8_t width = 0;              ///< characters per code
  bool unit = false;                   ///< repeatable content
  bool character = false;              ///< messages name the character ("18-21 (character 19)")
  bool simple = false;                 ///< one character, not repeatable content, no ranges: only `single` decides
  std::bitset<256> single;             ///< width 1: the codes
  std::vector<std::uint64_t> packed;   ///< width 2-8: the codes as packed bytes, sorted

  static std::uint64_t pack(std::string_view code) {
    std::uint64_t k = 0;
    for (char c : code) k = (k << 8) | static_cast<unsigned char>(c);
    return k;
  }

  /// PositionSpec::accepts, for a code of exactly `width` characters.
  bool accepts(std::string_view code) const {
    if (width == 1) {
      if (single[static_cast<unsigned char>(code[0])]) return true;
    } else if (width <= 8) {
      if (std::binary_search(packed.begin(), packed.end(), pack(code))) return true;
    } else {
      return spec->accepts(code);
    }
    if (spec->ranges.empty() || !digits(code)) return false;
    std::uint32_t n = 0;
    for (char c : code) n = n * 10 + static_cast<std::uint32_t>(c - '0');
    for (const auto& [lo, hi] : spec->ranges)
      if (n >= lo && n <= hi) return true;
    return false;
  }
};

using CompiledType = std::vector<CompiledPosition>;

}  // namespace

/// The schema indexed for validate(); built once by the constructor, read-only afterwards.
struct Validator::Tables {
  std::array<const FieldSpec*, 1000> spec{};                 ///< by numeric tag
  std::vector<std::array<std::string, 2>> valid_indicators;  ///< by numeric tag: the values each indicator allows
  const CompiledType* leader = nullptr;                      ///< leader "All Materials"
  struct Fixed {
    const CompiledType* all = nullptr;                       ///< "All Materials"
    std::array<const CompiledType*, kMaterialCount> types{}; ///< by material type
  };
  Fixed f006, f008;
  const CompiledType* f007_common = nullptr;
  std::array<std::string_view, 256> f007_label{};            ///< by 007/00: the label of the code (the type's name)
  std::array<const CompiledType*, 256> f007_type{};          ///< by 007/00: the positions of that type
  std::bitset<256> record_types;                             ///< leader/06 codes the schema describes (none: any)
  std::vector<std::unique_ptr<CompiledType>> owned;

  explicit Tables(const Schema& schema);
  const CompiledType* compile(const FixedFieldSpec* fixed, std::string_view type);
  /// ValidatorOptions::accepted_codes: each code added to the positions its key names.
  void accept(const std::map<std::string, std::vector<std::string>, std::less<>>& accepted);
};

void Validator::Tables::accept(const std::map<std::string, std::vector<std::string>, std::less<>>& accepted) {
  for (const auto& [key, codes] : accepted) {
    auto bad = [&key](const std::string& why) {
      return std::invalid_argument("accepted codes for \"" + key + "\": " + why);
    };
    const std::size_t slash = key.find('/');
    const std::string tag = key.substr(0, slash);
    if (slash == std::string::npos || slash + 1 == key.size() || key.size() - slash - 1 > 2 ||
        !digits(std::string_view(key).substr(slash + 1)))
      throw bad("name a position as LDR/17 or 008/23");
    const int at = std::stoi(key.substr(slash + 1));
    std::vector<const CompiledType*> types;
    auto add = [&types](const CompiledType* t) {
      if (t != nullptr && std::find(types.begin(), types.end(), t) == types.end()) types.push_back(t);
    };
    if (tag == "LDR") {
      add(leader);
    } else if (tag == "006" || tag == "008") {
      const Fixed& f = tag == "006" ? f006 : f008;
      add(f.all);
      for (const CompiledType* t : f.types) add(t);
    } else if (tag == "007") {
      add(f007_common);
      for (const CompiledType* t : f007_type) add(t);
    } else {
      throw bad("only the leader (LDR), 006, 007 and 008 have coded positions");
    }
    std::size_t found = 0;
    for (const CompiledType* t : types) {
      for (CompiledPosition& c : const_cast<CompiledType&>(*t)) {
        if (c.start != at) continue;
        ++found;
        if (c.width > 8) throw bad("codes " + std::to_string(c.width) + " characters wide cannot be added");
        for (const std::string& code : codes) {
          if (code.size() != c.width)
            throw bad("\"" + code + "\" is not " + std::to_string(c.width) + " character" + (c.width == 1 ? "" : "s") +
                      " wide, as the position is");
          if (c.width == 1) c.single.set(static_cast<unsigned char>(code[0]));
          else c.packed.push_back(CompiledPosition::pack(code));
        }
        std::sort(c.packed.begin(), c.packed.end());
      }
    }
    if (found == 0) throw bad("the schema gives no code list for a position starting there");
  }
}

const CompiledType* Validator::Tables::compile(const FixedFieldSpec* fixed, std::string_view type) {
  const std::vector<PositionSpec>* positions = fixed ? fixed->type(type) : nullptr;
  if (positions == nullptr) return nullptr;
  auto out = std::make_unique<CompiledType>();
  for (const auto& p : *positions) {
    if (p.codes.empty() && p.ranges.empty()) continue;
    CompiledPosition c;
    c.spec = &p;
    c.start = p.start;
    c.end = p.end;
    c.width = static_cast<std::uint8_t>(p.unit ? p.unit : p.end - p.start);
    c.unit = p.unit != 0;
    c.character = p.unit && p.end - p.start > c.width;
    c.simple = c.width == 1 && !c.unit && p.ranges.empty();
    for (const auto& code : p.codes) {
      if (code.size() != c.width) continue;  // never: the loader keeps codes of the position's width only
      if (c.width == 1) c.single.set(static_cast<unsigned char>(code[0]));
      else if (c.width <= 8) c.packed.push_back(CompiledPosition::pack(code));
    }
    std::sort(c.packed.begin(), c.packed.end());
    out->push_back(std::move(c));
  }
  owned.push_back(std::move(out));
  return owned.back().get();
}

Validator::Tables::Tables(const Schema& schema) : valid_indicators(1000) {
  for (int n = 0; n < 1000; ++n) {
    const char tag[3] = {static_cast<char>('0' + n / 100), static_cast<char>('0' + n / 10 % 10),
                         static_cast<char>('0' + n % 10)};
    const FieldSpec* f = schema.field(std::string_view(tag, 3));
    spec[static_cast<std::size_t>(n)] = f;
    if (f == nullptr) continue;
    for (std::size_t i = 0; i < 2; ++i)
      if (f->ind[i].defined) valid_indicators[static_cast<std::size_t>(n)][i] = valid_list(f->ind[i].allowed);
  }
  if (const FixedFieldSpec* ldr = schema.leader()) {
    leader = compile(ldr, "All Materials");
    // The kinds of record the schema is about: the codes its leader/06 accepts.
    if (const auto* all = ldr->type("All Materials"))
      for (const auto& p : *all)
        if (p.start == 6 && p.end == 7)
          for (const auto& code : p.codes)
            if (code.size() == 1) record_types.set(static_cast<unsigned char>(code[0]));
  }
  auto fixed = [&](int n, Fixed& out) {
    const FieldSpec* f = spec[static_cast<std::size_t>(n)];
    if (f == nullptr || f->fixed == nullptr) return;
    out.all = compile(f->fixed, "All Materials");
    for (std::size_t m = 1; m < kMaterialCount; ++m) out.types[m] = compile(f->fixed, kMaterials[m]);
  };
  fixed(6, f006);
  fixed(8, f008);
  if (const FieldSpec* f = spec[7]; f != nullptr && f->fixed != nullptr) {
    f007_common = compile(f->fixed, "Common");
    // The category's positions are the type named by the label of its 007/00 code ("Map", "Text" ...).
    if (const auto* common = f->fixed->type("Common")) {
      for (const auto& p : *common) {
        if (p.start != 0 || p.end != 1) continue;
        for (unsigned b = 0; b < 256; ++b) {
          const char c = static_cast<char>(b);
          const std::string_view label = p.label_of(std::string_view(&c, 1));
          f007_label[b] = label;
          if (!label.empty()) f007_type[b] = compile(f->fixed, label);
        }
        break;
      }
    }
  }
}

namespace {

/// One subfield as the rules read it.
struct VSubfield {
  char code = 0;
  std::string_view value;
};

/// One field as the rules read it: views into a Record's strings or into the bytes of a record
/// that decodes as it is (RecordView), so that one set of rules serves both without a copy.
class VField {
 public:
  std::string_view tag() const { return tag_; }
  bool is_control() const { return control_; }
  /// Control field value (empty for data fields).
  std::string_view value() const { return value_; }
  char indicator1() const { return ind1_; }
  char indicator2() const { return ind2_; }
  std::span<const VSubfield> subfields() const { return {subs_, count_}; }
  /// First value of subfield `code`, or nullptr.
  const std::string_view* subfield(char code) const {
    for (const VSubfield& s : subfields())
      if (s.code == code) return &s.value;
    return nullptr;
  }

 private:
  friend struct FlatRecord;
  std::string_view tag_;
  std::string_view value_;
  const VSubfield* subs_ = nullptr;
  std::uint32_t first_ = 0;  ///< index of the first subfield in the record's list (subs_ is set last)
  std::uint32_t count_ = 0;
  char ind1_ = ' ';
  char ind2_ = ' ';
  bool control_ = true;
};

/// A record as the rules read it, in per-thread buffers that keep their capacity (no allocation
/// per record once warm).
struct FlatRecord {
  std::string_view leader_;
  char leader_buffer_[24] = {};
  std::vector<VField> fields_;
  std::unique_ptr<VSubfield[]> subs_;  ///< every field's subfields: `used_` of `room_`
  std::size_t used_ = 0;
  std::size_t room_ = 0;

  std::string_view leader() const { return leader_; }
  const std::vector<VField>& fields() const { return fields_; }

  void from(const Record& rec) {
    leader_ = rec.leader();
    clear();
    for (const Field& f : rec.fields()) {
      VField& v = fields_.emplace_back();
      v.tag_ = f.tag();
      v.control_ = f.is_control();
      if (v.control_) {
        v.value_ = f.value();
        continue;
      }
      v.ind1_ = f.indicator1();
      v.ind2_ = f.indicator2();
      v.first_ = static_cast<std::uint32_t>(used_);
      VSubfield* out = room_for(f.subfields().size());
      for (const Subfield& sf : f.subfields()) *out++ = {sf.code, sf.value};
      used_ = static_cast<std::size_t>(out - subs_.get());
      v.count_ = static_cast<std::uint32_t>(used_) - v.first_;
    }
    link();
  }

  /// What Record::from_view() would hold for a record it decodes as it is: the same bytes, and
  /// leader/09 'a' (decodes_as_is() asks for a record declared UTF-8 or for options.leader_utf8;
  /// transcode_marc8_as_is() writes 'a').
  void from(const RecordView& view) {
    const std::string_view leader = view.bytes().substr(0, 24);
    std::memcpy(leader_buffer_, leader.data(), leader.size());
    if (leader.size() == 24) leader_buffer_[9] = 'a';
    leader_ = std::string_view(leader_buffer_, leader.size());
    clear();
    const std::uint32_t indicators = view.indicator_count();
    const char* const record_end = view.bytes().data() + view.bytes().size();
    for (const FieldView& f : view.fields()) {
      VField& v = fields_.emplace_back();
      v.tag_ = f.tag;
      v.control_ = f.is_control();
      if (v.control_) {
        v.value_ = f.data;
        continue;
      }
      v.ind1_ = f.indicator(1);
      v.ind2_ = f.indicator(2);
      v.first_ = static_cast<std::uint32_t>(used_);
      split(f.subfield_area(indicators), record_end);
      v.count_ = static_cast<std::uint32_t>(used_) - v.first_;
    }
    link();
  }

 private:
  void clear() {
    fields_.clear();
    used_ = 0;
  }
  void link() {
    for (VField& v : fields_) v.subs_ = subs_.get() + v.first_;
  }
  /// Where `more` subfields after the `used_` ones go (the room is kept from record to record).
  VSubfield* room_for(std::size_t more) {
    if (room_ - used_ < more) [[unlikely]] grow(more);
    return subs_.get() + used_;
  }
  [[gnu::noinline]] void grow(std::size_t more) {
    const std::size_t room = std::max(room_ * 2, used_ + more + 256);
    auto bigger = std::make_unique<VSubfield[]>(room);
    std::copy(subs_.get(), subs_.get() + used_, bigger.get());
    subs_ = std::move(bigger);
    room_ = room;
  }

  /// The subfields of `area` as FieldView::SubfieldIterator reads them (bytes before the first
  /// delimiter are none; the byte after a delimiter is the code, even a delimiter; a delimiter
  /// that ends the area is a subfield with code 0), the delimiters found sixteen bytes at a time
  /// (the last block read whole when the record's bytes, which end at `end`, go on that far).
  void split(std::string_view area, const char* end) {
    const char* const b = area.data();
    const std::size_t n = area.size();
    // A subfield takes a delimiter and a code (the last one may lack its code).
    VSubfield* out = room_for(n / 2 + 1);
    std::size_t skip = 0;            // a delimiter before this was taken as a code
    std::size_t open = 0;            // where the value of the last subfield starts
    bool pending = false;            // the last subfield's value runs to the next delimiter
    auto at = [&](std::size_t d) {
      if (d < skip) return;
      if (pending) out[-1].value = std::string_view(b + open, d - open);
      if (d + 1 == n) {
        *out++ = {0, {}};
        pending = false;
        return;
      }
      *out++ = {b[d + 1], {}};
      open = skip = d + 2;
      pending = true;
    };
    std::size_t i = 0;
#if defined(__SSE2__)
    const __m128i delimiter = _mm_set1_epi8(kSubfieldDelimiter);
    auto block = [&](std::size_t from, unsigned keep) {
      auto mask = static_cast<unsigned>(_mm_movemask_epi8(
                      _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + from)), delimiter))) &
                  keep;
      while (mask != 0) {
        at(from + static_cast<std::size_t>(__builtin_ctz(mask)));
        mask &= mask - 1;
      }
    };
    for (; i + 16 <= n; i += 16) block(i, 0xFFFF);
    if (i < n && end - (b + i) >= 16) {
      block(i, (1u << (n - i)) - 1);
      i = n;
    }
#else
    (void)end;
#endif
    for (; i < n; ++i)
      if (b[i] == kSubfieldDelimiter) at(i);
    if (pending) out[-1].value = std::string_view(b + open, n - open);
    used_ = static_cast<std::size_t>(out - subs_.get());
  }
};

/// Per-thread scratch space of validate(), so that a record does not clear 4 KB of counters: validate() leaves the
/// counters all zero again (ScratchReset).
struct Scratch {
  std::array<std::uint16_t, 1000> seen{};      ///< occurrences so far by numeric tag
  std::array<std::uint16_t, 1000> seen880{};   ///< 880 occurrences by linked tag
  std::vector<std::int16_t> nums;              ///< tag number of each field of the record, -1 when not three digits
  std::vector<std::uint16_t> linked;           ///< the linked tags counted in seen880
  FlatRecord record;                           ///< the record being checked
};

thread_local Scratch tls_scratch;

struct ScratchReset {
  Scratch& s;
  ~ScratchReset() {
    for (const auto n : s.nums)
      if (n >= 0) s.seen[static_cast<std::size_t>(n)] = 0;
    for (const auto n : s.linked) s.seen880[n] = 0;
    s.linked.clear();
  }
};

}  // namespace

/// One validate() call: the record, the output and the per-record counters.
struct ValidationRun {
  const Validator& v;
  const Validator::Tables& t;
  const FlatRecord& rec;
  std::uint64_t number;
  std::uint64_t offset;
  Diagnostics& out;
  Scratch& s;
  const MessageDemand* demand;
  std::int32_t field = -1;  ///< index of the field being checked, -1 for record-level rules

  bool on(Rule r) const { return v.enabled_[static_cast<std::size_t>(r)] != 0; }

  /// Appends a finding (when its rule is enabled); `build` writes the message, " - see <url>" follows.
  template <class Build>
  void report(Rule r, std::string_view tag, char sub, std::string_view url, Build&& build) {
    const auto i = static_cast<std::size_t>(r);
    if (!v.enabled_[i]) return;
    Msg m;
    const bool wanted = demand == nullptr || demand->wanted(i);
    if (wanted) {
      build(m);
      if (!url.empty()) {
        m += " - see ";
        m += url;
      }
    }
    // Made in place (no temporaries to move and free): a finding costs little beside its message.
    Diagnostic& d = out.emplace_back();
    d.severity = v.severity_[i];
    d.code = Code::RuleViolation;
    d.record = number;
    d.offset = offset;
    detail::construct_into(d.tag, tag);
    d.subfield = sub;
    m.put_into(d.message);
    detail::construct_into(d.rule, kRules[i].id);
    d.field = field;
    // What the constructor keeps: UTF-8 text (a tag or value of a record kept as bytes may not be).
    if (!is_ascii3(d.tag) || (wanted && !is_valid_utf8(d.message))) {
      d = Diagnostic(d.severity, d.code, number, offset, std::move(d.tag), sub, std::move(d.message), std::move(d.rule));
      d.field = field;
    }
  }

  /// Validates the record `s` holds.
  static void check(const Validator& v, Scratch& s, std::uint64_t number, std::uint64_t offset, Diagnostics& out,
                    const MessageDemand* demand);
  void run();
  void check_control(const VField& f, const FieldSpec* spec, int num, unsigned occ);
  void check_positions(const CompiledType& positions, std::string_view value, std::string_view tag, unsigned occ,
                       Rule rule, std::string_view type);
  [[gnu::noinline]] void bad_position(const CompiledPosition& c, std::string_view value, std::size_t at,
                                      std::string_view tag, unsigned occ, Rule rule, std::string_view type);
  void check_data(const VField& f, const FieldSpec& spec, std::string_view tag, int num, unsigned occ, bool is880);
  /// A data field being checked against `spec` (`tag` is the linked tag of an 880).
  struct DataField {
    const VField& f;
    const FieldSpec& spec;
    std::string_view tag;
    int num;
    unsigned occ;
    bool is880;
  };
  static void put_shown(Msg& m, const DataField& d, char sub);
  [[gnu::noinline]] void bad_indicator(const DataField& d, int i, char value);
  [[gnu::noinline]] void bad_subfield(const DataField& d, char code);
  [[gnu::noinline]] void second_subfield(const DataField& d, char code);
  void check_content(const VField& f, std::string_view tag, int num, unsigned occ);
  void check_020(const VField& f, unsigned occ);
  void check_022(const VField& f, unsigned occ);
  void check_041(const VField& f, unsigned occ);
  void check_043(const VField& f, unsigned occ);
  void check_245(const VField& f, unsigned occ);
  void check_article(const VField& f, unsigned occ);
  void check_source(const VField& f, std::string_view tag, int num, unsigned occ);
  void check_005(const VField& f, unsigned occ);
  void check_008(const VField& f, unsigned occ);
  /// A record of another MARC 21 format (`format`, e.g. "an authority record") than the schema
  /// describes: one Info saying so, and only the rules that hold for every MARC 21 record.
  void run_structure_only(std::string_view format);
};

void ValidationRun::run() {
  static constexpr std::string_view url245 = "https://www.loc.gov/marc/bibliographic/bd245.html";
  const Schema& schema = *v.schema_;
  const auto& fields = rec.fields();

  if (t.leader != nullptr && rec.leader().size() >= 24)
    check_positions(*t.leader, rec.leader(), "LDR", 0, Rule::LeaderValue, {});

  // Tag numbers, and the record-level rules.
  s.nums.resize(fields.size());
  unsigned n1xx = 0;
  const VField* second1xx = nullptr;
  bool has245 = false;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const int n = tag_number(fields[i].tag());
    s.nums[i] = static_cast<std::int16_t>(n);
    if (n == 245) has245 = true;
    if (n >= 100 && n <= 199 && ++n1xx == 2) second1xx = &fields[i];
  }
  if (n1xx > 1) field = static_cast<std::int32_t>(second1xx - fields.data());
  if (n1xx > 1)
    report(Rule::Multiple1xx, second1xx->tag(), 0, {}, [&](Msg& m) {
      put_num(m, n1xx);
      m += " main entry fields (";
      bool first = true;
      for (std::size_t i = 0; i < fields.size(); ++i) {
        if (s.nums[i] < 100 || s.nums[i] > 199) continue;
        if (!first) m += ", ";
        m += fields[i].tag();
        first = false;
      }
      m += "); only one 1XX is allowed";
    });
  field = -1;
  if (!has245)
    report(Rule::Missing245, "245", 0, url245, [](Msg& m) { m += "the record has no 245 (title statement)"; });

  for (std::size_t i = 0; i < fields.size(); ++i) {
    const VField& f = fields[i];
    field = static_cast<std::int32_t>(i);
    const std::string_view tag = f.tag();
    const int num = s.nums[i];
    unsigned occ;
    const FieldSpec* spec;
    if (num >= 0) {
      occ = ++s.seen[static_cast<std::size_t>(num)];
      spec = t.spec[static_cast<std::size_t>(num)];
    } else {
      occ = 0;
      for (const auto& g : fields) {
        if (g.tag() == tag) ++occ;
        if (&g == &f) break;
      }
      spec = schema.field(tag);
    }

    if (num == 880 && !f.is_control()) {
      const std::string_view url = spec ? std::string_view(spec->url) : std::string_view{};
      const std::string_view* six = f.subfield('6');
      if (six == nullptr) {
        report(Rule::Linkage880, tag, '6', url, [&](Msg& m) {
          put_where(m, occ, tag);
          m += ": no $6 linking it to another field";
        });
        continue;
      }
      const std::string_view linked = std::string_view(*six).substr(0, 3);
      const int lnum = six->size() >= 6 ? tag_number(linked) : -1;
      const bool well_formed = lnum >= 0 && (*six)[3] == '-' && is_digit((*six)[4]) && is_digit((*six)[5]);
      const FieldSpec* lspec = well_formed ? t.spec[static_cast<std::size_t>(lnum)] : nullptr;
      const bool accepted_local = (v.options_.accept_local_tags && is_local_tag(linked)) ||
                                  v.options_.accepted_tags.count(linked) != 0;
      if (!well_formed || lnum == 880 || (lspec == nullptr && !accepted_local)) {
        report(Rule::Linkage880, tag, '6', url, [&](Msg& m) {
          put_where(m, occ, tag, '6');
          m += ": ";
          put_quote(m, *six);
          m += well_formed ? " links to a tag the schema does not define"
                           : " is not a linkage of the form tag-occurrence (e.g. \"245-01\")";
        });
        continue;
      }
      if (lspec == nullptr) continue;  // linked to an accepted local tag
      const unsigned locc = ++s.seen880[static_cast<std::size_t>(lnum)];
      if (locc == 1) s.linked.push_back(static_cast<std::uint16_t>(lnum));
      if (!lspec->repeatable && locc == 2)
        report(Rule::NonRepeatableField, tag, 0, lspec->url, [&](Msg& m) {
          put_where(m, occ, tag);
          m += " is the second 880 linked to ";
          m += linked;
          put_paren(m, lspec->label);
          m += ", which is not repeatable";
        });
      check_data(f, *lspec, linked, lnum, occ, true);
      check_content(f, linked, lnum, occ);
      continue;
    }

    if (spec == nullptr) {
      if (v.options_.accept_local_tags && is_local_tag(tag)) continue;
      if (v.options_.accepted_tags.count(tag) != 0) continue;
      report(Rule::UnknownTag, tag, 0, {}, [&](Msg& m) {
        put_where(m, occ, tag);
        m += ": tag ";
        put_quote(m, tag);
        m += " is not defined in ";
        m += schema.title().empty() ? std::string_view("the schema") : std::string_view(schema.title());
        if (is_local_tag(tag)) m += " (a local tag; local tags are not accepted)";
      });
      continue;
    }
    if (!spec->repeatable && occ == 2)
      report(Rule::NonRepeatableField, tag, 0, spec->url, [&](Msg& m) {
        put_where(m, occ, tag);
        m += ": field ";
        m += tag;
        put_paren(m, spec->label);
        m += " is not repeatable";
      });
    if (f.is_control()) {
      check_control(f, spec, num, occ);
    } else {
      check_data(f, *spec, tag, num, occ, false);
      check_content(f, tag, num, occ);
    }
  }
}

void ValidationRun::check_positions(const CompiledType& positions, std::string_view value, std::string_view tag,
                                    unsigned occ, Rule rule, std::string_view type) {
  if (!on(rule)) return;
  for (const auto& c : positions) {
    if (c.end > value.size()) continue;
    if (c.simple) {  // one character, no ranges: the common case
      if (!c.single[static_cast<unsigned char>(value[c.start])]) bad_position(c, value, c.start, tag, occ, rule, type);
      continue;
    }
    for (std::size_t at = c.start; at + c.width <= c.end; at += c.width) {
      const std::string_view code = value.substr(at, c.width);
      // Repeatable content may be padded with blanks (or fill characters) after the codes.
      if (c.unit && at > c.start && code.find_first_not_of(' ') == std::string_view::npos) continue;
      if (!c.accepts(code)) bad_position(c, value, at, tag, occ, rule, type);
    }
  }
}

void ValidationRun::bad_position(const CompiledPosition& c, std::string_view value, std::size_t at,
                                 std::string_view tag, unsigned occ, Rule rule, std::string_view type) {
  const std::string_view code = value.substr(at, c.width);
  const PositionSpec& p = *c.spec;
  report(rule, tag, 0, p.url, [&](Msg& m) {
    put_where(m, occ, tag);
    m += '/';
    m += p.name;
    if (c.character) {
      m += " (character ";
      put_num(m, at);
      m += ')';
    }
    m += ' ';
    m += p.label;
    if (!type.empty()) {
      m += " (";
      m += type;
      m += ')';
    }
    m += ": ";
    put_quote(m, code);
    m += p.is_historical(code) ? " is an obsolete code" : " is not a valid code";
  });
}

void ValidationRun::check_control(const VField& f, const FieldSpec* spec, int num, unsigned occ) {
  const std::string_view tag = f.tag();
  const std::string_view value = f.value();
  if (value.find('\x1F') != std::string::npos)
    report(Rule::ControlFieldDelimiter, tag, 0, spec->url, [&](Msg& m) {
      put_where(m, occ, tag);
      m += ": ";
      put_quote(m, value);
      m += " holds a subfield delimiter; control fields have no subfields";
    });
  auto length_rule = [&](std::size_t expected) {
    if (value.size() == expected) return true;
    report(Rule::FixedFieldLength, tag, 0, spec->url, [&](Msg& m) {
      put_where(m, occ, tag);
      m += " is ";
      put_num(m, value.size());
      m += " characters long, not ";
      put_num(m, expected);
      m += ": ";
      put_quote(m, value);
    });
    return false;
  };
  switch (num) {
    case 5:
      if (length_rule(16)) check_005(f, occ);
      return;
    case 8: {
      if (!length_rule(40)) return;
      if (spec->fixed) {
        if (t.f008.all) check_positions(*t.f008.all, value, tag, occ, Rule::FixedFieldValue, {});
        const auto& ldr = rec.leader();
        const std::size_t type = ldr.size() >= 8 ? material_type(ldr[6], ldr[7]) : 0;
        if (type != 0 && t.f008.types[type] != nullptr)
          check_positions(*t.f008.types[type], value, tag, occ, Rule::FixedFieldValue, kMaterials[type]);
      }
      check_008(f, occ);
      return;
    }
    case 6: {
      if (!length_rule(18) || spec->fixed == nullptr) return;
      if (t.f006.all) check_positions(*t.f006.all, value, tag, occ, Rule::FixedFieldValue, {});
      const std::size_t type = material_type_006(value[0]);
      if (type != 0 && t.f006.types[type] != nullptr)
        check_positions(*t.f006.types[type], value, tag, occ, Rule::FixedFieldValue, kMaterials[type]);
      return;
    }
    case 7: {
      if (spec->fixed == nullptr || value.empty() || t.f007_common == nullptr) return;
      check_positions(*t.f007_common, value, tag, occ, Rule::FixedFieldValue, {});
      const auto category = static_cast<unsigned char>(value[0]);
      if (const CompiledType* pos = t.f007_type[category])
        check_positions(*pos, value, tag, occ, Rule::FixedFieldValue, t.f007_label[category]);
      return;
    }
    default:
      return;
  }
}

void ValidationRun::check_data(const VField& f, const FieldSpec& spec, std::string_view tag, int num, unsigned occ,
                               bool is880) {
  const DataField d{f, spec, tag, num, occ, is880};
  if (on(Rule::InvalidIndicator)) {
    const char inds[2] = {f.indicator1(), f.indicator2()};
    for (int i = 0; i < 2; ++i) {
      const IndicatorSpec& ind = spec.ind[i];
      if (!ind.defined) continue;
      const auto c = static_cast<unsigned char>(inds[i]);
      if (c < 128 && ind.allowed[c]) continue;
      bad_indicator(d, i, inds[i]);
    }
  }
  const auto& subs = f.subfields();
  // Only the second occurrence of a non-repeatable code is reported: two bit sets suffice.
  std::uint64_t seen[2] = {0, 0}, twice[2] = {0, 0};
  for (const auto& sf : subs) {
    const auto c = static_cast<unsigned char>(sf.code);
    if (c >= 128 || !spec.subfields[c]) {
      if (!(is880 && c == '6')) bad_subfield(d, sf.code);
      continue;
    }
    if (spec.repeatable_subfields[c]) continue;
    const std::uint64_t bit = std::uint64_t{1} << (c & 63);
    std::uint64_t& once = seen[c >> 6];
    if (!(once & bit)) {
      once |= bit;
    } else if (!(twice[c >> 6] & bit)) {
      twice[c >> 6] |= bit;
      second_subfield(d, sf.code);
    }
  }
}

/// "first 245", "second 880 (linked to 245) $a".
void ValidationRun::put_shown(Msg& m, const DataField& d, char sub) {
  if (d.occ) {
    put_ordinal(m, d.occ);
    m += ' ';
  }
  if (d.is880) {
    m += "880 (linked to ";
    m += d.tag;
    m += ')';
  } else {
    m += d.tag;
  }
  if (sub != 0) {
    m += " $";
    m += sub;
  }
}

void ValidationRun::bad_indicator(const DataField& d, int i, char value) {
  const IndicatorSpec& ind = d.spec.ind[i];
  const auto c = static_cast<unsigned char>(value);
  const bool old = c < 128 && ind.historical[c];
  report(Rule::InvalidIndicator, d.is880 ? std::string_view("880") : d.tag, 0, d.spec.url, [&](Msg& m) {
    put_shown(m, d, 0);
    m += " indicator ";
    m += static_cast<char>('1' + i);
    put_paren(m, ind.label);
    m += ": ";
    put_char(m, value);
    m += old ? " is an obsolete value" : " is not valid";
    m += "; valid: ";
    if (d.num >= 0) m += t.valid_indicators[static_cast<std::size_t>(d.num)][static_cast<std::size_t>(i)];
    else m += valid_list(ind.allowed);
  });
}

void ValidationRun::bad_subfield(const DataField& d, char code) {
  const auto c = static_cast<unsigned char>(code);
  const bool old = c < 128 && d.spec.historical_subfields[c];
  report(Rule::UnknownSubfield, d.is880 ? std::string_view("880") : d.tag, code, d.spec.url, [&](Msg& m) {
    put_shown(m, d, code);
    m += ": subfield code ";
    put_quote(m, std::string_view(&code, 1));
    m += old ? " is obsolete in " : " is not defined for ";
    m += d.tag;
    put_paren(m, d.spec.label);
    if (old && !d.spec.subfield_labels[c].empty()) {
      m += ": ";
      m += d.spec.subfield_labels[c];
    }
  });
}

void ValidationRun::second_subfield(const DataField& d, char code) {
  report(Rule::NonRepeatableSubfield, d.is880 ? std::string_view("880") : d.tag, code, d.spec.url, [&](Msg& m) {
    put_shown(m, d, code);
    m += ": second $";
    m += code;
    put_paren(m, d.spec.subfield_labels[static_cast<unsigned char>(code)]);
    m += " but the subfield is not repeatable";
  });
}

void ValidationRun::check_content(const VField& f, std::string_view tag, int num, unsigned occ) {
  switch (num) {
    case 20: check_020(f, occ); break;
    case 22: check_022(f, occ); break;
    case 41: check_041(f, occ); break;
    case 43: check_043(f, occ); break;
    case 245: check_245(f, occ); break;
    case 600: case 610: case 611: case 630: case 647: case 648: case 650: case 651: case 655:
      check_source(f, tag, num, occ);
      break;
    default: break;
  }
}

void ValidationRun::check_020(const VField& f, unsigned occ) {
  static constexpr std::string_view url = "https://www.loc.gov/marc/bibliographic/bd020.html";
  const std::string_view tag = f.tag();
  for (const auto& sf : f.subfields()) {
    const std::string_view data = sf.value;
    if (sf.code == 'a') {
      const std::string isbn = isbn_digits(data);
      if (data.substr(0, std::min(data.size(), isbn.size())) != isbn)
        report(Rule::IsbnInvalidCharacters, tag, 'a', url, [&](Msg& m) {
          put_where(m, occ, tag, 'a');
          m += ": ";
          put_quote(m, data);
          m += " may have invalid characters (hyphens or text before the ISBN)";
        });
      if (data.find('(') != std::string_view::npos) {
        bool ok = false;
        for (std::size_t i = 0; i + 2 < data.size(); ++i)
          if ((is_digit(data[i]) || data[i] == 'X') && data[i + 1] == ' ' && data[i + 2] == '(') ok = true;
        if (!ok)
          report(Rule::IsbnQualifier, tag, 'a', url, [&](Msg& m) {
            put_where(m, occ, tag, 'a');
            m += ": ";
            put_quote(m, data);
            m += ": the qualifier must be preceded by a space after the ISBN";
          });
      }
      const bool ten = isbn.size() == 10 && digits(std::string_view(isbn).substr(0, 9)) &&
                       (is_digit(isbn[9]) || isbn[9] == 'X');
      const bool thirteen = isbn.size() == 13 && digits(isbn);
      if (!ten && !thirteen) {
        report(Rule::IsbnLength, tag, 'a', url, [&](Msg& m) {
          put_where(m, occ, tag, 'a');
          m += ": ";
          put_quote(m, data);
          m += " does not have 10 or 13 ISBN digits";
        });
      } else if (ten ? !isbn10_valid(isbn) : !isbn13_valid(isbn)) {
        report(Rule::IsbnCheckDigit, tag, 'a', url, [&](Msg& m) {
          put_where(m, occ, tag, 'a');
          m += ": ";
          put_quote(m, data);
          m += " has a wrong check digit (ISBN-";
          m += ten ? "10" : "13";
          m += ')';
        });
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
          report(Rule::IsbnCanceledValid, tag, 'z', url, [&](Msg& m) {
            put_where(m, occ, tag, 'z');
            m += ": ";
            put_quote(m, data);
            m += " is a valid ISBN although $z is for canceled/invalid ones";
          });
      }
    }
  }
}

void ValidationRun::check_022(const VField& f, unsigned occ) {
  static constexpr std::string_view url = "https://www.loc.gov/marc/bibliographic/bd022.html";
  const std::string_view tag = f.tag();
  for (const auto& sf : f.subfields()) {
    if (sf.code != 'a') continue;
    std::string_view d = sf.value;
    while (!d.empty() && d.back() == ' ') d.remove_suffix(1);
    const bool form = d.size() >= 9 && digits(d.substr(0, 4)) && d[4] == '-' && digits(d.substr(5, 3)) &&
                      (is_digit(d[8]) || d[8] == 'X') && (d.size() == 9 || d[9] == ' ');
    if (!form) {
      report(Rule::IssnFormat, tag, 'a', url, [&](Msg& m) {
        put_where(m, occ, tag, 'a');
        m += ": ";
        put_quote(m, sf.value);
        m += " is not an ISSN (NNNN-NNNC)";
      });
      continue;
    }
    int sum = 0;
    const char ds[7] = {d[0], d[1], d[2], d[3], d[5], d[6], d[7]};
    for (int i = 0; i < 7; ++i) sum += (ds[i] - '0') * (8 - i);
    const int check = (11 - sum % 11) % 11;
    const char expected = check == 10 ? 'X' : static_cast<char>('0' + check);
    if (expected != d[8])
      report(Rule::IssnCheckDigit, tag, 'a', url, [&](Msg& m) {
        put_where(m, occ, tag, 'a');
        m += ": ";
        put_quote(m, sf.value);
        m += " has a wrong check digit (expected ";
        m += expected;
        m += ')';
      });
  }
}

void ValidationRun::check_041(const VField& f, unsigned occ) {
  static constexpr std::string_view url = "https://www.loc.gov/marc/bibliographic/bd041.html";
  if (f.indicator2() == '7' || !on(Rule::LanguageCode)) return;
  const std::string_view tag = f.tag();
  const CodeLists& lists = *v.lists_;
  for (const auto& sf : f.subfields()) {
    if (sf.code == '6' || sf.code == '8' || sf.code == '2' || sf.code == '3') continue;
    const std::string_view d = sf.value;
    if (d.size() % 3 != 0) {
      report(Rule::LanguageCode, tag, sf.code, url, [&](Msg& m) {
        put_where(m, occ, tag, sf.code);
        m += ": ";
        put_quote(m, d);
        m += " is not made of three-letter language codes (length not a multiple of 3)";
      });
      continue;
    }
    for (std::size_t i = 0; i < d.size(); i += 3) {
      const std::string_view code = d.substr(i, 3);
      if (lists.languages.contains(code)) continue;
      report(Rule::LanguageCode, tag, sf.code, url, [&](Msg& m) {
        put_where(m, occ, tag, sf.code);
        m += ": ";
        put_quote(m, code);
        m += lists.obsolete_languages.contains(code) ? " is an obsolete language code"
                                                     : " is not in the MARC Code List for Languages";
      });
    }
  }
}

void ValidationRun::check_043(const VField& f, unsigned occ) {
  static constexpr std::string_view url = "https://www.loc.gov/marc/bibliographic/bd043.html";
  const std::string_view tag = f.tag();
  const CodeLists& lists = *v.lists_;
  for (const auto& sf : f.subfields()) {
    if (sf.code != 'a') continue;
    const std::string_view d = sf.value;
    if (d.size() != 7) {
      report(Rule::GeographicAreaCode, tag, 'a', url, [&](Msg& m) {
        put_where(m, occ, tag, 'a');
        m += ": ";
        put_quote(m, d);
        m += " is not 7 characters long (e.g. \"n-us---\")";
      });
    } else if (on(Rule::GeographicAreaCode) && !lists.geographic_areas.contains(d)) {
      report(Rule::GeographicAreaCode, tag, 'a', url, [&](Msg& m) {
        put_where(m, occ, tag, 'a');
        m += ": ";
        put_quote(m, d);
        m += lists.obsolete_geographic_areas.contains(d) ? " is an obsolete geographic area code"
                                                         : " is not in the MARC Code List for Geographic Areas";
      });
    }
  }
}

void ValidationRun::check_245(const VField& f, unsigned occ) {
  static constexpr std::string_view url = "https://www.loc.gov/marc/bibliographic/bd245.html";
  const std::string_view rtag = f.tag();  // 245 or 880
  const auto& subs = f.subfields();
  const VSubfield* a = nullptr;
  const VSubfield* six = nullptr;
  for (const auto& sf : subs) {
    if (sf.code == 'a' && a == nullptr) a = &sf;
    if (sf.code == '6' && six == nullptr) six = &sf;
  }
  if (a == nullptr)
    report(Rule::T245FirstSubfield, rtag, 'a', url, [&](Msg& m) {
      put_where(m, occ, rtag);
      m += ": 245 has no $a (title)";
    });
  if (subs.empty()) return;

  const std::string_view last = subs.back().value;
  if (last.empty() || (last.back() != '.' && last.back() != '?' && last.back() != '!'))
    report(Rule::T245EndingPunctuation, rtag, subs.back().code, url, [&](Msg& m) {
      put_where(m, occ, rtag);
      m += ": 245 must end with a period; it ends ";
      put_tail(m, last);
    });

  if (six != nullptr) {
    if (subs.size() < 2) {
      report(Rule::T245FirstSubfield, rtag, 0, url, [&](Msg& m) {
        put_where(m, occ, rtag);
        m += ": 245 with $6 has too few subfields";
      });
    } else {
      if (subs[0].code != '6')
        report(Rule::T245FirstSubfield, rtag, subs[0].code, url, [&](Msg& m) {
          put_where(m, occ, rtag);
          m += ": the first subfield must be $6, but it is $";
          m += subs[0].code;
        });
      if (subs[1].code != 'a')
        report(Rule::T245FirstSubfield, rtag, subs[1].code, url, [&](Msg& m) {
          put_where(m, occ, rtag);
          m += ": the first subfield after $6 must be $a, but it is $";
          m += subs[1].code;
        });
    }
  } else if (subs[0].code != 'a') {
    report(Rule::T245FirstSubfield, rtag, subs[0].code, url, [&](Msg& m) {
      put_where(m, occ, rtag);
      m += ": the first subfield must be $a, but it is $";
      m += subs[0].code;
    });
  }

  bool c_done = false;
  for (std::size_t i = 1; i < subs.size(); ++i) {
    const char code = subs[i].code;
    const std::string_view prev = subs[i - 1].value;
    const std::string_view val = subs[i].value;
    if (code == 'c' && !c_done) {
      c_done = true;
      if (!(prev.size() >= 2 && prev.back() == '/' && is_space(prev[prev.size() - 2])))
        report(Rule::T245CPrecededBySlash, rtag, 'c', url, [&](Msg& m) {
          put_where(m, occ, rtag, 'c');
          m += ": must be preceded by \" /\"; the preceding subfield ends ";
          put_tail(m, prev);
        });
    } else if (code == 'b') {
      if (!(prev.size() >= 2 && prev[prev.size() - 2] == ' ' &&
            (prev.back() == ':' || prev.back() == ';' || prev.back() == '=')))
        report(Rule::T245BPrecededByPunctuation, rtag, 'b', url, [&](Msg& m) {
          put_where(m, occ, rtag, 'b');
          m += ": must be preceded by \" :\", \" ;\" or \" =\"; the preceding subfield ends ";
          put_tail(m, prev);
        });
    } else if (code == 'h') {
      if (!((!prev.empty() && !is_space(prev.back())) || ends_with(prev, "-- ")))
        report(Rule::T245HSpacing, rtag, 'h', url, [&](Msg& m) {
          put_where(m, occ, rtag, 'h');
          m += ": must not be preceded by a space";
        });
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
        report(Rule::T245HBrackets, rtag, 'h', url, [&](Msg& m) {
          put_where(m, occ, rtag, 'h');
          m += ": ";
          put_quote(m, val);
          m += " must be in matching square brackets (e.g. \"[videorecording]\")";
        });
    } else if (code == 'n') {
      if (!((prev.size() >= 2 && prev.back() == '.' && !is_space(prev[prev.size() - 2])) || ends_with(prev, "-- .")))
        report(Rule::T245NPrecededByPeriod, rtag, 'n', url, [&](Msg& m) {
          put_where(m, occ, rtag, 'n');
          m += ": must be preceded by a period";
        });
    } else if (code == 'p') {
      const bool after_n = subs[i - 1].code == 'n';
      const char mark = after_n ? ',' : '.';
      const bool ok = (prev.size() >= 2 && prev.back() == mark && !is_space(prev[prev.size() - 2])) ||
                      ends_with(prev, after_n ? std::string_view("-- ,") : std::string_view("-- ."));
      if (!ok)
        report(Rule::T245PPunctuation, rtag, 'p', url, [&](Msg& m) {
          put_where(m, occ, rtag, 'p');
          m += after_n ? ": must be preceded by a comma when it follows $n"
                       : ": must be preceded by a period when it follows a subfield other than $n";
        });
    }
  }
  check_article(f, occ);
}

void ValidationRun::check_article(const VField& f, unsigned occ) {
  static constexpr std::string_view url = "https://www.loc.gov/marc/bibliographic/bd245.html";
  if (!on(Rule::T245NonfilingIndicator)) return;
  const std::string_view rtag = f.tag();
  const char ind = f.indicator2();
  if (!is_digit(ind)) return;  // reported by invalid-indicator
  const std::string_view* a = f.subfield('a');
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
  const bool article = !first_word.empty() && first_word.size() <= sizeof buffer &&
                       v.lists_->articles.contains(lower_word) && [&] {
                         for (const auto& e : v.lists_->article_exceptions) {
                           if (title.size() < e.size()) continue;
                           bool match = true;
                           for (std::size_t i = 0; i < e.size() && match; ++i) match = lower(title[i]) == e[i];
                           if (match) return false;
                         }
                         return true;
                       }();
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
      report(Rule::T245NonfilingIndicator, rtag, 0, url, [&](Msg& m) {
        put_where(m, occ, rtag);
        m += " indicator 2: the first word ";
        put_quote(m, first_word);
        m += " may be an article; check the nonfiling characters (";
        m += ind;
        m += ", expected ";
        put_num(m, nonfiling);
        m += ')';
      });
  } else if (ind != '0') {
    report(Rule::T245NonfilingIndicator, rtag, 0, url, [&](Msg& m) {
      put_where(m, occ, rtag);
      m += " indicator 2: the first word ";
      put_quote(m, first_word);
      m += " does not appear to be an article; check the nonfiling characters (";
      m += ind;
      m += ')';
    });
  }
}

void ValidationRun::check_source(const VField& f, std::string_view tag, int num, unsigned occ) {
  if (f.indicator2() != '7' || !on(Rule::SourceCode)) return;
  const std::string_view rtag = f.tag();
  const std::string_view* two = f.subfield('2');
  if (two == nullptr) {
    std::string url = "https://www.loc.gov/marc/bibliographic/bd";
    url += tag;
    url += ".html";
    report(Rule::SourceCode, rtag, '2', url, [&](Msg& m) {
      put_where(m, occ, rtag);
      m += ": second indicator 7 (source in $2) but there is no $2";
    });
    return;
  }
  std::string_view code = *two;
  while (!code.empty() && (code.back() == ' ' || code.back() == '.')) code.remove_suffix(1);
  const CodeLists& l = *v.lists_;
  const bool genre = num == 655;
  const CodeList& valid = genre ? l.genre_sources : l.subject_sources;
  const CodeList& obsolete = genre ? l.obsolete_genre_sources : l.obsolete_subject_sources;
  if (valid.contains(code)) return;
  report(Rule::SourceCode, rtag, '2',
         genre ? "https://www.loc.gov/standards/sourcelist/genre-form.html"
               : "https://www.loc.gov/standards/sourcelist/subject.html",
         [&](Msg& m) {
           put_where(m, occ, rtag, '2');
           m += ": ";
           put_quote(m, *two);
           m += obsolete.contains(code) ? " is an obsolete source code"
                : genre                 ? " is not in the Genre/Form Code and Term Source Codes"
                                        : " is not in the Subject Heading and Term Source Codes";
         });
}

void ValidationRun::check_005(const VField& f, unsigned occ) {
  const std::string_view d = f.value();  // 16 characters
  bool ok = digits(d.substr(0, 14)) && d[14] == '.' && is_digit(d[15]);
  if (ok) {
    const int year = number_of(d.substr(0, 4)), month = number_of(d.substr(4, 2)), day = number_of(d.substr(6, 2));
    const int hour = number_of(d.substr(8, 2)), minute = number_of(d.substr(10, 2)), second = number_of(d.substr(12, 2));
    ok = year >= 1900 && month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(year, month) && hour <= 23 &&
         minute <= 59 && second <= 60;
  }
  if (!ok)
    report(Rule::Format005, f.tag(), 0, "https://www.loc.gov/marc/bibliographic/bd005.html", [&](Msg& m) {
      put_where(m, occ, f.tag());
      m += ": ";
      put_quote(m, d);
      m += " is not a date and time of the form yyyymmddhhmmss.f";
    });
}

void ValidationRun::check_008(const VField& f, unsigned occ) {
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
      report(Rule::Date008, tag, 0, url, [&](Msg& m) {
        put_where(m, occ, tag);
        m += "/00-05 Date entered on file: ";
        put_quote(m, entered);
        m += " is not a date of the form yymmdd";
      });
    const std::string_view date1 = d.substr(7, 4);
    const char type = d[6];
    std::string_view why;
    if (type == 'b' && date1 == "    ") {
      // no dates given (B.C.)
    } else if (date1 == "||||") {
    } else if (!std::all_of(date1.begin(), date1.end(), [](char c) { return is_digit(c) || c == 'u'; })) {
      why = " holds characters other than digits and 'u'";
    } else if (digits(date1) && number_of(date1) > current_year() + 5) {
      why = " lies in the future";
    }
    if (!why.empty())
      report(Rule::Date008, tag, 0, url, [&](Msg& m) {
        put_where(m, occ, tag);
        m += "/07-10 Date 1: ";
        put_quote(m, date1);
        m += why;
      });
  }
  if (on(Rule::CountryCode)) {
    std::string_view place = d.substr(15, 3);
    while (!place.empty() && place.back() == ' ') place.remove_suffix(1);
    if (place != "|||" && !place.empty() && !l.countries.contains(place))
      report(Rule::CountryCode, tag, 0, url, [&](Msg& m) {
        put_where(m, occ, tag);
        m += "/15-17 Place of publication: ";
        put_quote(m, d.substr(15, 3));
        m += l.obsolete_countries.contains(place) ? " is an obsolete country code"
                                                  : " is not in the MARC Code List for Countries";
      });
  }
  if (on(Rule::LanguageCode)) {
    const std::string_view lang = d.substr(35, 3);
    if (lang != "   " && lang != "|||" && !l.languages.contains(lang))
      report(Rule::LanguageCode, tag, 0, url, [&](Msg& m) {
        put_where(m, occ, tag);
        m += "/35-37 Language: ";
        put_quote(m, lang);
        m += l.obsolete_languages.contains(lang) ? " is an obsolete language code"
                                                 : " is not in the MARC Code List for Languages";
      });
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
  auto tables = std::make_shared<Tables>(*schema_);
  tables->accept(options_.accepted_codes);
  tables_ = std::move(tables);
}

namespace {

/// What a leader/06 code says a record is, for the MARC 21 formats other than bibliographic
/// (https://www.loc.gov/marc/): empty for bibliographic codes and for codes of no format.
std::string_view other_format(char type) {
  switch (type) {
    case 'z': return "an authority record";
    case 'u': case 'v': case 'x': case 'y': return "a holdings record";
    case 'w': return "a classification record";
    case 'q': return "a community information record";
    default: return {};
  }
}

}  // namespace

void ValidationRun::run_structure_only(std::string_view format) {
  const std::string_view l = rec.leader();
  std::string msg = "record " + std::to_string(number) + " is " + std::string(format) + " (leader/06 '" +
                    std::string(1, l[6]) + "'), which ";
  msg += v.schema_->title().empty() ? std::string("the schema") : v.schema_->title();
  while (!msg.empty() && msg.back() == '.') msg.pop_back();
  msg += " does not describe: only the rules for every MARC 21 record were applied (control fields hold no subfield "
         "delimiter, 005 is a yyyymmddhhmmss.f timestamp, 880 $6 is a tag-occurrence linkage)";
  out.emplace_back(Severity::Info, Code::StructureOnly, number, offset, "LDR", 0, std::move(msg));

  unsigned n005 = 0, n880 = 0;
  for (const VField& f : rec.fields()) {
    const std::string_view tag = f.tag();
    if (f.is_control()) {
      const unsigned occ = tag == "005" ? ++n005 : 0;
      const std::string_view value = f.value();
      if (value.find('\x1F') != std::string::npos)
        report(Rule::ControlFieldDelimiter, tag, 0, {}, [&](Msg& m) {
          put_where(m, occ, tag);
          m += ": ";
          put_quote(m, value);
          m += " holds a subfield delimiter; control fields have no subfields";
        });
      if (tag != "005") continue;
      if (value.size() != 16) {
        report(Rule::FixedFieldLength, tag, 0, {}, [&](Msg& m) {
          put_where(m, occ, tag);
          m += " is ";
          put_num(m, value.size());
          m += " characters long, not 16: ";
          put_quote(m, value);
        });
        continue;
      }
      check_005(f, occ);
      continue;
    }
    if (tag != "880") continue;
    const unsigned occ = ++n880;
    const std::string_view* six = f.subfield('6');
    const bool well_formed = six != nullptr && six->size() >= 6 && tag_number(std::string_view(*six).substr(0, 3)) >= 0 &&
                             (*six)[3] == '-' && is_digit((*six)[4]) && is_digit((*six)[5]);
    if (!well_formed)
      report(Rule::Linkage880, tag, '6', {}, [&](Msg& m) {
        put_where(m, occ, tag);
        if (six == nullptr) {
          m += ": no $6 linking it to another field";
        } else {
          m += " $6: ";
          put_quote(m, *six);
          m += " is not a linkage of the form tag-occurrence (e.g. \"100-01\")";
        }
      });
  }
}

void Validator::validate(const Record& rec, std::uint64_t number, std::uint64_t offset, Diagnostics& out,
                         const MessageDemand* demand) const {
  Scratch& s = tls_scratch;
  s.record.from(rec);
  ValidationRun::check(*this, s, number, offset, out, demand);
}

void Validator::validate(const RecordView& view, std::uint64_t number, std::uint64_t offset, Diagnostics& out,
                         const MessageDemand* demand) const {
  Scratch& s = tls_scratch;
  s.record.from(view);
  ValidationRun::check(*this, s, number, offset, out, demand);
}

void ValidationRun::check(const Validator& v, Scratch& s, std::uint64_t number, std::uint64_t offset,
                          Diagnostics& out, const MessageDemand* demand) {
  ScratchReset reset{s};
  const FlatRecord& rec = s.record;
  ValidationRun run{v, *v.tables_, rec, number, offset, out, s, demand};
  // Authority, holdings ... records under a bibliographic schema: no "missing 245" for each.
  const char type = rec.leader().size() > 6 ? rec.leader()[6] : ' ';
  if (v.tables_->record_types.any() && !v.tables_->record_types[static_cast<unsigned char>(type)]) {
    if (const std::string_view format = other_format(type); !format.empty()) {
      run.run_structure_only(format);
      return;
    }
  }
  run.run();
}

void add_accepted_codes(ValidatorOptions& options, std::string_view spec) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    return v;
  };
  const std::size_t eq = spec.find('=');
  const std::string_view key = trim(spec.substr(0, eq));
  if (eq == std::string_view::npos || key.empty())
    throw std::invalid_argument("accepted codes are written POSITION=CODE,CODE (LDR/17=I,K,M), not \"" + std::string(spec) + "\"");
  auto& codes = options.accepted_codes[std::string(key)];
  std::string_view rest = spec.substr(eq + 1);
  for (;;) {
    const std::size_t comma = rest.find(',');
    // A code may be a blank ("008/23= ,o" accepts blank and o): only the list's own spaces go.
    std::string_view code = rest.substr(0, comma);
    if (code.find_first_not_of(' ') != std::string_view::npos) code = trim(code);
    if (code.empty()) throw std::invalid_argument("accepted codes for \"" + std::string(key) + "\": an empty code");
    codes.emplace_back(code);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
}

const std::vector<ValidatorProfile>& validator_profiles() {
  static const std::vector<ValidatorProfile> profiles = {
      {"marc21", "MARC 21 as the Library of Congress publishes it (local tags 09X, 59X, 69X, 9XX accepted)"},
      {"oclc", "MARC 21 with OCLC's additions: encoding levels I, J, K, M in leader/17 and fields 019, 029, 049"},
      {"lenient", "structure and coded values only: undefined tags and subfields are notes, punctuation not checked"},
  };
  return profiles;
}

ValidatorOptions validator_profile(std::string_view name) {
  ValidatorOptions o;
  if (name == "marc21") return o;
  if (name == "oclc") {
    // OCLC Bibliographic Formats and Standards: ELvl I (full level by OCLC members), J (deleted),
    // K (minimal level by members), M (added from a batch process); 019, 029, 049 are OCLC-defined.
    o.accepted_codes["LDR/17"] = {"I", "J", "K", "M"};
    o.accepted_tags = {"019", "029", "049"};
    return o;
  }
  if (name == "lenient") {
    o.severity_overrides["unknown-tag"] = Severity::Info;
    o.severity_overrides["unknown-subfield"] = Severity::Info;
    // ISBD punctuation in 245, which many catalogues no longer enter (RDA, ISBD punctuation omitted: leader/18 'c' or 'n').
    o.disabled_rules = {"245-ending-punctuation", "245-c-preceded-by-slash", "245-b-preceded-by-punctuation",
                        "245-h-spacing", "245-h-brackets", "245-n-preceded-by-period", "245-p-punctuation"};
    return o;
  }
  std::string known;
  for (const auto& p : validator_profiles()) known += (known.empty() ? "" : ", ") + std::string(p.name);
  throw std::invalid_argument("unknown validation profile \"" + std::string(name) + "\" (profiles: " + known + ")");
}

ValidatorOptions ValidatorSettings::options() const {
  ValidatorOptions o = validator_profile(profile);
  if (reject_local_tags) o.accept_local_tags = false;
  for (const auto& r : disabled_rules) o.disabled_rules.insert(r);
  for (const auto& [rule, level] : severities) {
    const auto severity = parse_severity(level);
    if (!severity)
      throw std::invalid_argument("severity of rule \"" + rule + "\": \"" + level +
                                  "\" is not a level (info, warning, error or fatal)");
    o.severity_overrides[rule] = *severity;
  }
  for (const auto& spec : accepted_codes) add_accepted_codes(o, spec);
  for (const auto& t : accepted_tags) o.accepted_tags.insert(t);
  return o;
}

const std::vector<std::string_view>& Validator::rule_ids() {
  static const std::vector<std::string_view> ids = [] {
    std::vector<std::string_view> v;
    for (const auto& r : kRules) v.push_back(r.id);
    return v;
  }();
  return ids;
}

MessageDemand::MessageDemand() : done_(std::make_unique<std::atomic<bool>[]>(std::size(kRules))) {}

void MessageDemand::done(std::string_view rule) {
  for (std::size_t i = 0; i < std::size(kRules); ++i)
    if (kRules[i].id == rule) done_[i].store(true, std::memory_order_relaxed);
}

std::string_view Validator::rule_description(std::string_view rule) {
  for (const auto& r : kRules)
    if (r.id == rule) return r.description;
  return {};
}

}  // namespace marcscope
