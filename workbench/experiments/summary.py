"""Readout as a flat table (CSV, the panel's results table) and as plain text (CLI, "Copy readout")."""

from __future__ import annotations

import csv
import io

from workbench.experiments.verdicts import fmt_num, fmt_pct

ROW_FIELDS = (
    "metric",
    "type",
    "arm",
    "control",
    "n_control",
    "n_treatment",
    "control_value",
    "treatment_value",
    "abs_diff",
    "abs_ci_low",
    "abs_ci_high",
    "rel_lift",
    "rel_ci_low",
    "rel_ci_high",
    "p_value",
    "p_value_adjusted",
    "chance_to_beat_control",
    "cuped_abs_diff",
    "cuped_p_value",
    "variance_reduction",
    "verdict",
    "guardrail",
    "guardrail_status",
    "reason",
)


def result_rows(data: dict) -> list[dict]:
    """One row per (metric, treatment arm) with the headline numbers."""
    rows = []
    control = data["control_arm"]
    for name, block in data["metrics"].items():
        definition = block.get("definition", {})
        for arm, c in block["comparisons"].items():
            aci, rci = c.get("abs_ci95") or [None, None], c.get("rel_ci95") or [None, None]
            cup = c.get("cuped") or {}
            g = c.get("guardrail") or {}
            rows.append(
                {
                    "metric": name,
                    "type": block["type"],
                    "arm": arm,
                    "control": control,
                    "n_control": c.get("n_control"),
                    "n_treatment": c.get("n_treatment"),
                    "control_value": c.get("control_value"),
                    "treatment_value": c.get("treatment_value"),
                    "abs_diff": c.get("abs_diff"),
                    "abs_ci_low": aci[0],
                    "abs_ci_high": aci[1],
                    "rel_lift": c.get("rel_lift"),
                    "rel_ci_low": rci[0],
                    "rel_ci_high": rci[1],
                    "p_value": c.get("p_value"),
                    "p_value_adjusted": c.get("p_value_adjusted"),
                    "chance_to_beat_control": c.get("chance_to_beat_control"),
                    "cuped_abs_diff": cup.get("abs_diff"),
                    "cuped_p_value": cup.get("p_value"),
                    "variance_reduction": cup.get("variance_reduction"),
                    "verdict": c.get("verdict"),
                    "guardrail": bool(definition.get("guardrail")),
                    "guardrail_status": g.get("status"),
                    "reason": c.get("reason"),
                }
            )
    return rows


def readout_csv(data: dict) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=ROW_FIELDS, lineterminator="\n")
    w.writeheader()
    for r in result_rows(data):
        w.writerow({k: ("" if v is None else v) for k, v in r.items()})
    return buf.getvalue()


def _p(x) -> str:
    return "n/a" if x is None else (f"{x:.2g}" if x < 0.001 else f"{x:.3f}")


def readout_text(data: dict) -> str:
    """A readable summary: health first (loud), then one block per metric and arm."""
    lines = []
    srm = data["srm"]
    obs = ", ".join(f"{a}={n:,}" for a, n in srm["observed"].items())
    lines.append(
        f"Experiment on {data.get('table', '?')}: {len(data['arms'])} arms, control {data['control_arm']!r}; units {obs}"
    )
    if srm.get("flag"):
        lines.append(
            f"!! SAMPLE RATIO MISMATCH: chi2 = {srm['chi2']:.2f}, p = {_p(srm['p_value'])} — the split is broken; "
            "results are not trustworthy until the cause is found."
        )
    else:
        lines.append(f"Sample ratio: ok (chi2 p = {_p(srm.get('p_value'))})")
    for w in data.get("health", {}).get("warnings", []):
        if not w.startswith("Sample ratio mismatch"):
            lines.append(f"!  {w}")
    corr = data.get("multiple_testing", {}).get("method", "none")
    lines.append("")
    for r in result_rows(data):
        tag = {"good": "[better]", "bad": "[WORSE]", "inconclusive": "[inconclusive]", "undefined": "[no test]"}.get(
            r["verdict"], ""
        )
        g = " guardrail" + (f": {r['guardrail_status']}" if r["guardrail_status"] else "") if r["guardrail"] else ""
        lines.append(f"{r['metric']} ({r['type']}{g}) — {r['arm']} vs {r['control']} {tag}")
        lines.append(
            f"   control {fmt_num(r['control_value'])} (n={r['n_control']:,}), {r['arm']} {fmt_num(r['treatment_value'])} (n={r['n_treatment']:,})"
        )
        if r["abs_diff"] is not None:
            lines.append(
                f"   diff {fmt_num(r['abs_diff'])} [{fmt_num(r['abs_ci_low'])}, {fmt_num(r['abs_ci_high'])}]; "
                f"lift {fmt_pct(r['rel_lift'], 2)} [{fmt_pct(r['rel_ci_low'], 2)}, {fmt_pct(r['rel_ci_high'], 2)}]"
            )
            lines.append(
                f"   p = {_p(r['p_value'])}"
                + (f", adjusted ({corr}) {_p(r['p_value_adjusted'])}" if r["p_value_adjusted"] is not None else "")
                + (
                    f"; chance to beat control {100 * r['chance_to_beat_control']:.1f}%"
                    if r["chance_to_beat_control"] is not None
                    else ""
                )
            )
        if r["cuped_abs_diff"] is not None:
            vr = r["variance_reduction"]
            lines.append(
                f"   CUPED diff {fmt_num(r['cuped_abs_diff'])}, p = {_p(r['cuped_p_value'])}"
                + (f", variance reduction {100 * vr:.0f}%" if vr is not None else "")
            )
        if r["reason"]:
            lines.append(f"   note: {r['reason']}")
    seg = data.get("segments")
    if seg:
        lines.append("")
        lines.append(
            f"Segments by {seg['column']} (exploratory; {seg['correction']} within {seg['family_size']} segment tests):"
        )
        for entry in seg["values"]:
            if entry.get("hidden"):  # withheld by the protection policy (too few units in an arm)
                lines.append(f"   {entry['segment']}: fewer than {entry['hidden'][1:]} units in an arm — withheld")
                continue
            flag = " SRM!" if entry["srm"].get("flag") else ""
            parts = []
            for name, block in entry["metrics"].items():
                for arm, c in block["comparisons"].items():
                    parts.append(
                        f"{name}/{arm} {fmt_pct(c.get('rel_lift'))} p={_p(c.get('p_value_adjusted', c.get('p_value')))}"
                    )
            lines.append(f"   {entry['segment']}{flag}: " + "; ".join(parts))
    return "\n".join(lines) + "\n"
