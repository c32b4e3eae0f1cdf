"""An installed tree works wherever it is put: the CLI validates with the rules it carries inside
it, and a program built against the installed engine (headers, library, pkg-config file) reads
records. Nothing looks for files in the source or build tree."""

import os
import shutil
import subprocess

import pytest

import clitools
from clitools import DATA


@pytest.fixture(scope="module")
def moved_install(tmp_path_factory):
    build = os.environ.get("MARCSCOPE_BUILD_DIR")
    if not build:
        raise RuntimeError("MARCSCOPE_BUILD_DIR is not set; run these tests through CTest")
    base = tmp_path_factory.mktemp("install")
    first = base / "first"
    subprocess.run(["cmake", "--install", build, "--prefix", str(first)], check=True, stdout=subprocess.DEVNULL)
    moved = base / "somewhere" / "else"
    moved.parent.mkdir()
    shutil.move(str(first), str(moved))
    return moved


def test_moved_cli_validates_with_its_own_rules(moved_install, tmp_path):
    cli = moved_install / "bin" / "marcscope"
    assert cli.is_file()
    proc = subprocess.run([str(cli), "validate", str(DATA / "valid/solrmarc-uva_001_2000.mrc")], cwd=tmp_path,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    out = proc.stdout.decode("utf-8", "replace")
    assert proc.returncode == 1, proc.stderr
    # Rule violations need the schema and code lists: they come from inside the program.
    assert "[rule-violation: fixed-field-value]" in out and "2000 records read" in out
    same = clitools.run("validate", "valid/solrmarc-uva_001_2000.mrc").stdout.decode("utf-8", "replace")
    assert out.replace(str(DATA) + "/", "") == same


def test_installed_layout(moved_install):
    for rel in ["lib/libmarcscope_engine.a", "include/marcscope/read/record_reader.h", "lib/pkgconfig/marcscope.pc",
                "share/marcscope/validation/marc21-bibliographic.avram.json"]:
        assert (moved_install / rel).is_file(), rel


def test_program_built_against_the_moved_engine(moved_install, tmp_path):
    source = tmp_path / "count.cpp"
    source.write_text(
        '#include <cstdio>\n#include "marcscope/read/record_reader.h"\n'
        "int main(int argc, char** argv) {\n"
        "  auto reader = marcscope::RecordReader::open(argv[1]);\n"
        "  unsigned long long n = 0;\n"
        "  reader->run([&](marcscope::Batch& b) { n += b.records.size(); return true; });\n"
        '  std::printf("%llu\\n", n);\n}\n')
    env = dict(os.environ, PKG_CONFIG_PATH=str(moved_install / "lib" / "pkgconfig"))
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "--static", "marcscope"], env=env, check=True,
                           stdout=subprocess.PIPE).stdout.decode().split()
    assert str(moved_install) in " ".join(flags) or any("pkgconfig/../.." in f for f in flags)
    exe = tmp_path / "count"
    subprocess.run(["g++", "-O0", str(source), "-o", str(exe), *flags], check=True, timeout=240)
    got = subprocess.run([str(exe), str(DATA / "valid/solrmarc-uva_001_2000.mrc")], stdout=subprocess.PIPE,
                         check=True, timeout=60).stdout.decode().strip()
    assert got == "2000"
