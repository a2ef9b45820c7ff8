"""The cell-key method (as in the Australian Bureau of Statistics' TableBuilder).

Every row carries a fixed pseudo-random *record key* in [0, 1); a cell's key is the sum of its rows' keys
mod 1; a perturbation table (*ptable*) maps (cell count, cell key) to a small integer added to the count.
The same rows always give the same cell key, so the same cell always shows the same value however often it
is asked for, while two overlapping cells ("US or IS" and "US") get unrelated perturbations, so their
difference is noisy rather than the exact count of the cells they do not share.

Record keys
    ``hash(seed, every non-personal column of the row) / 2^64`` in DuckDB. The seed is a secret per workspace
    (or the installation's / the user's for work outside workspaces): without it nobody can compute the keys
    and undo the perturbation. The row's content is used because extracts have no stable row id: a row
    keeps its key when the file is re-sorted, re-partitioned or re-exported with the same content, and the
    same record in a later extract gets the same key. Personal-data columns are left out so that revealing
    one (which changes what the view returns) does not change any key. Identical rows share a key, which
    only means their keys are correlated, not that anything is revealed. Keys depend on DuckDB's ``hash``,
    so they stay the same while the DuckDB version does.
    For distinct counts (``count_distinct(user_id)``) the key is that of the unit value (``hash(seed, id)``)
    and the cell key sums each distinct unit once.

The ptable
    For a cell of n rows the perturbation p lies in [max(-n, -D), D], so no count turns negative; its
    distribution is the maximum-entropy one (q(p) ∝ exp(a·p + b·p²)) with mean 0 and variance V where the
    support allows (cells of fewer than D rows get the largest variance their support allows, still mean 0);
    empty cells stay empty. The cell key picks p by inverse CDF. Cells of at least D rows share one row
    of the table. Perturbed counts of 1..k-1 are then hidden as "<k" (see :mod:`.apply`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from workbench import sql

TWO_64 = "18446744073709551616.0"


@dataclass(frozen=True)
class PTable:
    """Perturbation table: for each n in 0..D (the last row also serves all larger cells), the
    perturbations and the cumulative probability bands of the cell key that select them."""

    max_perturbation: int
    variance: float
    rows: tuple[tuple[int, tuple[int, ...], tuple[float, ...]], ...]  # (n, perturbations, probabilities)

    def perturbation(self, n: int, cell_key: float) -> int:
        """The perturbation of a cell of ``n`` rows with key ``cell_key`` (the SQL does the same)."""
        _, values, probs = self.rows[min(int(n), self.max_perturbation)]
        cum = np.cumsum(probs)
        return int(values[int(np.searchsorted(cum, cell_key, side="right").clip(0, len(values) - 1))])

    def bands(self) -> list[tuple[int, float, float, int]]:
        """(n, lo, hi, p): a cell of n rows whose key is in [lo, hi) gets p."""
        out = []
        for n, values, probs in self.rows:
            lo = 0.0
            for i, (p, q) in enumerate(zip(values, probs)):
                hi = 1.0 if i == len(values) - 1 else lo + q
                if q > 0 and hi > lo:
                    out.append((n, lo, 2.0 if i == len(values) - 1 else hi, p))  # the last band takes key 1.0
                lo = hi
        return out

    def moments(self, n: int) -> tuple[float, float]:
        """Mean and variance of the perturbation of a cell of ``n`` rows."""
        _, values, probs = self.rows[min(int(n), self.max_perturbation)]
        v, q = np.array(values, float), np.array(probs)
        mean = float((v * q).sum())
        return mean, float(((v - mean) ** 2 * q).sum())


@lru_cache(maxsize=32)
def ptable(max_perturbation: int = 2, variance: float = 1.0) -> PTable:
    """The perturbation table for bound D = ``max_perturbation`` and target variance V."""
    d = int(max_perturbation)
    rows: list[tuple[int, tuple[int, ...], tuple[float, ...]]] = [(0, (0,), (1.0,))]
    for n in range(1, d + 1):
        values = np.arange(-min(n, d), d + 1)
        rows.append((n, tuple(int(v) for v in values), tuple(float(q) for q in _max_entropy(values, variance))))
    return PTable(d, float(variance), tuple(rows))


def _max_entropy(values: np.ndarray, variance: float) -> np.ndarray:
    """Probabilities on ``values`` with mean 0 and variance as close to ``variance`` as the support allows."""
    from scipy.optimize import least_squares

    v = values.astype(float)

    def dist(params):
        a, b = params
        z = a * v + b * v * v
        w = np.exp(z - z.max())
        return w / w.sum()

    def residual(params, target):
        q = dist(params)
        return [10.0 * (q * v).sum(), (q * v * v).sum() - target]

    best = None
    target = variance
    for _ in range(40):
        fit = least_squares(residual, x0=[0.0, -0.5 / target], args=(target,), xtol=1e-12, ftol=1e-12)
        q = dist(fit.x)
        if abs((q * v).sum()) < 1e-6 and abs((q * v * v).sum() - target) < 1e-6:
            best = q
            break
        target *= 0.9  # the support cannot carry this much variance at mean 0: ask for less
    if best is None:
        raise ValueError(f"no zero-mean perturbation on {values.tolist()}")  # cannot happen for n >= 1
    return best


def record_key_sql(seed: str, columns: list[str]) -> str:
    """SQL for a row's record key in [0, 1) from ``columns`` of the row (quoted here)."""
    args = ", ".join([sql.literal(seed)] + [sql.ident(c) for c in columns])
    return f"(hash({args}) / {TWO_64})"


def unit_key_sql(seed: str, column: str) -> str:
    """SQL for the key of a unit (for distinct counts); NULL units have no key."""
    c = sql.ident(column)
    return f"CASE WHEN {c} IS NULL THEN NULL ELSE hash({sql.literal(seed)}, {c}) / {TWO_64} END"


def ptable_values_sql(table: PTable) -> str:
    """The ptable as a VALUES list with columns (pt_n, pt_lo, pt_hi, pt_p)."""
    rows = ", ".join(f"({n}, {lo!r}, {hi!r}, {p})" for n, lo, hi, p in table.bands())
    return f"(VALUES {rows}) AS __pt(pt_n, pt_lo, pt_hi, pt_p)"


def perturbed_join_sql(cells_sql: str, table: PTable) -> str:
    """Join a cell table (with ``n`` and ``key_sum`` columns) to the ptable: adds ``cell_key`` and
    ``perturbation``. The cell key is the fractional part of the sum of record keys."""
    d = int(table.max_perturbation)
    return (
        f"SELECT c.*, c.key_sum - floor(c.key_sum) AS cell_key, coalesce(__pt.pt_p, 0) AS perturbation "
        f"FROM ({cells_sql}) c LEFT JOIN {ptable_values_sql(table)} "
        f"ON __pt.pt_n = least(c.n, {d}) AND (c.key_sum - floor(c.key_sum)) >= __pt.pt_lo "
        f"AND (c.key_sum - floor(c.key_sum)) < __pt.pt_hi"
    )
