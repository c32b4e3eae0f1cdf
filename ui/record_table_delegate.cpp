#include "record_table_delegate.h"

#include <QApplication>
#include <QFontMetrics>
#include <QPainter>
#include <QPen>

#include <algorithm>
#include <QStyle>

namespace marcscope::ui {

const QStaticText& RecordTableDelegate::laidOut(const QString& text, const QFont& font, int width) const {
  QString key;
  key.reserve(text.size() + 12);
  key += text;
  key += QChar(0xFFFF);
  key += QString::number(width);
  key += font.bold() ? QLatin1Char('b') : QLatin1Char('n');
  if (auto it = cache_.constFind(key); it != cache_.constEnd()) return *it;
  if (cache_.size() >= kCacheSize) cache_.clear();
  ++layouts_;
  const QFontMetrics fm(font);
  // Only what can show is laid out: a 400-character title in a 200-pixel column is cut first.
  QString shown = text;
  const int most = width / std::max(1, fm.averageCharWidth() / 4) + 2;
  if (shown.size() > most) shown.truncate(most);
  QStaticText st(shown);
  st.setTextFormat(Qt::PlainText);
  st.setPerformanceHint(QStaticText::AggressiveCaching);
  st.prepare(QTransform(), font);
  if (shown.size() < text.size() || st.size().width() > width) {
    st.setText(fm.elidedText(shown + QChar(0x2026), Qt::ElideRight, width));
    st.prepare(QTransform(), font);
  }
  return *cache_.insert(key, st);
}

void RecordTableDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const {
  const QWidget* widget = option.widget;
  QStyle* style = widget ? widget->style() : QApplication::style();
  // Background: alternate rows, selection, hover, as the style paints an item's panel.
  QStyleOptionViewItem panel = option;
  panel.index = index;
  style->drawPrimitive(QStyle::PE_PanelItemViewItem, &panel, painter, widget);
  const QString text = index.data(Qt::DisplayRole).toString();
  if (text.isEmpty()) return;
  QFont font = option.font;
  if (const QVariant f = index.data(Qt::FontRole); f.isValid()) font = qvariant_cast<QFont>(f);
  QColor color;
  const bool selected = option.state & QStyle::State_Selected;
  const QPalette::ColorGroup group = !(option.state & QStyle::State_Enabled) ? QPalette::Disabled
                                     : (option.state & QStyle::State_Active) ? QPalette::Active
                                                                              : QPalette::Inactive;
  if (selected) {
    color = option.palette.color(group, QPalette::HighlightedText);
  } else if (const QVariant c = index.data(Qt::ForegroundRole); c.canConvert<QBrush>()) {
    color = qvariant_cast<QBrush>(c).color();
  } else {
    color = option.palette.color(group, QPalette::Text);
  }
  const int margin = style->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, widget) + 1;
  const QRect area = option.rect.adjusted(margin, 0, -margin, 0);
  if (area.width() <= 0) return;
  const QStaticText& st = laidOut(text, font, area.width());
  const QSizeF size = st.size();
  const QVariant align = index.data(Qt::TextAlignmentRole);
  const bool right = align.isValid() && (align.toInt() & Qt::AlignRight);
  const qreal x = right ? area.right() + 1 - size.width() : area.left();
  const qreal y = area.top() + (area.height() - size.height()) / 2;
  painter->save();
  painter->setClipRect(area);
  painter->setFont(font);
  painter->setPen(color);
  painter->drawStaticText(QPointF(x, y), st);
  if (font.strikeOut()) {
    // QStaticText keeps glyphs only: the line through a deleted record's text is drawn here.
    const QFontMetricsF fm(font);
    const qreal at = y + fm.ascent() - fm.strikeOutPos();
    QPen pen(color);
    pen.setWidthF(std::max<qreal>(1.0, fm.lineWidth()));
    painter->setPen(pen);
    painter->drawLine(QPointF(x, at), QPointF(x + size.width(), at));
  }
  painter->restore();
}

}  // namespace marcscope::ui
