"""`pip install .` as a user runs it: offline (--no-index), build isolation on, into a fresh venv
of this interpreter; then a pymarc script run against the installed package. Slow (it builds
the extension, a few minutes without a warm ccache): CTest labels it `slow`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SOURCE = Path(os.environ.get("MARCSCOPE_SOURCE_DIR", Path(__file__).resolve().parents[2]))

SCRIPT = """
import marcscope as pymarc
import sys
with open(sys.argv[1], "rb") as fh:
    for record in pymarc.MARCReader(fh):
        print(record.title)
print(pymarc.__file__)
print(len(pymarc.validate(sys.argv[1]).findings) >= 0)
"""


def clean_env():
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MARCSCOPE_RESOURCE_DIR", "PIP_INDEX_URL")}
    env["PIP_NO_INDEX"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def test_pip_install_offline_into_a_venv(tmp_path, data):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    py = venv / "bin" / "python"
    env = clean_env()
    subprocess.run([str(py), "-m", "pip", "install", "--no-index", str(SOURCE)], check=True, env=env, cwd=tmp_path)
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['platlib'])"],
                               check=True, env=env, capture_output=True, text=True).stdout.strip())
    package = site / "marcscope"
    for name in ("py.typed", "_core.pyi", "record.py", "resources/validation/marc21-bibliographic.avram.json"):
        assert (package / name).is_file(), name
    assert list(package.glob("_core*.so"))
    script = tmp_path / "titles.py"
    script.write_text(SCRIPT)
    source = data / "valid/pymarc-marc.dat"
    out = subprocess.run([str(py), str(script), str(source)], check=True, env=env, cwd=tmp_path,
                         capture_output=True, text=True).stdout.splitlines()
    assert out[0] == "The pragmatic programmer : from journeyman to master /"
    assert len(out) == 20 + 2
    assert out[-2].startswith(str(venv)) and out[-1] == "True"
