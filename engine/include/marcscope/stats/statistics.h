#pragma once
// What is in a file: MarcEdit's "field count" and more, as one aggregate that the CLI
// (`marcscope stats`), the app's statistics view and Python share. Built per batch in the
// pipeline's parallel stage and merged in order, so it costs one pass on every core.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "marcscope/core/control.h"
#include "marcscope/model/record.h"
#include "marcscope/read/batch.h"

namespace marcscope {

class RecordReader;

/// How many records hold something, and how often it occurs in all.
struct Count {
  std::uint64_t records = 0;
  std::uint64_t occurrences = 0;
};

struct FieldStatistics {
  Count count;
  std::map<char, std::uint64_t> indicator1, indicator2;  ///< occurrences by indicator value (data fields)
  std::map<char, Count> subfields;                       ///< by subfield code
};

class Statistics {
 public:
  Statistics();
  ~Statistics();
  Statistics(Statistics&&) noexcept;
  Statistics& operator=(Statistics&&) noexcept;

  /// Counts one delivered record (its RecordStatus bits say how it was read).
  void add(const Record& record, std::uint8_t status = 0);
  /// Counts every record and skipped record of a batch.
  void add(const Batch& batch);
  /// Adds another aggregate's counts (a batch's, built in parallel).
  void merge(const Statistics& other);
  /// Takes away counts merged or added before (the records an edit replaced or a deletion took
  /// out): the inverse of merge(). What falls to zero is gone (a tag no record holds any more is
  /// not listed). Throws std::logic_error, changing nothing, when `other` counts more than this.
  void subtract(const Statistics& other);

  std::uint64_t records() const { return records_; }
  std::uint64_t skipped() const { return skipped_; }
  std::uint64_t repaired() const { return repaired_; }
  std::uint64_t utf8() const { return utf8_; }
  std::uint64_t marc8() const { return marc8_; }

  /// Fields by tag, in tag order.
  std::map<std::string, FieldStatistics> fields() const;
  /// Leader position (0-23) -> occurrences by character.
  const std::array<std::map<char, std::uint64_t>, 24>& leader() const { return leader_; }
  /// leader/06 + leader/07, e.g. "am" (language material, monograph).
  const std::map<std::string, std::uint64_t>& record_types() const { return record_types_; }
  /// From 008: type of date (06), first date (07-10), place (15-17), language (35-37).
  const std::map<std::string, std::uint64_t>& date_types() const { return date_types_; }
  const std::map<std::string, std::uint64_t>& years() const { return years_; }
  const std::map<std::string, std::uint64_t>& places() const { return places_; }
  const std::map<std::string, std::uint64_t>& languages() const { return languages_; }

  /// The whole aggregate as a text table, JSON, or CSV (one row per field and subfield).
  std::string to_text(const std::string& name) const;
  std::string to_json(const std::string& name) const;
  std::string to_csv(const std::string& name, bool header = true) const;

 private:
  struct Tags;  ///< fields by tag: a slot per numeric tag, a map for the others
  std::unique_ptr<Tags> tags_;
  std::uint64_t records_ = 0, skipped_ = 0, repaired_ = 0, utf8_ = 0, marc8_ = 0;
  std::array<std::map<char, std::uint64_t>, 24> leader_;
  std::map<std::string, std::uint64_t> record_types_, date_types_, years_, places_, languages_;
};

/// Reads all of `reader` and returns its statistics (per batch in parallel, merged in order).
/// `also`, when set, sees every batch in order after it is counted (a CLI shows its diagnostics).
Statistics collect_statistics(RecordReader& reader, const JobControl& control = {}, const BatchConsumer& also = {});

}  // namespace marcscope
