#include "report.h"

#include <algorithm>
#include <cstdio>

namespace marcscope::cli {
namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

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

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
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

}  // namespace

void FileReport::add(const Finding& finding, std::size_t max_examples) {
  const Diagnostic& d = finding.diagnostic;
  const std::string code(code_name(d.code));
  ++by_finding[{code, d.rule, d.severity}];
  ++by_severity[d.severity];
  if (!d.tag.empty()) ++by_tag[d.tag];
  auto& ex = examples[{code, d.rule}];
  if (ex.size() < max_examples) ex.push_back(finding);
}

std::string format_finding_text(const std::string& file, const Finding& finding) {
  std::string line = file + ": " + finding.diagnostic.to_string();
  if (!finding.control_number.empty()) line += " (001 " + finding.control_number + ")";
  return line + "\n";
}

std::string csv_header() { return "file,record,offset,001,severity,code,rule,tag,subfield,message\n"; }

std::string format_finding_csv(const std::string& file, const Finding& f) {
  const Diagnostic& d = f.diagnostic;
  std::string row = csv_field(file) + "," + std::to_string(d.record) + "," + std::to_string(d.offset) + "," +
                    csv_field(f.control_number) + "," + std::string(severity_name(d.severity)) + "," +
                    std::string(code_name(d.code)) + "," + d.rule + "," + csv_field(d.tag) + "," +
                    csv_field(subfield_text(d.subfield)) + "," + csv_field(d.message) + "\n";
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
    s += "\n  {\"file\": " + json_string(r.file) + ", \"records\": " + std::to_string(r.records) +
         ", \"without_problems\": " + std::to_string(r.clean) + ", \"skipped\": " + std::to_string(r.skipped) +
         ", \"repaired\": " + std::to_string(r.repaired) + ", \"stopped\": " + (r.stopped ? "true" : "false");
    s += ",\n   \"by_severity\": {";
    bool first = true;
    for (const auto& [sev, n] : r.by_severity) {
      s += (first ? "" : ", ") + json_string(severity_name(sev)) + ": " + std::to_string(n);
      first = false;
    }
    s += "},\n   \"by_tag\": {";
    first = true;
    for (const auto& [tag, n] : r.by_tag) {
      s += (first ? "" : ", ") + json_string(tag) + ": " + std::to_string(n);
      first = false;
    }
    s += "},\n   \"findings\": [";
    first = true;
    for (const auto& [key, n] : r.by_finding) {
      const auto& [code, rule, sev] = key;
      s += std::string(first ? "" : ",") + "\n    {\"code\": " + json_string(code) + ", \"rule\": " + json_string(rule) +
           ", \"severity\": " + json_string(severity_name(sev)) + ", \"count\": " + std::to_string(n) + ", \"examples\": [";
      first = false;
      const auto it = r.examples.find({code, rule});
      bool first_ex = true;
      if (it != r.examples.end()) {
        for (const auto& f : it->second) {
          if (f.diagnostic.severity != sev) continue;
          const Diagnostic& d = f.diagnostic;
          s += std::string(first_ex ? "" : ", ") + "{\"record\": " + std::to_string(d.record) +
               ", \"offset\": " + std::to_string(d.offset) + ", \"001\": " + json_string(f.control_number) +
               ", \"tag\": " + json_string(d.tag) + ", \"subfield\": " + json_string(subfield_text(d.subfield)) +
               ", \"message\": " + json_string(d.message) + "}";
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

}  // namespace marcscope::cli
