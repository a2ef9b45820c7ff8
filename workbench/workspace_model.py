"""The workspace model: what a ``.wbk`` file holds (sources with fingerprints, saved views, rules,
annotations, experiments, saved results, notes, settings, the panels' states) and its JSON form.

Reading and writing files is :mod:`workbench.workspace_format`; the public names are re-exported by
:mod:`workbench.workspace`, which is the module to import.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.fingerprint import CancelFn, ProgressFn, combined_sha256

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
        doc.update(
            {
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
                        "files": [
                            {"path": rel(f.path), "original_path": f.original_path, "size": f.size, "sha256": f.sha256}
                            for f in s.files
                        ],
                    }
                    for s in self.sources
                ],
                "views": [
                    {
                        "name": v.name,
                        "spec": v.spec,
                        "chart": v.chart,
                        "description": v.description,
                        "created": v.created,
                    }
                    for v in self.views
                ],
                "anomaly_rules": self.anomaly_rules,
                "annotations": self.annotations,
                "experiments": self.experiments,
                "saved_results": self.saved_results,
                "notes": self.notes,
                "settings": {
                    **self.settings.extra,
                    "suppression_k": self.settings.suppression_k,
                    "mask_pii": self.settings.mask_pii,
                    "suppress_on_screen": self.settings.suppress_on_screen,
                },
                "pii": self.pii,
                "panels": self.panels,
                "audit_head": self.audit_head,
                "audit_key": (self.audit_checkpoint or {}).get("key"),
                "audit_checkpoint": self.audit_checkpoint,
            }
        )
        return doc

    @classmethod
    def from_dict(
        cls, doc: dict, base_dir: str | os.PathLike | None = None, *, source_name: str = "workspace"
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
            sources.append(
                SourceRecord(
                    name=v.str(s, "name", where),
                    kind=v.str(s, "kind", where, default="parquet"),
                    location=absolute(v.str(s, "location", where, default=files[0].path if files else "")),
                    files=files,
                    row_count=v.opt_int(s, "row_count", where),
                    columns=[dict(c) for c in v.list(s, "columns", where, default=[])],
                )
            )
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
            raise WorkspaceError(
                f"{source_name}: settings.suppression_k must be a whole number of at least 1 or null (found {k!r})"
            )
        settings = WorkspaceSettings(
            suppression_k=k,
            mask_pii=bool(settings_doc.get("mask_pii", True)),
            suppress_on_screen=bool(settings_doc.get("suppress_on_screen", False)),
            extra={
                key: val
                for key, val in settings_doc.items()
                if key not in ("suppression_k", "mask_pii", "suppress_on_screen")
            },
        )
        audit_head = doc.get("audit_head")
        if audit_head is not None and not (isinstance(audit_head, dict) and "hash" in audit_head):
            raise WorkspaceError(f"{source_name}: audit_head must be an object with a hash")
        checkpoint = doc.get("audit_checkpoint")
        if checkpoint is not None and not isinstance(checkpoint, dict):
            raise WorkspaceError(f"{source_name}: audit_checkpoint must be an object")
        known = {
            "format",
            "schema_version",
            "name",
            "created",
            "modified",
            "app_version",
            "sources",
            "views",
            "anomaly_rules",
            "annotations",
            "experiments",
            "saved_results",
            "notes",
            "settings",
            "pii",
            "panels",
            "audit_head",
            "audit_key",
            "audit_checkpoint",
        }
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
            raise WorkspaceError(
                f"{self.name}: {self._field(where, key)} must be {what} (found {type(value).__name__})"
            )
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


# --- where a workspace's files go ---


def default_recovery_dir() -> Path:
    """Where autosaves of never-saved workspaces go (under the user's data dir)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("workbench", appauthor=False)) / "recovery"


def recovery_path(
    workspace_path: str | os.PathLike | None,
    *,
    recovery_dir: str | os.PathLike | None = None,
    session_id: str = "untitled",
) -> Path:
    """The recovery file for a workspace: ``.analysis.wbk.recovery`` beside it, or
    ``<recovery_dir>/untitled-<session>.wbk.recovery`` for a workspace never saved."""
    if workspace_path is not None:
        p = Path(workspace_path)
        return p.with_name(f".{p.name}{RECOVERY_SUFFIX}")
    folder = Path(recovery_dir) if recovery_dir is not None else default_recovery_dir()
    return folder / f"untitled-{session_id}{SUFFIX}{RECOVERY_SUFFIX}"
