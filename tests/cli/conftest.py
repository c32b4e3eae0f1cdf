"""pytest configuration for the marcscope CLI tests (run by CTest, label `cli`).

Environment (set by tests/cli/CMakeLists.txt):
  MARCSCOPE_BIN        the marcscope executable under test
  MARCSCOPE_TEST_DATA  tests/data (the only data these tests read)
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import clitools  # noqa: E402  (fails collection loudly when the environment is missing)


def pytest_report_header(config):
    return [f"marcscope: {clitools.BIN}", f"test data: {clitools.DATA}"]
