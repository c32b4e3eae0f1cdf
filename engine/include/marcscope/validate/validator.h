#pragma once
// Validation of records against a MARC 21 schema (Avram JSON) and content rules in the manner of MARC::Lint.
//
// A Schema is loaded once and pre-indexed into flat tables (a slot per numeric tag, bit sets per indicator and
// subfield code). A Validator is immutable after construction: validate() is const, keeps its per-record counters in
// per-thread scratch space and may be called from many threads at once (the pipeline's parallel stage). Every finding
// is a Diagnostic with Code::RuleViolation and a stable rule id in Diagnostic::rule (see Validator::rule_ids()).

#include <algorithm>
#include <array>
#include <bitset>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "marcscope/core/diagnostic.h"
#include "marcscope/model/record.h"
#include "marcscope/validate/message_demand.h"

namespace marcscope {

/// One position (or run of positions) of the leader or of 006/007/008.
struct PositionSpec {
  std::string name;             ///< "06", "18-21"
  std::string label;
  std::string url;
  std::uint8_t start = 0;       ///< first character (0-based)
  std::uint8_t end = 0;         ///< one past the last character
  std::uint8_t unit = 0;        ///< repeatable content: each `unit` characters is one code; 0 = the whole run
  std::vector<std::string> codes;           ///< valid codes (empty: not checked)
  std::vector<std::string> code_labels;     ///< label of each of `codes`
  std::vector<std::string> historical;      ///< obsolete codes
  std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges;  ///< numeric ranges such as "001-999"
  std::bitset<128> single_codes;            ///< one-character codes of `codes`, for a quick test
  std::vector<std::string> sorted_codes;    ///< `codes` sorted, for binary search

  /// True when `code` (exactly end-start or unit characters) is a valid code.
  bool accepts(std::string_view code) const;
  bool is_historical(std::string_view code) const;
  /// Label of a valid code, or empty.
  std::string_view label_of(std::string_view code) const;
};

/// The positions of one fixed field, by type ("All Materials", "Books", "Map" ...).
struct FixedFieldSpec {
  std::map<std::string, std::vector<PositionSpec>, std::less<>> types;
  const std::vector<PositionSpec>* type(std::string_view name) const;
};

struct IndicatorSpec {
  bool defined = false;         ///< false: undefined in the schema (must be blank)
  std::string label;
  std::bitset<128> allowed;     ///< ASCII indicator values allowed
  std::bitset<128> historical;  ///< obsolete values
};

struct FieldSpec {
  std::string tag;
  std::string label;
  std::string url;
  bool repeatable = true;
  bool control = false;         ///< 00X: no indicators or subfields
  IndicatorSpec ind[2];
  std::bitset<128> subfields;            ///< defined subfield codes (ASCII)
  std::bitset<128> repeatable_subfields; ///< of those, the repeatable ones
  std::bitset<128> historical_subfields; ///< obsolete subfield codes
  std::array<std::string, 128> subfield_labels;
  const FixedFieldSpec* fixed = nullptr; ///< leader, 006, 007, 008
};

/// A MARC format description loaded from an Avram schema (https://format.gbv.de/schema/avram).
class Schema {
 public:
  /// Reads an Avram JSON file. Throws std::runtime_error naming the file and the problem.
  static Schema load(const std::string& path);
  /// Parses Avram JSON text; `origin` names it in error messages.
  static Schema parse(std::string_view json, const std::string& origin = "schema");
  /// MARC 21 Bibliographic (resources/validation/marc21-bibliographic.avram.json), compiled into
  /// the library when it is built: loaded once from there, shared, needs no file at run time.
  static std::shared_ptr<const Schema> builtin();
  /// A compact binary form of the whole schema, and back (what builtin() is made from).
  std::string to_binary() const;
  static Schema from_binary(std::string_view bytes);

  Schema();
  Schema(Schema&&) noexcept;
  Schema& operator=(Schema&&) noexcept;
  Schema(const Schema&) = delete;
  Schema& operator=(const Schema&) = delete;
  ~Schema();

  /// The field definition for a tag ("245", "LDR"), or nullptr when the schema does not define it.
  const FieldSpec* field(std::string_view tag) const;
  const FixedFieldSpec* leader() const { return leader_.types.empty() ? nullptr : &leader_; }
  const std::string& title() const { return title_; }
  std::size_t field_count() const { return fields_.size(); }

 private:
  template <class Json>
  static Schema build(const Json& document, const std::string& origin);
  void add_field(std::unique_ptr<FieldSpec> field);

  std::string title_;
  std::vector<std::unique_ptr<FieldSpec>> fields_;
  std::array<std::int16_t, 1000> numeric_{};  ///< numeric tag -> index into fields_, -1 when undefined
  std::unordered_map<std::string, std::size_t> other_;  ///< non-numeric tags
  FixedFieldSpec leader_;
  std::vector<std::unique_ptr<FixedFieldSpec>> fixed_;
};

/// A set of codes read from a data file (one per line, '#' comments, trailing blanks ignored).
class CodeList {
 public:
  static CodeList load(const std::string& path);  ///< throws std::runtime_error
  static CodeList parse(std::string_view text);
  bool contains(std::string_view code) const {
    if (code.size() <= kShort) return std::binary_search(short_.begin(), short_.end(), pack(code));
    return long_.find(code) != long_.end();
  }
  std::size_t size() const { return short_.size() + long_.size(); }
  void insert(std::string code);

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  static constexpr std::size_t kShort = 7;
  /// A code of up to kShort bytes as one number: its bytes and its length.
  static std::uint64_t pack(std::string_view code) {
    std::uint64_t k = 0;
    for (char c : code) k = (k << 8) | static_cast<unsigned char>(c);
    return k | (static_cast<std::uint64_t>(code.size()) << 56);
  }
  std::vector<std::uint64_t> short_;  ///< codes of up to kShort bytes, packed, sorted (most codes: a binary search)
  std::unordered_set<std::string, Hash, std::equal_to<>> long_;  ///< longer codes
};

/// The code lists the content rules use (resources/validation/*.txt).
struct CodeLists {
  CodeList languages, obsolete_languages;
  CodeList geographic_areas, obsolete_geographic_areas;
  CodeList countries, obsolete_countries;
  CodeList subject_sources, obsolete_subject_sources;
  CodeList genre_sources, obsolete_genre_sources;
  CodeList articles;                  ///< lowercase first words
  std::vector<std::string> article_exceptions;  ///< lowercase title beginnings

  /// Reads the files of the README in `dir`. Throws std::runtime_error when one is missing.
  static CodeLists load(const std::string& dir);
  /// From the texts of those files: `text(name)` returns the contents of file `name`.
  static CodeLists parse(const std::function<std::string(const std::string& name)>& text);
  /// The bundled lists, compiled into the library (loaded once, shared).
  static std::shared_ptr<const CodeLists> builtin();
};

struct ValidatorOptions {
  /// Accept tags for local use (09X, 59X, 69X, 9XX) that the schema does not define.
  bool accept_local_tags = true;
  /// Tags accepted as defined locally beside the local-use ones ("049" for OCLC): not reported as
  /// unknown (their contents are not checked).
  std::set<std::string, std::less<>> accepted_tags;
  /// Rule ids not to report.
  std::set<std::string, std::less<>> disabled_rules;
  /// Rule id -> severity, instead of the default (default_severity(Code::RuleViolation), a warning).
  std::map<std::string, Severity, std::less<>> severity_overrides;
  /// Codes accepted at a fixed-field position beside the schema's: "LDR/17" -> {"I", "K", "M"}
  /// (OCLC's encoding levels), "008/23" -> {"o"}. The key names the leader, 006, 007 or 008 and
  /// the position's first character; each code is as wide as the position. For 006/007/008 the
  /// codes are accepted at that position for every material type (or 007 category) that defines
  /// one starting there. The constructor throws std::invalid_argument for a position the schema
  /// does not give a code list, or a code of the wrong width.
  std::map<std::string, std::vector<std::string>, std::less<>> accepted_codes;
};

/// Reads "LDR/17=I,K,M" (a position, '=', codes separated by commas) into options.accepted_codes,
/// added to what is there; the way the CLI (--accept-codes) and the app take it. Throws
/// std::invalid_argument for text of another form (the Validator checks the position and widths).
void add_accepted_codes(ValidatorOptions& options, std::string_view spec);

/// A named set of validator options a cataloguer picks instead of setting rules one by one; the
/// CLI (--profile), the desktop app and the Python module offer the same list.
struct ValidatorProfile {
  std::string_view name;         ///< "marc21", "oclc", "lenient"
  std::string_view description;  ///< one line for a menu or --help
};
/// Every profile, "marc21" (the default: the schema as published) first.
const std::vector<ValidatorProfile>& validator_profiles();
/// The options of profile `name`. Throws std::invalid_argument for an unknown name.
ValidatorOptions validator_profile(std::string_view name);

/// Validator settings as a user gives them, by name and text (the CLI's flags, the Python
/// module's keywords): a profile, then each change on top of it. The one place those words
/// become ValidatorOptions.
struct ValidatorSettings {
  std::string profile = "marc21";
  bool reject_local_tags = false;                              ///< report 09X/59X/69X/9XX as unknown
  std::vector<std::string> disabled_rules;                     ///< added to the profile's
  std::vector<std::pair<std::string, std::string>> severities; ///< rule id -> "info" ... "fatal"
  std::vector<std::string> accepted_codes;                     ///< "LDR/17=I,K,M", as add_accepted_codes()
  std::vector<std::string> accepted_tags;                      ///< added to the profile's
  /// The options these settings name. Throws std::invalid_argument, its message naming the
  /// setting at fault, for an unknown profile, a severity that is not a level or a malformed
  /// accepted-codes entry (the Validator's constructor checks rule ids and positions).
  ValidatorOptions options() const;
};

class Validator {
 public:
  /// Builtin schema and code lists. Throws std::invalid_argument for an unknown rule id in `options`,
  /// std::runtime_error when the bundled data cannot be read.
  explicit Validator(ValidatorOptions options = {});
  Validator(std::shared_ptr<const Schema> schema, ValidatorOptions options = {},
            std::shared_ptr<const CodeLists> lists = nullptr);

  /// Appends one diagnostic per finding to `out`. `number` is the 1-based record number, `offset` the
  /// record's byte offset (both copied into every diagnostic). `demand`, when given, says which
  /// rules' findings need no message (theirs is left empty; see MessageDemand). Thread-safe.
  void validate(const Record& rec, std::uint64_t number, std::uint64_t offset, Diagnostics& out,
                const MessageDemand* demand = nullptr) const;
  /// The same findings, in the same order, as validate(Record::from_view(view, options)) for a
  /// view that decodes_as_is(view, options) accepts, or the UTF-8 form transcode_marc8_as_is()
  /// made of an ISO 2709 record: the rules read the view's bytes, and no model is built (what
  /// validate_batch() does with a record delivered `as_is`, ReadOptions::skip_as_is). For any
  /// other view the findings are unspecified (but it does not crash).
  void validate(const RecordView& view, std::uint64_t number, std::uint64_t offset, Diagnostics& out,
                const MessageDemand* demand = nullptr) const;

  /// Every rule id, in a stable order.
  static const std::vector<std::string_view>& rule_ids();
  /// A one-line description of a rule, or empty for an unknown id.
  static std::string_view rule_description(std::string_view rule);

  const Schema& schema() const { return *schema_; }
  const ValidatorOptions& options() const { return options_; }

 private:
  friend struct ValidationRun;
  struct Tables;  ///< the schema indexed for validate(): field specs by tag number, compiled fixed-field positions
  std::shared_ptr<const Schema> schema_;
  std::shared_ptr<const CodeLists> lists_;
  ValidatorOptions options_;
  std::vector<std::uint8_t> enabled_;     ///< per rule index
  std::vector<Severity> severity_;        ///< per rule index
  std::shared_ptr<const Tables> tables_;  ///< built from schema_ by the constructor; shared by copies
};

}  // namespace marcscope
