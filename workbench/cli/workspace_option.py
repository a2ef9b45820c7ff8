"""``--workspace W.wbk`` on the analysis commands: open the workspace's sources, apply its protection policy
to the output, and record what was run and released in its audit log.

Every analysis command builds a :class:`Session` through :func:`open_session` and ends with
:meth:`Session.record`. Without ``--workspace`` the installation's minimum policy still applies (none when
no system policy file is installed).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Collection

from workbench.errors import SourceError, WorkbenchError

if TYPE_CHECKING:  # the CLI's start-up imports stay lazy
    from workbench.backend import Cursor
    from workbench.catalog import Catalog, Source
    from workbench.protection.policy import ProtectionPolicy


def add_workspace_option(parser) -> None:
    parser.add_argument(
        "--workspace",
        metavar="W.wbk",
        help="open this workspace's sources (PATH may be omitted), apply its protection policy "
        "and append to its audit log",
    )
    from workbench.cli.engine_option import add_engine_option

    add_engine_option(parser)


@dataclass
class Session:
    """An offline connection with sources opened, the policy to apply, and where to record."""

    con: Cursor
    catalog: Catalog
    source: Source  # the table the command works on
    policy: ProtectionPolicy
    workspace: Any = None
    audit: Any = None
    releases: Any = None
    command: str = ""
    masked: dict = field(default_factory=dict)  # {column: kind} of ``source`` masked in its view
    personal: set = field(default_factory=set)  # its personal-data columns, masked or revealed
    out: str | None = None  # --out FILE

    def close(self) -> None:
        self.con.close()

    def announce(self) -> None:
        """Tell the user, on stderr, which protection applies (the output itself stays machine-readable)."""
        if self.policy.active or self.policy.raised_by_system or self.workspace is not None:
            print(f"workbench: protection — {self.policy.statement()}", file=sys.stderr)

    def record(self, *, query: str | None = None, protected=None, description: dict | None = None) -> None:
        """Audit entry for what ran, and a release-log entry for the cells released (with the warning)."""
        from workbench.cli.outputs import record

        details: dict[str, object] = {
            "command": self.command,
            "source": self.source.name if self.source else None,
            "policy": self.policy.statement(),
        }
        if protected is not None:
            details.update(
                hidden_cells=protected.hidden, perturbed_cells=protected.perturbed, released_cells=len(protected.cells)
            )
        if self.audit is not None:
            # Required when the output goes to --out (its provenance checkpoints this log).
            record(self.audit, "query_run", required=bool(self.out), sql=query, origin="cli", **details)
        if protected is not None and self.releases is not None and protected.cells and self.policy.active:
            warnings = self.releases.record(
                source=self._source_identity(),
                description=description or {},
                cells=protected.cells,
                dims=protected.dims,
                k=self.policy.k,
                mode=self.policy.mode,
            )
            for warning in warnings:
                print(f"workbench: warning — {warning}", file=sys.stderr)
                if self.audit is not None:
                    record(self.audit, "differencing_warning", command=self.command, message=warning)

    def _source_identity(self) -> str:
        if self.source is None:
            return ""
        return "|".join(self.source.files)


def open_session(args, paths, command: str) -> Session:
    """Open ``paths`` (may be empty with ``--workspace``) and return a :class:`Session`.

    With a workspace and no PATH, the workspace's first source is the table; a PATH naming one of the
    workspace's sources (by name or file) selects it; any other PATH is opened beside them.
    """
    from workbench.catalog import Catalog
    from workbench.engine import connect
    from workbench.protection.policy import default_policy, workspace_policy

    paths = [p for p in (paths or []) if p]
    ws_path = getattr(args, "workspace", None)
    if not ws_path and not paths:
        raise SourceError("Give a PATH to a Parquet/CSV extract, or --workspace W.wbk")
    from workbench.cli.engine_option import open_spark_session, wants_spark

    if wants_spark(args):
        return open_spark_session(args, paths, command, Session)
    con = connect()
    try:
        catalog = Catalog(con)
        if not ws_path:
            policy = default_policy()
            _install_masking(catalog, policy)
            source = catalog.open(paths, encoding=_encoding(args))
            _notes(source)
            from workbench.cli.outputs import cli_audit_log

            session = Session(
                con,
                catalog,
                source,
                policy,
                audit=cli_audit_log(None),
                out=getattr(args, "out", None),
                command=command,
                masked=dict(catalog.view_masks.get(source.name, {})),
                personal=_personal_columns(catalog, policy, source),
            )
            session.releases = _user_release_log() if policy.active else None
            return session
        from workbench import workspace as wsmod
        from workbench.protection.release_log import ReleaseLog, release_log_path_for

        ws = wsmod.load(ws_path)
        policy = workspace_policy(ws)
        _install_masking(catalog, policy)
        if not ws.sources and not paths:
            raise SourceError(f"{ws_path}: the workspace has no sources; give a PATH")
        opened = {}
        for record in ws.sources:
            files = [f.path for f in record.files] or [record.location]
            missing = [f for f in files if not Path(f).exists()]
            if missing:
                raise SourceError(
                    f"{ws_path}: source {record.name!r} is missing {missing[0]} "
                    "(open the workspace in the app to relocate it)"
                )
            opened[record.name] = catalog.open(files, name=record.name, encoding=_encoding(args))
        source = _pick_source(catalog, opened, paths, _encoding(args))
        _notes(source)
        from workbench.cli.outputs import cli_audit_log

        audit = cli_audit_log(ws.path)
        session = Session(
            con,
            catalog,
            source,
            policy,
            workspace=ws,
            audit=audit,
            out=getattr(args, "out", None),
            releases=ReleaseLog(release_log_path_for(ws.path or ws_path)),
            command=command,
            masked=dict(catalog.view_masks.get(source.name, {})),
            personal=_personal_columns(catalog, policy, source),
        )
        return session
    except BaseException:
        con.close()
        raise


def _encoding(args) -> str:
    return getattr(args, "encoding", None) or "auto"


def _notes(source) -> None:
    from workbench.cli.explore import print_source_notes

    print_source_notes(source)


def _pick_source(catalog, opened: dict, paths: list[str], encoding: str = "auto"):
    if not paths:
        return next(iter(opened.values()))
    if len(paths) == 1:
        wanted = paths[0]
        if wanted in opened:
            return opened[wanted]
        resolved = str(Path(wanted).resolve()) if Path(wanted).exists() else None
        for src in opened.values():
            if resolved and (resolved in src.files or resolved == str(Path(src.location).resolve())):
                return src
    return catalog.open(paths, encoding=encoding)


def _install_masking(catalog, policy) -> None:
    """Personal-data columns are masked in the catalog's views (see workbench/protection/masked_views.py)."""
    from workbench.protection.masked_views import install

    install(catalog, policy)


def _personal_columns(catalog, policy, source) -> set[str]:
    """Columns left out of record keys: every personal-data column, masked or revealed, so that revealing
    one changes no key."""
    return set(catalog.view_masks.get(source.name, {})) | {
        p.column for p in policy.pii if p.source in (source.name, "*")
    }


def _user_release_log():
    """Outside a workspace, releases are logged per user (the installation's policy made them protected)."""
    from workbench.protection.release_log import ReleaseLog

    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "workbench"
    return ReleaseLog(base / "releases.jsonl")


def check_query_sources(session: Session, query: str, extra_tables: Collection[str] = frozenset()) -> None:
    """While personal data is masked in the views, a query may read only those views (not the files)."""
    from workbench.protection.masked_views import check_reads_only_views, masked_anywhere

    if masked_anywhere(session.catalog):
        check_reads_only_views(query, {s.name for s in session.catalog.sources} | set(extra_tables))


def protected_query(session: Session, query: str, console_con: Cursor, extra_tables: Collection[str] = frozenset()):
    """Run a free SQL query under the session's policy on the restricted console database ``console_con``:
    an aggregate's cells protected (a ProtectedTable), or None for a row-level query (the caller streams its
    rows; personal data is masked in the views)."""
    from workbench.backend import ENGINE_ERRORS, translate_error
    from workbench.protection.policy import CELL_KEY
    from workbench.protection.query_cells import plan, protect_frame

    keyed = [c.name for c in session.source.columns if c.name not in session.personal]
    tables = {
        s.name: [c.name for c in s.columns if c.name not in _personal_columns(session.catalog, session.policy, s)]
        for s in session.catalog.sources
    }
    tables.update({name: keyed for name in extra_tables})  # `data` is the session's source
    planned = plan(query, tables, session.policy.cell_key.seed, cell_key=session.policy.mode == CELL_KEY)
    if not planned.aggregate:
        return None
    cur = console_con.cursor()
    try:
        frame = cur.sql(planned.sql).df()
    except ENGINE_ERRORS as exc:
        raise translate_error(exc) from exc
    finally:
        cur.close()
    protected = protect_frame(frame, planned, session.policy)
    print(f"workbench: {protected.statement}", file=sys.stderr)
    return protected


def protected_series(session: Session, spec, grain: str, fetch_series):
    """The anomaly commands' input series with the policy applied: detection then runs on exactly what the
    user may see (hidden cells become gaps). Returns (frame, grain, sql, ProtectedTable or None)."""
    from workbench.errors import SpecError
    from workbench.metrics import metric_series
    from workbench.protection.apply import protect_metric

    if not session.policy.active:
        frame, grain, query = fetch_series(session.con, spec, grain)
        return frame, grain, query, None
    if grain == "raw":
        raise SpecError(
            "--grain raw releases one value per timestamp, which a protection policy cannot "
            "protect; choose a grain (minute, hour, day, ...) or auto"
        )
    if grain in (None, "auto"):
        from workbench.anomaly.series import choose_grain

        grain = choose_grain(session.con, spec.replace(breakdown=None), allow_raw=False)
    result = metric_series(session.con, spec.replace(grain=grain))
    protected = protect_metric(session.con, result, session.policy, pii_columns=session.personal)
    frame = protected.frame[["bucket", "series", "value"]].copy()
    frame["value"] = [float("nan") if isinstance(v, str) else v for v in frame["value"]]
    frame["value"] = frame["value"].astype(float)
    print(f"workbench: {protected.statement}", file=sys.stderr)
    return frame, grain, result.sql, protected


def emit_statement_line(session: Session, protected) -> None:
    """The protection statement of one result, on stderr."""
    if protected is not None and (session.policy.active or session.workspace is not None):
        print(f"workbench: {protected.statement}", file=sys.stderr)


__all__ = ["Session", "open_session", "add_workspace_option", "WorkbenchError"]
