#pragma once
// Which rules' findings still need their message. Building a finding's message costs more than
// finding it; a pass that reports only counts and the first examples of each kind (a JSON or HTML
// report, the app's validation pass) needs the messages of those examples only.

#include <atomic>
#include <cstddef>
#include <memory>
#include <string_view>

namespace marcscope {

/// Shared by one input's report and the validators checking that input's records on any thread:
/// FileReport::add_batch() (ReportOptions::demand) marks a rule done once its kind holds all its
/// examples, and findings of that rule made afterwards carry an empty message (Validator::validate,
/// validate_batch). The report is filled in input order, so a finding made after its rule was
/// marked comes later in the input than every example: the report is the same as with every
/// message built. Never share one between inputs, nor use one where every finding is shown.
/// Thread-safe.
class MessageDemand {
 public:
  MessageDemand();
  /// Whether findings of the rule with this index (Validator::rule_ids()) still need a message.
  bool wanted(std::size_t rule) const { return !done_[rule].load(std::memory_order_relaxed); }
  /// The kind of rule `rule` (an id) holds all its examples. Unknown ids are ignored.
  void done(std::string_view rule);

 private:
  std::unique_ptr<std::atomic<bool>[]> done_;
};

}  // namespace marcscope
