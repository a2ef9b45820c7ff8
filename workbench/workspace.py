"""Workspace files (``.wbk``): versioned JSON holding everything needed to reopen and re-check an analysis.

A workspace records its sources with SHA-256 fingerprints, row counts and schemas; saved Explorer views;
anomaly rules and annotations; experiment configurations; notes; and settings (the small-cell k). Paths
are stored relative to the workspace file (with the original absolute path as a hint), so a folder holding
the workspace and its extracts can be moved or zipped as a whole.

* Saving is atomic: the JSON goes to a temp file in the same folder, is fsynced, then ``os.replace``-d over
  the old file, so a crash or a full disk during save leaves the previous file intact.
* ``schema_version`` is bumped on every incompatible change; ``MIGRATIONS[v]`` turns version v into v+1,
  and loading applies them step by step. A file from a newer Workbench is refused and left untouched.
* Autosave goes to a separate recovery file (``write_recovery``); ``find_recovery`` on open tells whether a
  newer unsaved state exists after a crash.
"""

from __future__ import annotations

import copy
import datetime as dt
import errno
import json
import os
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from workbench import safe_json
from workbench.errors import SourceError, WorkbenchError
from workbench.fingerprint import CancelFn, FileFingerprint, ProgressFn, combined_sha256, sha256_file

FORMAT = "workbench-workspace"
SCHEMA_VERSION = 3
SUFFIX = ".wbk"
RECOVERY_SUFFIX = ".recovery"
DEFAULT_K = 10


class WorkspaceError(WorkbenchError):
    """A workspace file cannot be read, understood or written."""


class WorkspaceVersionError(WorkspaceError):
    """The file was written by a newer Workbench (it is left untouched)."""


class WorkspaceSaveError(WorkspaceError):
    """Saving failed; the previous file on disk is unchanged."""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


# --- the elements ----------------------------------------------------------------------------------------

@dataclass
class FileRecord:
    """One data file of a source. ``path`` is absolute in memory; ``original_path`` is where it was when
    fingerprinted (a hint for finding moved files)."""

    path: str
    size: int
    sha256: str
    original_path: str = ""

    def __post_init__(self):
        if not self.original_path:
            self.original_path = self.path


@dataclass
class SourceRecord:
    """An opened extract as recorded in the workspace."""

    name: str
    kind: str
    location: str
    files: list[FileRecord]
    row_count: int | None = None
    columns: list[dict] = field(default_factory=list)  # [{"name", "type", "nullable"}]

    @property
    def sha256(self) -> str:
        """The file's digest for a one-file source, else the digest over the sorted file digests."""
        if len(self.files) == 1:
            return self.files[0].sha256
        return combined_sha256(f.sha256 for f in self.files)

    @classmethod
    def from_source(cls, source, progress: ProgressFn | None = None, cancel: CancelFn = None) -> "SourceRecord":
        """Fingerprint a :class:`workbench.catalog.Source` (streamed; progress over all its files)."""
        from workbench.fingerprint import fingerprint_files

        fps = fingerprint_files(source.files, progress, cancel)
        location = source.location
        if len(source.files) == 1 and not any(ch in location for ch in "*?["):
            location = source.files[0]  # resolved, so it can be made relative
        elif Path(location).exists():
            location = str(Path(location).resolve())
        return cls(
            name=source.name,
            kind=source.kind,
            location=location,
            files=[FileRecord(fp.path, fp.size, fp.sha256) for fp in fps],
            row_count=source.row_count,
            columns=[{"name": c.name, "type": c.type, "nullable": c.nullable} for c in source.columns],
        )


@dataclass
class SavedView:
    """A saved Explorer view (bookmark). ``spec`` is ``MetricSpec.to_dict()`` (filters and range included);
    ``chart`` is free-form chart state (zoom, series shown, log scale...)."""

    name: str
    spec: dict
    chart: dict = field(default_factory=dict)
    description: str = ""
    created: str = field(default_factory=_now)


@dataclass
class WorkspaceSettings:
    """Per-workspace settings. ``suppression_k`` None turns small-cell suppression off."""

    suppression_k: int | None = DEFAULT_K
    mask_pii: bool = True
    suppress_on_screen: bool = False
    extra: dict = field(default_factory=dict)


@dataclass
class Workspace:
    """Everything saved in a ``.wbk`` file. Mutable: the UI edits it and saves it.

    ``path`` (where it was loaded from or saved to) and ``session_id`` are not part of the saved content.
    """

    name: str = "Untitled"
    sources: list[SourceRecord] = field(default_factory=list)
    views: list[SavedView] = field(default_factory=list)
    anomaly_rules: list[dict] = field(default_factory=list)
    annotations: list[dict] = field(default_factory=list)
    experiments: list[dict] = field(default_factory=list)
    # Anomaly / experiment results put in the workspace for the evidence report: {"name", "kind", "recipe",
    # "description", "created"}; the recipe recomputes them (workbench.report_analyses).
    saved_results: list[dict] = field(default_factory=list)
    notes: str = ""
    settings: WorkspaceSettings = field(default_factory=WorkspaceSettings)
    pii: dict = field(default_factory=dict)  # {source: {column: {"kind":..., "masked": bool}}}
    # Each panel's versioned state, as workbench.panel_state writes it: {"explorer": {"version": 1, ...}, ...}
    panels: dict = field(default_factory=dict)
    audit_head: dict | None = None  # {"hash", "count"} of the audit log when last saved
    audit_checkpoint: dict | None = None  # the signed checkpoint of that log (workbench.audit_checkpoint)
    created: str = field(default_factory=_now)
    modified: str = ""
    extra: dict = field(default_factory=dict)  # unknown top-level keys, kept so a save does not drop them
    path: Path | None = field(default=None, compare=False, repr=False)
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12], compare=False, repr=False)

    # -- lookups used by the UI --
    def source(self, name: str) -> SourceRecord:
        for s in self.sources:
            if s.name == name:
                return s
        raise WorkspaceError(f"The workspace has no source named {name!r}")

    def view(self, name: str) -> SavedView:
        for v in self.views:
            if v.name == name:
                return v
        raise WorkspaceError(f"The workspace has no saved view named {name!r}")

    def add_source(self, record: SourceRecord) -> None:
        """Add or replace (by name) a source record."""
        self.sources = [s for s in self.sources if s.name != record.name] + [record]

    def save_view(self, view: SavedView) -> None:
        """Add or replace (by name) a saved view."""
        self.views = [v for v in self.views if v.name != view.name] + [view]

    @property
    def audit_path(self) -> Path | None:
        from workbench.audit import audit_path_for

        return audit_path_for(self.path) if self.path else None

    # -- serialisation --
    def to_dict(self, base_dir: str | os.PathLike | None = None) -> dict:
        """The JSON document (paths relative to ``base_dir`` when given)."""
        def rel(p: str) -> str:
            return _relative(p, base_dir)

        doc = dict(self.extra)
        doc.update({
            "format": FORMAT,
            "schema_version": SCHEMA_VERSION,
            "name": self.name,
            "created": self.created,
            "modified": self.modified,
            "app_version": _app_version(),
            "sources": [
                {
                    "name": s.name,
                    "kind": s.kind,
                    "location": rel(s.location),
                    "row_count": s.row_count,
                    "columns": s.columns,
                    "sha256": s.sha256,
                    "files": [{"path": rel(f.path), "original_path": f.original_path, "size": f.size,
                               "sha256": f.sha256} for f in s.files],
                }
                for s in self.sources
            ],
            "views": [{"name": v.name, "spec": v.spec, "chart": v.chart, "description": v.description,
                       "created": v.created} for v in self.views],
            "anomaly_rules": self.anomaly_rules,
            "annotations": self.annotations,
            "experiments": self.experiments,
            "saved_results": self.saved_results,
            "notes": self.notes,
            "settings": {**self.settings.extra, "suppression_k": self.settings.suppression_k,
                         "mask_pii": self.settings.mask_pii,
                         "suppress_on_screen": self.settings.suppress_on_screen},
            "pii": self.pii,
            "panels": self.panels,
            "audit_head": self.audit_head,
            "audit_key": (self.audit_checkpoint or {}).get("key"),
            "audit_checkpoint": self.audit_checkpoint,
        })
        return doc

    @classmethod
    def from_dict(cls, doc: dict, base_dir: str | os.PathLike | None = None, *, source_name: str = "workspace"
                  ) -> "Workspace":
        """Build from a *current-version* document, checking types (errors name the bad field)."""
        v = _Validator(source_name)

        def absolute(p: str) -> str:
            return _absolute(p, base_dir)

        sources = []
        for i, s in enumerate(v.list(doc, "sources")):
            where = f"sources[{i}]"
            files = [
                FileRecord(
                    path=absolute(v.str(f, "path", f"{where}.files[{j}]")),
                    size=v.int(f, "size", f"{where}.files[{j}]"),
                    sha256=v.sha(f, "sha256", f"{where}.files[{j}]"),
                    original_path=v.str(f, "original_path", f"{where}.files[{j}]", default=""),
                )
                for j, f in enumerate(v.list(s, "files", where))
            ]
            sources.append(SourceRecord(
                name=v.str(s, "name", where),
                kind=v.str(s, "kind", where, default="parquet"),
                location=absolute(v.str(s, "location", where, default=files[0].path if files else "")),
                files=files,
                row_count=v.opt_int(s, "row_count", where),
                columns=[dict(c) for c in v.list(s, "columns", where, default=[])],
            ))
        views = [
            SavedView(
                name=v.str(x, "name", f"views[{i}]"),
                spec=v.dict(x, "spec", f"views[{i}]"),
                chart=v.dict(x, "chart", f"views[{i}]", default={}),
                description=v.str(x, "description", f"views[{i}]", default=""),
                created=v.str(x, "created", f"views[{i}]", default=""),
            )
            for i, x in enumerate(v.list(doc, "views", default=[]))
        ]
        settings_doc = v.dict(doc, "settings", default={})
        k = settings_doc.get("suppression_k", DEFAULT_K)
        if k is not None and (not isinstance(k, int) or isinstance(k, bool) or k < 1):
            raise WorkspaceError(f"{source_name}: settings.suppression_k must be a whole number of at least 1 "
                                 f"or null (found {k!r})")
        settings = WorkspaceSettings(
            suppression_k=k,
            mask_pii=bool(settings_doc.get("mask_pii", True)),
            suppress_on_screen=bool(settings_doc.get("suppress_on_screen", False)),
            extra={key: val for key, val in settings_doc.items()
                   if key not in ("suppression_k", "mask_pii", "suppress_on_screen")},
        )
        audit_head = doc.get("audit_head")
        if audit_head is not None and not (isinstance(audit_head, dict) and "hash" in audit_head):
            raise WorkspaceError(f"{source_name}: audit_head must be an object with a hash")
        checkpoint = doc.get("audit_checkpoint")
        if checkpoint is not None and not isinstance(checkpoint, dict):
            raise WorkspaceError(f"{source_name}: audit_checkpoint must be an object")
        known = {"format", "schema_version", "name", "created", "modified", "app_version", "sources", "views",
                 "anomaly_rules", "annotations", "experiments", "saved_results", "notes", "settings", "pii",
                 "panels", "audit_head", "audit_key", "audit_checkpoint"}
        return cls(
            name=v.str(doc, "name", default="Untitled"),
            sources=sources,
            views=views,
            anomaly_rules=[dict(r) for r in v.list(doc, "anomaly_rules", default=[])],
            annotations=[dict(a) for a in v.list(doc, "annotations", default=[])],
            experiments=[dict(e) for e in v.list(doc, "experiments", default=[])],
            saved_results=[dict(r) for r in v.list(doc, "saved_results", default=[])],
            notes=v.str(doc, "notes", default=""),
            settings=settings,
            pii=v.dict(doc, "pii", default={}),
            panels=v.dict(doc, "panels", default={}),
            audit_head=audit_head,
            audit_checkpoint=checkpoint,
            created=v.str(doc, "created", default=""),
            modified=v.str(doc, "modified", default=""),
            extra={key: val for key, val in doc.items() if key not in known},
        )


class _Validator:
    """Type checks whose errors say which field of which file is wrong (hand-edited files)."""

    def __init__(self, source_name: str):
        self.name = source_name

    def _get(self, obj, key, where, default, kinds, what):
        if not isinstance(obj, dict):
            raise WorkspaceError(f"{self.name}: {where or 'the document'} must be an object")
        if key not in obj:
            if default is not _REQUIRED:
                return default
            raise WorkspaceError(f"{self.name}: {self._field(where, key)} is missing")
        value = obj[key]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise WorkspaceError(f"{self.name}: {self._field(where, key)} must be {what} "
                                 f"(found {type(value).__name__})")
        return value

    @staticmethod
    def _field(where, key):
        return f"{where}.{key}" if where else key

    def str(self, obj, key, where="", default=None):
        return self._get(obj, key, where, _REQUIRED if default is None else default, (str,), "text")

    def int(self, obj, key, where="", default=None):
        return self._get(obj, key, where, _REQUIRED if default is None else default, (int,), "a whole number")

    def opt_int(self, obj, key, where=""):
        if isinstance(obj, dict) and obj.get(key) is None:
            return None
        return self.int(obj, key, where)

    def list(self, obj, key, where="", default=None):
        return self._get(obj, key, where, _REQUIRED if default is None else default, (list,), "a list")

    def dict(self, obj, key, where="", default=None):
        return self._get(obj, key, where, _REQUIRED if default is None else default, (dict,), "an object")

    def sha(self, obj, key, where=""):
        value = self.str(obj, key, where)
        if len(value) != 64 or any(c not in "0123456789abcdef" for c in value.lower()):
            raise WorkspaceError(f"{self.name}: {where}.{key} is not a SHA-256 digest")
        return value.lower()


_REQUIRED = object()


def _relative(path: str, base_dir) -> str:
    if not path or base_dir is None:
        return path
    try:
        return Path(os.path.relpath(path, os.fspath(base_dir))).as_posix()
    except ValueError:  # another drive on Windows: keep it absolute
        return path


def _absolute(path: str, base_dir) -> str:
    if not path or base_dir is None or os.path.isabs(path):
        return path
    return os.path.normpath(os.path.join(os.fspath(base_dir), path))


def _app_version() -> str:
    from workbench.version import version_string

    return version_string()


# --- migrations ------------------------------------------------------------------------------------------

def _v1_to_v2(doc: dict) -> dict:
    """Version 1 (0.0.x previews): one file per source, ``schema`` as {column: type}, views keyed by name,
    notes as a list of lines, ``k`` at top level."""
    out = {key: val for key, val in doc.items() if key not in ("sources", "views", "notes", "k", "saved_at")}
    out["sources"] = [
        {
            "name": s["name"],
            "kind": "csv" if str(s.get("path", "")).lower().endswith((".csv", ".csv.gz")) else "parquet",
            "location": s["path"],
            "row_count": s.get("rows"),
            "columns": [{"name": c, "type": t, "nullable": True} for c, t in (s.get("schema") or {}).items()],
            "files": [{"path": s["path"], "size": int(s.get("size", 0)), "sha256": s["sha256"]}],
        }
        for s in doc.get("sources", [])
    ]
    out["views"] = [{"name": name, "spec": v.get("metric", {}), "chart": v.get("chart", {})}
                    for name, v in (doc.get("views") or {}).items()]
    notes = doc.get("notes", [])
    out["notes"] = "\n".join(notes) if isinstance(notes, list) else str(notes)
    out["settings"] = {"suppression_k": doc.get("k", DEFAULT_K)}
    out["modified"] = doc.get("saved_at", "")
    out.setdefault("anomaly_rules", [])
    out.setdefault("annotations", [])
    out.setdefault("experiments", [])
    out["schema_version"] = 2
    return out


def _v2_to_v3(doc: dict) -> dict:
    """Version 2 kept the panels' unversioned state in settings, anomaly_rules and experiments; version 3
    has one versioned state per panel under ``panels``."""
    from workbench.panel_state import panels_from_v2

    doc = panels_from_v2(doc)
    doc["schema_version"] = 3
    return doc


# MIGRATIONS[v] turns a version-v document into version v+1. Add one function per format change.
MIGRATIONS: dict[int, Callable[[dict], dict]] = {1: _v1_to_v2, 2: _v2_to_v3}


def migrate(doc: dict, *, source_name: str = "workspace") -> dict:
    """Bring a document to ``SCHEMA_VERSION`` step by step (the input is not modified).

    Raises
    ------
    WorkspaceVersionError for a newer version; WorkspaceError for an unknown or damaged one.
    """
    version = doc.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise WorkspaceError(f"{source_name}: schema_version must be a whole number ≥ 1 (found {version!r})")
    if version > SCHEMA_VERSION:
        raise WorkspaceVersionError(
            f"{source_name} was saved by a newer Workbench (workspace format {version}; this version reads up to "
            f"{SCHEMA_VERSION}). Update Workbench to open it — the file was not changed.")
    doc = copy.deepcopy(doc)
    while doc["schema_version"] < SCHEMA_VERSION:
        step = MIGRATIONS.get(doc["schema_version"])
        if step is None:
            raise WorkspaceError(f"{source_name}: no migration from workspace format {doc['schema_version']}")
        try:
            doc = step(doc)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise WorkspaceError(f"{source_name}: cannot upgrade from workspace format {doc['schema_version']} — "
                                 f"the file looks hand-edited or damaged ({type(exc).__name__}: {exc})") from exc
    return doc


# --- load / save -----------------------------------------------------------------------------------------

def parse(data: bytes, *, source_name: str = "workspace", base_dir=None) -> Workspace:
    """Parse the bytes of a workspace or recovery file (any supported version)."""
    if not data.strip():
        raise WorkspaceError(f"{source_name} is empty — it was probably cut off while being written. "
                             "Look for a recovery file, or open an earlier copy.")
    try:
        doc = safe_json.loads(data.decode("utf-8"), source_name)
    except UnicodeDecodeError:
        raise WorkspaceError(f"{source_name} is not a Workbench workspace (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        # A workspace always ends with "}": a file that does not was cut off, not edited.
        truncated = exc.pos >= len(data.rstrip()) - 1 or not data.rstrip().endswith(b"}")
        hint = "it is truncated (cut off before the end)" if truncated else "it was damaged or hand-edited"
        raise WorkspaceError(f"{source_name} is not valid JSON at line {exc.lineno}, column {exc.colno}: "
                             f"{hint}.") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or "schema_version" not in doc:
        raise WorkspaceError(f"{source_name} is not a Workbench workspace (no '{FORMAT}' header)")
    doc = migrate(doc, source_name=source_name)
    return Workspace.from_dict(doc, base_dir, source_name=source_name)


def load(path: str | os.PathLike) -> Workspace:
    """Open a ``.wbk`` file (migrating older versions in memory; the file is never rewritten on open).

    Raises
    ------
    WorkspaceVersionError for a newer format; WorkspaceError for a missing, truncated or damaged file.
    """
    p = Path(path)
    _clean_killed_saves(p)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise WorkspaceError(f"{p}: no such workspace file") from None
    except IsADirectoryError:
        raise WorkspaceError(f"{p}: is a folder, not a workspace file") from None
    except OSError as exc:
        raise WorkspaceError(f"{p.name}: cannot be read ({exc.strerror or exc})") from exc
    ws = parse(data, source_name=p.name, base_dir=p.resolve().parent)
    ws.path = p.resolve()
    if ws.name == "Untitled":
        ws.name = p.stem
    return ws


def dumps(ws: Workspace, base_dir=None) -> bytes:
    """The JSON bytes of a workspace (raises WorkspaceSaveError for content that is not JSON-able)."""
    try:
        return (json.dumps(ws.to_dict(base_dir), indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise WorkspaceSaveError(f"Cannot save {ws.name}: part of it cannot be stored ({exc})") from exc


def save(ws: Workspace, path: str | os.PathLike | None = None, *, audit=None) -> Path:
    """Save atomically to ``path`` (default ``ws.path``); returns the path and sets ``ws.path``.

    Parameters
    ----------
    audit : an :class:`workbench.audit.AuditLog`; when given a ``workspace_saved`` entry is written and the
        log's head and a signed checkpoint of it are stored in the file, so a rewritten or cut-off log can
        be detected later (``workbench audit verify LOG --against FILE.wbk``).

    Raises
    ------
    WorkspaceSaveError (disk full, permission denied...) — the previous file is left as it was.
    """
    target = Path(path) if path is not None else ws.path
    if target is None:
        raise WorkspaceSaveError("Choose where to save the workspace (Save As)")
    if target.suffix.lower() != SUFFIX:
        target = target.with_name(target.name + SUFFIX)
    target = target.resolve()
    previous_modified, previous_head, previous_cp = ws.modified, ws.audit_head, ws.audit_checkpoint
    ws.modified = _now()
    if ws.name == "Untitled":
        ws.name = target.stem
    try:
        if audit is not None:
            audit.append("workspace_saved", path=str(target), sources={s.name: s.sha256 for s in ws.sources})
            ws.audit_head = audit.head().to_dict()
            ws.audit_checkpoint = audit.checkpoint()
        data = dumps(ws, target.parent)
        atomic_write_bytes(target, data)
    except WorkspaceSaveError:
        ws.modified, ws.audit_head, ws.audit_checkpoint = previous_modified, previous_head, previous_cp
        raise
    except OSError as exc:
        ws.modified, ws.audit_head, ws.audit_checkpoint = previous_modified, previous_head, previous_cp
        raise WorkspaceSaveError(_save_message(target, exc)) from exc
    old_path, ws.path = ws.path, target
    for candidate in {recovery_path(target), recovery_path(old_path) if old_path else None}:
        if candidate is not None:
            _unlink_quietly(candidate)
    return target


def _clean_killed_saves(p: Path) -> None:
    """Temps that saves or autosaves of this workspace left when the app was killed mid-write."""
    from workbench.temp_files import clean_atomic_temps

    for name in (p.name, recovery_path(p).name):
        clean_atomic_temps(p.parent, name)


def _save_message(target: Path, exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        why = "the disk is full"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "permission denied (the folder is not writable)"
    else:
        why = exc.strerror or str(exc)
    return f"Could not save {target.name}: {why}. The previous version of the file is unchanged."


def _write_all(fh, data: bytes) -> None:
    # A seam for tests that simulate a full disk mid-write.
    fh.write(data)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the complete new one."""
    atomic_write(path, lambda tmp: _write_file(tmp, data))


def _write_file(tmp: Path, data: bytes) -> None:
    with open(tmp, "wb") as fh:
        _write_all(fh, data)
        fh.flush()
        os.fsync(fh.fileno())


def atomic_write(path: str | os.PathLike, writer: Callable[[Path], None]) -> None:
    """Call ``writer(tmp_path)`` for a temp file beside ``path``, fsync it, then replace ``path`` with it.

    On any error the temp file is removed and ``path`` is left untouched; the error propagates.
    Exports use this too (DuckDB/openpyxl write to the temp path).
    """
    from workbench.temp_files import ATOMIC_SUFFIX, atomic_temp_prefix, clean_atomic_temps

    target = Path(path)
    clean_atomic_temps(target.parent, target.name)  # leftovers of earlier saves of this file that were killed
    fd, tmp_name = tempfile.mkstemp(prefix=atomic_temp_prefix(target.name), suffix=ATOMIC_SUFFIX, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        writer(tmp)
        _fsync_path(tmp)
        if target.exists():
            try:
                os.chmod(tmp, target.stat().st_mode & 0o7777)
            except OSError:
                pass
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    _fsync_dir(target.parent)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_path(p: Path) -> None:
    with open(p, "rb+") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(d: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _unlink_quietly(p: Path) -> None:
    try:
        os.unlink(p)
    except OSError:
        pass


# --- autosave / recovery ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recovery:
    """An autosaved state found on open. ``workspace_path`` is None for a never-saved workspace."""

    path: Path
    workspace_path: Path | None
    written_at: str

    def load(self) -> Workspace:
        """The recovered workspace; ``path`` is set to the original workspace file (save writes there)."""
        return _load_recovery(self.path)


def default_recovery_dir() -> Path:
    """Where autosaves of never-saved workspaces go (under the user's data dir)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("workbench", appauthor=False)) / "recovery"


def recovery_path(workspace_path: str | os.PathLike | None, *, recovery_dir: str | os.PathLike | None = None,
                  session_id: str = "untitled") -> Path:
    """The recovery file for a workspace: ``.analysis.wbk.recovery`` beside it, or
    ``<recovery_dir>/untitled-<session>.wbk.recovery`` for a workspace never saved."""
    if workspace_path is not None:
        p = Path(workspace_path)
        return p.with_name(f".{p.name}{RECOVERY_SUFFIX}")
    folder = Path(recovery_dir) if recovery_dir is not None else default_recovery_dir()
    return folder / f"untitled-{session_id}{SUFFIX}{RECOVERY_SUFFIX}"


def write_recovery(ws: Workspace, *, recovery_dir: str | os.PathLike | None = None) -> Path:
    """Autosave ``ws`` to its recovery file (atomically: a crash mid-write keeps the previous autosave).

    The UI calls this every 30 s and after each change of substance; it never touches the ``.wbk`` file.
    """
    target = recovery_path(ws.path, recovery_dir=recovery_dir, session_id=ws.session_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    doc = ws.to_dict(target.parent if ws.path else None)
    doc["recovery"] = {"workspace_path": str(ws.path) if ws.path else None, "written_at": _now_precise(),
                       "session_id": ws.session_id}
    try:
        data = (json.dumps(doc, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
        atomic_write_bytes(target, data)
    except (TypeError, ValueError) as exc:
        raise WorkspaceSaveError(f"Cannot autosave {ws.name}: part of it cannot be stored ({exc})") from exc
    except OSError as exc:
        raise WorkspaceSaveError(_save_message(target, exc).replace("file is unchanged", "autosave is unchanged")
                                 ) from exc
    return target


def _now_precise() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


def _load_recovery(path: Path) -> Workspace:
    data = Path(path).read_bytes()
    try:
        meta = safe_json.loads(data).get("recovery") or {}
    except (ValueError, AttributeError):
        meta = {}
    original = meta.get("workspace_path")
    ws = parse(data, source_name=Path(path).name, base_dir=Path(path).parent if original else None)
    ws.extra.pop("recovery", None)
    ws.path = Path(original) if original else None
    if meta.get("session_id"):
        ws.session_id = meta["session_id"]
    return ws


def find_recovery(workspace_path: str | os.PathLike) -> Recovery | None:
    """An autosave newer than the saved workspace, or None. Call it when opening a workspace.

    A recovery file is offered when it exists and the ``.wbk`` is missing or older than it.
    """
    wp = Path(workspace_path).resolve()
    rp = recovery_path(wp)
    if not rp.exists():
        return None
    try:
        if wp.exists() and wp.stat().st_mtime_ns > rp.stat().st_mtime_ns:
            return None  # saved after the last autosave (the leftover is stale)
        meta = safe_json.loads(rp.read_bytes()).get("recovery") or {}
    except (OSError, ValueError, AttributeError):
        return None
    recovery = Recovery(path=rp, workspace_path=wp, written_at=str(meta.get("written_at", "")))
    if wp.exists():
        try:
            if recovery.load() == load(wp):
                return None  # nothing unsaved in it
        except WorkbenchError:
            pass  # a damaged .wbk: the autosave is all the more worth offering
    return recovery


def list_recoveries(recovery_dir: str | os.PathLike | None = None) -> list[Recovery]:
    """Autosaves of never-saved workspaces (offer them at start-up), newest first."""
    folder = Path(recovery_dir) if recovery_dir is not None else default_recovery_dir()
    found = []
    for rp in folder.glob(f"untitled-*{SUFFIX}{RECOVERY_SUFFIX}") if folder.is_dir() else []:
        try:
            meta = safe_json.loads(rp.read_bytes()).get("recovery") or {}
        except (OSError, ValueError, AttributeError):
            continue
        found.append(Recovery(path=rp, workspace_path=None, written_at=str(meta.get("written_at", ""))))
    return sorted(found, key=lambda r: r.written_at, reverse=True)


def discard_recovery(recovery: Recovery | str | os.PathLike) -> None:
    """Delete a recovery file (after the user declined it, or after a clean close)."""
    _unlink_quietly(recovery.path if isinstance(recovery, Recovery) else Path(recovery))


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
        return {"source": self.source, "path": self.path, "status": self.status, "message": self.message,
                "found_path": self.found_path, "sha256": self.sha256}


def verify_sources(ws: Workspace, progress: ProgressFn | None = None, cancel: CancelFn = None,
                   *, sources: Iterable[str] | None = None) -> list[SourceCheck]:
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
            checks.append(_check_file(record, f, base, progress and (lambda d, t, s=done[0]: sub_progress(d, t, s)),
                                      cancel, done))
        checks.extend(_new_files(record))
    if progress is not None:
        progress(total, total)
    return checks


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
        return SourceCheck(record.name, f.path, CHANGED,
                           f"{name} changed since this workspace was saved (SHA-256 {digest[:12]}…, recorded "
                           f"{f.sha256[:12]}…)", sha256=digest)
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
            return SourceCheck(record.name, f.path, MOVED,
                               f"{name} moved: the same file was found at {cand}", found_path=cand, sha256=digest)
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
    return [SourceCheck(record.name, str(Path(p).resolve()), CHANGED,
                        f"{Path(p).name} appeared in {Path(loc).name} since this workspace was saved")
            for p in found if os.path.normpath(str(Path(p).resolve())) not in known]


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


def relocate(ws: Workspace, source_name: str, new_location: str | os.PathLike,
             progress: ProgressFn | None = None, cancel: CancelFn = None, *, audit=None) -> list[SourceCheck]:
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


def accept_current(ws: Workspace, source_name: str, checks: Iterable[SourceCheck] | None = None, *, audit=None
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
            audit.append("source_fingerprint_accepted", source=source_name, path=f.path, old_sha256=old,
                         sha256=f.sha256)
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


__all__ = [
    "Workspace", "SourceRecord", "FileRecord", "SavedView", "WorkspaceSettings", "Recovery", "SourceCheck",
    "WorkspaceError", "WorkspaceVersionError", "WorkspaceSaveError", "SCHEMA_VERSION", "MIGRATIONS",
    "load", "save", "parse", "dumps", "migrate", "atomic_write", "atomic_write_bytes",
    "write_recovery", "find_recovery", "list_recoveries", "discard_recovery", "recovery_path",
    "verify_sources", "relocate", "apply_moves", "accept_current", "sources_summary", "open_sources",
    "FileFingerprint",
]
