"""What an agent works on: the opened sources, the protection policy, the audit log and the guards' limits.

Opening mirrors ``workbench metric --workspace W.wbk`` (the workspace's sources, its policy with whatever the
analyst revealed in the app) and ``workbench metric PATH`` — except that each PATH becomes a table of its
own (an agent usually gets an events extract and an experiment extract side by side), and that outside a
workspace the agent still gets small-cell suppression and masked personal data: an assistant is not the
analyst, so it never starts with less protection than a workspace's default.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from workbench.errors import SourceError

if TYPE_CHECKING:
    from workbench.audit import AuditLog
    from workbench.catalog import Catalog
    from workbench.metrics_layer import MetricsFile
    from workbench.protection.policy import ProtectionPolicy
    from workbench.protection.release_log import ReleaseLog
    from workbench.workspace import Workspace

DEFAULT_ROW_CAP = 1000
DEFAULT_TIMEOUT = 120.0  # seconds one call may query before its cursors are interrupted


@dataclass
class AgentSession:
    """An offline connection with the sources open, the policy every result goes through, and the log
    every call is recorded in.

    Attributes
    ----------
    row_cap : most rows one tool call may return (larger results are refused, suggesting an aggregate).
    timeout : seconds one call may query before its queries are interrupted.
    read_only_metrics : only defined metrics (the metrics file's, the workspace's saved views) and dashboards
        may be computed; no free analyses.
    """

    con: Any  # the analysis connection (a cursor per call)
    catalog: Catalog
    policy: ProtectionPolicy
    audit: AuditLog
    workspace: Workspace | None = None
    row_cap: int = DEFAULT_ROW_CAP
    read_only_metrics: bool = False
    releases: ReleaseLog | None = None  # the release log (differencing warnings), as the CLI keeps it
    metrics_file: MetricsFile | None = None  # the metrics layer's file (--metrics FILE.yml)
    metrics_dir: Path | None = None  # where its sources resolve (beside the file)
    timeout: float = DEFAULT_TIMEOUT
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _active: list = field(default_factory=list, repr=False)  # cursors of the call in progress

    def source(self, table: str | None):
        """The opened source named ``table``; with one table open, the name may be omitted."""
        sources = self.catalog.sources
        if not table:
            if len(sources) == 1:
                return sources[0]
            raise SourceError(f"Give the table to use (open tables: {', '.join(s.name for s in sources)})")
        if table not in self.catalog:
            raise SourceError(
                f"No open table named {table!r} (open tables: "
                f"{', '.join(s.name for s in sources) or 'none'}); call list_sources"
            )
        return self.catalog.get(table)

    def masked(self, table: str) -> dict[str, str]:
        """{column: kind} masked in ``table``'s view."""
        return dict(self.catalog.view_masks.get(table, {}))

    def personal(self, table: str) -> set[str]:
        """Personal-data columns of ``table``, masked or revealed (left out of record keys, as the CLI does)."""
        return set(self.masked(table)) | {p.column for p in self.policy.pii if p.source in (table, "*")}

    def cursor(self):
        """A cursor on the analysis connection, interrupted if the call outlives the timeout."""
        return self.track(self.con.cursor())

    def track(self, cur):
        """Interrupt ``cur`` too (e.g. a console database's cursor) when the call outlives the timeout."""
        self._active.append(cur)
        return cur

    @contextmanager
    def deadline(self) -> Iterator[Watchdog]:
        """Around one call: after ``timeout`` seconds its cursors are interrupted every 50 ms (an interrupt
        sent before a query starts is lost) until the call returns."""
        dog = Watchdog(self._active, self.timeout)
        dog.start()
        try:
            yield dog
        finally:
            dog.stop()
            self._active.clear()

    def close(self) -> None:
        self.con.close()


class Watchdog(threading.Thread):
    """Interrupts the given cursors from ``timeout`` seconds on, until stopped; ``fired`` says it did."""

    def __init__(self, cursors: list, timeout: float):
        super().__init__(name="mcp-deadline", daemon=True)
        self.cursors, self.timeout, self.fired = cursors, timeout, False
        self._done = threading.Event()

    def run(self) -> None:
        if self._done.wait(self.timeout):
            return
        self.fired = True
        while not self._done.wait(0.05):
            for cur in list(self.cursors):
                try:
                    cur.interrupt()
                except Exception:  # a cursor closed meanwhile: nothing left to stop
                    pass

    def stop(self) -> None:
        self._done.set()
        self.join()


def agent_policy(system=None):
    """Outside a workspace: small-cell suppression (k = 10) and masked personal data, raised to the
    installation's minimum when that is stricter."""
    from workbench.protection.policy import (
        DEFAULT_K,
        SUPPRESSION,
        CellKeyParams,
        ProtectionPolicy,
        default_policy,
        effective_policy,
        system_policy,
    )

    system = system_policy() if system is None else system
    seed = default_policy(system).cell_key.seed  # the per-installation (or per-user) secret, never a new one
    return effective_policy(
        ProtectionPolicy(mode=SUPPRESSION, k=DEFAULT_K, mask_pii=True, cell_key=CellKeyParams(seed=seed)), system
    )


def open_agent_session(
    paths,
    *,
    workspace: str | None = None,
    audit,
    releases=None,
    metrics: str | None = None,
    row_cap: int = DEFAULT_ROW_CAP,
    read_only_metrics: bool = False,
    encoding: str = "auto",
    timeout: float = DEFAULT_TIMEOUT,
) -> AgentSession:
    """Open ``paths`` (each its own table) and/or the sources of ``workspace``.

    Raises
    ------
    SourceError when nothing is given, a path is missing, or a workspace source cannot be found.
    """
    from workbench.catalog import Catalog
    from workbench.engine import connect
    from workbench.protection.masked_views import install

    paths = [str(p) for p in (paths or []) if p]
    if not paths and not workspace and not metrics:
        raise SourceError("Give PATHs to Parquet/CSV extracts, --workspace W.wbk or --metrics FILE.yml")
    if row_cap < 1:
        raise SourceError(f"The row cap must be at least 1 (got {row_cap})")
    if not timeout > 0:
        raise SourceError(f"The time limit must be more than 0 seconds (got {timeout})")
    ws = None
    if workspace:
        from workbench import workspace as wsmod
        from workbench.protection.policy import workspace_policy

        ws = wsmod.load(workspace)
        policy = workspace_policy(ws)
    else:
        policy = agent_policy()
    con = connect()
    try:
        catalog = Catalog(con)
        install(catalog, policy)
        if ws is not None:
            for record in ws.sources:
                files = [f.path for f in record.files] or [record.location]
                missing = [f for f in files if not Path(f).exists()]
                if missing:
                    raise SourceError(
                        f"{workspace}: source {record.name!r} is missing {missing[0]} "
                        "(open the workspace in the app to relocate it)"
                    )
                catalog.open(files, name=record.name, encoding=encoding)
        known = {f for s in catalog.sources for f in s.files}
        for path in paths:
            resolved = str(Path(path).resolve()) if Path(path).exists() else None
            if resolved and resolved in known:
                continue  # already open as one of the workspace's sources
            catalog.open(path, encoding=encoding)
        metrics_file = None
        if metrics:
            from workbench.metrics_layer import load_metrics

            metrics_file = load_metrics(metrics)
        session = AgentSession(
            con,
            catalog,
            policy,
            audit,
            ws,
            row_cap,
            read_only_metrics,
            releases,
            metrics_file,
            Path(metrics).resolve().parent if metrics else None,
            timeout=timeout,
        )
        if metrics_file is not None:
            from workbench.mcp.defined import defined_metrics

            defined_metrics(session)  # opens each metric's source now: a missing one fails at start, not later
        if not catalog.sources:
            raise SourceError(f"{workspace or metrics}: nothing to serve; give a PATH")
        return session
    except BaseException:
        con.close()
        raise
