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
#else
#define HAPPENS_AFTER(p) ((void)(p))
#define HAPPENS_BEFORE(p) ((void)(p))
#endif
