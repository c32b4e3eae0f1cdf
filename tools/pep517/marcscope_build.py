"""The in-tree PEP 517 build backend for the Python module `marcscope` (standard library only).

pip and `python -m build` use it through pyproject.toml (`requires = []`, so an isolated build
needs nothing from a package index): it runs CMake for the target `marcscope_python` (the
extension marcscope/_core plus the pure-Python layer copied beside it) with the interpreter that
runs the build, and zips a wheel. `build_editable` builds the same extension into the source
tree's python/marcscope/ and installs a .pth file pointing there, so edits to the Python layer
take effect at once (C++ changes need `pip install -e .` again). `build_sdist` packs the files
git tracks (or, in an unpacked sdist, the files there), which is everything CMake needs.

Environment: MARCSCOPE_BUILD_JOBS (parallel build jobs, default: every core),
MARCSCOPE_CMAKE_ARGS (extra CMake arguments, split on blanks).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAME = "marcscope"
SUMMARY = "pymarc's API on MarcScope's C++ MARC engine: fast reading, writing and validation of MARC 21"
# Build outputs and caches never go into an sdist.
EXCLUDED_PARTS = {".git", "__pycache__", ".cache", ".pytest_cache"}


def _version() -> str:
    text = (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")
    match = re.search(r"project\(\s*MarcScope\s+VERSION\s+([0-9][0-9.]*)", text)
    if not match:
        raise RuntimeError("CMakeLists.txt: no project(MarcScope VERSION x.y.z)")
    return match.group(1)


def _metadata() -> str:
    readme = ""
    readme_path = ROOT / "python" / "README.md"
    if readme_path.exists():
        readme = readme_path.read_text(encoding="utf-8")
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {NAME}",
        f"Version: {_version()}",
        f"Summary: {SUMMARY}",
        "Requires-Python: >=3.11",
        "License: see LICENSE",
        "Classifier: Programming Language :: Python :: 3",
        "Classifier: Programming Language :: C++",
        "Classifier: Topic :: Text Processing :: Markup",
        "Description-Content-Type: text/markdown",
        "",
        readme,
    ]
    return "\n".join(lines)


def _tag() -> str:
    impl = f"cp{sys.version_info.major}{sys.version_info.minor}"
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"{impl}-{impl}-{platform}"


def _build_dir() -> Path:
    """A build folder inside the source tree (kept between builds, so rebuilds are quick), or a
    temporary one when the tree is read-only."""
    # One folder per interpreter installation: CMake's cache remembers the interpreter it found.
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    which = hashlib.sha256(os.path.realpath(sys.base_prefix).encode()).hexdigest()[:8]
    wanted = ROOT / "build" / f"pip-{tag}-{which}"
    try:
        wanted.mkdir(parents=True, exist_ok=True)
        probe = wanted / ".writable"
        probe.write_text("")
        probe.unlink()
        return wanted
    except OSError:
        return Path(tempfile.mkdtemp(prefix="marcscope-build-"))


def _run(cmd: list, **kwargs) -> None:
    print("marcscope build:", " ".join(str(c) for c in cmd), file=sys.stderr, flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def _cmake_build() -> Path:
    """Configures and builds the extension; returns the built package folder."""
    cmake = shutil.which("cmake")
    if cmake is None:
        raise RuntimeError("cmake is needed to build marcscope (Debian: apt install cmake)")
    build = _build_dir()
    args = [
        cmake, "-S", ROOT, "-B", build,
        f"-DPython_EXECUTABLE={sys.executable}",
        "-DCMAKE_BUILD_TYPE=Release",
        "-DMARCSCOPE_PYTHON=ON",
        "-DMARCSCOPE_BUILD_TESTS=OFF",
        "-DMARCSCOPE_BUILD_BENCHMARKS=OFF",
    ]
    if not (build / "CMakeCache.txt").exists() and shutil.which("ninja"):
        args += ["-G", "Ninja"]
    if shutil.which("ccache"):
        args += ["-DCMAKE_CXX_COMPILER_LAUNCHER=ccache", "-DCMAKE_C_COMPILER_LAUNCHER=ccache"]
    args += os.environ.get("MARCSCOPE_CMAKE_ARGS", "").split()
    _run(args)
    jobs = os.environ.get("MARCSCOPE_BUILD_JOBS") or str(os.cpu_count() or 1)
    _run([cmake, "--build", build, "--target", "marcscope_python", "-j", jobs])
    package = build / "python" / NAME
    if not list(package.glob("_core*.so")):
        raise RuntimeError(f"the build made no extension in {package}")
    return package


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"{name},sha256={digest},{len(data)}"


def _write_wheel(wheel_directory: str, files: dict) -> str:
    """files: archive name -> bytes. Adds the .dist-info and returns the wheel's file name."""
    version = _version()
    dist_info = f"{NAME}-{version}.dist-info"
    tag = _tag()
    files = dict(files)
    files[f"{dist_info}/METADATA"] = _metadata().encode("utf-8")
    files[f"{dist_info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: marcscope_build\nRoot-Is-Purelib: false\n" f"Tag: {tag}\n"
    ).encode("ascii")
    license_file = ROOT / "LICENSE"
    if license_file.exists():
        files[f"{dist_info}/LICENSE"] = license_file.read_bytes()
    record_name = f"{dist_info}/RECORD"
    record = [_record_line(name, data) for name, data in sorted(files.items())]
    record.append(f"{record_name},,")
    files[record_name] = ("\n".join(record) + "\n").encode("utf-8")
    wheel_name = f"{NAME}-{version}-{tag}.whl"
    path = Path(wheel_directory) / wheel_name
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if name.endswith(".so") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return wheel_name


# ---- PEP 517 hooks -------------------------------------------------------------------------


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    package = _cmake_build()
    files = {}
    for path in sorted(package.iterdir()):
        if path.is_file() and (path.suffix in (".py", ".pyi") or path.name == "py.typed" or path.name.startswith("_core")):
            files[f"{NAME}/{path.name}"] = path.read_bytes()
    # The validation schema and code lists the engine loads at run time.
    resources = ROOT / "resources" / "validation"
    for path in sorted(resources.iterdir()):
        if path.is_file():
            files[f"{NAME}/resources/validation/{path.name}"] = path.read_bytes()
    return _write_wheel(wheel_directory, files)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    package = _cmake_build()
    target = ROOT / "python" / NAME
    for ext in package.glob("_core*.so"):
        shutil.copy2(ext, target / ext.name)
    files = {f"_{NAME}_editable.pth": (str(ROOT / "python") + "\n").encode("utf-8")}
    return _write_wheel(wheel_directory, files)


def _sdist_files() -> list:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
        names = [n for n in out.decode("utf-8").split("\0") if n]
        if names:
            return sorted(n for n in names if (ROOT / n).is_file())
    except (OSError, subprocess.CalledProcessError):
        pass
    names = []
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if not path.is_file() or rel.parts[0].startswith("build") or EXCLUDED_PARTS & set(rel.parts):
            continue
        if rel.name.startswith("_core") and rel.suffix == ".so" or rel.name == "PKG-INFO":
            continue
        names.append(rel.as_posix())
    return sorted(names)


def build_sdist(sdist_directory, config_settings=None):
    base = f"{NAME}-{_version()}"
    path = Path(sdist_directory) / f"{base}.tar.gz"
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        pkg_info = _metadata().encode("utf-8")
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(pkg_info)
        info.mtime = 1577836800
        tar.addfile(info, io.BytesIO(pkg_info))
        for name in _sdist_files():
            tar.add(ROOT / name, arcname=f"{base}/{name}", recursive=False)
    return path.name
