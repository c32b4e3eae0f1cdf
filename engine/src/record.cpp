#include "marcscope/record.h"

#include <algorithm>
#include <cstring>

#include "marcscope/record_view.h"

namespace marcscope {
namespace {

inline bool is_printable(char c) { return c >= 0x20 && c < 0x7F; }
inline char printable_or(char c, char fallback) { return is_printable(c) ? c : fallback; }

}  // namespace

const std::string* Field::subfield(char code) const {
  for (const auto& s : subfields_)
    if (s.code == code) return &s.value;
  return nullptr;
}

std::vector<std::string> Field::subfield_values(char code) const {
  std::vector<std::string> values;
  for (const auto& s : subfields_)
    if (s.code == code) values.push_back(s.value);
  return values;
}

Record::Record() = default;

const std::string& Record::default_leader() {
  static const std::string kDefault = "00000nam a2200000 i 4500";
  return kDefault;
}

void Record::set_leader(std::string_view leader) {
  leader_.assign(leader.substr(0, 24));
  if (leader_.size() < 24) leader_.append(24 - leader_.size(), ' ');
}

std::size_t Record::remove_fields(std::string_view tag) {
  const auto before = fields_.size();
  std::erase_if(fields_, [&](const Field& f) { return f.tag() == tag; });
  return before - fields_.size();
}

const Field* Record::first(std::string_view tag) const {
  for (const auto& f : fields_)
    if (f.tag() == tag) return &f;
  return nullptr;
}

std::vector<const Field*> Record::fields_with_tag(std::string_view tag) const {
  std::vector<const Field*> out;
  for (const auto& f : fields_)
    if (f.tag() == tag) out.push_back(&f);
  return out;
}

Record Record::from_view(const RecordView& view, const DecodeOptions& options, Diagnostics& diags) {
  Record rec;
  const char* base = view.bytes().data();
  EncodingEvidence evidence;
  bool examined = false;
  const Encoding enc = choose_encoding(view, options, diags, &evidence, &examined);
  // Values of a record already checked as valid UTF-8 are copied without checking each again.
  const bool trusted = enc == Encoding::Utf8 && examined && evidence.valid_utf8;
  // A value is only as valid as the record when the byte before it (a subfield code, an
  // indicator) is ASCII: otherwise that byte may have completed a sequence the value starts.
  auto decode = [&](std::string_view raw, std::string& out, std::uint64_t at, const std::string& tag, char code) {
    const bool after_ascii = raw.data() == base || static_cast<unsigned char>(raw.data()[-1]) < 0x80;
    if (trusted && after_ascii) out.assign(raw);
    else if (enc == Encoding::Marc8 && is_marc8_passthrough(raw)) out.assign(raw);
    else decode_value(raw, enc, options, out, diags, view.number(), at, tag, code);
  };
  rec.set_leader(view.leader().bytes());
  rec.leader_[9] = 'a';
  // Stage 2 read non-digit indicator/subfield-code counts as "22" (and said so): keep it that way.
  for (std::size_t i : {std::size_t(10), std::size_t(11)})
    if (rec.leader_[i] < '0' || rec.leader_[i] > '9') rec.leader_[i] = '2';
  // The model is text: leader, tags and indicators that are not printable ASCII cannot be kept
  // as they are. Stage 2 has reported each; here they become a fixed character.
  for (std::size_t i = 0; i < rec.leader_.size(); ++i) {
    if (!is_printable(rec.leader_[i])) {
      const char standard = i >= 20 ? "4500"[i - 20] : ' ';
      diags.push_back({Severity::Warning, Code::LeaderUnusualValue, view.number(), view.offset() + i, {}, 0,
                       "leader/" + std::to_string(i) + " holds a byte that is not a character; written as '" +
                           std::string(1, standard) + "'"});
      rec.leader_[i] = standard;
    }
  }
  rec.fields_.reserve(view.fields().size());
  auto offset_of = [&](std::string_view part) { return view.offset() + static_cast<std::uint64_t>(part.data() - base); };

  // Subfields are collected here first so that each field's vector is allocated once, at its
  // final size; the scratch vector keeps its capacity, so this allocates nothing per record.
  thread_local std::vector<SubfieldView> scratch;
  for (const auto& fv : view.fields()) {
    // Built in place: no temporary Field to move, no tag string to copy twice.
    Field& field = rec.fields_.emplace_back();
    field.tag_.assign(fv.tag);
    for (char& c : field.tag_)
      if (!is_printable(c)) c = '?';
    const std::string& tag = field.tag_;
    if (fv.is_control()) {
      decode(fv.data, field.value_, offset_of(fv.data), tag, 0);
      continue;
    }
    field.control_ = false;
    field.ind1_ = printable_or(fv.indicator(1), '?');
    field.ind2_ = printable_or(fv.indicator(2), '?');
    const std::string_view area = fv.subfield_area(view.indicator_count());
    if (const std::size_t d = area.find(kSubfieldDelimiter); d != 0 && !area.empty()) {
      const std::string_view stray = area.substr(0, d);
      decode(stray, field.leading_, offset_of(stray), tag, 0);
    }
    scratch.clear();
    for (const auto& sf : fv.subfields(view.indicator_count())) scratch.push_back(sf);
    field.subfields_.reserve(scratch.size());
    for (const auto& sf : scratch) {
      if (const auto c = static_cast<unsigned char>(sf.code); (c != 0 || !sf.value.empty()) && (c <= 0x20 || c >= 0x7F)) {
        diags.push_back({Severity::Warning, Code::SubfieldCodeInvalid, view.number(), offset_of(sf.value) - 1, tag, 0,
                         "field " + tag + " has a subfield code that is not a printable character (byte 0x" +
                             std::string(1, "0123456789ABCDEF"[c >> 4]) + std::string(1, "0123456789ABCDEF"[c & 15]) + ")"});
      }
      if (sf.code == 0 && sf.value.empty()) {
        // A delimiter with nothing after it carries no data; say so instead of inventing a code.
        diags.push_back({Severity::Warning, Code::SubfieldCodeMissing, view.number(), offset_of(sf.value) - 1, tag, 0,
                         "field " + tag + " ends with a subfield delimiter and no subfield code; dropped"});
        continue;
      }
      // Control characters as codes stay (writers escape them); bytes above ASCII cannot.
      Subfield& out = field.subfields_.emplace_back();
      out.code = static_cast<unsigned char>(sf.code) >= 0x80 ? '?' : sf.code;
      decode(sf.value, out.value, offset_of(sf.value), tag, sf.code);
    }
  }
  return rec;
}

}  // namespace marcscope
