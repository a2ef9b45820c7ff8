"""Hand-written quoting in workbench.sql gives exactly the text SQLGlot renders for the same value."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pytest
from sqlglot import exp

from workbench import sql

VALUES = [
    None,
    True,
    False,
    0,
    -5,
    12345678901234567890,
    np.int64(-7),
    1.5,
    -2.25,
    1e-5,
    1e300,
    -0.0,
    np.float64(0.1),
    float("nan"),
    float("inf"),
    float("-inf"),
    decimal.Decimal("1.10"),
    "it's",
    "a\\b",
    "new\nline",
    "",
    'ü"x',
    "'; DROP TABLE t; --",
    dt.datetime(2024, 1, 2, 3, 4, 5),
    dt.datetime(2024, 1, 2, 3, 4, 5, 123),
    dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc),
    sql.END_OF_TIME,
    dt.date(2024, 1, 2),
]


TRICKY = 'it\'s "a"; -- ü'


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_literal_matches_sqlglot(value):
    assert sql.literal(value) == sql.literal_expr(value).sql(sql.DIALECT)


@pytest.mark.parametrize("name", ["a", 'a "b"; drop', "ü", "", "x\\y", "new\nl", "select", '"""'])
def test_ident_matches_sqlglot(name):
    assert sql.ident(name) == exp.to_identifier(name, quoted=True).sql(sql.DIALECT)


def test_quoted_values_round_trip_through_duckdb():
    import duckdb

    relation = duckdb.connect().sql(f"SELECT {sql.literal(TRICKY)} AS {sql.ident(TRICKY)}")
    assert relation.columns == [TRICKY] and relation.fetchall() == [(TRICKY,)]
