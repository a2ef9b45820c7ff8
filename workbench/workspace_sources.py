"""A workspace's sources on open: re-fingerprint every file (SHA-256, size), find moved files by their
fingerprint, relocate a source, accept a changed one (logged), and open them in a catalog."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from workbench.errors import SourceError, WorkbenchError
from workbench.fingerprint import CancelFn, ProgressFn, sha256_file
from workbench.workspace_model import (
    WorkspaceError,
    FileRecord,
    SourceRecord,
    Workspace,
)


# --- sources: re-fingerprint, relocate -------------------------------------------------------------------

OK, CHANGED, MOVED, MISSING = "ok", "changed", "moved", "missing"


@dataclass(frozen=True)
class SourceCheck:
    """The state of one recorded file (or of a folder source's file set) when re-checked."""

    source: str
    path: str  # where the workspace expects the file
    status: str  # ok | changed | moved | missing
    message: str
    found_path: str | None = None  # for "moved": where a file with the same fingerprint was found
    sha256: str | None = None  # what the file hashes to now (None when missing)

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "path": self.path,
            "status": self.status,
            "message": self.message,
            "found_path": self.found_path,
            "sha256": self.sha256,
        }


def verify_sources(
    ws: Workspace, progress: ProgressFn | None = None, cancel: CancelFn = None, *, sources: Iterable[str] | None = None
) -> list[SourceCheck]:
    """Re-fingerprint every recorded file and report changed, moved or missing ones.

    Parameters
    ----------
    progress : ``progress(done_bytes, total_bytes)`` over all files (run this on a worker thread).
    cancel : ``threading.Event`` or ``() -> bool``.
    sources : only these source names (default all).

    Returns
    -------
    list[SourceCheck] : one per recorded file, plus one per new file in a folder/glob source.
    """
    wanted = set(sources) if sources is not None else None
    records = [s for s in ws.sources if wanted is None or s.name in wanted]
    base = ws.path.parent if ws.path else None
    total = sum(_size_or_zero(f.path) for s in records for f in s.files)
    done = [0]

    def sub_progress(d, _t, start):
        if progress is not None:
            progress(start + d, total)

    checks: list[SourceCheck] = []
    for record in records:
        for f in record.files:
            checks.append(
                _check_file(
                    record, f, base, _offset_progress(sub_progress, done[0]) if progress else None, cancel, done
                )
            )
        checks.extend(_new_files(record))
    if progress is not None:
        progress(total, total)
    return checks


def _offset_progress(sub_progress: Callable[[int, int, int], None], start: int) -> Callable[[int, int], None]:
    """One file's (done, total) as progress through all of them, from ``start`` bytes on."""
    return lambda done, total: sub_progress(done, total, start)


def _size_or_zero(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _check_file(record: SourceRecord, f: FileRecord, base: Path | None, progress, cancel, done) -> SourceCheck:
    name = Path(f.path).name
    if os.path.isfile(f.path):
        digest = sha256_file(f.path, progress, cancel)
        done[0] += _size_or_zero(f.path)
        if digest == f.sha256:
            return SourceCheck(record.name, f.path, OK, f"{name} is unchanged", sha256=digest)
        return SourceCheck(
            record.name,
            f.path,
            CHANGED,
            f"{name} changed since this workspace was saved (SHA-256 {digest[:12]}…, recorded {f.sha256[:12]}…)",
            sha256=digest,
        )
    candidates = [f.original_path]
    if base is not None:
        candidates += [str(base / name), str(base / "data" / name)]
    seen = {os.path.normpath(f.path)}
    for cand in candidates:
        if not cand or os.path.normpath(cand) in seen or not os.path.isfile(cand):
            continue
        seen.add(os.path.normpath(cand))
        if os.stat(cand).st_size != f.size:
            continue
        digest = sha256_file(cand, None, cancel)
        if digest == f.sha256:
            return SourceCheck(
                record.name,
                f.path,
                MOVED,
                f"{name} moved: the same file was found at {cand}",
                found_path=cand,
                sha256=digest,
            )
    return SourceCheck(record.name, f.path, MISSING, f"{name} is missing (expected at {f.path})")


def _new_files(record: SourceRecord) -> list[SourceCheck]:
    """Files that appeared in a folder or glob source since it was recorded (they would change results)."""
    loc = record.location
    if not loc or not (os.path.isdir(loc) or any(ch in loc for ch in "*?[")):
        return []
    from workbench.catalog import expand

    try:
        _, found, _ = expand(loc)
    except SourceError:
        return []
    known = {os.path.normpath(f.path) for f in record.files}
    return [
        SourceCheck(
            record.name,
            str(Path(p).resolve()),
            CHANGED,
            f"{Path(p).name} appeared in {Path(loc).name} since this workspace was saved",
        )
        for p in found
        if os.path.normpath(str(Path(p).resolve())) not in known
    ]


def apply_moves(ws: Workspace, checks: Iterable[SourceCheck]) -> int:
    """Point the workspace at the new locations of "moved" files; returns how many were updated."""
    n = 0
    for c in checks:
        if c.status == MOVED and c.found_path:
            for f in ws.source(c.source).files:
                if f.path == c.path:
                    f.path = str(Path(c.found_path).resolve())
                    n += 1
    return n


def relocate(
    ws: Workspace,
    source_name: str,
    new_location: str | os.PathLike,
    progress: ProgressFn | None = None,
    cancel: CancelFn = None,
    *,
    audit=None,
) -> list[SourceCheck]:
    """Point a source at a new file or folder and check the fingerprints there.

    A one-file source takes a file; a multi-file source takes the folder that now holds its files (their
    paths relative to the old common folder are kept). Fingerprints are *not* updated: a relocated file that
    differs is reported "changed" (call :func:`accept_current` to adopt the new contents deliberately).

    Raises
    ------
    WorkspaceError when the source is unknown or the new location does not fit it.
    """
    record = ws.source(source_name)
    new = Path(new_location).expanduser().resolve()
    if not new.exists():
        raise WorkspaceError(f"{new}: no such file or folder")
    old_paths = [f.path for f in record.files]
    if len(record.files) == 1 and new.is_file():
        mapping = {old_paths[0]: str(new)}
        record.location = str(new)
    elif new.is_dir():
        common = os.path.commonpath(old_paths) if len(old_paths) > 1 else os.path.dirname(old_paths[0])
        mapping = {p: str(new / os.path.relpath(p, common)) for p in old_paths}
        if len(old_paths) == 1:
            mapping = {old_paths[0]: str(new / Path(old_paths[0]).name)}
        if record.location and os.path.normpath(record.location) == os.path.normpath(common):
            record.location = str(new)
    else:
        raise WorkspaceError(f"{source_name} has {len(old_paths)} files: choose the folder that now holds them")
    for f in record.files:
        f.path = mapping[f.path]
    if audit is not None:
        audit.append("source_relocated", source=source_name, location=str(new))
    return verify_sources(ws, progress, cancel, sources=[source_name])


def accept_current(
    ws: Workspace, source_name: str, checks: Iterable[SourceCheck] | None = None, *, audit=None
) -> SourceRecord:
    """Adopt the files' current fingerprints (a deliberate decision: it is written to the audit log)."""
    record = ws.source(source_name)
    checks = list(checks) if checks is not None else verify_sources(ws, sources=[source_name])
    by_path = {c.path: c for c in checks if c.source == source_name}
    for f in record.files:
        c = by_path.get(f.path)
        if c is None or c.status == MISSING:
            raise WorkspaceError(f"{Path(f.path).name} is missing: relocate it before accepting its fingerprint")
        old = f.sha256
        f.sha256 = c.sha256 or sha256_file(f.path)
        f.size = _size_or_zero(f.path)
        if audit is not None and old != f.sha256:
            audit.append(
                "source_fingerprint_accepted", source=source_name, path=f.path, old_sha256=old, sha256=f.sha256
            )
    return record


def sources_summary(checks: Iterable[SourceCheck]) -> str:
    """One line per problem (or "All sources unchanged"), for a banner or the CLI."""
    problems = [c.message for c in checks if c.status != OK]
    return "\n".join(problems) if problems else "All sources unchanged"


def open_sources(ws: Workspace, catalog) -> tuple[list, list[tuple[str, str]]]:
    """Open every recorded source in a :class:`workbench.catalog.Catalog` under its recorded name.

    Returns (opened sources, [(name, error message)]): a missing extract does not stop the others.
    """
    opened, failed = [], []
    for record in ws.sources:
        paths = [f.path for f in record.files]
        try:
            opened.append(catalog.open(paths if len(paths) != 1 else paths[0], name=record.name))
        except WorkbenchError as exc:
            failed.append((record.name, str(exc)))
    return opened, failed


def new_source_record(source, progress: ProgressFn | None = None, cancel: CancelFn = None) -> SourceRecord:
    """Alias of :meth:`SourceRecord.from_source` for callers that prefer a function."""
    return SourceRecord.from_source(source, progress, cancel)
