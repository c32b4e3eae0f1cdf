#include "findings_model.h"

#include <QBrush>
#include <QColor>
#include <QFont>

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

namespace {

std::tuple<int, int, int> keyOf(Severity s, Code c, std::uint16_t rule) { return {-int(s), int(c), int(rule)}; }

/// std::lower_bound over [first, last) that looks near `first` before it halves: steps of 1, 2,
/// 4, ... then a binary search in the last step. The searches of build() move forward through
/// sorted ranges, so when the changed records are dense (every record deleted) each answer is a
/// step or two away and a group of n members costs O(n), not O(n log records).
template <class It, class T, class Less>
It gallopLowerBound(It first, It last, const T& value, Less less) {
  std::ptrdiff_t step = 1;
  while (first != last) {
    const It probe = first + (std::min(step, static_cast<std::ptrdiff_t>(last - first)) - 1);
    if (!less(*probe, value)) return std::lower_bound(first, probe + 1, value, less);
    first = probe + 1;
    step *= 2;
  }
  return last;
}

QString titleOf(Severity severity, Code code, std::uint16_t rule) {
  QString what = latin(code_name(code));
  if (rule > 0 && rule <= Validator::rule_ids().size()) {
    const std::string_view id = Validator::rule_ids()[rule - 1u];
    what = latin(id);
    const std::string_view desc = Validator::rule_description(id);
    if (!desc.empty()) what += QStringLiteral(" — ") + QString::fromUtf8(desc.data(), static_cast<qsizetype>(desc.size()));
  }
  return latin(severity_name(severity)) + QStringLiteral(": ") + what;
}

QString describe(const Diagnostic& d) {
  QString text = QString::fromStdString(d.message);
  if (!d.tag.empty() && !d.message.starts_with(d.tag)) {
    QString where = QString::fromStdString(d.tag);
    if (d.subfield) where += QStringLiteral(" $") + QChar::fromLatin1(d.subfield);
    text = where + QStringLiteral(": ") + text;
  }
  return text;
}

}  // namespace

std::shared_ptr<const FindingsModel::Groups> FindingsModel::group(const FileReport& report) {
  auto groups = std::make_shared<Groups>();
  // Findings of one kind come in runs; the last kind seen is checked before the map.
  std::map<std::tuple<int, int, int>, std::size_t> at;  // (-severity, code, rule) -> group
  std::tuple<int, int, int> lastKey{1, -1, -1};
  std::size_t last = 0;
  const auto& all = report.findings;
  for (std::uint32_t i = 0; i < all.size(); ++i) {
    const CompactFinding& f = all[i];
    const auto key = keyOf(f.severity, f.code, f.rule);
    if (key != lastKey) {
      auto it = at.find(key);
      if (it == at.end()) {
        it = at.emplace(key, groups->size()).first;
        groups->push_back(Group{f.severity, f.code, f.rule, titleOf(f.severity, f.code, f.rule), {}});
      }
      lastKey = key;
      last = it->second;
    }
    (*groups)[last].members.push_back(i);
  }
  // Members in record order (findings come in input order; one not tied to a record, number 0,
  // may not), so a record's findings in a group are a binary search away.
  for (Group& g : *groups) {
    const auto byRecord = [&](std::uint32_t a, std::uint32_t b) { return all[a].record() < all[b].record(); };
    if (!std::is_sorted(g.members.begin(), g.members.end(), byRecord)) std::stable_sort(g.members.begin(), g.members.end(), byRecord);
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
  base_ = session_->findingGroups();
  if (!report_ || !base_) {
    report_.reset();
    base_ = std::make_shared<const Groups>();
  }
  messages_.clear();
  build();
  endResetModel();
}

void FindingsModel::refresh() {
  beginResetModel();
  build();  // the report's messages stay cached: its finding numbers have not changed
  endResetModel();
}

void FindingsModel::build() {
  shown_.clear();
  extras_.clear();
  total_ = 0;
  if (!report_) return;
  const std::vector<std::uint64_t> changed = session_->changedRecords();
  // Only an edited (or added) record has findings of its own: a walk over the edits, not over
  // every changed record (a million after Select All, Delete Records).
  for (const auto& [n, record] : session_->edits())
    if (const Diagnostics* diags = session_->editedFindings(n))
      for (const Diagnostic& d : *diags) extras_.push_back({CompactFinding::from(d), describe(d)});
  std::stable_sort(extras_.begin(), extras_.end(), [](const Extra& a, const Extra& b) {
    const auto ka = keyOf(a.finding.severity, a.finding.code, a.finding.rule), kb = keyOf(b.finding.severity, b.finding.code, b.finding.rule);
    return ka != kb ? ka < kb : a.finding.record() < b.finding.record();
  });
  const auto& all = report_->findings;
  const auto rec = [&](std::uint32_t m) { return all[m].record(); };
  // One branch: the report group's members (if any) cut where a changed record's findings were,
  // with the extras of its kind (extras_[eb, ee)) put in at their records.
  auto branch = [&](Shown& shown, const Group* base, std::size_t eb, std::size_t ee) {
    static const std::vector<std::uint32_t> none;
    const std::vector<std::uint32_t>& members = base ? base->members : none;
    const std::size_t size = members.size();
    std::uint32_t row = 0;
    std::size_t pos = 0, ei = eb;
    auto from = changed.begin();  // where the next search of `changed` starts
    const auto below = [&](std::uint32_t m, std::uint64_t v) { return rec(m) < v; };
    const auto notAbove = [&](std::uint32_t m, std::uint64_t v) { return rec(m) <= v; };
    auto keep = [&](std::size_t to) {
      if (to > pos) shown.runs.push_back({row, false, static_cast<std::uint32_t>(pos), static_cast<std::uint32_t>(to)});
      row += static_cast<std::uint32_t>(to - pos);
    };
    for (;;) {
      // The first changed record that has members from `pos` on: jump from member to changed
      // record and back by binary searches.
      std::uint64_t cut = UINT64_MAX;
      std::size_t cutFrom = size, cutTo = size;
      for (std::size_t p = pos; p < size;) {
        const auto c = gallopLowerBound(from, changed.end(), rec(members[p]), std::less<std::uint64_t>());
        from = c;  // the members' records only grow
        if (c == changed.end()) break;
        const auto lo = gallopLowerBound(members.begin() + static_cast<std::ptrdiff_t>(p), members.end(), *c, below);
        if (lo == members.end()) break;
        if (rec(*lo) == *c) {
          cut = *c;
          cutFrom = static_cast<std::size_t>(lo - members.begin());
          cutTo = static_cast<std::size_t>(gallopLowerBound(lo, members.end(), *c, notAbove) - members.begin());
          break;
        }
        p = static_cast<std::size_t>(lo - members.begin());
      }
      const std::uint64_t extra = ei < ee ? extras_[ei].finding.record() : UINT64_MAX;
      const std::uint64_t at = std::min(cut, extra);
      if (at == UINT64_MAX) break;
      // Members before it stay; a record that only has extras has no members here (else it
      // would have been the cut).
      const std::size_t to = at == cut ? cutFrom
                                       : static_cast<std::size_t>(gallopLowerBound(members.begin() + static_cast<std::ptrdiff_t>(pos), members.end(), at, below) -
                                                                  members.begin());
      keep(to);
      pos = at == cut ? cutTo : to;
      std::size_t ej = ei;
      while (ej < ee && extras_[ej].finding.record() == at) ++ej;
      if (ej > ei) shown.runs.push_back({row, true, static_cast<std::uint32_t>(ei), static_cast<std::uint32_t>(ej)});
      row += static_cast<std::uint32_t>(ej - ei);
      ei = ej;
    }
    keep(size);
    shown.count = row;
  };
  // Extras of each kind: [first, last) in extras_.
  std::map<std::tuple<int, int, int>, std::pair<std::size_t, std::size_t>> extraKinds;
  for (std::size_t i = 0; i < extras_.size(); ++i) {
    const CompactFinding& f = extras_[i].finding;
    auto [it, fresh] = extraKinds.try_emplace(keyOf(f.severity, f.code, f.rule), i, i + 1);
    if (!fresh) it->second.second = i + 1;
  }
  const Groups& base = *base_;
  for (std::size_t b = 0; b < base.size(); ++b) {
    const Group& g = base[b];
    Shown shown;
    shown.base = static_cast<int>(b);
    shown.kind = {g.severity, g.code, g.rule};
    shown.title = g.title;
    std::pair<std::size_t, std::size_t> ex{0, 0};
    if (const auto it = extraKinds.find(keyOf(g.severity, g.code, g.rule)); it != extraKinds.end()) {
      ex = it->second;
      extraKinds.erase(it);
    }
    if (changed.empty()) {
      shown.runs.push_back({0, false, 0, static_cast<std::uint32_t>(g.members.size())});
      shown.count = static_cast<std::uint32_t>(g.members.size());
    } else {
      branch(shown, &g, ex.first, ex.second);
    }
    if (shown.count > 0) shown_.push_back(std::move(shown));
  }
  for (const auto& [key, range] : extraKinds) {  // kinds only changed records have
    const CompactFinding& f = extras_[range.first].finding;
    Shown shown;
    shown.kind = {f.severity, f.code, f.rule};
    shown.title = titleOf(f.severity, f.code, f.rule);
    branch(shown, nullptr, range.first, range.second);
    shown_.push_back(std::move(shown));
  }
  // Worst first, then the most frequent.
  std::stable_sort(shown_.begin(), shown_.end(), [](const Shown& a, const Shown& b) {
    if (a.kind.severity != b.kind.severity) return a.kind.severity > b.kind.severity;
    return a.count > b.count;
  });
  for (const Shown& shown : shown_) total_ += shown.count;
}

std::pair<const FindingsModel::Shown::Run*, std::uint32_t> FindingsModel::locate(std::size_t g, int row) const {
  const auto& runs = shown_[g].runs;
  const auto r = static_cast<std::uint32_t>(row);
  auto it = std::upper_bound(runs.begin(), runs.end(), r, [](std::uint32_t v, const Shown::Run& run) { return v < run.row; });
  if (it == runs.begin()) return {nullptr, 0};
  --it;
  const std::uint32_t at = it->from + (r - it->row);
  if (at >= it->to) return {nullptr, 0};
  return {&*it, at};
}

std::vector<std::uint64_t> FindingsModel::groupRecords(int g) const {
  std::vector<std::uint64_t> out;
  if (g < 0 || g >= groupCount() || !report_) return out;
  const Shown& shown = shown_[static_cast<std::size_t>(g)];
  const Group* base = shown.base >= 0 ? &(*base_)[static_cast<std::size_t>(shown.base)] : nullptr;
  auto add = [&](std::uint64_t r) {
    if (r && (out.empty() || out.back() != r)) out.push_back(r);
  };
  for (const Shown::Run& run : shown.runs)
    for (std::uint32_t i = run.from; i < run.to; ++i)
      add(run.extra ? extras_[i].finding.record() : report_->findings[base->members[i]].record());
  return out;
}

FindingsModel::Kind FindingsModel::groupKind(int g) const {
  if (g < 0 || g >= groupCount()) return {};
  return shown_[static_cast<std::size_t>(g)].kind;
}

bool FindingsModel::hasFinding(std::uint64_t number, const Kind& kind) const {
  if (session_->edited(number) || session_->isDeleted(number)) {
    const Diagnostics* diags = session_->editedFindings(number);
    if (!diags) return false;
    for (const Diagnostic& d : *diags) {
      const CompactFinding f = CompactFinding::from(d);
      if (Kind{f.severity, f.code, f.rule} == kind) return true;
    }
    return false;
  }
  if (!report_) return false;
  for (const Group& g : *base_) {
    if (Kind{g.severity, g.code, g.rule} != kind) continue;
    const auto it = std::lower_bound(g.members.begin(), g.members.end(), number,
                                     [&](std::uint32_t m, std::uint64_t v) { return report_->findings[m].record() < v; });
    return it != g.members.end() && report_->findings[*it].record() == number;
  }
  return false;
}

const CompactFinding* FindingsModel::finding(const QModelIndex& index) const {
  if (!index.isValid() || index.internalId() == kTop || !report_) return nullptr;
  const auto g = static_cast<std::size_t>(index.internalId());
  const auto [run, at] = locate(g, index.row());
  if (!run) return nullptr;
  if (run->extra) return &extras_[at].finding;
  return &report_->findings[(*base_)[static_cast<std::size_t>(shown_[g].base)].members[at]];
}

QString FindingsModel::message(std::uint32_t member) const {
  if (QString* cached = messages_.object(member)) return *cached;
  const CompactFinding& f = report_->findings[member];
  QString text;
  try {
    text = describe(describe_finding(session_->file(), f, session_->validator()));
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
  if (g >= shown_.size() || row >= rowCount(parent)) return {};
  return createIndex(row, column, static_cast<quintptr>(g));
}

QModelIndex FindingsModel::parent(const QModelIndex& child) const {
  if (!child.isValid() || child.internalId() == kTop) return {};
  return createIndex(static_cast<int>(child.internalId()), 0, kTop);
}

int FindingsModel::rowCount(const QModelIndex& parent) const {
  if (!parent.isValid()) return groupCount();
  if (parent.internalId() != kTop || parent.column() != 0) return 0;
  return static_cast<int>(std::min<std::size_t>(shown_[static_cast<std::size_t>(parent.row())].count, 50'000'000));
}

int FindingsModel::columnCount(const QModelIndex&) const { return ColumnCount; }

QVariant FindingsModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || !report_) return {};
  if (index.internalId() == kTop) {
    const Shown& g = shown_[static_cast<std::size_t>(index.row())];
    if (role == GroupRole) return index.row();
    if (role == Qt::ForegroundRole && index.column() == FindingColumn) return QBrush(severityColor(g.kind.severity));
    if (role == Qt::TextAlignmentRole && index.column() == CountColumn) return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole) return {};
    if (index.column() == FindingColumn) return g.title;
    if (index.column() == CountColumn) return QString::number(g.count);
    return {};
  }
  const auto gi = static_cast<std::size_t>(index.internalId());
  const auto [run, at] = locate(gi, index.row());
  if (!run) return {};
  const CompactFinding& f = run->extra ? extras_[at].finding : report_->findings[(*base_)[static_cast<std::size_t>(shown_[gi].base)].members[at]];
  if (role == RecordRole) return QVariant::fromValue<qulonglong>(f.record());
  if (role == FieldRole) return QVariant::fromValue<qlonglong>(f.field());
  if (role == Qt::TextAlignmentRole && (index.column() == RecordColumn || index.column() == FieldColumn)) return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
  if (role == Qt::FontRole && run->extra && index.column() == RecordColumn) {
    QFont bold;  // found in the record as edited in this session
    bold.setBold(true);
    return bold;
  }
  if (role == Qt::ToolTipRole && run->extra) return tr("Record %1 as edited in this session: %2").arg(f.record()).arg(extras_[at].message);
  if (role != Qt::DisplayRole && role != Qt::ToolTipRole) return {};
  switch (index.column()) {
    case FindingColumn:
      return run->extra ? extras_[at].message : message((*base_)[static_cast<std::size_t>(shown_[gi].base)].members[at]);
    case RecordColumn:
      if (!f.record()) return tr("—");
      return run->extra ? tr("✎ %1").arg(f.record()) : QString::number(f.record());
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
