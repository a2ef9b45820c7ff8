"""Agent tools over the deeper analyses: anomaly detection, root cause, experiment readouts, policy impact.

Each runs what the matching command runs (``workbench anomalies``, ``explain``, ``experiment``, ``impact``)
with the same protection, and returns a :class:`~workbench.mcp.guards.Released`.
"""

from __future__ import annotations

from workbench.mcp.guards import Released, check_row_cap, json_value, protected_series
from workbench.mcp.tools_explore import metric_spec


def detect_anomalies(session, args: dict) -> Released:
    from workbench.anomaly.detect import detect_frame
    from workbench.anomaly.params import DetectorParams
    from workbench.anomaly.run import AnomalyRun
    from workbench.errors import SpecError

    params = DetectorParams(
        method=args.get("method") or "auto",
        threshold=args.get("threshold"),
        direction=args.get("direction") or "both",
        upper=args.get("upper"),
        lower=args.get("lower"),
    )
    spec = metric_spec(session, args)
    cur = session.cursor()
    try:
        frame, grain, query, protected = protected_series(session, cur, spec, args.get("grain") or "auto")
    finally:
        cur.close()
    if frame.empty:
        raise SpecError("The metric has no data to detect on")
    points = bool(args.get("points"))
    if points:
        check_row_cap(session, len(frame), "leave 'points' off (incidents only), a coarser grain, or fewer series")
    det = detect_frame(frame, params, grain=None if grain == "raw" else grain)
    run = AnomalyRun(det, grain, query, spec.measure.label)  # what `workbench anomalies --format json` prints
    doc = json_value(run.to_dict(points=points))
    _add_explain_windows(doc, det.index, spec.breakdown)
    statement = protected.statement if protected is not None else session.policy.statement()
    doc["protection"] = statement
    incidents = len(det.incidents)  # the document lists them per series
    check_row_cap(session, incidents, "a higher threshold or a coarser grain")
    return Released(
        doc,
        len(frame) if points else incidents,
        protected.hidden if protected else 0,
        protected.perturbed if protected else 0,
        statement,
        [query],
    )


def _add_explain_windows(doc: dict, index, breakdown: str | None) -> None:
    """Give each incident the arguments explain_incident takes for it, as the Anomalies tab passes them: the
    window ends one bucket after the incident's last point, and a broken-down series becomes a filter."""
    import pandas as pd

    step = index[1] - index[0] if len(index) > 1 else pd.Timedelta(hours=1)
    for series in doc.get("series") or []:
        for inc in series.get("incidents") or []:
            explain = {"window_start": inc["start"], "window_end": (pd.Timestamp(inc["end"]) + step).isoformat()}
            if breakdown and str(inc.get("series", series.get("series"))) not in ("all", "Other"):
                explain["filters"] = [f"{breakdown}={inc.get('series', series.get('series'))}"]
            inc["explain_with"] = explain


def explain_incident(session, args: dict) -> Released:
    from workbench.analysis.anomalies import RootCauseAnalysis
    from workbench.protection.segment_cells import protect_root_cause

    spec = metric_spec(session, {**args, "by": None})
    source = session.source(spec.table)
    for dim in args["dims"]:
        source.column(dim)
    analysis = RootCauseAnalysis(
        spec, (args["window_start"], args["window_end"]), tuple(args["dims"]), args.get("baseline") or "expected"
    )
    cur = session.cursor()
    try:
        rc = analysis.run(cur).value
        rc, hidden, statement = protect_root_cause(cur, spec, rc, session.policy)
    finally:
        cur.close()
    doc = json_value(rc.to_dict())
    marker = f"<{session.policy.k}"
    for seg in doc.get("ranked", []) + doc.get("culprit_details", []):
        if seg.get("label") in hidden:
            seg["hidden"] = marker  # as `workbench explain --format json` marks it
    doc["protection"] = statement
    rows = len(doc.get("ranked", []))
    check_row_cap(session, rows, "fewer dimensions")
    return Released(doc, rows, len(hidden), 0, statement, list(rc.sql))


def experiment_readout(session, args: dict) -> Released:
    from workbench.analysis.readout import ExperimentReadout
    from workbench.experiments.spec import ExperimentSpec, parse_metric, parse_weights
    from workbench.protection.readout_cells import protect_readout

    source = session.source(args.get("table"))
    spec = ExperimentSpec(
        table=source.name,
        unit=args.get("unit") or "user_id",
        arm=args.get("arm") or "arm",
        control=args.get("control") or "control",
        metrics=tuple(parse_metric(t) for t in args["metrics"]),
        weights=parse_weights(args.get("weights")),
        segment=args.get("segment"),
        alpha=float(args.get("alpha") or 0.05),
        correction=args.get("correction") or "bh",
    )
    spec.validate()
    cur = session.cursor()
    try:
        readout = ExperimentReadout(spec).run(cur).value
    finally:
        cur.close()
    data, hidden = protect_readout(readout.data, session.policy)
    doc = json_value(data)
    statement = data.get("protection") or session.policy.statement()
    doc["protection"] = statement
    rows = len(doc.get("metrics") or []) * max(len(doc.get("arms") or []) - 1, 1)  # one comparison per arm
    return Released(doc, rows, int(hidden or 0), 0, statement, list(readout.sql))


def policy_impact(session, args: dict) -> Released:
    from workbench.analysis.impact import ImpactReadout
    from workbench.causal.panel import ImpactSpec
    from workbench.metrics import Filter, Measure

    source = session.source(args.get("table"))
    spec = ImpactSpec(
        table=source.name,
        time_column=args["time_column"],
        measure=Measure.parse(args["measure"]),
        grain=args["grain"],
        unit=args["unit"],
        treated=tuple(args.get("treated") or ()),
        start=args.get("start"),
        cohort=args.get("cohort"),
        method=args.get("method") or "all",
        controls=tuple(args["controls"]) if args.get("controls") else None,
        end=args.get("end"),
        filters=tuple(Filter.parse(t) for t in args.get("filters") or ()),
    )
    cur = session.cursor()
    try:
        result = ImpactReadout(spec).run(cur).value
    finally:
        cur.close()
    doc = json_value(result.doc)
    # Released as `workbench impact` releases them: model estimates, with no cell-level protection of their own.
    doc["protection"] = session.policy.statement()
    rows = len(doc.get("event_study") or []) + 1
    return Released(doc, rows, 0, 0, doc["protection"], [result.doc.get("sql") or ""])
