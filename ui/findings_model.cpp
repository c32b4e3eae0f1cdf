#include "findings_model.h"

#include <QBrush>
#include <QColor>

#include <algorithm>
#include <map>
#include <tuple>

#include "file_session.h"
#include "marcscope/validate/validation.h"
#include "marcscope/validate/validator.h"

namespace marcscope::ui {
namespace {

QString latin(std::string_view s) { return QString::fromLatin1(s.data(), static_cast<qsizetype>(s.size())); }

QColor severityColor(Severity s) {
  switch (s) {
    case Severity::Info: return QColor(0x15, 0x65, 0xc0);
    case Severity::Warning: return QColor(0xb2, 0x6a, 0x00);
    case Severity::Error:
    case Severity::Fatal: return QColor(0xc6, 0x28, 0x28);
  }
  return {};
}

constexpr quintptr kTop = ~quintptr{0};

}  // namespace

FindingsModel::FindingsModel(FileSession* session, QObject* parent) : QAbstractItemModel(parent), session_(session) {}

std::shared_ptr<const FindingsModel::Groups> FindingsModel::group(const FileReport& report) {
  auto groups = std::make_shared<Groups>();
  // Findings of one kind come in runs; the last kind seen is checked before the map.
  std::map<std::tuple<int, int, int>, std::size_t> at;  // (-severity, code, rule) -> group
  std::tuple<int, int, int> lastKey{1, -1, -1};
  std::size_t last = 0;
  const auto& all = report.findings;
  for (std::uint32_t i = 0; i < all.size(); ++i) {
    const CompactFinding& f = all[i];
    const auto key = std::make_tuple(-int(f.severity), int(f.code), int(f.rule));
    if (key != lastKey) {
      auto it = at.find(key);
      if (it == at.end()) {
        it = at.emplace(key, groups->size()).first;
        Group g{f.severity, f.code, f.rule, {}, {}};
        QString what = latin(code_name(f.code));
        if (f.rule > 0 && f.rule <= Validator::rule_ids().size()) {
          const std::string_view id = Validator::rule_ids()[f.rule - 1u];
          what = latin(id);
          const std::string_view desc = Validator::rule_description(id);
          if (!desc.empty()) what += QStringLiteral(" — ") + QString::fromUtf8(desc.data(), static_cast<qsizetype>(desc.size()));
        }
        g.title = latin(severity_name(f.severity)) + QStringLiteral(": ") + what;
        groups->push_back(std::move(g));
      }
      lastKey = key;
      last = it->second;
    }
    (*groups)[last].members.push_back(i);
  }
  // Worst first, then the most frequent.
  std::stable_sort(groups->begin(), groups->end(), [](const Group& a, const Group& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    return a.members.size() > b.members.size();
  });
  return groups;
}

void FindingsModel::reload() {
  beginResetModel();
  report_ = session_->report();
  groups_ = session_->findingGroups();
  if (!report_ || !groups_) {
    report_.reset();
    groups_ = std::make_shared<const Groups>();
  }
  messages_.clear();
  endResetModel();
}

const CompactFinding* FindingsModel::finding(const QModelIndex& index) const {
  if (!index.isValid() || index.internalId() == kTop || !report_) return nullptr;
  const Group& g = groups()[index.internalId()];
  return &report_->findings[g.members[static_cast<std::size_t>(index.row())]];
}

QString FindingsModel::message(std::uint32_t member) const {
  if (QString* cached = messages_.object(member)) return *cached;
  const CompactFinding& f = report_->findings[member];
  QString text;
  try {
    const Diagnostic d = describe_finding(session_->file(), f, session_->validator());
    text = QString::fromStdString(d.message);
    if (!d.tag.empty() && !d.message.starts_with(d.tag)) {
      QString where = QString::fromStdString(d.tag);
      if (d.subfield) where += QStringLiteral(" $") + QChar::fromLatin1(d.subfield);
      text = where + QStringLiteral(": ") + text;
    }
  } catch (const std::exception& e) {
    text = QString::fromUtf8(e.what());
  }
  messages_.insert(member, new QString(text));
  return text;
}

QModelIndex FindingsModel::index(int row, int column, const QModelIndex& parent) const {
  if (row < 0 || column < 0 || column >= ColumnCount) return {};
  if (!parent.isValid()) {
    if (row >= groupCount()) return {};
    return createIndex(row, column, kTop);
  }
  if (parent.internalId() != kTop) return {};
  const auto g = static_cast<std::size_t>(parent.row());
  if (g >= groups().size() || row >= static_cast<int>(groups()[g].members.size())) return {};
  return createIndex(row, column, static_cast<quintptr>(g));
}

QModelIndex FindingsModel::parent(const QModelIndex& child) const {
  if (!child.isValid() || child.internalId() == kTop) return {};
  return createIndex(static_cast<int>(child.internalId()), 0, kTop);
}

int FindingsModel::rowCount(const QModelIndex& parent) const {
  if (!parent.isValid()) return groupCount();
  if (parent.internalId() != kTop || parent.column() != 0) return 0;
  return static_cast<int>(std::min<std::size_t>(groups()[static_cast<std::size_t>(parent.row())].members.size(), 50'000'000));
}

int FindingsModel::columnCount(const QModelIndex&) const { return ColumnCount; }

QVariant FindingsModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || !report_) return {};
  if (index.internalId() == kTop) {
    const Group& g = groups()[static_cast<std::size_t>(index.row())];
    if (role == GroupRole) return index.row();
    if (role == Qt::ForegroundRole && index.column() == FindingColumn) return QBrush(severityColor(g.severity));
    if (role == Qt::TextAlignmentRole && index.column() == CountColumn) return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole) return {};
    if (index.column() == FindingColumn) return g.title;
    if (index.column() == CountColumn) return QString::number(g.members.size());
    return {};
  }
  const Group& g = groups()[index.internalId()];
  const std::uint32_t member = g.members[static_cast<std::size_t>(index.row())];
  const CompactFinding& f = report_->findings[member];
  if (role == RecordRole) return QVariant::fromValue<qulonglong>(f.record());
  if (role == FieldRole) return QVariant::fromValue<qlonglong>(f.field());
  if (role == Qt::TextAlignmentRole && (index.column() == RecordColumn || index.column() == FieldColumn)) return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
  if (role != Qt::DisplayRole && role != Qt::ToolTipRole) return {};
  switch (index.column()) {
    case FindingColumn: return message(member);
    case RecordColumn: return f.record() ? QVariant(QString::number(f.record())) : QVariant(tr("—"));
    case FieldColumn: return f.field() >= 0 ? QVariant(QString::number(f.field() + 1)) : QVariant();
    default: return {};
  }
}

QVariant FindingsModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case FindingColumn: return tr("Finding");
    case CountColumn: return tr("Count");
    case RecordColumn: return tr("Record");
    case FieldColumn: return tr("Field no.");
    default: return {};
  }
}

}  // namespace marcscope::ui
