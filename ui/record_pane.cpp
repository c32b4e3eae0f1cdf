#include "record_pane.h"

#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPalette>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QSplitter>
#include <QTabWidget>
#include <QTextBlock>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "file_session.h"
#include "record_editor.h"
#include "marcscope/formats/mrk_writer.h"
#include "marcscope/iso2709/record_layout.h"
#include "marcscope/validate/validator.h"

namespace marcscope::ui {
namespace {

bool darkPalette() { return QPalette().color(QPalette::Base).lightness() < 128; }

/// Shows `text` in the pane's title label, cut with "…" to the label's width once it has one
/// (`laidOut`, or shown); the whole text is its tooltip, and kept to be cut again when the pane
/// is resized.
void setTitle(QLabel* label, const QString& text, bool laidOut = false) {
  label->setProperty("fullTitle", text);
  label->setToolTip(text);
  const int width = label->contentsRect().width() - 2 * label->margin();
  const bool cut = (laidOut || label->isVisible()) && width > 0;
  label->setText(cut ? label->fontMetrics().elidedText(text, Qt::ElideRight, width) : text);
}

/// Holds the pane's title label at a fixed height, without a layout: a new title (every record
/// shown) then asks no layout above it to be redone. A QLabel in the pane's layout did, and
/// recomputing the window's layout and repainting all of it was half the GUI thread's time on
/// a jump to a record (docs/BENCHMARKS-gui.md).
class TitleHolder : public QWidget {
 public:
  TitleHolder(QLabel* label, QWidget* parent) : QWidget(parent), label_(label) {
    label_->setParent(this);
    setFixedHeight(label_->fontMetrics().height() + 2 * label_->margin() + 4);
    setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
  }

 protected:
  void resizeEvent(QResizeEvent*) override {
    label_->setGeometry(rect());
    setTitle(label_, label_->property("fullTitle").toString(), true);
  }

 private:
  QLabel* label_;
};

}  // namespace

QColor tone(int light, int dark) { return QColor::fromRgb(darkPalette() ? QRgb(dark) : QRgb(light)); }

QColor severityColor(Severity s) {
  switch (s) {
    case Severity::Info: return tone(0x1565c0, 0x90caf9);
    case Severity::Warning: return tone(0xb26a00, 0xffcc80);
    case Severity::Error:
    case Severity::Fatal: return tone(0xc62828, 0xef9a9a);
  }
  return {};
}

MrkHighlighter::MrkHighlighter(QTextDocument* document) : QSyntaxHighlighter(document) {}

void MrkHighlighter::highlightBlock(const QString& text) {
  // "=TAG  " then, for data fields, two indicators and "$c" subfield codes; the writer escapes
  // a '$' in data as {dollar}, so every '$' here is a code.
  if (!text.startsWith(QLatin1Char('=')) || text.size() < 4) return;
  QTextCharFormat tag;
  tag.setForeground(tone(0x1a237e, 0x9fa8da));
  tag.setFontWeight(QFont::Bold);
  setFormat(0, 4, tag);
  const QStringView t = QStringView(text).mid(1, 3);
  const bool control = t == u"LDR" || (t.size() == 3 && t[0] == u'0' && t[1] == u'0');
  if (control || text.size() < 8) return;
  QTextCharFormat ind;
  ind.setForeground(tone(0x6a1b9a, 0xce93d8));
  ind.setBackground(tone(0xf3e5f5, 0x3a2a40));
  setFormat(6, 2, ind);
  QTextCharFormat code;
  code.setForeground(tone(0xb71c1c, 0xff8a80));
  code.setFontWeight(QFont::Bold);
  for (int i = 8; i + 1 < text.size(); ++i)
    if (text[i] == QLatin1Char('$')) setFormat(i, 2, code);
  QTextCharFormat escape;
  escape.setForeground(tone(0x00695c, 0x80cbc4));
  static const QRegularExpression braces(QStringLiteral("\\{[A-Za-z0-9]+\\}"));
  for (auto it = braces.globalMatch(text, 8); it.hasNext();) {
    const auto m = it.next();
    setFormat(static_cast<int>(m.capturedStart()), static_cast<int>(m.capturedLength()), escape);
  }
}

RecordPane::RecordPane(QWidget* parent) : QWidget(parent) {
  const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
  title_ = new QLabel(this);
  title_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  tabs_ = new QTabWidget(this);
  mrk_ = new QPlainTextEdit(this);
  mrk_->setReadOnly(true);
  mrk_->setFont(mono);
  mrk_->setLineWrapMode(QPlainTextEdit::WidgetWidth);
  new MrkHighlighter(mrk_->document());
  tree_ = new QTreeWidget(this);
  tree_->setColumnCount(3);
  tree_->setHeaderLabels({tr("Tag / code"), tr("Ind."), tr("Value")});
  tree_->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
  tree_->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
  tree_->setUniformRowHeights(true);
  tree_->setAlternatingRowColors(true);
  hex_ = new QPlainTextEdit(this);
  hex_->setReadOnly(true);
  QFont small = mono;
  small.setPointSizeF(mono.pointSizeF() * 0.9);
  hex_->setFont(small);
  hex_->setLineWrapMode(QPlainTextEdit::NoWrap);
  tabs_->addTab(mrk_, tr("MARCMaker"));
  tabs_->addTab(tree_, tr("Fields"));
  tabs_->addTab(hex_, tr("Raw bytes"));
  editor_ = new RecordEditor(this);
  tabs_->addTab(editor_, tr("Edit"));
  problems_ = new QListWidget(this);
  problems_->setWordWrap(true);
  auto* split = new QSplitter(Qt::Vertical, this);
  split->addWidget(tabs_);
  split->addWidget(problems_);
  split->setStretchFactor(0, 4);
  split->setStretchFactor(1, 1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(new TitleHolder(title_, this));
  layout->addWidget(split);
  connect(tabs_, &QTabWidget::currentChanged, this, &RecordPane::ensureFilled);
  // The editor lists the problems of its own text by line.
  connect(tabs_, &QTabWidget::currentChanged, this, [this](int tab) { problems_->setVisible(tab != EditTab); });
}

void RecordPane::setCurrentTab(Tab tab) { tabs_->setCurrentIndex(tab); }

QString RecordPane::marcMakerText() {
  ensureFilled(MarcMakerTab);
  return mrk_->toPlainText();
}

QString RecordPane::hexText() {
  ensureFilled(RawTab);
  return hex_->toPlainText();
}

QTreeWidget* RecordPane::tree() {
  ensureFilled(TreeTab);
  return tree_;
}

void RecordPane::showRecord(FileSession* session, std::uint64_t number) {
  session_ = session;
  number_ = number;
  fields_ = 0;
  filled_ = 0;
  marked_ = -1;
  record_ = Record();
  bytes_.clear();
  skipped_ = true;
  mrk_->clear();
  tree_->clear();
  hex_->clear();
  problems_->clear();
  field_bytes_.clear();
  editor_->clear();
  if (!session || number == 0 || number > session->recordCount()) {
    setTitle(title_, tr("No record selected"));
    return;
  }
  const QString deleted = session->isDeleted(number) ? tr(" — ✖ deleted (Save As leaves it out; Edit → Undo brings it back)") : QString();
  Diagnostics diags;
  if (session->isAdded(number)) {
    // Added in this session: no bytes in the file, checked on its own.
    const Record* added = session->edited(number);
    if (!added) return;
    record_ = *added;
    fields_ = static_cast<int>(record_.fields().size());
    skipped_ = false;
    iso_ = false;
    setTitle(title_, tr("Record %1 — + added in this session, not saved yet (File → Save As writes it)%2").arg(number).arg(deleted));
    session->recordValidator().validate(record_, number, 0, diags);
  } else {
    FetchedRecord fetched;
    try {
      fetched = session->file().fetch(number);
      bytes_ = session->file().raw(number);
    } catch (const std::exception& e) {
      setTitle(title_, tr("Record %1 cannot be read: %2").arg(number).arg(QString::fromUtf8(e.what())));
      return;
    }
    const auto& br = fetched.record;
    const Record* edit = session->edited(number);
    skipped_ = fetched.skipped && !edit;
    iso_ = session->file().format() == Format::Iso2709 || session->file().format() == Format::Iso2709Marc8;
    setTitle(title_, tr("Record %1 — byte %2, %3 bytes%4%5")
                        .arg(number)
                        .arg(br.offset)
                        .arg(bytes_.size())
                        .arg(edit ? tr(" — ✎ edited, not saved yet (File → Save As writes it; the raw bytes are the file's)")
                                  : fetched.skipped ? tr(" — unreadable in this mode; the raw bytes show what is there") : QString())
                        .arg(deleted));
    diags = fetched.diagnostics;
    if (edit) {
      // What the file's bytes say no longer applies: the edited record is checked on its own.
      diags.clear();
      record_ = *edit;
      fields_ = static_cast<int>(record_.fields().size());
      session->recordValidator().validate(record_, number, br.offset, diags);
    } else if (!fetched.skipped) {
      record_ = std::move(fetched.record.record);
      fields_ = static_cast<int>(record_.fields().size());
      if (session->validator()) session->validator()->validate(record_, number, br.offset, diags);
    }
  }
  // Only the tab in view is filled now; the others when they are shown.
  ensureFilled(tabs_->currentIndex());
  for (const Diagnostic& d : diags) {
    QString where;
    if (!d.tag.empty() && !d.message.starts_with(d.tag))
      where = QString::fromStdString(d.tag) + (d.subfield ? QStringLiteral(" $") + QChar::fromLatin1(d.subfield) : QString()) + QStringLiteral(": ");
    auto* item = new QListWidgetItem(QString::fromLatin1(severity_name(d.severity).data()) + QStringLiteral(" — ") + where +
                                     QString::fromStdString(d.message));
    item->setForeground(severityColor(d.severity));
    item->setData(Qt::UserRole, d.field);
    item->setToolTip(QString::fromStdString(d.to_string()));
    problems_->addItem(item);
  }
  if (diags.empty()) problems_->addItem(session->validator() ? tr("No problems found in this record.") : tr("No problems found reading this record (not validated yet)."));
}

void RecordPane::ensureFilled(int tab) {
  if (tab < 0 || tab > EditTab || (filled_ & (1u << tab)) || number_ == 0) return;
  filled_ |= 1u << tab;
  if (tab == EditTab) {
    // An unreadable record starts from empty text: typing it anew replaces it.
    std::string text;
    if (!skipped_) write_mrk(record_, text);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    editor_->setRecord(session_, number_, QString::fromStdString(text));
  } else if (tab == RawTab) {
    fillHex(bytes_, iso_);
  } else if (!skipped_ && tab == MarcMakerTab) {
    std::string text;
    write_mrk(record_, text);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    mrk_->setPlainText(QString::fromStdString(text));
  } else if (!skipped_ && tab == TreeTab) {
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    QList<QTreeWidgetItem*> items;
    auto* leader = new QTreeWidgetItem(QStringList{QStringLiteral("LDR"), QString(), QString::fromStdString(record_.leader())});
    leader->setFont(2, mono);
    items << leader;
    for (const Field& f : record_.fields()) {
      auto* item = new QTreeWidgetItem;
      items << item;
      item->setText(0, QString::fromStdString(f.tag()));
      if (f.is_control()) {
        item->setText(2, QString::fromStdString(f.value()));
        item->setFont(2, mono);
        continue;
      }
      const auto ind = [](char c) { return c == ' ' ? QStringLiteral("␢") : QString(QChar::fromLatin1(c)); };
      item->setText(1, ind(f.indicator1()) + ind(f.indicator2()));
      QStringList joined;
      for (const Subfield& sf : f.subfields()) {
        auto* child = new QTreeWidgetItem(item);
        child->setText(0, QStringLiteral("$") + QChar::fromLatin1(sf.code));
        child->setText(2, QString::fromStdString(sf.value));
        joined << QString::fromStdString(sf.value);
      }
      item->setText(2, joined.join(QLatin1Char(' ')));
    }
    tree_->addTopLevelItems(items);
    tree_->expandAll();
  }
  if (marked_ >= 0 && tab != EditTab) markIn(tab);
}

void RecordPane::fillHex(const std::string& bytes, bool iso) {
  // Offsets, 16 bytes in hex, then the same bytes as text (dots for what is not printable ASCII).
  constexpr int kPerLine = 16;
  constexpr int kHexAt = 10, kTextAt = kHexAt + kPerLine * 3 + 1;
  const std::size_t shown = std::min<std::size_t>(bytes.size(), 256 * 1024);
  QString text;
  text.reserve(static_cast<qsizetype>((shown / kPerLine + 1) * (kTextAt + kPerLine + 1)));
  static const char* digits = "0123456789ABCDEF";
  for (std::size_t line = 0; line * kPerLine < shown; ++line) {
    const std::size_t at = line * kPerLine;
    text += QStringLiteral("%1  ").arg(at, 8, 16, QLatin1Char('0'));
    for (int i = 0; i < kPerLine; ++i) {
      if (at + i < shown) {
        const auto c = static_cast<unsigned char>(bytes[at + i]);
        text += QLatin1Char(digits[c >> 4]);
        text += QLatin1Char(digits[c & 15]);
        text += QLatin1Char(' ');
      } else {
        text += QStringLiteral("   ");
      }
    }
    text += QLatin1Char(' ');
    for (int i = 0; i < kPerLine && at + i < shown; ++i) {
      const auto c = static_cast<unsigned char>(bytes[at + i]);
      text += c == 0x1D ? QChar(u'⧫') : c == 0x1E ? QChar(u'¶') : c == 0x1F ? QChar(u'$') : (c >= 0x20 && c < 0x7F) ? QChar::fromLatin1(static_cast<char>(c)) : QChar(u'·');
    }
    text += QLatin1Char('\n');
  }
  if (shown < bytes.size()) text += tr("… %1 more bytes not shown\n").arg(bytes.size() - shown);
  hex_->setPlainText(text);
  if (!iso) return;
  // Colours from the engine's layout of the record.
  const int lineLength = kTextAt + kPerLine + 1;
  QList<QTextEdit::ExtraSelection> marks;
  auto mark = [&](std::size_t first, std::size_t last, const QColor& back) {
    for (std::size_t b = first; b <= last && b < shown;) {
      const std::size_t line = b / kPerLine;
      const std::size_t end = std::min<std::size_t>(last, line * kPerLine + kPerLine - 1);
      const int col0 = static_cast<int>(b % kPerLine), col1 = static_cast<int>(end % kPerLine);
      for (const auto& [from, to] : {std::pair{kHexAt + col0 * 3, kHexAt + col1 * 3 + 2}, std::pair{kTextAt + col0, kTextAt + col1 + 1}}) {
        QTextEdit::ExtraSelection s;
        s.cursor = QTextCursor(hex_->document());
        s.cursor.setPosition(static_cast<int>(line) * lineLength + from);
        s.cursor.setPosition(static_cast<int>(line) * lineLength + to, QTextCursor::KeepAnchor);
        s.format.setBackground(back);
        marks << s;
      }
      b = end + 1;
    }
  };
  int alt = 0;
  for (const ByteRegion& g : record_layout(bytes)) {
    const std::size_t first = g.offset, last = g.offset + g.length - 1;
    switch (g.kind) {
      case ByteRegion::Kind::Leader: mark(first, last, tone(0xffe0b2, 0x5d4037)); break;
      case ByteRegion::Kind::DirectoryEntry: mark(first, last, (g.field % 2) ? tone(0xc8e6c9, 0x2e5130) : tone(0xa5d6a7, 0x1b3a1e)); break;
      case ByteRegion::Kind::DirectoryTerminator:
      case ByteRegion::Kind::RecordTerminator: mark(first, last, tone(0xbdbdbd, 0x616161)); break;
      case ByteRegion::Kind::Field:
        mark(first, last, (alt++ % 2) ? tone(0xe3f2fd, 0x1f3347) : tone(0xbbdefb, 0x263f5a));
        field_bytes_.push_back({static_cast<int>(first), static_cast<int>(last), g.field});
        break;
    }
  }
  hex_->setExtraSelections(marks);
  hex_->setProperty("layoutMarks", static_cast<int>(marks.size()));
}

void RecordPane::highlightField(int field) {
  marked_ = field;
  for (int tab = MarcMakerTab; tab <= RawTab; ++tab)
    if (filled_ & (1u << tab)) markIn(tab);
}

void RecordPane::markIn(int tab) {
  const int field = marked_;
  if (tab == MarcMakerTab) {
    // MARCMaker: line 0 is the leader, line k + 1 field k (the writer writes one line per field).
    QList<QTextEdit::ExtraSelection> marks;
    if (field >= 0 && field < fields_) {
      const QTextBlock block = mrk_->document()->findBlockByNumber(field + 1);
      if (block.isValid()) {
        QTextEdit::ExtraSelection s;
        s.cursor = QTextCursor(block);
        s.cursor.movePosition(QTextCursor::EndOfBlock, QTextCursor::KeepAnchor);
        s.format.setBackground(tone(0xfff59d, 0x5f5a1e));
        s.format.setProperty(QTextFormat::FullWidthSelection, true);
        marks << s;
        mrk_->setTextCursor(QTextCursor(block));
        mrk_->ensureCursorVisible();
      }
    }
    mrk_->setExtraSelections(marks);
  } else if (tab == TreeTab) {
    // Tree: the field's item (item 0 is the leader).
    if (field >= 0 && field + 1 < tree_->topLevelItemCount()) {
      QTreeWidgetItem* item = tree_->topLevelItem(field + 1);
      tree_->setCurrentItem(item);
      tree_->scrollToItem(item);
    } else {
      tree_->setCurrentItem(nullptr);
    }
  } else {
    // Raw bytes: the cursor on the field's first byte.
    for (const Region& r : field_bytes_)
      if (r.field == field) {
        hex_->setTextCursor(QTextCursor(hex_->document()->findBlockByNumber(r.first / 16)));
        hex_->ensureCursorVisible();
        break;
      }
  }
}

}  // namespace marcscope::ui
