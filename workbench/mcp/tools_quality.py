"""Agent tools over the data-quality analyses: reconcile two tables, run checks on one.

Each runs the recipe ``workbench reconcile`` / ``workbench check`` runs (:class:`ReconcileView`,
:class:`ChecksRun`) on the open tables; sample rows come from the masked views and count toward the row cap.
Unlike the command line, a check's ``references`` rule may name only an open table (no other file).
"""

from __future__ import annotations

from workbench.mcp.guards import Released, ToolRefused, check_row_cap, json_value, records

MAX_SAMPLES = 20


def _pairs(names) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``["id", "a=b"]`` -> (A names, B names): ``A=B`` when a column is renamed in B."""
    a, b = [], []
    for name in names:
        left, sep, right = str(name).partition("=")
        a.append(left.strip() if sep else str(name))
        b.append(right.strip() if sep else str(name))
    return tuple(a), tuple(b)


def reconcile(session, args: dict) -> Released:
    from workbench.analysis.reconcile import ReconcileView
    from workbench.errors import SpecError
    from workbench.reconcile.aggregate import AggregateSpec
    from workbench.reconcile.keyed import ReconcileSpec
    from workbench.reconcile.schema import CompareOptions

    a, b = session.source(args["table_a"]).name, session.source(args["table_b"]).name
    options = CompareOptions(
        float(args.get("abs_tol") or 0.0),
        float(args.get("rel_tol") or 0.0),
        bool(args.get("ignore_case")),
        bool(args.get("trim")),
    )
    if args.get("key"):
        key_a, key_b = _pairs(args["key"])
        columns = _pairs(args["columns"]) if args.get("columns") else None
        col_a = columns[0] if columns else None
        mapping = [tuple(m.split("=", 1)) for m in args.get("map") or ()]
        if columns:
            mapping += [(x, y) for x, y in zip(*columns) if x != y]
        samples = int(args.get("samples", 5))
        spec = ReconcileSpec(
            a,
            b,
            key_a,
            key_b if key_b != key_a else None,
            col_a,
            tuple(dict(mapping).items()),
            options,
            max(1, samples),
        )
        view = ReconcileView(keyed=spec)
    elif args.get("measures"):
        samples = 0
        view = ReconcileView(
            aggregate=AggregateSpec(a, b, tuple(args["measures"]), tuple(args.get("by") or ()), options)
        )
    else:
        raise SpecError("Give 'key' to match rows, or 'measures' (and 'by') to compare totals")
    cur = session.cursor()
    try:
        result = view.run(cur, session.catalog)
    finally:
        cur.close()
    res = result.value
    if args.get("key"):
        doc = json_value(res.to_json())
        if samples == 0:
            doc["samples"] = {}
        sampled = doc.get("samples") or {}
        rows = len(sampled.get("only_a", [])) + len(sampled.get("only_b", []))
        rows += sum(len(v) for v in (sampled.get("changed") or {}).values())
        check_row_cap(session, rows, "fewer samples")
    else:
        totals = view.aggregate
        assert totals is not None
        frame, hidden = _protect_totals(session, res.frame, list(totals.dims))
        doc = {
            "dims": list(totals.dims),
            "measures": list(totals.measures),
            "groups": res.groups,
            "groups_differing": res.groups_differing,
            "rows": records(frame),
        }
        rows = len(frame)
        check_row_cap(session, rows, "fewer 'by' dimensions")
    doc["differs"] = bool(res.differs)
    statement = session.policy.statement()
    if args.get("key"):  # counts of matched and changed rows, released as `workbench reconcile` releases them
        doc["protection"] = statement + " Sample rows are read through the masked views."
        return Released(doc, rows, 0, 0, doc["protection"], list(result.sql))
    doc["protection"] = statement + (f" {hidden} group(s) of fewer than k rows on a side hidden." if hidden else "")
    return Released(doc, rows, hidden, 0, doc["protection"], list(result.sql))


def _protect_totals(session, frame, dims: list[str]):
    """Totals by group are cells: a group with fewer than k rows in A or in B (and the complementary groups
    that would give it away) is hidden, as an exported table of totals would be."""
    import numpy as np

    from workbench.privacy import suppress

    policy = session.policy
    if not policy.active or frame.empty or not dims:
        return frame, 0
    a = frame["rows_a"].fillna(0).to_numpy(dtype=float)
    b = frame["rows_b"].fillna(0).to_numpy(dtype=float)
    smallest = np.where((a > 0) & (b > 0), np.minimum(a, b), np.maximum(a, b))  # a side with no rows reveals no one
    work = frame.copy()
    work["__rows"] = smallest
    values = [c for c in frame.columns if c not in dims and c != "differs"]
    res = suppress(work, "__rows", policy.k, dims=dims, value_columns=values)
    return res.frame.drop(columns="__rows"), int(res.suppressed.sum())


def run_checks(session, args: dict) -> Released:
    from workbench.analysis.checks import ChecksRun
    from workbench.checks import parse_rule

    source = session.source(args.get("table"))
    rules = [parse_rule(text) for text in args["rules"]]
    references = []
    for rule in rules:
        if rule.kind == "references":
            target = rule.params["to"]
            if target not in session.catalog:
                raise ToolRefused(
                    f"{rule.text}: 'references' may name only an open table (see list_sources), not {target!r}"
                )
            references.append((target, target))
    samples = int(args.get("samples", 5))
    view = ChecksRun(source.name, tuple(rules), samples, tuple(dict(references).items()))
    cur = session.cursor()
    try:
        result = view.run(cur, session.catalog)
    finally:
        cur.close()
    checked = [json_value(r.to_json()) for r in result.value]
    rows = sum(len(r.get("sample") or []) for r in checked)
    check_row_cap(session, rows, "fewer samples")
    doc = {
        "table": source.name,
        "rules": checked,
        "failed": sum(r["status"] == "fail" for r in checked),
        "warned": sum(r["status"] == "warn" for r in checked),
        "protection": session.policy.statement() + " Failing-row samples are read through the masked views.",
    }
    return Released(doc, max(rows, len(checked)), 0, 0, doc["protection"], list(result.sql))
