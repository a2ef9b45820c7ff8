"""Bayesian chance to beat control (§3.9): Gaussian on the lift, exact Beta-binomial for rates."""

from __future__ import annotations

import math

# Above this many successes the exact sum gets slow; the Gaussian answer is then indistinguishable.
EXACT_BETA_LIMIT = 2_000_000


def gaussian_block(comparison: dict, alpha: float = 0.05) -> dict:
    """GrowthBook's default engine: improper flat prior, posterior N(estimate, se^2)."""
    from scipy.stats import norm

    def chance(est, se):
        if est is None or se is None or se <= 0:
            return None
        return float(norm.cdf(est / se))

    return {
        "prior": "improper_flat",
        "chance_to_beat_control_rel": chance(comparison.get("rel_lift"), comparison.get("rel_se")),
        "chance_to_beat_control_abs": chance(comparison.get("abs_diff"), comparison.get("abs_se")),
        "rel_ci95": comparison.get("rel_ci95"),
    }


def gaussian_with_prior(estimate: float, se: float, prior_mean: float, prior_var: float) -> tuple[float, float, float]:
    """Posterior mean, sd and chance to win for a proper normal prior on the lift."""
    from scipy.stats import norm

    precision = 1 / se**2 + 1 / prior_var
    mean = (estimate / se**2 + prior_mean / prior_var) / precision
    sd = math.sqrt(1 / precision)
    return mean, sd, float(norm.cdf(mean / sd))


def beta_binomial_chance(x_t: int, n_t: int, x_c: int, n_c: int, prior=(1.0, 1.0)) -> float | None:
    """P(p_t > p_c) with independent Beta(a + x, b + n - x) posteriors, by Evan Miller's closed form in
    log space (exact for integer posterior alpha of the treatment arm)."""
    import numpy as np
    from scipy.special import betaln, logsumexp

    a0, b0 = prior
    a_t, b_t = a0 + x_t, b0 + n_t - x_t
    a_c, b_c = a0 + x_c, b0 + n_c - x_c
    if a_t != int(a_t) or a_t > EXACT_BETA_LIMIT:
        return None
    i = np.arange(int(a_t), dtype=float)
    terms = betaln(a_c + i, b_c + b_t) - np.log(b_t + i) - betaln(1 + i, b_t) - betaln(a_c, b_c)
    return float(min(1.0, math.exp(logsumexp(terms))))
