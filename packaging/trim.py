"""What the bundle leaves out, as data the spec file and the tests share.

Every rule here removes something Workbench never uses at run time. Each group says why, so a reviewer
can tell a deliberate exclusion from an accident. Patterns are matched against the destination path
inside the bundle (forward slashes) with :func:`re.search`.
"""

from __future__ import annotations

import re
from pathlib import Path

# Python modules never imported at run time (PyInstaller follows every import it can see, including
# optional ones inside try/except of our dependencies).
EXCLUDED_MODULES = [
    # GUI toolkits and notebooks our dependencies can optionally use
    "tkinter",
    "_tkinter",
    "PyQt5",
    "PyQt6",
    "PySide2",
    "IPython",
    "ipykernel",
    "jupyter_client",
    "matplotlib",
    "notebook",
    # developer tools that end up importable through optional paths
    "pytest",
    "_pytest",
    "pytestqt",
    "pydoc_data",
    "lib2to3",
    "setuptools",
    "pkg_resources",
    "pip",
    "PyInstaller",
    "readline",
    # pyarrow (74 MB): the app's run-time paths fetch through DuckDB's NumPy path (workbench/result.py) and
    # write Parquet with DuckDB's COPY; pyarrow stays a dependency for tests and optional lazy imports
    # only. pandas and DuckDB import it optionally (try/except). tests/workbench/test_no_pyarrow.py proves
    # the self-test and the key engine paths run with pyarrow unimportable.
    "pyarrow",
    # _hashlib is OpenSSL's hashlib back-end: without it hashlib uses CPython's own sha256/md5/sha3/blake2
    # (same digests). `ssl`/`_ssl` stay in the bundle: anyio, the event loop of the MCP SDK behind
    # `workbench mcp`, imports ssl unconditionally (anyio/_core/_sockets.py). Nothing connects: the server
    # speaks over stdio and the network guard refuses every connection, TLS or not.
    "_hashlib",
    # test suites shipped inside packages
    "pandas.tests",
    "numpy.tests",
    "scipy.tests",
    "statsmodels.tests",
    "pyqtgraph.examples",
    "pyqtgraph.opengl",
    "pyqtgraph.jupyter",
    "pyqtgraph.canvas",
    "pyqtgraph.flowchart",
    "sqlglot.executor",
    # Qt modules we do not use (the PySide6 hooks then skip their libraries and plugins)
    "PySide6.QtNetwork",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuickWidgets",
    "PySide6.QtSql",
    "PySide6.QtDesigner",
    "PySide6.QtHelp",
    "PySide6.QtUiTools",
    "PySide6.QtXml",
    "PySide6.QtConcurrent",
    "PySide6.QtDBus",
    "PySide6.QtStateMachine",
    "PySide6.QtPdf",
    "PySide6.QtPdfWidgets",
    "PySide6.QtQuickControls2",
    "PySide6.QtQuick3D",
    "PySide6.QtSpatialAudio",
    "PySide6.QtMultimedia",
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebSockets",
    "PySide6.QtNetworkAuth",
    # pyqtgraph's OpenGL views and test helpers: Workbench draws with QPainter and never enables useOpenGL.
    # pyqtgraph copes with QtOpenGLWidgets/QtTest missing; QtOpenGL (an 8.5 MB binding) it imports
    # unconditionally but uses only inside an OpenGL viewport, so packaging/rthook_no_opengl.py stands in
    "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets",
    "PySide6.QtTest",
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
    r"PySide6/Qt/plugins/platformthemes/libqgtk3\.so",
    r"PySide6/Qt/plugins/printsupport/",
    # Qt libraries only those plugins need
    r"libQt6(EglFSDeviceIntegration|EglFsKmsSupport|Pdf|VirtualKeyboard|Network|Qml|Quick|Sql)\w*\.so",
    # pyarrow and OpenSSL (see EXCLUDED_MODULES): anything a hook still collects
    r"(^|/)pyarrow(\.libs)?/",
    r"(^|/)libarrow\w*\.so",
    r"(^|/)libparquet\.so",
    # headers, static libs, type stubs, Cython sources: build-time only
    r"\.(h|hpp|pxd|pyx|pxi|pyi|a|lib|cmake)$",
    r"/include/",
    r"/cmake/",
    # test folders and sample data of dependencies
    r"(^|/)tests?/",
    r"pyqtgraph/examples/",
    r"scipy/misc/.*\.dat$",
    r"scipy/datasets/",
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
    keep = {
        id(e) for e in _without_dangling_symlinks([e for e in kept if _base(e[0]) not in orphans or e[2] == "SYMLINK"])
    }
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
    src, typecode = entry[1], entry[2]
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


# --- ICU data: keep what Qt asks ICU for, in English ----------------------------------------------------
# Qt Core links ICU for exactly four things (the ICU functions libQt6Core imports): converters for legacy
# text encodings (ucnv_*), locale-aware case mapping (u_strToUpper/Lower), time-zone ids and display names
# (ucal_*) and collation (ucol_*). libicudata (30 MB) carries CLDR data for ~800 locales plus break-iterator
# dictionaries, transliterators and number-spellout rules Qt never calls. The UI is English only, so the
# slimmed data keeps every converter, every normalisation/property file, the time-zone database, the
# collation rules of every language, and the root + English locale data for the rest (zone display names,
# calendars); any other locale falls back to root, which is what ICU does for a locale it lacks. Qt's own
# QLocale data (month names, number formats) is built into Qt and is not affected.
ICU_DROPPED_TREES = ("brkitr/", "translit/", "rbnf/")  # break iteration, transliteration, spell-out: unused by Qt
_ICU_LOCALE_ITEM = re.compile(r"^(?:[a-z]+/)?([a-z]{2,3}(?:_[A-Za-z0-9]*)*|root)\.res$")


def icu_item_kept(name: str) -> bool:
    """True when the ICU data item ``name`` (e.g. ``coll/de.res``, ``ibm-1252_P100-2000.cnv``) is kept."""
    if name.startswith(ICU_DROPPED_TREES):
        return False
    match = _ICU_LOCALE_ITEM.match(name)
    if (
        not match or match.group(1) == "res_index"
    ):  # res_index: each tree's list of installed locales  # converters, normalisation, properties, time zones, supplemental data, pools, indexes
        return True
    locale = match.group(1)
    # Collation tailorings stay for every language: Qt's file dialogs sort names with QCollator (2 MB).
    return name.startswith("coll/") or locale == "root" or locale == "en" or locale.startswith("en_")


def filter_icu_common_data(blob: bytes, keep=icu_item_kept) -> bytes:
    """Rewrite an ICU common data package (``icudt*.dat`` format) with only the items ``keep(name)`` accepts.

    Layout (ICU's udata.cpp): a data header (``headerSize`` bytes), then a table of contents — uint32 count,
    count pairs of uint32 (name offset, data offset) relative to the TOC start — the NUL-terminated item
    names (sorted: ICU binary-searches them) and the items, each 16-byte aligned. Kept items are copied
    byte for byte, in their original (sorted) order.
    """
    import struct

    header_size = struct.unpack_from("<H", blob, 0)[0]
    if blob[2:4] != b"\xda\x27" or blob[12:16] != b"CmnD":
        raise ValueError("not an ICU common data package")
    endian = ">" if blob[8] else "<"
    toc = blob[header_size:]
    count = struct.unpack_from(endian + "I", toc, 0)[0]
    entries = [struct.unpack_from(endian + "II", toc, 4 + 8 * i) for i in range(count)]
    items = []
    for i, (name_offset, data_offset) in enumerate(entries):
        name = toc[name_offset : toc.index(b"\0", name_offset)].decode("ascii")
        end = entries[i + 1][1] if i + 1 < count else len(toc)
        short = name.split("/", 1)[1] if "/" in name else name  # names carry the package prefix, icudt73l/
        if keep(short):
            items.append((name.encode("ascii") + b"\0", toc[data_offset:end]))
    names_start = 4 + 8 * len(items)
    names = b"".join(n for n, _ in items)
    data_start = names_start + len(names)
    data_start += -(header_size + data_start) % 16
    out_toc = bytearray(struct.pack(endian + "I", len(items)))
    name_pos, data_pos, data = names_start, data_start, bytearray()
    for name, item in items:
        out_toc += struct.pack(endian + "II", name_pos, data_pos)
        name_pos += len(name)
        item = item + b"\0" * (-len(item) % 16)
        data += item
        data_pos += len(item)
    out_toc += names
    out_toc += b"\0" * (data_start - len(out_toc))
    return bytes(blob[:header_size]) + bytes(out_toc) + bytes(data)


def _elf_symbol_bytes(path, prefix: bytes) -> tuple[bytes, bytes]:
    """(name, contents) of the first dynamic data symbol whose name starts with ``prefix`` in a 64-bit LE ELF."""
    import struct

    raw = open(path, "rb").read()
    if raw[:4] != b"\x7fELF" or raw[4] != 2 or raw[5] != 1:
        raise ValueError(f"{path}: not a 64-bit little-endian ELF file")
    (shoff,) = struct.unpack_from("<Q", raw, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", raw, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", raw, shoff + i * shentsize) for i in range(shnum)]
    for sh in sections:
        if sh[1] != 11:  # SHT_DYNSYM
            continue
        strtab = sections[sh[6]]
        for off in range(sh[4], sh[4] + sh[5], sh[9]):
            st_name, _info, _other, shndx, value, size = struct.unpack_from("<IBBHQQ", raw, off)
            name = raw[strtab[4] + st_name : raw.index(b"\0", strtab[4] + st_name)]
            if name.startswith(prefix) and size:
                home = sections[shndx]
                start = home[4] + value - home[3]
                return name, raw[start : start + size]
    raise ValueError(f"{path}: no {prefix.decode()}* symbol")


def slim_icu_library(src, out_dir) -> "Path | None":
    """Build a libicudata with :func:`icu_item_kept`'s subset next to ``out_dir``; None without a C compiler.

    The library is nothing but one exported, 16-byte aligned data symbol (``icudt73_dat``), so an assembler
    ``.incbin`` of the filtered package is all it takes; the soname stays the same.
    """
    import os
    import shutil
    import subprocess
    from pathlib import Path

    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return None
    src, out_dir = Path(src), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    symbol, blob = _elf_symbol_bytes(src, b"icudt")
    dat = out_dir / "icudata.dat"
    dat.write_bytes(filter_icu_common_data(blob))
    asm = out_dir / "icudata.S"
    sym = symbol.decode()
    asm.write_text(
        f"\t.section .rodata\n\t.globl {sym}\n\t.type {sym}, @object\n\t.balign 16\n{sym}:\n"
        f'\t.incbin "{dat.name}"\n\t.size {sym}, . - {sym}\n\t.section .note.GNU-stack,"",@progbits\n'
    )
    out = out_dir / src.name
    subprocess.run(
        [cc, "-shared", "-nostdlib", f"-Wl,-soname,{src.name}", "-o", str(out), asm.name],
        cwd=out_dir,
        check=True,
        capture_output=True,
    )
    return out


def use_slim_icu(binaries, work_dir):
    """Swap the collected libicudata for the slimmed one (Linux); returns (binaries, message)."""
    import sys

    if not sys.platform.startswith("linux"):
        return binaries, "ICU data: kept as is (slimming is Linux-only)"
    result = []
    message = "ICU data: no libicudata collected"
    for entry in binaries:
        dest, src, typecode = entry[0], entry[1], entry[2]
        if _base(dest).startswith("libicudata.so") and typecode != "SYMLINK":
            try:
                slim = slim_icu_library(src, work_dir)
            except Exception as exc:  # keep the full data rather than fail the build
                slim, why = None, f"{type(exc).__name__}: {exc}"
            else:
                why = "no C compiler (cc/gcc) found"
            if slim is None:
                message = f"ICU data: kept full {_base(dest)} ({why})"
            else:
                import os

                message = (
                    f"ICU data: {_base(dest)} {os.path.getsize(src) / 1048576:.1f} MB -> "
                    f"{os.path.getsize(slim) / 1048576:.1f} MB (root + English locales)"
                )
                entry = (dest, str(slim), typecode)
        result.append(entry)
    return result, message


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


# --- after the build: libraries listed as needed but never used ---------------------------------------
# pyarrow's libraries are linked without --as-needed, so each names libarrow_substrait.so as a dependency
# although none uses a symbol from it (checked with nm: only _substrait does). The dynamic loader would
# refuse to load them without the file, so the entry is removed from their dynamic section instead.
UNUSED_NEEDED = re.compile(r"^libarrow_substrait\.so(\.\d+)*$")


def _dynamic_needed(raw: bytes):
    """(dynamic section file offset, [(d_tag, d_val)], [names of DT_NEEDED]) of a 64-bit LE ELF, or None."""
    import struct

    if raw[:4] != b"\x7fELF" or raw[4] != 2 or raw[5] != 1:
        return None
    (phoff,) = struct.unpack_from("<Q", raw, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", raw, 0x36)
    headers = [struct.unpack_from("<IIQQQQQQ", raw, phoff + i * phentsize) for i in range(phnum)]
    dynamic = next((h for h in headers if h[0] == 2), None)  # PT_DYNAMIC
    if dynamic is None:
        return None
    entries = []
    for off in range(dynamic[2], dynamic[2] + dynamic[6], 16):
        tag, val = struct.unpack_from("<qQ", raw, off)
        entries.append((tag, val))
        if tag == 0:
            break
    strtab_addr = next(val for tag, val in entries if tag == 5)  # DT_STRTAB, a virtual address
    load = next(h for h in headers if h[0] == 1 and h[3] <= strtab_addr < h[3] + h[5])
    strtab = load[2] + strtab_addr - load[3]
    names = [raw[strtab + val : raw.index(b"\0", strtab + val)].decode() for tag, val in entries if tag == 1]
    return dynamic[2], entries, names


def drop_needed(bundle, unused=UNUSED_NEEDED) -> list[str]:
    """Remove DT_NEEDED entries matching ``unused`` that name a library absent from the bundle (Linux)."""
    import struct
    from pathlib import Path

    bundle = Path(bundle)
    present = {p.name for p in bundle.rglob("*") if p.is_file() or p.is_symlink()}
    changed = []
    for path in sorted(bundle.rglob("*.so*")):
        if path.is_symlink() or not path.is_file():
            continue
        raw = path.read_bytes()
        parsed = _dynamic_needed(raw)
        if parsed is None:
            continue
        offset, entries, names = parsed
        drop = {n for n in names if unused.search(n) and n not in present}
        if not drop:
            continue
        needed = iter(names)
        kept = [(tag, val) for tag, val in entries if tag != 1 or next(needed) not in drop]
        kept += [(0, 0)] * (len(entries) - len(kept))  # DT_NULL padding keeps the section's size
        data = bytearray(raw)
        for i, (tag, val) in enumerate(kept):
            struct.pack_into("<qQ", data, offset + 16 * i, tag, val)
        path.write_bytes(bytes(data))
        changed.append(f"{path.relative_to(bundle).as_posix()} (-{', '.join(sorted(drop))})")
    return changed


# --- after the build: identical copies of the same library ------------------------------------------
def dedupe_libraries(bundle) -> tuple[int, int]:
    """Replace byte-identical copies of a wheel-vendored library (same name in two ``*.libs/`` folders,
    e.g. numpy's and SciPy's libgfortran) with a relative symlink to the first; returns (files, bytes)."""
    import filecmp
    import os
    from pathlib import Path

    bundle = Path(bundle)
    first: dict[str, Path] = {}
    count = saved = 0
    for path in sorted(bundle.rglob("*")):
        if path.is_symlink() or not path.is_file() or not NEVER_STRIP.search(path.relative_to(bundle).as_posix()):
            continue
        original = first.setdefault(path.name, path)
        if original is path or not filecmp.cmp(original, path, shallow=False):
            continue
        size = path.stat().st_size
        path.unlink()
        path.symlink_to(os.path.relpath(original, path.parent))
        count += 1
        saved += size
    return count, saved


if __name__ == "__main__":  # packaging/build.sh: python packaging/trim.py strip BUNDLE_DIR
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "strip":
        n, saved = strip_bundle(sys.argv[2])
        print(f"strip: {n} libraries, {saved / 1048576:.1f} MB saved")
        n, saved = dedupe_libraries(sys.argv[2])
        print(f"dedupe: {n} identical vendored libraries replaced by symlinks, {saved / 1048576:.1f} MB saved")
        for line in drop_needed(sys.argv[2]):
            print(f"unused dependency removed: {line}")
    else:
        raise SystemExit("usage: trim.py strip BUNDLE_DIR")
