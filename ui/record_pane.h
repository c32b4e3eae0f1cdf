#pragma once
// The selected record, three ways: MARCMaker text (the engine's writer) with colours for tags,
// indicators and subfield codes; a field/subfield tree; and its bytes as they are in the file,
// in hex, with the leader, directory and fields coloured from the engine's record_layout (the
// only honest view of a broken record); and an editor of its MARCMaker text. Below, what reading
// and validating this record finds. A record edited in the session is shown as edited.

#include <QSyntaxHighlighter>
#include <QWidget>

#include <cstdint>
#include <string>
#include <vector>

#include "marcscope/model/record.h"

class QLabel;
class QListWidget;
class QPlainTextEdit;
class QTabWidget;
class QTreeWidget;

namespace marcscope::ui {

class FileSession;
class RecordEditor;

/// `light` (0xRRGGBB) on a light palette, `dark` on a dark one.
QColor tone(int light, int dark);
/// The colour of a finding of severity `s` (for light and dark palettes).
QColor severityColor(Severity s);

/// Colours MARCMaker lines: "=245  10$aTitle".
class MrkHighlighter : public QSyntaxHighlighter {
  Q_OBJECT
 public:
  explicit MrkHighlighter(QTextDocument* document);

 protected:
  void highlightBlock(const QString& text) override;
};

class RecordPane : public QWidget {
  Q_OBJECT

 public:
  enum Tab { MarcMakerTab, TreeTab, RawTab, EditTab };
  explicit RecordPane(QWidget* parent = nullptr);

  /// Shows record `number` of `session`'s file (0: nothing).
  void showRecord(FileSession* session, std::uint64_t number);
  /// Marks field `field` (its index in the record) in every view; -1 clears the mark.
  void highlightField(int field);
  void setCurrentTab(Tab tab);

  std::uint64_t record() const { return number_; }
  /// The views' contents (each filled when first shown, or asked for here).
  QString marcMakerText();
  QString hexText();
  QTreeWidget* tree();
  QListWidget* problems() const { return problems_; }
  QTabWidget* tabs() const { return tabs_; }
  RecordEditor* editor() const { return editor_; }
  QLabel* title() const { return title_; }

 private:
  void fillHex(const std::string& bytes, bool iso);
  void ensureFilled(int tab);
  void markIn(int tab);

  QLabel* title_;
  QTabWidget* tabs_;
  QPlainTextEdit* mrk_;
  QTreeWidget* tree_;
  QPlainTextEdit* hex_;
  QListWidget* problems_;
  RecordEditor* editor_;
  FileSession* session_ = nullptr;
  std::uint64_t number_ = 0;
  Record record_;
  std::string bytes_;
  bool skipped_ = true, iso_ = false;
  unsigned filled_ = 0;  ///< tabs filled for this record (bit per Tab)
  int marked_ = -1;      ///< the field highlightField() marked
  int fields_ = 0;
  struct Region {
    int first, last, field;
  };
  std::vector<Region> field_bytes_;  ///< byte ranges of each field in the hex view
};

}  // namespace marcscope::ui
