"""Put one or many series on a regular time grid (a T x S matrix), repairing what real extracts contain.

Detectors assume one value per grid step. Real series have gaps, duplicate timestamps, irregular sampling,
clocks that step back and NaN; each repair is recorded in ``Panel.notes`` so the user can see what was done.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from typing import cast

import numpy as np
import pandas as pd

from workbench.errors import SpecError

GRAIN_STEPS = {
    "minute": pd.Timedelta(minutes=1),
    "5min": pd.Timedelta(minutes=5),
    "15min": pd.Timedelta(minutes=15),
    "30min": pd.Timedelta(minutes=30),
    "hour": pd.Timedelta(hours=1),
    "day": pd.Timedelta(days=1),
    "week": pd.Timedelta(days=7),
    "month": pd.Timedelta(days=30),
    "quarter": pd.Timedelta(days=91),
    "year": pd.Timedelta(days=365),
}
# A grid more than this many times longer than the data means the step was mis-guessed (a few bursts of
# dense points in a sparse series); fall back to a coarser step rather than allocate a huge mostly-empty grid.
_MAX_GRID_BLOWUP = 50
_DAY = pd.Timedelta(days=1)


@dataclass
class Panel:
    """Series on a shared regular grid: ``values[t, s]`` is series ``names[s]`` at ``index[t]`` (NaN = gap)."""

    index: pd.DatetimeIndex
    names: list[str]
    values: np.ndarray
    volume: np.ndarray | None = None
    step: pd.Timedelta = pd.Timedelta(hours=1)
    notes: list[str] = field(default_factory=list)

    @property
    def points_per_day(self) -> int | None:
        """Grid points per day for sub-daily grids that divide a day evenly; None otherwise."""
        if self.step >= _DAY or self.step <= pd.Timedelta(0):
            return None
        ratio = _DAY / self.step
        return int(round(ratio)) if abs(ratio - round(ratio)) < 1e-6 else None

    def column(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise SpecError(f"No series named {name!r}") from None


def grain_step(grain: str | None) -> pd.Timedelta | None:
    if grain is None:
        return None
    if grain not in GRAIN_STEPS:
        raise SpecError(f"Unknown grain {grain!r}; choose one of {', '.join(GRAIN_STEPS)}")
    return GRAIN_STEPS[grain]


def _to_naive_ns(ts) -> tuple[np.ndarray, bool]:
    s = pd.to_datetime(pd.Series(ts), errors="coerce")
    aware = getattr(s.dt, "tz", None) is not None
    if aware:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    # Detection computes in nanoseconds; numpy would wrap a year-1 or year-9999 time into 1754 or 1816
    # silently, so such times are refused with a message instead.
    lo, hi = s.min(), s.max()
    if pd.notna(lo) and (lo < pd.Timestamp.min or hi > pd.Timestamp.max):
        raise SpecError(
            f"timestamps from {lo} to {hi}: anomaly detection handles times between {pd.Timestamp.min:%Y-%m-%d} "
            f"and {pd.Timestamp.max:%Y-%m-%d}; filter out the placeholder dates (e.g. --filter 'ts<9000-01-01')"
        )
    return s.to_numpy(dtype="datetime64[ns]"), aware


def build_panel(ts, values, series=None, volume=None, step: pd.Timedelta | str | None = None) -> Panel:
    """Build a :class:`Panel` from long arrays (one row per observation).

    Parameters
    ----------
    ts : timestamps (anything pandas parses; timezone-aware values are converted to UTC).
    values : numbers (NaN/None allowed).
    series : optional series label per row (default: one series "all").
    volume : optional volume per row (e.g. the denominator of a ratio) used by ``min_volume``.
    step : grid step (a grain name or Timedelta); default: the median spacing of the timestamps.

    Returns
    -------
    Panel with notes describing every repair (sorted, duplicates averaged, snapped, gaps).
    """
    notes: list[str] = []
    t, aware = _to_naive_ns(ts)
    if aware:
        notes.append("timestamps converted to UTC")
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    if len(v) != len(t):
        raise SpecError("timestamps and values have different lengths")
    s = np.asarray(["all"] * len(t) if series is None else pd.Series(series).astype(str).to_numpy(), dtype=object)
    vol = None if volume is None else pd.to_numeric(pd.Series(volume), errors="coerce").to_numpy(dtype=float)
    ok = ~np.isnat(t)
    if (~ok).any():
        notes.append(f"{int((~ok).sum())} row(s) without a timestamp ignored")
        t, v, s = t[ok], v[ok], s[ok]
        vol = None if vol is None else vol[ok]
    if len(t) == 0:
        raise SpecError("The series is empty: no rows with a timestamp")
    n_nan = int(np.isnan(v).sum())
    if n_nan:
        notes.append(f"{n_nan} missing value(s) treated as gaps")

    frame = pd.DataFrame({"t": t, "v": v, "s": s})
    if vol is not None:
        frame["w"] = vol
    back = int((frame.groupby("s", sort=False)["t"].diff() < pd.Timedelta(0)).sum())
    if back:
        notes.append(f"clock stepped back {back} time(s); rows sorted by time")

    if isinstance(step, str):
        step = grain_step(step)
    uniq = np.unique(frame["t"].to_numpy())
    if step is None:
        diffs = np.diff(uniq)
        step = pd.Timedelta(np.median(diffs)) if len(diffs) else pd.Timedelta(hours=1)
    step = pd.Timedelta(step)
    if step <= pd.Timedelta(0):
        step = pd.Timedelta(seconds=1)
    anchor = pd.Timestamp(uniq[0])
    span = pd.Timestamp(uniq[-1]) - anchor
    if span / step > _MAX_GRID_BLOWUP * len(uniq) + 1000:
        coarse = span / max(len(uniq) - 1, 1)
        notes.append(f"timestamps too irregular for a {step} grid; using {coarse.round('s')}")
        step = coarse.round("s") or pd.Timedelta(seconds=1)

    monthly = step >= pd.Timedelta(days=28)
    if monthly:  # months differ in length: count calendar months (1, 3 or 12 a step) instead of dividing
        months = max(1, int(round(step / pd.Timedelta(days=30.44))))
        tt = pd.DatetimeIndex(frame["t"])
        anchor = anchor.to_period("M").to_timestamp()
        anchor = anchor.replace(month=anchor.month - (anchor.month - 1) % months) if months in (3, 12) else anchor
        pos = ((tt.year - anchor.year) * 12 + (tt.month - anchor.month)) // months
    else:
        pos = np.rint(
            (frame["t"].to_numpy() - anchor.to_datetime64()) / cast(pd.Timedelta, step).to_timedelta64()
        ).astype(np.int64)
    frame["p"] = np.asarray(pos, dtype=np.int64)

    dup = frame.duplicated(["s", "p"], keep=False)
    if dup.any():
        exact = frame.duplicated(["s", "t"], keep=False)
        if exact.any():
            notes.append(f"{int(exact.sum())} rows share a timestamp with another row; averaged")
        if int(dup.sum()) > int(exact.sum()):
            notes.append(
                f"irregular sampling: {int(dup.sum() - exact.sum())} rows snapped to a {step} grid and averaged"
            )
    agg = {"v": "mean"} if vol is None else {"v": "mean", "w": "sum"}
    grouped = frame.groupby(["p", "s"], sort=False).agg(agg).reset_index()

    names = list(dict.fromkeys(frame["s"].tolist()))
    n_points = int(grouped["p"].max()) + 1
    col = pd.Series(range(len(names)), index=names)
    values_m = np.full((n_points, len(names)), np.nan)
    values_m[grouped["p"].to_numpy(), col[grouped["s"]].to_numpy()] = grouped["v"].to_numpy()
    volume_m = None
    if vol is not None:
        volume_m = np.full((n_points, len(names)), np.nan)
        volume_m[grouped["p"].to_numpy(), col[grouped["s"]].to_numpy()] = grouped["w"].to_numpy()
    if monthly:
        index = pd.date_range(anchor, periods=n_points, freq=f"{months}MS")
    else:
        index = pd.DatetimeIndex(anchor + np.arange(n_points) * step)
    missing = int(n_points * len(names) - len(grouped))
    if missing:
        notes.append(f"{missing} empty grid point(s) (gaps) left unflagged")
    return Panel(index=index, names=names, values=values_m, volume=volume_m, step=step, notes=notes)


def panel_from_frame(
    frame: pd.DataFrame,
    time: str = "bucket",
    value: str = "value",
    series: str | None = "series",
    volume: str | None = None,
    step=None,
) -> Panel:
    """A :class:`Panel` from a tidy frame such as ``MetricResult.frame`` (bucket, series, value)."""
    for name in (time, value):
        if name not in frame.columns:
            raise SpecError(f"Column {name!r} not in the series frame (columns: {', '.join(map(str, frame.columns))})")
    return build_panel(
        frame[time],
        frame[value],
        series=frame[series] if series and series in frame.columns else None,
        volume=frame[volume] if volume and volume in frame.columns else None,
        step=step,
    )
