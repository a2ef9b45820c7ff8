"""Multiple-testing corrections (§3.7): Benjamini-Hochberg, Holm, Bonferroni.

Hand-written (they are short) and checked in the tests against statsmodels ``multipletests`` and
GrowthBook's published vectors. Null p-values are left out of the family and stay null.
"""

from __future__ import annotations


def bonferroni(p: list[float]) -> list[float]:
    m = len(p)
    return [min(1.0, m * x) for x in p]


def holm(p: list[float]) -> list[float]:
    """Holm step-down: sorted ascending, adj_i = max_{j<=i} min(1, (m-j) p_(j))."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def bh(p: list[float]) -> list[float]:
    """Benjamini-Hochberg step-up: adj_(i) = min_{j>=i} min(1, m p_(j) / j)."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out = [0.0] * m
    running = 1.0
    for rank in range(m - 1, -1, -1):
        i = order[rank]
        running = min(running, min(1.0, m * p[i] / (rank + 1)))
        out[i] = running
    return out


METHODS = {"bh": bh, "holm": holm, "bonferroni": bonferroni}


def adjust(p_values: list[float | None], method: str) -> list[float | None]:
    """Adjusted p-values in input order; ``None`` entries are not in the family and stay ``None``."""
    idx = [i for i, x in enumerate(p_values) if x is not None]
    out: list[float | None] = [None] * len(p_values)
    if method == "none":
        return list(p_values)
    adj = METHODS[method]([float(x) for x in p_values if x is not None]) if idx else []
    for i, a in zip(idx, adj):
        out[i] = a
    return out


def family(members: list[tuple[str, str]], p_values: list[float | None]) -> dict:
    """The §4 FAMILY block: members with defined p-values and all three corrections."""
    keep = [(m, p) for m, p in zip(members, p_values) if p is not None]
    ps = [p for _, p in keep]
    return {
        "members": [list(m) for m, _ in keep],
        "p_values": ps,
        "bh": bh(ps) if ps else [],
        "bonferroni": bonferroni(ps) if ps else [],
        "holm": holm(ps) if ps else [],
    }
