// A file past 4 GiB in the app: three records, a hole of 4 GiB in a sparse file (NUL bytes to
// every reader, no disk used), three more records. The index keeps their 64-bit offsets, the
// table shows them, the pane fetches them, and validation reports the hole once, by offset.
#include <QTableView>
#include <QtTest>

#include <sys/stat.h>

#include "file_session.h"
#include "file_view.h"
#include "gui_support.h"
#include "record_pane.h"
#include "record_table_model.h"
#include "marcscope/core/executor.h"

using namespace marcscope;
using namespace marcscope::ui;
using namespace marcscope::guitest;

class TestGuiSparse : public QObject {
  Q_OBJECT

  std::shared_ptr<Executor> executor_ = std::make_shared<Executor>();

 private Q_SLOTS:
  void offsets_past_4_gib() {
    QFile sample(QStringLiteral(MARCSCOPE_SAMPLE));
    QVERIFY(sample.open(QIODevice::ReadOnly));
    const QByteArray all = sample.readAll();
    QList<QByteArray> records;
    for (qsizetype at = 0; records.size() < 6;) {
      const qsizetype end = all.indexOf('\x1D', at);
      QVERIFY(end > at);
      records.append(all.mid(at, end + 1 - at));
      at = end + 1;
    }
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("sparse.mrc"));
    QFile out(path);
    QVERIFY(out.open(QIODevice::WriteOnly));
    for (int i = 0; i < 3; ++i) out.write(records[i]);
    const qint64 hole_at = out.pos();
    const qint64 second = (qint64(1) << 32) + 4099;  // past 2^32, not on a page boundary
    QVERIFY(out.seek(second));                       // the gap is a hole: read as NULs
    std::vector<qint64> offsets;
    for (int i = 3; i < 6; ++i) {
      offsets.push_back(out.pos());
      out.write(records[i]);
    }
    out.close();
    struct stat st {};
    QCOMPARE(::stat(path.toLocal8Bit().constData(), &st), 0);
    QVERIFY(st.st_size > (qint64(1) << 32));
    qInfo("sparse file: %lld bytes, %lld on disk", (long long)st.st_size, (long long)st.st_blocks * 512);

    FileView view(path, executor_);
    QVERIFY(waitFor([&] { return view.session()->indexComplete(); }, 110000));
    QVERIFY(waitFor([&] { return view.tableModel()->rowCount() == 6; }));
    const RecordIndex& index = view.session()->file().index();
    QCOMPARE(index.size(), std::uint64_t(6));
    for (int i = 0; i < 3; ++i) QCOMPARE(index.at(std::uint64_t(4 + i)).offset, std::uint64_t(offsets[std::size_t(i)]));
    // The table's 001 column and the pane show the records past 4 GiB, fetched through the mapping.
    for (int i = 3; i < 6; ++i) {
      const QByteArray& r = records[i];
      const QByteArray id = r.mid(r.indexOf('\x1E') + 1, r.indexOf('\x1E', r.indexOf('\x1E') + 1) - r.indexOf('\x1E') - 1);
      // The first field of the sample's records is its 001.
      QCOMPARE(r.mid(24, 3), QByteArray("001"));
      QCOMPARE(view.tableModel()->data(view.tableModel()->index(i, 1)).toString(), QString::fromLatin1(id));
      QVERIFY(view.goToRecord(std::uint64_t(i + 1)));
      QVERIFY(waitFor([&] { return view.pane()->marcMakerText().contains(QString::fromLatin1(id)); }));
    }
    // Validation runs over the whole file: the hole is one finding at its offset, the records all come through.
    QVERIFY(waitFor([&] { return view.session()->report() && !view.session()->busy(); }, 110000));
    const auto report = view.session()->report();
    QCOMPARE(report->records, std::uint64_t(6));
    std::size_t junk = 0;
    for (const CompactFinding& f : report->findings) {
      if (f.code != Code::JunkBetweenRecords) continue;
      ++junk;
      QCOMPARE(f.offset, std::uint64_t(hole_at));
    }
    QCOMPARE(junk, std::size_t(1));
    // The passes over the file drop the pages behind them (AccessHint::Sequential): the 4 GiB of
    // the hole never stay resident in this process (it peaked at 4.2 GB when they did).
    QFile status(QStringLiteral("/proc/self/status"));
    QVERIFY(status.open(QIODevice::ReadOnly));
    qint64 peak_kb = -1;
    for (const QByteArray& line : status.readAll().split('\n'))
      if (line.startsWith("VmHWM:")) peak_kb = line.mid(6).trimmed().split(' ').value(0).toLongLong();
    qInfo("peak resident memory: %lld MB", peak_kb / 1024);
    QVERIFY(peak_kb > 0 && peak_kb < 1024 * 1024);
  }
};

QTEST_MAIN(TestGuiSparse)
#include "test_gui_sparse.moc"
