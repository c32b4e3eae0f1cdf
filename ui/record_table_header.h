#pragma once
// The record table's column header. QHeaderView fills each section's style option by asking the
// selection model whether the section and its neighbours are selected, even with section
// highlighting off, and QItemSelectionModel::isColumnSelected() answers by asking the model for
// the flags of every selected row: with a million rows selected (Edit → Select All) each paint of
// the header cost a third of a second on the GUI thread (docs/BENCHMARKS-gui.md). Rows are
// selected whole here, so a column is never "selected" in a way worth showing: this header fills
// the option without asking the selection at all, and keeps the hover and pressed looks itself.

#include <QHeaderView>

namespace marcscope::ui {

class RecordTableHeader : public QHeaderView {
  Q_OBJECT

 public:
  explicit RecordTableHeader(QWidget* parent = nullptr);

  /// The option a section is painted with (public for tests).
  void sectionOption(QStyleOptionHeader* option, int logicalIndex) const { initStyleOptionForIndex(option, logicalIndex); }

 protected:
  void initStyleOptionForIndex(QStyleOptionHeader* option, int logicalIndex) const override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void leaveEvent(QEvent* event) override;

 private:
  int hover_ = -1;    ///< the section under the mouse
  int pressed_ = -1;  ///< the section pressed
};

}  // namespace marcscope::ui
