"""An impact readout as an evidence-report section: the verdict, diagnostics, method notes and the tables
the replay script recomputes through the ``impact`` analysis recipe."""

from __future__ import annotations

from typing import Mapping

from workbench.analysis.impact import impact_tables

# Table part -> (caption, key columns, note). Keys are given explicitly: some are numbers (relative period).
_PARTS = {
    "estimates": (
        "Estimates",
        ["method"],
        "DiD: two-way fixed effects, SE clustered by unit (CR1), CI and p from t "
        "with G−1 df. Synthetic control: p is the placebo rank. Callaway-Sant'Anna: no SE.",
    ),
    "event_study": (
        "Event study (reference period −1)",
        ["relative period"],
        "One coefficient per period relative to the start, same clustered SEs.",
    ),
    "weights": ("Synthetic-control donor weights", ["donor"], "Non-negative, summing to one, fitted before the start."),
    "gap": ("Synthetic-control gap", ["period"], "Treated minus synthetic control, every period."),
    "group_time": (
        "Group-time effects ATT(g,t)",
        ["cohort", "period"],
        "Each cohort against never-treated units, from the period before it started.",
    ),
    "its": (
        "Interrupted time series: actual vs projection",
        ["period"],
        "Weaker evidence: no control units; the band is the model's 95% prediction interval.",
    ),
    "diagnostics": ("Diagnostics", ["code"], "What makes the estimate fragile, and what to do about it."),
}


def impact_section(doc: Mapping, recipe: Mapping, *, title: str, image_png: bytes | None = None, description: str = ""):
    """A ReportSection for an impact readout document (``ImpactResult.doc``) and its recipe
    (``ImpactReadout(spec).to_dict()``)."""
    from workbench.report import ReportSection, ReportTable

    paras = [description] if description else []
    start = doc.get("treatment_start") or "each unit's own start (cohort column)"
    paras.append(
        f"Impact on {doc['measure']} by {doc['unit']} ({doc['grain']}): {len(doc['treated'])} treated "
        f"unit(s) ({', '.join(doc['treated'][:10])}), {len(doc['controls'])} control unit(s), start {start}."
    )
    paras.append(doc["verdict"])
    for d in doc.get("diagnostics", []):
        paras.append(f"{d['severity'].capitalize()}: {d['message']} What to do: {d['what_to_do']}")
    tables = impact_tables(doc)
    tabs = [
        ReportTable(_PARTS[part][0], frame, part=part, keys=_PARTS[part][1], note=_PARTS[part][2])
        for part, frame in tables.items()
    ]
    spec = recipe["spec"]
    notes = {
        "Data": f"table {spec['table']}; time {spec['time_column']}; unit {spec['unit']}; one value of "
        f"{doc['measure']} per unit and {doc['grain']} (DuckDB date_trunc; empty cells left out)",
        "Design": (
            f"treated {', '.join(doc['treated'])} from {doc['treatment_start']}"
            if doc.get("treatment_start")
            else f"staggered adoption, cohort column {spec['cohort']}; never-treated units as controls"
        ),
        "Methods": ", ".join(k for k in ("did", "event_study", "synthetic", "staggered", "its") if k in doc),
    }
    return ReportSection(
        title,
        text="\n\n".join(paras),
        image_png=image_png,
        show_table=False,
        method_notes=notes,
        sql=doc.get("sql"),
        recipe=dict(recipe),
        tables=tabs,
    )
