// bench_io: what sequential reading costs the kernel (issue "Speed beyond parsing": sys time was
// ~40% of a one-thread convert of a 1.9 GB file). Nothing here is a test: it prints figures.
//
//   bench_io FILE [--rounds N]
//
// Each way of getting the file's bytes into the process runs `rounds` times, interleaved (a, b,
// c, a, b, c, ...) so that a noisy machine disturbs them alike; the best wall time and its user
// and system CPU are printed with the ratio to the first line (the engine's mapping as it is).
// The file should be in the page cache (run once before): this measures page faults and copies,
// not the disk.
//
//   raw:    the bytes only, each scanned for record terminators (memchr), as stage 1 does
//     mmap            MAP_PRIVATE + MADV_SEQUENTIAL, first touch faults (the engine today)
//     mmap-populate   MAP_POPULATE: the kernel maps every page up front
//     mmap-hugepage   MADV_HUGEPAGE on the mapping (takes effect only where the kernel supports
//                     read-only huge pages for file mappings)
//     mmap-willneed   MADV_WILLNEED
//     read-1M/8M      read() into one reused buffer of 1 or 8 MiB
//   engine: the whole reader on one thread, records decoded to the model and counted
//     engine-mmap     RecordReader::open(path) (the mapping above)
//     engine-read-4M  RecordReader over a callback source that read()s 4 MiB at a time
#include <marcscope/io/byte_source.h>
#include <marcscope/read/record_reader.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace marcscope;

namespace {

struct Cost {
  double wall = 0, user = 0, sys = 0;
  std::uint64_t count = 0;
};

double seconds(const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; }

Cost measure(const std::function<std::uint64_t()>& work) {
  rusage a{}, b{};
  ::getrusage(RUSAGE_SELF, &a);
  const auto t0 = std::chrono::steady_clock::now();
  const std::uint64_t n = work();
  const auto t1 = std::chrono::steady_clock::now();
  ::getrusage(RUSAGE_SELF, &b);
  return {std::chrono::duration<double>(t1 - t0).count(), seconds(b.ru_utime) - seconds(a.ru_utime),
          seconds(b.ru_stime) - seconds(a.ru_stime), n};
}

std::uint64_t count_terminators(const char* p, std::size_t n) {
  std::uint64_t c = 0;
  const char* end = p + n;
  while ((p = static_cast<const char*>(std::memchr(p, 0x1D, static_cast<std::size_t>(end - p))))) {
    ++c;
    ++p;
  }
  return c;
}

struct Fd {
  int fd;
  explicit Fd(const std::string& path) : fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd < 0) throw std::runtime_error("cannot open " + path);
  }
  ~Fd() { ::close(fd); }
  std::size_t size() const {
    struct stat st {};
    ::fstat(fd, &st);
    return static_cast<std::size_t>(st.st_size);
  }
};

std::uint64_t via_mmap(const std::string& path, int flags, int advice) {
  Fd f(path);
  const std::size_t n = f.size();
  void* p = ::mmap(nullptr, n, PROT_READ, MAP_PRIVATE | flags, f.fd, 0);
  if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
  ::madvise(p, n, MADV_SEQUENTIAL);
  if (advice) ::madvise(p, n, advice);
  const std::uint64_t c = count_terminators(static_cast<const char*>(p), n);
  ::munmap(p, n);
  return c;
}

std::uint64_t via_read(const std::string& path, std::size_t block) {
  Fd f(path);
  std::vector<char> buf(block);
  std::uint64_t c = 0;
  for (;;) {
    const ssize_t k = ::read(f.fd, buf.data(), block);
    if (k <= 0) break;
    c += count_terminators(buf.data(), static_cast<std::size_t>(k));
  }
  return c;
}

std::uint64_t engine(std::unique_ptr<RecordReader> reader) {
  std::uint64_t records = 0;
  reader->run([&](Batch& b) {
    records += b.records.size();
    return true;
  });
  return records;
}

ReadOptions one_thread() {
  ReadOptions o;
  o.threads = 1;
  return o;
}

std::uint64_t engine_read(const std::string& path, std::size_t block) {
  auto f = std::make_shared<Fd>(path);
  auto source = make_callback_source(
      [f, block](char* buf, std::size_t n) {
        const ssize_t k = ::read(f->fd, buf, std::min(n, block));
        if (k < 0) throw std::runtime_error("read failed");
        return static_cast<std::size_t>(k);
      },
      path);
  return engine(RecordReader::open(std::move(source), one_thread()));
}

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr, "bench_io: %s\nusage: bench_io FILE [--rounds N]\n", why.c_str());
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  int rounds = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--rounds" && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else if (a == "-h" || a == "--help") {
      usage("what sequential reading costs: mappings and read() side by side");
    } else if (path.empty()) {
      path = a;
    } else {
      usage("unexpected argument " + a);
    }
  }
  if (path.empty()) usage("which file?");
  try {
    struct Way {
      const char* name;
      std::function<std::uint64_t()> work;
      Cost best{1e300, 0, 0, 0};
    };
    std::vector<Way> ways = {
        {"mmap", [&] { return via_mmap(path, 0, 0); }},
        {"mmap-populate", [&] { return via_mmap(path, MAP_POPULATE, 0); }},
        {"mmap-hugepage", [&] { return via_mmap(path, 0, MADV_HUGEPAGE); }},
        {"mmap-willneed", [&] { return via_mmap(path, 0, MADV_WILLNEED); }},
        {"read-1M", [&] { return via_read(path, 1u << 20); }},
        {"read-8M", [&] { return via_read(path, 8u << 20); }},
        {"engine-mmap", [&] { return engine(RecordReader::open(path, one_thread())); }},
        {"engine-read-4M", [&] { return engine_read(path, 4u << 20); }},
    };
    via_read(path, 8u << 20);  // into the page cache
    for (int r = 0; r < rounds; ++r)
      for (Way& w : ways) {
        const Cost c = measure(w.work);
        if (c.wall < w.best.wall) w.best = c;
      }
    std::printf("bench_io %s, best of %d rounds (interleaved), ratios against the line above each group's first\n",
                path.c_str(), rounds);
    std::printf("%-16s %10s %8s %8s %8s %10s %12s\n", "way", "count", "wall_s", "user_s", "sys_s", "wall_ratio", "sys_share");
    const Cost raw = ways[0].best, eng = ways[6].best;
    for (std::size_t i = 0; i < ways.size(); ++i) {
      const Cost& c = ways[i].best;
      const Cost& base = i < 6 ? raw : eng;
      std::printf("%-16s %10llu %8.3f %8.3f %8.3f %10.2f %11.0f%%\n", ways[i].name, (unsigned long long)c.count, c.wall,
                  c.user, c.sys, c.wall / base.wall, 100.0 * c.sys / std::max(1e-9, c.user + c.sys));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_io: %s\n", e.what());
    return 1;
  }
  return 0;
}
