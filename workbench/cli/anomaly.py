"""Anomaly commands: ``anomalies`` (detect per series), ``explain`` (root cause of a window) and
``alerts check`` (evaluate saved rules; exit 1 when any fires, for schedulers)."""

from __future__ import annotations

import json
import sys

from workbench.cli.explore import confirm_unchanged


def register(subparsers) -> None:
    from workbench.anomaly.params import DIRECTIONS, METHODS
    from workbench.anomaly.root_cause import BASELINES
    from workbench.metrics import GRAINS

    p = subparsers.add_parser("anomalies", help="detect anomalies in a metric: incidents and flagged times per series")
    _metric_args(p)
    p.add_argument(
        "--grain",
        choices=GRAINS + ("raw", "auto"),
        default="auto",
        help="bucket size; 'raw' = one point per timestamp; 'auto' (default) picks one",
    )
    p.add_argument("--by", metavar="COL", help="one series per value of this column (top-N + Other)")
    p.add_argument("--top", type=int, default=10, metavar="N")
    p.add_argument("--method", choices=METHODS, default="auto")
    p.add_argument("--threshold", type=float, help="band half-width in robust sigmas (default per method)")
    p.add_argument("--direction", choices=DIRECTIONS, default="both")
    p.add_argument("--min-volume", type=float, default=0.0)
    p.add_argument("--upper", type=float, help="upper limit (method threshold)")
    p.add_argument("--lower", type=float, help="lower limit (method threshold)")
    p.add_argument("--points", action="store_true", help="JSON: include every point with its band and score")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_anomalies)

    p = subparsers.add_parser("explain", help="root cause of a change in a time window, by dimension")
    _metric_args(p)
    p.add_argument("--window", nargs=2, required=True, metavar=("START", "END"), help="half-open [START, END)")
    p.add_argument("--baseline", choices=BASELINES, default="expected")
    p.add_argument("--dims", required=True, help="comma-separated dimension columns")
    p.add_argument("--max-dims", type=int, default=3, help="largest combination searched (default 3)")
    p.add_argument(
        "--max-culprits",
        type=int,
        default=10,
        help="most culprit segments named (default 10; each must stand out from ordinary noise)",
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_explain)

    p = subparsers.add_parser("alerts", help="alert rules")
    sub = p.add_subparsers(dest="alerts_command", metavar="ACTION", parser_class=type(p))
    c = sub.add_parser("check", help="evaluate RULES.json on the current data; exit 1 when any rule fires")
    c.add_argument("rules", metavar="RULES.json")
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.set_defaults(func=_alerts_check)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _metric_args(p) -> None:
    from workbench.cli.explore import add_encoding_argument
    from workbench.cli.workspace_option import add_workspace_option

    p.add_argument("path", metavar="PATH", nargs="?", help="(omit with --workspace)")
    add_encoding_argument(p)
    add_workspace_option(p)
    p.add_argument("--time", metavar="COL", help="time column (default: the only TIMESTAMP/DATE column)")
    p.add_argument(
        "--measure", default="count(*)", help="count(*), sum(COL), count_distinct(COL), ratio(NUM, DEN), ..."
    )
    p.add_argument("--filter", action="append", default=[], metavar="EXPR", help="e.g. 'country=BR' (repeatable)")


def _spec(args, table: str):
    from workbench.metrics import Filter, Measure, MetricSpec

    return MetricSpec(
        table=table,
        measure=Measure.parse(args.measure),
        time_column=args.time,
        filters=tuple(Filter.parse(t) for t in args.filter),
        breakdown=getattr(args, "by", None),
        top_n=getattr(args, "top", 10),
    )


def _session(args, command: str):
    from workbench.cli.workspace_option import open_session

    return open_session(args, [args.path], command)


def _dump(doc) -> None:
    print(json.dumps(doc, ensure_ascii=False, indent=2, default=str))


def _anomalies(args) -> int:
    from workbench.anomaly.detect import detect_frame
    from workbench.anomaly.params import DetectorParams
    from workbench.anomaly.run import AnomalyRun
    from workbench.anomaly.series import fetch_series

    params = DetectorParams(
        method=args.method,
        threshold=args.threshold,
        direction=args.direction,
        min_volume=args.min_volume,
        upper=args.upper,
        lower=args.lower,
    )
    from workbench.cli.workspace_option import protected_series

    session = _session(args, "anomalies")
    try:
        spec = _spec(args, session.source.name)
        frame, grain, query, protected = protected_series(session, spec, args.grain, fetch_series)
        confirm_unchanged(session.source)
    finally:
        session.close()
    session.record(
        query=query,
        protected=protected,
        description={
            "command": "anomalies",
            "measure": spec.measure.label,
            "grain": grain,
            "breakdown": spec.breakdown,
            "filters": [f.label for f in spec.filters],
        },
    )
    if frame.empty:
        from workbench.errors import SpecError

        raise SpecError("The metric has no data to detect on")
    det = detect_frame(frame, params, grain=None if grain == "raw" else grain)
    run = AnomalyRun(det, grain, query, spec.measure.label)  # what workbench.anomaly.run.run_anomalies returns
    det = run.detection
    if args.format == "json":
        _dump(run.to_dict(points=args.points))
        return 0
    print(f"{run.measure_label} at grain {grain}, method {params.method} (threshold {det.threshold:g})")
    if det.grain_reason:
        print(f"  grain {grain}: {det.grain_reason}")
    for note in det.notes:
        print(f"  note: {note}")
    for s, name in enumerate(det.names):
        incs = det.incidents_of(name)
        print(f"{name}: {len(incs)} incident(s), {int(det.flags[:, s].sum())} flagged point(s) [{det.baselines[s]}]")
        print(f"  model: {det.reasons[s]}")
        for inc in incs:
            print(
                f"  {inc.start} .. {inc.end}  {inc.direction:4s} {inc.severity:6s} peak {inc.peak_score:+.1f} "
                f"impact {inc.impact:+,.6g} [{inc.impact_low:+,.6g}, {inc.impact_high:+,.6g}]"
            )
    return 0


def _explain(args) -> int:
    from workbench.anomaly.root_cause import explain

    session = _session(args, "explain")
    try:
        spec = _spec(args, session.source.name)
        rc = explain(
            session.con,
            spec,
            tuple(args.window),
            [d for d in args.dims.split(",")],
            baseline=args.baseline,
            max_dims=args.max_dims,
            max_culprits=args.max_culprits,
        )
        confirm_unchanged(session.source)
        from workbench.protection.segment_cells import protect_root_cause

        rc, hidden, statement = protect_root_cause(session.con, spec, rc, session.policy)
    finally:
        session.close()
    session.record(query=";\n".join(rc.sql))
    if session.policy.active:
        print(f"workbench: {statement}", file=sys.stderr)
    marker = f"<{session.policy.k}"
    if args.format == "json":
        doc = rc.to_dict()
        for seg in doc["ranked"] + doc["culprit_details"]:
            if seg["label"] in hidden:
                seg["hidden"] = marker
        _dump(doc)
        return 0
    print(
        f"{spec.measure.label} {rc.window[0]} .. {rc.window[1]} vs {rc.baseline} "
        f"({rc.baseline_window[0]} .. {rc.baseline_window[1]})"
    )
    if "(all)" in hidden:
        print(f"actual {marker} rows in the window: values hidden")
    else:
        print(
            f"actual {rc.actual:,.6g}  expected {rc.expected:,.6g}  impact {rc.impact:+,.6g} "
            f"[{rc.impact_low:+,.6g}, {rc.impact_high:+,.6g}]"
        )
    if rc.rate_actual is not None:
        print(
            f"rate {rc.rate_expected:.6g} -> {rc.rate_actual:.6g}: rate component {rc.rate_component:+.3g}, "
            f"mix component {rc.mix_component:+.3g}"
        )
    print(f"verdict: {rc.verdict}")
    for note in rc.notes:
        print(f"  note: {note}")
    print("ranked segments:")
    for seg in rc.ranked[:10]:
        if seg.label in hidden:
            print(f"  {seg.label:50s} {marker} rows: values hidden")
            continue
        print(
            f"  {seg.label:50s} fit {seg.fit:5.2f}  EP {seg.explanatory_power:6.1%}  surprise {seg.surprise:.4f}  "
            f"impact {seg.impact:+,.6g}"
        )
    return 0


def _alerts_check(args) -> int:
    from workbench.anomaly.alerts import check_rules

    results = check_rules(args.rules)
    fired = any(r.fired for r in results)
    if args.format == "json":
        _dump({"fired": fired, "rules": [r.to_dict() for r in results]})
    else:
        for r in results:
            state = "SNOOZED" if r.snoozed else "FIRED" if r.fired else "ok"
            print(f"[{state}] {r.rule.name}")
            for s in r.series:
                if s["fired"]:
                    print(f"    {s['series']}: latest {s['latest_value']}  conditions {s['conditions']}")
            for inc in r.incidents:
                print(
                    f"    incident {inc['series']} {inc['start']} .. {inc['end']} {inc['direction']} "
                    f"{inc['severity']} impact {inc['impact']}"
                )
            for note in r.notes:
                print(f"    note: {note}")
    return 1 if fired else 0
