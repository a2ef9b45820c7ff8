"""One metric, one group of rows: per-arm summaries and treatment-vs-control comparisons.

Turns a group's sufficient statistics (overall, one day's cumulative sums, or one segment) into the
CONVENTIONS.md §4 ``per_arm`` and ``COMPARISON`` blocks for each metric type.
"""

from __future__ import annotations

from typing import Any, cast

from workbench.errors import SpecError
from workbench.experiments.bayes import beta_binomial_chance, gaussian_block
from workbench.experiments.cuped import cuped_comparison, ratio_adjusted_comparison
from workbench.experiments.frequentist import (
    proportion_test,
    quantile_test,
    ratio_test,
    ratio_variance_delta,
    welch_test,
)
from workbench.experiments.moments import Bivariate, Moments, MultiMoments
from workbench.experiments.sequential import sequential_block
from workbench.experiments.spec import ExperimentSpec, MetricSpec
from workbench.experiments.sufficient import RA_VARS


def _g(sums: dict, key: str):
    v = sums.get(key)
    return 0 if v is None else v


def arm_summary(i: int, m: MetricSpec, sums: dict, shifts: dict, quantile: dict | None = None) -> dict:
    """Per-arm block of metric ``i`` from one group's sums (plus internal ``_moments`` for the tests)."""
    p = f"m{i}"
    units = int(_g(sums, "units"))
    n = int(_g(sums, f"{p}_n"))
    if m.type in ("mean", "quantile"):
        mo = Moments.from_sums(n, _g(sums, f"{p}_s1"), _g(sums, f"{p}_s2"), shifts.get(f"__y{i}", 0.0))
        out: dict[str, Any] = {
            "n": n,
            "n_null": units - n,
            "sum": mo.total if n else 0.0,
            "mean": mo.mean,
            "variance": mo.var,
        }
        _add_covariate_moments(out, i, m, sums, shifts, units)
        if m.type == "quantile":
            q = quantile or {}
            est, ci = q.get("estimate"), q.get("ci")
            out.update(quantile=m.quantile, estimate=est, ci95=ci)
            from workbench.experiments.frequentist import _z

            out["se"] = (ci[1] - ci[0]) / (2 * _z(0.05)) if ci and None not in ci else None
        out["_moments"] = mo
        out["value"] = out.get("estimate") if m.type == "quantile" else mo.mean
        return out
    if m.type == "proportion":
        successes = float(_g(sums, f"{p}_s1"))
        # Present whenever n > 0, the only case in which they are compared.
        lo, hi = cast(float, sums.get(f"{p}__min")), cast(float, sums.get(f"{p}__max"))
        if n and (lo < 0 or hi > 1 or abs(float(_g(sums, f"{p}_s2")) - successes) > 1e-9 * max(1.0, successes)):
            raise SpecError(
                f"Metric {m.name!r} is a proportion but its values are not all 0/1 (range {lo:g} to {hi:g}); "
                "use type mean, or agg=any to count a unit once"
            )
        rate = successes / n if n else None
        out = {
            "n": n,
            "n_null": units - n,
            "successes": int(round(successes)),
            "rate": rate,
            "variance_binomial": rate * (1 - rate) if rate is not None else None,
            "variance_ddof1": rate * (1 - rate) * n / (n - 1) if rate is not None and n >= 2 else None,
        }
        _add_covariate_moments(out, i, m, sums, shifts, units)
        out["value"] = rate
        return out
    # ratio: numerator is "y", denominator "x" of a bivariate
    bi = Bivariate.from_sums(
        n,
        _g(sums, f"{p}_sn"),
        _g(sums, f"{p}_snn"),
        _g(sums, f"{p}_sd"),
        _g(sums, f"{p}_sdd"),
        _g(sums, f"{p}_snd"),
        shifts.get(f"__n{i}", 0.0),
        shifts.get(f"__d{i}", 0.0),
    )
    ratio = bi.y.total / bi.x.total if n and bi.x.total else None
    vd = ratio_variance_delta(bi.y.mean, bi.x.mean, bi.y.var, bi.x.var, bi.cov) if n >= 2 else None
    out = {
        "n": n,
        "n_null": units - n,
        "sum_numerator": bi.y.total if n else 0.0,
        "sum_denominator": bi.x.total if n else 0.0,
        "mean_numerator": bi.y.mean,
        "mean_denominator": bi.x.mean,
        "var_numerator": bi.y.var,
        "var_denominator": bi.x.var,
        "cov_num_den": bi.cov,
        "ratio": ratio,
        "variance_delta": vd,
    }
    if m.covariate:
        ra = MultiMoments.from_sums(
            _g(sums, f"{p}r_c"), sums, f"{p}r", RA_VARS, tuple(shifts.get(f"__{v}{i}", 0.0) for v in RA_VARS)
        )
        out["n_missing_covariate"] = n - ra.n
        out["_ra"] = ra
    out["value"] = ratio
    return out


def _add_covariate_moments(out: dict, i: int, m: MetricSpec, sums: dict, shifts: dict, units: int) -> None:
    """Complete-case (metric, covariate) moments for CUPED on a mean or proportion metric."""
    if not m.covariate:
        return
    p = f"m{i}"
    out["n_missing_covariate"] = units - int(_g(sums, f"{p}_xn"))
    out["_cc"] = Bivariate.from_sums(
        _g(sums, f"{p}_cn"),
        _g(sums, f"{p}_cy"),
        _g(sums, f"{p}_cyy"),
        _g(sums, f"{p}_cx"),
        _g(sums, f"{p}_cxx"),
        _g(sums, f"{p}_cxy"),
        shifts.get(f"__y{i}", 0.0),
        shifts.get(f"__x{i}", 0.0),
    )


def public(block: dict) -> dict:
    """Drop the internal keys (leading underscore) before JSON output."""
    return {k: v for k, v in block.items() if not k.startswith("_")}


def per_unit_variance(m: MetricSpec, a: dict):
    """The per-unit variance the relative lift and power use for this metric type."""
    if m.type == "proportion":
        return a.get("variance_binomial")
    if m.type == "ratio":
        return a.get("variance_delta")
    return a.get("variance")


def compare_arms(
    m: MetricSpec, t: dict, c: dict, arms: tuple[str, str], spec: ExperimentSpec, full: bool = True
) -> dict:
    """Treatment-vs-control comparison block for one metric; ``full`` adds CUPED, sequential and Bayesian parts."""
    alpha = spec.alpha
    if m.type == "mean":
        tm, cm = t["_moments"], c["_moments"]
        out = (
            welch_test(tm.mean, tm.var, tm.n, cm.mean, cm.var, cm.n, alpha)
            if tm.n and cm.n
            else welch_test(0.0, None, tm.n, 0.0, None, cm.n, alpha)
        )
    elif m.type == "proportion":
        out = proportion_test(t["successes"], t["n"], c["successes"], c["n"], alpha)
    elif m.type == "ratio":
        out = ratio_test(t["ratio"], t["variance_delta"], t["n"], c["ratio"], c["variance_delta"], c["n"], alpha)
    else:
        out = quantile_test(t.get("estimate"), t.get("se"), t["n"], c.get("estimate"), c.get("se"), c["n"], alpha)
    out["n_control"], out["n_treatment"] = c["n"], t["n"]
    out["control_value"], out["treatment_value"] = c.get("value"), t.get("value")
    if not full:
        return out
    if m.type in ("mean", "proportion") and m.covariate:
        out["cuped"] = cuped_comparison(
            t["_cc"], c["_cc"], m.covariate, arms, alpha, dist="t" if m.type == "mean" else "z"
        )
    elif m.type == "ratio" and m.covariate:
        out["cuped"] = ratio_adjusted_comparison(t["_ra"], c["_ra"], m.covariate, arms, alpha)
    if m.type == "proportion":
        chance = beta_binomial_chance(t["successes"], t["n"], c["successes"], c["n"]) if t["n"] and c["n"] else None
        out["bayes_beta_binomial"] = {"prior": [1.0, 1.0], "chance_to_beat_control": chance}
    out["sequential"] = sequential_block(out, t["n"] + c["n"], alpha, spec.sequential_tuning)
    out["bayes_gaussian"] = gaussian_block(out, alpha)
    return out


def chance_to_beat_control(m: MetricSpec, comparison: dict) -> float | None:
    """Headline Bayesian number: exact Beta-binomial for rates, Gaussian on the relative lift otherwise;
    flipped for lower-is-better metrics so it always means "chance the treatment is better"."""
    chance = None
    bb = comparison.get("bayes_beta_binomial")
    if bb and bb.get("chance_to_beat_control") is not None:
        chance = bb["chance_to_beat_control"]
    elif comparison.get("bayes_gaussian"):
        g = comparison["bayes_gaussian"]
        chance = g.get("chance_to_beat_control_rel")
        if chance is None:
            chance = g.get("chance_to_beat_control_abs")
    if chance is not None and m.lower_is_better:
        chance = 1 - chance
    return chance
