#pragma once
// Helpers for the desktop app's tests: fixture paths, waiting on the event loop, and what the
// engine itself says about a file (the figures the app must agree with).

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>

#include <chrono>
#include <functional>
#include <stop_token>
#include <string>
#include <thread>

#include "file_session.h"
#include "file_view.h"
#include "main_window.h"
#include "marcscope/read/record_reader.h"

namespace marcscope::guitest {

inline QString dataPath(const QString& rel) { return QStringLiteral(MARCSCOPE_TEST_DATA) + "/" + rel; }

/// Runs the event loop until `done` (true) or `ms` have passed (false).
inline bool waitFor(const std::function<bool()>& done, int ms = 20000) {
  QElapsedTimer t;
  t.start();
  while (!done()) {
    if (t.elapsed() > ms) return false;
    QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents, 10);
  }
  return true;
}

/// For a FileSession job gate: the worker waits until its job is asked to stop (by the GUI thread
/// acting on the signal just posted), at most a minute (a test that never stops it fails on what
/// it checks instead of hanging).
inline void hold_until_stopped(const std::stop_token& stop) {
  for (int i = 0; i < 60000 && !stop.stop_requested(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

/// Opens `path` in the window and waits until its jobs (index, validation, statistics) are done.
inline ui::FileView* openAndWait(ui::MainWindow& w, const QString& path) {
  ui::FileView* v = w.openFile(path);
  if (!v) return nullptr;
  if (!waitFor([&] { return !v->session()->busy(); }, 60000)) return nullptr;
  return v;
}

/// Records the engine's reader delivers or skips (what the app's index must hold).
inline std::uint64_t engineRecordCount(const QString& path) {
  auto reader = RecordReader::open(path.toStdString());
  return reader->run([](Batch&) { return true; }).records_seen;
}

/// `copies` copies of `source` in one file under `dir` (a long file to index).
inline QString concatenated(const QTemporaryDir& dir, const QString& source, int copies) {
  QFile in(source);
  if (!in.open(QIODevice::ReadOnly)) return {};
  const QByteArray bytes = in.readAll();
  const QString path = dir.filePath(QStringLiteral("long.mrc"));
  QFile out(path);
  if (!out.open(QIODevice::WriteOnly)) return {};
  for (int i = 0; i < copies; ++i) out.write(bytes);
  return path;
}

}  // namespace marcscope::guitest
