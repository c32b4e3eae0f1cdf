#pragma once
// Shared by the fuzz targets of the serial readers other than ISO 2709 (MARCXML, MARC-in-JSON and
// NDJSON, MARCMaker): the bytes are read in Strict, Permissive and Recover mode, and every
// delivered record is written in every text format and as ISO 2709. Besides crashes and sanitizer
// reports, the target aborts when:
//   - reading makes no progress (more records than input bytes, plus one);
//   - records_seen() goes backwards or falls behind the records delivered, or last_offset() /
//     last_end() lie outside the input or out of order;
//   - a Strict read goes on after it stopped;
//   - a delivered record has a leader that is not 24 bytes, or a tag, value or subfield value
//     that is not UTF-8 ("every output is valid UTF-8");
//   - a diagnostic's offset lies outside the input, or its message or tag is not UTF-8;
//   - a writer throws, or writes MARCXML, JSON or MARCMaker text that is not UTF-8.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "marcscope/charset/utf8.h"
#include "marcscope/core/diagnostic.h"
#include "marcscope/formats/record_stream.h"
#include "marcscope/io/byte_source.h"

namespace marcscope::fuzz {

inline void check_record(const Record& rec) {
  FUZZ_CHECK(rec.leader().size() == 24, "a delivered record's leader is not 24 bytes");
  for (const auto& f : rec.fields()) {
    FUZZ_CHECK(is_valid_utf8(f.tag()), "a delivered field's tag is not UTF-8");
    if (f.is_control()) {
      FUZZ_CHECK(is_valid_utf8(f.value()), "a delivered control field is not UTF-8");
      continue;
    }
    FUZZ_CHECK(is_valid_utf8(f.leading_data()), "a delivered field's bytes before its first subfield are not UTF-8");
    for (const auto& s : f.subfields()) FUZZ_CHECK(is_valid_utf8(s.value), "a delivered subfield value is not UTF-8");
  }
}

inline void check_diagnostics(const Diagnostics& diags, std::size_t from, std::size_t input_size) {
  for (std::size_t i = from; i < diags.size(); ++i) {
    const Diagnostic& d = diags[i];
    FUZZ_CHECK(d.offset <= input_size, "a diagnostic's offset lies outside the input");
    FUZZ_CHECK(is_valid_utf8(d.message), "a diagnostic's message is not UTF-8");
    FUZZ_CHECK(is_valid_utf8(d.tag), "a diagnostic's tag is not UTF-8");
    FUZZ_CHECK(is_valid_utf8(d.to_string()), "Diagnostic::to_string is not UTF-8");
  }
}

inline void write_everywhere(const Record& rec, std::uint64_t number, std::uint64_t offset) {
  for (const Format f : {Format::MarcXml, Format::Json, Format::NdJson, Format::Mrk, Format::Iso2709, Format::Iso2709Marc8}) {
    const auto writer = make_writer(f);
    std::string out;
    Diagnostics diags;
    writer->begin(out);
    writer->write(rec, number, offset, out, diags);
    writer->end(out);
    if (f != Format::Iso2709 && f != Format::Iso2709Marc8)
      FUZZ_CHECK(is_valid_utf8(out), "a text writer wrote something that is not UTF-8");
    check_diagnostics(diags, 0, ~std::size_t(0));
  }
}

/// Reads `input` as `format` in every mode, checking the invariants above.
inline void read_all_modes(Format format, std::string_view input) {
  for (const ReadMode mode : {ReadMode::Strict, ReadMode::Permissive, ReadMode::Recover}) {
    ReadOptions options;
    options.mode = mode;
    options.format = format;
    auto stream = open_record_stream(format, make_memory_source(std::string(input)), options);
    Record rec;
    Diagnostics diags;
    std::uint64_t delivered = 0, seen = 0, last_offset = 0;
    std::size_t checked = 0;
    while (stream->next(rec, diags)) {
      ++delivered;
      FUZZ_CHECK(delivered <= input.size() + 1, "a reader delivers more records than there are input bytes");
      FUZZ_CHECK(stream->records_seen() >= seen, "records_seen() went backwards");
      seen = stream->records_seen();
      FUZZ_CHECK(seen >= delivered, "records_seen() is below the records delivered");
      FUZZ_CHECK(stream->last_offset() <= stream->last_end(), "last_end() is before last_offset()");
      FUZZ_CHECK(stream->last_end() <= input.size(), "last_end() lies past the input");
      FUZZ_CHECK(delivered == 1 || stream->last_offset() >= last_offset, "records delivered out of input order");
      last_offset = stream->last_offset();
      check_record(rec);
      check_diagnostics(diags, checked, input.size());
      checked = diags.size();
      // Writing a few records is enough to reach every writer path; all of them would make
      // inputs of many tiny records slow to fuzz.
      if (delivered <= 4) write_everywhere(rec, delivered, last_offset);
    }
    check_diagnostics(diags, checked, input.size());
    FUZZ_CHECK(stream->records_seen() >= seen, "records_seen() went backwards at the end");
    FUZZ_CHECK(!stream->next(rec, diags), "a reader delivers a record after saying it had ended");
  }
}

}  // namespace marcscope::fuzz
