/* memchr_floor: the floor for finding record boundaries. Memory-maps a file and counts the
 * record terminators (0x1D) with memchr, nothing else. Prints one key=value line:
 *
 *   memchr_floor FILE
 *   tool=memchr records=... bytes=... wall_s=... cpu_s=... rss_mb=... rec_per_s=... mb_per_s=... gb_per_s=...
 *
 * MB and GB are decimal (10^6, 10^9 bytes). The timed region is the scan only (the file is
 * mapped before the clock starts; page faults are inside the region, as for the engine).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec * 1e-6;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: memchr_floor FILE\n");
    return 2;
  }
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) {
    perror(argv[1]);
    return 2;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    perror("fstat");
    return 2;
  }
  size_t size = (size_t)st.st_size;
  const char* data = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
  if (size && data == MAP_FAILED) {
    perror("mmap");
    return 2;
  }
  if (size) madvise((void*)data, size, MADV_SEQUENTIAL);

  double t0 = now(), c0 = cpu();
  unsigned long long records = 0;
  const char* p = data;
  const char* end = data + size;
  while (p < end) {
    const char* hit = memchr(p, 0x1D, (size_t)(end - p));
    if (!hit) break;
    ++records;
    p = hit + 1;
  }
  double wall = now() - t0, cpu_s = cpu() - c0;

  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("tool=memchr records=%llu bytes=%zu wall_s=%.6f cpu_s=%.6f rss_mb=%.1f rec_per_s=%.0f mb_per_s=%.1f "
         "gb_per_s=%.3f\n",
         records, size, wall, cpu_s, (double)ru.ru_maxrss / 1024.0, (double)records / wall,
         (double)size / wall / 1e6, (double)size / wall / 1e9);
  if (size) munmap((void*)data, size);
  close(fd);
  return 0;
}
