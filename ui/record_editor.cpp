#include "record_editor.h"

#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QShortcut>
#include <QSplitter>
#include <QTextBlock>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>

#include "file_session.h"
#include "record_pane.h"
#include "marcscope/formats/mrk_reader.h"
#include "marcscope/validate/validator.h"

namespace marcscope::ui {

RecordEditor::RecordEditor(QWidget* parent) : QWidget(parent) {
  verdict_ = new QLabel(this);
  verdict_->setWordWrap(true);
  verdict_->setTextFormat(Qt::RichText);
  edit_ = new QPlainTextEdit(this);
  edit_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  edit_->setLineWrapMode(QPlainTextEdit::WidgetWidth);
  edit_->setPlaceholderText(tr("Select a record to edit it as MARCMaker text."));
  new MrkHighlighter(edit_->document());
  problems_ = new QListWidget(this);
  problems_->setWordWrap(true);
  apply_ = new QPushButton(tr("&Apply"), this);
  apply_->setToolTip(tr("Keep this version of the record in the session (Ctrl+Return); File → Save As writes it"));
  revert_ = new QPushButton(tr("Re&vert"), this);
  revert_->setToolTip(tr("Go back to the text of the record as it was shown"));
  edit_->setToolTip(tr("One line per field: =TAG, two blanks, then the indicators and $a $b … subfields.\n"
                       "\\ is a blank · {dollar} is a $ in data · a blank line would end the record"));
  auto* top = new QHBoxLayout;
  top->addWidget(verdict_, 1);
  top->addWidget(revert_);
  top->addWidget(apply_);
  auto* split = new QSplitter(Qt::Vertical, this);
  split->addWidget(edit_);
  split->addWidget(problems_);
  split->setStretchFactor(0, 4);
  split->setStretchFactor(1, 1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 2, 0, 0);
  layout->addLayout(top);
  layout->addWidget(split, 1);

  debounce_ = new QTimer(this);
  debounce_->setSingleShot(true);
  debounce_->setInterval(250);
  connect(debounce_, &QTimer::timeout, this, &RecordEditor::check);
  connect(edit_, &QPlainTextEdit::textChanged, this, &RecordEditor::textChanged);
  connect(apply_, &QPushButton::clicked, this, &RecordEditor::apply);
  connect(revert_, &QPushButton::clicked, this, &RecordEditor::revert);
  auto* applyKey = new QShortcut(QKeySequence(tr("Ctrl+Return")), edit_, nullptr, nullptr, Qt::WidgetShortcut);
  connect(applyKey, &QShortcut::activated, this, &RecordEditor::apply);
  connect(problems_, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
    const int line = item->data(Qt::UserRole).toInt();
    if (line <= 0) return;
    const QTextBlock block = edit_->document()->findBlockByNumber(line - 1);
    if (!block.isValid()) return;
    edit_->setTextCursor(QTextCursor(block));
    edit_->setFocus();
  });
  connect(problems_, &QListWidget::itemClicked, problems_, &QListWidget::itemActivated);
  clear();
}

void RecordEditor::clear() {
  if (modified()) drafts_.insert(number_, edit_->toPlainText());
  session_ = nullptr;
  number_ = 0;
  original_.clear();
  const QSignalBlocker block(edit_);
  edit_->clear();
  edit_->setReadOnly(true);
  edit_->setExtraSelections({});
  problems_->clear();
  verdict_->setText(tr("No record selected."));
  readable_ = checked_ = false;
  updateButtons();
}

void RecordEditor::setRecord(FileSession* session, std::uint64_t number, const QString& text) {
  session_ = session;
  number_ = number;
  original_ = text;
  const QString draft = drafts_.take(number);
  {
    const QSignalBlocker block(edit_);
    edit_->setReadOnly(false);
    edit_->setPlainText(draft.isNull() ? text : draft);
  }
  debounce_->stop();
  check();
  if (!draft.isNull())
    verdict_->setText(verdict_->text() + tr(" <i>Your typing from before, not applied yet, is back (Revert drops it).</i>"));
}

bool RecordEditor::modified() const { return number_ != 0 && edit_->toPlainText() != original_; }

void RecordEditor::textChanged() {
  checked_ = false;
  updateButtons();
  debounce_->start();
}

bool RecordEditor::check() {
  debounce_->stop();
  problems_->clear();
  if (!session_ || number_ == 0) return false;
  const MrkRecordText read = read_mrk_record(edit_->toPlainText().toStdString(), number_);
  readable_ = read.readable;
  record_ = read.record;
  checked_ = true;
  // Reading's problems first (they decide Apply), then what the rules find in what was read.
  struct Problem {
    Severity severity;
    std::uint32_t line;
    QString text;
    bool reading;
  };
  std::vector<Problem> list;
  for (std::size_t i = 0; i < read.diagnostics.size(); ++i) {
    const Diagnostic& d = read.diagnostics[i];
    list.push_back({d.severity, read.diagnostic_lines[i], QString::fromStdString(d.message), true});
  }
  Diagnostics findings;
  if (!read.record.fields().empty()) session_->recordValidator().validate(read.record, number_, 0, findings);
  for (const Diagnostic& d : findings) {
    const std::uint32_t line = d.field >= 0 ? read.line_of_field(d.field) : d.tag == "LDR" ? read.leader_line : 0;
    QString where;
    if (!d.tag.empty() && !d.message.starts_with(d.tag))
      where = QString::fromStdString(d.tag) + (d.subfield ? QStringLiteral(" $") + QChar::fromLatin1(d.subfield) : QString()) + QStringLiteral(": ");
    list.push_back({d.severity, line, where + QString::fromStdString(d.message), false});
  }
  // What blocks Apply first, then the rest by line.
  std::stable_sort(list.begin(), list.end(), [](const Problem& a, const Problem& b) {
    const bool ba = a.reading && a.severity >= Severity::Error, bb = b.reading && b.severity >= Severity::Error;
    return ba != bb ? ba : a.line < b.line;
  });
  QList<QTextEdit::ExtraSelection> marks;
  int errors = 0, others = 0;
  for (const Problem& p : list) {
    QString text = p.text;
    // Reading's messages start with their line ("line 4: ..."); the rules' do not.
    if (p.line > 0 && !text.startsWith(QStringLiteral("line "))) text = tr("line %1: %2").arg(p.line).arg(text);
    auto* item = new QListWidgetItem(QString::fromLatin1(severity_name(p.severity).data()) + QStringLiteral(" — ") + text);
    item->setForeground(severityColor(p.severity));
    item->setData(Qt::UserRole, static_cast<int>(p.line));
    item->setToolTip(p.reading ? tr("Reading the text: %1").arg(p.text) : tr("Validation: %1").arg(p.text));
    problems_->addItem(item);
    (p.reading && p.severity >= Severity::Error ? errors : others)++;
    if (p.line == 0) continue;
    const QTextBlock block = edit_->document()->findBlockByNumber(static_cast<int>(p.line) - 1);
    if (!block.isValid()) continue;
    QTextEdit::ExtraSelection s;
    s.cursor = QTextCursor(block);
    s.format.setProperty(QTextFormat::FullWidthSelection, true);
    s.format.setBackground(p.severity >= Severity::Error ? tone(0xffebee, 0x4a2020) : tone(0xfff8e1, 0x3e3520));
    marks << s;
  }
  edit_->setExtraSelections(marks);
  if (!readable_)
    verdict_->setText(tr("<b style='color:%1'>✖ Record %2 cannot be applied:</b> %3 line(s) cannot be read — fix them first.")
                          .arg(tone(0xc62828, 0xef9a9a).name())
                          .arg(number_)
                          .arg(std::max(errors, 1)));
  else
    verdict_->setText(tr("<b style='color:%1'>✔ Record %2 reads as MARC.</b> %3")
                          .arg(tone(0x2e7d32, 0xa5d6a7).name())
                          .arg(number_)
                          .arg(others ? tr("%1 finding(s) below; you can still apply it.").arg(others) : tr("No problems found.")));
  if (list.empty()) problems_->addItem(tr("No problems found in this text."));
  updateButtons();
  return readable_;
}

bool RecordEditor::apply() {
  if (!session_ || number_ == 0) return false;
  if (!checked_) check();
  if (!readable_ || !modified()) return false;
  // What the editor shows next (the applied record) starts from here: nothing left as a draft.
  original_ = edit_->toPlainText();
  Q_EMIT applied(number_, record_);
  return true;
}

void RecordEditor::revert() {
  if (!session_ || number_ == 0) return;
  edit_->setPlainText(original_);
  check();
}

void RecordEditor::updateButtons() {
  const bool changed = modified();
  revert_->setEnabled(changed);
  // Before the check has caught up with the text, Apply checks first (and refuses bad text).
  apply_->setEnabled(changed && (!checked_ || readable_));
}

}  // namespace marcscope::ui
