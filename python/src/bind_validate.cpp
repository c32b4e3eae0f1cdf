// Validation from Python: a whole input on the pipeline (validate_all, the GIL released for the
// whole run) or Python Records one by one (Validator::validate).
//
// GIL: released for validate_path (run_job: the calling thread waits for the engine's, taking the
// GIL back only to run the progress callback and signal handlers); held for validate_records,
// which must read Python objects (and runs signal handlers every few hundred records).

#include <condition_variable>
#include <map>
#include <mutex>
#include <stop_token>

#include "bindings.h"
#include "job.h"
#include "marcscope/core/executor.h"
#include "marcscope/io/byte_source.h"
#include "marcscope/read/record_reader.h"
#include "marcscope/validate/validation.h"
#include "marcscope/validate/validator.h"
#include "py_types.h"

namespace marcscope::python {

namespace {

/// What validate() is asked for: rules on or off, then the engine's settings by name.
std::unique_ptr<Validator> make_validator(bool rules, const std::string& profile, const std::vector<std::string>& disabled,
                                          const std::map<std::string, std::string>& severities,
                                          const std::vector<std::string>& accepted_codes,
                                          const std::vector<std::string>& accepted_tags) {
  if (!rules) return nullptr;
  ValidatorSettings s;
  s.profile = profile;
  s.disabled_rules = disabled;
  s.severities.assign(severities.begin(), severities.end());
  s.accepted_codes = accepted_codes;
  s.accepted_tags = accepted_tags;
  return std::make_unique<Validator>(s.options());  // std::invalid_argument -> ValueError
}

py::object finding_object(const Finding& f) {
  return py::reinterpret_steal<py::object>(make_finding(f.diagnostic, f.control_number));
}

/// Findings on their way from the job's delivering thread to the caller's `each`
/// (validate(path, each=)). At most kRoom wait: the job waits for room (or for a stop), so memory
/// stays bounded however many findings the input has.
class FindingQueue {
 public:
  static constexpr std::size_t kRoom = 4096;
  /// The caller is woken when this many are waiting (and at run_job's every wake-up anyway).
  static constexpr std::size_t kWakeAt = 1024;

  explicit FindingQueue(JobStream& stream) : stream_(stream) {}

  /// On the job's thread. Dropped when the job is asked to stop while it waits for room.
  void push(const Finding& f, const std::stop_token& stop) {
    bool wake = false;
    {
      std::unique_lock lock(mutex_);
      if (!room_.wait(lock, stop, [&] { return waiting_.size() < kRoom; })) return;
      waiting_.push_back(f);
      wake = waiting_.size() == kWakeAt;
    }
    if (wake) stream_.wake();
  }

  /// On the calling thread: what is waiting, in order (the job may go on at once).
  std::vector<Finding> take() {
    std::vector<Finding> out;
    {
      std::lock_guard lock(mutex_);
      out.swap(waiting_);
    }
    room_.notify_all();
    return out;
  }

 private:
  JobStream& stream_;
  std::mutex mutex_;
  std::condition_variable_any room_;
  std::vector<Finding> waiting_;
};

}  // namespace

void bind_validate(py::module_& m) {
  m.def(
      "validate_path",
      [](const std::string& path, bool rules, const std::string& mode, std::optional<unsigned> threads,
         const std::vector<std::string>& disabled, const std::map<std::string, std::string>& severities,
         const std::string& profile, const std::vector<std::string>& accepted_codes,
         const std::vector<std::string>& accepted_tags, const py::object& progress, double progress_interval,
         std::optional<std::size_t> max_findings, const py::object& each) {
        ReadOptions options;
        if (!parse_read_mode(mode, options.mode)) throw py::value_error("mode must be 'strict', 'permissive' or 'recover'");
        choose_job_threads(options, threads);  // fork(): see bindings.h
        read_for_validation(options);
        auto validator = make_validator(rules, profile, disabled, severities, accepted_codes, accepted_tags);
        // The findings handed over as objects: all of them, or the first max_findings (memory then
        // stays bounded on inputs with millions of findings; the counts below are complete).
        std::vector<Finding> findings;
        std::uint64_t found = 0;
        FileReport report;
        // With `each`, the findings go to it as the job runs (the kept ones are the objects
        // `each` was given): only a queue's worth is ever held.
        py::list out;
        JobStream stream;
        FindingQueue queue(stream);
        if (!each.is_none())
          stream.drain = [&] {
            for (const Finding& f : queue.take()) {
              py::object o = finding_object(f);
              if (!max_findings || out.size() < *max_findings) out.append(o);
              each(o);  // an exception: py::error_already_set, and run_job stops the job
            }
          };
        // On a thread of its own, this one waiting without the GIL: see job.h (progress, Ctrl-C).
        const JobEnd end = run_job(
            [&](const JobControl& control, const JobFinishing& finishing) {
              // A pipe's idle writer does not hold up a stop (Ctrl-C) while the format is told.
              auto reader = RecordReader::open(open_source(path, {control.stop, {}}), options);
              report = validate_all(*reader, validator.get(), {}, control, [&](const Finding& f) {
                ++found;
                if (stream.drain) queue.push(f, control.stop);
                else if (!max_findings || findings.size() < *max_findings) findings.push_back(f);
              });
              finishing();  // nothing to make final: whether it was stopped first
            },
            progress, progress_interval, &stream);
        for (const Finding& f : findings) out.append(finding_object(f));
        py::dict counts;
        counts["records"] = report.records;
        counts["clean"] = report.clean;
        counts["skipped"] = report.skipped;
        counts["repaired"] = report.repaired;
        counts["stopped"] = report.stopped;
        counts["cancelled"] = end == JobEnd::Cancelled;
        counts["truncated"] = found > out.size();
        // Every finding counted by (code, rule or None, severity), kept or not.
        py::dict kinds;
        for (const auto& [key, n] : report.by_finding) {
          const auto& [code, rule, severity] = key;
          kinds[py::make_tuple(code, rule.empty() ? py::object(py::none()) : py::object(py::str(rule)),
                               std::string(severity_name(severity)))] = n;
        }
        counts["counts"] = kinds;
        counts["summary"] = text_summary(report);
        counts["rules"] = report.rules;
        return py::make_tuple(counts, out);
      },
      py::arg("path"), py::arg("rules") = true, py::arg("mode") = "permissive", py::arg("threads") = py::none(),
      py::arg("disabled_rules") = std::vector<std::string>{},
      py::arg("severities") = std::map<std::string, std::string>{}, py::arg("profile") = "marc21",
      py::arg("accepted_codes") = std::vector<std::string>{}, py::arg("accepted_tags") = std::vector<std::string>{},
      py::arg("progress") = py::none(), py::arg("progress_interval") = 0.2, py::arg("max_findings") = py::none(),
      py::arg("each") = py::none(),
      "Validates a file on the pipeline: (counts, [Finding]). progress(records, bytes, "
      "total_bytes, seconds) is called every progress_interval seconds; returning False stops the job. "
      "each(finding), when given, is called with every finding in order as the job runs (the list "
      "then holds the first max_findings of them: marcscope.validate() passes 0 unless told).");

  m.def(
      "validate_records",
      [](py::iterable records, bool rules, const std::vector<std::string>& disabled,
         const std::map<std::string, std::string>& severities, const std::string& profile,
         const std::vector<std::string>& accepted_codes, const std::vector<std::string>& accepted_tags,
         const py::object& progress, double progress_interval) {
        auto validator = make_validator(rules, profile, disabled, severities, accepted_codes, accepted_tags);
        ProgressTicker ticker(progress, progress_interval);
        py::list out;
        std::uint64_t index = 0;
        bool cancelled = false;
        for (py::handle rec : records) {
          if (!ticker.tick()) {
            cancelled = true;
            break;
          }
          ++index;
          if (rec.is_none()) continue;
          Record r;
          record_to_engine(rec.ptr(), r);
          NativeRecord* native = native_of(rec.ptr());
          const std::uint64_t number = native && native->number ? native->number : index;
          const std::uint64_t offset = native ? native->offset : 0;
          Diagnostics diags;
          if (native) diags = native->diagnostics;
          if (validator) validator->validate(r, number, offset, diags);
          const Field* f001 = r.first("001");
          for (const Diagnostic& d : diags) out.append(finding_object(Finding{d, f001 ? f001->value() : std::string()}));
        }
        if (!cancelled) ticker.finish();
        return py::make_tuple(out, index, cancelled);
      },
      py::arg("records"), py::arg("rules") = true, py::arg("disabled_rules") = std::vector<std::string>{},
      py::arg("severities") = std::map<std::string, std::string>{}, py::arg("profile") = "marc21",
      py::arg("accepted_codes") = std::vector<std::string>{}, py::arg("accepted_tags") = std::vector<std::string>{},
      py::arg("progress") = py::none(), py::arg("progress_interval") = 0.2,
      "Validates Python Records: ([Finding], items looked at, cancelled) (reading diagnostics "
      "of records read from a file too). progress as validate_path's (bytes 0); returning False stops.");

  m.def("profiles", [] {
    py::list out;
    for (const auto& p : validator_profiles())
      out.append(py::make_tuple(py::str(std::string(p.name)), py::str(std::string(p.description))));
    return out;
  });

  m.def("rule_ids", [] {
    py::list out;
    for (auto id : Validator::rule_ids()) out.append(py::str(std::string(id)));
    return out;
  });
}

}  // namespace marcscope::python
