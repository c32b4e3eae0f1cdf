// Validation from Python: a whole input on the pipeline (validate_all, the GIL released for the
// whole run) or Python Records one by one (Validator::validate).
//
// GIL: released for validate_path (run_job: the calling thread waits for the engine's, taking the
// GIL back only to run the progress callback and signal handlers); held for validate_records,
// which must read Python objects (and runs signal handlers every few hundred records).

#include <map>

#include "bindings.h"
#include "job.h"
#include "marcscope/core/executor.h"
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

}  // namespace

void bind_validate(py::module_& m) {
  m.def(
      "validate_path",
      [](const std::string& path, bool rules, const std::string& mode, std::optional<unsigned> threads,
         const std::vector<std::string>& disabled, const std::map<std::string, std::string>& severities,
         const std::string& profile, const std::vector<std::string>& accepted_codes,
         const std::vector<std::string>& accepted_tags, const py::object& progress, double progress_interval,
         std::optional<std::size_t> max_findings) {
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
        // On a thread of its own, this one waiting without the GIL: see job.h (progress, Ctrl-C).
        const JobEnd end = run_job(
            [&](const JobControl& control, const JobFinishing& finishing) {
              auto reader = RecordReader::open(path, options);
              report = validate_all(*reader, validator.get(), {}, control, [&](const Finding& f) {
                if (!max_findings || findings.size() < *max_findings) findings.push_back(f);
                ++found;
              });
              finishing();  // nothing to make final: whether it was stopped first
            },
            progress, progress_interval);
        py::list out;
        for (const Finding& f : findings) out.append(finding_object(f));
        py::dict counts;
        counts["records"] = report.records;
        counts["clean"] = report.clean;
        counts["skipped"] = report.skipped;
        counts["repaired"] = report.repaired;
        counts["stopped"] = report.stopped;
        counts["cancelled"] = end == JobEnd::Cancelled;
        counts["truncated"] = found > findings.size();
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
      "Validates a file on the pipeline: (counts, [Finding]). progress(records, bytes, "
      "total_bytes, seconds) is called every progress_interval seconds; returning False stops the job.");

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
