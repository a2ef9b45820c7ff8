"""One number formatter for axes, grids and p-values."""

from __future__ import annotations

import decimal

import pytest

from workbench.number_format import compact, grid, p_value, percent_change


@pytest.mark.parametrize(
    "value,text",
    [
        (9_500_000, "9.5M"),
        (265_000, "265k"),
        (1_000, "1k"),
        (999_999, "1M"),
        (1_250_000_000, "1.25B"),
        (950, "950"),
        (12.5, "12.5"),
        (0.125, "0.125"),
        (0, "0"),
        (-3_400, "-3.4k"),
        (2e15, "2,000T"),
        (float("nan"), "NaN"),
        (None, "—"),
    ],
)
def test_compact(value, text):
    assert compact(value) == text


@pytest.mark.parametrize(
    "value,text",
    [
        (9_500_000, "9,500,000"),
        (9_500_000.0, "9,500,000"),
        (1234.56789, "1,234.5679"),
        (0.000123456789, "0.000123457"),
        (decimal.Decimal("2.50"), "2.5"),
        (True, "True"),
        (float("inf"), "∞"),
    ],
)
def test_grid(value, text):
    assert grid(value) == text


def test_p_values_and_changes():
    assert p_value(0.0004) == "< 0.001" and p_value(0.04213) == "0.042" and p_value(None) == "—"
    assert percent_change(-0.00001) == "+0.0%" and percent_change(0.042) == "+4.2%"
