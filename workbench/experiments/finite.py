"""Refuse metrics whose per-arm sums are not finite numbers.

A NaN or an infinity in one unit's value, or a value so large that its square overflows (1e308), turns the
arm's sums into NaN/inf and every statistic after them into nonsense. Saying which column holds what is
the only useful answer: there is no honest mean of a column with an infinity in it.
"""

from __future__ import annotations

import math
import re

from workbench import sql
from workbench.backend import Cursor
from workbench.engine import run_query
from workbench.errors import SpecError
from workbench.experiments.spec import ExperimentSpec

_METRIC_KEY = re.compile(r"^(?:m|cov)(\d+)_")


def _bad_metric_indexes(overall: dict[str, dict]) -> list[int]:
    bad = set()
    for sums in overall.values():
        for key, value in sums.items():
            m = _METRIC_KEY.match(key)
            if m and isinstance(value, float) and not math.isfinite(value):
                bad.add(int(m.group(1)))
    return sorted(bad)


def check_finite_sums(cur: Cursor, spec: ExperimentSpec, overall: dict[str, dict]) -> None:
    """Raise SpecError naming the metric and column when any arm's sums are NaN or infinite."""
    bad = _bad_metric_indexes(overall)
    if not bad:
        return
    m = spec.metrics[bad[0]]
    columns = list(dict.fromkeys(m.columns()))
    exprs = []
    for j, c in enumerate(columns):
        v = f"CAST({sql.ident(c)} AS DOUBLE)"
        exprs += [
            f"count(*) FILTER (WHERE isnan({v})) AS nan{j}",
            f"count(*) FILTER (WHERE isinf({v})) AS inf{j}",
            f"max(abs({v})) FILTER (WHERE isfinite({v})) AS big{j}",
        ]
    row = run_query(cur, f"SELECT {', '.join(exprs)} FROM {sql.ident(spec.table)}").to_pylist()[0]
    problems = []
    for j, c in enumerate(columns):
        parts = [f"{row[f'{k}{j}']:,} {label}" for k, label in (("nan", "NaN"), ("inf", "infinite")) if row[f"{k}{j}"]]
        if parts:
            problems.append(f"column {c!r} holds {' and '.join(parts)} value(s)")
        elif row[f"big{j}"] is not None and row[f"big{j}"] > 1e150:
            problems.append(f"column {c!r} holds values too large to square (up to {row[f'big{j}']:.3g})")
    detail = "; ".join(problems) or "its values overflow when summed"
    raise SpecError(
        f"Metric {m.name!r}: {detail} — its sums are not finite, so no statistic can be computed; "
        "clean the column (drop or NULL those values) or rescale it"
    )
