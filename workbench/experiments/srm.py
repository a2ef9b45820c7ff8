"""Sample ratio mismatch: Pearson chi-square of units per arm against the intended split (§3.6)."""

from __future__ import annotations

from workbench.errors import SpecError


def srm_test(observed: dict[str, int], weights: dict[str, float] | None = None, threshold: float = 0.001) -> dict:
    """Chi-square goodness of fit of ``observed`` unit counts against ``weights`` (equal when empty).

    Returns the §4 ``srm`` block plus ``flag`` (p below ``threshold``, GrowthBook's 0.001) and ``reason``
    when the test is undefined (fewer than two arms, no units).
    """
    from scipy.stats import chi2

    arms = list(observed)
    weights = dict(weights or {})
    unknown = sorted(set(weights) - set(arms))
    missing = sorted(set(arms) - set(weights)) if weights else []
    if weights and missing:
        raise SpecError(
            f"Intended weights are missing arm(s) {', '.join(missing)}; give a weight for every arm ({', '.join(arms)})"
        )
    w = {a: float(weights.get(a, 1.0)) for a in arms}
    total_w = sum(w.values())
    n_total = int(sum(observed.values()))
    out = {
        "n_total": n_total,
        "observed": {a: int(observed[a]) for a in arms},
        "intended_weights": {a: w[a] / total_w for a in arms} if total_w else {},
        "expected_counts": None,
        "chi2": None,
        "df": len(arms) - 1,
        "p_value": None,
        "flag": False,
        "threshold": threshold,
    }
    if unknown:
        out["unused_weights"] = unknown
    if len(arms) < 2 or n_total == 0:
        out["reason"] = "needs at least two arms with units"
        return out
    expected = {a: n_total * w[a] / total_w for a in arms}
    stat = sum((observed[a] - expected[a]) ** 2 / expected[a] for a in arms)
    p = float(chi2.sf(stat, len(arms) - 1))
    out.update(expected_counts=expected, chi2=float(stat), p_value=p, flag=bool(p < threshold))
    return out
