"""Staggered adoption: Callaway & Sant'Anna (2021) group-time effects with never-treated controls.

ATT(g, t) = [mean_{cohort g}(y_t) - mean_{cohort g}(y_{g-1})] - [mean_{never}(y_t) - mean_{never}(y_{g-1})]
for every cohort g that has a period g-1 in the data and every period t >= g; the "simple" aggregation
weights each cell by its cohort's size. Two-way fixed effects on the same design is biased when effects
change over time since adoption: already-treated units then serve as controls for later cohorts
("forbidden comparisons") and some cells get negative weights; these 2x2 comparisons never use them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.causal.panel import Panel, step_index

WHY_TWFE_DIFFERS = (
    "Two-way fixed effects pools every 2x2 comparison, including ones where units treated earlier act as "
    "controls for units treated later; when the effect grows or fades after adoption those comparisons "
    "subtract part of the effect (some cells even get negative weight), so TWFE can be biased. The "
    "Callaway-Sant'Anna estimate compares each cohort only with never-treated units, from the period "
    "just before it started."
)


def staggered(panel: Panel) -> dict:
    """Group-time ATT(g,t) cells (post periods only) and their cohort-size-weighted average ``att``."""
    wide = panel.frame.pivot(index="unit", columns="period", values="y").sort_index(axis=1)
    periods = list(wide.columns)
    steps = dict(zip(periods, step_index(periods, panel.grain)))
    never = [u for u in panel.controls if u in wide.index]
    cohorts = sorted({c for c in panel.cohorts.values() if c is not None})
    cells, sizes, dropped = [], [], []
    for g in cohorts:
        members = [u for u in panel.treated if panel.cohorts[u] == g and u in wide.index]
        g_step = int(step_index([g], panel.grain)[0])
        base = [p for p in periods if steps[p] == g_step - 1]
        if not base:  # treated from the first period on: nothing to compare with
            dropped.append(f"{g:%Y-%m-%d}")
            continue
        b = base[0]
        before_treated = (wide.loc[members, b]).mean()
        before_never = (wide.loc[never, b]).mean()
        for t in periods:
            if t < g:
                continue
            att = (wide.loc[members, t].mean() - before_treated) - (wide.loc[never, t].mean() - before_never)
            if pd.isna(att):
                continue
            cells.append({"cohort": f"{g:%Y-%m-%d}", "period": f"{t:%Y-%m-%d}", "att": float(att)})
            sizes.append(len(members))
    att = float(np.average([c["att"] for c in cells], weights=sizes)) if cells else None
    return {
        "att": att,
        "group_time": cells,
        "n_cohorts": len(cohorts) - len(dropped),
        "dropped_cohorts": dropped,
        "why_twfe_differs": WHY_TWFE_DIFFERS,
    }
