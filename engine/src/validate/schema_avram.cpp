// Loading an Avram schema (https://format.gbv.de/schema/avram) and the code lists of resources/validation into
// flat lookup tables for the validator.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "marcscope/validate/validator.h"

namespace marcscope {

namespace {

using json = nlohmann::json;

std::string read_text_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(std::string("cannot open ") + what + " '" + path + "'");
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) text.append(buffer, static_cast<std::size_t>(in.gcount()));
  if (in.bad()) throw std::runtime_error(std::string("cannot read ") + what + " '" + path + "'");
  return text;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

std::uint32_t to_number(std::string_view s) {
  std::uint32_t n = 0;
  for (char c : s) n = n * 10 + static_cast<std::uint32_t>(c - '0');
  return n;
}

template <class J>
std::string get_string(const J& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  return it->template get<std::string>();
}

/// "06" -> [6,7), "18-21" -> [18,22).
bool parse_position_name(std::string_view name, int& start, int& end) {
  auto dash = name.find('-');
  std::string_view a = name.substr(0, dash);
  std::string_view b = dash == std::string_view::npos ? a : name.substr(dash + 1);
  if (!all_digits(a) || !all_digits(b)) return false;
  start = static_cast<int>(to_number(a));
  end = static_cast<int>(to_number(b)) + 1;
  return end > start;
}

template <class J>
void add_code(PositionSpec& p, std::string_view code, const J& def, std::size_t width, bool historical) {
  if (code.size() == width) {
    if (historical) {
      p.historical.emplace_back(code);
    } else {
      p.codes.emplace_back(code);
      p.code_labels.push_back(def.is_object() ? get_string(def, "label") : std::string());
    }
    return;
  }
  // A numeric range such as "001-999" for a three-character position.
  auto dash = code.find('-');
  if (!historical && dash == width && code.size() == 2 * width + 1) {
    std::string_view a = code.substr(0, width);
    std::string_view b = code.substr(width + 1);
    if (all_digits(a) && all_digits(b)) p.ranges.emplace_back(to_number(a), to_number(b));
  }
  // Anything else (free text used as a key) cannot be a code of this width: ignored.
}

template <class J>
std::vector<PositionSpec> parse_positions(const J& positions, const std::string& where) {
  std::vector<PositionSpec> out;
  if (!positions.is_object()) throw std::runtime_error(where + ": \"positions\" is not an object");
  for (const auto& [name, pj] : positions.items()) {
    PositionSpec p;
    p.name = name;
    int start = 0, end = 0;
    if (pj.contains("start") && pj.contains("end")) {
      start = pj.at("start").template get<int>();
      end = pj.at("end").template get<int>();
    } else if (!parse_position_name(name, start, end)) {
      throw std::runtime_error(where + ": position \"" + std::string(name) +
                               "\" has no start/end and is not like \"18-21\"");
    }
    if (start < 0 || end <= start || end > 99)
      throw std::runtime_error(where + ": position \"" + std::string(name) + "\" has an invalid range");
    p.start = static_cast<std::uint8_t>(start);
    p.end = static_cast<std::uint8_t>(end);
    p.label = get_string(pj, "label");
    p.url = get_string(pj, "url");
    if (pj.value("repeatableContent", false)) {
      int unit = pj.value("unitLength", 1);
      if (unit <= 0 || unit > end - start) unit = 1;
      p.unit = static_cast<std::uint8_t>(unit);
    }
    const std::size_t width = p.unit ? p.unit : static_cast<std::size_t>(end - start);
    if (auto it = pj.find("codes"); it != pj.end() && it->is_object())
      for (const auto& [code, def] : it->items()) add_code(p, code, def, width, false);
    if (auto it = pj.find("historical-codes"); it != pj.end() && it->is_object())
      for (const auto& [code, def] : it->items()) add_code(p, code, def, width, true);
    for (const auto& c : p.codes)
      if (c.size() == 1 && static_cast<unsigned char>(c[0]) < 128) p.single_codes.set(static_cast<unsigned char>(c[0]));
    p.sorted_codes = p.codes;
    std::sort(p.sorted_codes.begin(), p.sorted_codes.end());
    out.push_back(std::move(p));
  }
  return out;
}

template <class J>
void parse_fixed(const J& fj, FixedFieldSpec& spec, const std::string& where) {
  if (auto it = fj.find("positions"); it != fj.end() && !it->is_null())
    spec.types["All Materials"] = parse_positions(*it, where);
  if (auto it = fj.find("types"); it != fj.end() && !it->is_null()) {
    if (!it->is_object()) throw std::runtime_error(where + ": \"types\" is not an object");
    for (const auto& [type, tj] : it->items())
      spec.types[std::string(type)] =
          parse_positions(tj.at("positions"), where + " type \"" + std::string(type) + "\"");
  }
}

/// Indicator values: single characters, "#" for blank, ranges "0-9".
template <class J>
void parse_indicator(const J& parent, const char* key, IndicatorSpec& ind, const std::string& where) {
  auto it = parent.find(key);
  if (it == parent.end()) return;  // not described: not checked
  ind.defined = true;
  if (it->is_null()) {             // undefined indicator: blank
    ind.label = "Undefined";
    ind.allowed.set(' ');
    return;
  }
  if (!it->is_object()) throw std::runtime_error(where + ": \"" + key + "\" is not an object or null");
  ind.label = get_string(*it, "label");
  auto fill = [&](const J& codes, std::bitset<128>& bits) {
    for (const auto& [code, ignored] : codes.items()) {
      if (code.size() == 1) {
        unsigned char c = static_cast<unsigned char>(code[0] == '#' ? ' ' : code[0]);
        if (c < 128) bits.set(c);
      } else if (code.size() == 3 && code[1] == '-') {
        for (unsigned char c = static_cast<unsigned char>(code[0]); c <= static_cast<unsigned char>(code[2]) && c < 128; ++c)
          bits.set(c);
      } else {
        throw std::runtime_error(where + ": " + key + " code \"" + std::string(code) +
                                 "\" is not one character or a range");
      }
    }
  };
  if (auto c = it->find("codes"); c != it->end() && c->is_object()) fill(*c, ind.allowed);
  if (auto c = it->find("historical-codes"); c != it->end() && c->is_object()) fill(*c, ind.historical);
  if (ind.allowed.none() && ind.historical.none()) ind.defined = false;  // no codes given: not checked
}

bool tag_is_valid(std::string_view tag) {
  if (tag.size() != 3) return false;
  for (char c : tag)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
  return true;
}

}  // namespace

bool PositionSpec::accepts(std::string_view code) const {
  if (code.size() == 1 && static_cast<unsigned char>(code[0]) < 128) {
    if (single_codes.test(static_cast<unsigned char>(code[0]))) return true;
  } else {
    for (const auto& c : codes)
      if (c == code) return true;
  }
  if (!ranges.empty() && all_digits(code)) {
    std::uint32_t n = to_number(code);
    for (const auto& [lo, hi] : ranges)
      if (n >= lo && n <= hi) return true;
  }
  return false;
}

bool PositionSpec::is_historical(std::string_view code) const {
  for (const auto& c : historical)
    if (c == code) return true;
  return false;
}

std::string_view PositionSpec::label_of(std::string_view code) const {
  for (std::size_t i = 0; i < codes.size(); ++i)
    if (codes[i] == code) return code_labels[i];
  return {};
}

const std::vector<PositionSpec>* FixedFieldSpec::type(std::string_view name) const {
  auto it = types.find(name);
  return it == types.end() ? nullptr : &it->second;
}

Schema::Schema() { numeric_.fill(-1); }
Schema::Schema(Schema&&) noexcept = default;
Schema& Schema::operator=(Schema&&) noexcept = default;
Schema::~Schema() = default;

void Schema::add_field(std::unique_ptr<FieldSpec> f) {
  const auto index = fields_.size();
  if (f->tag.size() == 3 && all_digits(f->tag)) numeric_[to_number(f->tag)] = static_cast<std::int16_t>(index);
  else other_[f->tag] = index;
  fields_.push_back(std::move(f));
}

const FieldSpec* Schema::field(std::string_view tag) const {
  if (tag.size() == 3 && all_digits(tag)) {
    auto i = numeric_[to_number(tag)];
    return i < 0 ? nullptr : fields_[static_cast<std::size_t>(i)].get();
  }
  if (other_.empty()) return nullptr;
  auto it = other_.find(std::string(tag));
  return it == other_.end() ? nullptr : fields_[it->second].get();
}

/// The schema from a document parsed by nlohmann_json.
template <class J>
Schema Schema::build(const J& j, const std::string& origin) {
  if (!j.is_object()) throw std::runtime_error(origin + ": not an Avram schema (the top level is not an object)");
  auto fields = j.find("fields");
  if (fields == j.end() || !fields->is_object())
    throw std::runtime_error(origin + ": not an Avram schema (no \"fields\" object)");

  Schema s;
  std::string where = origin;
  try {
    s.title_ = get_string(j, "title");
    for (const auto& [tag, fj] : fields->items()) {
      where = origin + ": field " + std::string(tag);
      if (!fj.is_object()) throw std::runtime_error(where + ": definition is not an object");
      if (tag == "LDR") {
        parse_fixed(fj, s.leader_, where);
        continue;
      }
      if (!tag_is_valid(tag)) throw std::runtime_error(where + ": not a three-character tag");
      auto f = std::make_unique<FieldSpec>();
      f->tag = tag;
      f->label = get_string(fj, "label");
      f->url = get_string(fj, "url");
      f->repeatable = fj.value("repeatable", true);
      f->control = tag[0] == '0' && tag[1] == '0';
      if (!f->control) {
        parse_indicator(fj, "indicator1", f->ind[0], where);
        parse_indicator(fj, "indicator2", f->ind[1], where);
      }
      if (auto it = fj.find("subfields"); it != fj.end() && it->is_object()) {
        for (const auto& [code, sj] : it->items()) {
          if (code.size() != 1 || static_cast<unsigned char>(code[0]) >= 128)
            throw std::runtime_error(where + ": subfield code \"" + std::string(code) +
                                     "\" is not one ASCII character");
          const auto c = static_cast<unsigned char>(code[0]);
          f->subfields.set(c);
          if (sj.is_object()) {
            if (sj.value("repeatable", true)) f->repeatable_subfields.set(c);
            f->subfield_labels[c] = get_string(sj, "label");
          } else {
            f->repeatable_subfields.set(c);
          }
        }
      }
      if (auto it = fj.find("historical-subfields"); it != fj.end() && it->is_object())
        for (const auto& [code, sj] : it->items())
          if (code.size() == 1 && static_cast<unsigned char>(code[0]) < 128) {
            f->historical_subfields.set(static_cast<unsigned char>(code[0]));
            if (sj.is_object() && f->subfield_labels[static_cast<unsigned char>(code[0])].empty())
              f->subfield_labels[static_cast<unsigned char>(code[0])] = get_string(sj, "label");
          }
      if (fj.contains("positions") || fj.contains("types")) {
        auto fixed = std::make_unique<FixedFieldSpec>();
        parse_fixed(fj, *fixed, where);
        f->fixed = fixed.get();
        s.fixed_.push_back(std::move(fixed));
      }
      s.add_field(std::move(f));
    }
  } catch (const typename J::exception& e) {
    throw std::runtime_error(where + ": " + e.what());
  }
  return s;
}

Schema Schema::parse(std::string_view text, const std::string& origin) {
  json j;
  try {
    j = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    throw std::runtime_error(origin + ": not valid JSON: " + e.what());
  }
  return build(j, origin);
}

Schema Schema::load(const std::string& path) { return parse(read_text_file(path, "schema file"), path); }

CodeList CodeList::load(const std::string& path) { return parse(read_text_file(path, "code list")); }

CodeList CodeList::parse(std::string_view text) {
  CodeList list;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string_view line(text.data() + pos, nl - pos);
    pos = nl + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    if (line.size() <= kShort) list.short_.push_back(pack(line));
    else list.long_.emplace(line);
  }
  std::sort(list.short_.begin(), list.short_.end());
  list.short_.erase(std::unique(list.short_.begin(), list.short_.end()), list.short_.end());
  return list;
}

void CodeList::insert(std::string code) {
  if (code.size() > kShort) {
    long_.insert(std::move(code));
    return;
  }
  const std::uint64_t k = pack(code);
  const auto it = std::lower_bound(short_.begin(), short_.end(), k);
  if (it == short_.end() || *it != k) short_.insert(it, k);
}

CodeLists CodeLists::load(const std::string& dir) {
  return parse([&](const std::string& name) { return read_text_file(dir + "/" + name, "code list"); });
}

CodeLists CodeLists::parse(const std::function<std::string(const std::string& name)>& text) {
  CodeLists l;
  auto file = [&](const char* name) { return CodeList::parse(text(name)); };
  l.languages = file("language-codes.txt");
  l.obsolete_languages = file("language-codes-obsolete.txt");
  l.geographic_areas = file("geographic-area-codes.txt");
  l.obsolete_geographic_areas = file("geographic-area-codes-obsolete.txt");
  l.countries = file("country-codes.txt");
  l.obsolete_countries = file("country-codes-obsolete.txt");
  l.subject_sources = file("subject-sources.txt");
  l.obsolete_subject_sources = file("subject-sources-obsolete.txt");
  l.genre_sources = file("genre-sources.txt");
  l.obsolete_genre_sources = file("genre-sources-obsolete.txt");

  // articles.txt: "article language..." per line; keep the lowercase first word.
  const std::string articles = text("articles.txt");
  std::istringstream in(articles);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::string word = line.substr(0, line.find_first_of(" \t\r"));
    for (auto& c : word) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (!word.empty()) l.articles.insert(std::move(word));
  }
  // article-exceptions.txt: one "quoted phrase" per line.
  const std::string exceptions = text("article-exceptions.txt");
  std::istringstream ex(exceptions);
  while (std::getline(ex, line)) {
    while (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (line.size() >= 2 && line.front() == '"' && line.back() == '"') line = line.substr(1, line.size() - 2);
    for (auto& c : line) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (!line.empty()) l.article_exceptions.push_back(line);
  }
  return l;
}

}  // namespace marcscope
