"""pivot_table: the long result reshaped, totals only when asked and numeric."""

from __future__ import annotations

import math

import pandas as pd

from workbench.pivot import pivot_table


def _frame():
    return pd.DataFrame(
        {
            "bucket": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02"]),
            "series": ["a", "b", "a"],
            "v": [1.0, 2.0, 3.0],
        }
    )


def test_buckets_down_series_across_with_totals():
    out = pivot_table(_frame(), "bucket", "series", "v")
    assert list(out.columns) == ["bucket", "a", "b", "Total"]
    assert list(out["bucket"]) == ["2024-01-01", "2024-01-02", "Total"]
    assert list(out["a"]) == [1.0, 3.0, 4.0]
    assert math.isnan(out["b"][1]) and out["b"][2] == 2.0
    assert list(out["Total"]) == [3.0, 3.0, 6.0]


def test_no_totals_and_text_values():
    assert "Total" not in pivot_table(_frame(), "series", "bucket", "v", totals=False).columns
    suppressed = _frame().assign(v=["<5", "7", "<5"])  # small cells hidden on screen: text, no sums
    out = pivot_table(suppressed, "bucket", "series", "v")
    assert "Total" not in out.columns and list(out["a"]) == ["<5", "<5"]
