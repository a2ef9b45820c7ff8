"""``workbench impact``: the effect of a change that was never A/B tested (DiD, event study, synthetic
control, staggered adoption, interrupted time series) as an ``impact/1`` JSON document or a text readout."""

from __future__ import annotations

import json
import math


def register(subparsers) -> None:
    from workbench.causal import GRAINS, METHODS

    p = subparsers.add_parser("impact", help="policy impact without an A/B test: DiD, event study, synthetic control")
    from workbench.cli.explore import add_encoding_argument
    from workbench.cli.workspace_option import add_workspace_option

    p.add_argument("path", metavar="PATH", nargs="?", help="(omit with --workspace)")
    add_workspace_option(p)
    add_encoding_argument(p)
    p.add_argument("--time", required=True, metavar="COL", help="time column (DATE, TIMESTAMP, epoch or ISO text)")
    p.add_argument(
        "--measure",
        required=True,
        help="count(*), sum(COL), mean(COL), ratio(NUM, DEN), ... (as for `workbench metric`)",
    )
    p.add_argument("--grain", required=True, choices=GRAINS)
    p.add_argument("--unit", required=True, metavar="COL", help="the column whose values are treated or not")
    p.add_argument("--treated", metavar="V[,V...]", help="treated unit values")
    p.add_argument("--start", metavar="DATE", help="first day of the change (bucketed to the grain)")
    p.add_argument("--cohort", metavar="COL", help="staggered adoption: each unit's start date (empty: never treated)")
    p.add_argument("--method", choices=METHODS, default="all")
    p.add_argument("--controls", metavar="V,...", help="control units (default: every other unit)")
    p.add_argument("--end", metavar="DATE", help="exclusive end of the analysed time range")
    p.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="EXPR",
        help="row filter as for `workbench metric` (repeatable, AND-ed)",
    )
    p.add_argument("--format", choices=("json", "text"), default="text")
    p.set_defaults(func=_impact)


def _values(text: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in text.split(",") if v.strip()) if text else ()


def _clean(obj):
    """JSON-safe: NaN/inf become null (JSON has neither)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def _impact(args) -> int:
    from workbench.causal.impact import run_impact
    from workbench.causal.panel import ImpactSpec
    from workbench.causal.readout import text_readout
    from workbench.cli.workspace_option import open_session
    from workbench.metrics import Filter, Measure

    measure = Measure.parse(args.measure)
    filters = tuple(Filter.parse(text) for text in args.filter)
    session = open_session(args, [args.path], "impact")
    try:
        spec = ImpactSpec(
            table=session.source.name,
            time_column=args.time,
            measure=measure,
            grain=args.grain,
            unit=args.unit,
            treated=_values(args.treated),
            start=args.start,
            cohort=args.cohort,
            method=args.method,
            controls=_values(args.controls) or None,
            end=args.end,
            filters=filters,
        )
        result = run_impact(session.con, spec)
    finally:
        session.close()
    session.record(query=result.doc.get("sql"))
    doc = _clean(result.doc)
    if args.format == "json":
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print(text_readout(doc), end="")
    return 0
