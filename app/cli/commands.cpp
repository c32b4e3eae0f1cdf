#include "commands.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>

#include "marcscope/iso2709_writer.h"
#include "marcscope/mrk_writer.h"
#include "marcscope/record.h"

namespace marcscope::cli {
namespace {

/// Raised when a command cannot run (unreadable input, non-MARC file, unwritable output).
struct CannotRun {
  std::string message;
};

/// Buffered output to a FILE*, flushed in large blocks.
class Output {
 public:
  explicit Output(const std::string& path) {
    if (path.empty() || path == "-") {
      file_ = stdout;
    } else {
      file_ = std::fopen(path.c_str(), "wb");
      if (file_ == nullptr) throw CannotRun{"cannot write '" + path + "': " + std::strerror(errno)};
      owned_ = true;
      path_ = path;
    }
    buffer_.reserve(kBlock * 2);
  }
  ~Output() {
    if (owned_) std::fclose(file_);
  }
  std::string& buffer() { return buffer_; }
  void maybe_flush() {
    if (buffer_.size() >= kBlock) flush();
  }
  void flush() {
    if (!buffer_.empty() && std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size())
      throw CannotRun{"cannot write " + (path_.empty() ? std::string("standard output") : "'" + path_ + "'") + ": " +
                      std::strerror(errno)};
    buffer_.clear();
    if (std::fflush(file_) != 0)
      throw CannotRun{"cannot write " + (path_.empty() ? std::string("standard output") : "'" + path_ + "'") + ": " +
                      std::strerror(errno)};
  }

 private:
  static constexpr std::size_t kBlock = 1 << 20;
  std::FILE* file_ = nullptr;
  bool owned_ = false;
  std::string path_;
  std::string buffer_;
};

struct FileStats {
  std::uint64_t delivered = 0;
  std::uint64_t skipped = 0;
  std::uint64_t repaired = 0;
  std::uint64_t with_problems = 0;
  std::map<Code, std::uint64_t> per_code;
  std::map<Severity, std::uint64_t> per_severity;
  bool stopped = false;
};

std::unique_ptr<Reader> open_reader(const std::string& path, const ReadOptions& options) {
  InputBuffer input = [&] {
    try {
      return InputBuffer::open(path);
    } catch (const IoError& e) {
      throw CannotRun{e.what()};
    }
  }();
  const auto bytes = input.bytes();
  if (!bytes.empty() && !looks_like_iso2709(bytes)) {
    std::string head;
    for (unsigned char c : bytes.substr(0, 16)) head += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '.';
    throw CannotRun{(path == "-" ? std::string("standard input") : "'" + path + "'") +
                    " is not an ISO 2709 MARC file (it starts with \"" + head + "\")"};
  }
  return std::make_unique<Reader>(std::move(input), options);
}

void print_diagnostic(std::FILE* to, const std::string& file, const Diagnostic& d) {
  std::string line = file + ": " + d.to_string() + "\n";
  std::fwrite(line.data(), 1, line.size(), to);
}

/// Reads every file, calling `on_record(view, record_number, diagnostics)` for each delivered
/// record and `on_diags` for every diagnostic. Returns the exit status.
template <typename OnRecord, typename OnDiag>
int read_all(const Options& options, OnRecord on_record, OnDiag on_diag, std::vector<FileStats>* stats_out = nullptr) {
  int status = kFine;
  for (const auto& path : options.files) {
    FileStats stats;
    auto reader = open_reader(path, options.read);
    const std::string name = path == "-" ? std::string("<stdin>") : path;
    ReadItem item;
    while (reader->next(item)) {
      bool problem = false;
      for (const auto& d : item.diagnostics) {
        ++stats.per_code[d.code];
        ++stats.per_severity[d.severity];
        if (d.severity >= Severity::Warning) problem = true;
        on_diag(name, d);
      }
      if (item.has_record) {
        ++stats.delivered;
        if (item.view.repaired()) ++stats.repaired;
        if (problem) ++stats.with_problems;
        on_record(name, item);
      } else if (std::any_of(item.diagnostics.begin(), item.diagnostics.end(),
                             [](const Diagnostic& d) { return d.code == Code::RecordSkipped; })) {
        ++stats.skipped;
      }
    }
    stats.stopped = reader->stopped();
    if (stats.skipped || stats.stopped || stats.repaired || stats.per_severity[Severity::Error] ||
        stats.per_severity[Severity::Fatal])
      status = kProblems;
    if (stats_out) stats_out->push_back(std::move(stats));
  }
  return status;
}

template <typename Body>
int guarded(Body body) {
  try {
    return body();
  } catch (const CannotRun& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "marcscope: %s\n", e.message.c_str());
    return kCannotRun;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "marcscope: %s\n", e.what());
    return kCannotRun;
  }
}

/// Diagnostics on standard error for count, dump and convert: errors and the first few of each
/// warning code per file, then one line per code saying how many more there were, so a million
/// records with the same quirk do not bury the output. `validate` shows everything.
class StderrDiagnostics {
 public:
  explicit StderrDiagnostics(const Options& options) : options_(options) {}
  ~StderrDiagnostics() { finish(); }

  void operator()(const std::string& file, const Diagnostic& d) {
    if (options_.quiet) return;
    if (file != file_) {
      finish();
      file_ = file;
    }
    auto& n = shown_[d.code];
    if (d.severity >= Severity::Error || n < kPerCode) print_diagnostic(stderr, file, d);
    else ++hidden_[d.code];
    ++n;
  }

  void finish() {
    for (const auto& [code, n] : hidden_)
      std::fprintf(stderr, "%s: %llu more %s diagnostic%s not shown (marcscope validate lists them all)\n",
                   file_.c_str(), static_cast<unsigned long long>(n), std::string(code_name(code)).c_str(),
                   n == 1 ? "" : "s");
    hidden_.clear();
    shown_.clear();
  }

 private:
  static constexpr std::uint64_t kPerCode = 5;
  const Options& options_;
  std::string file_;
  std::map<Code, std::uint64_t> shown_;
  std::map<Code, std::uint64_t> hidden_;
};

}  // namespace

int run_count(const Options& options) {
  return guarded([&] {
    std::vector<FileStats> stats;
    StderrDiagnostics diags(options);
    int status = read_all(options, [](const std::string&, const ReadItem&) {}, std::ref(diags), &stats);
    diags.finish();
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < stats.size(); ++i) {
      total += stats[i].delivered;
      if (options.files.size() == 1) {
        std::printf("%llu\n", static_cast<unsigned long long>(stats[i].delivered));
      } else {
        std::printf("%llu\t%s\n", static_cast<unsigned long long>(stats[i].delivered), options.files[i].c_str());
      }
    }
    if (options.files.size() > 1) std::printf("%llu\ttotal\n", static_cast<unsigned long long>(total));
    return status;
  });
}

int run_dump(const Options& options) {
  return guarded([&] {
    Output out("-");
    StderrDiagnostics diags(options);
    MrkOptions mrk{options.crlf};
    Diagnostics decode_diags;
    int status = read_all(
        options,
        [&](const std::string& file, const ReadItem& item) {
          if (options.records && !options.records->contains(item.view.number())) return;
          decode_diags.clear();
          Record rec = Record::from_view(item.view, options.read.decode, decode_diags);
          for (const auto& d : decode_diags) diags(file, d);
          write_mrk(rec, out.buffer(), mrk);
          out.maybe_flush();
        },
        std::ref(diags));
    out.flush();
    diags.finish();
    return status;
  });
}

int run_convert(const Options& options) {
  return guarded([&] {
    OutputFormat to = OutputFormat::Iso2709;
    if (options.to) to = *options.to;
    else if (options.output.size() > 4 && options.output.substr(options.output.size() - 4) == ".mrk") to = OutputFormat::Mrk;
    Output out(options.output);
    StderrDiagnostics diags(options);
    MrkOptions mrk{options.crlf};
    Diagnostics decode_diags;
    bool write_failed = false;
    int status = read_all(
        options,
        [&](const std::string& file, const ReadItem& item) {
          if (options.records && !options.records->contains(item.view.number())) return;
          decode_diags.clear();
          Record rec = Record::from_view(item.view, options.read.decode, decode_diags);
          for (const auto& d : decode_diags) diags(file, d);
          if (to == OutputFormat::Mrk) {
            write_mrk(rec, out.buffer(), mrk);
          } else {
            try {
              write_iso2709(rec, out.buffer());
            } catch (const std::length_error& e) {
              // UTF-8 can outgrow ISO 2709's limits when MARC-8 expands; say which record.
              write_failed = true;
              std::fprintf(stderr, "%s: record %llu: not written: %s\n", file.c_str(),
                           static_cast<unsigned long long>(item.view.number()), e.what());
            }
          }
          out.maybe_flush();
        },
        std::ref(diags));
    out.flush();
    diags.finish();
    return write_failed ? kProblems : status;
  });
}

int run_validate(const Options& options) {
  return guarded([&] {
    std::map<Code, std::size_t> shown;
    Diagnostics decode_diags;
    auto show = [&](const std::string& file, const Diagnostic& d) {
      if (options.max_shown && shown[d.code]++ >= options.max_shown) return;
      print_diagnostic(stdout, file, d);
    };
    std::vector<FileStats> stats;
    std::vector<std::map<Code, std::uint64_t>> decode_counts(options.files.size());
    std::vector<std::uint64_t> decode_problem_records(options.files.size());
    std::size_t file_index = 0;
    std::string current;
    int status = read_all(
        options,
        [&](const std::string& file, const ReadItem& item) {
          if (file != current) {
            if (!current.empty()) ++file_index;
            current = file;
          }
          // Character-set problems only show up when the values are decoded.
          decode_diags.clear();
          (void)Record::from_view(item.view, options.read.decode, decode_diags);
          bool counted = false;
          for (const auto& d : decode_diags) {
            ++decode_counts[file_index][d.code];
            show(file, d);
            if (!counted && d.severity >= Severity::Warning) {
              counted = true;
              ++decode_problem_records[file_index];
            }
          }
        },
        show, &stats);

    bool any = status != kFine;
    for (std::size_t i = 0; i < stats.size(); ++i) {
      auto& s = stats[i];
      for (const auto& [code, n] : decode_counts[i]) s.per_code[code] += n;
      std::uint64_t problems = 0;
      for (const auto& [code, n] : s.per_code)
        if (default_severity(code) >= Severity::Warning || code == Code::RecordRepaired) problems += n;
      if (problems) any = true;
      std::printf("\n%s: %llu record%s read", options.files[i].c_str(), static_cast<unsigned long long>(s.delivered),
                  s.delivered == 1 ? "" : "s");
      std::printf(", %llu skipped, %llu repaired%s\n", static_cast<unsigned long long>(s.skipped),
                  static_cast<unsigned long long>(s.repaired), s.stopped ? ", reading stopped (strict mode)" : "");
      if (s.per_code.empty()) {
        std::printf("  no problems found\n");
        continue;
      }
      std::printf("  %8s  %-8s  %s\n", "count", "severity", "code");
      for (const auto& [code, n] : s.per_code)
        std::printf("  %8llu  %-8s  %s\n", static_cast<unsigned long long>(n),
                    std::string(severity_name(default_severity(code))).c_str(), std::string(code_name(code)).c_str());
    }
    return any ? kProblems : kFine;
  });
}

}  // namespace marcscope::cli
