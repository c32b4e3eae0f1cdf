#pragma once
// Internal to the engine: ownership of the items oneTBB pipelines pass between filters.
#include <memory>
#include <mutex>
#include <unordered_map>

namespace marcscope::detail {

/// Items travel between filters as raw pointers but are owned here: when the pipeline is
/// cancelled or a stage throws, oneTBB drops the tokens in flight, and whatever was not claimed
/// is freed when the registry goes (after the pipeline has ended), under the lock, which also
/// shows ThreadSanitizer the hand-back from oneTBB's workers.
template <class T>
class Inflight {
 public:
  T* park(std::unique_ptr<T> owned) {
    T* raw = owned.get();
    std::lock_guard lock(mutex_);
    items_.emplace(raw, std::move(owned));
    return raw;
  }
  std::unique_ptr<T> claim(const T* raw) {
    std::lock_guard lock(mutex_);
    auto it = items_.find(raw);
    auto owned = std::move(it->second);
    items_.erase(it);
    return owned;
  }
  ~Inflight() {
    std::lock_guard lock(mutex_);
    items_.clear();
  }

 private:
  std::mutex mutex_;
  std::unordered_map<const T*, std::unique_ptr<T>> items_;
};

}  // namespace marcscope::detail
