// Fuzz target: the schema loader. The bytes are given to Schema::parse (Avram JSON) and to
// Schema::from_binary (the compact form builtin() is made from). Each must either throw
// std::runtime_error (the documented failure: "naming the file and the problem") or give a
// schema that
//   - survives to_binary -> from_binary -> to_binary unchanged (the binary form is complete);
//   - answers field() for the tags it holds, and for some it does not;
//   - can drive a Validator over a few records of different kinds (leader, 006/007/008 of
//     several lengths, data fields with odd indicators and subfields) without crashing, every
//     finding a RuleViolation with a known rule id (or the one StructureOnly note), the record's
//     number and offset, and a UTF-8 message.
// Any other exception (std::bad_alloc from a count read from the input, an nlohmann exception
// that escaped) aborts the run.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "marcscope/charset/utf8.h"
#include "marcscope/validate/validator.h"

namespace {

using namespace marcscope;

const std::vector<Record>& sample_records() {
  static const std::vector<Record> records = [] {
    std::vector<Record> v;
    Record book;
    book.set_leader("01234nam a2200289 a 4500");
    book.add_field(Field("001", "ocm12345"));
    book.add_field(Field("008", "850101s1984    nyua   j      000 1 eng d"));
    book.add_field(Field("020", ' ', ' ', {{'a', "0394800001"}, {'q', "hardcover"}}));
    book.add_field(Field("100", '1', ' ', {{'a', "Seuss,"}, {'a', "Dr."}, {'d', "1904-1991."}}));
    book.add_field(Field("245", '1', '4', {{'a', "The cat in the hat /"}, {'c', "by Dr. Seuss."}}));
    book.add_field(Field("650", ' ', '7', {{'a', "Cats"}, {'2', "lcsh"}}));
    book.add_field(Field("949", ' ', ' ', {{'a', "local"}}));
    v.push_back(book);

    Record map;
    map.set_leader("00000cem  22000001a 4500");
    map.add_field(Field("006", "e|||||||||||||||||"));
    map.add_field(Field("007", "aj canzn"));
    map.add_field(Field("008", "short"));
    map.add_field(Field("034", '9', 'x', {{'\x7F', "?"}, {'b', ""}}));
    map.add_field(Field("245", '0', '0', {}));
    map.add_field(Field("880", '1', '0', {{'6', "245-01"}, {'a', "\xD0\x9A\xD0\xBE"}}));
    v.push_back(map);

    Record odd;
    odd.set_leader("xxxxxzzz\x01\x02xxxxxxxxxxxxxx");
    odd.add_field(Field("00A", "x"));
    odd.add_field(Field("ABC", '\0', '\xFF', {{'a', "x"}}));
    odd.add_field(Field("999", ' ', ' ', {{'a', std::string(300, 'a')}}));
    odd.add_field(Field("008", std::string(60, '|')));
    v.push_back(odd);
    return v;
  }();
  return records;
}

void exercise(const Schema& schema) {
  const std::string bin = schema.to_binary();
  Schema again = Schema::from_binary(bin);
  FUZZ_CHECK(again.to_binary() == bin, "Schema::from_binary(to_binary()) lost or changed something");
  FUZZ_CHECK(again.field_count() == schema.field_count(), "the round trip changed the number of fields");
  for (const char* tag : {"LDR", "001", "008", "245", "880", "999", "ABC", "", "2450"}) (void)schema.field(tag);

  auto shared = std::make_shared<const Schema>(std::move(again));
  const Validator validator(shared);
  std::uint64_t number = 0;
  for (const Record& rec : sample_records()) {
    ++number;
    Diagnostics diags;
    validator.validate(rec, number, 1000 * number, diags);
    const auto& ids = Validator::rule_ids();
    for (const Diagnostic& d : diags) {
      // One StructureOnly note says when the schema does not cover the record's format.
      FUZZ_CHECK(d.code == Code::RuleViolation || d.code == Code::StructureOnly,
                 "a validator finding is neither a RuleViolation nor the StructureOnly note");
      if (d.code == Code::RuleViolation)
        FUZZ_CHECK(std::find(ids.begin(), ids.end(), d.rule) != ids.end(), "a validator finding has an unknown rule id");
      FUZZ_CHECK(d.record == number && d.offset == 1000 * number, "a validator finding names another record");
      FUZZ_CHECK(is_valid_utf8(d.message), "a validator message is not UTF-8");
    }
  }
}

template <class Load>
void try_load(Load load) {
  std::optional<Schema> schema;
  try {
    schema.emplace(load());
  } catch (const std::runtime_error&) {
    return;  // the documented failure
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\nschema loader threw %s\n", e.what());
    FUZZ_CHECK(false, "the schema loader threw something other than std::runtime_error");
  }
  exercise(*schema);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try_load([&] { return Schema::parse(input, "fuzz"); });
  try_load([&] { return Schema::from_binary(input); });
  return 0;
}
