#pragma once
// One value of a record named by a field spec, in the notation of search conditions: what a
// table column shows. "245$a" (first $a of the first 245 that has one), "1XX$a", "650" (the
// first 650's subfields joined by blanks), "001", "008/07-10" and "LDR/06-07" (character
// positions of a control field or the leader).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "marcscope/model/record.h"

namespace marcscope {

class FieldPath {
 public:
  /// Reads a spec: a tag pattern ("245", "6XX", "LDR", "*"), then "$x" for a subfield or
  /// "/06" or "/07-10" for positions. Throws std::invalid_argument naming what is wrong.
  static FieldPath parse(const std::string& spec);

  /// The value in `record`, or empty when the record has none. Positions past the end of a
  /// value give what is there (or nothing).
  std::string value(const Record& record) const;

  const std::string& spec() const { return spec_; }
  const std::string& tag() const { return tag_; }
  char subfield() const { return subfield_; }
  const std::optional<std::pair<unsigned, unsigned>>& positions() const { return positions_; }

 private:
  std::string spec_, tag_;
  char subfield_ = 0;
  std::optional<std::pair<unsigned, unsigned>> positions_;
};

}  // namespace marcscope
