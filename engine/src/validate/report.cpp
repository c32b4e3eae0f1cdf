#include "marcscope/validate/report.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "marcscope/iso2709/record_view.h"
#include "marcscope/validate/validator.h"
#include "core/json_text.h"
#include "core/strings.h"

namespace marcscope {
namespace {

using detail::json_quote;

std::string html_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += ch;
    }
  }
  return out;
}

/// True when `s` holds no comma, quote or line break.
bool csv_plain(std::string_view s) {
  // Eight bytes at a time: a byte equal to c makes (w ^ c) hold a zero byte.
  constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  auto has_zero = [](std::uint64_t x) { return (x - ones) & ~x & highs; };
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (has_zero(w ^ (ones * ',')) | has_zero(w ^ (ones * '"')) | has_zero(w ^ (ones * '\r')) |
        has_zero(w ^ (ones * '\n')))
      return false;
  }
  for (; i < s.size(); ++i)
    if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n') return false;
  return true;
}

/// Appends a CSV field: as it is, or quoted (quotes doubled) when it holds a comma, quote or line break.
void append_csv_field(std::string& out, std::string_view s) {
  if (csv_plain(s)) {
    out += s;
    return;
  }
  out += '"';
  for (std::size_t q; (q = s.find('"')) != std::string_view::npos; s.remove_prefix(q + 1)) {
    out.append(s.data(), q + 1);
    out += '"';
  }
  out += s;
  out += '"';
}

void append_number(std::string& out, std::uint64_t n) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

std::string subfield_text(char code) {
  if (code == 0) return {};
  const auto c = static_cast<unsigned char>(code);
  if (c > 0x20 && c < 0x7F) return std::string(1, code);
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", c);
  return buf;
}

std::string finding_name(const std::string& code, const std::string& rule) {
  return rule.empty() ? code : code + ": " + rule;
}

std::uint64_t mix(std::uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

/// A quick hash of (code, severity, rule): the rule's first and last 8 bytes and its length suffice for rule ids.
std::uint64_t kind_hash(Code code, Severity severity, std::string_view rule) {
  std::uint64_t a = 0, b = 0;
  if (rule.size() >= 8) {
    std::memcpy(&a, rule.data(), 8);
    std::memcpy(&b, rule.data() + rule.size() - 8, 8);
  } else {
    for (char c : rule) a = (a << 8) | static_cast<unsigned char>(c);
  }
  return mix(a ^ mix(b + rule.size()) ^ (static_cast<std::uint64_t>(code) << 40) ^
             (static_cast<std::uint64_t>(severity) << 56));
}

/// Index + 1 of a rule id in Validator::rule_ids(), 0 when it names none.
std::uint16_t rule_index(std::string_view rule) {
  if (rule.empty()) return 0;
  static const auto* const kIndex = [] {
    auto* index = new std::unordered_map<std::string_view, std::uint16_t>;
    const auto& ids = Validator::rule_ids();
    for (std::size_t i = 0; i < ids.size(); ++i) (*index)[ids[i]] = static_cast<std::uint16_t>(i + 1);
    return index;
  }();
  const auto it = kIndex->find(rule);
  return it == kIndex->end() ? 0 : it->second;
}

}  // namespace

CompactFinding CompactFinding::from(const Diagnostic& d) {
  CompactFinding f;
  const std::uint64_t field = d.field >= 0 && d.field < (1 << 24) - 1 ? static_cast<std::uint64_t>(d.field) + 1 : 0;
  f.record_field = (d.record & ((1ull << 40) - 1)) | (field << 40);
  f.offset = d.offset;
  f.rule = rule_index(d.rule);
  f.code = d.code;
  f.severity = d.severity;
  f.subfield = d.subfield;
  return f;
}

std::optional<Severity> FileReport::worst(std::uint64_t number) const {
  if (number == 0 || number > worst_severity.size() || worst_severity[number - 1] == 0) return std::nullopt;
  return static_cast<Severity>(worst_severity[number - 1] - 1);
}

void FileReport::add_batch(Batch& batch, const ReportOptions& options, const std::function<void(const Finding&)>& each,
                           std::vector<char>* bad) {
  records += batch.records.size();
  skipped += batch.skipped.size();
  stopped = stopped || batch.stopped;
  if (batch.records_seen > worst_severity.size()) worst_severity.resize(batch.records_seen, 0);
  // This runs in the serial delivery stage, once per finding: no maps, and each diagnostic is
  // moved (the batch is done with it), not copied. Records are in number order, so a finding's
  // record is a binary search away.
  std::size_t last = 0;  // a record's findings come together: most look-ups find the previous one's record
  auto index_of = [&](std::uint64_t number) -> std::size_t {
    if (last < batch.records.size() && batch.records[last].number == number) return last;
    auto it = std::lower_bound(batch.records.begin(), batch.records.end(), number,
                               [](const BatchRecord& r, std::uint64_t n) { return r.number < n; });
    if (it == batch.records.end() || it->number != number) return batch.records.size();
    last = static_cast<std::size_t>(it - batch.records.begin());
    return last;
  };
  std::vector<char> troubled(batch.records.size(), 0);
  RecordView scratch;
  std::size_t control_of = batch.records.size();  // the record whose 001 `control` is
  std::string_view control;
  for (auto& d : batch.diagnostics) {
    const std::size_t k = index_of(d.record);
    if ((d.severity >= Severity::Warning || d.code == Code::RecordRepaired) && k < troubled.size()) troubled[k] = 1;
    if (d.record != 0) {
      if (d.record > worst_severity.size()) worst_severity.resize(d.record, 0);
      std::uint8_t& w = worst_severity[d.record - 1];
      w = std::max<std::uint8_t>(w, static_cast<std::uint8_t>(static_cast<unsigned>(d.severity) + 1));
    }
    if (options.keep_findings) {
      CompactFinding c = CompactFinding::from(d);
      // A record's findings are contiguous: count the ones of the same kind and place before it.
      for (auto it = findings.rbegin(); it != findings.rend() && it->record() == c.record(); ++it)
        if (it->same_place(c)) {
          c.nth = static_cast<std::uint16_t>(it->nth + 1);
          break;
        }
      findings.push_back(c);
    }
    Slots::Kind& kind = count(d);
    const bool example = kind.examples->size() < options.max_examples;
    if (!example && !each) {  // counted: nothing else needs the finding itself
      tell(kind, d, options.max_examples, options.demand);
      continue;
    }
    Finding f{std::move(d), {}};
    if (k < batch.records.size()) {
      if (k != control_of) {  // a record's findings are together: its 001 is looked up once
        control_of = k;
        control = {};
        const BatchRecord& rec = batch.records[k];
        if (!rec.as_is) {
          if (const Field* cf = rec.record.first("001")) control = cf->value();
        } else if (const FieldView* cf = rec.view_of(scratch, ReadMode::Permissive).first("001")) {
          control = cf->data;  // as the model would hold it: the record decodes as it is
        }
      }
      detail::construct_into(f.control_number, control);
    }
    if (example) kind.examples->push_back(f);
    tell(kind, f.diagnostic, options.max_examples, options.demand);
    if (each) each(f);
  }
  batch.diagnostics.clear();
  if (batch.records_seen > problem.size()) problem.resize(batch.records_seen, false);
  for (std::size_t k = 0; k < batch.records.size(); ++k) {
    if (batch.records[k].repaired) ++repaired;
    if (!troubled[k]) ++clean;
    const std::uint64_t n = batch.records[k].number;
    if (n == 0) continue;
    if (n > problem.size()) problem.resize(n, false);
    if (troubled[k]) problem[n - 1] = true;
  }
  if (bad) *bad = std::move(troubled);
}

void FileReport::add(const Finding& finding, std::size_t max_examples) {
  Slots::Kind& kind = count(finding.diagnostic);
  if (kind.examples->size() < max_examples) kind.examples->push_back(finding);
}

void FileReport::tell(Slots::Kind& kind, const Diagnostic& d, std::size_t max_examples, MessageDemand* demand) {
  if (demand && !kind.demand_told && kind.examples->size() >= max_examples && d.code == Code::RuleViolation) {
    kind.demand_told = true;
    demand->done(d.rule);
  }
}

FileReport::Slots::Kind& FileReport::count(const Diagnostic& d) {
  Slots& s = slots_;

  // The (code, rule, severity) entry and the (code, rule) examples: found in the table, else added to it.
  if (s.table.empty()) s.table.assign(64, 0);
  std::size_t mask = s.table.size() - 1;
  std::size_t i = kind_hash(d.code, d.severity, d.rule) & mask;
  Slots::Kind* kind = nullptr;
  for (; s.table[i] != 0; i = (i + 1) & mask) {
    Slots::Kind& k = s.kinds[s.table[i] - 1];
    if (k.code == d.code && k.severity == d.severity && k.rule == d.rule) {
      kind = &k;
      break;
    }
  }
  if (kind == nullptr) {
    const std::string code(code_name(d.code));
    s.kinds.push_back({d.code, d.severity, d.rule, &by_finding[{code, d.rule, d.severity}], &examples[{code, d.rule}]});
    s.table[i] = static_cast<std::uint32_t>(s.kinds.size());
    kind = &s.kinds.back();
    if (s.kinds.size() * 2 > s.table.size()) {  // grow: keep the table at most half full
      s.table.assign(s.table.size() * 2, 0);
      mask = s.table.size() - 1;
      for (std::size_t n = 0; n < s.kinds.size(); ++n) {
        const auto& k = s.kinds[n];
        std::size_t j = kind_hash(k.code, k.severity, k.rule) & mask;
        while (s.table[j] != 0) j = (j + 1) & mask;
        s.table[j] = static_cast<std::uint32_t>(n + 1);
      }
    }
  }
  ++*kind->count;

  const auto sev = static_cast<std::size_t>(d.severity);
  if (sev < s.severities.size()) {
    if (s.severities[sev] == nullptr) s.severities[sev] = &by_severity[d.severity];
    ++*s.severities[sev];
  } else {
    ++by_severity[d.severity];
  }

  if (!d.tag.empty()) {
    if (const int n = tag_number(d.tag); n >= 0) {
      if (!s.numeric_tags) s.numeric_tags = std::make_unique<std::array<std::uint64_t*, 1000>>();
      std::uint64_t*& count = (*s.numeric_tags)[static_cast<std::size_t>(n)];
      if (count == nullptr) count = &by_tag[d.tag];
      ++*count;
    } else {
      std::uint64_t* count = nullptr;
      for (const auto& [tag, c] : s.other_tags)
        if (tag == d.tag) {
          count = c;
          break;
        }
      if (count == nullptr) {
        count = &by_tag[d.tag];
        if (s.other_tags.size() < 32) s.other_tags.emplace_back(d.tag, count);
      }
      ++*count;
    }
  }

  return *kind;
}

std::string format_finding_text(const std::string& file, const Finding& finding) {
  const std::string diagnostic = finding.diagnostic.to_string();
  std::string line;
  line.reserve(file.size() + diagnostic.size() + finding.control_number.size() + 9);
  line += file;
  line += ": ";
  line += diagnostic;
  if (!finding.control_number.empty()) {
    line += " (001 ";
    line += finding.control_number;
    line += ')';
  }
  line += '\n';
  return line;
}

std::string csv_header() { return "file,record,offset,001,severity,code,rule,tag,subfield,message\n"; }

std::string format_finding_csv(const std::string& file, const Finding& f) {
  const Diagnostic& d = f.diagnostic;
  std::string row;
  row.reserve(file.size() + f.control_number.size() + d.rule.size() + d.tag.size() + d.message.size() + 96);
  append_csv_field(row, file);
  row += ',';
  append_number(row, d.record);
  row += ',';
  append_number(row, d.offset);
  row += ',';
  append_csv_field(row, f.control_number);
  row += ',';
  row += severity_name(d.severity);
  row += ',';
  row += code_name(d.code);
  row += ',';
  row += d.rule;
  row += ',';
  append_csv_field(row, d.tag);
  row += ',';
  append_csv_field(row, subfield_text(d.subfield));
  row += ',';
  append_csv_field(row, d.message);
  row += '\n';
  return row;
}

std::string text_summary(const FileReport& r) {
  std::string s = "\n" + r.file + ": " + std::to_string(r.records) + " record" + (r.records == 1 ? "" : "s") +
                  " read, " + std::to_string(r.clean) + " without problems, " + std::to_string(r.skipped) +
                  " skipped, " + std::to_string(r.repaired) + " repaired" +
                  (r.stopped ? ", reading stopped (strict mode)" : "") + "\n";
  if (r.by_finding.empty()) return s + "  no problems found\n";
  char line[256];
  std::snprintf(line, sizeof line, "  %10s  %-8s  %s\n", "count", "severity", "code");
  s += line;
  for (const auto& [key, n] : r.by_finding) {
    std::snprintf(line, sizeof line, "  %10llu  %-8s  %s\n", static_cast<unsigned long long>(n),
                  std::string(severity_name(std::get<2>(key))).c_str(),
                  finding_name(std::get<0>(key), std::get<1>(key)).c_str());
    s += line;
  }
  if (!r.by_tag.empty()) {
    std::vector<std::pair<std::uint64_t, std::string>> tags;
    for (const auto& [tag, n] : r.by_tag) tags.emplace_back(n, tag);
    std::sort(tags.rbegin(), tags.rend());
    s += "  most findings by tag:";
    for (std::size_t i = 0; i < tags.size() && i < 10; ++i)
      s += " " + tags[i].second + " (" + std::to_string(tags[i].first) + ")";
    s += "\n";
  }
  return s;
}

std::string json_report(const std::vector<FileReport>& reports) {
  std::string s = "{\"files\": [";
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const auto& r = reports[i];
    if (i) s += ",";
    s += "\n  {\"file\": " + json_quote(r.file) + ", \"records\": " + std::to_string(r.records) +
         ", \"without_problems\": " + std::to_string(r.clean) + ", \"skipped\": " + std::to_string(r.skipped) +
         ", \"repaired\": " + std::to_string(r.repaired) + ", \"stopped\": " + (r.stopped ? "true" : "false");
    s += ",\n   \"by_severity\": {";
    bool first = true;
    for (const auto& [sev, n] : r.by_severity) {
      s += (first ? "" : ", ") + json_quote(severity_name(sev)) + ": " + std::to_string(n);
      first = false;
    }
    s += "},\n   \"by_tag\": {";
    first = true;
    for (const auto& [tag, n] : r.by_tag) {
      s += (first ? "" : ", ") + json_quote(tag) + ": " + std::to_string(n);
      first = false;
    }
    s += "},\n   \"findings\": [";
    first = true;
    for (const auto& [key, n] : r.by_finding) {
      const auto& [code, rule, sev] = key;
      s += std::string(first ? "" : ",") + "\n    {\"code\": " + json_quote(code) + ", \"rule\": " + json_quote(rule) +
           ", \"severity\": " + json_quote(severity_name(sev)) + ", \"count\": " + std::to_string(n) + ", \"examples\": [";
      first = false;
      const auto it = r.examples.find({code, rule});
      bool first_ex = true;
      if (it != r.examples.end()) {
        for (const auto& f : it->second) {
          if (f.diagnostic.severity != sev) continue;
          const Diagnostic& d = f.diagnostic;
          s += std::string(first_ex ? "" : ", ") + "{\"record\": " + std::to_string(d.record) +
               ", \"offset\": " + std::to_string(d.offset) + ", \"001\": " + json_quote(f.control_number) +
               ", \"tag\": " + json_quote(d.tag) + ", \"subfield\": " + json_quote(subfield_text(d.subfield)) +
               ", \"message\": " + json_quote(d.message) + "}";
          first_ex = false;
        }
      }
      s += "]}";
    }
    s += "\n   ]}";
  }
  return s + "\n]}\n";
}

std::string html_report(const std::vector<FileReport>& reports) {
  std::string s =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>MarcScope validation report</title>\n"
      "<style>body{font-family:sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;margin:1em 0}"
      "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}th{background:#eee}"
      ".num{text-align:right}.fatal,.error{color:#a00}.warning{color:#a60}.info{color:#555}"
      "details{margin:.2em 0}code{background:#f4f4f4}</style></head><body>\n<h1>MarcScope validation report</h1>\n";
  for (const auto& r : reports) {
    s += "<h2>" + html_escape(r.file) + "</h2>\n<table><tr><th>records read</th><th>without problems</th>"
         "<th>skipped</th><th>repaired</th></tr><tr><td class=\"num\">" +
         std::to_string(r.records) + "</td><td class=\"num\">" + std::to_string(r.clean) + "</td><td class=\"num\">" +
         std::to_string(r.skipped) + "</td><td class=\"num\">" + std::to_string(r.repaired) + "</td></tr></table>\n";
    if (r.stopped) s += "<p class=\"fatal\">Reading stopped at the first structural error (strict mode).</p>\n";
    if (r.by_finding.empty()) {
      s += "<p>No problems found.</p>\n";
      continue;
    }
    s += "<table><tr><th>count</th><th>severity</th><th>finding</th><th>first examples</th></tr>\n";
    for (const auto& [key, n] : r.by_finding) {
      const auto& [code, rule, sev] = key;
      const std::string sevname(severity_name(sev));
      s += "<tr><td class=\"num\">" + std::to_string(n) + "</td><td class=\"" + sevname + "\">" + sevname +
           "</td><td><code>" + html_escape(finding_name(code, rule)) + "</code></td><td>";
      const auto it = r.examples.find({code, rule});
      if (it != r.examples.end()) {
        s += "<details><summary>" + std::to_string(it->second.size()) + " example" +
             (it->second.size() == 1 ? "" : "s") + "</summary><ul>";
        for (const auto& f : it->second) {
          if (f.diagnostic.severity != sev) continue;
          const Diagnostic& d = f.diagnostic;
          s += "<li>record " + std::to_string(d.record) + " (byte " + std::to_string(d.offset) + ")";
          if (!f.control_number.empty()) s += ", 001 <code>" + html_escape(f.control_number) + "</code>";
          if (!d.tag.empty()) s += ", field " + html_escape(d.tag);
          if (d.subfield) s += " $" + html_escape(subfield_text(d.subfield));
          s += ": " + html_escape(d.message) + "</li>";
        }
        s += "</ul></details>";
      }
      s += "</td></tr>\n";
    }
    s += "</table>\n";
  }
  return s + "</body></html>\n";
}

}  // namespace marcscope
