#pragma once
// A pool of worker threads (a oneTBB task arena) that the host owns and shares between jobs: the
// app runs its index, validation and searches on one, the Python module on one per process, so
// that concurrent jobs share the cores instead of each starting an all-cores pool of its own.

#include <functional>
#include <memory>

namespace marcscope {

class Executor {
 public:
  /// `threads` = 0: every core the process may use.
  explicit Executor(unsigned threads = 0);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  /// How many threads work at most in this pool (the calling thread counts as one).
  unsigned threads() const { return threads_; }

  /// Runs `work` inside the pool: the calling thread joins it while `work` runs, and parallel
  /// algorithms inside `work` use the pool's threads. Several threads may call run() at once;
  /// they share the pool. Exceptions from `work` propagate.
  void run(const std::function<void()>& work);

  /// The executor a job uses: `shared` when given, else a new one of `threads`.
  static std::shared_ptr<Executor> use(const std::shared_ptr<Executor>& shared, unsigned threads);

 private:
  struct Arena;
  std::unique_ptr<Arena> arena_;
  unsigned threads_ = 1;
};

}  // namespace marcscope
