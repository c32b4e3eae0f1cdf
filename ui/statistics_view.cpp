#include "statistics_view.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QGraphicsLayout>
#include <QHeaderView>
#include <QBarSeries>
#include <QPieSeries>
#include <QSplitter>
#include <QTabWidget>
#include <QValueAxis>
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

QChart* newChart(QTabWidget* tabs, const QString& tab) {
  auto* chart = new QChart;
  chart->setAnimationOptions(QChart::NoAnimation);
  chart->layout()->setContentsMargins(0, 0, 0, 0);
  chart->setBackgroundRoundness(0);
  chart->setTheme(tabs->palette().window().color().lightness() < 128 ? QChart::ChartThemeDark : QChart::ChartThemeLight);
  auto* view = new QChartView(chart, tabs);  // owns the chart
  view->setRenderHint(QPainter::Antialiasing);
  // A chart asks for room for its axes and legend; the window may still be made small.
  view->setMinimumSize(80, 40);
  tabs->addTab(view, tab);
  return chart;
}

struct Bar {
  QString category, name;
  std::uint64_t records;
};

/// A bar chart of the `keep` largest `bars` (records), largest first; `total` records in the file.
void fillBars(QChart* chart, std::vector<Bar> bars, std::size_t keep, std::uint64_t total) {
  std::stable_sort(bars.begin(), bars.end(), [](const Bar& a, const Bar& b) { return a.records > b.records; });
  if (bars.size() > keep) bars.resize(keep);
  auto* set = new QBarSet(QObject::tr("records"));
  QStringList categories;
  for (const Bar& b : bars) {
    categories << b.category;
    *set << static_cast<qreal>(b.records);
  }
  set->setLabelColor(chart->theme() == QChart::ChartThemeDark ? Qt::white : Qt::black);
  auto* series = new QBarSeries;
  series->append(set);
  series->setLabelsVisible(true);
  series->setLabelsPosition(QAbstractBarSeries::LabelsOutsideEnd);
  QObject::connect(series, &QBarSeries::hovered, chart, [chart, bars, total](bool on, int i) {
    if (!on || i < 0 || i >= static_cast<int>(bars.size())) return chart->setToolTip(QString());
    const Bar& b = bars[static_cast<std::size_t>(i)];
    chart->setToolTip(QObject::tr("%1 %2: %3 of %4 records").arg(b.category, b.name).arg(b.records).arg(total));
  });
  chart->addSeries(series);
  auto* axisX = new QBarCategoryAxis;
  axisX->append(categories);
  chart->addAxis(axisX, Qt::AlignBottom);
  series->attachAxis(axisX);
  auto* axisY = new QValueAxis;
  // Room above the longest bar for its label.
  axisY->setRange(0, static_cast<qreal>(std::max<std::uint64_t>(bars.empty() ? 1 : bars.front().records, 1)) * 1.15);
  axisY->applyNiceNumbers();
  axisY->setLabelFormat(QStringLiteral("%d"));
  axisY->setTitleText(QObject::tr("records"));
  chart->addAxis(axisY, Qt::AlignLeft);
  series->attachAxis(axisY);
  chart->legend()->hide();
}

/// A pie of `slices` (label, count), largest first, the ones past `keep` as one "other" slice.
void fillPie(QChart* chart, std::vector<std::pair<QString, std::uint64_t>> slices, std::size_t keep) {
  chart->removeAllSeries();
  std::stable_sort(slices.begin(), slices.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::uint64_t total = 0, other = 0;
  for (const auto& s : slices) total += s.second;
  auto* series = new QPieSeries;
  for (std::size_t i = 0; i < slices.size(); ++i) {
    if (slices[i].second == 0) continue;
    if (i >= keep) {
      other += slices[i].second;
      continue;
    }
    series->append(QStringLiteral("%1 — %2 (%3%)").arg(slices[i].first).arg(slices[i].second)
                       .arg(100.0 * double(slices[i].second) / double(std::max<std::uint64_t>(total, 1)), 0, 'f', 1),
                   double(slices[i].second));
  }
  if (other) series->append(QObject::tr("other — %1").arg(other), double(other));
  series->setPieSize(0.8);
  chart->addSeries(series);
  chart->legend()->setAlignment(Qt::AlignRight);
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
  charts_ = new QTabWidget(this);
  charts_->setDocumentMode(true);
  tags_ = newChart(charts_, tr("Tags in most records"));
  types_ = newChart(charts_, tr("Record types (leader/06-07)"));
  encodings_ = newChart(charts_, tr("Character encodings"));
  auto* split = new QSplitter(Qt::Horizontal, this);
  split->addWidget(table_);
  split->addWidget(charts_);
  split->setStretchFactor(0, 2);
  split->setStretchFactor(1, 3);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addWidget(summary_);
  layout->addWidget(split, 1);
}

void StatisticsView::setStatistics(const Statistics* stats, const QString& changes) {
  model_->removeRows(0, model_->rowCount());
  for (QChart* c : {tags_, types_, encodings_}) {
    c->removeAllSeries();
    for (QAbstractAxis* a : c->axes()) {
      c->removeAxis(a);
      delete a;
    }
  }
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

  // The tags in most records and the record types, most first, a bar each; a tag's name shows on hover.
  std::vector<Bar> tags;
  for (const auto& [tag, f] : stats->fields()) {
    const FieldSpec* spec = schema ? schema->field(tag) : nullptr;
    tags.push_back({QString::fromStdString(tag), spec ? QString::fromStdString(spec->label) : QString(), f.count.records});
  }
  fillBars(tags_, std::move(tags), kTopTags, stats->records());
  charts_->setTabText(0, tr("The %1 tags in most records").arg(std::min<std::size_t>(stats->fields().size(), kTopTags)));
  std::vector<Bar> types;
  for (const auto& [type, n] : stats->record_types()) types.push_back({QString::fromStdString(type), QString(), n});
  fillBars(types_, std::move(types), kTopTypes, stats->records());
  const std::uint64_t other = stats->records() - std::min(stats->records(), stats->utf8() + stats->marc8());
  fillPie(encodings_, {{tr("UTF-8"), stats->utf8()}, {tr("MARC-8"), stats->marc8()}, {tr("other"), other}}, 3);
  summary_->setText(tr("<b>%1</b> records read, %2 unreadable, %3 repaired; %4 UTF-8, %5 MARC-8.<br>"
                       "Record types: %6<br>Languages: %7<br>Years: %8")
                        .arg(stats->records())
                        .arg(stats->skipped())
                        .arg(stats->repaired())
                        .arg(stats->utf8())
                        .arg(stats->marc8())
                        .arg(top(stats->record_types(), 6))
                        .arg(top(stats->languages(), 6))
                        .arg(top(stats->years(), 6)) +
                    (changes.isEmpty() ? QString()
                                       : tr("<br><i>Counted with this session's unsaved changes (%1); the file on disk differs.</i>")
                                             .arg(changes.toHtmlEscaped())));
}

}  // namespace marcscope::ui
