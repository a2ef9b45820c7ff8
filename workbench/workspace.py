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

The code is split by concern — :mod:`workbench.workspace_model` (the dataclasses and their JSON),
:mod:`workbench.workspace_format` (migrations, load, save), :mod:`workbench.workspace_recovery` (autosave),
:mod:`workbench.workspace_sources` (re-fingerprinting) and :mod:`workbench.atomic_files` — and this module
gathers the public names: import ``workbench.workspace``.
"""

from __future__ import annotations

from workbench.atomic_files import atomic_write, atomic_write_bytes
from workbench.fingerprint import FileFingerprint
from workbench.workspace_format import MIGRATIONS, dumps, load, migrate, parse, save
from workbench.workspace_model import (
    DEFAULT_K,
    FORMAT,
    RECOVERY_SUFFIX,
    SCHEMA_VERSION,
    SUFFIX,
    FileRecord,
    SavedView,
    SourceRecord,
    Workspace,
    WorkspaceError,
    WorkspaceSaveError,
    WorkspaceSettings,
    WorkspaceVersionError,
    default_recovery_dir,
    recovery_path,
)
from workbench.workspace_recovery import Recovery, discard_recovery, find_recovery, list_recoveries, write_recovery
from workbench.workspace_sources import (
    CHANGED,
    MISSING,
    MOVED,
    OK,
    SourceCheck,
    accept_current,
    apply_moves,
    new_source_record,
    open_sources,
    relocate,
    sources_summary,
    verify_sources,
)

__all__ = [
    "DEFAULT_K",
    "FORMAT",
    "RECOVERY_SUFFIX",
    "SUFFIX",
    "OK",
    "CHANGED",
    "MOVED",
    "MISSING",
    "default_recovery_dir",
    "new_source_record",
    "Workspace",
    "SourceRecord",
    "FileRecord",
    "SavedView",
    "WorkspaceSettings",
    "Recovery",
    "SourceCheck",
    "WorkspaceError",
    "WorkspaceVersionError",
    "WorkspaceSaveError",
    "SCHEMA_VERSION",
    "MIGRATIONS",
    "load",
    "save",
    "parse",
    "dumps",
    "migrate",
    "atomic_write",
    "atomic_write_bytes",
    "write_recovery",
    "find_recovery",
    "list_recoveries",
    "discard_recovery",
    "recovery_path",
    "verify_sources",
    "relocate",
    "apply_moves",
    "accept_current",
    "sources_summary",
    "open_sources",
    "FileFingerprint",
]
