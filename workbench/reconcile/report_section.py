"""Evidence-report sections for a reconciliation and for data-quality checks.

Only counts reach the report (the summary, changes per column, each rule's status and failing-row count):
sampled rows are row-level data and stay in the app, where masking applies. Both sections carry their
recipe, so the replay script recomputes the same tables.
"""

from __future__ import annotations

from typing import Mapping


def reconcile_section(result, recipe: Mapping, *, title: str, description: str = ""):
    """A ReportSection for a :class:`~workbench.analysis.base.AnalysisResult` of a ReconcileView."""
    from workbench.report import ReportSection, ReportTable

    value = result.value
    paras = [description] if description else []
    notes = {}
    if "groups" in result.tables:
        spec = value.spec
        paras.append(
            f"Totals of {', '.join(spec.measures) or 'rows'} by {', '.join(spec.dims) or '(everything)'} in "
            f"{spec.table_a} (A) and {spec.table_b} (B): {value.groups:,} groups, "
            f"{value.groups_differing:,} differ beyond the tolerance."
        )
        tables = [
            ReportTable(
                "Totals by group (differing groups first)",
                result.tables["groups"],
                part="groups",
                keys=list(spec.dims) or None,
            )
        ]
        notes["Method"] = (
            "sum per group on each side, full outer join of the groups; Δ = B − A, Δ% = Δ / |A|; "
            f"equal when |Δ| ≤ {spec.options.abs_tol:g} + {spec.options.rel_tol:g} · max(|A|, |B|)"
        )
    else:
        spec = value.spec
        verdict = "The two tables differ." if value.differs else "The two tables agree."
        paras.append(
            f"{spec.table_a} (A, {value.rows_a:,} rows) against {spec.table_b} (B, {value.rows_b:,} rows) "
            f"on {', '.join(spec.key)}: {value.matched:,} matched, {value.only_a:,} only in A, "
            f"{value.only_b:,} only in B, {value.rows_changed:,} matched rows with a changed value. {verdict}"
        )
        paras += list(value.notes)
        if value.schema.only_a or value.schema.only_b:
            paras.append(
                f"Columns only in A: {', '.join(value.schema.only_a) or 'none'}; only in B: "
                f"{', '.join(value.schema.only_b) or 'none'}."
            )
        tables = [
            ReportTable("Summary", result.tables["summary"], part="summary", keys=[]),
            ReportTable(
                "Changed values per column (of the matched rows)",
                result.tables["columns"],
                part="columns",
                keys=["column"],
            ),
        ]
        o = spec.options
        notes["Method"] = (
            "full outer join on the key in DuckDB; keys repeated on either side are counted and left "
            "out of the matching; NULL equals NULL; numbers equal when |a − b| ≤ "
            f"{o.abs_tol:g} + {o.rel_tol:g} · max(|a|, |b|)"
            + ("; text compared case-insensitively" if o.ignore_case else "")
            + ("; text trimmed" if o.trim else "")
        )
    return ReportSection(
        title,
        text="\n\n".join(paras),
        show_table=False,
        method_notes=notes,
        sql=";\n\n".join(result.sql),
        recipe=dict(recipe),
        tables=tables,
    )


def checks_section(result, recipe: Mapping, *, title: str, description: str = ""):
    """A data-quality ReportSection for an AnalysisResult of a ChecksRun."""
    from workbench.report import ReportSection, ReportTable

    results = result.value
    failed = [r for r in results if r.status == "fail"]
    warned = [r for r in results if r.status == "warn"]
    paras = [description] if description else []
    paras.append(
        f"Data quality of {recipe.get('table')}: {len(results)} rule(s), {len(results) - len(failed) - len(warned)} "
        f"passed, {len(warned)} warned, {len(failed)} failed."
    )
    for r in failed + warned:
        paras.append(f"{r.status.upper()}: {r.rule.text} — {r.message}.")
    notes = {
        "Method": "every rule of the table evaluated in one aggregate scan in DuckDB (GROUPING SETS); NULLs do not fail "
        "accepted_values, between or regex; unique counts the rows that share a duplicated key",
    }
    if recipe.get("as_of"):
        notes["Reference time"] = f"freshness measured against {recipe['as_of']}"
    table = ReportTable("Rules", result.tables["rules"], part="rules", keys=["rule"])
    return ReportSection(
        title,
        text="\n\n".join(paras),
        show_table=False,
        method_notes=notes,
        sql=";\n\n".join(result.sql),
        recipe=dict(recipe),
        tables=[table],
    )
