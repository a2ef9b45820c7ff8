"""What the bundle leaves out, as data the spec file and the tests share.

Every rule here removes something Workbench never uses at run time. Each group says why, so a reviewer
can tell a deliberate exclusion from an accident. Patterns are matched against the destination path
inside the bundle (forward slashes) with :func:`re.search`.
"""

from __future__ import annotations

import re

# Python modules never imported at run time (PyInstaller follows every import it can see, including
# optional ones inside try/except of our dependencies).
EXCLUDED_MODULES = [
    # GUI toolkits and notebooks our dependencies can optionally use
    "tkinter", "_tkinter", "PyQt5", "PyQt6", "PySide2", "IPython", "ipykernel", "jupyter_client",
    "matplotlib", "notebook",
    # developer tools that end up importable through optional paths
    "pytest", "_pytest", "pytestqt", "pydoc_data", "lib2to3", "setuptools", "pkg_resources", "pip",
    "PyInstaller", "readline",
    # pyarrow's network file systems and RPC: no network, ever (also 50 MB of native code)
    "pyarrow.flight", "pyarrow._flight", "pyarrow._s3fs", "pyarrow._gcsfs", "pyarrow._azurefs",
    "pyarrow._hdfs", "pyarrow.cuda", "pyarrow._cuda", "pyarrow._orc", "pyarrow.orc", "pyarrow.tests",
    # test suites shipped inside packages
    "pandas.tests", "numpy.tests", "scipy.tests", "statsmodels.tests", "pyqtgraph.examples",
    "pyqtgraph.opengl", "pyqtgraph.jupyter", "pyqtgraph.canvas", "pyqtgraph.flowchart", "sqlglot.executor",
    # Qt modules we do not use (the PySide6 hooks then skip their libraries and plugins)
    "PySide6.QtNetwork", "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets",
    "PySide6.QtSql", "PySide6.QtDesigner", "PySide6.QtHelp", "PySide6.QtUiTools",
    "PySide6.QtXml", "PySide6.QtConcurrent", "PySide6.QtDBus", "PySide6.QtStateMachine", "PySide6.QtPdf",
    "PySide6.QtPdfWidgets", "PySide6.QtQuickControls2", "PySide6.QtQuick3D", "PySide6.QtSpatialAudio",
    "PySide6.QtMultimedia", "PySide6.QtWebEngineCore", "PySide6.QtWebSockets", "PySide6.QtNetworkAuth",
]

# Files removed from the collected binaries/datas after analysis.
EXCLUDED_FILE_PATTERNS = [
    # Qt translations: the UI is English only
    r"PySide6/Qt/translations/",
    # Qt plugins for hardware/back-ends a desktop analyst never has or that touch the network
    r"PySide6/Qt/plugins/(generic|egldeviceintegrations|networkinformation|tls|sqldrivers|qmltooling|designer)/",
    r"PySide6/Qt/plugins/platforms/lib(qeglfs|qlinuxfb|qminimalegl|qvkkhrdisplay|qvnc)\.so",
    r"PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin\.so",
    r"PySide6/Qt/plugins/imageformats/lib(qpdf|qtga|qtiff|qwbmp|qwebp|qicns)\.so",
    r"PySide6/Qt/plugins/(wayland-graphics-integration-server)/",
    # GTK theme plugin (drags in GTK, pango, cairo, ATK) and CUPS printing (drags in CUPS, GnuTLS,
    # Kerberos, Avahi): Qt's own Fusion style is used and the app does not print
    r"PySide6/Qt/plugins/platformthemes/libqgtk3\.so", r"PySide6/Qt/plugins/printsupport/",
    # Qt libraries only those plugins need
    r"libQt6(EglFSDeviceIntegration|EglFsKmsSupport|Pdf|VirtualKeyboard|Network|Qml|Quick|Sql)\w*\.so",
    # pyarrow: S3 and Flight (network) libraries
    r"pyarrow/libarrow_(flight|s3)\.so", r"pyarrow/libarrow_python_flight\.so",
    # pyarrow ships each library three times (name, soname, full version); the loader only asks for
    # the soname (e.g. libarrow_python.so.2600), so the other two copies are dead weight
    r"pyarrow/lib\w+\.so$", r"pyarrow/lib\w+\.so\.\d+\.\d+\.\d+$", r"pyarrow/src/",
    # headers, static libs, type stubs, Cython sources: build-time only
    r"\.(h|hpp|pxd|pyx|pxi|pyi|a|lib|cmake)$", r"/include/", r"/cmake/",
    # test folders and sample data of dependencies
    r"(^|/)tests?/", r"pyqtgraph/examples/",
    r"scipy/misc/.*\.dat$", r"scipy/datasets/",
]

_compiled = [re.compile(p) for p in EXCLUDED_FILE_PATTERNS]


def is_excluded(dest: str) -> bool:
    """True when the bundled file at ``dest`` (path inside the bundle) is left out."""
    dest = dest.replace("\\", "/")
    return any(p.search(dest) for p in _compiled)


def trim(binaries, datas, needed=None):
    """Return ``(binaries, datas)`` without excluded files, their orphaned libraries and dead symlinks.

    Entries are PyInstaller TOC tuples ``(dest, src, typecode)``. Shared libraries that only an excluded
    file needed (e.g. GTK for the GTK theme plugin) are dropped too, and so are symlinks left pointing at
    a dropped file (PyInstaller 6 lists them among the datas). ``needed(entry)`` returns the library
    names an entry links against; by default PyInstaller's own ``bindepend.get_imports``. A library that
    anything kept still links against is always kept.
    """
    needed = needed or _linked_names
    toc = list(binaries) + list(datas)
    kept = [e for e in toc if not is_excluded(e[0])]
    removed = [e for e in toc if is_excluded(e[0])]
    by_name: dict[str, list] = {}
    for entry in kept:
        if entry[2] != "SYMLINK":
            by_name.setdefault(_base(entry[0]), []).append(entry)

    def closure(start):
        seen, stack = set(), [name for entry in start for name in needed(entry)]
        while stack:
            name = stack.pop()
            if name in seen or name not in by_name:
                continue
            seen.add(name)
            stack.extend(n for entry in by_name[name] for n in needed(entry))
        return seen

    candidates = closure([e for e in removed if e[2] != "SYMLINK"])
    roots = [e for e in kept if e[2] != "SYMLINK" and _base(e[0]) not in candidates]
    orphans = candidates - closure(roots)
    keep = {id(e) for e in _without_dangling_symlinks([e for e in kept if _base(e[0]) not in orphans
                                                        or e[2] == "SYMLINK"])}
    return [e for e in binaries if id(e) in keep], [e for e in datas if id(e) in keep]


def _without_dangling_symlinks(toc):
    """PyInstaller 6 records symlinks as (dest, target relative to dest's folder, "SYMLINK")."""
    import posixpath

    present = {entry[0].replace("\\", "/") for entry in toc if entry[2] != "SYMLINK"}
    result = []
    for entry in toc:
        if entry[2] == "SYMLINK":
            dest = entry[0].replace("\\", "/")
            target = posixpath.normpath(posixpath.join(posixpath.dirname(dest), entry[1].replace("\\", "/")))
            if target not in present:
                continue
        result.append(entry)
    return result


def _base(dest: str) -> str:
    return dest.replace("\\", "/").rsplit("/", 1)[-1]


_linked_cache: dict[str, list[str]] = {}


def _linked_names(entry) -> list[str]:
    dest, src, typecode = entry[0], entry[1], entry[2]
    if typecode == "SYMLINK":  # a symlink "links against" the file it points to
        return [_base(src)]
    if typecode not in ("BINARY", "EXTENSION"):
        return []
    if src not in _linked_cache:
        try:
            from PyInstaller.depend import bindepend

            _linked_cache[src] = sorted({name.rsplit("/", 1)[-1] for name, _ in bindepend.get_imports(src)})
        except Exception:  # not a binary PyInstaller can read (data file, script): links nothing
            _linked_cache[src] = []
    return _linked_cache[src]


# --- after the build: strip symbols --------------------------------------------------------------------
# PyInstaller's own strip=True strips every library, and that breaks the OpenBLAS copies auditwheel
# patched into numpy.libs/scipy.libs ("ELF load command address/offset not page-aligned"). Those ship
# stripped anyway; what carries symbol tables is CPython's own build (libpython, lib-dynload) and some
# wheels' libraries, so only files that still have a symbol table or debug info are stripped.
NEVER_STRIP = re.compile(r"(^|/)[^/]+\.libs/")


def _has_symbols(path) -> bool:
    import subprocess

    out = subprocess.run(["readelf", "-S", "-W", str(path)], capture_output=True, text=True)
    return out.returncode == 0 and (" .symtab" in out.stdout or " .debug_" in out.stdout)


def strip_bundle(bundle) -> tuple[int, int]:
    """Strip symbol tables from the bundle's ELF libraries (Linux); returns (files stripped, bytes saved)."""
    import shutil
    import subprocess
    from pathlib import Path

    if not shutil.which("strip") or not shutil.which("readelf"):
        return 0, 0
    bundle = Path(bundle)
    stripped = saved = 0
    for path in sorted(bundle.rglob("*")):
        rel = path.relative_to(bundle).as_posix()
        if path.is_symlink() or not path.is_file() or NEVER_STRIP.search(rel):
            continue
        if not (path.suffix == ".so" or ".so." in path.name):
            continue
        if not _has_symbols(path):
            continue
        before = path.stat().st_size
        if subprocess.run(["strip", "--strip-unneeded", str(path)], capture_output=True).returncode == 0:
            stripped += 1
            saved += before - path.stat().st_size
    return stripped, saved


if __name__ == "__main__":  # packaging/build.sh: python packaging/trim.py strip BUNDLE_DIR
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "strip":
        n, saved = strip_bundle(sys.argv[2])
        print(f"strip: {n} libraries, {saved / 1048576:.1f} MB saved")
    else:
        raise SystemExit("usage: trim.py strip BUNDLE_DIR")
