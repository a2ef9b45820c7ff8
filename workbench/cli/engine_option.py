"""``--engine duckdb|spark`` and ``--remote URL``: where an analysis command's queries run.

With ``--engine spark`` the PATH (a cluster path or a catalog table) is read by the Spark cluster and only
aggregates come back; the connection and every query are written to the audit log with the endpoint, never
the token. The default stays DuckDB on this machine, exactly as offline as without this option.
"""

from __future__ import annotations

from typing import cast

from workbench.backend.base import Cursor
from workbench.errors import SpecError


def add_engine_option(parser) -> None:
    parser.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="run the queries in embedded DuckDB (default) or on a Spark Connect cluster",
    )
    parser.add_argument(
        "--remote",
        metavar="URL",
        help="Spark Connect URL sc://host:port/;token=... (default: $WORKBENCH_SPARK_REMOTE; "
        "a missing token is read from $WORKBENCH_SPARK_TOKEN)",
    )


def wants_spark(args) -> bool:
    return getattr(args, "engine", "duckdb") == "spark"


def spark_connection_and_catalog(args, command: str):
    """(connection, catalog reading on the cluster) for ``--remote`` / $WORKBENCH_SPARK_REMOTE; the
    connection is written to the audit log with the endpoint only."""
    from workbench.backend.spark.connect import connect_spark
    from workbench.backend.spark.remote import remote_from
    from workbench.backend.spark.sources import ClusterCatalog
    from workbench.cli.outputs import cli_audit_log, record

    remote = remote_from(getattr(args, "remote", None))
    if remote is None:
        raise SpecError("--engine spark needs --remote sc://host:port/... or $WORKBENCH_SPARK_REMOTE")
    record(cli_audit_log(None), "spark_connect", endpoint=remote.display(), command=command)
    con = connect_spark(remote)
    # The connection answers execute/sql/register like a cursor, which is all the catalog asks of it.
    return con, ClusterCatalog(cast(Cursor, con), verify_checksums=False)


def open_spark_session(args, paths: list[str], command: str, session_type):
    """A CLI session whose connection is the configured Spark cluster (see the module docstring)."""
    from workbench.cli.outputs import cli_audit_log
    from workbench.protection.masked_views import install
    from workbench.protection.policy import default_policy
    from workbench.backend.spark.sources import open_on_cluster

    if getattr(args, "workspace", None):
        raise SpecError("--workspace cannot be combined with --engine spark yet: give the cluster PATH or table")
    if len(paths) != 1:
        raise SpecError("With --engine spark give exactly one PATH (a cluster path or a db.table)")
    con, catalog = spark_connection_and_catalog(args, command)
    audit = cli_audit_log(None)
    try:
        policy = default_policy()
        install(catalog, policy)
        source = open_on_cluster(catalog, paths[0])
        return session_type(
            con,
            catalog,
            source,
            policy,
            audit=audit,
            out=getattr(args, "out", None),
            command=command,
            masked=dict(catalog.view_masks.get(source.name, {})),
            personal=set(),
        )
    except BaseException:
        con.close()
        raise


#: Row-level output from the cluster is capped: Spark is for aggregates, rows stay where they are.
SPARK_ROW_CAP = 100_000


def run_spark_sql(args, session, alias: str, write_rows, written_out, write_frame) -> int:
    """The ``sql`` command on the cluster: read-only SQL over the opened source (also named ``alias``),
    at most :data:`SPARK_ROW_CAP` rows back, through the same protection as locally."""
    import sys

    from workbench import sql as sqlmod
    from workbench.cli.workspace_option import protected_query

    con, source = session.con, session.source
    cur = con.cursor()
    cur.execute(f"CREATE OR REPLACE TEMPORARY VIEW {sqlmod.ident(alias)} AS SELECT * FROM {sqlmod.ident(source.name)}")
    if session.policy.active:
        protected = protected_query(session, args.query, con, extra_tables={alias})
        session.record(query=args.query, protected=protected, description={"command": "sql", "query": args.query})
        if protected is not None:
            if not written_out(args, session, "sql", protected.frame, sql=args.query):
                write_frame(protected.frame, args.format)
            return 0
    else:
        session.record(query=args.query)
    cur.execute(f"SELECT * FROM ({args.query.strip().rstrip(';')}) AS q LIMIT {SPARK_ROW_CAP + 1}")
    table = cur.arrow()
    if table.num_rows > SPARK_ROW_CAP:
        print(
            f"workbench: the result has more than {SPARK_ROW_CAP:,} rows; showing the first {SPARK_ROW_CAP:,} "
            "(aggregate on the cluster instead)",
            file=sys.stderr,
        )
        cur.keep_first(SPARK_ROW_CAP)
    if args.out:
        written_out(args, session, "sql", cur.df(), sql=args.query)
    else:
        write_rows(cur, args.format)
    return 0
