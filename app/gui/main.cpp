// marcscope-gui: the desktop app. Everything is in ui/ (marcscope_ui); this is only main().
#include <QApplication>

#include <cstdio>

#include "app_modes.h"
#include "main_window.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("MarcScope"));
  QApplication::setApplicationName(QStringLiteral("marcscope-gui"));
  QApplication::setApplicationVersion(marcscope::ui::MainWindow::appVersion());
  const auto cmd = marcscope::ui::parseCommandLine(QApplication::arguments().mid(1));
  if (!cmd.error.isEmpty()) {
    std::fprintf(stderr, "marcscope-gui: %s\n\n%s", qPrintable(cmd.error), qPrintable(marcscope::ui::usage()));
    return 2;
  }
  switch (cmd.mode) {
    case marcscope::ui::CommandLine::Help: std::printf("%s", qPrintable(marcscope::ui::usage())); return 0;
    case marcscope::ui::CommandLine::Version: std::printf("marcscope-gui %s\n", qPrintable(marcscope::ui::MainWindow::appVersion())); return 0;
    case marcscope::ui::CommandLine::Screenshot: return marcscope::ui::runScreenshot(cmd.shot);
    case marcscope::ui::CommandLine::Benchmark: return marcscope::ui::runBenchmark(cmd.files.value(0), cmd.benchmarkQuery);
    case marcscope::ui::CommandLine::Interactive: break;
  }
  marcscope::ui::MainWindow window;
  window.show();
  for (const QString& file : cmd.files) window.openFile(file);
  return app.exec();
}
