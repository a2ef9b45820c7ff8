"""What a comparison means for a reader: good / bad / inconclusive, guardrail harm, and one sentence.

Shared by the CLI text output, the panel's colours and its tooltips, so they never disagree.
"""

from __future__ import annotations

from workbench.experiments.spec import MetricSpec


def verdict(m: MetricSpec, comparison: dict, alpha: float) -> str:
    """``good`` / ``bad`` (significant in the metric's better / worse direction, using the adjusted
    p-value when the metric is in the correction family), ``inconclusive``, or ``undefined``."""
    p = comparison.get("p_value_adjusted", comparison.get("p_value"))
    diff = comparison.get("abs_diff")
    if p is None or diff is None:
        return "undefined"
    if p >= alpha or diff == 0:
        return "inconclusive"
    better = diff > 0 if not m.lower_is_better else diff < 0
    return "good" if better else "bad"


def guardrail_status(m: MetricSpec, comparison: dict) -> dict:
    """Non-inferiority check of a guardrail on the relative lift.

    harm = relative change in the bad direction. With margin M (0 when not given):
    ``harmed`` when the whole CI of harm lies above M; ``non_inferior`` when it lies below M;
    ``inconclusive`` otherwise. ``flag`` is set when harmed or when harm is significant at all.
    """
    margin = m.margin or 0.0
    ci = comparison.get("rel_ci95")
    out = {"direction": m.direction, "margin": margin, "status": "undefined", "flag": False}
    if not ci:
        return out
    lo, hi = ci
    harm_lo, harm_hi = (-hi, -lo) if not m.lower_is_better else (lo, hi)
    if harm_lo > margin:
        status = "harmed"
    elif harm_hi < margin:
        status = "non_inferior"
    else:
        status = "inconclusive"
    out.update(status=status, harm_ci95=[harm_lo, harm_hi], flag=status == "harmed" or harm_lo > 0)
    return out


def fmt_pct(x: float | None, digits: int = 1) -> str:
    return "n/a" if x is None else f"{100 * x:+.{digits}f}%"


def fmt_num(x: float | None) -> str:
    if x is None:
        return "n/a"
    ax = abs(x)
    if ax != 0 and (ax >= 1e6 or ax < 1e-3):
        return f"{x:.3g}"
    return f"{x:,.4g}" if ax < 1000 else f"{x:,.0f}"


def sentence(metric: str, arm: str, control: str, m: MetricSpec, c: dict, alpha: float) -> str:
    """One sentence a reviewer can paste: what the treatment did to the metric, with the interval."""
    level = f"{100 * (1 - alpha):.0f}%"
    if c.get("abs_diff") is None or c.get("p_value") is None:
        why = c.get("reason") or "not enough data"
        return f"{arm} vs {control} on {metric}: no test possible ({why})."
    rel, ci = c.get("rel_lift"), c.get("rel_ci95")
    if rel is not None and ci:
        verb = "raised" if rel > 0 else "lowered"
        body = f"{arm} {verb} {metric} by {abs(100 * rel):.1f}% ({level} CI {100 * ci[0]:.1f}% to {100 * ci[1]:.1f}%)"
    else:
        d, aci = c["abs_diff"], c.get("abs_ci95") or [None, None]
        verb = "raised" if d > 0 else "lowered"
        body = f"{arm} {verb} {metric} by {fmt_num(abs(d))} ({level} CI {fmt_num(aci[0])} to {fmt_num(aci[1])})"
    p = c.get("p_value_adjusted", c.get("p_value"))
    v = c.get("verdict", verdict(m, c, alpha))
    tail = {
        "good": "a significant improvement",
        "bad": "a significant change for the worse",
        "inconclusive": "not significant — could be noise",
    }.get(v, "undefined")
    adj = " adjusted" if "p_value_adjusted" in c else ""
    return f"{body} vs {control}; p{adj} = {p:.3g}: {tail}."
