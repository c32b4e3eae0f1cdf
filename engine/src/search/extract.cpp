#include "marcscope/search/extract.h"

#include <stdexcept>

#include "marcscope/search/query.h"

namespace marcscope {
namespace {

bool tag_fits(std::string_view pattern, std::string_view tag) {
  if (pattern == "*") return true;
  if (pattern.size() != 3 || tag.size() != 3) return pattern == tag;
  for (std::size_t i = 0; i < 3; ++i)
    if (pattern[i] != 'X' && pattern[i] != tag[i]) return false;
  return true;
}

std::string cut(std::string_view value, const std::optional<std::pair<unsigned, unsigned>>& p) {
  if (!p) return std::string(value);
  if (p->first >= value.size()) return {};
  return std::string(value.substr(p->first, p->second - p->first + 1));
}

}  // namespace

FieldPath FieldPath::parse(const std::string& spec) {
  // The spec is a search condition's left side: read it as one.
  if (spec.find_first_of(" \t=~^") != std::string::npos || spec.empty() || spec.front() == '!')
    throw std::invalid_argument("'" + spec + "' is not a field spec (245$a, 1XX$a, 650, LDR/06, 008/07-10)");
  const Condition c = Condition::parse(spec + " present");
  const bool tag_ok = c.tag == "*" || c.tag == "LDR" || c.tag.size() == 3;
  if (!tag_ok) throw std::invalid_argument("'" + c.tag + "' is not a tag: give three characters (1XX matches 100-199), LDR or *");
  if (c.positions && c.positions->first > c.positions->second)
    throw std::invalid_argument("positions in '" + spec + "' run backwards");
  if (c.positions && c.subfield) throw std::invalid_argument("'" + spec + "' names both a subfield and positions");
  if (c.tag == "LDR" && c.subfield) throw std::invalid_argument("the leader has no subfields");
  FieldPath p;
  p.spec_ = spec;
  p.tag_ = c.tag;
  p.subfield_ = c.subfield;
  p.positions_ = c.positions;
  return p;
}

std::string FieldPath::value(const Record& record) const {
  if (tag_ == "LDR") return cut(record.leader(), positions_);
  for (const Field& f : record.fields()) {
    if (!tag_fits(tag_, f.tag())) continue;
    if (f.is_control()) {
      if (subfield_) continue;
      return cut(f.value(), positions_);
    }
    if (positions_) continue;  // positions name characters of control fields and the leader
    if (subfield_) {
      if (const std::string* v = f.subfield(subfield_)) return *v;
      continue;
    }
    std::string joined;
    for (const Subfield& sf : f.subfields()) {
      if (!joined.empty()) joined += ' ';
      joined += sf.value;
    }
    return joined;
  }
  return {};
}

}  // namespace marcscope
