#pragma once
// Editing one record as MARCMaker text: the record pane's highlighter colours tags, indicators
// and subfield codes; a moment after each change the engine reads the text (read_mrk_record)
// and validates the result, and the problems are listed under the text by line (a click goes to
// the line). Apply hands the record over when it reads without error; Revert restores the text.
// One record is read and validated in well under a millisecond, so this runs on the GUI thread.

#include <QWidget>

#include <QHash>

#include <cstdint>

#include "marcscope/model/record.h"

class QLabel;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QTimer;

namespace marcscope::ui {

class FileSession;

class RecordEditor : public QWidget {
  Q_OBJECT

 public:
  explicit RecordEditor(QWidget* parent = nullptr);

  /// Starts editing record `number` of `session` from `text` (its MARCMaker text).
  void setRecord(FileSession* session, std::uint64_t number, const QString& text);
  /// Nothing to edit (no record selected). Typing not applied is kept as a draft of its record
  /// and comes back when that record is edited again.
  void clear();
  /// Records with typing not applied (drafts).
  int draftCount() const { return static_cast<int>(drafts_.size()); }

  /// Reads and validates the text now (what the timer does after typing stops); true when it
  /// reads as one record without error.
  bool check();
  /// Checks, then hands the record over (applied) when it reads without error and differs from
  /// the text it started from. Returns whether it did.
  bool apply();
  /// The text it started from, again.
  void revert();
  /// The text differs from the text it started from.
  bool modified() const;
  std::uint64_t record() const { return number_; }

  QPlainTextEdit* editor() const { return edit_; }
  QListWidget* problems() const { return problems_; }
  QLabel* verdict() const { return verdict_; }
  QPushButton* applyButton() const { return apply_; }
  QPushButton* revertButton() const { return revert_; }

 Q_SIGNALS:
  void applied(quint64 number, const marcscope::Record& record);

 private:
  void textChanged();
  void updateButtons();

  QLabel* verdict_;
  QPlainTextEdit* edit_;
  QListWidget* problems_;
  QPushButton* apply_;
  QPushButton* revert_;
  QTimer* debounce_;
  FileSession* session_ = nullptr;
  std::uint64_t number_ = 0;
  QString original_;
  bool readable_ = false;
  bool checked_ = false;  ///< the verdict is about the text as it is now
  Record record_;         ///< what the text reads as (when readable_)
  QHash<std::uint64_t, QString> drafts_;
};

}  // namespace marcscope::ui
