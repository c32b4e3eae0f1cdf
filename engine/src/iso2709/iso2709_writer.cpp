#include "marcscope/iso2709/iso2709_writer.h"

#include <stdexcept>

#include "marcscope/iso2709/record_view.h"

namespace marcscope {
namespace {

void put_number(std::string& out, std::size_t pos, std::size_t width, std::size_t value) {
  for (std::size_t i = 0; i < width; ++i) {
    out[pos + width - 1 - i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

std::size_t field_length(const Field& f) {
  if (f.is_control()) return f.value().size() + 1;
  std::size_t n = 2 + f.leading_data().size() + 1;
  for (const auto& s : f.subfields()) n += 2 + s.value.size();
  return n;
}

}  // namespace

void write_iso2709(const Record& record, std::string& out) {
  const auto& fields = record.fields();
  const std::size_t base = 24 + 12 * fields.size() + 1;
  std::size_t data_size = 0;
  for (const auto& f : fields) {
    if (f.tag().size() != 3) throw std::invalid_argument("field tag \"" + f.tag() + "\" is not 3 characters");
    const std::size_t len = field_length(f);
    if (len > 9999) throw std::length_error("field " + f.tag() + " is " + std::to_string(len) + " bytes; ISO 2709 allows 9,999");
    data_size += len;
  }
  const std::size_t total = base + data_size + 1;
  if (total > 99999) throw std::length_error("record is " + std::to_string(total) + " bytes; ISO 2709 allows 99,999");

  const std::size_t start = out.size();
  out.reserve(start + total);
  out.append(record.leader());
  put_number(out, start + 0, 5, total);
  put_number(out, start + 12, 5, base);
  out[start + 9] = 'a';

  std::size_t pos = 0;
  for (const auto& f : fields) {
    const std::size_t len = field_length(f);
    out.append(f.tag());
    const std::size_t entry = out.size();
    out.append(9, '0');
    put_number(out, entry, 4, len);
    put_number(out, entry + 4, 5, pos);
    pos += len;
  }
  out.push_back(kFieldTerminator);
  for (const auto& f : fields) {
    if (f.is_control()) {
      out.append(f.value());
    } else {
      out.push_back(f.indicator1());
      out.push_back(f.indicator2());
      out.append(f.leading_data());
      for (const auto& s : f.subfields()) {
        out.push_back(kSubfieldDelimiter);
        out.push_back(s.code);
        out.append(s.value);
      }
    }
    out.push_back(kFieldTerminator);
  }
  out.push_back(kRecordTerminator);
}

std::string to_iso2709(const Record& record) {
  std::string out;
  write_iso2709(record, out);
  return out;
}

}  // namespace marcscope
