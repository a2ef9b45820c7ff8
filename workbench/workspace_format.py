"""Reading and writing ``.wbk`` files: step-by-step migrations of older formats, parsing with clear errors
for damaged files, and the atomic save that records the audit log's head and a signed checkpoint."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Callable

from workbench import safe_json
from workbench.workspace_model import (
    FORMAT,
    SCHEMA_VERSION,
    SUFFIX,
    DEFAULT_K,
    WorkspaceError,
    WorkspaceVersionError,
    WorkspaceSaveError,
    _now,
    Workspace,
    recovery_path,
)
from workbench.atomic_files import save_error_message, unlink_quietly, atomic_write_bytes


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
    out["views"] = [
        {"name": name, "spec": v.get("metric", {}), "chart": v.get("chart", {})}
        for name, v in (doc.get("views") or {}).items()
    ]
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
            f"{SCHEMA_VERSION}). Update Workbench to open it — the file was not changed."
        )
    doc = copy.deepcopy(doc)
    while doc["schema_version"] < SCHEMA_VERSION:
        step = MIGRATIONS.get(doc["schema_version"])
        if step is None:
            raise WorkspaceError(f"{source_name}: no migration from workspace format {doc['schema_version']}")
        try:
            doc = step(doc)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise WorkspaceError(
                f"{source_name}: cannot upgrade from workspace format {doc['schema_version']} — "
                f"the file looks hand-edited or damaged ({type(exc).__name__}: {exc})"
            ) from exc
    return doc


# --- load / save -----------------------------------------------------------------------------------------


def parse(data: bytes, *, source_name: str = "workspace", base_dir=None) -> Workspace:
    """Parse the bytes of a workspace or recovery file (any supported version)."""
    if not data.strip():
        raise WorkspaceError(
            f"{source_name} is empty — it was probably cut off while being written. "
            "Look for a recovery file, or open an earlier copy."
        )
    try:
        doc = safe_json.loads(data.decode("utf-8"), source_name)
    except UnicodeDecodeError:
        raise WorkspaceError(f"{source_name} is not a Workbench workspace (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        # A workspace always ends with "}": a file that does not was cut off, not edited.
        truncated = exc.pos >= len(data.rstrip()) - 1 or not data.rstrip().endswith(b"}")
        hint = "it is truncated (cut off before the end)" if truncated else "it was damaged or hand-edited"
        raise WorkspaceError(
            f"{source_name} is not valid JSON at line {exc.lineno}, column {exc.colno}: {hint}."
        ) from None
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
        raise WorkspaceSaveError(save_error_message(target, exc)) from exc
    old_path, ws.path = ws.path, target
    for candidate in {recovery_path(target), recovery_path(old_path) if old_path else None}:
        if candidate is not None:
            unlink_quietly(candidate)
    return target


def _clean_killed_saves(p: Path) -> None:
    """Temps that saves or autosaves of this workspace left when the app was killed mid-write."""
    from workbench.temp_files import clean_atomic_temps

    for name in (p.name, recovery_path(p).name):
        clean_atomic_temps(p.parent, name)
