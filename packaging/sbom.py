"""Write a CycloneDX 1.5 SBOM of the bundle and collect the licence texts a reviewer asks for.

Input is the manifest the spec file writes (every module, binary and data file PyInstaller collected, with
the source path it came from). Each source path is attributed to

* the installed Python distribution whose RECORD lists it (``pkg:pypi/...``), and, for native libraries a
  wheel vendors (OpenBLAS, Qt, ICU, gfortran, ...), a component of its own naming the wheel it came in;
* CPython itself (standard library, ``libpython``) for files under ``sys.base_prefix``;
* the Debian package that owns it (``dpkg -S``; ``pkg:deb/...``) for system libraries PyInstaller copied;
* otherwise a component marked ``NOASSERTION`` (listed, never silently dropped).

Usage::

    python packaging/sbom.py --manifest build/manifest.json --out-dir dist/workbench [--version 0.1.0]

writes ``sbom.cdx.json`` and ``LICENSES/`` into ``--out-dir``. Only the standard library is used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata as md
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

COMMON_LICENSES = Path("/usr/share/common-licenses")  # Debian/Ubuntu: full texts of the common licences
LICENSE_FILE = re.compile(r"(^|/)(licen[cs]e|copying|notice|authors|copyright)[^/]*$", re.I)

# Native libraries wheels vendor, with the licence of the library itself (not of the wheel around it).
NATIVE_LICENSES = [
    (re.compile(r"openblas", re.I), "OpenBLAS", "BSD-3-Clause"),
    (re.compile(r"libgfortran"), "libgfortran", "GPL-3.0-or-later WITH GCC-exception-3.1"),
    (re.compile(r"libquadmath"), "libquadmath", "LGPL-2.1-or-later"),
    (re.compile(r"libgcc_s"), "libgcc", "GPL-3.0-or-later WITH GCC-exception-3.1"),
    (re.compile(r"libstdc\+\+"), "libstdc++", "GPL-3.0-or-later WITH GCC-exception-3.1"),
    (re.compile(r"libicu"), "ICU", "Unicode-3.0"),
    (re.compile(r"(libQt6|Qt/plugins/)"), "Qt", "LGPL-3.0-only"),
]
CLASSIFIER_SPDX = {
    "BSD License": "BSD-3-Clause",
    "MIT License": "MIT",
    "Apache Software License": "Apache-2.0",
    "Python Software Foundation License": "PSF-2.0",
    "ISC License (ISCL)": "ISC",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
}
LICENSE_TEXT_FOR_SPDX = {
    "Apache-2.0": "Apache-2.0",
    "LGPL-3.0": "LGPL-3",
    "LGPL-2.1": "LGPL-2.1",
    "GPL-3.0": "GPL-3",
    "GPL-2.0": "GPL-2",
    "MPL-2.0": "MPL-2.0",
    "CC0-1.0": "CC0-1.0",
}


@dataclass
class Component:
    key: str
    name: str
    version: str
    kind: str  # "pypi", "native", "cpython", "deb", "app", "unknown", "bootloader"
    licence: str = "NOASSERTION"
    purl: str | None = None
    files: list[str] = field(default_factory=list)
    licence_files: list[Path] = field(default_factory=list)
    supplier_package: str | None = None  # for natives: the wheel that vendored it

    def to_cyclonedx(self) -> dict:
        comp = {
            "type": "application" if self.kind in ("app", "bootloader") else "library",
            "bom-ref": self.key,
            "name": self.name,
            "version": self.version,
        }
        if self.purl:
            comp["purl"] = self.purl
        comp["licenses"] = [_licence_entry(self.licence)]
        props = [
            {"name": "workbench:source", "value": self.kind},
            {"name": "workbench:bundled_files", "value": str(len(self.files))},
        ]
        if self.supplier_package:
            props.append({"name": "workbench:vendored_by", "value": self.supplier_package})
        if self.kind in ("native", "deb", "unknown", "cpython"):
            for path in sorted(self.files)[:50]:
                props.append({"name": "workbench:file", "value": path})
        comp["properties"] = props
        return comp


def _licence_entry(expr: str) -> dict:
    if expr == "NOASSERTION" or not expr:
        return {"license": {"name": "NOASSERTION"}}
    if re.fullmatch(r"[A-Za-z0-9.+\-]+(\s+(AND|OR|WITH)\s+[A-Za-z0-9.+\-]+)*", expr) and " " in expr:
        return {"expression": expr}
    if re.fullmatch(r"[A-Za-z0-9.+\-]+", expr):
        return {"license": {"id": expr}}
    return {"license": {"name": expr}}


def distribution_licence(dist: md.Distribution) -> str:
    """SPDX expression from PEP 639 metadata, else a short License field, else the trove classifier."""
    meta = dist.metadata
    expr = meta.get("License-Expression")
    if expr:
        return expr.strip()
    text = (meta.get("License") or "").strip()
    if text and "\n" not in text and len(text) <= 80:
        return {"2-clause BSD": "BSD-2-Clause"}.get(text, text)
    for classifier in meta.get_all("Classifier") or []:
        if classifier.startswith("License ::"):
            name = classifier.split("::")[-1].strip()
            return CLASSIFIER_SPDX.get(name, name)
    return "NOASSERTION"


def record_index() -> dict[str, md.Distribution]:
    """Absolute, resolved path of every installed file -> the distribution whose RECORD lists it."""
    index: dict[str, md.Distribution] = {}
    for dist in md.distributions():
        for f in dist.files or ():
            try:
                index[str(Path(dist.locate_file(f)).resolve())] = dist
            except OSError:
                continue
    return index


def _dpkg_owner(path: str) -> tuple[str, str] | None:
    """(package, version) of the Debian package owning ``path``, or None (not Debian, or not packaged)."""
    if not shutil.which("dpkg-query"):
        return None
    candidates = [path, os.path.realpath(path)]
    for candidate in dict.fromkeys(candidates):
        # usrmerge: files live in /usr/lib but dpkg may have registered /lib (and the other way round)
        variants = {candidate, re.sub(r"^/usr/lib/", "/lib/", candidate), re.sub(r"^/lib/", "/usr/lib/", candidate)}
        for variant in variants:
            out = subprocess.run(["dpkg-query", "-S", variant], capture_output=True, text=True)
            if out.returncode == 0 and out.stdout:
                package = out.stdout.split(":", 1)[0].split(",")[0].strip()
                ver = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True)
                return package, ver.stdout.strip() or "unknown"
    return None


def _deb_licence(package: str) -> tuple[str, list[Path]]:
    """Licence summary from the machine-readable copyright file, and the file itself."""
    copyright_file = Path("/usr/share/doc") / package.split(":")[0] / "copyright"
    if not copyright_file.exists():
        return "NOASSERTION", []
    text = copyright_file.read_text(errors="replace")
    names = [m.strip() for m in re.findall(r"^License:\s*(.+)$", text, flags=re.M)]
    names = list(dict.fromkeys(n for n in names if n))
    return (" AND ".join(f"({n})" if " " in n else n for n in names[:6]) if names else "see copyright file"), [
        copyright_file
    ]


def _native_identity(dest: str, dist_name: str, dist_version: str) -> tuple[str, str] | None:
    for pattern, name, licence in NATIVE_LICENSES:
        if pattern.search(dest):
            return name, licence
    return None


def build_components(manifest: dict, app_version: str) -> list[Component]:
    """Attribute every file in the manifest to a component (see module docstring)."""
    index = record_index()
    base_prefix = str(Path(sys.base_prefix).resolve())
    root = str(Path(manifest.get("root", ".")).resolve())
    components: dict[str, Component] = {}

    def add(comp: Component, dest: str) -> None:
        existing = components.setdefault(comp.key, comp)
        existing.files.append(dest)

    entries = [(name, src, "PYMODULE") for name, src in manifest.get("pure", [])]
    entries += [tuple(e) for e in manifest.get("binaries", [])] + [tuple(e) for e in manifest.get("datas", [])]
    for dest, src, typecode in entries:
        if typecode == "SYMLINK" or not src:
            continue
        real = str(Path(src).resolve())
        dist = index.get(real)
        if dist is not None:
            name, version = dist.metadata["Name"], dist.version
            native = _native_identity(dest, name, version) if typecode in ("BINARY", "EXTENSION") else None
            if native:
                lib_name, licence = native
                lib_version = _native_version(lib_name, dest, name, version)
                key = f"native/{lib_name}@{lib_version}/{name}"
                add(
                    Component(key, lib_name, lib_version, "native", licence, supplier_package=f"{name} {version}"), dest
                )
            else:
                key = f"pkg:pypi/{name.lower()}@{version}"
                add(Component(key, name, version, "pypi", distribution_licence(dist), purl=key), dest)
        elif (
            real.startswith(root + os.sep) and dest != "base_library.zip"
        ):  # after RECORD: a venv may live in the checkout
            add(Component("workbench", "workbench", app_version, "app", "Proprietary"), dest)
        elif (
            real.startswith(base_prefix + os.sep)
            or os.path.basename(real).startswith("libpython")
            or dest == "base_library.zip"
        ):  # PyInstaller's zip of the stdlib modules needed at boot
            version = ".".join(map(str, sys.version_info[:3]))
            add(Component(f"cpython@{version}", "CPython", version, "cpython", "PSF-2.0"), dest)
        else:
            owner = _dpkg_owner(real) if typecode in ("BINARY", "EXTENSION") else None
            if owner:
                package, version = owner
                arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
                purl = f"pkg:deb/debian/{package.split(':')[0]}@{version}?arch={arch or 'amd64'}"
                licence, files = _deb_licence(package)
                add(
                    Component(purl, package.split(":")[0], version, "deb", licence, purl=purl, licence_files=files),
                    dest,
                )
            else:
                add(Component(f"unknown/{os.path.basename(real)}", os.path.basename(real), "unknown", "unknown"), dest)
    try:
        pyi = md.distribution("pyinstaller")
        add(
            Component(
                f"pyinstaller-bootloader@{pyi.version}",
                "PyInstaller bootloader",
                pyi.version,
                "bootloader",
                "GPL-2.0-or-later WITH PyInstaller-exception-2.0",
            ),
            "workbench (executable)",
        )
    except md.PackageNotFoundError:
        pass
    return sorted(components.values(), key=lambda c: (c.kind != "app", c.kind, c.name.lower()))


def _native_version(lib_name: str, dest: str, dist_name: str, dist_version: str) -> str:
    if lib_name == "ICU":
        m = re.search(r"\.so\.(\d+)", dest) or re.search(r"icu\w*?(\d+)", dest)
        return m.group(1) if m else dist_version
    if lib_name == "Qt":
        return dist_version  # PySide6 X.Y.Z bundles Qt X.Y.Z
    if lib_name == "OpenBLAS":
        try:
            config = Path(md.distribution(dist_name).locate_file(f"{dist_name.lower()}/__config__.py")).read_text()
            m = re.search(r"OpenBLAS (\d+\.\d+\.\d+)", config)
            if m:
                return m.group(1)
        except (OSError, md.PackageNotFoundError):
            pass
    return f"bundled with {dist_name} {dist_version}"


def collect_licence_texts(components: list[Component], out_dir: Path) -> int:
    """Copy every component's licence files into ``out_dir``/<component>/; returns the number of files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    copied = 0
    done: set[str] = set()
    for comp in components:
        folder_name = re.sub(r"[^A-Za-z0-9._+-]+", "_", f"{comp.name}-{comp.version}")
        if folder_name in done:
            continue
        sources = list(comp.licence_files)
        if comp.kind == "pypi":
            try:
                dist = md.distribution(comp.name)
                sources += [
                    Path(dist.locate_file(f))
                    for f in dist.files or ()
                    if LICENSE_FILE.search(str(f)) and ".dist-info" in str(f)
                ]
            except md.PackageNotFoundError:
                pass
        elif comp.kind == "cpython":
            sources.append(
                Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "LICENSE.txt"
            )
        elif comp.kind == "bootloader":
            try:
                dist = md.distribution("pyinstaller")
                sources += [Path(dist.locate_file(f)) for f in dist.files or () if str(f).endswith("COPYING.txt")]
            except md.PackageNotFoundError:
                pass
        if not [s for s in sources if s.exists()]:
            sources += _common_licence_texts(comp.licence)
        existing = [s for s in dict.fromkeys(sources) if s.exists()]
        if not existing:
            continue
        target = out_dir / folder_name
        target.mkdir(exist_ok=True)
        for src in existing:
            dest = target / src.name
            n = 1
            while dest.exists():
                n += 1
                dest = target / f"{src.stem}-{n}{src.suffix}"
            shutil.copyfile(src, dest)
            copied += 1
        done.add(folder_name)
    return copied


def _common_licence_texts(expr: str) -> list[Path]:
    """Full licence texts shipped by the OS for the SPDX ids in ``expr`` (e.g. LGPL-3.0-only -> LGPL-3)."""
    found = []
    for spdx_prefix, name in LICENSE_TEXT_FOR_SPDX.items():
        if spdx_prefix in expr and (COMMON_LICENSES / name).exists():
            found.append(COMMON_LICENSES / name)
    return found


def cyclonedx(components: list[Component], app_version: str, commit: str, build_date: str) -> dict:
    app = next((c for c in components if c.kind == "app"), None)
    others = [c for c in components if c.kind != "app"]
    meta_component = {
        "type": "application",
        "bom-ref": "workbench",
        "name": "workbench",
        "version": app_version,
        "licenses": [_licence_entry("Proprietary")],
        "properties": [{"name": "workbench:git_commit", "value": commit}],
    }
    if app is not None:
        meta_component["properties"].append({"name": "workbench:bundled_files", "value": str(len(app.files))})
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": build_date,
            "tools": {
                "components": [{"type": "application", "name": "workbench packaging/sbom.py", "version": app_version}]
            },
            "component": meta_component,
        },
        "components": [c.to_cyclonedx() for c in others],
        "dependencies": [{"ref": "workbench", "dependsOn": [c.key for c in others]}],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", required=True, type=Path)
    parser.add_argument("--out-dir", required=True, type=Path)
    parser.add_argument("--version", default="0.0.0")
    parser.add_argument("--commit", default="unknown")
    parser.add_argument("--build-date", default=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    args = parser.parse_args(argv)
    manifest = json.loads(args.manifest.read_text())
    components = build_components(manifest, args.version)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    bom = cyclonedx(components, args.version, args.commit, args.build_date)
    (args.out_dir / "sbom.cdx.json").write_text(json.dumps(bom, indent=1) + "\n")
    n_texts = collect_licence_texts(components, args.out_dir / "LICENSES")
    unknown = [c.name for c in components if c.licence == "NOASSERTION"]
    print(
        f"sbom: {len(components)} components, {n_texts} licence files"
        + (f"; no licence found for: {', '.join(unknown)}" if unknown else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
