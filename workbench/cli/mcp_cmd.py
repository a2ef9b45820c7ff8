"""``workbench mcp``: serve the guarded analyses to a local AI assistant over stdio (Model Context Protocol).

The assistant starts this command itself (see docs/agents.md); stdout carries the protocol, so everything
meant for a person goes to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path


def register(subparsers) -> None:
    from workbench.cli.explore import _positive_int, add_encoding_argument
    from workbench.mcp.session import DEFAULT_ROW_CAP, DEFAULT_TIMEOUT

    p = subparsers.add_parser(
        "mcp",
        help="serve guarded analyses as MCP tools to a local AI assistant (stdio only)",
        description="An MCP server over stdio: each PATH becomes a table; results are protected "
        "(small-cell suppression, masked personal data), capped, and audited.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="Parquet/CSV files, folders or globs, one table each")
    p.add_argument(
        "--workspace",
        metavar="W.wbk",
        help="serve this workspace's sources with its protection policy and reveals; calls are recorded "
        "in its audit log",
    )
    p.add_argument(
        "--metrics",
        metavar="METRICS.yml",
        help="defined metrics and dashboards (the metrics layer); their sources resolve beside the file or as "
        "open tables",
    )
    p.add_argument(
        "--row-cap",
        type=_positive_int,
        default=DEFAULT_ROW_CAP,
        metavar="N",
        help=f"most rows one call may return (default {DEFAULT_ROW_CAP:,}); larger results are refused",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"stop a call's queries after this long (default {DEFAULT_TIMEOUT:g})",
    )
    p.add_argument(
        "--read-only-metrics",
        action="store_true",
        help="offer only defined metrics and dashboards (--metrics, the workspace's saved views): no SQL, no free "
        "analyses",
    )
    add_encoding_argument(p)
    p.set_defaults(func=_mcp)


def _mcp(args) -> int:
    from workbench.cli.outputs import cli_audit_log
    from workbench.errors import SourceError
    from workbench.mcp.server import serve
    from workbench.mcp.session import open_agent_session

    if args.read_only_metrics and not (args.workspace or args.metrics):
        raise SourceError("--read-only-metrics serves defined metrics: give --metrics METRICS.yml or --workspace W.wbk")
    audit = cli_audit_log(args.workspace)
    if args.workspace:
        from workbench.protection.release_log import ReleaseLog, release_log_path_for

        releases = ReleaseLog(release_log_path_for(Path(args.workspace).resolve()))
    else:
        from workbench.cli.workspace_option import _user_release_log

        releases = _user_release_log()
    session = open_agent_session(
        args.paths,
        workspace=args.workspace,
        audit=audit,
        releases=releases,
        metrics=args.metrics,
        timeout=args.timeout,
        row_cap=args.row_cap,
        read_only_metrics=args.read_only_metrics,
        encoding=args.encoding,
    )
    try:
        for source in session.catalog.sources:
            for note in source.notes:
                print(f"workbench: note: {note}", file=sys.stderr)
        tables = ", ".join(s.name for s in session.catalog.sources)
        print(
            f"workbench: mcp server on stdio — tables {tables}; protection — {session.policy.statement()} "
            f"Row cap {session.row_cap:,}; audit log {audit.path}",
            file=sys.stderr,
        )
        return serve(session)
    finally:
        session.close()
