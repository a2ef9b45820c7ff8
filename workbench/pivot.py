"""A pivot of a long (tidy) result: one row per value of ``rows``, one column per value of ``columns``.

The Explorer's grid is long-format (bucket, series, value); the pivot puts buckets down and series across
(or the other way round) with totals. Totals are sums, so they are offered only for additive measures (row
counts and sums); for a mean or a quantile a sum of cells means nothing and the totals stay empty.
"""

from __future__ import annotations

import pandas as pd

TOTAL = "Total"


def pivot_table(frame: pd.DataFrame, rows: str, columns: str, value: str, totals: bool = True) -> pd.DataFrame:
    """``frame`` reshaped to ``rows`` × ``columns`` (first-seen order kept) with the ``value`` cells.

    With ``totals`` and a numeric ``value`` a Total column and a Total row are added (sums; a cell with no
    row is empty and adds nothing). The first column holds the row labels as text, so "Total" fits.
    """
    if frame is None or frame.empty or not {rows, columns, value} <= set(frame.columns):
        return pd.DataFrame({rows: []})
    row_keys = list(dict.fromkeys(frame[rows]))
    col_keys = list(dict.fromkeys(frame[columns]))
    wide = frame.pivot_table(index=rows, columns=columns, values=value, aggfunc="first", dropna=False, sort=False)
    wide = wide.reindex(index=row_keys, columns=col_keys)
    numeric = pd.api.types.is_numeric_dtype(frame[value])
    out = pd.DataFrame({rows: [_label(k) for k in row_keys]})
    for key in col_keys:
        out[_label(key)] = wide[key].to_numpy()
    if totals and numeric:
        cells = out.columns[1:]
        out[TOTAL] = out[cells].sum(axis=1, min_count=1)
        total_row = {rows: TOTAL} | {c: out[c].sum(min_count=1) for c in out.columns[1:]}
        out = pd.concat([out, pd.DataFrame([total_row])], ignore_index=True)
    return out


def _label(key) -> str:
    if isinstance(key, pd.Timestamp):
        return key.strftime("%Y-%m-%d") if key == key.normalize() else key.strftime("%Y-%m-%d %H:%M")
    return "NULL" if key is None else str(key)
