// Writing from Python: the engine's writers for every format (records written one by one from
// Python Records), whole-file conversion on the pipeline, and MARC-8 to Unicode.
//
// GIL: EngineWriter holds it (each call turns one Python Record into an engine record, which
// needs it); convert() runs on a thread of its own and the caller waits without it, taking it
// back only for the progress callback and signal handlers (job.h);
// marc8_to_utf8 releases it around the conversion of long values only.

#include "bindings.h"
#include "job.h"
#include "marcscope/charset/marc8.h"
#include "marcscope/core/executor.h"
#include "marcscope/formats/record_stream.h"
#include "marcscope/io/mapped_file.h"
#include "marcscope/io/byte_source.h"
#include "marcscope/read/record_reader.h"
#include "marcscope/write/converter.h"
#include "py_types.h"

namespace marcscope::python {

namespace {

Format format_from(const std::string& name) {
  Format f;
  if (!parse_format_name(name, f)) throw py::value_error("unknown format '" + name + "'");
  return f;
}

WriterOptions writer_options(bool pretty, bool crlf, const std::vector<std::string>& columns, const std::string& sep) {
  WriterOptions o;
  o.pretty = pretty;
  o.crlf = crlf;
  o.columns = columns;
  if (sep.size() != 1) throw py::value_error("csv_separator is one character");
  o.csv_separator = sep[0];
  return o;
}

/// One of the engine's writers, fed Python Records.
class EngineWriter {
 public:
  EngineWriter(const std::string& format, const WriterOptions& options)
      : format_(format_from(format)), writer_(make_writer(format_, options)) {
    if (!writer_) throw py::value_error("no writer for format '" + format + "'");
  }
  py::bytes begin() {
    std::string out;
    writer_->begin(out);
    return py::bytes(out);
  }
  py::bytes write(py::handle record) {
    Record r;
    record_to_engine(record.ptr(), r);
    std::string out;
    writer_->write(r, ++written_, 0, out, diagnostics_);
    return py::bytes(out);
  }
  py::bytes end() {
    std::string out;
    writer_->end(out);
    return py::bytes(out);
  }
  py::list diagnostics() const {
    py::list out;
    for (const Diagnostic& d : diagnostics_) out.append(py::reinterpret_steal<py::object>(make_diagnostic(d)));
    return out;
  }
  std::uint64_t written() const { return written_; }

 private:
  Format format_;
  std::unique_ptr<RecordWriter> writer_;
  std::uint64_t written_ = 0;
  Diagnostics diagnostics_;
};

/// Reads `source` on the pipeline and writes every record to `dest` in `format` through the
/// engine's Converter (written under a temporary name and renamed into place, so a failed
/// conversion never leaves half a file where a good one was).
py::dict convert(const std::string& source, const std::string& dest, const std::string& format, const std::string& mode,
                 std::optional<unsigned> threads, const WriterOptions& wopts, const py::object& progress,
                 double progress_interval) {
  ReadOptions options;
  if (!parse_read_mode(mode, options.mode)) throw py::value_error("mode must be 'strict', 'permissive' or 'recover'");
  choose_job_threads(options, threads);  // fork(): see bindings.h
  const Format out_format = format_from(format);
  // Records that need no change are written from their bytes, not decoded (as `marcscope convert`).
  Converter::prepare_reading(options, out_format, wopts);
  ReadSummary summary;
  Diagnostics diags;
  // On a thread of its own, this one waiting without the GIL: see job.h (progress, Ctrl-C). A
  // conversion stopped before its end leaves `dest` as it was (the output is never committed).
  const JobEnd end = run_job(
      [&](const JobControl& control, const JobFinishing& finishing) {
        // A pipe's idle writer does not hold up a stop (Ctrl-C) while the format is told.
        auto reader = RecordReader::open(open_source(source, {control.stop, {}}), options);
        OutputFile out(dest);
        Converter converter(out_format, wopts, out);
        summary = converter.add(*reader, control, [&](Batch& b) {
          diags.insert(diags.end(), b.diagnostics.begin(), b.diagnostics.end());
          return true;
        });
        // Committed only when not stopped first (finishing() decides, against the callback).
        if (!summary.cancelled && finishing()) converter.finish();
      },
      progress, progress_interval);
  py::list dl;
  for (const Diagnostic& d : diags) dl.append(py::reinterpret_steal<py::object>(make_diagnostic(d)));
  py::dict result;
  result["records"] = summary.delivered;
  result["skipped"] = summary.skipped;
  result["repaired"] = summary.repaired;
  result["stopped"] = summary.stopped;
  result["cancelled"] = end == JobEnd::Cancelled;
  result["diagnostics"] = dl;
  return result;
}

}  // namespace

void bind_write(py::module_& m) {
  py::class_<EngineWriter>(m, "EngineWriter", "One of the engine's writers (ISO 2709, MARC-8, MARCXML, JSON, NDJSON, .mrk, CSV).")
      .def(py::init([](const std::string& format, bool pretty, bool crlf, std::vector<std::string> columns,
                       const std::string& csv_separator) {
             return std::make_unique<EngineWriter>(format, writer_options(pretty, crlf, columns, csv_separator));
           }),
           py::arg("format"), py::arg("pretty") = false, py::arg("crlf") = false,
           py::arg("columns") = std::vector<std::string>{}, py::arg("csv_separator") = ",")
      .def("begin", &EngineWriter::begin, "What goes before the first record (XML declaration, '[', CSV header).")
      .def("write", &EngineWriter::write, py::arg("record"), "One record, encoded.")
      .def("end", &EngineWriter::end, "What goes after the last record.")
      .def_property_readonly("diagnostics", &EngineWriter::diagnostics)
      .def_property_readonly("written", &EngineWriter::written);

  m.def(
      "convert",
      [](const std::string& source, const std::string& dest, const std::string& format, const std::string& mode,
         std::optional<unsigned> threads, bool pretty, bool crlf, std::vector<std::string> columns,
         const std::string& csv_separator, const py::object& progress, double progress_interval) {
        return convert(source, dest, format, mode, threads, writer_options(pretty, crlf, columns, csv_separator),
                       progress, progress_interval);
      },
      py::arg("source"), py::arg("dest"), py::arg("format"), py::arg("mode") = "permissive",
      py::arg("threads") = py::none(), py::arg("pretty") = false, py::arg("crlf") = false,
      py::arg("columns") = std::vector<std::string>{}, py::arg("csv_separator") = ",", py::arg("progress") = py::none(),
      py::arg("progress_interval") = 0.2,
      "Converts a file to another format on the pipeline (the GIL released but for the progress callback). "
      "progress(records, bytes, total_bytes, seconds) every progress_interval seconds; returning False stops "
      "the job and leaves dest as it was.");

  m.def(
      "marc8_to_utf8",
      [](py::bytes data, bool space_for_unknown, bool nfc) {
        std::string_view in = data;
        std::string out;
        std::vector<Marc8Problem> problems;
        Marc8Options options;
        options.normalize_nfc = nfc;
        if (space_for_unknown) options.replacement = U' ';
        if (in.size() > 4096) {
          py::gil_scoped_release nogil;
          marc8_to_utf8(in, out, &problems, options);
        } else {
          marc8_to_utf8(in, out, &problems, options);
        }
        py::list details;
        for (const Marc8Problem& p : problems) details.append(py::make_tuple(p.offset, p.detail));
        return py::make_tuple(
            py::reinterpret_steal<py::str>(PyUnicode_DecodeUTF8(out.data(), static_cast<Py_ssize_t>(out.size()), "replace")),
            details);
      },
      py::arg("data"), py::arg("space_for_unknown") = true, py::arg("nfc") = true,
      "MARC-8 bytes to (str, [(offset, problem)]): every LoC character set, NFC, combining marks after their base.");
}

}  // namespace marcscope::python
