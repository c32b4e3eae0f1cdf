#pragma once
// The desktop app's window: one tab per open file, menus with shortcuts, recent files, drag
// and drop, and in the status bar the current file's job with a progress bar and Cancel.

#include <QMainWindow>
#include <QStringList>

#include <memory>

#include "validation_settings.h"

class QLabel;
class QMenu;
class QProgressBar;
class QPushButton;
class QTabWidget;
class QUndoGroup;

namespace marcscope {
class Executor;
}

namespace marcscope::ui {

class FileView;
enum class JobKind;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  /// Opens `path` in a new tab (or shows its tab when it is open). On failure returns null and,
  /// when interactive, says why in a message box; lastError() keeps the message.
  FileView* openFile(const QString& path);
  FileView* currentView() const;
  FileView* view(int tab) const;
  int fileCount() const;
  QString lastError() const { return lastError_; }
  /// False: failures are not shown in message boxes (tests, --screenshot, --benchmark).
  void setInteractive(bool on) { interactive_ = on; }
  /// What closing `views` would lose: "sample.mrc: 1 edited, 2 deleted", one file a line; empty
  /// when nothing is unsaved (the question mayDropEdits() asks).
  QString unsavedChanges(const QList<FileView*>& views) const;
  QStringList recentFiles() const;
  QProgressBar* progressBar() const { return progress_; }
  QPushButton* cancelButton() const { return cancel_; }
  QLabel* statusLabel() const { return status_; }
  std::shared_ptr<Executor> executor() const { return executor_; }
  /// The undo stacks of the open files; the current tab's is active (Edit → Undo, Redo).
  QUndoGroup* undoGroup() const { return undo_; }

  /// Writes the current file, with its edited records in place, to `path` as a new file (format
  /// by extension: .mrc ISO 2709, .xml MARCXML, .json MARC-in-JSON, .mrk MARCMaker) in the
  /// background. False, with lastError(), when it cannot start: no file, the index not complete,
  /// or `path` is the open file itself (which is never written).
  bool saveAs(const QString& path);
  /// Splits the current file as MarcEdit and `validate --split-good/--split-bad` do: records with
  /// no warning, error or repair in the last validation to `good`, every other record (unreadable
  /// ones included) to `bad`, in the format of `good`'s extension, in the background. False, with
  /// lastError(), when it cannot start: no file, not indexed or validated to the end, edits not
  /// saved yet, or a path that is the open file or the other path.
  bool split(const QString& good, const QString& bad);
  /// Writes the current file's latest validation report to `path` in the background (progress
  /// and Cancel in the status bar), its format by extension: .csv every finding with its message
  /// (the columns of `marcscope validate --format csv`), .json or .html a report listing every
  /// finding, .txt the summary. False, with lastError(), when there is no report yet.
  bool exportReportTo(const QString& path);

  /// The validation settings every open file and the record editor use (Tools → Validation Settings).
  const ValidationSettings& validationSettings() const { return validation_; }
  std::shared_ptr<const Validator> validator() const { return validator_; }
  /// Makes `settings` the validation settings: saved, and every open file validated again with
  /// them in the background. False, with lastError() and nothing changed, when the engine refuses them.
  /// `save` false: for this window only (--screenshot --profile), not kept in QSettings.
  bool setValidationSettings(const ValidationSettings& settings, bool save = true);

  static QString appVersion();
  static QString aboutText();

 public Q_SLOTS:
  void openDialog();
  void goToDialog();
  void closeTab(int tab);
  void exportReport();
  void exportRecords();
  void saveAsDialog();
  void splitDialog();
  void editRecord();
  /// Edit → New Record (Ctrl+N) and Delete Records (Del) on the current file.
  void newRecord();
  void deleteRecords();
  void addColumn();
  void validationSettingsDialog();
  void about();

 protected:
  void closeEvent(QCloseEvent* event) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void buildMenus();
  void updateRecentMenu();
  void addRecent(const QString& path);
  void showFailure(const QString& title, const QString& message);
  void updateStatus();
  void watch(FileView* view);
  /// True when `views` hold no unsaved edits, or the user (asked when interactive) lets them go.
  bool mayDropEdits(const QList<FileView*>& views);

  std::shared_ptr<Executor> executor_;
  QTabWidget* tabs_;
  QLabel* status_;
  QProgressBar* progress_;
  QPushButton* cancel_;
  QMenu* recentMenu_ = nullptr;
  QUndoGroup* undo_;
  QString lastError_;
  bool interactive_ = true;
  ValidationSettings validation_;
  std::shared_ptr<const Validator> validator_;
};

}  // namespace marcscope::ui
