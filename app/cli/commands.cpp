#include "commands.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

#include "marcscope/io/byte_source.h"
#include "marcscope/iso2709/iso2709_writer.h"
#include "marcscope/formats/mrk_writer.h"
#include "marcscope/read/pipeline.h"
#include "marcscope/read/stream_pipeline.h"
#include "marcscope/model/record.h"
#include "marcscope/formats/record_stream.h"
#include "marcscope/validate/validator.h"
#include "report.h"

namespace marcscope::cli {
namespace {

/// Raised when a command cannot run (unreadable input, non-MARC file, unwritable output).
struct CannotRun {
  std::string message;
};

std::string display_name(const std::string& path) { return path == "-" ? std::string("<stdin>") : path; }

/// Buffered output to a file or standard output. A file is written under a temporary name and
/// renamed into place by commit(), so a command that cannot run never destroys an existing file.
class Output {
 public:
  explicit Output(const std::string& path) {
    if (path.empty() || path == "-") {
      file_ = stdout;
      return;
    }
    path_ = path;
    temp_ = path + ".marcscope-partial";
    file_ = std::fopen(temp_.c_str(), "wb");
    if (file_ == nullptr) throw CannotRun{"cannot write '" + path + "': " + std::strerror(errno)};
  }
  ~Output() {
    if (!path_.empty() && file_ != nullptr) {
      std::fclose(file_);
      std::remove(temp_.c_str());
    }
  }
  void write(std::string_view bytes) {
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) fail();
  }
  void commit() {
    if (std::fflush(file_) != 0) fail();
    if (path_.empty()) return;
    if (std::fclose(file_) != 0) {
      file_ = nullptr;
      std::remove(temp_.c_str());
      throw CannotRun{"cannot write '" + path_ + "': " + std::strerror(errno)};
    }
    file_ = nullptr;
    if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
      std::remove(temp_.c_str());
      throw CannotRun{"cannot write '" + path_ + "': " + std::strerror(errno)};
    }
  }

 private:
  [[noreturn]] void fail() {
    throw CannotRun{"cannot write " + (path_.empty() ? std::string("standard output") : "'" + path_ + "'") + ": " +
                    std::strerror(errno)};
  }
  std::FILE* file_ = nullptr;
  std::string path_;
  std::string temp_;
};

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

struct Input {
  std::unique_ptr<ByteSource> source;
  Format format = Format::Iso2709;
};

/// Opens an input and works out its format before anything is written.
Input open_input(const std::string& path, const Options& options) {
  Input in;
  try {
    in.source = open_source(path);
    const std::string head = peek(in.source, 65536);
    in.format = options.from ? *options.from : detect_format(head, path == "-" ? std::string_view{} : path);
    const bool iso = in.format == Format::Iso2709 || in.format == Format::Iso2709Marc8;
    if (!options.from && !head.empty() && (in.format == Format::Unknown || (iso && !looks_like_iso2709(head)))) {
      std::string shown;
      for (unsigned char c : head.substr(0, 16)) shown += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '.';
      throw CannotRun{(path == "-" ? std::string("standard input") : "'" + path + "'") +
                      " is not a MARC file: not ISO 2709, MARCXML, MARC-in-JSON or MARCMaker text (it starts with \"" +
                      shown + "\")"};
    }
  } catch (const IoError& e) {
    throw CannotRun{e.what()};
  }
  return in;
}

std::vector<Input> open_inputs(const Options& options) {
  std::vector<Input> inputs;
  for (const auto& path : options.files) inputs.push_back(open_input(path, options));
  return inputs;
}

PipelineOptions pipeline_options(const Options& options, bool decode) {
  PipelineOptions p;
  p.read = options.read;
  p.threads = options.threads;
  p.decode = decode;
  return p;
}

bool has_problem(const Batch& batch) {
  return batch.skipped > 0 || batch.stopped ||
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
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "marcscope: %s\n", e.what());
    return kCannotRun;
  }
}

/// Reads one input: ISO 2709 through the parallel pipeline (`transform` runs in parallel on each
/// batch), other formats through their streaming readers in batches of the same shape.
/// `deliver` sees batches in input order. Returns 1 when records were skipped, repaired or in
/// error, else 0.
int read_input(const Options& options, Input input, const std::string& name, bool decode,
               const BatchTransform& transform, const std::function<bool(Batch&)>& deliver) {
  int status = kFine;
  ProgressLine progress(options.quiet);
  if (input.format == Format::Iso2709 || input.format == Format::Iso2709Marc8) {
    PipelineOptions popts = pipeline_options(options, decode);
    if (input.format == Format::Iso2709Marc8) popts.read.decode.encoding = EncodingChoice::ForceMarc8;
    Pipeline pipeline(std::move(input.source), popts, transform);
    try {
      pipeline.run(
          [&](Batch& batch) {
            if (has_problem(batch)) status = kProblems;
            progress.clear();
            return deliver(batch);
          },
          progress.callback(name));
    } catch (const IoError& e) {
      throw CannotRun{e.what()};
    }
    if (pipeline.stopped()) status = kProblems;
    return status;
  }
  StreamPipelineOptions sopts;
  sopts.read.mode = options.read.mode;
  sopts.threads = options.threads;
  try {
    const StreamPipelineResult result = run_stream_pipeline(
        input.format, std::move(input.source), sopts, transform,
        [&](Batch& batch) {
          if (has_problem(batch)) status = kProblems;
          progress.clear();
          return deliver(batch);
        },
        progress.callback(name));
    if (result.stopped) status = kProblems;
  } catch (const std::invalid_argument& e) {
    throw CannotRun{e.what()};
  } catch (const IoError& e) {
    throw CannotRun{e.what()};
  }
  return status;
}

}  // namespace

int run_count(const Options& options) {
  return guarded([&] {
    auto inputs = open_inputs(options);
    int status = kFine;
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const std::string name = display_name(options.files[i]);
      StderrDiagnostics diags(options.quiet, name);
      std::uint64_t n = 0;
      status = std::max(status, read_input(options, std::move(inputs[i]), name, false, {}, [&](Batch& batch) {
                          for (const auto& d : batch.diagnostics) diags.add(d);
                          n += batch.records.size();
                          return true;
                        }));
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
  auto inputs = open_inputs(options);
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
  std::unique_ptr<RecordWriter> writer;
  try {
    writer = make_writer(format, wopts);
  } catch (const std::invalid_argument& e) {
    throw CannotRun{e.what()};
  }
  Output out(output_path);
  const auto range = options.records;
  // A JSON array's commas depend on what was written before: encode it in order.
  const bool ordered = format == Format::Json;
  auto encode = [&](Batch& batch) {
    // One allocation for the batch's output instead of a doubling series (MARCXML is about 2.5
    // times the ISO 2709 size; a record from another format counts as 1.5 KB).
    std::size_t estimate = 0;
    for (const auto& rec : batch.records) estimate += rec.bytes.empty() ? 1536 : rec.bytes.size();
    batch.output.reserve(batch.output.size() + estimate * 5 / 2);
    for (auto& rec : batch.records) {
      if (range && !range->contains(rec.number)) continue;
      writer->write(rec.record, rec.number, rec.offset, batch.output, batch.diagnostics);
    }
  };
  std::string frame;
  writer->begin(frame);
  out.write(frame);
  int status = kFine;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const std::string name = display_name(options.files[i]);
    StderrDiagnostics diags(options.quiet, name);
    BatchTransform transform;
    if (!ordered) transform = encode;
    status = std::max(status, read_input(options, std::move(inputs[i]), name, true, transform, [&](Batch& batch) {
                        if (ordered) encode(batch);
                        for (const auto& d : batch.diagnostics) {
                          if (range && d.record != 0 && !range->contains(d.record)) continue;
                          diags.add(d);
                          if (d.severity >= Severity::Error) status = kProblems;
                        }
                        out.write(batch.output);
                        // Past the last wanted record: stop reading.
                        return !(range && batch.records_seen >= range->last);
                      }));
    diags.finish();
  }
  frame.clear();
  writer->end(frame);
  out.write(frame);
  out.commit();
  return status;
}

}  // namespace

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

bool parse_severity(std::string_view text, Severity& severity) {
  if (text == "info") severity = Severity::Info;
  else if (text == "warning") severity = Severity::Warning;
  else if (text == "error") severity = Severity::Error;
  else if (text == "fatal") severity = Severity::Fatal;
  else return false;
  return true;
}

std::unique_ptr<Validator> make_validator(const Options& options) {
  if (!options.rules) return nullptr;
  ValidatorOptions vo;
  vo.accept_local_tags = options.accept_local_tags;
  for (const auto& r : options.disabled_rules) vo.disabled_rules.insert(r);
  for (const auto& [rule, level] : options.severities) {
    Severity sev;
    if (!parse_severity(level, sev)) throw CannotRun{"--severity " + rule + "=" + level + ": the level must be info, warning, error or fatal"};
    vo.severity_overrides[rule] = sev;
  }
  try {
    if (options.schema.empty()) return std::make_unique<Validator>(vo);
    auto schema = std::make_shared<const Schema>(Schema::load(options.schema));
    return std::make_unique<Validator>(schema, vo);
  } catch (const std::exception& e) {
    throw CannotRun{e.what()};
  }
}

/// Puts the validator's findings for each record after that record's reading diagnostics.
Diagnostics merge_by_record(Diagnostics reading, Diagnostics& rules) {
  if (rules.empty()) return reading;
  Diagnostics merged;
  merged.reserve(reading.size() + rules.size());
  std::size_t r = 0;
  std::uint64_t key = 0;
  for (auto& d : reading) {
    key = d.record ? d.record : key;
    while (r < rules.size() && rules[r].record < key) merged.push_back(std::move(rules[r++]));
    merged.push_back(std::move(d));
  }
  while (r < rules.size()) merged.push_back(std::move(rules[r++]));
  return merged;
}

}  // namespace

int run_validate(const Options& options) {
  return guarded([&] {
    const auto validator = make_validator(options);
    auto inputs = open_inputs(options);
    std::unique_ptr<Output> good, bad;
    if (!options.split_good.empty()) {
      good = std::make_unique<Output>(options.split_good);
      bad = std::make_unique<Output>(options.split_bad);
    }
    Output out("-");
    const std::string& fmt = options.report_format;
    if (fmt == "csv") out.write(csv_header());
    std::vector<FileReport> reports;
    bool any = false;
    int status = kFine;
    std::uint64_t unwritable = 0;
    BatchTransform check;
    if (validator) {
      check = [&](Batch& batch) {
        Diagnostics rules;
        for (const auto& rec : batch.records) validator->validate(rec.record, rec.number, rec.offset, rules);
        batch.diagnostics = merge_by_record(std::move(batch.diagnostics), rules);
      };
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const std::string name = display_name(options.files[i]);
      const bool iso = inputs[i].format == Format::Iso2709 || inputs[i].format == Format::Iso2709Marc8;
      FileReport report;
      report.file = name;
      std::map<std::pair<Code, std::string>, std::size_t> shown;
      std::string text;
      status = std::max(status, read_input(options, std::move(inputs[i]), name, true, check, [&](Batch& batch) {
                          text.clear();
                          report.records += batch.records.size();
                          report.skipped += batch.skipped;
                          report.stopped = report.stopped || batch.stopped;
                          // This runs in the serial delivery stage, once per finding: no maps, and
                          // each diagnostic is moved (the batch is done with it), not copied.
                          // Records are in number order, so a finding's record is a binary search away.
                          auto index_of = [&](std::uint64_t number) -> std::size_t {
                            auto it = std::lower_bound(batch.records.begin(), batch.records.end(), number,
                                                       [](const BatchRecord& r, std::uint64_t n) { return r.number < n; });
                            return it != batch.records.end() && it->number == number
                                       ? static_cast<std::size_t>(it - batch.records.begin())
                                       : batch.records.size();
                          };
                          std::vector<char> troubled(batch.records.size(), 0);
                          for (auto& d : batch.diagnostics) {
                            const std::size_t k = index_of(d.record);
                            if (d.severity >= Severity::Warning || d.code == Code::RecordRepaired) {
                              if (k < troubled.size()) troubled[k] = 1;
                              any = true;
                            }
                            Finding f{std::move(d), {}};
                            if (k < batch.records.size())
                              if (const Field* cf = batch.records[k].record.first("001")) f.control_number = cf->value();
                            report.add(f, options.examples);
                            if (options.max_shown && shown[{f.diagnostic.code, f.diagnostic.rule}]++ >= options.max_shown) continue;
                            if (fmt == "text") text += format_finding_text(name, f);
                            else if (fmt == "csv") text += format_finding_csv(name, f);
                          }
                          for (std::size_t k = 0; k < batch.records.size(); ++k) {
                            const auto& r = batch.records[k];
                            if (r.repaired) ++report.repaired;
                            const bool is_bad = troubled[k] != 0;
                            if (!is_bad) ++report.clean;
                            if (good) {
                              // ISO 2709 input keeps its exact bytes; other formats are written as ISO 2709.
                              std::string bytes;
                              if (iso && !r.bytes.empty()) {
                                bytes.assign(r.bytes);
                              } else {
                                try {
                                  write_iso2709(r.record, bytes);
                                } catch (const std::exception&) {
                                  ++unwritable;
                                }
                              }
                              (is_bad ? bad : good)->write(bytes);
                            }
                          }
                          if (bad) {
                            for (const auto& [number, bytes] : batch.skipped_bytes) bad->write(bytes);
                            if (!iso) unwritable += batch.skipped;
                          }
                          out.write(text);
                          return true;
                        }));
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
    return any ? std::max<int>(status, kProblems) : status;
  });
}

}  // namespace marcscope::cli
