// make_corpus: builds large, valid ISO 2709 benchmark files from the real records in tests/data.
//
//   make_corpus --kind utf8|marc8 --count N --out PATH [--data DIR] [--stats]
//
// utf8:  every ISO 2709 record of tests/data/valid and tests/data/pairs that reads cleanly
//        (no diagnostic at all in Strict mode, none from Record::from_view) is decoded to the
//        owning UTF-8 model (MARC-8 becomes UTF-8), encoded with write_iso2709 and read back once
//        more to check it is clean and decodes to the same model. Duplicate records (same bytes)
//        are kept once. Each copy is written by write_iso2709 (lengths and directory recomputed).
// marc8: the clean records that declare MARC-8 (leader/09 blank) are kept as MARC-8 bytes; only
//        the 001 is rewritten and the leader length, base address and directory recomputed here
//        (no charset conversion at all), so the MARC-8 decoder sees the real escapes and ANSEL.
//
// The output cycles through the base records; copy i gets a unique 001: "<original 001>-<i>"
// (or "ms-<i>" when the record had none). i is the 1-based sequential record number, so every
// 001 in the file is distinct. Output is deterministic.

#include <marcscope/iso2709/iso2709_writer.h>
#include <marcscope/io/mapped_file.h>
#include <marcscope/iso2709/iso2709_reader.h>
#include <marcscope/model/record.h>
#include <marcscope/iso2709/record_scanner.h>
#include <marcscope/iso2709/record_view.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

#ifndef MARCSCOPE_SOURCE_DIR
#define MARCSCOPE_SOURCE_DIR "."
#endif

namespace fs = std::filesystem;
using namespace marcscope;

namespace {

struct RawField {
  std::string tag;
  std::string data;  // without the field terminator
};

struct RawRecord {
  std::string leader;
  std::vector<RawField> fields;
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr,
               "make_corpus: %s\nusage: make_corpus --kind utf8|marc8 --count N --out PATH [--data DIR] [--stats]\n",
               msg);
  std::exit(2);
}

bool has_iso2709_extension(const fs::path& p) {
  static const std::set<std::string> exts = {".mrc", ".marc", ".dat", ".usmarc", ".bin"};
  return exts.count(p.extension().string()) != 0;
}

std::vector<fs::path> input_files(const fs::path& data) {
  std::vector<fs::path> files;
  for (const char* sub : {"valid", "pairs"}) {
    const fs::path dir = data / sub;
    if (!fs::is_directory(dir)) continue;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file() && has_iso2709_extension(e.path())) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

/// Writes a raw record (fields' bytes kept as they are) with recomputed lengths and directory.
void write_raw(const RawRecord& rec, std::string& out) {
  const std::size_t dir_len = rec.fields.size() * 12 + 1;
  const std::size_t base = 24 + dir_len;
  std::size_t data_len = 0;
  for (const auto& f : rec.fields) data_len += f.data.size() + 1;
  const std::size_t total = base + data_len + 1;
  if (total > 99999) throw std::length_error("record too long");
  const std::size_t start = out.size();
  out.reserve(start + total);
  std::string leader = rec.leader;
  char num[16];
  std::snprintf(num, sizeof num, "%05zu", total);
  leader.replace(0, 5, num, 5);
  std::snprintf(num, sizeof num, "%05zu", base);
  leader.replace(12, 5, num, 5);
  out += leader;
  std::size_t pos = 0;
  for (const auto& f : rec.fields) {
    if (f.data.size() + 1 > 9999) throw std::length_error("field too long");
    std::snprintf(num, sizeof num, "%04zu%05zu", f.data.size() + 1, pos);
    out += f.tag;
    out.append(num, 9);
    pos += f.data.size() + 1;
  }
  out += kFieldTerminator;
  for (const auto& f : rec.fields) {
    out += f.data;
    out += kFieldTerminator;
  }
  out += kRecordTerminator;
  if (out.size() - start != total) throw std::logic_error("length mismatch");
}

/// True when `bytes` is one record that reads with no diagnostic at all (structure and charset).
bool clean(std::string_view bytes, RecordView& view, Record* decoded = nullptr) {
  Diagnostics diags;
  if (!view.parse(bytes, 0, 1, ReadMode::Strict, diags) || !diags.empty()) return false;
  Record r = Record::from_view(view, DecodeOptions{}, diags);
  if (!diags.empty()) return false;
  if (decoded) *decoded = std::move(r);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string kind, out_path;
  fs::path data = fs::path(MARCSCOPE_SOURCE_DIR) / "tests" / "data";
  std::uint64_t count = 0;
  bool stats = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--kind") kind = value();
    else if (a == "--count") count = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--out") out_path = value();
    else if (a == "--data") data = value();
    else if (a == "--stats") stats = true;
    else usage(("unknown argument " + a).c_str());
  }
  if (kind != "utf8" && kind != "marc8") usage("--kind must be utf8 or marc8");
  if (!stats && (count == 0 || out_path.empty())) usage("--count and --out are required");

  // 1. Collect the distinct clean base records.
  std::vector<RawRecord> base;   // marc8: raw fields
  std::vector<Record> models;    // utf8: the owning UTF-8 model
  std::unordered_set<std::string> seen;
  std::uint64_t read = 0, dropped = 0, duplicates = 0, with_high = 0, with_esc = 0;
  std::uint64_t base_bytes = 0;
  RecordView view;
  for (const auto& file : input_files(data)) {
    InputBuffer in = InputBuffer::open(file.string());
    const std::string_view bytes = in.bytes();
    if (!looks_like_iso2709(bytes)) continue;
    RecordScanner scanner(ReadMode::Permissive);
    std::size_t pos = 0;
    RecordSpan span;
    Diagnostics scan_diags;
    for (;;) {
      const auto st = scanner.next(bytes, pos, 0, true, span, scan_diags);
      if (st == RecordScanner::Status::Skipped) { ++read; ++dropped; continue; }
      if (st != RecordScanner::Status::Record) break;
      ++read;
      const std::string_view rec_bytes = bytes.substr(span.offset, span.length);
      if (span.flags != 0 || !seen.insert(std::string(rec_bytes)).second) {
        if (span.flags == 0) ++duplicates; else ++dropped;
        continue;
      }
      Record decoded;
      if (!clean(rec_bytes, view, &decoded)) { ++dropped; continue; }
      RawRecord raw;
      if (kind == "marc8") {
        if (view.leader().bytes()[9] != ' ') continue;  // not a MARC-8 record
        raw.leader = std::string(view.leader().bytes());
        for (const auto& f : view.fields()) raw.fields.push_back({std::string(f.tag), std::string(f.data)});
        std::string check;
        try { write_raw(raw, check); } catch (const std::exception&) { ++dropped; continue; }
        if (!clean(check, view)) { ++dropped; continue; }
        if (check.find('\x1B') != std::string::npos) ++with_esc;
        if (std::any_of(check.begin(), check.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
          ++with_high;
        base_bytes += check.size();
      } else {
        std::string encoded;
        try { write_iso2709(decoded, encoded); } catch (const std::exception&) { ++dropped; continue; }
        Record again;
        if (!clean(encoded, view, &again)) { ++dropped; continue; }
        if (!(again == decoded)) { ++dropped; continue; }
        models.push_back(std::move(decoded));
        if (std::any_of(encoded.begin(), encoded.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
          ++with_high;
        base_bytes += encoded.size();
      }
      if (kind == "marc8") base.push_back(std::move(raw));
    }
  }
  const std::size_t nbase = kind == "marc8" ? base.size() : models.size();
  if (nbase == 0) usage(("no clean records found under " + data.string()).c_str());
  std::fprintf(stderr,
               "make_corpus: %s base: %zu distinct clean records (%llu read, %llu duplicates, %llu dropped), "
               "avg %.0f bytes, %llu with bytes >= 0x80, %llu with ESC\n",
               kind.c_str(), nbase, (unsigned long long)read, (unsigned long long)duplicates,
               (unsigned long long)dropped, double(base_bytes) / double(nbase), (unsigned long long)with_high,
               (unsigned long long)with_esc);
  if (stats) return 0;

  // 2. Where each base record keeps its 001 (or where one is inserted).
  std::vector<std::string> original_001(nbase);
  for (std::size_t b = 0; b < base.size(); ++b) {
    auto& fields = base[b].fields;
    auto it = std::find_if(fields.begin(), fields.end(), [](const RawField& f) { return f.tag == "001"; });
    if (it == fields.end()) {
      fields.insert(fields.begin(), RawField{"001", ""});
      original_001[b] = "ms";
    } else {
      original_001[b] = it->data;
      if (it != fields.begin()) std::rotate(fields.begin(), it, it + 1);  // 001 first
    }
  }
  for (std::size_t b = 0; b < models.size(); ++b) {
    auto& fields = models[b].fields();
    auto it = std::find_if(fields.begin(), fields.end(), [](const Field& f) { return f.tag() == "001"; });
    if (it == fields.end()) {
      fields.insert(fields.begin(), Field("001", ""));
      original_001[b] = "ms";
    } else {
      original_001[b] = it->value();
      if (it != fields.begin()) std::rotate(fields.begin(), it, it + 1);  // 001 first
    }
  }

  // 3. Write the copies.
  std::FILE* out = std::fopen(out_path.c_str(), "wb");
  if (!out) usage(("cannot open " + out_path + ": " + std::strerror(errno)).c_str());
  std::string buf;
  buf.reserve(9u << 20);
  std::uint64_t written = 0;
  for (std::uint64_t i = 1; i <= count; ++i) {
    const std::size_t b = (i - 1) % nbase;
    std::string id = original_001[b] + "-" + std::to_string(i);
    try {
      if (kind == "marc8") {
        base[b].fields[0].data = std::move(id);
        write_raw(base[b], buf);
      } else {
        models[b].fields()[0].set_value(std::move(id));
        write_iso2709(models[b], buf);  // recomputes lengths, base address and directory
      }
    } catch (const std::exception& e) {
      usage(("cannot write record " + std::to_string(i) + ": " + e.what()).c_str());
    }
    if (buf.size() >= (8u << 20)) {
      if (std::fwrite(buf.data(), 1, buf.size(), out) != buf.size()) usage("write failed");
      written += buf.size();
      buf.clear();
    }
  }
  if (!buf.empty() && std::fwrite(buf.data(), 1, buf.size(), out) != buf.size()) usage("write failed");
  written += buf.size();
  if (std::fclose(out) != 0) usage("close failed");
  std::fprintf(stderr, "make_corpus: wrote %llu records, %llu bytes (avg %.0f bytes/record) to %s\n",
               (unsigned long long)count, (unsigned long long)written, double(written) / double(count),
               out_path.c_str());
  return 0;
}
