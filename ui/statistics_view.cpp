#include "statistics_view.h"

#include <QHeaderView>
#include <QLabel>
#include <QSortFilterProxyModel>
#include <QStandardItemModel>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

#include "marcscope/stats/statistics.h"
#include "marcscope/validate/validator.h"

namespace marcscope::ui {
namespace {

QStandardItem* number(std::uint64_t n) {
  auto* item = new QStandardItem;
  item->setData(QVariant::fromValue<qulonglong>(n), Qt::DisplayRole);
  item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  return item;
}

QString top(const std::map<std::string, std::uint64_t>& counts, int n) {
  std::vector<std::pair<std::uint64_t, std::string>> v;
  for (const auto& [k, c] : counts) v.emplace_back(c, k);
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  QStringList out;
  for (int i = 0; i < n && i < static_cast<int>(v.size()); ++i)
    out << QStringLiteral("%1 (%2)").arg(QString::fromStdString(v[static_cast<std::size_t>(i)].second).toHtmlEscaped()).arg(v[static_cast<std::size_t>(i)].first);
  if (static_cast<int>(v.size()) > n) out << QStringLiteral("…");
  return out.isEmpty() ? QStringLiteral("—") : out.join(QStringLiteral(", "));
}

}  // namespace

StatisticsView::StatisticsView(QWidget* parent) : QWidget(parent) {
  summary_ = new QLabel(tr("Statistics appear when the background pass over the file has finished."), this);
  summary_->setWordWrap(true);
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  model_ = new QStandardItemModel(0, ColumnCount, this);
  model_->setHorizontalHeaderLabels({tr("Tag"), tr("Subfield"), tr("Records"), tr("Occurrences"), tr("% of records"), tr("Name (MARC 21 Bibliographic)")});
  sorted_ = new QSortFilterProxyModel(this);
  sorted_->setSourceModel(model_);
  table_ = new QTableView(this);
  table_->setModel(sorted_);
  table_->setSortingEnabled(true);
  table_->sortByColumn(TagColumn, Qt::AscendingOrder);
  table_->verticalHeader()->hide();
  table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 6);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setAlternatingRowColors(true);
  table_->horizontalHeader()->setStretchLastSection(true);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addWidget(summary_);
  layout->addWidget(table_, 1);
}

void StatisticsView::setStatistics(const Statistics* stats) {
  model_->removeRows(0, model_->rowCount());
  if (!stats) return;
  const double records = static_cast<double>(std::max<std::uint64_t>(stats->records(), 1));
  auto share = [&](std::uint64_t n) {
    auto* item = new QStandardItem;
    item->setData(static_cast<double>(qRound(1000.0 * static_cast<double>(n) / records)) / 10.0, Qt::DisplayRole);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
  };
  // Names from the engine's bundled schema.
  const auto schema = Schema::builtin();
  for (const auto& [tag, f] : stats->fields()) {
    const FieldSpec* spec = schema ? schema->field(tag) : nullptr;
    model_->appendRow({new QStandardItem(QString::fromStdString(tag)), new QStandardItem(), number(f.count.records),
                       number(f.count.occurrences), share(f.count.records),
                       new QStandardItem(spec ? QString::fromStdString(spec->label) : QString())});
    for (const auto& [code, c] : f.subfields) {
      const auto k = static_cast<unsigned char>(code);
      const QString label = spec && k < 128 ? QString::fromStdString(spec->subfield_labels[k]) : QString();
      model_->appendRow({new QStandardItem(QString::fromStdString(tag)), new QStandardItem(QStringLiteral("$") + QChar::fromLatin1(code)),
                         number(c.records), number(c.occurrences), share(c.records), new QStandardItem(label)});
    }
  }
  table_->resizeColumnsToContents();
  summary_->setText(tr("<b>%1</b> records read, %2 unreadable, %3 repaired; %4 UTF-8, %5 MARC-8.<br>"
                       "Record types: %6<br>Languages: %7<br>Years: %8")
                        .arg(stats->records())
                        .arg(stats->skipped())
                        .arg(stats->repaired())
                        .arg(stats->utf8())
                        .arg(stats->marc8())
                        .arg(top(stats->record_types(), 6))
                        .arg(top(stats->languages(), 6))
                        .arg(top(stats->years(), 6)));
}

}  // namespace marcscope::ui
