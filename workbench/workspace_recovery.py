"""Autosave and crash recovery: the recovery file beside a workspace (or in the recovery folder for an
untitled one), finding an autosave newer than the saved file, listing and discarding them."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from workbench import safe_json
from workbench.errors import WorkbenchError
from workbench.workspace_model import (
    SUFFIX,
    RECOVERY_SUFFIX,
    WorkspaceSaveError,
    Workspace,
    default_recovery_dir,
    recovery_path,
)
from workbench.atomic_files import save_error_message, unlink_quietly, atomic_write_bytes
from workbench.workspace_format import load, parse


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


def write_recovery(ws: Workspace, *, recovery_dir: str | os.PathLike | None = None) -> Path:
    """Autosave ``ws`` to its recovery file (atomically: a crash mid-write keeps the previous autosave).

    The UI calls this every 30 s and after each change of substance; it never touches the ``.wbk`` file.
    """
    target = recovery_path(ws.path, recovery_dir=recovery_dir, session_id=ws.session_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    doc = ws.to_dict(target.parent if ws.path else None)
    doc["recovery"] = {
        "workspace_path": str(ws.path) if ws.path else None,
        "written_at": _now_precise(),
        "session_id": ws.session_id,
    }
    try:
        data = (json.dumps(doc, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
        atomic_write_bytes(target, data)
    except (TypeError, ValueError) as exc:
        raise WorkspaceSaveError(f"Cannot autosave {ws.name}: part of it cannot be stored ({exc})") from exc
    except OSError as exc:
        raise WorkspaceSaveError(
            save_error_message(target, exc).replace("file is unchanged", "autosave is unchanged")
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
    unlink_quietly(recovery.path if isinstance(recovery, Recovery) else Path(recovery))
