"""Defined metrics and dashboards: ``metrics list|validate``, ``dashboard render`` and ``watch``.

``dashboard render METRICS.yml --dashboard NAME [--data DIR] --format json|html|pdf [--out FILE]`` computes a
board (sources resolve in DIR, default beside the metrics file) and prints JSON or writes a stamped HTML
or PDF. Every render is an audit entry; a written file is an ``export_written`` entry with its SHA-256.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser("metrics", help="defined metrics: list or validate a metrics file (YAML)")
    sub = p.add_subparsers(dest="metrics_command", metavar="ACTION", parser_class=type(p))
    for name, helptext in (
        ("list", "the metrics and dashboards a file defines"),
        ("validate", "check a metrics file (and, with its data, every column it names)"),
    ):
        c = sub.add_parser(name, help=helptext)
        c.add_argument("metrics_file", metavar="METRICS.yml")
        c.add_argument("--data", metavar="DIR", help="folder the sources resolve in (default: beside the file)")
        c.add_argument("--format", choices=("text", "json"), default="text")
        if name == "validate":
            c.add_argument("--no-data", action="store_true", help="check the file only, not the data")
        c.set_defaults(func=_metrics_list if name == "list" else _metrics_validate)
    p.set_defaults(func=lambda args, p=p: _need_action(p))

    p = subparsers.add_parser("dashboard", help="dashboards on defined metrics")
    sub = p.add_subparsers(dest="dashboard_command", metavar="ACTION", parser_class=type(p))
    r = sub.add_parser("render", help="compute a dashboard: JSON on stdout, or a stamped HTML/PDF file")
    r.add_argument("metrics_file", metavar="METRICS.yml")
    r.add_argument("--dashboard", required=True, metavar="NAME")
    r.add_argument("--data", metavar="DIR", help="folder the sources resolve in (default: beside the file)")
    r.add_argument("--format", choices=("json", "html", "pdf"), default="json")
    r.add_argument("--out", metavar="FILE", help="write here (required for pdf; html default: stdout)")
    r.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="EXPR",
        help="cross-filter every tile, e.g. 'country=BR' (repeatable)",
    )
    from workbench.cli.engine_option import add_engine_option

    add_engine_option(r)
    r.add_argument("--k", type=int, default=10, help="withhold HTML/PDF cells from fewer rows (0: off; default 10)")
    r.set_defaults(func=_render)
    p.set_defaults(func=lambda args, p=p: _need_action(p))


def _need_action(parser) -> int:
    from workbench.errors import SpecError

    raise SpecError(
        f"Give an action: {parser.prog} {{list,validate}}"
        if "metrics" in parser.prog
        else f"Give an action: {parser.prog} render"
    )


def _data_dir(args) -> Path:
    return Path(args.data) if args.data else Path(args.metrics_file).resolve().parent


def _metrics_list(args) -> int:
    from workbench.metrics_layer import load_metrics

    mf = load_metrics(args.metrics_file)
    if args.format == "json":
        doc = {
            "metrics": [m.to_dict() | {"line": m.line} for m in mf.metrics.values()],
            "dashboards": [{"name": b.name, "tiles": len(b.tiles), "line": b.line} for b in mf.dashboards],
        }
        print(json.dumps(doc, ensure_ascii=False, indent=2, default=str))
        return 0
    width = max([len(n) for n in mf.metrics] + [6])
    print(f"{'metric':<{width}}  {'measure':<28}  {'source':<16}  format         good")
    for m in mf.metrics.values():
        scale = f" x{m.scale:g}" if m.scale != 1 else ""
        print(f"{m.name:<{width}}  {m.measure_text + scale:<28}  {m.source:<16}  {m.format:<13}  {m.good}")
        if m.label:
            print(f"{'':<{width}}  {m.label}")
    if mf.dashboards:
        print()
        for b in mf.dashboards:
            rng = f"last {b.last_text}" if b.last else f"{b.start:%Y-%m-%d} → {b.end:%Y-%m-%d}"
            print(f"dashboard {b.name!r}: {len(b.tiles)} tiles, {rng}, compare {b.compare}, grain {b.grain}")
    return 0


def _metrics_validate(args) -> int:
    from workbench.catalog import Catalog
    from workbench.engine import connect
    from workbench.metrics_layer import check_file
    from workbench.metrics_layer.sources import check_against_data

    mf, errors = check_file(args.metrics_file)
    checked_data = False
    if mf is not None and not args.no_data:
        con = connect()
        try:
            errors = check_against_data(mf, Catalog(con), _data_dir(args), con.cursor())
            checked_data = True
        finally:
            con.close()
    if args.format == "json":
        print(
            json.dumps(
                {
                    "valid": not errors,
                    "checked_data": checked_data,
                    "metrics": len(mf.metrics) if mf else None,
                    "dashboards": len(mf.dashboards) if mf else None,
                    "errors": [e.to_dict() for e in errors],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for e in errors:
            print(str(e))
        if not errors:
            assert mf is not None, "a file that parsed without errors is loaded"
            print(
                f"{args.metrics_file}: valid ({len(mf.metrics)} metrics, {len(mf.dashboards)} dashboards"
                f"{', columns checked against the data' if checked_data else ''})"
            )
    return 1 if errors else 0


def _render(args) -> int:
    from workbench.catalog import Catalog
    from workbench.cli.outputs import cli_audit_log, record, source_stamps
    from workbench.dashboard.board import compute_board
    from workbench.engine import connect
    from workbench.errors import SpecError
    from workbench.metrics import Filter
    from workbench.metrics_layer import load_metrics

    if args.format == "pdf" and not args.out:
        raise SpecError("--format pdf needs --out FILE.pdf")
    mf = load_metrics(args.metrics_file)
    board = mf.dashboard(args.dashboard)
    filters = tuple(Filter.parse(f) for f in args.filter)
    from workbench.cli.engine_option import spark_connection_and_catalog, wants_spark

    if wants_spark(args):
        con, catalog = spark_connection_and_catalog(args, "dashboard render")
    else:
        con = connect()
        catalog = Catalog(con)
    try:
        result = compute_board(con.cursor(), catalog, mf, board, data_dir=_data_dir(args), cross_filters=filters)
        sources = [catalog.get(s.plan.table) for s in result.scans]
        sources = list({s.name: s for s in sources}.values())
    finally:
        con.close()
    doc = result.to_dict()
    log = cli_audit_log(None)
    record(
        log,
        "query_run",
        required=bool(args.out),
        origin="cli",
        command="dashboard render",
        dashboard=board.name,
        metrics_file=str(Path(args.metrics_file).resolve()),
        filters=[f.label for f in filters],
        sql=[s.sql for s in result.scans],
    )
    if args.format == "json":
        text = json.dumps(doc, ensure_ascii=False, indent=2, default=str)
        if args.out:
            _write_export(Path(args.out), text.encode("utf-8"), log, board.name, sources, "json")
        else:
            print(text)
        return 0
    stamp = _stamp(log, source_stamps(sources))
    from workbench.dashboard.html_render import render_board_html

    page = render_board_html(doc, stamp=stamp, k=args.k or None)
    if args.format == "html":
        if args.out:
            _write_export(Path(args.out), page.encode("utf-8"), log, board.name, sources, "html")
        else:
            sys.stdout.write(page + "\n")
        return 0
    _write_pdf(Path(args.out), page, board.name)
    _write_export(Path(args.out), None, log, board.name, sources, "pdf")
    return 0


def _stamp(log, sources: list[dict]) -> dict:
    import datetime as dt

    from workbench.audit import app_version

    return {
        "sources": sources,
        "app_version": app_version(),
        "user": log.user,
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "audit_checkpoint": _checkpoint(log),
    }


def _checkpoint(log) -> dict | None:
    from workbench.audit import AuditError

    try:
        return log.checkpoint()
    except AuditError:
        return None


def _write_pdf(path: Path, page: str, title: str) -> None:
    """The same HTML printed by Qt (the engine is Qt-free; the desktop package does the printing)."""
    import importlib
    import os

    from workbench.export import ExportError

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        qt_gui = importlib.import_module("PySide6.QtGui")
        report_pdf = importlib.import_module("widgets.report_pdf")
    except ImportError as exc:
        raise ExportError(f"PDF needs the desktop part of Workbench (Qt): {exc}") from None
    app = qt_gui.QGuiApplication.instance() or qt_gui.QGuiApplication([])
    try:
        report_pdf.html_to_pdf(page, path, title=title, header=title)
    except OSError as exc:
        raise ExportError(f"Cannot write {path}: {exc.strerror or exc}") from None
    del app


def _write_export(path: Path, data: bytes | None, log, board: str, sources, fmt: str) -> None:
    import hashlib

    from workbench.cli.outputs import record
    from workbench.export import ExportError

    if data is not None:
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise ExportError(f"Cannot write {path}: {exc.strerror or exc}") from None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    record(
        log,
        "export_written",
        required=True,
        path=str(path.resolve()),
        format=fmt,
        sha256=digest,
        description={"command": "dashboard render", "dashboard": board},
        sources=[s.name for s in sources],
    )
    print(f"wrote {path} (sha256 {digest[:16]}…); audit log {log.path}", file=sys.stderr)
