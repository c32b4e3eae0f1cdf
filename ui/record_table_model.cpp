#include "record_table_model.h"

#include <QBrush>
#include <QColor>
#include <QFont>

#include "file_session.h"
#include "marcscope/read/batch.h"

namespace marcscope::ui {

std::vector<RecordTableModel::Column> RecordTableModel::defaultColumns() {
  std::vector<Column> c;
  c.push_back({tr("No."), ColumnKind::Number, std::nullopt});
  c.push_back(specColumn("001", tr("001")));
  c.push_back(specColumn("LDR/06-07", tr("Type")));
  c.push_back(specColumn("245$a", tr("Title")));
  c.push_back(specColumn("1XX$a", tr("Main entry")));
  c.push_back(specColumn("008/07-10", tr("Date")));
  c.push_back({tr("Encoding"), ColumnKind::Encoding, std::nullopt});
  c.push_back({tr("Status"), ColumnKind::Status, std::nullopt});
  return c;
}

RecordTableModel::Column RecordTableModel::specColumn(const QString& spec, const QString& title) {
  Column c;
  c.kind = ColumnKind::Spec;
  c.path = FieldPath::parse(spec.trimmed().toStdString());
  c.title = title.isEmpty() ? spec.trimmed() : title;
  return c;
}

RecordTableModel::RecordTableModel(FileSession* session, QObject* parent)
    : QAbstractTableModel(parent), session_(session), columns_(defaultColumns()) {
  syncRows();
}

void RecordTableModel::syncRows() {
  // Added records come once the index is complete, after the file's records.
  const std::uint64_t n = std::min<std::uint64_t>(session_->recordCount(), kMaxRows);
  if (n < static_cast<std::uint64_t>(rows_)) {
    beginRemoveRows({}, static_cast<int>(n), rows_ - 1);
    for (std::uint64_t k = n + 1; k <= static_cast<std::uint64_t>(rows_); ++k) forget(k);
    rows_ = static_cast<int>(n);
    endRemoveRows();
    return;
  }
  if (n == static_cast<std::uint64_t>(rows_)) return;
  beginInsertRows({}, rows_, static_cast<int>(n) - 1);
  rows_ = static_cast<int>(n);
  endInsertRows();
}

void RecordTableModel::setColumns(std::vector<Column> columns) {
  beginResetModel();
  columns_ = std::move(columns);
  cache_.clear();
  lru_.clear();
  endResetModel();
}

void RecordTableModel::addColumn(Column column) {
  const int at = static_cast<int>(columns_.size());
  beginInsertColumns({}, at, at);
  columns_.push_back(std::move(column));
  cache_.clear();
  lru_.clear();
  endInsertColumns();
}

QStringList RecordTableModel::columnSpecs() const {
  QStringList out;
  for (const auto& c : columns_)
    if (c.path) out << QString::fromStdString(c.path->spec());
  return out;
}

void RecordTableModel::refreshStatus() {
  if (rows_ == 0) return;
  for (int c = 0; c < columnCount(); ++c)
    if (columns_[static_cast<std::size_t>(c)].kind == ColumnKind::Status)
      Q_EMIT dataChanged(index(0, c), index(rows_ - 1, c));
}

void RecordTableModel::forget(std::uint64_t number) {
  if (auto it = cache_.find(number); it != cache_.end()) {
    lru_.erase(it->second.second);
    cache_.erase(it);
  }
}

void RecordTableModel::recordChanged(std::uint64_t number) {
  forget(number);
  const int r = rowOf(number);
  if (r >= 0 && r < rows_) Q_EMIT dataChanged(index(r, 0), index(r, columnCount() - 1));
}

void RecordTableModel::recordsChanged(std::uint64_t first, std::uint64_t last) {
  for (auto it = lru_.begin(); it != lru_.end();) {  // at most kCacheRows
    if (*it >= first && *it <= last) {
      cache_.erase(*it);
      it = lru_.erase(it);
    } else {
      ++it;
    }
  }
  const int a = rowOf(first), b = std::min(rowOf(last), rows_ - 1);
  if (a >= 0 && a <= b) Q_EMIT dataChanged(index(a, 0), index(b, columnCount() - 1));
}

int RecordTableModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : rows_; }
int RecordTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(columns_.size());
}

const RecordTableModel::Row& RecordTableModel::row(std::uint64_t number) const {
  if (auto it = cache_.find(number); it != cache_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.second);
    return it->second.first;
  }
  Row r;
  r.values.resize(columns_.size());
  try {
    const Record* edit = session_->edited(number);
    // An added record has nothing in the file to fetch.
    const FetchedRecord fetched = session_->isAdded(number) ? FetchedRecord{} : session_->file().fetch(number);
    r.unreadable = fetched.skipped && !edit;
    r.status = fetched.record.status;
    if (edit || !fetched.skipped)
      for (std::size_t c = 0; c < columns_.size(); ++c)
        if (columns_[c].path) r.values[c] = QString::fromStdString(columns_[c].path->value(edit ? *edit : fetched.record.record));
  } catch (const std::exception& e) {
    r.unreadable = true;
    r.error = QString::fromUtf8(e.what());
  }
  if (cache_.size() >= kCacheRows) {
    cache_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.push_front(number);
  return cache_.emplace(number, std::make_pair(std::move(r), lru_.begin())).first->second.first;
}

namespace {

QString severityText(std::optional<Severity> s) {
  if (!s) return QObject::tr("ok");
  return QString::fromLatin1(severity_name(*s).data(), static_cast<int>(severity_name(*s).size()));
}

QColor severityColor(std::optional<Severity> s) {
  if (!s) return QColor(0x2e, 0x7d, 0x32);
  switch (*s) {
    case Severity::Info: return QColor(0x15, 0x65, 0xc0);
    case Severity::Warning: return QColor(0xb2, 0x6a, 0x00);
    case Severity::Error:
    case Severity::Fatal: return QColor(0xc6, 0x28, 0x28);
  }
  return {};
}

}  // namespace

QVariant RecordTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rows_ || index.column() >= columnCount()) return {};
  const std::uint64_t number = recordAt(index.row());
  const Column& col = columns_[static_cast<std::size_t>(index.column())];
  if (role == Qt::TextAlignmentRole && col.kind == ColumnKind::Number)
    return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
  const bool edited = session_->edited(number) != nullptr;
  const bool deleted = session_->isDeleted(number);
  if (role == Qt::FontRole && (deleted || (edited && (col.kind == ColumnKind::Number || col.kind == ColumnKind::Status)))) {
    QFont font;
    font.setBold(edited && (col.kind == ColumnKind::Number || col.kind == ColumnKind::Status));
    font.setStrikeOut(deleted);  // deleted: struck out and greyed, until Save As leaves it out
    return font;
  }
  if (role != Qt::DisplayRole && role != Qt::ForegroundRole && role != Qt::ToolTipRole) return {};
  if (deleted) {
    if (role == Qt::ForegroundRole) return QBrush(QColor(0x9e, 0x9e, 0x9e));
    if (col.kind == ColumnKind::Status)
      return role == Qt::ToolTipRole ? tr("Deleted in this session: Save As, Export and Split leave it out (Edit → Undo brings it back)")
                                     : tr("✖ deleted");
  }
  if (session_->isAdded(number)) {
    // Added in this session: nothing in the file, checked when it was added or last applied.
    const std::optional<Severity> worst = session_->editedWorst(number);
    switch (col.kind) {
      case ColumnKind::Number:
        if (role == Qt::ToolTipRole) return tr("Added in this session, not saved yet");
        return role == Qt::DisplayRole ? QVariant(QStringLiteral("+ %1").arg(number)) : QVariant();
      case ColumnKind::Status:
        if (role == Qt::ForegroundRole) return QBrush(QColor(0x00, 0x69, 0x5c));
        if (role == Qt::ToolTipRole) return tr("Added in this session, not saved yet (File → Save As writes it). Validating it: %1").arg(severityText(session_->editedWorst(number)));
        return tr("+ new, %1").arg(severityText(worst));
      case ColumnKind::Encoding: return {};
      case ColumnKind::Spec: break;  // below, from the record
    }
  }
  const IndexEntry entry = session_->isAdded(number) ? IndexEntry{} : session_->file().index().at(number);
  if (edited && col.kind == ColumnKind::Status) {
    // The report is about the file's version; the edited one was checked when it was applied.
    const std::optional<Severity> worst = session_->editedWorst(number);
    if (role == Qt::ForegroundRole) return QBrush(QColor(0x6a, 0x1b, 0x9a));
    if (role == Qt::ToolTipRole) return tr("Edited in this session, not saved yet (File → Save As writes it). Validating the edit: %1").arg(severityText(worst));
    return tr("✎ edited, %1").arg(severityText(worst));
  }
  switch (col.kind) {
    case ColumnKind::Number:
      if (role == Qt::ToolTipRole && edited) return tr("Edited in this session, not saved yet");
      return role == Qt::DisplayRole ? QVariant(edited ? QStringLiteral("✎ %1").arg(number) : QString::number(number)) : QVariant();
    case ColumnKind::Encoding: {
      if (role != Qt::DisplayRole) return {};
      // What reading the record found (the index pass does not decode ISO 2709 records).
      const std::uint8_t status = entry.status | row(number).status;
      QString e = (status & RecordStatus::kMarc8) ? QStringLiteral("MARC-8")
                  : (status & RecordStatus::kUtf8) ? QStringLiteral("UTF-8")
                                                    : QString();
      if (status & RecordStatus::kEncodingOverridden) e += QStringLiteral(" *");
      return e;
    }
    case ColumnKind::Status: {
      const auto report = session_->report();
      const bool unreadable = entry.status & RecordStatus::kSkipped;
      std::optional<Severity> worst;
      bool known = false;
      if (report && number <= report->worst_severity.size()) {
        worst = report->worst(number);
        known = true;
      } else if (unreadable || (entry.status & RecordStatus::kErrors)) {
        worst = Severity::Error;
        known = true;
      } else if (entry.status & RecordStatus::kWarnings) {
        worst = Severity::Warning;
        known = true;
      }
      if (role == Qt::ForegroundRole) return known ? QVariant(QBrush(severityColor(worst))) : QVariant();
      if (role == Qt::ToolTipRole) return known ? QVariant() : QVariant(tr("not validated yet"));
      if (unreadable) return tr("unreadable");
      if (!known) return QString();
      QString s = severityText(worst);
      if (entry.status & RecordStatus::kRepaired) s += tr(", repaired");
      return s;
    }
    case ColumnKind::Spec: {
      if (role == Qt::ForegroundRole) return {};  // (deleted: grey, above)
      const Row& r = row(number);
      const QString& v = r.values[static_cast<std::size_t>(index.column())];
      if (role == Qt::ToolTipRole) return !r.error.isEmpty() ? QVariant(r.error) : v.size() > 40 ? QVariant(v) : QVariant();
      return v;
    }
  }
  return {};
}

QVariant RecordTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation == Qt::Horizontal && section >= 0 && section < columnCount()) {
    const Column& c = columns_[static_cast<std::size_t>(section)];
    if (role == Qt::DisplayRole) return c.title;
    if (role == Qt::ToolTipRole && c.path) return QString::fromStdString(c.path->spec());
  }
  if (orientation == Qt::Vertical && role == Qt::DisplayRole) return section + 1;
  return {};
}

}  // namespace marcscope::ui
