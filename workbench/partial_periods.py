"""Which buckets of a metric series are incomplete, and the range of the complete ones.

A bucket is incomplete when the period it stands for is not fully covered, either by the requested range
(a "last 30 days" range that starts mid-week at week grain) or by the data (an extract that ends at 14:00
leaves its last day two thirds empty). Such a bucket reads as a drop that did not happen, so the chart
draws it dotted, the grid flags it and comparisons leave it out by default.

The data "covers" from one sampling step before its first timestamp to one step after its last: hourly
readings that end at 23:00 cover the whole day, and a DATE column covers the whole of its last day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

# Less than this share of a bucket left uncovered still counts as complete (rounding of timestamps).
TOLERANCE = 0.01


_ROUND_UNITS = (dt.timedelta(days=1), dt.timedelta(hours=1), dt.timedelta(minutes=1), dt.timedelta(seconds=1))


def sampling_step(lo: dt.datetime, hi: dt.datetime, rows: int, is_date: bool) -> dt.timedelta:
    """How far past its last timestamp the data is taken to reach.

    The mean spacing of the rows (a regular series covers its last interval); at least the round unit both
    ends sit on (hourly snapshots with many rows per hour reach to the end of their last hour); a whole day
    for DATE columns.
    """
    step = (hi - lo) / (rows - 1) if rows > 1 else dt.timedelta(0)
    if is_date:
        return max(step, dt.timedelta(days=1))
    epoch = dt.datetime(1970, 1, 1)
    for unit in _ROUND_UNITS:
        if (lo - epoch) % unit == dt.timedelta(0) and (hi - epoch) % unit == dt.timedelta(0):
            return max(step, unit)
    return step


def incomplete_buckets(
    buckets: Sequence[dt.datetime],
    bucket_end: Callable[[dt.datetime], dt.datetime],
    *,
    range_start: dt.datetime,
    range_end: dt.datetime,
    data_start: dt.datetime | None,
    data_end: dt.datetime | None,
) -> tuple[dt.datetime, ...]:
    """The buckets (sorted starts) not fully covered by both the range and the data's span.

    ``data_end`` is the data's last timestamp plus its sampling step. With no data every bucket is
    incomplete. Only runs of buckets at either end can be incomplete, so only those are examined.
    """
    ordered = sorted(set(buckets))
    if not ordered:
        return ()
    if data_start is None or data_end is None:
        return tuple(ordered)
    cover_start, cover_end = max(range_start, data_start), min(range_end, data_end)

    def complete(b: dt.datetime) -> bool:
        end = bucket_end(b)
        length = (end - b).total_seconds()
        if length <= 0:
            return True
        uncovered = max((cover_start - b).total_seconds(), 0.0) + max((end - cover_end).total_seconds(), 0.0)
        # The range bounds are exact (a bucket cut by the range is partial however little is missing).
        cut_by_range = b < range_start or end > range_end
        return not cut_by_range and uncovered <= TOLERANCE * length

    out: list[dt.datetime] = []
    i = 0
    while i < len(ordered) and not complete(ordered[i]):
        out.append(ordered[i])
        i += 1
    j = len(ordered) - 1
    while j >= i and not complete(ordered[j]):
        out.append(ordered[j])
        j -= 1
    return tuple(sorted(out))


def complete_bounds(
    buckets: Sequence[dt.datetime],
    incomplete: Sequence[dt.datetime],
    bucket_end: Callable[[dt.datetime], dt.datetime],
) -> tuple[dt.datetime, dt.datetime] | None:
    """[start, end) of the complete buckets, or None when no bucket is complete."""
    skip = set(incomplete)
    whole = sorted(b for b in set(buckets) if b not in skip)
    if not whole:
        return None
    return whole[0], bucket_end(whole[-1])


def incomplete_spans(result) -> list[tuple[dt.datetime, dt.datetime]]:
    """[start, end) of each incomplete bucket of a ``MetricResult``."""
    from workbench.metrics import bucket_end

    return [(b, bucket_end(b, result.spec.grain)) for b in result.incomplete]
