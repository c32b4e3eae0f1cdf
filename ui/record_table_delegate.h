#pragma once
// Paints the record table's cells cheaply: the style's item panel (alternate rows, selection),
// then the cell's text as a QStaticText laid out once and kept in a small cache, elided to the
// column's width, in the model's font (bold, struck out) and colour. QStyledItemDelegate lays every cell's text out three times a paint (its size,
// its elision, drawing it), which made the table most of the GUI thread's time when jumping to
// a record or scrolling (docs/BENCHMARKS-gui.md).

#include <QHash>
#include <QStaticText>
#include <QStyledItemDelegate>

#include <cstdint>

namespace marcscope::ui {

class RecordTableDelegate : public QStyledItemDelegate {
  Q_OBJECT

 public:
  using QStyledItemDelegate::QStyledItemDelegate;
  void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;

  /// Laid-out texts kept, and texts laid out so far (for tests).
  qsizetype cachedTexts() const { return cache_.size(); }
  std::uint64_t layouts() const { return layouts_; }

 private:
  /// `text` laid out in `font`, elided to `width` pixels.
  const QStaticText& laidOut(const QString& text, const QFont& font, int width) const;

  static constexpr qsizetype kCacheSize = 8192;
  mutable QHash<QString, QStaticText> cache_;
  mutable std::uint64_t layouts_ = 0;
};

}  // namespace marcscope::ui
