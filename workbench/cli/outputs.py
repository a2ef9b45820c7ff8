"""What the analysis commands leave behind: signed audit entries, and ``--out FILE`` with its provenance.

* :func:`cli_audit_log` — the log a command appends to: the workspace's (``W.wbk.audit.jsonl``) when a
  workspace is given, else a per-user log in the user data folder (``$WORKBENCH_DATA_DIR`` overrides it).
* :func:`record` — append an entry; without ``--out`` a log that cannot be written is a warning on stderr,
  not a failed analysis.
* :func:`write_out` — write a result table as CSV, Parquet or XLSX (by extension) with
  ``FILE.provenance.json`` beside it: the sources' SHA-256, the command, and a signed checkpoint of the
  log taken after the ``export_written`` entry (``workbench audit verify LOG --against FILE``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

DATA_ENV = "WORKBENCH_DATA_DIR"
CLI_LOG_NAME = "cli.audit.jsonl"


def add_out_argument(parser) -> None:
    parser.add_argument(
        "--out",
        metavar="FILE",
        help="also write the result to FILE (.csv, .parquet or .xlsx) with FILE.provenance.json "
        "holding the sources' fingerprints and a signed audit checkpoint",
    )


def default_log_path() -> Path:
    """The per-user log of commands run without a workspace."""
    override = os.environ.get(DATA_ENV)
    if override:
        return Path(override) / CLI_LOG_NAME
    from platformdirs import user_data_dir

    return Path(user_data_dir("workbench", appauthor=False)) / CLI_LOG_NAME


def cli_audit_log(workspace: str | os.PathLike | None = None):
    """The :class:`workbench.audit.AuditLog` a command appends to."""
    from workbench.audit import AuditLog, audit_path_for

    return AuditLog(audit_path_for(Path(workspace).resolve()) if workspace else default_log_path())


def record(log, action: str, *, required: bool = False, **details: Any) -> None:
    """Append ``action`` to ``log``; when not ``required`` a failure is only a warning (the analysis stands)."""
    from workbench.audit import AuditError

    try:
        log.append(action, **details)
    except AuditError as exc:
        if required:
            raise
        print(f"warning: {exc} (this command was not recorded in the audit log)", file=sys.stderr)


def source_stamps(sources) -> list[dict]:
    """Provenance entries for opened catalog sources: each file's SHA-256 (read in full) and the combined one."""
    from workbench.fingerprint import combined_sha256, fingerprint_files

    out = []
    for src in sources:
        if src.file_sizes or src.kind == "table":  # read by a cluster: its files are not here to hash
            out.append(cluster_stamp(src))
            continue
        prints = fingerprint_files(src.files)
        out.append(
            {
                "name": src.name,
                "sha256": combined_sha256(prints),
                "row_count": src.row_count,
                "files": [{"file": Path(f.path).name, "size": f.size, "sha256": f.sha256} for f in prints],
            }
        )
    return out


def cluster_stamp(src) -> dict:
    """Provenance of a source read by a cluster, whose bytes never reach this machine: a SHA-256 of what
    identifies that snapshot here (the view's SQL, every file's cluster path and size, the row count) and
    the time it was taken, so a later run over changed files shows a different fingerprint."""
    import datetime as dt
    import hashlib
    import json

    taken = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    listing = {"view_sql": src.view_sql, "files": list(zip(src.files, src.file_sizes)), "rows": src.row_count}
    digest = hashlib.sha256(json.dumps(listing, sort_keys=True, default=str).encode("utf-8")).hexdigest()
    return {
        "name": src.name,
        "sha256": digest,
        "fingerprint_of": "cluster file listing and view SQL",
        "taken_at": taken,
        "row_count": src.row_count,
        "engine": "spark",
        "files": [{"file": f, "size": n, "sha256": None} for f, n in zip(src.files, src.file_sizes)],
    }


def write_out(
    frame, out: str | os.PathLike, *, log, sources, command: str, details: dict | None = None, workspace=None
):
    """Write ``frame`` to ``out`` (format by extension) with ``out.provenance.json``; returns the ExportResult.

    Parameters
    ----------
    log : the AuditLog (an ``export_written`` entry is appended; the sidecar's checkpoint covers it).
    sources : the catalog sources the result was computed from (fingerprinted here).
    command : "metric" or "sql"; ``details`` (the spec or the query) go into the stamp's description.
    workspace : a :class:`workbench.workspace.Workspace`: its name and recorded fingerprints are used.

    Raises
    ------
    ExportError for an unknown extension or an unwritable path; AuditError when the log cannot be written.
    """
    import datetime as dt

    from workbench.audit import app_version
    from workbench.export import Provenance, export_table

    description = {"command": command, **(details or {})}
    if workspace is not None:
        prov = Provenance.from_workspace(workspace, description=description)
    else:
        prov = Provenance(
            workspace="",
            sources=source_stamps(sources),
            app_version=app_version(),
            user=log.user,
            generated_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            description=description,
        )
    return export_table(frame, Path(out).absolute(), provenance=prov, audit=log, sidecar=True)
