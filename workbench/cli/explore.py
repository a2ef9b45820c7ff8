"""Exploration commands: ``open``, ``demo``, ``schema``, ``metric``, ``sql`` and ``profile``.

Each command opens its PATH(s) through the catalog (one DuckDB view, nothing copied into memory), runs
the same engine function the GUI uses, and prints text, CSV or JSON on stdout. Errors a user can cause
surface as :class:`WorkbenchError` and the dispatcher prints them as one line (exit 2).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

DATA_VIEW = "data"  # the `sql` command's alias for whatever was opened


def register(subparsers) -> None:
    from workbench import cli_constants as demo_sizes
    from workbench.cli.workspace_option import add_workspace_option
    from workbench.cli.outputs import add_out_argument

    p = subparsers.add_parser("open", help="open files or folders in the desktop app")
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="Parquet/CSV files, folders or globs (none: an empty window, e.g. from a desktop launcher)",
    )
    p.set_defaults(func=_open)

    p = subparsers.add_parser("demo", help="write the demo extract (events + experiment Parquet files)")
    p.add_argument(
        "--rows",
        type=_positive_int,
        default=demo_sizes.DEMO_DEFAULT_ROWS,
        metavar="N",
        help=f"event rows (default {demo_sizes.DEMO_DEFAULT_ROWS:,}, at most {demo_sizes.DEMO_MAX_ROWS:,})",
    )
    p.add_argument(
        "--users",
        type=_positive_int,
        default=demo_sizes.DEMO_DEFAULT_USERS,
        metavar="N",
        help=f"experiment users (default {demo_sizes.DEMO_DEFAULT_USERS:,}, at most {demo_sizes.DEMO_MAX_USERS:,})",
    )
    p.add_argument("--seed", type=int, default=demo_sizes.DEMO_DEFAULT_SEED, help="same seed, same content")
    p.add_argument("--out", default="demo_data", metavar="DIR", help="output folder (default ./demo_data)")
    p.set_defaults(func=_demo)

    p = subparsers.add_parser("schema", help="columns, types, row count and files of an extract")
    p.add_argument("paths", nargs="*", metavar="PATH")
    add_workspace_option(p)
    p.add_argument("--format", choices=("text", "json"), default="text")
    add_encoding_argument(p)
    p.set_defaults(func=_schema)

    from workbench.cli_constants import GRAINS

    p = subparsers.add_parser("metric", help="a metric time series (the Explorer, on the command line)")
    p.add_argument("path", metavar="PATH", nargs="?")
    add_workspace_option(p)
    p.add_argument("--time", metavar="COL", help="time column (default: the only TIMESTAMP/DATE column)")
    p.add_argument("--time-format", choices=("auto", "timestamp", "epoch_s", "epoch_ms", "iso"), default="auto")
    p.add_argument(
        "--measure",
        default="count(*)",
        help="count(*), sum(COL), mean/min/max/median/p90/p99(COL), count_distinct(COL), ratio(NUM, DEN)",
    )
    p.add_argument("--grain", choices=GRAINS, default="day")
    p.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="EXPR",
        help="e.g. 'country=BR', 'views>=3', 'country in BR,US', 'policy is null' (repeatable, AND-ed)",
    )
    p.add_argument("--by", metavar="COL", help="break down by this column")
    p.add_argument("--top", type=_positive_int, default=10, metavar="N", help="top-N series; the rest is 'Other'")
    p.add_argument("--compare", action="store_true", help="add the previous period of the same length")
    p.add_argument(
        "--compare-offset", choices=("day", "week", "4 weeks"), help="compare with the period this much earlier instead"
    )
    p.add_argument("--start", help="inclusive start (date or timestamp)")
    p.add_argument("--end", help="exclusive end (date or timestamp)")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--show-sql", action="store_true", help="print the SQL to stderr")
    add_encoding_argument(p)
    add_out_argument(p)
    p.set_defaults(func=_metric)

    p = subparsers.add_parser("sql", help="run a read-only query; the file is a view named after it and 'data'")
    p.add_argument("path", metavar="PATH", nargs="?", help="(omit with --workspace)")
    p.add_argument("query", metavar="SQL", nargs="?", help="one SELECT statement")
    add_workspace_option(p)
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    add_encoding_argument(p)
    add_out_argument(p)
    p.set_defaults(func=_sql)

    p = subparsers.add_parser("profile", help="profile one column: nulls, distinct, min/max, top values, histogram")
    p.add_argument("path", metavar="PATH", nargs="?", help="(omit with --workspace)")
    p.add_argument("column", metavar="COLUMN", nargs="?")
    add_workspace_option(p)
    p.add_argument("--top", type=_positive_int, default=10, metavar="K")
    p.add_argument("--bins", type=_positive_int, default=20, metavar="N")
    p.add_argument("--format", choices=("text", "json"), default="text")
    add_encoding_argument(p)
    p.set_defaults(func=_profile)


def add_encoding_argument(p) -> None:
    """``--encoding`` for commands that open CSV files (Parquet ignores it)."""
    from workbench.csv_check import CSV_ENCODINGS

    p.add_argument(
        "--encoding",
        choices=CSV_ENCODINGS,
        default="auto",
        help="text encoding of CSV files (default auto: UTF-16 by byte-order mark, UTF-8, else Latin-1)",
    )


def confirm_unchanged(source) -> None:
    """Refuse a result computed while a file of ``source`` was being replaced (one os.stat per file)."""
    from workbench.source_identity import check_unchanged

    check_unchanged(source.name, source.identities)


def print_source_notes(source) -> None:
    """How the source was read (e.g. an encoding guessed), on stderr so the data on stdout stays clean."""
    for note in source.notes:
        print(f"workbench: note: {note}", file=sys.stderr)


def _positive_int(text: str) -> int:
    import argparse

    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _open(args) -> int:
    from workbench.catalog import reject_remote
    from workbench.cli import launch_gui

    for path in args.paths:
        reject_remote(path)
    return launch_gui(list(args.paths))


def _demo(args) -> int:
    from workbench import demo
    from workbench.errors import WorkbenchError

    started = time.perf_counter()
    try:
        paths = demo.write_demo(args.out, rows=args.rows, seed=args.seed, users=args.users)
    except OSError as exc:
        raise WorkbenchError(f"cannot write the demo to {args.out}: {exc.strerror or exc}") from exc
    elapsed = time.perf_counter() - started
    print(f"{paths.events}  ({args.rows:,} rows, {_size(paths.events.stat().st_size)})")
    print(f"{paths.experiment}  ({args.users:,} users, {_size(paths.experiment.stat().st_size)})")
    print(f"written in {elapsed:.1f} s; injected incidents:")
    for inc in demo.INCIDENTS:
        culprit = ", ".join(f"{k}={v}" for k, v in inc.culprit.items())
        print(f"  {inc.name}: {inc.start:%Y-%m-%d %H:%M} to {inc.end:%Y-%m-%d %H:%M}  [{culprit}]")
    return 0


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _schema(args) -> int:
    from workbench.cli.workspace_option import open_session

    session = open_session(args, args.paths, "schema")
    catalog, source = session.catalog, session.source
    try:
        rows = catalog.count_rows(source.name)
    finally:
        session.close()
    session.record()
    from pathlib import Path

    sizes = source.file_sizes or tuple(Path(f).stat().st_size for f in source.files)
    files: list[dict[str, Any]] = [{"path": f, "size_bytes": size} for f, size in zip(source.files, sizes)]
    if args.format == "json":
        doc = {
            "name": source.name,
            "kind": source.kind,
            "location": source.location,
            "row_count": rows,
            "size_bytes": source.size_bytes,
            "files": files,
            "skipped_files": list(source.skipped_files),
            "hive_columns": list(source.hive_columns),
            "page_checksums": source.checksums,
            "columns": [
                {
                    "name": c.name,
                    "type": c.type,
                    "nullable": c.nullable,
                    **({"masked": session.masked[c.name]} if c.name in session.masked else {}),
                }
                for c in source.columns
            ],
        }
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return 0
    n_files = len(files)
    print(
        f"{source.name}  ({source.kind}, {rows:,} rows, {len(source.columns)} columns, "
        f"{n_files} file{'s' if n_files != 1 else ''}, {_size(source.size_bytes)})"
    )
    for f in files[:20]:
        print(f"  {f['path']}  {_size(f['size_bytes'])}")
    if n_files > 20:
        print(f"  ... and {n_files - 20} more files")
    for skipped in source.skipped_files:
        print(f"  skipped (not {source.kind}): {skipped}")
    if source.checksums:
        print(f"  page checksums: {source.checksums}")
    width = max([len(repr(c.name)) for c in source.columns] + [6])
    type_width = max([len(c.type) for c in source.columns] + [4])
    print()
    print(f"{'column':<{width}}  {'type':<{type_width}}  nullable")
    for c in source.columns:
        # repr() shows leading spaces, quotes and control characters unambiguously
        shown = c.name if c.name.isprintable() and c.name.strip() == c.name and c.name else repr(c.name)
        masked = f"  masked ({session.masked[c.name]})" if c.name in session.masked else ""
        print(f"{shown:<{width}}  {c.type:<{type_width}}  {'yes' if c.nullable else 'no'}{masked}")
    return 0


def _metric(args) -> int:
    from workbench.cli.workspace_option import emit_statement_line, open_session
    from workbench.analysis.metric import MetricView
    from workbench.metrics import Filter, Measure, MetricSpec
    from workbench.protection.apply import protect_metric

    measure = Measure.parse(args.measure)
    filters = tuple(Filter.parse(text) for text in args.filter)
    session = open_session(args, [args.path], "metric")
    try:
        spec = MetricSpec(
            table=session.source.name,
            measure=measure,
            time_column=args.time,
            time_format=args.time_format,
            grain=args.grain,
            filters=filters,
            breakdown=args.by,
            top_n=args.top,
            start=args.start,
            end=args.end,
            compare=bool(args.compare or args.compare_offset),
            compare_offset=args.compare_offset,
        )
        result = MetricView(spec).run(session.con).value  # the Explorer's analysis, so both agree
        confirm_unchanged(session.source)
        protected = protect_metric(session.con, result, session.policy, pii_columns=session.personal)
    finally:
        session.close()
    session.record(
        query=result.sql,
        protected=protected,
        description={
            "command": "metric",
            "measure": measure.label,
            "grain": spec.grain,
            "breakdown": spec.breakdown,
            "filters": [f.label for f in filters],
            "start": str(result.start),
            "end": str(result.end),
        },
    )
    emit_statement_line(session, protected)
    if args.show_sql:
        print(result.sql, file=sys.stderr)
    frame = _show_non_finite(result, protected.frame)
    if not spec.compare and "comparison_value" in frame:
        frame = frame.drop(columns=["comparison_value"])
    # Text output only: Parquet and XLSX keep typed numeric columns (an all-gap column would lose its type).
    as_text = not args.out or str(args.out).lower().endswith(".csv")
    if as_text and _whole_number_measure(measure, {c.name: c.type for c in session.source.columns}):
        frame = _as_whole_numbers(frame)
    if _written_out(args, session, "metric", frame, sql=result.sql, details={"spec": spec.to_dict()}):
        return 0
    if args.format == "json":
        records = []
        for row in frame.itertuples(index=False):
            rec = row._asdict()
            rec["bucket"] = rec["bucket"].isoformat() if rec["bucket"] is not None else None
            for key in ("value", "comparison_value"):
                if key in rec and isinstance(rec[key], float) and rec[key] != rec[key]:  # an empty bucket: a gap
                    rec[key] = None
            records.append(rec)
        doc = {
            "spec": spec.to_dict(),
            "sql": result.sql,
            "rows": records,
            "protection": protected.statement,
            "incomplete_buckets": [b.isoformat() for b in result.incomplete],
        }
        print(json.dumps(doc, ensure_ascii=False, indent=2, default=str))
    else:
        frame.to_csv(sys.stdout, index=False, date_format="%Y-%m-%d %H:%M:%S")
        if result.incomplete:  # on stderr, so the CSV stays a plain table
            shown = ", ".join(f"{b:%Y-%m-%d %H:%M}" for b in result.incomplete[:6])
            more = f" (+{len(result.incomplete) - 6} more)" if len(result.incomplete) > 6 else ""
            print(
                f"note: incomplete {spec.grain} buckets (not fully covered by the range or the data): {shown}{more}",
                file=sys.stderr,
            )
    return 0


_INTEGER_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
}


def _whole_number_measure(measure, column_types: dict[str, str]) -> bool:
    """Counts, and sums/minima/maxima of an integer column: their values are integers, whatever dtype the
    series frame holds them in (float, so that an empty bucket can be a gap)."""
    if measure.agg in ("count", "count_distinct"):
        return True
    kind = column_types.get(measure.column, "").upper()
    return measure.agg in ("sum", "min", "max") and (
        kind in _INTEGER_TYPES or (kind == "BOOLEAN" and measure.agg == "sum")
    )


def _as_whole_numbers(frame):
    """``value``/``comparison_value`` with integral floats as ints, so CSV and JSON print 666666, not
    666666.0; gaps, markers of a protection policy and perturbed (non-integral) values are left as they are."""
    import numpy as np

    frame = frame.copy()
    for column in ("value", "comparison_value"):
        if column in frame:  # an object array: a list of ints and NaN would be read back as floats
            frame[column] = np.array(
                [int(v) if isinstance(v, float) and v.is_integer() else v for v in frame[column].astype(object)],
                dtype=object,
            )
    return frame


def _show_non_finite(result, frame=None):
    """The result frame with computed NaN and ±inf written as text ("NaN", "Infinity", "-Infinity"), so a
    sum over NaN is not printed as the blank of an empty bucket (and JSON stays valid)."""
    import numpy as np

    frame = (result.frame if frame is None else frame).copy()
    for column, nan in (("value", result.value_nan), ("comparison_value", result.comparison_nan)):
        if column not in frame or frame[column].dtype == object:  # protected: markers already in place
            continue
        values = frame[column].to_numpy(dtype=float)
        special = np.isinf(values) | (np.asarray(nan, dtype=bool) if len(nan) == len(values) else False)
        if special.any():
            shown = frame[column].astype(object)
            shown[special] = ["NaN" if v != v else ("Infinity" if v > 0 else "-Infinity") for v in values[special]]
            frame[column] = shown
    return frame


def _sql(args) -> int:
    from workbench.backend import ENGINE_ERRORS, translate_error
    from workbench.cli.workspace_option import check_query_sources, open_session, protected_query
    from workbench.console_db import console_db_for
    from workbench.errors import QueryError, SpecError
    from workbench.readonly import check_read_only

    if args.query is None:
        if not args.workspace:
            raise SpecError("Give the SQL to run after PATH")
        args.path, args.query = None, args.path  # `workbench sql --workspace W.wbk "SELECT ..."`
    session = open_session(args, [args.path], "sql")
    con, catalog, source = session.con, session.catalog, session.source
    try:
        check_read_only(args.query)
        check_query_sources(session, args.query, {DATA_VIEW})
        if getattr(con, "dialect", "duckdb") == "spark":
            from workbench.cli.engine_option import run_spark_sql

            return run_spark_sql(args, session, DATA_VIEW, _write_rows, _written_out, _write_frame)
        # Typed SQL runs on a database that can read the opened files and the spill folder, nothing else,
        # through the views as they are now on the analysis connection (masked columns included).
        console = console_db_for(con, catalog.sources, aliases={DATA_VIEW: source.name})
        try:
            if session.policy.active:
                protected = protected_query(session, args.query, console.con, extra_tables={DATA_VIEW})
                session.record(
                    query=args.query, protected=protected, description={"command": "sql", "query": args.query}
                )
                if protected is not None:
                    if not _written_out(args, session, "sql", protected.frame, sql=args.query):
                        _write_frame(protected.frame, args.format)
                    return 0
            else:
                session.record(query=args.query)  # before --out: its checkpoint covers this entry too
            cur = console.cursor()
            try:
                cur.execute(args.query)  # rows stream through fetchmany, never all in memory
                if cur.description is None:
                    raise QueryError("The statement returned no rows to show")
                if args.out:
                    _written_out(args, session, "sql", cur.df(), sql=args.query)
                else:
                    _write_rows(cur, args.format)
            except ENGINE_ERRORS as exc:
                raise translate_error(exc) from exc
            finally:
                cur.close()
        finally:
            console.close()
    finally:
        session.close()
    return 0


def _written_out(args, session, command: str, frame, *, sql: str, details: dict | None = None) -> bool:
    """With ``--out``, write the (protected) ``frame`` there with its provenance and print a summary line
    instead of the table. The command itself is already in the audit log (``Session.record``)."""
    if not args.out:
        return False
    from workbench.cli.outputs import write_out

    res = write_out(
        frame,
        args.out,
        log=session.audit,
        sources=[session.source],
        command=command,
        details={"sql": sql, "protection": session.policy.statement(), **(details or {})},
        workspace=session.workspace,
    )
    print(
        f"wrote {res.path} ({res.rows:,} rows, sha256 {res.sha256[:16]}…) and {res.sidecar.name}; "
        f"audit log {session.audit.path}"
    )
    return True


def _write_frame(frame, fmt: str) -> None:
    """A protected result: a small aggregate table, cells hidden or perturbed."""
    out = sys.stdout
    if fmt == "csv":
        out.write(_csv_line(list(frame.columns)))
        for row in frame.itertuples(index=False):
            out.write(_csv_line([None if (isinstance(v, float) and v != v) else v for v in row]))
        return
    records = [dict(zip(frame.columns, row)) for row in frame.itertuples(index=False)]
    out.write(json.dumps(records, ensure_ascii=False, indent=1, default=str) + "\n")


_STREAM_ROWS = 10_000


def _write_rows(cur, fmt: str) -> None:
    """Write an executed cursor's rows to stdout as CSV or a JSON array, a batch at a time."""
    out = sys.stdout
    names = [d[0] for d in cur.description]
    if fmt == "csv":
        out.write(_csv_line(names))
        while rows := cur.fetchmany(_STREAM_ROWS):
            for row in rows:
                out.write(_csv_line(row))
        return
    out.write("[")
    first = True
    while rows := cur.fetchmany(_STREAM_ROWS):
        for row in rows:
            rec = {name: _json_number(v) for name, v in zip(names, row)}
            out.write(("\n  " if first else ",\n  ") + json.dumps(rec, ensure_ascii=False, default=str))
            first = False
    out.write("\n]\n" if not first else "]\n")


def _json_number(v):
    """NaN and ±inf as the strings `metric` writes ("NaN", "Infinity", "-Infinity"): bare NaN is not JSON."""
    if isinstance(v, float) and v != v:
        return "NaN"
    if isinstance(v, float) and v in (float("inf"), float("-inf")):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def _csv_line(values) -> str:
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(["" if v is None else _csv_value(v) for v in values])
    return buf.getvalue()


def _csv_value(v):
    if hasattr(v, "isoformat"):
        return v.isoformat(sep=" ") if hasattr(v, "hour") and hasattr(v, "date") else v.isoformat()
    return v


def _profile(args) -> int:
    from workbench.cli.workspace_option import emit_statement_line, open_session
    from workbench.errors import SpecError
    from workbench.analysis.profile import ColumnProfileView
    from workbench.protection.profile_cells import protect_profile

    if args.column is None:
        if not args.workspace:
            raise SpecError("Give the COLUMN to profile after PATH")
        args.path, args.column = None, args.path  # `workbench profile --workspace W.wbk COLUMN`
    session = open_session(args, [args.path], "profile")
    source = session.source
    try:
        p = ColumnProfileView(source.name, args.column, top_k=args.top, bins=args.bins).run(session.con).value
        p, protected = protect_profile(session.con, p, session.policy, pii_columns=session.personal)
    finally:
        session.close()
    session.record(
        query=";\n".join(p.sql),
        protected=protected,
        description={"command": "profile", "measure": f"top values of {args.column}"},
    )
    emit_statement_line(session, protected)
    if args.format == "json":
        print(json.dumps(p.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(f"{p.column!r} in {source.name}  ({p.type}, {p.kind})")
    print(f"  rows       {p.row_count:,}")
    null_pct = "n/a" if p.null_pct is None else f"{p.null_pct:.2f}%"
    print(f"  nulls      {_count(p.null_count)} ({null_pct})")
    print(f"  distinct   {'~' if p.distinct_approximate else ''}{p.distinct_count:,}")
    if p.min is not None:
        print(f"  min        {p.min}")
        print(f"  max        {p.max}")
    if p.mean is not None:
        print(f"  {'share true' if p.kind == 'boolean' else 'mean':<10} {p.mean:.6g}")
    if p.top_values_skipped:
        print("  top values (skipped: nearly every value is unique)")
    if p.top_values:
        print("  top values")
        for value, count in p.top_values:
            print(f"    {_count(count):>12}  {value}")
    if p.histogram:
        import datetime as dt

        peak = max((b.count for b in p.histogram if not isinstance(b.count, str)), default=1) or 1
        print("  histogram")
        for b in p.histogram:
            lo = (
                dt.datetime.fromtimestamp(round(b.lo), dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
                if p.histogram_kind == "temporal"
                else f"{b.lo:.6g}"
            )
            bar = "" if isinstance(b.count, str) else "#" * round(30 * b.count / peak)
            print(f"    {lo:>16}  {_count(b.count):>12}  {bar}")
    return 0


def _count(n) -> str:
    """A count, or the marker a protection policy put in its place ("<10")."""
    return n if isinstance(n, str) else f"{n:,}"
