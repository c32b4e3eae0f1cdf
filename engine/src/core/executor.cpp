#include "marcscope/core/executor.h"

#include <tbb/info.h>
#include <tbb/task_arena.h>

namespace marcscope {

struct Executor::Arena {
  tbb::task_arena arena;
  explicit Arena(int threads) : arena(threads) {}
};

Executor::Executor(unsigned threads) {
  threads_ = threads ? threads : static_cast<unsigned>(tbb::info::default_concurrency());
  if (threads_ == 0) threads_ = 1;
  arena_ = std::make_unique<Arena>(static_cast<int>(threads_));
}

Executor::~Executor() = default;

void Executor::run(const std::function<void()>& work) { arena_->arena.execute(work); }

std::shared_ptr<Executor> Executor::use(const std::shared_ptr<Executor>& shared, unsigned threads) {
  return shared ? shared : std::make_shared<Executor>(threads);
}

}  // namespace marcscope
