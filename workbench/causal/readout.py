"""The impact readout as text: verdict, each estimate, then the diagnostics with what to do."""

from __future__ import annotations

import math


def _n(x) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:.6g}"


def _ci(ci) -> str:
    return f"[{_n(ci[0])}, {_n(ci[1])}]"


def text_readout(doc: dict, max_rows: int = 40) -> str:
    lines = [f"Impact of the change on {doc['measure']} by {doc['unit']} ({doc['grain']})"]
    start = doc.get("treatment_start") or "per unit (--cohort)"
    lines.append(
        f"  start {start}; treated {len(doc['treated'])}: {', '.join(doc['treated'][:10])}"
        + (" ..." if len(doc["treated"]) > 10 else "")
    )
    lines.append(
        f"  controls {len(doc['controls'])}: {', '.join(doc['controls'][:10])}"
        + (" ..." if len(doc["controls"]) > 10 else "")
    )
    lines += ["", "Verdict: " + doc["verdict"], ""]
    if "did" in doc:
        d = doc["did"]
        lines.append(f"Difference-in-differences (two-way fixed effects, SE clustered by {doc['unit']})")
        lines.append(
            f"  att {_n(d['att'])}  se {_n(d['se'])}  95% CI {_ci(d['ci95'])}  p {_n(d['p_value'])}"
            f"  ({d['n_units']} units x {d['n_periods']} periods)"
        )
    if "event_study" in doc:
        rows = doc["event_study"]
        lines.append(f"Event study (reference period -1); pre-trend test p {_n(doc.get('pretrend_p_value'))}")
        shown = (
            rows
            if len(rows) <= max_rows
            else [r for r in rows if -max_rows // 2 <= r["relative_period"] < max_rows // 2]
        )
        for r in shown:
            lines.append(f"  {r['relative_period']:>5}  {_n(r['estimate']):>12}  {_ci(r['ci95'])}")
        if len(shown) < len(rows):
            lines.append(f"  ({len(rows) - len(shown)} more relative periods in --format json)")
    if "synthetic" in doc:
        s = doc["synthetic"]
        lines.append("Synthetic control (donor weights >= 0, summing to 1, fitted before the start)")
        lines.append(
            f"  att {_n(s['att'])}  pre RMSPE {_n(s['pre_rmspe'])}  post RMSPE {_n(s['post_rmspe'])}"
            f"  placebo p {_n(s['placebo_p_value'])}"
        )
        top = sorted(s["weights"].items(), key=lambda kv: -kv[1])
        lines.append("  weights: " + ", ".join(f"{k} {v:.3f}" for k, v in top if v >= 0.0005))
    if "staggered" in doc:
        s = doc["staggered"]
        lines.append("Staggered adoption (Callaway & Sant'Anna, never-treated controls)")
        lines.append(
            f"  att (simple aggregation) {_n(s['att'])} over {len(s['group_time'])} group-time cells"
            + (f"; TWFE gives {_n(s['twfe_att'])}" if "twfe_att" in s else "")
        )
        for c in s["group_time"][:max_rows]:
            lines.append(f"  cohort {c['cohort']}  period {c['period']}  {_n(c['att'])}")
        lines.append("  " + s["why_twfe_differs"])
    if "its" in doc:
        t = doc["its"]
        lines.append(f"Interrupted time series ({t['model']}; {t['evidence']})")
        lines.append(
            f"  mean effect {_n(t['att'])}  cumulative {_n(t['cumulative_effect'])} "
            f"{_ci(t['cumulative_ci95'])}  relative {_n(t['relative_effect'])} {_ci(t['relative_ci95'])}"
        )
    for s in doc.get("skipped", []):
        lines.append(f"Not computed: {s}")
    if doc.get("diagnostics"):
        lines += ["", "Diagnostics"]
        for d in doc["diagnostics"]:
            lines.append(f"  [{d['severity']}] {d['message']}")
            lines.append(f"      what to do: {d['what_to_do']}")
    return "\n".join(lines) + "\n"
