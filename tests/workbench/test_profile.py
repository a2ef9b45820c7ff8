"""Column profiles, checked against plain DuckDB queries written here independently."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from tests.conftest import write_parquet
from workbench.errors import SpecError
from workbench.profile import profile_column, profile_table


@pytest.fixture
def mixed(catalog, tmp_path):
    path = write_parquet(
        tmp_path / "mixed.parquet",
        """
        SELECT i AS n,
               CASE WHEN i % 4 = 0 THEN NULL ELSE i * 0.5 END AS half,
               ['a','b','b','c','c','c'][1 + i % 6] AS letter,
               i % 3 = 0 AS flag,
               TIMESTAMPTZ '2024-03-01 00:00:00+00' + INTERVAL (i) HOUR AS ts_tz,
               DATE '2024-01-01' + (i % 10)::INT AS d,
               NULL::VARCHAR AS all_null,
               (i % 7) AS "a ""b""; drop",
               'x' AS "空白 col",
               [i, i + 1] AS lst
        FROM range(100) t(i)
        """,
    )
    return catalog.open(path)


def test_numeric_profile_matches_duckdb(con, mixed):
    p = profile_column(con, mixed.name, "half")
    ref = duckdb.execute(
        f"SELECT count(*), count(half), count(DISTINCT half), min(half), max(half), avg(half) FROM read_parquet('{mixed.files[0]}')"
    ).fetchone()
    assert (p.row_count, p.row_count - p.null_count, p.distinct_count) == ref[:3]
    assert p.null_pct == pytest.approx(25.0)
    assert (float(p.min), float(p.max)) == (float(ref[3]), float(ref[4]))
    assert p.mean == pytest.approx(float(ref[5]))
    assert p.kind == "numeric" and p.histogram_kind == "numeric"
    assert sum(b.count for b in p.histogram) == ref[1]
    assert p.histogram[0].lo == pytest.approx(float(ref[3])) and p.histogram[-1].hi == pytest.approx(float(ref[4]))
    assert not p.distinct_approximate


def test_top_values_text(con, mixed):
    p = profile_column(con, mixed.name, "letter", top_k=2)
    assert p.top_values == (("c", 49), ("b", 34))
    assert p.kind == "text" and p.histogram == () and p.mean is None
    assert (p.min, p.max) == ("a", "c")


def test_boolean_mean_is_share_true(con, mixed):
    p = profile_column(con, mixed.name, "flag")
    assert p.kind == "boolean"
    assert p.mean == pytest.approx(34 / 100)
    assert dict(p.top_values) == {False: 66, True: 34}


def test_timestamp_with_time_zone_and_date(con, mixed):
    p = profile_column(con, mixed.name, "ts_tz")
    assert p.type == "TIMESTAMP WITH TIME ZONE" and p.kind == "temporal"
    assert p.min == dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
    assert p.histogram_kind == "temporal"
    assert p.histogram[0].lo == pytest.approx(p.min.timestamp())
    assert sum(b.count for b in p.histogram) == 100
    d = profile_column(con, mixed.name, "d")
    assert d.min == dt.date(2024, 1, 1) and d.distinct_count == 10
    assert sum(b.count for b in d.histogram) == 100


def test_all_null_column(con, mixed):
    p = profile_column(con, mixed.name, "all_null")
    assert p.null_count == 100 and p.null_pct == 100.0
    assert p.distinct_count == 0 and p.top_values == () and p.histogram == ()
    assert p.min is None and p.max is None


def test_odd_column_names_and_nested(con, mixed):
    p = profile_column(con, mixed.name, 'a "b"; drop')
    assert p.distinct_count == 7
    assert profile_column(con, mixed.name, "空白 col").top_values == (("x", 100),)
    lst = profile_column(con, mixed.name, "lst")
    assert lst.kind == "other" and lst.distinct_count == 100 and len(lst.top_values) == 10
    json.dumps([q.to_dict() for q in profile_table(con, mixed.name)])  # every profile serialises


def test_zero_rows(con, catalog, tmp_path):
    src = catalog.open(write_parquet(tmp_path / "empty.parquet", "SELECT 1::INT AS v, 'a' AS s WHERE false"))
    p = profile_column(con, src.name, "v")
    assert p.row_count == 0 and p.null_pct is None and p.distinct_count == 0
    assert p.histogram == () and p.top_values == ()


def test_approximate_distinct_on_large(con, mixed):
    p = profile_column(con, mixed.name, "n", exact_limit=10)
    assert p.distinct_approximate
    assert p.distinct_count == pytest.approx(100, rel=0.1)
    assert p.top_values == () and p.top_values_skipped  # unique ids: counts of 1 are not worth a group-by
    letters = profile_column(con, mixed.name, "letter", exact_limit=10)
    assert letters.top_values and not letters.top_values_skipped


def test_constant_and_nan(con, catalog, tmp_path):
    src = catalog.open(
        write_parquet(
            tmp_path / "c.parquet",
            "SELECT 5 AS k, CASE WHEN i = 0 THEN 'NaN'::DOUBLE ELSE i END AS f FROM range(10) t(i)",
        )
    )
    k = profile_column(con, src.name, "k")
    assert len(k.histogram) == 1 and k.histogram[0].count == 10
    f = profile_column(con, src.name, "f")  # NaN sorts as the maximum: no equal-width bins, but no crash
    assert f.row_count == 10


def test_missing_column(con, mixed):
    with pytest.raises(SpecError, match="no column 'nope'"):
        profile_column(con, mixed.name, "nope")
