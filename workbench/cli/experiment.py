"""``workbench experiment PATH ...``: the experiment readout on the command line.

Same analysis as the Experiments panel (:class:`workbench.analysis.ExperimentReadout`); the JSON
output follows the reference schema (CONVENTIONS.md §4). Metric syntax: docs/experiments.md.
"""

from __future__ import annotations

import sys

HELP_METRIC = (
    "NAME:TYPE[:COLUMN][:option...]; TYPE mean|proportion|ratio|quantile; ratio COLUMN is NUM/DEN; "
    "options cov=COL (ratio: cov=PRE_NUM/PRE_DEN) agg=sum|max|min|avg|any|count covagg=... dir=higher|lower guardrail margin=0.02 "
    "cap=0.99 q=0.9 (repeatable)"
)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "experiment",
        help="compare experiment arms (Welch/z/delta, CUPED, SRM, sequential, ...)",
        description="Experiment readout over a user-level extract. See docs/experiments.md.",
    )
    p.add_argument(
        "paths", nargs="*", metavar="PATH", help="Parquet/CSV file(s), folder or glob (omit with --workspace)"
    )
    from workbench.cli.workspace_option import add_workspace_option

    add_workspace_option(p)
    p.add_argument(
        "--spec",
        metavar="JSON",
        help="spec file (reference spec.json format: arms, control_arm, "
        "intended_weights, metrics); command-line options override it",
    )
    p.add_argument("--unit", help="unit id column (default user_id)")
    p.add_argument("--arm", help="arm column (default arm)")
    p.add_argument("--control", help="control arm value (default control)")
    p.add_argument("--metric", action="append", default=[], metavar="DEF", help=HELP_METRIC)
    p.add_argument(
        "--covariate",
        action="append",
        default=[],
        metavar="[METRIC=]COL",
        help="CUPED covariate for every mean metric, or METRIC=COL for one (mean or proportion; ratio: METRIC=PRE_NUM/PRE_DEN)",
    )
    p.add_argument("--segment", metavar="COL", help="break the readout down by this column (exploratory)")
    p.add_argument("--top", type=int, default=8, metavar="N", help="segment values kept (by units); the rest is Other")
    p.add_argument(
        "--time", metavar="COL", help="assignment time column: daily cumulative results with sequential intervals"
    )
    p.add_argument(
        "--weights", metavar="ARM=W,...", help="intended split for SRM, e.g. control=0.5,treatment=0.5 (default equal)"
    )
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument(
        "--correction",
        choices=("bh", "holm", "bonferroni", "none"),
        default="bh",
        help="multiple-testing correction across metrics x arms (default bh)",
    )
    p.add_argument(
        "--guardrails-in-family", action="store_true", help="include guardrail metrics in the correction family"
    )
    p.add_argument(
        "--tuning", type=float, default=5000.0, metavar="N*", help="sequential tuning parameter (default 5000)"
    )
    p.add_argument("--power", type=float, default=0.8, help="target power for the MDE section (default 0.8)")
    p.add_argument("--lift", type=float, default=0.05, help="relative lift for the sample-size section (default 0.05)")
    p.add_argument(
        "--assume-unique-units",
        action="store_true",
        help="skip the full-scan check that each unit has one row (extracts known to be one row per unit)",
    )
    p.add_argument(
        "--no-nan-as-zero", action="store_true", help="do not add the NULL-as-0 alternative for metrics with NULLs"
    )
    p.add_argument("--format", choices=("json", "text", "csv"), default="text")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--show-sql", action="store_true", help="print the SQL to stderr")
    from workbench.cli.explore import add_encoding_argument

    add_encoding_argument(p)
    p.set_defaults(func=_run)


def build_spec(args, table: str):
    """ExperimentSpec from parsed arguments (+ optional spec file)."""
    from workbench.errors import SpecError
    from workbench.experiments.spec import (
        ExperimentSpec,
        load_spec_file,
        metrics_from_reference_spec,
        parse_metric,
        parse_weights,
    )
    from dataclasses import replace

    file_spec = load_spec_file(args.spec) if args.spec else {}
    metrics = [parse_metric(t) for t in args.metric] if args.metric else metrics_from_reference_spec(file_spec)
    if not metrics:
        raise SpecError("Give at least one --metric NAME:TYPE[:COLUMN], e.g. --metric revenue:mean:revenue_usd")
    for cov in args.covariate:
        name, sep, col = cov.rpartition("=")
        targets = [m for m in metrics if (m.name == name if sep else m.type == "mean")]
        if sep and not targets:
            raise SpecError(f"--covariate {cov}: no metric named {name!r}")
        metrics = [replace(m, covariate=col) if m in targets else m for m in metrics]
    weights = parse_weights(args.weights) if args.weights else parse_weights(file_spec.get("intended_weights"))
    spec = ExperimentSpec(
        table=table,
        unit=args.unit or file_spec.get("unit", "user_id"),
        arm=args.arm or file_spec.get("arm", "arm"),
        control=args.control or file_spec.get("control_arm", "control"),
        metrics=tuple(metrics),
        weights=weights,
        segment=args.segment or file_spec.get("segment"),
        segment_top_n=args.top,
        time_column=args.time or file_spec.get("time_column"),
        alpha=args.alpha if args.alpha != 0.05 else float(file_spec.get("alpha", 0.05)),
        correction=args.correction,
        guardrails_in_family=args.guardrails_in_family,
        sequential_tuning=args.tuning,
        target_power=args.power,
        power_rel_lift=args.lift,
        assume_unique_units=args.assume_unique_units,
        nan_as_zero_alternative=not args.no_nan_as_zero,
        power_details=args.format == "json",
    )
    spec.validate()
    return spec


def _run(args) -> int:
    from workbench.cli.explore import confirm_unchanged
    from workbench.cli.workspace_option import open_session
    from workbench.analysis.readout import ExperimentReadout
    from workbench.experiments.summary import readout_csv, readout_text

    session = open_session(args, args.paths, "experiment")
    try:
        spec = build_spec(args, session.source.name)
        cur = session.con.cursor()
        try:
            readout = ExperimentReadout(spec).run(cur).value
            confirm_unchanged(session.source)
        finally:
            cur.close()
    finally:
        session.close()
    from workbench.protection.readout_cells import protect_readout

    protected, _ = protect_readout(readout.data, session.policy)
    readout = type(readout)(data=protected, sql=readout.sql)
    session.record(query=";\n".join(readout.sql))
    if "protection" in protected:
        print(f"workbench: {protected['protection']}", file=sys.stderr)
    if args.spec:  # echo the case's identity so the JSON can be checked against reference files
        from workbench.experiments.spec import load_spec_file

        ident = {k: v for k, v in load_spec_file(args.spec).items() if k in ("case_id", "description", "data_file")}
        readout = type(readout)(data={**ident, **readout.data}, sql=readout.sql)
    if args.show_sql:
        for q in readout.sql:
            print(q.rstrip() + ";\n", file=sys.stderr)
    if args.format == "json":
        text = readout.to_json(indent=1) + "\n"
    elif args.format == "csv":
        text = readout_csv(readout.data)
    else:
        text = readout_text(readout.data)
    if args.out:
        from pathlib import Path

        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
