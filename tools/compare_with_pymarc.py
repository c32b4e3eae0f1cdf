#!/usr/bin/env python3
"""marcscope side by side with pymarc, for behaviour (not speed): a check, not a test.

    tools/compare_with_pymarc.py --pymarc DIR [--build build/python] [--data tests/data] [--tests]

DIR is a pymarc source tree (the directory holding the `pymarc` package; Debian has no pymarc
package and nothing here downloads it). Every ISO 2709 file under --data is read by both
(`MARCReader(f, to_unicode=True, hide_utf8_warnings=True)`), and for each record both read the
same (`str(record)`) the lookups, dictionaries, ISO 2709, MARCXML and MARC-in-JSON are compared.
Differences are counted by kind, with the first example of each; docs/PYTHON.md lists the
differences that are meant ("Differences from pymarc").

--tests also runs pymarc's own test suite (DIR/test) with `pymarc` standing for `marcscope` (a
meta-path finder in a temporary sitecustomize), from DIR so that its relative data paths hold.
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

PROPERTIES = ["title", "author", "isbn", "issn", "issnl", "issn_title", "sudoc", "uniformtitle", "publisher",
              "pubyear", "series", "subjects", "addedentries", "location", "notes", "physicaldescription"]
SUFFIXES = (".mrc", ".dat", ".marc", ".bin", ".iso")

REDIRECT = '''
import importlib, importlib.abc, importlib.util, sys
class _Redirect(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name == "pymarc" or name.startswith("pymarc."):
            return importlib.util.spec_from_loader(name, self)
        return None
    def create_module(self, spec):
        return importlib.import_module("marcscope" + spec.name[len("pymarc"):])
    def exec_module(self, module):
        pass
sys.meta_path.insert(0, _Redirect())
'''


def read_all(module, data: bytes) -> list:
    """Records (None for a bad one), then ("raise", name) if reading stopped with an exception."""
    out: list = []
    reader = module.MARCReader(io.BytesIO(data), to_unicode=True, hide_utf8_warnings=True)
    try:
        for record in reader:
            out.append(record)
    except Exception as e:  # noqa: BLE001 - what each library raises is what is compared
        out.append(("raise", type(e).__name__))
    return out


def attempt(f):
    try:
        return f()
    except Exception as e:  # noqa: BLE001
        return ("raise", type(e).__name__)


def compare_records(pymarc, marcscope, data_dir: Path) -> collections.Counter:
    counts: collections.Counter = collections.Counter()
    examples: dict = {}

    def differ(kind: str, where: str, a, b) -> None:
        counts[kind] += 1
        examples.setdefault(kind, (where, repr(a)[:300], repr(b)[:300]))

    files = sorted(p for p in data_dir.rglob("*") if p.suffix in SUFFIXES and p.is_file())
    for path in files:
        data = path.read_bytes()
        ours, theirs = read_all(marcscope, data), read_all(pymarc, data)
        name = str(path.relative_to(data_dir))
        if len(ours) != len(theirs):
            differ("records handed over", name, len(theirs), len(ours))
            continue
        for i, (a, b) in enumerate(zip(theirs, ours)):
            where = f"{name} #{i}"
            if isinstance(a, tuple) or isinstance(b, tuple) or (a is None) != (b is None):
                if (a is None) != (b is None) or a != b:
                    differ("read by one only", where, a, b)
                continue
            if a is None:
                continue
            counts["records read by both"] += 1
            if str(a) != str(b):
                differ("str(record)", where, str(a), str(b))
                continue
            for prop in PROPERTIES:
                va, vb = attempt(lambda: getattr(a, prop)), attempt(lambda: getattr(b, prop))
                if isinstance(va, list):
                    va, vb = [str(x) for x in va], [str(x) for x in vb] if isinstance(vb, list) else vb
                if va != vb:
                    differ(f"record.{prop}", where, va, vb)
            checks = {
                "as_marc()": lambda m, r: r.as_marc(),
                "as_dict()": lambda m, r: r.as_dict(),
                "as_json()": lambda m, r: json.loads(r.as_json()),
                "record_to_xml()": lambda m, r: m.record_to_xml(r, namespace=True),
                "field.value()": lambda m, r: [f.value() for f in r.fields],
                "field.format_field()": lambda m, r: [f.format_field() for f in r.fields],
            }
            for kind, check in checks.items():
                va, vb = attempt(lambda: check(pymarc, a)), attempt(lambda: check(marcscope, b))
                if va != vb:
                    differ(kind, where, va, vb)
    for kind, n in sorted(counts.items()):
        print(f"{n:8}  {kind}")
    for kind, (where, a, b) in examples.items():
        print(f"\n{kind}, first at {where}\n  pymarc:    {a}\n  marcscope: {b}")
    return counts


def run_pymarc_tests(pymarc_dir: Path, build: Path) -> int:
    with tempfile.TemporaryDirectory() as shim:
        Path(shim, "sitecustomize.py").write_text(REDIRECT)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([shim, str(build)]))
        return subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test"],
                               cwd=pymarc_dir, env=env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pymarc", required=True, type=Path, help="pymarc source tree (holds pymarc/)")
    parser.add_argument("--build", default=Path("build/python"), type=Path, help="where the marcscope package is")
    parser.add_argument("--data", default=Path("tests/data"), type=Path, help="files to read")
    parser.add_argument("--tests", action="store_true", help="also run pymarc's own tests against marcscope")
    args = parser.parse_args()
    if not (args.pymarc / "pymarc" / "__init__.py").is_file():
        parser.error(f"{args.pymarc} holds no pymarc package")
    logging.disable(logging.CRITICAL)  # pymarc logs every odd record
    warnings.simplefilter("ignore")
    sys.path[:0] = [str(args.pymarc), str(args.build)]
    import marcscope
    import pymarc

    compare_records(pymarc, marcscope, args.data)
    if args.tests:
        print("\npymarc's own tests, with pymarc standing for marcscope:", flush=True)
        run_pymarc_tests(args.pymarc.resolve(), args.build.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
