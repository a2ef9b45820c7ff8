"""A board's time window: the current range, the comparison range and the history the detector reads."""

from __future__ import annotations

import datetime as dt
from typing import cast
from dataclasses import dataclass

import pandas as pd

from workbench.errors import SpecError
from workbench.metrics import GRAIN_STEP as _STEP
from workbench.metrics import GRAINS

_SHIFTS = {"1 day": dt.timedelta(days=1), "1 week": dt.timedelta(days=7), "4 weeks": dt.timedelta(days=28)}
_FREQ = {
    "minute": "min",
    "5min": "5min",
    "15min": "15min",
    "30min": "30min",
    "hour": "h",
    "day": "D",
    "week": "W-MON",
    "month": "MS",
    "quarter": "QS",
    "year": "YS",
}
# The detector needs a few weeks of buckets before the range to know what "normal" is.
HISTORY_BUCKETS = 28
HISTORY_MIN = dt.timedelta(days=28)


@dataclass(frozen=True)
class BoardWindow:
    """Half-open ranges: current [start, end), comparison [cmp_start, cmp_end) or None; rows are read from
    ``window_start`` (the earliest of the comparison and the detector's history)."""

    start: dt.datetime
    end: dt.datetime
    grain: str
    cmp_start: dt.datetime | None = None
    cmp_end: dt.datetime | None = None
    window_start: dt.datetime | None = None
    note: str = ""

    @property
    def shift(self) -> dt.timedelta | None:
        return None if self.cmp_start is None else self.start - self.cmp_start

    def to_dict(self) -> dict:
        return {
            "range": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "compare": None
            if self.cmp_start is None
            else {"start": self.cmp_start.isoformat(), "end": cast(dt.datetime, self.cmp_end).isoformat()},
        }

    def buckets(self) -> list[pd.Timestamp]:
        """Bucket starts covering [start, end), as the Explorer's chart has them."""
        return bucket_starts(self.start, self.end, self.grain)


def bucket_starts(start: dt.datetime, end: dt.datetime, grain: str) -> list[pd.Timestamp]:
    first = truncate(start, grain)
    return [t for t in pd.date_range(first, end, freq=_FREQ[grain], inclusive="left")] or [pd.Timestamp(first)]


def truncate(t: dt.datetime, grain: str) -> pd.Timestamp:
    ts = pd.Timestamp(t)
    if grain == "week":
        day = ts.normalize()
        return day - pd.Timedelta(days=day.weekday())
    if grain == "month":
        return ts.normalize().replace(day=1)
    if grain == "quarter":
        return ts.normalize().replace(month=ts.month - (ts.month - 1) % 3, day=1)
    if grain == "year":
        return ts.normalize().replace(month=1, day=1)
    return ts.floor(_FREQ[grain])


def bucket_end(bucket: pd.Timestamp, grain: str) -> pd.Timestamp:
    if grain in ("month", "quarter", "year"):
        return bucket + pd.DateOffset(months={"month": 1, "quarter": 3, "year": 12}[grain])
    return bucket + _STEP[grain]


def compare_shift(compare: str, start: dt.datetime, end: dt.datetime) -> dt.timedelta | None:
    if compare == "none":
        return None
    if compare == "previous period":
        return end - start
    try:
        return _SHIFTS[compare]
    except KeyError:
        raise SpecError(f"Unknown comparison {compare!r}; choose previous period, none, {', '.join(_SHIFTS)}") from None


def resolve_window(
    *,
    start: dt.datetime | None,
    end: dt.datetime | None,
    last: dt.timedelta | None,
    compare: str,
    grain: str,
    latest: dt.datetime | None,
    history: bool = True,
) -> BoardWindow:
    """The board's window. A relative range (``last``) ends at the end of the data's last day (``latest``),
    as the Explorer resolves "the last 7 days"."""
    if grain not in GRAINS:
        raise SpecError(f"Unknown grain {grain!r}; choose one of {', '.join(GRAINS)}")
    note = ""
    if last is not None:
        if latest is None:
            raise SpecError("The board's sources have no rows, so 'last' cannot be resolved")
        end = pd.Timestamp(latest).floor("D").to_pydatetime() + dt.timedelta(days=1)
        start = end - last
        note = f"last {last.days if last.days else last} resolved to {start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M}"
    if start is None or end is None or end <= start:
        raise SpecError("The board's range is empty: the end must be after the start (the end is excluded)")
    shift = compare_shift(compare, start, end)
    cmp_start = cmp_end = None
    earliest = start
    if shift is not None:
        cmp_start, cmp_end = start - shift, end - shift
        earliest = min(earliest, cmp_start)
    if history:
        earliest = min(earliest, start - max(HISTORY_MIN, HISTORY_BUCKETS * _STEP[grain]))
    return BoardWindow(start, end, grain, cmp_start, cmp_end, earliest, note)
