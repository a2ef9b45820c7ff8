"""Cheap checks of packaging/: the spec, the trimming rules, the SBOM generator and the scripts.

The real build (PyInstaller, .deb, install, offline self-test) runs in packaging/ci_check.sh only.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"packaging_{name}", PACKAGING / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


trim = _load("trim")
sbom = _load("sbom")


def test_spec_file_compiles_and_uses_one_folder_mode():
    text = (PACKAGING / "workbench.spec").read_text()
    compile(text, "workbench.spec", "exec")
    assert "COLLECT(" in text and "exclude_binaries=True" in text  # one-folder, not one-file
    assert 'packaging" / "entry.py' in text or "entry.py" in text


def test_entry_point_installs_the_network_guard_first():
    import ast

    body = ast.parse((PACKAGING / "entry.py").read_text()).body
    statements = [node for node in body if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    assert ast.unparse(statements[0]) == "from workbench import netguard"
    assert ast.unparse(statements[1]) == "netguard.install()"


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/translations/qtbase_de.qm",
        "PySide6/Qt/plugins/tls/libqopensslbackend.so",
        "PySide6/Qt/plugins/networkinformation/libqnetworkmanager.so",
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/plugins/printsupport/libcupsprintersupport.so",
        "PySide6/Qt/plugins/platforms/libqvnc.so",
        "PySide6/Qt/lib/libQt6Network.so.6",
        "pyarrow/libarrow_flight.so.2600",
        "pyarrow/libarrow_s3.so.2600",
        "pyarrow/libarrow_python.so",
        "pyarrow/libarrow_python.so.2600.1.0",
        "pyarrow/include/arrow/api.h",
        "pyarrow/libarrow_substrait.so.2600",
        "pyarrow/libarrow.so.2600",
        "pyarrow/libarrow_python.so.2600",
        "pyarrow/libparquet.so.2600",
        "pyarrow/_compute.cpython-311-x86_64-linux-gnu.so",
        "pandas/tests/io/data/test.parquet",
        "scipy/stats/tests/data/x.npz",
    ],
)
def test_unused_files_are_excluded(dest):
    assert trim.is_excluded(dest)


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
        "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
        "PySide6/Qt/lib/libQt6Core.so.6",
        "PySide6/Qt/lib/libQt6Widgets.so.6",
        "PySide6/Qt/lib/libicudata.so.73",
        "numpy.libs/libscipy_openblas64_-32a4b2a6.so",
        "_duckdb.cpython-311-x86_64-linux-gnu.so",
        "resources/icons/workbench.svg",
        "pyqtgraph/colors/maps/CET-L1.csv",
        "libssl.so.3",  # the MCP SDK's event loop (anyio) imports ssl
        "libcrypto.so.3",
    ],
)
def test_needed_files_are_kept(dest):
    assert not trim.is_excluded(dest)


def test_excluded_modules_keep_what_the_app_imports():
    excluded = set(trim.EXCLUDED_MODULES)
    for needed in (
        "PySide6.QtCore",
        "PySide6.QtGui",
        "PySide6.QtWidgets",
        "PySide6.QtSvg",
        "PySide6.QtPrintSupport",
        "numpy.f2py",
        "scipy.stats",
        "scipy.optimize",
        "scipy.special",
        "openpyxl",
        "unittest",
        "sqlite3",
        "hashlib",
        "_sha256",
        "socket",
        "ssl",
        "_ssl",
    ):
        assert needed not in excluded, needed
    # run time works without these (tests/workbench/test_no_pyarrow.py)
    assert {"pyarrow", "_hashlib"} <= excluded


def test_app_code_does_not_need_excluded_modules():
    """No app code imports a left-out module (statsmodels is bundled: the interrupted time series needs its
    structural models). The Spark backend is the exception: it runs only where the optional Spark client is
    installed (``pip install 'workbench[spark]'``), which brings pyarrow with it; the bundle has neither and
    says so when asked to connect."""
    import re

    excluded = [m for m in trim.EXCLUDED_MODULES if not m.startswith("_")]
    pattern = re.compile(r"^\s*(?:from|import)\s+(" + "|".join(re.escape(m) for m in excluded) + r")\b.*$", re.M)
    hits = []
    spark = ROOT / "workbench" / "backend" / "spark"
    for path in sorted((ROOT / "workbench").rglob("*.py")) + sorted((ROOT / "widgets").rglob("*.py")):
        if spark in path.parents:
            continue
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            hits.append(f"{path.relative_to(ROOT).as_posix()}: {match.group(0).strip()}")
    assert hits == []
    assert "statsmodels" not in trim.EXCLUDED_MODULES


def test_power_details_without_statsmodels(monkeypatch):
    from workbench.experiments import power

    monkeypatch.setitem(sys.modules, "statsmodels", None)
    monkeypatch.setitem(sys.modules, "statsmodels.stats.power", None)
    details = power._details(10.0, 4.0, 1000, 0.05, 0.8, 0.05)
    assert "statsmodels" in details and not any(k.startswith("statsmodels_") for k in details)
    assert details["mde_rel_gbstats_quadratic"] > 0


def test_trim_drops_orphaned_libraries_and_dead_symlinks():
    links = {
        "/src/libqgtk3.so": ["libgtk-3.so.0", "libQt6Gui.so.6"],
        "/src/libgtk-3.so.0": ["libpango.so.1", "libglib.so.0"],
        "/src/libpango.so.1": ["libglib.so.0"],
        "/src/libglib.so.0": [],
        "/src/libQt6Gui.so.6": ["libglib.so.0"],
        "/src/libqxcb.so": ["libQt6Gui.so.6"],
    }

    def needed(entry):
        return [entry[1].rsplit("/", 1)[-1]] if entry[2] == "SYMLINK" else links.get(entry[1], [])

    binaries = [
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "/src/libqgtk3.so", "BINARY"),
        ("libgtk-3.so.0", "/src/libgtk-3.so.0", "BINARY"),
        ("libpango.so.1", "/src/libpango.so.1", "BINARY"),
        ("libglib.so.0", "/src/libglib.so.0", "BINARY"),
        ("PySide6/Qt/lib/libQt6Gui.so.6", "/src/libQt6Gui.so.6", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/src/libqxcb.so", "BINARY"),
        ("pyarrow/libarrow_flight.so.2600", "/src/flight", "BINARY"),
    ]
    datas = [
        ("libarrow_flight.so.2600", "pyarrow/libarrow_flight.so.2600", "SYMLINK"),
        ("libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Gui.so.6", "SYMLINK"),
        ("resources/icons/workbench.svg", "/src/workbench.svg", "DATA"),
    ]
    kept_binaries, kept_datas = trim.trim(binaries, datas, needed=needed)
    names = {d for d, _, _ in kept_binaries}
    assert names == {"libglib.so.0", "PySide6/Qt/lib/libQt6Gui.so.6", "PySide6/Qt/plugins/platforms/libqxcb.so"}
    assert [d for d, _, _ in kept_datas] == ["libQt6Gui.so.6", "resources/icons/workbench.svg"]


def test_sbom_licence_parsing():
    assert sbom._licence_entry("MIT") == {"license": {"id": "MIT"}}
    assert sbom._licence_entry("LGPL-3.0-only OR GPL-2.0-only") == {"expression": "LGPL-3.0-only OR GPL-2.0-only"}
    assert sbom._licence_entry("NOASSERTION") == {"license": {"name": "NOASSERTION"}}
    assert sbom._licence_entry("Copyright (c) SciPy developers") == {
        "license": {"name": "Copyright (c) SciPy developers"}
    }


def test_sbom_of_the_current_environment(tmp_path):
    """Attribute a few real files of this venv and write the CycloneDX document + licence texts."""
    import duckdb
    import numpy
    import sqlglot

    numpy_libs = sorted((Path(numpy.__file__).parent.parent / "numpy.libs").glob("*openblas*"))
    manifest = {
        "root": str(ROOT),
        "pure": [
            ["sqlglot", sqlglot.__file__],
            ["workbench.engine", str(ROOT / "workbench" / "engine.py")],
            ["json", json.__file__],
        ],
        "binaries": [
            ["_duckdb.so", duckdb._duckdb.__file__ if hasattr(duckdb, "_duckdb") else duckdb.__file__, "EXTENSION"]
        ]
        + [[f"numpy.libs/{p.name}", str(p), "BINARY"] for p in numpy_libs],
        "datas": [],
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "out"
    assert (
        sbom.main(
            [
                "--manifest",
                str(tmp_path / "manifest.json"),
                "--out-dir",
                str(out),
                "--version",
                "9.9.9",
                "--commit",
                "abc123",
                "--build-date",
                "2026-01-01T00:00:00Z",
            ]
        )
        == 0
    )
    bom = json.loads((out / "sbom.cdx.json").read_text())
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.5"
    assert bom["metadata"]["component"]["version"] == "9.9.9"
    by_name = {c["name"]: c for c in bom["components"]}
    assert by_name["sqlglot"]["version"] == sqlglot.__version__
    assert by_name["sqlglot"]["purl"] == f"pkg:pypi/sqlglot@{sqlglot.__version__}"
    assert by_name["sqlglot"]["licenses"] == [{"license": {"id": "MIT"}}]
    assert by_name["duckdb"]["version"] == duckdb.__version__
    assert "CPython" in by_name
    if numpy_libs:
        assert by_name["OpenBLAS"]["licenses"] == [{"license": {"id": "BSD-3-Clause"}}]
        assert any(
            p["name"] == "workbench:vendored_by" and p["value"].startswith("numpy")
            for p in by_name["OpenBLAS"]["properties"]
        )
    assert all(c["licenses"] and c["version"] for c in bom["components"])
    refs = {c["bom-ref"] for c in bom["components"]}
    assert set(bom["dependencies"][0]["dependsOn"]) == refs
    licence_dirs = {p.name for p in (out / "LICENSES").iterdir()}
    assert f"sqlglot-{sqlglot.__version__}" in licence_dirs
    assert any(name.startswith("duckdb-") for name in licence_dirs)


def test_desktop_entry_is_valid():
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(PACKAGING / "linux" / "workbench.desktop")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Exec"].split()[0] == "workbench"
    assert entry["Icon"] == "workbench"
    assert (ROOT / "resources" / "icons" / "workbench.svg").exists()
    assert (ROOT / "resources" / "icons" / "workbench.png").exists()
    if shutil.which("desktop-file-validate"):
        subprocess.run(["desktop-file-validate", str(PACKAGING / "linux" / "workbench.desktop")], check=True)


@pytest.mark.parametrize(
    "script",
    [
        "build.sh",
        "ci_check.sh",
        "linux/build_deb.sh",
        "linux/launcher.sh",
        "linux/install-desktop-entry.sh",
        "macos/build_dmg.sh",
    ],
)
def test_shell_scripts_parse_and_are_executable(script):
    path = PACKAGING / script
    assert path.exists(), script
    assert path.stat().st_mode & 0o111, f"{script} is not executable"
    shell = "bash" if path.read_text().startswith("#!/usr/bin/env bash") else "sh"
    subprocess.run([shell, "-n", str(path)], check=True)


def test_ci_workflow_builds_three_systems():
    text = (ROOT / ".github" / "workflows" / "build.yml").read_text()
    for runner in ("ubuntu-", "windows-", "macos-"):
        assert runner in text
    assert "--self-test" in text


def test_inno_setup_script_names_the_bundle():
    text = (PACKAGING / "windows" / "workbench.iss").read_text()
    assert "workbench.exe" in text and "{#BundleDir}" in text


def test_build_info_is_not_committed():
    tracked = subprocess.run(["git", "ls-files", "workbench/_build_info.py"], cwd=ROOT, capture_output=True, text=True)
    assert tracked.stdout.strip() == ""


@pytest.mark.skipif(sys.platform != "linux", reason="strip/readelf are Linux tools")
def test_strip_skips_wheel_vendored_libraries(tmp_path):
    (tmp_path / "numpy.libs").mkdir()
    lib = tmp_path / "numpy.libs" / "libopenblas.so"
    lib.write_bytes(b"not an ELF file")
    assert trim.NEVER_STRIP.search("numpy.libs/libopenblas.so")
    assert trim.strip_bundle(tmp_path) == (0, 0)
    assert lib.read_bytes() == b"not an ELF file"


def test_installer_icons_render_from_the_svg(tmp_path):
    env = {**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"}
    subprocess.run(
        [sys.executable, str(PACKAGING / "make_icons.py"), str(tmp_path)],
        check=True,
        env=env,
        capture_output=True,
        timeout=120,
    )
    ico = tmp_path / "workbench.ico"
    assert ico.exists() and ico.read_bytes()[:4] == b"\x00\x00\x01\x00"  # ICO header


def _icu_package(names_and_items):
    """A tiny ICU common data package (little-endian) holding the given (name, bytes) items."""
    import struct

    header = bytearray(32)
    struct.pack_into("<HBB", header, 0, 32, 0xDA, 0x27)
    struct.pack_into("<HH4B4s", header, 4, 20, 0, 0, 0, 2, 0, b"CmnD")
    names = b"".join(f"icudt73l/{n}".encode() + b"\0" for n, _ in names_and_items)
    toc_len = 4 + 8 * len(names_and_items)
    data_start = toc_len + len(names)
    data_start += -(32 + data_start) % 16
    toc = bytearray(struct.pack("<I", len(names_and_items)))
    name_pos, data_pos, data = toc_len, data_start, b""
    for name, item in names_and_items:
        toc += struct.pack("<II", name_pos, data_pos)
        name_pos += len(f"icudt73l/{name}") + 1
        item += b"\0" * (-len(item) % 16)
        data += item
        data_pos += len(item)
    toc += names + b"\0" * (data_start - toc_len - len(names))
    return bytes(header) + bytes(toc) + data


@pytest.mark.parametrize(
    "name, kept",
    [
        ("root.res", True),
        ("en.res", True),
        ("en_GB.res", True),
        ("de.res", False),
        ("zh_Hant_HK.res", False),
        ("zone/de.res", False),
        ("zone/en_001.res", True),
        ("zone/pool.res", True),
        ("coll/sv.res", True),
        ("coll/de_.res", True),
        ("brkitr/cjdict.dict", False),
        ("translit/root.res", False),
        ("ibm-1252_P100-2000.cnv", True),
        ("cnvalias.icu", True),
        ("zoneinfo64.res", True),
        ("supplementalData.res", True),
        ("res_index.res", True),
        ("curr/de_.res", False),
    ],
)
def test_icu_items_kept(name, kept):
    assert trim.icu_item_kept(name) is kept


def test_icu_common_data_filter_round_trip():
    items = [("cnvalias.icu", b"A" * 20), ("de.res", b"B" * 33), ("en.res", b"C" * 16), ("root.res", b"D" * 5)]
    slim = trim.filter_icu_common_data(_icu_package(items))
    assert slim == _icu_package([i for i in items if i[0] != "de.res"])
    with pytest.raises(ValueError):
        trim.filter_icu_common_data(b"\0" * 64)


@pytest.mark.skipif(sys.platform != "linux" or not shutil.which("cc"), reason="needs Linux and a C compiler")
def test_slim_icu_library_keeps_qt_working(tmp_path):
    """The slimmed libicudata loads in place of Qt's and still converts, collates and names time zones."""
    import glob

    import PySide6

    found = glob.glob(str(Path(PySide6.__file__).parent / "Qt" / "lib" / "libicudata.so.*"))
    if not found:
        pytest.skip("this PySide6 has no bundled ICU")
    slim = trim.slim_icu_library(found[0], tmp_path)
    assert slim.stat().st_size < Path(found[0]).stat().st_size / 2
    script = (
        "from PySide6.QtCore import QCollator, QLocale, QStringDecoder, QTimeZone, QDateTime\n"
        "assert QStringDecoder('Shift_JIS').isValid() and QStringDecoder('windows-1252').isValid()\n"
        "c = QCollator(QLocale('sv_SE'))\n"
        "print(sorted(['z', '\u00e5', 'a'], key=c.sortKey))\n"
        "tz = QTimeZone(b'Europe/Berlin')\n"
        "d = QDateTime.fromString('2026-07-01T12:00:00', 'yyyy-MM-ddTHH:mm:ss')\n"
        "print(tz.displayName(d, QTimeZone.NameType.LongName, QLocale('en_US')))\n"
    )
    env = {**__import__("os").environ, "LD_PRELOAD": str(slim), "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["['a', 'z', '\u00e5']", "Central European Summer Time"]


@pytest.mark.skipif(sys.platform != "linux" or not shutil.which("cc"), reason="needs Linux and a C compiler")
def test_drop_needed_removes_only_absent_unused_libraries(tmp_path):
    (tmp_path / "empty.c").write_text("int answer(void) { return 42; }\n")
    lib = tmp_path / "libuser.so"
    subprocess.run(
        ["cc", "-shared", "-o", str(lib), "empty.c", "-Wl,--no-as-needed", "-lm", "-lz"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    pattern = __import__("re").compile(r"^libz\.so")
    names_before = trim._dynamic_needed(lib.read_bytes())[2]
    assert any(n.startswith("libz.so") for n in names_before)
    changed = trim.drop_needed(tmp_path, unused=pattern)
    assert changed and "libuser.so" in changed[0]
    names_after = trim._dynamic_needed(lib.read_bytes())[2]
    assert names_after == [n for n in names_before if not n.startswith("libz.so")]
    import ctypes

    assert ctypes.CDLL(str(lib)).answer() == 42
    assert trim.drop_needed(tmp_path, unused=pattern) == []


@pytest.mark.skipif(sys.platform != "linux", reason="symlinks")
def test_dedupe_libraries_links_identical_copies(tmp_path):
    for folder, content in (("numpy.libs", b"same"), ("scipy.libs", b"same"), ("other.libs", b"different")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "libgfortran-x.so.5").write_bytes(content)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "libgfortran-x.so.5").write_bytes(b"same")  # outside *.libs/: left alone
    assert trim.dedupe_libraries(tmp_path) == (1, 4)
    copy = tmp_path / "scipy.libs" / "libgfortran-x.so.5"
    assert copy.is_symlink() and copy.read_bytes() == b"same"
    assert __import__("os").readlink(copy) == "../numpy.libs/libgfortran-x.so.5"
    assert not (tmp_path / "other.libs" / "libgfortran-x.so.5").is_symlink()
    assert not (tmp_path / "pkg" / "libgfortran-x.so.5").is_symlink()


def test_opengl_stand_ins_let_pyqtgraph_import_without_qt_opengl():
    """What the bundle's runtime hook does, in a fresh interpreter: pyqtgraph imports and plots, OpenGL refuses."""
    script = (
        "import runpy, sys\n"
        f"runpy.run_path({str(PACKAGING / 'rthook_no_opengl.py')!r})\n"
        "import pyqtgraph as pg\n"
        "from PySide6 import QtWidgets\n"
        "app = QtWidgets.QApplication([])\n"
        "w = pg.PlotWidget(); w.plot([1, 2, 3]); w.show(); app.processEvents()\n"
        "assert not hasattr(sys.modules['PySide6.QtOpenGL'], '__file__')\n"
        "try:\n"
        "    pg.Qt.QtWidgets.QOpenGLWidget()\n"
        "except RuntimeError as exc:\n"
        "    print('refused:', 'not part of this build' in str(exc))\n"
    )
    env = {**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "refused: True"


def test_spec_uses_the_opengl_runtime_hook_and_slim_icu():
    text = (PACKAGING / "workbench.spec").read_text()
    assert "rthook_no_opengl.py" in text and "use_slim_icu" in text
    assert {"PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets"} <= set(trim.EXCLUDED_MODULES)
