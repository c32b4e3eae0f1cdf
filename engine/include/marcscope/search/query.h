#pragma once
// Finding records: conditions on field and subfield values (contains, equals, starts with, a
// regular expression; any case or exact), on a tag's presence or absence, and on leader or
// control-field positions, combined with "all" or "any". A Matcher is compiled once and is
// const and thread-safe, so searches run in the pipeline's parallel stage.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "marcscope/core/control.h"
#include "marcscope/model/record.h"

namespace marcscope {

class RecordReader;
class RecordFile;
class RecordView;

enum class MatchKind : std::uint8_t {
  Contains,
  Equals,
  StartsWith,
  Regex,    ///< PCRE2 syntax, UTF-8 and Unicode properties; matches anywhere unless anchored
  Present,  ///< the tag (and subfield, when given) occurs
  Absent,   ///< it does not
};

struct Condition {
  /// "245"; "6XX" (X: any digit); "*" any field; "LDR" the leader.
  std::string tag = "*";
  /// A subfield code, or 0 for any subfield (a data field) or the whole value (control field, leader).
  char subfield = 0;
  /// Character positions of the leader or a control field, first and last (0-based, inclusive):
  /// LDR/06 is {6, 6}, 008/35-37 is {35, 37}.
  std::optional<std::pair<unsigned, unsigned>> positions;
  MatchKind kind = MatchKind::Contains;
  std::string text;              ///< what to look for (not used by Present and Absent)
  bool case_sensitive = false;
  bool negate = false;           ///< the record matches when the condition does not hold

  /// Reads a condition from the notation the CLI and Python use: a field spec ("245$a", "6XX",
  /// "LDR/06", "008/35-37", "*") then an operator and the text: "=" equals, "~" contains,
  /// "^" starts with, "/.../" a regular expression, or the words "present"/"absent", with "!"
  /// in front to negate. Examples: `245$a~war`, `LDR/06=a`, `020 absent`, `650$a/^Hist.*y$/`.
  /// Throws std::invalid_argument naming what is wrong.
  static Condition parse(const std::string& text);
};

struct Query {
  std::vector<Condition> conditions;
  bool any = false;  ///< false: every condition must hold; true: one is enough
};

class Matcher {
 public:
  /// Compiles `query` (regular expressions included). Throws std::invalid_argument for a bad
  /// tag pattern, position or regular expression, with the reason.
  explicit Matcher(Query query);
  ~Matcher();
  Matcher(Matcher&&) noexcept;
  Matcher& operator=(Matcher&&) noexcept;

  bool matches(const Record& record) const;
  /// Whether the record `view` decodes to matches, for a view that decodes_as_is() accepts (its
  /// values are its bytes, leader/09 is 'a'): the same answer as matches() on the decoded record,
  /// without decoding it. Any other view gives no meaningful answer.
  bool matches_as_is(const RecordView& view) const;
  const Query& query() const { return query_; }

 private:
  struct Compiled;
  Query query_;
  std::unique_ptr<const Compiled> compiled_;
};

/// Called from the delivering thread with the hits found since the last call, in record order.
using HitsCallback = std::function<void(const std::vector<std::uint64_t>& new_hits)>;

/// Reads all of `reader` (records decoded) and returns the numbers of the records that match,
/// in order; matching runs in the parallel stage.
std::vector<std::uint64_t> search(RecordReader& reader, const Matcher& matcher, const JobControl& control = {},
                                  const HitsCallback& on_hits = {});
/// The same over the records of an indexed file (those indexed when it starts).
std::vector<std::uint64_t> search(const RecordFile& file, const Matcher& matcher, const JobControl& control = {},
                                  const HitsCallback& on_hits = {});

}  // namespace marcscope
