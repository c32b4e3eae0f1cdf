// Validation from Python: a whole input on the pipeline (validate_all, the GIL released for the
// whole run) or Python Records one by one (Validator::validate).
//
// GIL: released for validate_path; held for validate_records, which must read Python objects.

#include <map>
#include <set>

#include "bindings.h"
#include "marcscope/core/executor.h"
#include "marcscope/read/record_reader.h"
#include "marcscope/validate/validation.h"
#include "marcscope/validate/validator.h"
#include "py_types.h"

namespace marcscope::python {

namespace {

Severity severity_from(const std::string& name) {
  for (Severity s : {Severity::Info, Severity::Warning, Severity::Error, Severity::Fatal})
    if (severity_name(s) == name) return s;
  throw py::value_error("severity must be info, warning, error or fatal, not '" + name + "'");
}

std::unique_ptr<Validator> make_validator(bool rules, const std::vector<std::string>& disabled,
                                          const std::map<std::string, std::string>& severities) {
  if (!rules) return nullptr;
  ValidatorOptions options;
  for (const auto& r : disabled) options.disabled_rules.insert(r);
  for (const auto& [rule, sev] : severities) options.severity_overrides[rule] = severity_from(sev);
  return std::make_unique<Validator>(options);
}

py::object finding_tuple(const Finding& f) {
  return py::make_tuple(py::reinterpret_steal<py::object>(make_diagnostic(f.diagnostic)),
                        f.control_number.empty() ? py::object(py::none()) : py::object(py::str(f.control_number)));
}

}  // namespace

void bind_validate(py::module_& m) {
  m.def(
      "validate_path",
      [](const std::string& path, bool rules, const std::string& mode, std::optional<unsigned> threads,
         const std::vector<std::string>& disabled, const std::map<std::string, std::string>& severities) {
        ReadOptions options;
        if (!parse_read_mode(mode, options.mode)) throw py::value_error("mode must be 'strict', 'permissive' or 'recover'");
        engine_threads_needed();  // fork(): see bindings.h
        if (threads && *threads > 0) {
          options.threads = *threads;
        } else {
          options.executor = process_executor();
        }
        auto validator = make_validator(rules, disabled, severities);
        std::vector<Finding> findings;
        FileReport report;
        {
          py::gil_scoped_release nogil;
          auto reader = RecordReader::open(path, options);
          report = validate_all(*reader, validator.get(), {}, {}, [&](const Finding& f) { findings.push_back(f); });
        }
        py::list out;
        for (const Finding& f : findings) out.append(finding_tuple(f));
        py::dict counts;
        counts["records"] = report.records;
        counts["clean"] = report.clean;
        counts["skipped"] = report.skipped;
        counts["repaired"] = report.repaired;
        counts["stopped"] = report.stopped;
        counts["summary"] = text_summary(report);
        counts["rules"] = report.rules;
        return py::make_tuple(counts, out);
      },
      py::arg("path"), py::arg("rules") = true, py::arg("mode") = "permissive", py::arg("threads") = py::none(),
      py::arg("disabled_rules") = std::vector<std::string>{},
      py::arg("severities") = std::map<std::string, std::string>{},
      "Validates a file on the pipeline: (counts, [(Diagnostic, control number)]).");

  m.def(
      "validate_records",
      [](py::iterable records, bool rules, const std::vector<std::string>& disabled,
         const std::map<std::string, std::string>& severities) {
        auto validator = make_validator(rules, disabled, severities);
        py::list out;
        std::uint64_t index = 0;
        for (py::handle rec : records) {
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
          for (const Diagnostic& d : diags) out.append(finding_tuple(Finding{d, f001 ? f001->value() : std::string()}));
        }
        return out;
      },
      py::arg("records"), py::arg("rules") = true, py::arg("disabled_rules") = std::vector<std::string>{},
      py::arg("severities") = std::map<std::string, std::string>{},
      "Validates Python Records: [(Diagnostic, control number)] (reading diagnostics of records read from a file too).");

  m.def("rule_ids", [] {
    py::list out;
    for (auto id : Validator::rule_ids()) out.append(py::str(std::string(id)));
    return out;
  });
}

}  // namespace marcscope::python
