#include "commands.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <memory>
#include <stop_token>
#include <thread>

#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "marcscope/io/byte_source.h"
#include "marcscope/io/output_file.h"
#include "marcscope/write/converter.h"
#include "marcscope/iso2709/iso2709_writer.h"
#include "marcscope/formats/mrk_writer.h"
#include "marcscope/read/record_reader.h"
#include "marcscope/model/record.h"
#include "marcscope/formats/record_stream.h"
#include "marcscope/stats/statistics.h"
#include "marcscope/validate/report.h"
#include "marcscope/validate/validation.h"

namespace marcscope::cli {
namespace {

/// Raised when a command cannot run (unreadable input, non-MARC file, unwritable output).
struct CannotRun {
  std::string message;
};

/// Set by install_interrupt_handling()'s thread on SIGINT or SIGTERM: every job's stop.
std::stop_source& interrupt_source() {
  static std::stop_source source;
  return source;
}
std::atomic<int> g_signal{0};  ///< the signal that stopped the command (0: none)

/// Raised once a job has stopped because of a signal: unwinding leaves any output file as it
/// was (OutputFile removes its partial file unless committed).
struct Interrupted {};

std::string display_name(const std::string& path) { return path == "-" ? std::string("<stdin>") : path; }

void append_diagnostic(std::string& out, const std::string& file, const Diagnostic& d) {
  out += file;
  out += ": ";
  out += d.to_string();
  out += '\n';
}

/// Diagnostics on standard error for count, dump and convert: errors and the first few of each
/// other code per file, then one line per code saying how many more there were, so a million
/// records with the same quirk do not bury the output. `validate` shows everything.
class StderrDiagnostics {
 public:
  StderrDiagnostics(bool quiet, std::string file) : quiet_(quiet), file_(std::move(file)) {}
  ~StderrDiagnostics() { finish(); }

  void add(const Diagnostic& d) {
    if (quiet_) return;
    auto& n = shown_[d.code];
    if (d.severity >= Severity::Error || n < kPerCode) {
      std::string line;
      append_diagnostic(line, file_, d);
      std::fputs(line.c_str(), stderr);
    } else {
      ++hidden_[d.code];
    }
    ++n;
  }
  void finish() {
    for (const auto& [code, n] : hidden_)
      std::fprintf(stderr, "%s: %llu more %s diagnostic%s not shown (marcscope validate lists them all)\n",
                   file_.c_str(), static_cast<unsigned long long>(n), std::string(code_name(code)).c_str(),
                   n == 1 ? "" : "s");
    hidden_.clear();
  }

 private:
  static constexpr std::uint64_t kPerCode = 5;
  bool quiet_;
  std::string file_;
  std::map<Code, std::uint64_t> shown_;
  std::map<Code, std::uint64_t> hidden_;
};

/// A one-line progress report on standard error, only when it is a terminal.
class ProgressLine {
 public:
  explicit ProgressLine(bool quiet) : enabled_(!quiet && ::isatty(STDERR_FILENO)) {}
  ~ProgressLine() { clear(); }
  ProgressCallback callback(const std::string& file) {
    if (!enabled_) return {};
    return [this, file](const Progress& p) {
      const double rate = p.seconds > 0 ? static_cast<double>(p.records) / p.seconds : 0;
      char line[256];
      int n = std::snprintf(line, sizeof line, "\r%s: %llu records, %.0f records/s", file.c_str(),
                            static_cast<unsigned long long>(p.records), rate);
      if (p.total_bytes && *p.total_bytes > 0 && p.bytes > 0 && p.seconds > 0) {
        const double left = p.seconds * (static_cast<double>(*p.total_bytes) / static_cast<double>(p.bytes) - 1.0);
        n += std::snprintf(line + n, sizeof line - static_cast<std::size_t>(n), ", %.0f%%, %.0f s left",
                           100.0 * static_cast<double>(p.bytes) / static_cast<double>(*p.total_bytes), std::max(0.0, left));
      }
      std::fprintf(stderr, "%s\x1b[K", line);
      shown_ = true;
    };
  }
  void clear() {
    if (shown_) std::fputs("\r\x1b[K", stderr);
    shown_ = false;
  }

 private:
  bool enabled_;
  bool shown_ = false;
};

/// Says on standard error that an input could not be read (the others are read on).
void cannot_read(const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "marcscope: %s\n", message.c_str());
}

/// Opens every input and works out its format before anything is written. `prepare` may change
/// the read options further (a Converter's, validation's). `each_alone`: an input that cannot be
/// opened is said (cannot_read) and left null, for a command whose inputs are reported one by one
/// (count, stats, validate); else it stops the command before anything is written (convert, dump).
std::vector<std::unique_ptr<RecordReader>> open_inputs(const Options& options, bool decode,
                                                       const std::function<void(ReadOptions&)>& prepare = {},
                                                       bool each_alone = false) {
  std::vector<std::unique_ptr<RecordReader>> inputs;
  for (const auto& path : options.files) {
    ReadOptions read = options.read;
    read.format = options.from;
    read.decode_records = decode;
    read.threads = options.threads;
    if (prepare) prepare(read);
    std::string failed;
    try {
      // Telling a pipe's format waits for its writer: Ctrl-C ends that wait too (the input then
      // reads as empty, and the command stops as any interrupted job does).
      inputs.push_back(RecordReader::open(open_source(path, {interrupt_source().get_token(), {}}), std::move(read)));
    } catch (const IoError& e) {
      failed = e.what();
    } catch (const NotMarcError& e) {
      failed = e.what();
    } catch (const std::invalid_argument& e) {
      failed = e.what();
    }
    if (failed.empty()) continue;
    if (!each_alone) throw CannotRun{failed};
    cannot_read(failed);
    inputs.push_back(nullptr);
  }
  return inputs;
}

bool has_problem(const Batch& batch) {
  return !batch.skipped.empty() || batch.stopped ||
         std::any_of(batch.diagnostics.begin(), batch.diagnostics.end(), [](const Diagnostic& d) {
           return d.severity >= Severity::Error || d.code == Code::RecordRepaired;
         });
}

template <typename Body>
int guarded(Body body) {
  try {
    return body();
  } catch (const CannotRun& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "marcscope: %s\n", e.message.c_str());
    return kCannotRun;
  } catch (const Interrupted&) {
    std::fflush(stdout);
    const int sig = g_signal.load();
    std::fprintf(stderr, "marcscope: stopped by %s before the end of the input; output files are left as they were\n",
                 sig == SIGTERM ? "SIGTERM" : "Ctrl-C (SIGINT)");
    return 128 + (sig != 0 ? sig : SIGINT);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "marcscope: %s\n", e.what());
    return kCannotRun;
  }
}

/// Runs a reader to its end (with the consumer and job control given): reader.run(), or an
/// engine job built on it (a Converter).
using Runner = std::function<ReadSummary(RecordReader&, const JobControl&, const BatchConsumer&)>;

/// Reads one input on the pipeline with a progress line: `deliver` sees batches in input order.
/// Returns 1 when records were skipped, repaired or in error, else 0.
int read_input(const Options& options, RecordReader& reader, const Runner& runner,
               const std::function<bool(Batch&)>& deliver) {
  int status = kFine;
  ProgressLine progress(options.quiet);
  JobControl control;
  control.progress = progress.callback(display_name(reader.name()));
  control.stop = interrupt_source().get_token();
  try {
    const ReadSummary summary = runner(reader, control, [&](Batch& batch) {
      if (has_problem(batch)) status = kProblems;
      progress.clear();
      return deliver(batch);
    });
    if (interrupt_source().stop_requested()) {
      progress.clear();
      throw Interrupted{};
    }
    if (summary.stopped) status = kProblems;
    if (!summary.not_marc.empty())
      throw CannotRun{"not MARC: '" + display_name(reader.name()) + "' holds no MARC record: " + summary.not_marc};
  } catch (const IoError& e) {
    throw CannotRun{e.what()};
  } catch (const std::invalid_argument& e) {
    throw CannotRun{e.what()};
  }
  return status;
}

/// The same with `transform` run on each batch in the parallel stage.
int read_input(const Options& options, RecordReader& reader, const BatchTransform& transform,
               const std::function<bool(Batch&)>& deliver) {
  return read_input(
      options, reader,
      [&](RecordReader& r, const JobControl& control, const BatchConsumer& consume) {
        return r.run(consume, transform, control);
      },
      deliver);
}

}  // namespace

void install_interrupt_handling() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  if (pthread_sigmask(SIG_BLOCK, &signals, nullptr) != 0) return;  // the default action, then
  std::thread([signals] {
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      // A second signal: the job did not stop: end now.
      if (g_signal.exchange(sig) != 0) _exit(128 + sig);
      interrupt_source().request_stop();
      // A job stops within a few tens of milliseconds (opening a pipe too: open_inputs()), and
      // the command then only removes its partial files. Should one not have ended a while
      // after the stop (a FIFO whose writer never opened it waits in open(2)), it ends here.
      std::thread([sig] {
        std::this_thread::sleep_for(std::chrono::seconds(3));
        _exit(128 + sig);
      }).detach();
    }
  }).detach();
}

int run_count(const Options& options) {
  return guarded([&] {
    auto inputs = open_inputs(options, false, {}, true);
    int status = kFine;
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (!inputs[i]) {  // said when opened; the others are counted
        status = kCannotRun;
        continue;
      }
      const std::string name = display_name(options.files[i]);
      StderrDiagnostics diags(options.quiet, name);
      std::uint64_t n = 0;
      try {
        status = std::max(status, read_input(options, *inputs[i], BatchTransform{}, [&](Batch& batch) {
                            for (const auto& d : batch.diagnostics) diags.add(d);
                            n += batch.records.size();
                            return true;
                          }));
      } catch (const CannotRun& e) {  // not MARC after all, or unreadable: the others are counted
        diags.finish();
        cannot_read(e.message);
        status = kCannotRun;
        continue;
      }
      diags.finish();
      total += n;
      if (options.files.size() == 1) std::printf("%llu\n", static_cast<unsigned long long>(n));
      else std::printf("%llu\t%s\n", static_cast<unsigned long long>(n), options.files[i].c_str());
      std::fflush(stdout);
    }
    if (options.files.size() > 1) std::printf("%llu\ttotal\n", static_cast<unsigned long long>(total));
    return status;
  });
}

namespace {

/// dump and convert: encode every record in the parallel stage (in order where the format needs
/// it), write in order.
int write_records(const Options& options, Format format, const std::string& output_path) {
  auto inputs = open_inputs(options, true, [format](ReadOptions& read) { Converter::prepare_reading(read, format); });
  if (!output_path.empty() && output_path != "-") {
    struct stat out_st {};
    if (::stat(output_path.c_str(), &out_st) == 0) {
      for (const auto& path : options.files) {
        struct stat in_st {};
        if (path != "-" && ::stat(path.c_str(), &in_st) == 0 && in_st.st_dev == out_st.st_dev && in_st.st_ino == out_st.st_ino)
          throw CannotRun{"'" + output_path + "' is also an input; write to another file"};
      }
    }
  }
  WriterOptions wopts;
  wopts.crlf = options.crlf;
  wopts.pretty = options.pretty;
  wopts.columns = options.columns;
  if (options.tsv) wopts.csv_separator = '\t';
  OutputFile out(output_path);
  std::unique_ptr<Converter> converter;
  try {
    converter = std::make_unique<Converter>(format, wopts, out);
  } catch (const std::invalid_argument& e) {
    throw CannotRun{e.what()};
  }
  const auto range = options.records;
  if (range) converter->set_range(range->first, range->last);
  int status = kFine;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const std::string name = display_name(options.files[i]);
    StderrDiagnostics diags(options.quiet, name);
    const Runner convert = [&](RecordReader& reader, const JobControl& control, const BatchConsumer& deliver) {
      return converter->add(reader, control, deliver);
    };
    status = std::max(status, read_input(options, *inputs[i], convert, [&](Batch& batch) {
                        for (const auto& d : batch.diagnostics) {
                          if (range && d.record != 0 && !range->contains(d.record)) continue;
                          diags.add(d);
                          if (d.severity >= Severity::Error) status = kProblems;
                        }
                        return true;
                      }));
    diags.finish();
  }
  converter->finish();
  return status;
}

}  // namespace

int run_stats(const Options& options) {
  return guarded([&] {
    auto inputs = open_inputs(options, true, {}, true);
    OutputFile out("-");
    int status = kFine;
    bool first = true;  // the CSV header comes with the first file reported
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (!inputs[i]) {  // said when opened; the others are reported
        status = kCannotRun;
        continue;
      }
      const std::string name = display_name(options.files[i]);
      StderrDiagnostics diags(options.quiet, name);
      ProgressLine progress(options.quiet);
      JobControl control;
      control.progress = progress.callback(name);
      control.stop = interrupt_source().get_token();
      Statistics stats;
      std::string not_marc;
      try {
        stats = collect_statistics(*inputs[i], control, [&](Batch& batch) {
          progress.clear();
          if (has_problem(batch)) status = kProblems;
          for (const auto& d : batch.diagnostics) {
            diags.add(d);
            if (d.code == Code::NotMarc && not_marc.empty()) not_marc = d.message;
          }
          return true;
        });
      } catch (const IoError& e) {
        not_marc.clear();
        progress.clear();
        diags.finish();
        cannot_read(e.what());
        status = kCannotRun;
        continue;
      }
      if (interrupt_source().stop_requested()) {
        progress.clear();
        throw Interrupted{};
      }
      if (stats.records() == 0 && stats.skipped() == 0 && !not_marc.empty()) {
        progress.clear();
        diags.finish();
        cannot_read("not MARC: '" + name + "' holds no MARC record: " + not_marc);
        status = kCannotRun;
        continue;
      }
      progress.clear();
      diags.finish();
      if (options.report_format == "json") out.write(stats.to_json(name));
      else if (options.report_format == "csv") out.write(stats.to_csv(name, first));
      else out.write(stats.to_text(name) + (i + 1 < inputs.size() ? "\n" : ""));
      first = false;
    }
    out.commit();
    return status;
  });
}

int run_dump(const Options& options) {
  return guarded([&] { return write_records(options, Format::Mrk, "-"); });
}

int run_convert(const Options& options) {
  return guarded([&] {
    Format to = Format::Iso2709;
    if (options.to) {
      to = *options.to;
    } else if (const auto dot = options.output.rfind('.'); dot != std::string::npos && options.output != "-") {
      Format by_ext;
      if (parse_format_name(options.output.substr(dot + 1), by_ext)) to = by_ext;
    }
    Options o = options;
    if (!options.to && options.output.size() > 4 && options.output.ends_with(".tsv")) o.tsv = true;
    return write_records(o, to, options.output);
  });
}

namespace {

std::unique_ptr<Validator> make_validator(const Options& options) {
  if (!options.rules) return nullptr;
  try {
    ValidatorOptions vo = options.validator.options();
    if (options.schema.empty()) return std::make_unique<Validator>(vo);
    auto schema = std::make_shared<const Schema>(Schema::load(options.schema));
    return std::make_unique<Validator>(schema, vo);
  } catch (const std::exception& e) {
    throw CannotRun{e.what()};
  }
}

}  // namespace

int run_validate(const Options& options) {
  return guarded([&] {
    const auto validator = make_validator(options);
    auto inputs = open_inputs(options, true, read_for_validation, true);
    std::unique_ptr<OutputFile> good, bad;
    if (!options.split_good.empty()) {
      good = std::make_unique<OutputFile>(options.split_good);
      bad = std::make_unique<OutputFile>(options.split_bad);
    }
    OutputFile out("-");
    const std::string& fmt = options.report_format;
    if (fmt == "csv") out.write(csv_header());
    std::vector<FileReport> reports;
    bool any = false;
    int status = kFine;
    std::uint64_t unwritable = 0;
    bool split_failed = false;  // a record could not be written to either split file
    ReportOptions ropts;
    ropts.max_examples = options.examples;
    // Text and CSV show every finding; JSON and HTML only the report's examples, so only those
    // need their messages (one demand per input: each report keeps its own examples).
    const bool every_message = fmt == "text" || fmt == "csv";
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (!inputs[i]) {  // said when opened; the others are validated
        status = kCannotRun;
        continue;
      }
      const std::string name = display_name(options.files[i]);
      const bool iso = inputs[i]->format() == Format::Iso2709 || inputs[i]->format() == Format::Iso2709Marc8;
      FileReport report;
      report.file = name;
      MessageDemand demand;
      ropts.demand = every_message ? nullptr : &demand;
      BatchTransform check;
      if (validator) check = [&](Batch& batch) { validate_batch(*validator, batch, ropts.demand); };
      std::map<std::pair<Code, std::string>, std::size_t> shown;
      std::string text;
      std::vector<char> troubled;
      auto each = [&](const Finding& f) {
        if (f.diagnostic.severity >= Severity::Warning || f.diagnostic.code == Code::RecordRepaired) any = true;
        if (options.max_shown && shown[{f.diagnostic.code, f.diagnostic.rule}]++ >= options.max_shown) return;
        if (fmt == "text") text += format_finding_text(name, f);
        else if (fmt == "csv") text += format_finding_csv(name, f);
      };
      try {
      status = std::max(status, read_input(options, *inputs[i], check, [&](Batch& batch) {
                          text.clear();
                          // JSON and HTML print no finding: findings the report only counts are
                          // not made into Findings (whether any is a problem is read below).
                          if (every_message) report.add_batch(batch, ropts, each, &troubled);
                          else report.add_batch(batch, ropts, {}, &troubled);
                          if (good) {
                            for (std::size_t k = 0; k < batch.records.size(); ++k) {
                              const auto& r = batch.records[k];
                              // ISO 2709 input keeps its exact bytes; other formats are written as ISO 2709.
                              std::string bytes;
                              if (iso && !r.bytes.empty()) {
                                bytes.assign(r.bytes);
                              } else {
                                try {
                                  write_iso2709(r.record, bytes);
                                } catch (const std::exception& e) {
                                  // In neither file: said, by record, and the run ends with 1.
                                  std::fflush(stdout);
                                  std::fprintf(stderr,
                                               "marcscope: %s: record %llu at byte %llu is in neither '%s' nor '%s': "
                                               "it cannot be written as ISO 2709 (%s)\n",
                                               name.c_str(), static_cast<unsigned long long>(r.number),
                                               static_cast<unsigned long long>(r.offset), options.split_good.c_str(),
                                               options.split_bad.c_str(), e.what());
                                  split_failed = true;
                                  continue;
                                }
                              }
                              (troubled[k] ? bad : good)->write(bytes);
                            }
                            for (const auto& s : batch.skipped) {
                              if (s.bytes.empty()) ++unwritable;
                              else bad->write(s.bytes);
                            }
                          }
                          out.write(text);
                          return true;
                        }));
      } catch (const CannotRun& e) {  // not MARC after all, or unreadable: the others are validated
        cannot_read(e.message);
        status = kCannotRun;
        continue;
      }
      if (!every_message)  // `each` says it finding by finding for text and CSV
        for (const auto& [kind, n] : report.by_finding)
          if (std::get<2>(kind) >= Severity::Warning || std::get<0>(kind) == code_name(Code::RecordRepaired)) any = true;
      if (fmt == "text") out.write(text_summary(report) + (i + 1 < inputs.size() ? "\n" : ""));
      reports.push_back(std::move(report));
    }
    if (fmt == "json") out.write(json_report(reports));
    else if (fmt == "html") out.write(html_report(reports));
    out.commit();
    if (good) {
      good->commit();
      bad->commit();
      if (unwritable)
        std::fprintf(stderr, "marcscope: %llu unreadable record%s could not be written to '%s' (not ISO 2709 input)\n",
                     static_cast<unsigned long long>(unwritable), unwritable == 1 ? "" : "s", options.split_bad.c_str());
    }
    return any || split_failed ? std::max<int>(status, kProblems) : status;
  });
}

}  // namespace marcscope::cli
