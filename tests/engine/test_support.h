#pragma once
// Shared helpers for the engine tests: fixture paths and the record table of tests/data/SOURCES.md.

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QFile>
#include <QRegularExpression>
#include <QString>
#include <QTextStream>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "marcscope/iso2709/iso2709_reader.h"

namespace marcscope::test {

inline QString data_dir() { return QStringLiteral(MARCSCOPE_TEST_DATA); }

/// True when the tests should read smaller data and try fewer settings: in a ThreadSanitizer
/// build (tests/CMakeLists.txt defines MARCSCOPE_TEST_SMALL there), which runs the pipelines
/// 10-50 times slower, and whenever MARCSCOPE_TEST_FAST is set (tools/setup.sh test sets it for
/// the TSan pass). What is checked stays the same; only the amount of data shrinks.
inline bool small_data() {
#ifdef MARCSCOPE_TEST_SMALL
  return true;
#else
  return qEnvironmentVariableIsSet("MARCSCOPE_TEST_FAST");
#endif
}
inline std::string data_path(const QString& rel) { return (data_dir() + "/" + rel).toStdString(); }

/// The bytes of the file at `path` (empty when it cannot be read).
inline std::string slurp(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  const QByteArray b = f.readAll();
  return std::string(b.constData(), static_cast<std::size_t>(b.size()));
}

/// The bytes of a file under tests/data.
inline std::string read_bytes(const QString& rel) { return slurp(data_dir() + "/" + rel); }

/// "folder/file" -> records column, from the tables in tests/data/SOURCES.md.
inline std::map<QString, int> sources_record_counts() {
  std::map<QString, int> rows;
  QFile f(data_dir() + "/SOURCES.md");
  if (!f.open(QIODevice::ReadOnly | QIODevice::Text)) return rows;
  QTextStream in(&f);
  static const QRegularExpression folder_re(QStringLiteral("^## (\\w+)/"));
  static const QRegularExpression row_re(QStringLiteral("^\\| `([^`]+)` \\|[^|]*\\|[^|]*\\| ([\\d,]+)"));
  QString folder;
  while (!in.atEnd()) {
    const QString line = in.readLine();
    if (auto m = folder_re.match(line); m.hasMatch()) folder = m.captured(1);
    if (auto m = row_re.match(line); m.hasMatch() && !folder.isEmpty())
      rows[folder + "/" + m.captured(1)] = m.captured(2).remove(',').toInt();
  }
  return rows;
}

inline bool is_iso2709_name(const QString& name) {
  return !(name.endsWith(".xml") || name.endsWith(".json") || name.endsWith(".txt") || name.endsWith(".ndj") ||
           name.endsWith(".mrk"));
}

/// A fixed pseudo-random sequence (a 64-bit linear congruential generator): tests that spoil
/// records pick the same positions and bytes on every run. Each call gives the next number.
class FixedSequence {
 public:
  explicit FixedSequence(std::uint64_t seed) : state_(seed) {}
  std::size_t operator()() {
    state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::size_t>(state_ >> 33);
  }

 private:
  std::uint64_t state_;
};

/// Every ISO 2709 file under tests/data, sorted.
inline std::vector<QString> iso2709_fixtures() {
  std::vector<QString> files;
  QDirIterator it(data_dir(), QDir::Files, QDirIterator::Subdirectories);
  while (it.hasNext()) {
    const QString path = it.next();
    const QString name = QFileInfo(path).fileName();
    if (!is_iso2709_name(name) || name.endsWith(".md")) continue;
    files.push_back(path);
  }
  std::sort(files.begin(), files.end());
  return files;
}

/// The first 40 records of every ISO 2709 fixture (cut at each record terminator; pieces shorter
/// than a leader left out), each with the file it comes from.
inline std::vector<std::pair<QString, std::string>> fixture_records() {
  std::vector<std::pair<QString, std::string>> out;
  for (const auto& file : iso2709_fixtures()) {
    const std::string data = slurp(file);
    std::size_t records = 0;
    for (std::size_t at = 0; at < data.size() && records < 40; ++records) {
      std::size_t end = data.find('\x1D', at);
      if (end == std::string::npos) end = data.size() - 1;
      std::string record = data.substr(at, end + 1 - at);
      at = end + 1;
      if (record.size() >= 24) out.emplace_back(file, std::move(record));
    }
  }
  return out;
}

struct ReadSummary {
  int delivered = 0;
  int skipped = 0;
  int repaired = 0;
  bool stopped = false;
  Diagnostics diagnostics;
};

inline ReadSummary read_file(const std::string& bytes, ReadMode mode) {
  ReadOptions options;
  options.mode = mode;
  Iso2709Reader reader(InputBuffer::from_bytes(bytes), options);
  ReadSummary s;
  ReadItem item;
  while (reader.next(item)) {
    s.diagnostics.insert(s.diagnostics.end(), item.diagnostics.begin(), item.diagnostics.end());
    if (item.has_record) {
      ++s.delivered;
      if (item.view.repaired()) ++s.repaired;
    }
    for (const auto& d : item.diagnostics)
      if (d.code == Code::RecordSkipped) ++s.skipped;
  }
  s.stopped = reader.stopped();
  return s;
}

inline bool has_code(const Diagnostics& diags, Code code) {
  for (const auto& d : diags)
    if (d.code == code) return true;
  return false;
}

inline QString describe(const Diagnostics& diags, std::size_t max = 5) {
  QString s;
  for (std::size_t i = 0; i < diags.size() && i < max; ++i) s += QString::fromStdString(diags[i].to_string()) + "\n";
  return s;
}

}  // namespace marcscope::test
