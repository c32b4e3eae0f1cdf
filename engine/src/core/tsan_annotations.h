#pragma once
// Internal to the engine.
// oneTBB's scheduler is not built with ThreadSanitizer, so TSan cannot see the happens-before
// edges it provides between serial filter calls and between stages. State them explicitly.
#if defined(__SANITIZE_THREAD__)
#define MARCSCOPE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MARCSCOPE_TSAN 1
#endif
#endif
#ifdef MARCSCOPE_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#define HAPPENS_AFTER(p) __tsan_acquire(const_cast<void*>(static_cast<const volatile void*>(p)))
#define HAPPENS_BEFORE(p) __tsan_release(const_cast<void*>(static_cast<const volatile void*>(p)))
namespace marcscope::detail {
inline char tsan_pipeline_start = 0;
}
// A pipeline's first filter may run on any of oneTBB's threads, and reading its own captures
// already touches what the starting thread wrote: so that filter acquires a token whose address
// needs no capture (PIPELINE_TAKEOVER, its first statement), which the starting thread released
// just before it started the pipeline (PIPELINE_HANDOFF). Later filters acquire what the first
// one released with each item.
#define PIPELINE_HANDOFF() __tsan_release(&::marcscope::detail::tsan_pipeline_start)
#define PIPELINE_TAKEOVER() __tsan_acquire(&::marcscope::detail::tsan_pipeline_start)
namespace marcscope::detail {
struct FilterExit {
  const void* token;
  ~FilterExit() { HAPPENS_BEFORE(token); }
};
struct Joined {
  const void* token;
  ~Joined() { HAPPENS_AFTER(token); }
};
}  // namespace marcscope::detail
// The other end: oneTBB's wait for its workers when parallel_pipeline returns is invisible too.
// A worker's last reads of the starting thread's locals (a filter's captures) would then race
// with whatever reuses that stack later (a new thread given the same stack, say). So every filter
// body, and the body that starts the pipeline (which oneTBB may run on a worker too), releases the
// run's own token as it ends (PIPELINE_FILTER_EXIT, its first statement), and the starting thread
// acquires it when parallel_pipeline has returned or thrown (PIPELINE_JOINED, declared before the
// run: it acquires as its scope ends).
#define PIPELINE_FILTER_EXIT(token) const ::marcscope::detail::FilterExit tsan_filter_exit_{token}
#define PIPELINE_JOINED(token) const ::marcscope::detail::Joined tsan_joined_{token}
#else
#define HAPPENS_AFTER(p) ((void)(p))
#define HAPPENS_BEFORE(p) ((void)(p))
#define PIPELINE_HANDOFF() ((void)0)
#define PIPELINE_TAKEOVER() ((void)0)
#define PIPELINE_FILTER_EXIT(token) ((void)(token))
#define PIPELINE_JOINED(token) ((void)(token))
#endif
