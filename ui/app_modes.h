#pragma once
// The app's non-interactive modes, on the real window (offscreen works):
//   --screenshot PNG FILE   saves the window once FILE is indexed, validated and shown
//   --benchmark FILE        prints one line per figure and exits

#include <QString>
#include <QStringList>

#include <cstdint>
#include <vector>

namespace marcscope::ui {

struct ScreenshotOptions {
  QString png, file;
  QString pane = QStringLiteral("mrk");        ///< mrk, tree, raw, edit
  QString bottom = QStringLiteral("findings"); ///< findings, statistics
  QString search;                              ///< a query to run first (its filtered view is shown)
  std::uint64_t record = 1;                    ///< the record to select (in the table or the filter)
  int finding = -1;                            ///< activate the first finding of this group (-1: none)
  int width = 1400, height = 900;
  QString profile;                             ///< validate with this profile of the engine (empty: the saved settings)
  QString chart = QStringLiteral("tags");      ///< the statistics chart shown: tags, types, encodings
  QString dialog;                              ///< "settings": save the Validation Settings dialog instead of the window
  /// Steps in the record editor, in order: text to append to it (`apply` false) or Apply (true);
  /// Edit → New Record (`add`, the editor then holds it); Edit → Delete Records on record `remove`.
  struct EditStep {
    bool apply = false;
    QString text;
    bool add = false;
    std::uint64_t remove = 0;
  };
  std::vector<EditStep> edits;
};

/// Parses the command line after the program name. Returns false (with `error`) when it cannot.
struct CommandLine {
  enum Mode { Interactive, Screenshot, Benchmark, Help, Version } mode = Interactive;
  QStringList files;
  ScreenshotOptions shot;
  QString benchmarkQuery = QStringLiteral("245$a~history");
  QString error;
};
CommandLine parseCommandLine(const QStringList& args);
QString usage();

/// Both run the event loop themselves and return the exit status.
int runScreenshot(const ScreenshotOptions& options);
int runBenchmark(const QString& file, const QString& query);

}  // namespace marcscope::ui
