#include "marcscope/write/converter.h"

#include <stdexcept>

#include "marcscope/iso2709/record_view.h"

namespace marcscope {

void write_delivered(const RecordWriter& writer, const BatchRecord& rec, const ReadOptions& read, RecordView& view,
                     std::string& out, Diagnostics& diags) {
  if (!rec.as_is) {
    writer.write(rec.record, rec.number, rec.offset, out, diags);
    return;
  }
  const RecordView& v = rec.view_of(view, read.mode);
  if (writer.write_view(v, rec.number, rec.offset, out, diags)) return;
  // No view path for this record: decoded here, as the reader would have.
  Diagnostics none;  // a record delivered as it is decodes with no diagnostic
  writer.write(Record::from_view(v, read.decode, none), rec.number, rec.offset, out, diags);
}

Converter::Converter(Format format, const WriterOptions& options, OutputFile& out)
    : format_(format), writer_(make_writer(format, options)), out_(out) {}

Converter::~Converter() = default;

void Converter::set_range(std::uint64_t first, std::uint64_t last) { range_ = std::make_pair(first, last); }

bool Converter::writes_views(Format format, const WriterOptions& options) {
  try {
    return make_writer(format, options)->writes_views();
  } catch (const std::invalid_argument&) {
    return false;  // no writer: nothing to write either way
  }
}

bool Converter::takes_iso2709_forms(Format format) {
  // ISO 2709 copies the form; MARCXML and MARC-in-JSON write a MARC-8 record's form from its
  // view, field by field, where the model would be built and then walked (measured:
  // docs/BENCHMARKS-formats.md).
  const bool gains = format == Format::Iso2709 || format == Format::MarcXml || format == Format::Json ||
                     format == Format::NdJson;
  return gains && writes_views(format);
}

void Converter::prepare_reading(ReadOptions& read, Format format, const WriterOptions& options) {
  read.skip_as_is = writes_views(format, options);
  read.iso2709_forms = read.skip_as_is && takes_iso2709_forms(format);
  read.marcxml_forms = format == Format::Iso2709;  // their leaders are the ISO 2709 writer's
}

void Converter::encode(Batch& batch, const ReadOptions& read) const {
  // One allocation for the batch's output instead of a doubling series (MARCXML is about 2.5
  // times the ISO 2709 size; a record from another format counts as 1.5 KB).
  std::size_t estimate = 0;
  for (const auto& rec : batch.records) estimate += rec.bytes.empty() ? 1536 : rec.bytes.size();
  batch.output.reserve(batch.output.size() + estimate * 5 / 2);
  RecordView view;
  for (const auto& rec : batch.records) {
    if (range_ && (rec.number < range_->first || rec.number > range_->second)) continue;
    write_delivered(*writer_, rec, read, view, batch.output, batch.diagnostics);
  }
}

ReadSummary Converter::add(RecordReader& reader, const JobControl& control, const BatchConsumer& also) {
  if (!begun_) {
    std::string frame;
    writer_->begin(frame);
    out_.write(frame);
    begun_ = true;
  }
  const bool ordered = format_ == Format::Json;
  const ReadOptions& read = reader.options();
  return reader.run(
      [&](Batch& batch) {
        if (ordered) encode(batch, read);
        out_.write(batch.output);
        out_.flush_if_stream();  // a reader at the other end of a pipe gets each batch as it is made
        const bool more = also ? also(batch) : true;
        // Past the last wanted record: stop reading.
        return more && !(range_ && batch.records_seen >= range_->second);
      },
      ordered ? BatchTransform{} : BatchTransform([this, &read](Batch& batch) { encode(batch, read); }), control);
}

void Converter::finish() {
  std::string frame;
  if (!begun_) writer_->begin(frame);
  writer_->end(frame);
  out_.write(frame);
  out_.commit();
}

}  // namespace marcscope
