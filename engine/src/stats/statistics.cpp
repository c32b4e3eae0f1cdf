#include "marcscope/stats/statistics.h"

#include <cstdio>
#include <mutex>
#include <stdexcept>

#include "marcscope/iso2709/record_view.h"
#include "marcscope/read/record_reader.h"
#include "core/json_text.h"

namespace marcscope {

struct Statistics::Tags {
  std::array<std::unique_ptr<FieldStatistics>, 1000> numeric;
  std::map<std::string, FieldStatistics> other;

  FieldStatistics& at(const std::string& tag) {
    const int n = tag_number(tag);
    if (n < 0) return other[tag];
    auto& slot = numeric[static_cast<std::size_t>(n)];
    if (!slot) slot = std::make_unique<FieldStatistics>();
    return *slot;
  }
};

Statistics::Statistics() : tags_(std::make_unique<Tags>()) {}
Statistics::~Statistics() = default;
Statistics::Statistics(Statistics&&) noexcept = default;
Statistics& Statistics::operator=(Statistics&&) noexcept = default;

namespace {

template <class Map>
void bump(Map& map, const typename Map::key_type& key, std::uint64_t n = 1) {
  map[key] += n;
}

std::string positions(const std::string& value, std::size_t from, std::size_t count) {
  if (value.size() < from + count) return {};
  return value.substr(from, count);
}

}  // namespace

void Statistics::add(const Record& record, std::uint8_t status) {
  ++records_;
  if (status & RecordStatus::kRepaired) ++repaired_;
  if (status & RecordStatus::kUtf8) ++utf8_;
  if (status & RecordStatus::kMarc8) ++marc8_;
  const std::string& leader = record.leader();
  for (std::size_t i = 0; i < 24 && i < leader.size(); ++i) ++leader_[i][leader[i]];
  bump(record_types_, leader.substr(6, 2));

  // Records that hold a tag (or a tag's subfield code) count once however often it repeats:
  // remember what this record has counted already.
  std::vector<FieldStatistics*> seen_fields;
  std::vector<std::pair<FieldStatistics*, char>> seen_codes;
  for (const Field& f : record.fields()) {
    FieldStatistics& fs = tags_->at(f.tag());
    ++fs.count.occurrences;
    if (std::find(seen_fields.begin(), seen_fields.end(), &fs) == seen_fields.end()) {
      seen_fields.push_back(&fs);
      ++fs.count.records;
    }
    if (f.is_control()) {
      if (f.tag() == "008") {
        const std::string& v = f.value();
        if (const auto t = positions(v, 6, 1); !t.empty()) bump(date_types_, t);
        if (const auto y = positions(v, 7, 4); !y.empty()) bump(years_, y);
        if (const auto p = positions(v, 15, 3); !p.empty()) bump(places_, p);
        if (const auto l = positions(v, 35, 3); !l.empty()) bump(languages_, l);
      }
      continue;
    }
    ++fs.indicator1[f.indicator1()];
    ++fs.indicator2[f.indicator2()];
    for (const Subfield& sf : f.subfields()) {
      Count& c = fs.subfields[sf.code];
      ++c.occurrences;
      const std::pair<FieldStatistics*, char> key{&fs, sf.code};
      if (std::find(seen_codes.begin(), seen_codes.end(), key) == seen_codes.end()) {
        seen_codes.push_back(key);
        ++c.records;
      }
    }
  }
}

void Statistics::add(const Batch& batch) {
  for (const auto& r : batch.records) add(r.record, r.status);
  skipped_ += batch.skipped.size();
}

void Statistics::merge(const Statistics& o) {
  records_ += o.records_;
  skipped_ += o.skipped_;
  repaired_ += o.repaired_;
  utf8_ += o.utf8_;
  marc8_ += o.marc8_;
  for (std::size_t i = 0; i < 24; ++i)
    for (const auto& [c, n] : o.leader_[i]) leader_[i][c] += n;
  auto merge_map = [](auto& into, const auto& from) {
    for (const auto& [k, n] : from) into[k] += n;
  };
  merge_map(record_types_, o.record_types_);
  merge_map(date_types_, o.date_types_);
  merge_map(years_, o.years_);
  merge_map(places_, o.places_);
  merge_map(languages_, o.languages_);
  auto merge_field = [&](FieldStatistics& into, const FieldStatistics& from) {
    into.count.records += from.count.records;
    into.count.occurrences += from.count.occurrences;
    merge_map(into.indicator1, from.indicator1);
    merge_map(into.indicator2, from.indicator2);
    for (const auto& [code, c] : from.subfields) {
      into.subfields[code].records += c.records;
      into.subfields[code].occurrences += c.occurrences;
    }
  };
  for (std::size_t n = 0; n < 1000; ++n)
    if (o.tags_->numeric[n]) {
      auto& slot = tags_->numeric[n];
      if (!slot) slot = std::make_unique<FieldStatistics>();
      merge_field(*slot, *o.tags_->numeric[n]);
    }
  for (const auto& [tag, fs] : o.tags_->other) merge_field(tags_->other[tag], fs);
}

void Statistics::subtract(const Statistics& o) {
  // Checked first, so that a refusal changes nothing.
  bool fits = o.records_ <= records_ && o.skipped_ <= skipped_ && o.repaired_ <= repaired_ && o.utf8_ <= utf8_ &&
              o.marc8_ <= marc8_;
  auto map_fits = [&](const auto& from, const auto& in) {
    for (const auto& [k, n] : from) {
      const auto it = in.find(k);
      if (n != 0 && (it == in.end() || it->second < n)) fits = false;
    }
  };
  auto count_fits = [&](const Count& from, const Count* in) {
    if ((from.records || from.occurrences) && (!in || in->records < from.records || in->occurrences < from.occurrences))
      fits = false;
  };
  auto field_fits = [&](const FieldStatistics& from, const FieldStatistics* in) {
    static const FieldStatistics none;
    const FieldStatistics& into = in ? *in : none;
    count_fits(from.count, &into.count);
    map_fits(from.indicator1, into.indicator1);
    map_fits(from.indicator2, into.indicator2);
    for (const auto& [code, c] : from.subfields) {
      const auto it = into.subfields.find(code);
      count_fits(c, it == into.subfields.end() ? nullptr : &it->second);
    }
  };
  for (std::size_t i = 0; i < 24; ++i) map_fits(o.leader_[i], leader_[i]);
  map_fits(o.record_types_, record_types_);
  map_fits(o.date_types_, date_types_);
  map_fits(o.years_, years_);
  map_fits(o.places_, places_);
  map_fits(o.languages_, languages_);
  for (std::size_t n = 0; n < 1000; ++n)
    if (o.tags_->numeric[n]) field_fits(*o.tags_->numeric[n], tags_->numeric[n].get());
  for (const auto& [tag, fs] : o.tags_->other) {
    const auto it = tags_->other.find(tag);
    field_fits(fs, it == tags_->other.end() ? nullptr : &it->second);
  }
  if (!fits) throw std::logic_error("Statistics::subtract: the counts taken away were never added");

  records_ -= o.records_;
  skipped_ -= o.skipped_;
  repaired_ -= o.repaired_;
  utf8_ -= o.utf8_;
  marc8_ -= o.marc8_;
  auto take = [](auto& in, const auto& from) {
    for (const auto& [k, n] : from) {
      if (n == 0) continue;
      const auto it = in.find(k);
      if ((it->second -= n) == 0) in.erase(it);
    }
  };
  for (std::size_t i = 0; i < 24; ++i) take(leader_[i], o.leader_[i]);
  take(record_types_, o.record_types_);
  take(date_types_, o.date_types_);
  take(years_, o.years_);
  take(places_, o.places_);
  take(languages_, o.languages_);
  // Returns whether the field is left with nothing counted.
  auto take_field = [&](FieldStatistics& into, const FieldStatistics& from) {
    into.count.records -= from.count.records;
    into.count.occurrences -= from.count.occurrences;
    take(into.indicator1, from.indicator1);
    take(into.indicator2, from.indicator2);
    for (const auto& [code, c] : from.subfields) {
      if (!c.records && !c.occurrences) continue;
      const auto it = into.subfields.find(code);
      it->second.records -= c.records;
      it->second.occurrences -= c.occurrences;
      if (!it->second.records && !it->second.occurrences) into.subfields.erase(it);
    }
    return !into.count.records && !into.count.occurrences && into.subfields.empty() && into.indicator1.empty() &&
           into.indicator2.empty();
  };
  for (std::size_t n = 0; n < 1000; ++n)
    if (o.tags_->numeric[n] && tags_->numeric[n] && take_field(*tags_->numeric[n], *o.tags_->numeric[n]))
      tags_->numeric[n].reset();
  for (const auto& [tag, fs] : o.tags_->other) {
    const auto it = tags_->other.find(tag);
    if (it != tags_->other.end() && take_field(it->second, fs)) tags_->other.erase(it);
  }
}

std::map<std::string, FieldStatistics> Statistics::fields() const {
  std::map<std::string, FieldStatistics> out(tags_->other.begin(), tags_->other.end());
  for (std::size_t n = 0; n < 1000; ++n)
    if (tags_->numeric[n]) {
      char tag[4];
      std::snprintf(tag, sizeof tag, "%03zu", n);
      out[tag] = *tags_->numeric[n];
    }
  return out;
}

namespace {

using detail::json_quote;

std::string shown_char(char c) {
  if (c == ' ') return "#";  // MARC's own notation for a blank
  const auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u >= 0x7F) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02X", u);
    return buf;
  }
  return std::string(1, c);
}

std::string percent(std::uint64_t part, std::uint64_t whole) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f%%", whole ? 100.0 * double(part) / double(whole) : 0.0);
  return buf;
}

template <class Map>
std::vector<std::pair<typename Map::key_type, std::uint64_t>> by_count(const Map& m, std::size_t max) {
  std::vector<std::pair<typename Map::key_type, std::uint64_t>> v(m.begin(), m.end());
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (v.size() > max) v.resize(max);
  return v;
}

}  // namespace

std::string Statistics::to_text(const std::string& name) const {
  std::string s = name + ": " + std::to_string(records_) + " records (" + std::to_string(skipped_) + " skipped, " +
                  std::to_string(repaired_) + " repaired";
  if (utf8_ || marc8_) s += ", " + std::to_string(utf8_) + " UTF-8, " + std::to_string(marc8_) + " MARC-8";
  s += ")\n\n";
  char line[256];
  std::snprintf(line, sizeof line, "  %-8s %10s %8s %12s\n", "field", "records", "", "occurrences");
  s += line;
  for (const auto& [tag, fs] : fields()) {
    std::snprintf(line, sizeof line, "  %-8s %10llu %8s %12llu\n", tag.c_str(), (unsigned long long)fs.count.records,
                  percent(fs.count.records, records_).c_str(), (unsigned long long)fs.count.occurrences);
    s += line;
    for (const auto& [code, c] : fs.subfields) {
      const std::string label = tag + "$" + shown_char(code);
      std::snprintf(line, sizeof line, "    %-6s %10llu %8s %12llu\n", label.c_str(), (unsigned long long)c.records,
                    percent(c.records, records_).c_str(), (unsigned long long)c.occurrences);
      s += line;
    }
  }
  auto section = [&](const char* title, const std::map<std::string, std::uint64_t>& m) {
    if (m.empty()) return;
    s += std::string("\n  ") + title + ":";
    for (const auto& [k, n] : by_count(m, 12)) s += " " + (k.empty() ? std::string("(none)") : k) + " (" + std::to_string(n) + ")";
    s += "\n";
  };
  section("record types (leader/06-07)", record_types_);
  section("languages (008/35-37)", languages_);
  section("places (008/15-17)", places_);
  section("first dates (008/07-10)", years_);
  section("types of date (008/06)", date_types_);
  return s;
}

std::string Statistics::to_json(const std::string& name) const {
  auto counts = [](const auto& m, auto key_text) {
    std::string s = "{";
    bool first = true;
    for (const auto& [k, n] : m) {
      s += (first ? "" : ", ") + json_quote(key_text(k)) + ": " + std::to_string(n);
      first = false;
    }
    return s + "}";
  };
  auto str = [](const std::string& k) { return k; };
  auto chr = [](char c) { return std::string(1, c); };
  std::string s = "{\"file\": " + json_quote(name) + ", \"records\": " + std::to_string(records_) +
                  ", \"skipped\": " + std::to_string(skipped_) + ", \"repaired\": " + std::to_string(repaired_) +
                  ", \"utf8\": " + std::to_string(utf8_) + ", \"marc8\": " + std::to_string(marc8_) + ",\n \"fields\": {";
  bool first = true;
  for (const auto& [tag, fs] : fields()) {
    s += std::string(first ? "" : ",") + "\n  " + json_quote(tag) + ": {\"records\": " + std::to_string(fs.count.records) +
         ", \"occurrences\": " + std::to_string(fs.count.occurrences);
    if (!fs.indicator1.empty()) {
      s += ", \"indicator1\": " + counts(fs.indicator1, chr) + ", \"indicator2\": " + counts(fs.indicator2, chr);
      s += ", \"subfields\": {";
      bool f2 = true;
      for (const auto& [code, c] : fs.subfields) {
        s += std::string(f2 ? "" : ", ") + json_quote(std::string(1, code)) + ": {\"records\": " + std::to_string(c.records) +
             ", \"occurrences\": " + std::to_string(c.occurrences) + "}";
        f2 = false;
      }
      s += "}";
    }
    s += "}";
    first = false;
  }
  s += "},\n \"leader\": {";
  first = true;
  for (std::size_t i = 0; i < 24; ++i) {
    if (leader_[i].empty() || (i <= 4) || (i >= 12 && i <= 16)) continue;  // lengths and addresses say nothing
    char pos[8];
    std::snprintf(pos, sizeof pos, "%02zu", i);
    s += std::string(first ? "" : ", ") + json_quote(pos) + ": " + counts(leader_[i], chr);
    first = false;
  }
  s += "},\n \"record_types\": " + counts(record_types_, str) + ",\n \"languages\": " + counts(languages_, str) +
       ",\n \"places\": " + counts(places_, str) + ",\n \"years\": " + counts(years_, str) +
       ",\n \"date_types\": " + counts(date_types_, str) + "}\n";
  return s;
}

std::string Statistics::to_csv(const std::string& name, bool header) const {
  auto field = [](const std::string& v) {
    if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
    std::string q = "\"";
    for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  std::string s = header ? "file,field,subfield,records,occurrences\n" : "";
  for (const auto& [tag, fs] : fields()) {
    s += field(name) + "," + field(tag) + ",," + std::to_string(fs.count.records) + "," + std::to_string(fs.count.occurrences) + "\n";
    for (const auto& [code, c] : fs.subfields)
      s += field(name) + "," + field(tag) + "," + field(std::string(1, code)) + "," + std::to_string(c.records) + "," +
           std::to_string(c.occurrences) + "\n";
  }
  return s;
}

Statistics collect_statistics(RecordReader& reader, const JobControl& control, const BatchConsumer& also) {
  Statistics total;
  // Each batch's counts are made in the parallel stage and kept beside it until delivery.
  std::mutex mutex;
  std::map<std::uint64_t, Statistics> partial;
  reader.run(
      [&](Batch& batch) {
        Statistics part;
        {
          std::lock_guard lock(mutex);
          auto it = partial.find(batch.index);
          if (it != partial.end()) {
            part = std::move(it->second);
            partial.erase(it);
          }
        }
        total.merge(part);
        return also ? also(batch) : true;
      },
      [&](Batch& batch) {
        Statistics part;
        part.add(batch);
        std::lock_guard lock(mutex);
        partial.emplace(batch.index, std::move(part));
      },
      control);
  return total;
}

}  // namespace marcscope
