#include "record_table_header.h"

#include <QIcon>
#include <QMouseEvent>
#include <QPixmap>
#include <QStyleOptionHeaderV2>

namespace marcscope::ui {

RecordTableHeader::RecordTableHeader(QWidget* parent) : QHeaderView(Qt::Horizontal, parent) {
  setSectionsClickable(true);  // as QTableView's own header
  setHighlightSections(false);
  setMouseTracking(true);
}

void RecordTableHeader::initStyleOptionForIndex(QStyleOptionHeader* option, int logicalIndex) const {
  initStyleOption(option);  // orientation, enabled, the widget's palette and font
  if (window()->isActiveWindow()) option->state |= QStyle::State_Active;
  if (sectionsClickable()) {
    if (logicalIndex == hover_) option->state |= QStyle::State_MouseOver;
    if (logicalIndex == pressed_) option->state |= QStyle::State_Sunken;
  }
  option->section = logicalIndex;
  const QAbstractItemModel* m = model();
  if (!m) return;
  const Qt::Orientation o = orientation();
  const QVariant align = m->headerData(logicalIndex, o, Qt::TextAlignmentRole);
  option->textAlignment = align.isValid() ? Qt::Alignment(align.toInt()) : defaultAlignment();
  option->iconAlignment = Qt::AlignVCenter;
  option->text = m->headerData(logicalIndex, o, Qt::DisplayRole).toString();
  const QVariant decoration = m->headerData(logicalIndex, o, Qt::DecorationRole);
  option->icon = qvariant_cast<QIcon>(decoration);
  if (option->icon.isNull()) option->icon = QIcon(qvariant_cast<QPixmap>(decoration));
  if (isSortIndicatorShown() && sortIndicatorSection() == logicalIndex)
    option->sortIndicator = sortIndicatorOrder() == Qt::AscendingOrder ? QStyleOptionHeader::SortDown : QStyleOptionHeader::SortUp;
  const QVariant foreground = m->headerData(logicalIndex, o, Qt::ForegroundRole);
  if (foreground.canConvert<QBrush>()) option->palette.setBrush(QPalette::ButtonText, qvariant_cast<QBrush>(foreground));
  const QVariant background = m->headerData(logicalIndex, o, Qt::BackgroundRole);
  if (background.canConvert<QBrush>()) {
    option->palette.setBrush(QPalette::Button, qvariant_cast<QBrush>(background));
    option->palette.setBrush(QPalette::Window, qvariant_cast<QBrush>(background));
  }
  // Where the section sits among the visible ones (a few columns: a walk is cheap).
  int first = -1, last = -1;
  for (int v = 0; v < count(); ++v) {
    if (isSectionHidden(this->logicalIndex(v))) continue;
    if (first < 0) first = v;
    last = v;
  }
  const int visual = visualIndex(logicalIndex);
  if (first == last) option->position = QStyleOptionHeader::OnlyOneSection;
  else if (visual == first) option->position = QStyleOptionHeader::Beginning;
  else if (visual == last) option->position = QStyleOptionHeader::End;
  else option->position = QStyleOptionHeader::Middle;
  option->selectedPosition = QStyleOptionHeader::NotAdjacent;
  if (auto* v2 = qstyleoption_cast<QStyleOptionHeaderV2*>(option)) v2->textElideMode = textElideMode();
}

void RecordTableHeader::mouseMoveEvent(QMouseEvent* event) {
  const int section = logicalIndexAt(event->position().toPoint());
  if (section != hover_) {
    const int old = hover_;
    hover_ = section;
    if (old >= 0) updateSection(old);
    if (section >= 0) updateSection(section);
  }
  QHeaderView::mouseMoveEvent(event);
}

void RecordTableHeader::mousePressEvent(QMouseEvent* event) {
  pressed_ = logicalIndexAt(event->position().toPoint());
  if (pressed_ >= 0) updateSection(pressed_);
  QHeaderView::mousePressEvent(event);
}

void RecordTableHeader::mouseReleaseEvent(QMouseEvent* event) {
  const int old = pressed_;
  pressed_ = -1;
  if (old >= 0) updateSection(old);
  QHeaderView::mouseReleaseEvent(event);
}

void RecordTableHeader::leaveEvent(QEvent* event) {
  const int old = hover_;
  hover_ = -1;
  if (old >= 0) updateSection(old);
  QHeaderView::leaveEvent(event);
}

}  // namespace marcscope::ui
