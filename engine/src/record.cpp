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

  for (const auto& fv : view.fields()) {
    std::string tag(fv.tag);
    for (char& c : tag)
      if (!is_printable(c)) c = '?';
    if (fv.is_control()) {
      std::string value;
      decode(fv.data, value, offset_of(fv.data), tag, 0);
      rec.fields_.emplace_back(std::move(tag), std::move(value));
      continue;
    }
    Field field(tag, printable_or(fv.indicator(1), '?'), printable_or(fv.indicator(2), '?'), {});
    const std::string_view area = fv.subfield_area(view.indicator_count());
    if (const std::size_t d = area.find(kSubfieldDelimiter); d != 0 && !area.empty()) {
      std::string leading;
      const std::string_view stray = area.substr(0, d);
      decode(stray, leading, offset_of(stray), tag, 0);
      field.set_leading_data(std::move(leading));
    }
    std::size_t delimiters = 0;
    for (const char* p = area.data(); (p = static_cast<const char*>(std::memchr(p, kSubfieldDelimiter,
                                                                                 static_cast<std::size_t>(area.data() + area.size() - p)))) != nullptr;
         ++p)
      ++delimiters;
    field.subfields().reserve(delimiters);
    for (const auto& sf : fv.subfields(view.indicator_count())) {
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
      std::string value;
      decode(sf.value, value, offset_of(sf.value), tag, sf.code);
      // Control characters as codes stay (writers escape them); bytes above ASCII cannot.
      field.add_subfield(static_cast<unsigned char>(sf.code) >= 0x80 ? '?' : sf.code, std::move(value));
    }
    rec.fields_.push_back(std::move(field));
  }
  return rec;
}

}  // namespace marcscope
