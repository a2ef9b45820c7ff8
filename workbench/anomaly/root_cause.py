"""Root cause by dimension: which segments (values and combinations of up to three dimensions) explain an
incident, scored like ThirdEye/Adtributor (explanatory power, JS surprise) and HotSpot/Squeeze ("only this
segment changed" fit of a ripple model: a segment's leaves all move by the segment's own ratio, the rest
stay at baseline). The fit's loss is the two-sample Poisson deviance, so it is noise-aware on sparse
counts (a segment of 3 events per day is judged by its total, not by thousands of 0/1 leaves), and a more
specific segment must beat a simpler one by more than chance at the ordinary-day dispersion.

Several culprits: explain-and-remove. The best segment is named, its leaves are set aside, and the rest
is searched again, while the next best segment still removes clearly more deviance than the best chance
segment of an ordinary day (1.5x at its own depth for the first, 3x at any depth for each further one).
"Global" is said only when the whole population moving together fits best. Without history before the
baseline, the ordinary day is simulated from the window's own leaves (:mod:`rca_noise`), including noise
that grows faster than counts (proportional forecast error), which then reweighs the deviance.

The extract is scanned once (leaf cube: every dimension combination, actual vs baseline period); element
sums come from one GROUPING SETS query over that small leaf table per greedy step. Python only sees
aggregates.

Baselines
---------
expected : the detector's expected total for the window (robust seasonal baseline of the total series),
           spread over leaves by the mix of the same hours one day earlier, carried forward by each
           dimension value's share trend (additive measures; shrunk toward no trend for sparse values), so
           a version mid-roll-out is not blamed for its own growth.
previous : the immediately preceding period of the same length.
day      : the same hours one day earlier (whole days for longer windows).
week     : the same hours one week earlier.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench import metrics
from workbench.anomaly import rca_noise, rca_sql
from workbench.backend import ENGINE_ERRORS, Cursor, translate_error
from workbench.errors import SpecError

BASELINES = ("expected", "previous", "day", "week")
_FIT_TOLERANCE = 0.03  # a simpler segment within 3 % of a more specific one's fit wins (parsimony)
# A further culprit must remove this many times the deviance of an ordinary day's best segment of any depth.
_NEXT_NOISE_FACTOR = 3.0
_NEW_VALUE_RATIO = 0.02  # baseline below 2 % of actual: the value is new since the baseline
_NEW_VALUE_SHARE = 0.01  # ... when it holds at least 1 % of the window's total
_Z95 = 1.959963984540054
# A culprit must remove at least this many times the deviance that the best segment of its depth removes
# when the baseline is compared with the period before it (an ordinary day: noise plus roll-out drift).
_NOISE_FACTOR = 1.5
_KEEP_GAIN_GAP = 0.25  # ... and only while the simpler one keeps at least 75 % of the best one's gain
_MAX_LOG_TREND = math.log(4.0)  # mix forecast: a value's share moves at most x4 beyond the baseline
_DEBUG = False


@dataclass(frozen=True)
class Segment:
    """One ranked segment: ``element`` maps dimension -> value ({} = everything)."""

    element: dict
    fit: float  # share of the leaf deviance removed if only this segment changed (1 = perfect)
    explanatory_power: float  # share of the total change inside the segment
    surprise: float  # Jensen-Shannon term of the segment's share, baseline vs actual
    actual: float
    expected: float
    impact: float
    impact_low: float
    impact_high: float
    change_pct: float | None
    is_new: bool = False
    rate_component: float | None = None  # ratio metrics: change of the overall rate from this segment's rate
    mix_component: float | None = None  # ... and from this segment's share of the denominator
    affected: int | None = None  # count-distinct measures: distinct ids in the segment during the window

    @property
    def label(self) -> str:
        return " & ".join(f"{k}={v}" for k, v in self.element.items()) or "(all)"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["label"] = self.label
        for k, v in d.items():
            if isinstance(v, float) and not math.isfinite(v):
                d[k] = None
        return d


@dataclass
class RootCause:
    """Explanation of a change in a window against a baseline."""

    culprits: list[Segment]  # [] = global: no single segment
    ranked: list[Segment]  # top segments, children already explained by a parent removed
    verdict: str
    kind: str  # "additive", "rate change" or "mix shift"
    baseline: str
    window: tuple[dt.datetime, dt.datetime]
    baseline_window: tuple[dt.datetime, dt.datetime]
    actual: float
    expected: float
    impact: float
    impact_low: float
    impact_high: float
    rate_actual: float | None = None
    rate_expected: float | None = None
    rate_component: float | None = None
    mix_component: float | None = None
    new_values: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)

    @property
    def is_global(self) -> bool:
        return not self.culprits

    def culprit_elements(self) -> list[dict]:
        return [dict(c.element) for c in self.culprits]

    def to_dict(self) -> dict:
        def clean(v):
            return None if isinstance(v, float) and not math.isfinite(v) else v

        return {
            "culprits": [c.element for c in self.culprits],
            "culprit_details": [c.to_dict() for c in self.culprits],
            "global": self.is_global,
            "verdict": self.verdict,
            "kind": self.kind,
            "baseline": self.baseline,
            "window": [self.window[0].isoformat(), self.window[1].isoformat()],
            "baseline_window": [self.baseline_window[0].isoformat(), self.baseline_window[1].isoformat()],
            "actual": clean(self.actual),
            "expected": clean(self.expected),
            "impact": clean(self.impact),
            "impact_interval": [clean(self.impact_low), clean(self.impact_high)],
            "rate_actual": clean(self.rate_actual),
            "rate_expected": clean(self.rate_expected),
            "rate_component": clean(self.rate_component),
            "mix_component": clean(self.mix_component),
            "ranked": [s.to_dict() for s in self.ranked],
            "new_values": self.new_values,
            "notes": self.notes,
            "sql": self.sql,
        }


def _ts(value) -> dt.datetime:
    try:
        return pd.Timestamp(value).to_pydatetime().replace(tzinfo=None)
    except (ValueError, TypeError):
        raise SpecError(f"Cannot read {value!r} as a date/time") from None


def baseline_window(baseline: str, start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The comparison period for ``baseline`` (same length as the window)."""
    length = end - start
    if baseline == "previous":
        shift = length
    elif baseline in ("day", "expected"):
        shift = dt.timedelta(days=max(1, math.ceil(length / dt.timedelta(days=1))))
    elif baseline == "week":
        shift = dt.timedelta(days=7 * max(1, math.ceil(length / dt.timedelta(days=7))))
    else:
        raise SpecError(f"Unknown baseline {baseline!r}; choose one of {', '.join(BASELINES)}")
    return start - shift, end - shift


def _df(cur, query: str) -> pd.DataFrame:
    try:
        return cur.sql(query).df()
    except ENGINE_ERRORS as exc:
        raise translate_error(exc) from exc


def _expected_scale(
    cur,
    spec: metrics.MetricSpec,
    start: dt.datetime,
    end: dt.datetime,
    base: tuple[dt.datetime, dt.datetime],
    notes: list[str],
) -> tuple[float | None, float | None]:
    """Detector expected total (additive) or mean rate (ratio) over the window, and the same statistic over
    the baseline window, from the total series; None when the detector has no expectation there."""
    from workbench.anomaly.detect import detect_frame

    grain = "hour" if (end - start) <= dt.timedelta(days=3) else "day"
    history = dt.timedelta(days=35) if grain == "hour" else dt.timedelta(days=120)
    series_spec = spec.replace(
        grain=grain, breakdown=None, start=max(start, dt.datetime.min + history) - history, end=end, compare=False
    )  # max(): no overflow before year 1
    result = metrics.metric_series(cur, series_spec)
    frame = result.frame
    if frame.empty:
        return None, None
    # The median baselines, not the count model's mean rate: root cause's noise gates were calibrated on
    # them (a mean-rate expectation is closer on flat sparse data, which lets a noise-level "change" through).
    det = detect_frame(frame, grain=grain, count_model=False)
    table = det.series_frame(det.names[0])
    in_w = (table["ts"] >= pd.Timestamp(start)) & (table["ts"] < pd.Timestamp(end))
    in_b = (table["ts"] >= pd.Timestamp(base[0])) & (table["ts"] < pd.Timestamp(base[1]))
    exp_w = table.loc[in_w, "expected"]
    if exp_w.isna().any() or not in_w.any():
        notes.append(
            "the detector has no expected value for this window (too little history); used the previous day as baseline"
        )
        return None, None
    if spec.measure.additive:
        return float(exp_w.sum()), float(table.loc[in_b, "actual"].sum())
    return float(exp_w.mean()), float(table.loc[in_b, "actual"].mean())


def _js(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        m = (p + q) / 2.0
        t1 = np.where(p > 0, p * np.log(p / m), 0.0)
        t2 = np.where(q > 0, q * np.log(q / m), 0.0)
    return 0.5 * (np.nan_to_num(t1) + np.nan_to_num(t2))


def _elements(cur, leaves: pd.DataFrame, n_dims: int, max_dims: int, ratio: bool, sqls: list[str]) -> pd.DataFrame:
    name = f"__wb_rca_leaves_{uuid.uuid4().hex[:8]}"
    cur.register(name, leaves)
    try:
        query = rca_sql.element_query(leaves_name=name, n_dims=n_dims, max_dims=max_dims, ratio=ratio)
        if sqls is not None:
            sqls.append(query)
        return _df(cur, query)
    finally:
        cur.unregister(name)


def _deviance(a, f, s: float) -> np.ndarray:
    """Two-sample Poisson deviance of actual ``a`` against baseline ``f`` (likelihood-ratio statistic).

    ``f`` is a baseline count scaled by ``s`` (raw baseline = f / s), so the baseline's own noise counts too:
    a sparse segment with f = 1, a = 4 is not a surprise, a dense one with f = 1000, a = 4000 is. Given
    a + f / s, the actual count is binomial with p0 = s / (1 + s) under "nothing changed". Zero baselines
    stay finite. Aggregating a segment can only lose deviance (log-sum inequality), so a parent whose
    children all moved alike keeps their whole deviance, and a parent with one moved child keeps at most
    that child's: the parsimony the ranking needs, at any count level.
    """
    a = np.maximum(np.asarray(a, dtype=float), 0.0)
    b = np.maximum(np.asarray(f, dtype=float), 0.0) / s
    n = a + b
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(a > 0, a * np.log(a * (1.0 + s) / (n * s)), 0.0)
        t2 = np.where(b > 0, b * np.log(b * (1.0 + s) / n), 0.0)
    return np.maximum(2.0 * (np.nan_to_num(t1) + np.nan_to_num(t2)), 0.0)


def _fit(el: pd.DataFrame, d0: float, s: float) -> np.ndarray:
    """Share of the total leaf deviance removed when only the element changes (ripple model: its leaves
    all move by the element's ratio). With the deviance as the loss this is exactly the element's own
    aggregate deviance over the leaves' total."""
    gain = _deviance(el["wa"].to_numpy(float), el["wf"].to_numpy(float), s)
    return gain / d0 if d0 > 0 else np.zeros(len(el))


def _mix_trend(leaves: pd.DataFrame, n_dims: int, new: str, old: str) -> np.ndarray:
    """Per-leaf multiplier that carries each dimension value's share trend (``old`` -> ``new`` period) one
    period forward: product over dimensions of the value's share ratio, shrunk toward 1 by how far its
    change stands out from count noise (James-Stein style: deviance D keeps 1 - 3 / D of the log ratio)
    and capped at x4 either way. Sparse or steady values get ~1."""
    log_m = np.zeros(len(leaves))
    tot_new, tot_old = float(leaves[new].sum()), float(leaves[old].sum())
    if tot_new <= 0 or tot_old <= 0:
        return np.ones(len(leaves))
    s = tot_new / tot_old
    for i in range(n_dims):
        col = rca_sql.dim_alias(i)
        g = leaves.groupby(col, sort=False)[[new, old]].sum()
        fn, fo = g[new].to_numpy(float), g[old].to_numpy(float) * s
        with np.errstate(divide="ignore", invalid="ignore"):
            lr = np.log((fn + 0.5) / (fo + 0.5))
        d = _deviance(fn, fo, s)
        w = np.clip(1.0 - 3.0 / np.maximum(d, 1e-12), 0.0, 1.0)
        step = pd.Series(np.clip(w * lr, -_MAX_LOG_TREND, _MAX_LOG_TREND), index=g.index)
        log_m += leaves[col].map(step).to_numpy(float)
    return np.exp(log_m)


def _rate_baseline(f_num, f_den, a_den) -> np.ndarray:
    """Numerator expected at each leaf's baseline rate and actual volume (leaves without a baseline rate
    use the overall baseline rate)."""
    f_num, f_den, a_den = (np.asarray(v, dtype=float) for v in (f_num, f_den, a_den))
    overall = f_num.sum() / f_den.sum() if f_den.sum() else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(f_den > 0, f_num / f_den, overall)
    return np.nan_to_num(rate) * a_den


def _work(leaves: pd.DataFrame, dims: list[str], kind: str, a: str, f: str) -> pd.DataFrame:
    """Leaf table (d0.., a, f) of what is searched, comparing period ``a`` with period ``f``."""
    work = pd.DataFrame({rca_sql.dim_alias(i): leaves[rca_sql.dim_alias(i)] for i in range(len(dims))})
    if kind == "additive":
        work["a"], work["f"] = leaves[f"{a}_num"].to_numpy(float), leaves[f"{f}_num"].to_numpy(float)
        return work
    if kind == "mix shift":
        work["a"], work["f"] = leaves[f"{a}_den"].to_numpy(float), leaves[f"{f}_den"].to_numpy(float)
    else:
        work["a"] = leaves[f"{a}_num"].to_numpy(float)
        work["f"] = _rate_baseline(leaves[f"{f}_num"], leaves[f"{f}_den"], leaves[f"{a}_den"])
    work["a_num"], work["f_num"] = leaves[f"{a}_num"].to_numpy(float), leaves[f"{f}_num"].to_numpy(float)
    work["a_den"], work["f_den"] = leaves[f"{a}_den"].to_numpy(float), leaves[f"{f}_den"].to_numpy(float)
    return work


def _scored_elements(
    cur, work: pd.DataFrame, dims: list[str], max_dims: int, ratio: bool, sqls: list[str], s: float = 1.0
) -> pd.DataFrame:
    """Element sums (one GROUPING SETS query) with element dicts, depth and ripple fit."""
    n_dims = len(dims)
    el = _elements(cur, work, n_dims, max_dims, ratio, sqls)
    present = [tuple(_present(int(g), n_dims)) for g in el["gid"]]
    el["element"] = [_element_dict(row, dims, list(p)) for row, p in zip(el.to_dict("records"), present)]
    el["n"] = [len(p) for p in present]
    # Total deviance is summed over leaves (the finest level); "dev" of the root row carries it.
    d0 = float(_deviance(work["wa"].to_numpy(float), work["wf"].to_numpy(float), s).sum())
    el.loc[el["n"] == 0, "dev"] = d0
    el["fit"] = _fit(el, d0, s)
    return el


def _chance_gains(
    con, work_normal: pd.DataFrame, dims: list[str], max_dims: int, ratio: bool, s: float
) -> tuple[float, float, dict[int, float]]:
    """Ordinary-day total deviance, its best segment's gain, and the best gain per depth (<= k)."""
    el_normal = _scored_elements(con, work_normal, dims, max_dims, ratio, [], s)
    d_normal = float(el_normal[el_normal["n"] == 0].iloc[0]["dev"])
    if d_normal <= 0:
        return d_normal, 0.0, {k: 0.0 for k in range(max_dims + 1)}
    g_normal = el_normal["fit"].to_numpy(float) * d_normal
    ok_normal = (el_normal["f"] > 0).to_numpy()
    # ... per depth: a single-dimension pick competes with the few single-dimension values, not with the
    # thousands of 3-way combinations whose best chance deviance is much larger on sparse counts.
    by_depth = {
        k: float(np.nanmax(g_normal[ok_normal & (el_normal["n"] <= k).to_numpy()], initial=0.0))
        for k in range(max_dims + 1)
    }
    return d_normal, float(np.nanmax(g_normal[ok_normal], initial=0.0)), by_depth


def _element_dict(row, dims: list[str], gid_present: list[int]) -> dict:
    return {dims[i]: row[rca_sql.dim_alias(i)] for i in gid_present}


def _present(gid: int, n_dims: int) -> list[int]:
    # GROUPING(d0..dn-1): bit (n-1-i) is 1 when d_i is NOT grouped (rolled up).
    return [i for i in range(n_dims) if not (gid >> (n_dims - 1 - i)) & 1]


def _is_ancestor(parent: dict, child: dict) -> bool:
    return len(parent) < len(child) and all(child.get(k) == v for k, v in parent.items())


def _related(a: dict, b: dict) -> bool:
    return a == b or _is_ancestor(a, b) or _is_ancestor(b, a)


def _leaf_mask(leaves: pd.DataFrame, element: dict, dims: list[str]) -> np.ndarray:
    mask = np.ones(len(leaves), dtype=bool)
    for k, v in element.items():
        mask &= leaves[rca_sql.dim_alias(dims.index(k))].to_numpy() == v
    return mask


def explain(
    con: Cursor,
    spec: metrics.MetricSpec,
    window: tuple,
    dims: list[str],
    baseline: str = "expected",
    max_dims: int = 3,
    max_culprits: int = 10,
    top: int = 15,
) -> RootCause:
    """Explain the change of ``spec``'s measure in ``window`` = (start, end) (half-open) by ``dims``.

    Parameters
    ----------
    con : a cursor of the session connection.
    spec : the metric (table, measure, time column, filters); grain/breakdown are ignored.
    window : incident window; ``baseline`` picks the comparison (see module docstring).
    dims : dimension columns to search; combinations of up to ``max_dims`` of them are ranked.
    max_culprits : most segments named (each must stand out from ordinary noise; see module docstring).

    Returns
    -------
    RootCause with culprits ([] = global), ranked segments, impact with a 95 % interval, new values.
    """
    if baseline not in BASELINES:
        raise SpecError(f"Unknown baseline {baseline!r}; choose one of {', '.join(BASELINES)}")
    dims = list(dict.fromkeys(d.strip() for d in dims if d and d.strip()))
    if not dims:
        raise SpecError("Name at least one dimension to explain by")
    if int(max_culprits) < 1:
        raise SpecError("max_culprits must be at least 1")
    if len(dims) > 8:
        raise SpecError("At most 8 dimensions can be searched at once")
    measure = spec.measure
    if measure.agg not in ("count", "sum", "count_distinct", "ratio", "mean"):
        raise SpecError(f"Root cause needs a count, sum, count_distinct, mean or ratio measure, not {measure.agg}")
    start, end = _ts(window[0]), _ts(window[1])
    if not start < end:
        raise SpecError(f"The window must end after it starts ({start} .. {end})")
    r = metrics.resolve(con, spec.replace(breakdown=None))  # time expression, filters, operands
    columns = {c for c in metrics.table_columns(con, spec.table)}
    missing = [d for d in dims if d not in columns]
    if missing:
        raise SpecError(f"{spec.table} has no column(s) {', '.join(missing)}")
    notes: list[str] = []
    sqls: list[str] = []
    lo, hi = _df(con, rca_sql.data_bounds_query(table_name=spec.table, t_expr=r.t_expr, where=r.where)).iloc[0]
    if pd.isna(lo):
        raise SpecError("No rows match the metric's filters")
    if pd.Timestamp(start) > pd.Timestamp(hi) or pd.Timestamp(end) <= pd.Timestamp(lo):
        raise SpecError(f"The window {start} .. {end} is outside the data ({lo} .. {hi})")
    base = baseline_window(baseline, start, end)
    if pd.Timestamp(base[0]) < pd.Timestamp(lo):
        notes.append(f"the baseline period starts before the data ({lo}); it is partly empty")

    ratio = measure.agg in ("ratio", "mean")
    den_op: str | None
    if measure.agg == "mean":
        num_agg, num_op, den_op = "sum", r.operand, f"CAST({r.operand} IS NOT NULL AS INTEGER)"
    elif measure.agg == "ratio":
        num_agg, num_op, den_op = "sum", r.operand, r.denominator
    else:
        num_agg, num_op, den_op = measure.agg, r.operand, None
    shift = start - base[0]
    normal = (base[0] - shift, base[1] - shift)
    # The expected baseline forecasts the mix too (additive measures): one more period for the trend of
    # the ordinary-day comparison.
    trend = baseline == "expected" and not ratio
    before = (normal[0] - shift, normal[1] - shift) if trend else None
    q = rca_sql.leaf_query(
        table_name=spec.table,
        t_expr=r.t_expr,
        where=r.where,
        dims=dims,
        num_agg=num_agg,
        num_operand=num_op,
        den_operand=den_op,
        actual=(start, end),
        baseline=base,
        normal=normal,
        before=before,
    )
    sqls.append(q)
    leaves = _df(con, q)
    if leaves.empty:
        raise SpecError("No rows in the window or its baseline period")
    for c in (
        ("a_num", "f_num", "n_num") + (("m_num",) if trend else ()) + (("a_den", "f_den", "n_den") if ratio else ())
    ):
        leaves[c] = leaves[c].astype(float)
    if measure.agg == "count_distinct":
        notes.append(
            "distinct counts are treated as additive across segments for ranking; "
            "affected ids are counted exactly per culprit"
        )

    if not leaves["f_num"].abs().sum() and not (ratio and leaves["f_den"].abs().sum()):
        raise SpecError(
            f"The baseline period {base[0]} .. {base[1]} holds no data to compare the window with; "
            "choose a later window or another baseline"
        )
    short_history = rca_noise.history_is_missing(leaves, ratio)
    if short_history:
        leaves, note, redraw = rca_noise.simulate_before(leaves, ratio)
        notes.append(note)
    # Baseline level: the detector's expectation for the window, mix of the baseline period.
    raw_leaves = leaves.copy()  # counts as observed: their noise level sets the deviance scale
    scale = 1.0
    if baseline == "expected":
        exp_w, exp_b = _expected_scale(con, spec, start, end, base, notes)
        if exp_w is not None and exp_b and exp_b > 0:
            scale = exp_w / exp_b
            leaves["f_num"] *= scale
    if trend:
        # Mix forecast: each dimension value's share keeps moving as it did from "normal" to the baseline
        # (app-version roll-outs), so a version mid-roll-out is not blamed for its own growth.
        f_sum = leaves["f_num"].sum()
        leaves["f_num"] *= _mix_trend(raw_leaves, len(dims), "f_num", "n_num")
        if leaves["f_num"].sum() > 0:
            leaves["f_num"] *= f_sum / leaves["f_num"].sum()
    A_num, F_num = leaves["a_num"].sum(), leaves["f_num"].sum()
    # Denominators and rates exist only for ratio measures and are read only on the ratio paths below.
    A_den: Any = leaves["a_den"].sum() if ratio else None
    F_den: Any = leaves["f_den"].sum() if ratio else None

    # What is searched: additive -> the numerator; ratio -> numerator against "baseline rate x actual volume"
    # (rate change) or, when the mix moved the rate more, the denominator (mix shift).
    kind = "additive"
    rate_a: Any = None
    rate_f: Any = None
    rate_comp: float | None = None
    mix_comp: float | None = None
    if ratio:
        rate_a = A_num / A_den if A_den else float("nan")
        rate_f = F_num / F_den if F_den else float("nan")
        f_adj = _rate_baseline(leaves["f_num"], leaves["f_den"], leaves["a_den"])
        rate_comp = float((A_num - f_adj.sum()) / A_den) if A_den else float("nan")
        mix_comp = float(rate_a - rate_f - rate_comp)
        kind = "mix shift" if abs(mix_comp) > abs(rate_comp) else "rate change"
    work = _work(leaves, dims, kind, "a", "f")
    # The same comparison one period earlier (baseline vs the period before it) shows how much segments
    # move on an ordinary day (noise plus drift such as app-version roll-outs).
    normal_leaves = raw_leaves.copy()
    n_tot, f_tot = raw_leaves["n_num"].sum(), raw_leaves["f_num"].sum()
    n_den_tot = raw_leaves["n_den"].sum() if ratio else 0.0
    if ratio:
        n_rate = n_tot / n_den_tot if n_den_tot else 0.0
        f_rate = f_tot / F_den if F_den else 0.0
        normal_leaves["n_num"] *= (f_rate / n_rate) if n_rate else 1.0
        if kind == "mix shift" and n_den_tot:
            normal_leaves["n_den"] *= F_den / n_den_tot
    elif n_tot > 0:
        if trend:  # the ordinary-day comparison gets the same mix forecast, out of sample
            normal_leaves["n_num"] *= _mix_trend(raw_leaves, len(dims), "n_num", "m_num")
            n_adj = normal_leaves["n_num"].sum()
            normal_leaves["n_num"] *= n_tot / n_adj if n_adj > 0 else 1.0
        normal_leaves["n_num"] *= f_tot / n_tot
    work_normal = _work(normal_leaves, dims, kind, "f", "n")
    # The deviance assumes count noise (variance ~ size); leaves whose noise grows faster (proportional
    # noise, e.g. forecast error) are rescaled so the deviance again sees unit-dispersion counts. Only
    # without history: with it, the ordinary day calibrates the gates, and its leaf changes mix noise with
    # drift (roll-outs), which would pass for proportional noise.
    if kind == "additive" and short_history:
        power = rca_noise.variance_power(work_normal["a"].to_numpy(float), work_normal["f"].to_numpy(float))
        weights = rca_noise.leaf_weights(raw_leaves["f_num"].to_numpy(float), power)
        if power >= rca_noise.PROPORTIONAL_POWER:
            notes.append(
                f"segment noise grows faster than count noise (spread ~ size^{power / 2:.2f}); "
                "segments are weighed accordingly"
            )
    else:
        weights = np.ones(len(work))
    reweighted = bool(np.any(weights != 1.0))
    for w_ in (work, work_normal):
        w_["wa"], w_["wf"] = w_["a"].to_numpy(float) * weights, w_["f"].to_numpy(float) * weights
    # Raw-count scale of each comparison's baseline (f = s x raw baseline), for the two-sample deviance.
    if kind == "mix shift":
        s_main, s_normal = 1.0, (F_den / n_den_tot if n_den_tot else 1.0)
    elif kind == "rate change":
        s_main, s_normal = scale * (A_den / F_den if F_den else 1.0), (f_tot / n_tot if n_tot else 1.0)
    else:
        s_main, s_normal = scale, (f_tot / n_tot if n_tot else 1.0)
    s_main = s_main if math.isfinite(s_main) and s_main > 0 else 1.0
    s_normal = s_normal if math.isfinite(s_normal) and s_normal > 0 else 1.0

    n_dims = len(dims)
    max_dims = max(1, min(int(max_dims), n_dims))
    el = _scored_elements(con, work, dims, max_dims, ratio, sqls, s_main)

    # Values new since the baseline: they have no baseline to compare with, so their leaves are set aside
    # (reported, not blamed) instead of dominating every segment that contains them.
    one = el[el["n"] == 1]
    # ... and big enough to matter: a value seen once in a sparse count is not "new", just rare.
    # ... and its appearance must stand out from count noise (3 requests where there were 0 do not).
    new_mask = (
        (one["a"] > 0)
        & (one["f"] <= _NEW_VALUE_RATIO * one["a"])
        & (one["a"] >= _NEW_VALUE_SHARE * float(el.loc[el["n"] == 0, "a"].iloc[0]))
        & (_deviance(one["a"], one["f"], s_main) >= 2.0 * math.log(max(len(one), 2)))
    )
    new_values = [
        {"dimension": next(iter(e)), "value": next(iter(e.values())), "actual": float(a)}
        for e, a in zip(one.loc[new_mask, "element"], one.loc[new_mask, "a"])
    ]
    if new_values:
        excluded = np.zeros(len(work), dtype=bool)
        for nv in new_values:
            excluded |= _leaf_mask(work, {nv["dimension"]: nv["value"]}, dims)
        work.loc[excluded, "f"] = work.loc[excluded, "a"]
        work.loc[excluded, "wf"] = work.loc[excluded, "wa"]
        work_normal.loc[excluded, "a"] = work_normal.loc[excluded, "f"]
        work_normal.loc[excluded, "wa"] = work_normal.loc[excluded, "wf"]
        notes.append(
            "new since the baseline (set aside, not blamed): "
            + ", ".join(f"{nv['dimension']}={nv['value']}" for nv in new_values)
        )
        el = _scored_elements(con, work, dims, max_dims, ratio, [], s_main)

    root = el[el["n"] == 0].iloc[0]
    A, F = float(root["a"]), float(root["f"])
    d0 = float(root["dev"])
    total_change = A - F
    with np.errstate(divide="ignore", invalid="ignore"):
        if ratio:
            # Adtributor's derived-measure EP: how much of the rate change remains if only this segment moved.
            fn, fd = float(leaves["f_num"].sum()), float(F_den)
            num = fn + el["a_num_raw"] - el["f_num_raw"]
            den = fd + el["a_den"] - el["f_den"]
            el["ep"] = (num / den - fn / fd) / (rate_a - rate_f) if rate_a != rate_f else 0.0
        else:
            el["ep"] = (el["a"] - el["f"]) / total_change if total_change else 0.0
    el["surprise"] = _js(
        el["f"].to_numpy(float) / F if F else np.zeros(len(el)), el["a"].to_numpy(float) / A if A else np.zeros(len(el))
    )

    d_normal, noise_gain, noise_by_depth = _chance_gains(con, work_normal, dims, max_dims, ratio, s_normal)
    if short_history and kind == "additive":
        # A simulated ordinary day's best chance segment depends on the draw: take the largest of a few.
        for k in range(1, rca_noise.DRAWS):
            n_k = redraw(k)
            extra = work_normal.assign(f=n_k * (f_tot / n_k.sum() if n_k.sum() else 1.0))
            extra["wf"] = extra["f"].to_numpy(float) * weights
            _, gain_k, by_depth_k = _chance_gains(con, extra, dims, max_dims, ratio, s_normal)
            noise_gain = max(noise_gain, gain_k)
            noise_by_depth = {d: max(v, by_depth_k[d]) for d, v in noise_by_depth.items()}

    # A more specific segment must beat a simpler one by more than chance: the deviance one more free ratio
    # gains by luck, at the ordinary-day dispersion (deviance per leaf), at a multiple-comparison level.
    n_leaves = int(((work_normal["f"] + work_normal["a"]) > 0).sum())
    # (Counts are never less dispersed than Poisson; reweighted leaves have no natural unit, only the measured one.)
    dispersion = (max(d_normal / n_leaves, 1.0) if not reweighted else d_normal / n_leaves) if n_leaves else 1.0
    n_by_depth = el["n"].value_counts()
    chance_gain = {k: dispersion * 2.0 * math.log(max(int(n_by_depth.get(k, 0)), 2)) for k in range(max_dims + 1)}

    # Greedy: best "only this changed" fit; simpler segments win near-ties; stop when the rest is noise.
    culprit_rows: list[int] = []
    current, current_work, d_cur = el, work.copy(), d0
    no_pattern = False
    for _ in range(max_culprits):
        chosen = [el.loc[i, "element"] for i in culprit_rows]
        cand = current[current["f"] > 0]
        if chosen:
            cand = cand[[e == {} or not any(_related(e, c) for c in chosen) for e in cand["element"]]]
        if cand.empty:
            break
        best = cand["fit"].idxmax()
        best_fit = cand.loc[best, "fit"]
        # Parsimony: a simpler segment wins unless the specific one fits better by more than an ordinary
        # day's best chance fit (sparse counts make leaf-level fits noisy).
        # Parsimony: a simpler segment (or the whole population: a global change) wins when it fits within
        # chance of the best one, but only while it also keeps most of the best one's gain.
        chance = min(chance_gain[int(cand.loc[best, "n"])], _KEEP_GAIN_GAP * best_fit * d_cur)
        tol = max(_FIT_TOLERANCE * best_fit, chance / d_cur if d_cur > 0 else 0.0)
        near = cand[cand["fit"] >= best_fit - tol]
        pick = near.sort_values(["n", "fit"], ascending=[True, False]).index[0]
        pick_el = current.loc[pick, "element"]
        gain = float(current.loc[pick, "fit"]) * d_cur
        if _DEBUG:
            print(
                "step",
                len(chosen),
                "pick",
                pick_el,
                "fit",
                current.loc[pick, "fit"],
                "gain/noise",
                gain / max(noise_gain, 1e-12),
            )
        depth = int(current.loc[pick, "n"])
        # The first culprit competes with chance segments of its own depth; once one is found, the search
        # for more is open over every depth, so a further one must beat the best chance segment of any depth.
        noise = _NEXT_NOISE_FACTOR * noise_gain if chosen else _NOISE_FACTOR * noise_by_depth[depth]
        if gain < max(noise, chance_gain[depth]):
            no_pattern = not chosen  # nothing stands out from an ordinary day's movement
            break
        orig = el.index[el["element"].map(lambda e: e == pick_el)][0]
        if not pick_el:  # the whole (remaining) population moving together fits best: global change
            if chosen:
                notes.append("the rest of the change is spread evenly over all segments")
            break
        culprit_rows.append(orig)
        # Explain the chosen segment away (drop its leaves) and rescore the rest.
        mask = _leaf_mask(current_work, pick_el, dims)
        current_work = current_work[~mask].reset_index(drop=True)
        if current_work.empty:
            break
        current = _scored_elements(con, current_work, dims, max_dims, ratio, [], s_main)
        d_cur = float(current[current["n"] == 0].iloc[0]["dev"])
        if d_cur <= 1e-12 * max(d0, 1.0):
            break

    # Noise level for intervals: squared deviation per unit of baseline outside the culprits.
    outside = np.ones(len(work), dtype=bool)
    for i in culprit_rows:
        outside &= ~_leaf_mask(work, el.loc[i, "element"], dims)
    f_out = work.loc[outside, "f"].to_numpy(float)
    dev_out = (work.loc[outside, "a"].to_numpy(float) - f_out) ** 2
    phi = float(dev_out.sum() / f_out.sum()) if f_out.sum() > 0 else 0.0

    def segment(idx) -> Segment:
        row = el.loc[idx]
        a, f = float(row["a"]), float(row["f"])
        half = _Z95 * math.sqrt(max(phi * max(f, 0.0), 0.0))
        rc = mc = None
        if ratio:
            a_den, f_den = float(row["a_den"]), float(row["f_den"])
            w_a = a_den / A_den if A_den else 0.0
            w_f = f_den / F_den if F_den else 0.0
            r_f_e = float(row["f_num_raw"]) / f_den if f_den else rate_f
            r_a_e = float(row["a_num_raw"]) / a_den if a_den else rate_f
            rc = w_a * (r_a_e - r_f_e)
            mc = (w_a - w_f) * (r_f_e - rate_f)
        return Segment(
            element=dict(row["element"]),
            fit=float(row["fit"]),
            explanatory_power=float(row["ep"]),
            surprise=float(row["surprise"]),
            actual=a,
            expected=f,
            impact=a - f,
            impact_low=a - f - half,
            impact_high=a - f + half,
            change_pct=(a - f) / f * 100.0 if f else None,
            rate_component=rc,
            mix_component=mc,
        )

    culprits = [segment(i) for i in culprit_rows]
    if measure.agg == "count_distinct" and culprits:
        culprits = [_with_affected(con, spec, r, c, (start, end), sqls) for c in culprits]

    # Ranked list: best fits first, dropping children a parent already explains (parent fit within tolerance).
    order = el[(el["n"] > 0) & (el["f"] > 0)].sort_values(["fit", "n"], ascending=[False, True])
    ranked: list[Segment] = []
    kept: list[tuple[dict, float]] = []
    for idx, row in order.iterrows():
        e, fit = row["element"], float(row["fit"])
        if any(_is_ancestor(p, e) and pf >= fit - _FIT_TOLERANCE for p, pf in kept):
            continue
        kept.append((e, fit))
        ranked.append(segment(idx))
        if len(ranked) >= top:
            break

    half_total = _Z95 * math.sqrt(max(phi * max(F, 0.0), 0.0))
    if kind == "mix shift":
        impact, exp_total, act_total = float(A_num - F_num), float(F_num), float(A_num)
    else:
        impact, exp_total, act_total = A - F, F, A
    if ratio:
        act_total, exp_total, impact = float(A_num), float(F_num), float(A_num - F_num)
    verdict = _verdict(culprits, kind, new_values, no_pattern)
    return RootCause(
        culprits=culprits,
        ranked=ranked,
        verdict=verdict,
        kind=kind,
        baseline=baseline,
        window=(start, end),
        baseline_window=base,
        actual=act_total,
        expected=exp_total,
        impact=impact,
        impact_low=impact - half_total,
        impact_high=impact + half_total,
        rate_actual=rate_a,
        rate_expected=rate_f,
        rate_component=rate_comp,
        mix_component=mix_comp,
        new_values=new_values,
        notes=notes,
        sql=sqls,
    )


def _with_affected(con, spec, r, seg: Segment, window, sqls) -> Segment:
    q = rca_sql.distinct_in_segment_query(
        table_name=spec.table, t_expr=r.t_expr, where=r.where, operand=r.operand, segment=seg.element, period=window
    )
    sqls.append(q)
    n = _df(con, q).iloc[0, 0]
    return Segment(**{**asdict(seg), "affected": int(n)})


def _verdict(culprits: list[Segment], kind: str, new_values: list[dict], no_pattern: bool = False) -> str:
    if not culprits and no_pattern:
        text = "global — no single segment stands out from ordinary day-to-day movement"
    elif not culprits:
        text = "global — no single segment: the change is spread evenly"
    else:
        parts = [f"{c.label} ({c.explanatory_power:.0%} of the change)" for c in culprits]
        text = "; ".join(parts)
        if kind == "rate change":
            text = "rate change in " + text
        elif kind == "mix shift":
            text = "mix shift (share of volume moved) in " + text
    if new_values:
        text += "; new since baseline: " + ", ".join(f"{v['dimension']}={v['value']}" for v in new_values)
    return text
