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
    assert "packaging\" / \"entry.py" in text or "entry.py" in text


def test_entry_point_installs_the_network_guard_first():
    import ast

    body = ast.parse((PACKAGING / "entry.py").read_text()).body
    statements = [node for node in body if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    assert ast.unparse(statements[0]) == "from workbench import netguard"
    assert ast.unparse(statements[1]) == "netguard.install()"


@pytest.mark.parametrize("dest", [
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
    "pandas/tests/io/data/test.parquet",
    "scipy/stats/tests/data/x.npz",
])
def test_unused_files_are_excluded(dest):
    assert trim.is_excluded(dest)


@pytest.mark.parametrize("dest", [
    "PySide6/Qt/plugins/platforms/libqxcb.so",
    "PySide6/Qt/plugins/platforms/libqoffscreen.so",
    "PySide6/Qt/plugins/platforms/libqwayland.so",
    "PySide6/Qt/plugins/imageformats/libqsvg.so",
    "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
    "PySide6/Qt/lib/libQt6Core.so.6",
    "PySide6/Qt/lib/libQt6Widgets.so.6",
    "PySide6/Qt/lib/libicudata.so.73",
    "pyarrow/libarrow.so.2600",
    "pyarrow/libarrow_python.so.2600",
    "pyarrow/libarrow_substrait.so.2600",  # pyarrow.lib links it
    "pyarrow/libparquet.so.2600",
    "numpy.libs/libscipy_openblas64_-32a4b2a6.so",
    "_duckdb.cpython-311-x86_64-linux-gnu.so",
    "resources/icons/workbench.svg",
    "pyqtgraph/colors/maps/CET-L1.csv",
])
def test_needed_files_are_kept(dest):
    assert not trim.is_excluded(dest)


def test_excluded_modules_keep_what_the_app_imports():
    excluded = set(trim.EXCLUDED_MODULES)
    for needed in ("PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtSvg", "PySide6.QtOpenGL",
                   "numpy.f2py", "pyarrow.parquet", "pyarrow.dataset", "unittest", "sqlite3"):
        assert needed not in excluded, needed


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
    assert sbom._licence_entry("Copyright (c) SciPy developers") == {"license": {"name": "Copyright (c) SciPy developers"}}


def test_sbom_of_the_current_environment(tmp_path):
    """Attribute a few real files of this venv and write the CycloneDX document + licence texts."""
    import duckdb
    import numpy
    import sqlglot

    numpy_libs = sorted((Path(numpy.__file__).parent.parent / "numpy.libs").glob("*openblas*"))
    manifest = {
        "root": str(ROOT),
        "pure": [["sqlglot", sqlglot.__file__], ["workbench.engine", str(ROOT / "workbench" / "engine.py")],
                 ["json", json.__file__]],
        "binaries": [["_duckdb.so", duckdb._duckdb.__file__ if hasattr(duckdb, "_duckdb") else duckdb.__file__, "EXTENSION"]]
        + [[f"numpy.libs/{p.name}", str(p), "BINARY"] for p in numpy_libs],
        "datas": [],
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "out"
    assert sbom.main(["--manifest", str(tmp_path / "manifest.json"), "--out-dir", str(out), "--version", "9.9.9",
                      "--commit", "abc123", "--build-date", "2026-01-01T00:00:00Z"]) == 0
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
        assert any(p["name"] == "workbench:vendored_by" and p["value"].startswith("numpy") for p in by_name["OpenBLAS"]["properties"])
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


@pytest.mark.parametrize("script", ["build.sh", "ci_check.sh", "linux/build_deb.sh", "linux/launcher.sh",
                                    "linux/install-desktop-entry.sh", "macos/build_dmg.sh"])
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
    subprocess.run([sys.executable, str(PACKAGING / "make_icons.py"), str(tmp_path)], check=True, env=env,
                   capture_output=True, timeout=120)
    ico = tmp_path / "workbench.ico"
    assert ico.exists() and ico.read_bytes()[:4] == b"\x00\x00\x01\x00"  # ICO header
