// The statistics view's charts (Qt Charts) hold what the engine counts over the file: the tags
// in most records, most first; the record types; the character encodings.
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QPieSeries>
#include <QSignalSpy>
#include <QTabWidget>
#include <QtTest>

#include "file_session.h"
#include "file_view.h"
#include "gui_support.h"
#include "statistics_view.h"
#include "marcscope/core/executor.h"
#include "marcscope/stats/statistics.h"

using namespace marcscope;
using namespace marcscope::ui;
using namespace marcscope::guitest;

namespace {

/// The chart's one bar series as (category, value) pairs, in the order drawn.
std::vector<std::pair<QString, qreal>> barsOf(QChart* chart) {
  std::vector<std::pair<QString, qreal>> out;
  if (chart->series().size() != 1) return out;
  auto* series = qobject_cast<QBarSeries*>(chart->series().front());
  if (!series || series->barSets().size() != 1) return out;
  QBarCategoryAxis* axis = nullptr;
  for (QAbstractAxis* a : chart->axes(Qt::Horizontal)) axis = qobject_cast<QBarCategoryAxis*>(a);
  if (!axis) return out;
  const QStringList categories = axis->categories();
  QBarSet* set = series->barSets().front();
  for (int i = 0; i < set->count() && i < categories.size(); ++i) out.emplace_back(categories[i], set->at(i));
  return out;
}

}  // namespace

class TestGuiCharts : public QObject {
  Q_OBJECT

  std::shared_ptr<Executor> executor_ = std::make_shared<Executor>();

 private Q_SLOTS:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

  void charts_are_the_engine_statistics_data() {
    QTest::addColumn<QString>("file");
    QTest::newRow("sample") << QStringLiteral(MARCSCOPE_SAMPLE);
    QTest::newRow("marc8") << dataPath("marc8/evergreen-hebrew.marc");
    QTest::newRow("marcxml") << dataPath("xml/catmandu-marc.xml");
  }
  void charts_are_the_engine_statistics() {
    QFETCH(QString, file);
    auto reader = RecordReader::open(file.toStdString());
    const Statistics engine = collect_statistics(*reader);
    QVERIFY(engine.records() > 0);

    FileView view(file, executor_);
    QSignalSpy ready(view.session(), &FileSession::statisticsReady);
    QVERIFY(waitFor([&] { return ready.count() == 1; }));
    StatisticsView* stats = view.statisticsView();

    // Tags: the kTopTags in most records, most first, each with the engine's count.
    const auto fields = engine.fields();
    const auto tags = barsOf(stats->tagChart());
    QCOMPARE(tags.size(), std::min<std::size_t>(fields.size(), StatisticsView::kTopTags));
    std::uint64_t most = 0;
    for (const auto& [tag, f] : fields) most = std::max(most, f.count.records);
    QCOMPARE(tags.front().second, qreal(most));
    for (std::size_t i = 0; i < tags.size(); ++i) {
      const auto it = fields.find(tags[i].first.toStdString());
      QVERIFY2(it != fields.end(), qPrintable(tags[i].first));
      QCOMPARE(tags[i].second, qreal(it->second.count.records));
      if (i > 0) QVERIFY(tags[i].second <= tags[i - 1].second);
    }
    // No tag left out holds more records than the last one shown.
    std::uint64_t leftOut = 0;
    for (const auto& [tag, f] : fields) {
      bool shown = false;
      for (const auto& t : tags) shown |= t.first == QString::fromStdString(tag);
      if (!shown) leftOut = std::max(leftOut, f.count.records);
    }
    QVERIFY(qreal(leftOut) <= tags.back().second);

    // Record types: as the engine counts them.
    const auto types = barsOf(stats->typeChart());
    QCOMPARE(types.size(), std::min<std::size_t>(engine.record_types().size(), StatisticsView::kTopTypes));
    for (const auto& [type, n] : types) {
      const auto it = engine.record_types().find(type.toStdString());
      QVERIFY(it != engine.record_types().end());
      QCOMPARE(n, qreal(it->second));
    }

    // Encodings: slices add up to the records read; UTF-8 is the engine's count.
    QCOMPARE(stats->encodingChart()->series().size(), 1);
    auto* pie = qobject_cast<QPieSeries*>(stats->encodingChart()->series().front());
    QVERIFY(pie);
    QCOMPARE(pie->sum(), qreal(engine.records()));
    qreal utf8 = 0, marc8 = 0;
    for (QPieSlice* slice : pie->slices()) {
      if (slice->label().startsWith(QStringLiteral("UTF-8"))) utf8 = slice->value();
      if (slice->label().startsWith(QStringLiteral("MARC-8"))) marc8 = slice->value();
    }
    QCOMPARE(utf8, qreal(engine.utf8()));
    QCOMPARE(marc8, qreal(engine.marc8()));
  }

  /// New statistics replace the charts; none leaves them empty.
  void charts_are_replaced_and_cleared() {
    FileView view(QStringLiteral(MARCSCOPE_SAMPLE), executor_);
    QSignalSpy ready(view.session(), &FileSession::statisticsReady);
    QVERIFY(waitFor([&] { return ready.count() == 1 && !view.session()->busy(); }));
    StatisticsView* stats = view.statisticsView();
    const auto before = barsOf(stats->tagChart());
    QVERIFY(!before.empty());
    view.session()->startStatistics();
    QVERIFY(waitFor([&] { return ready.count() == 2 && !view.session()->busy(); }));
    QCOMPARE(stats->tagChart()->series().size(), 1);
    QCOMPARE(barsOf(stats->tagChart()), before);
    stats->setStatistics(nullptr);
    QCOMPARE(stats->tagChart()->series().size(), 0);
    QCOMPARE(stats->typeChart()->series().size(), 0);
    QCOMPARE(stats->encodingChart()->series().size(), 0);
    QVERIFY(stats->tagChart()->axes().isEmpty());
  }
};

QTEST_MAIN(TestGuiCharts)
#include "test_gui_charts.moc"
