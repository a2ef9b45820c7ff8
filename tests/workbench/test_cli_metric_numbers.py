"""`workbench metric` prints counts and integer sums as integers (``666666``, not ``666666.0``) in CSV and
JSON; means stay floats and empty buckets stay blank/null."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import run_cli, write_parquet

DATA = (
    "SELECT TIMESTAMP '2024-01-01' + INTERVAL (i // 4) DAY AS ts, (i * 7919) % 13 AS views, "
    "i % 2 = 0 AS flagged, i * 0.5 AS score FROM range(12) t(i)"
)


@pytest.fixture
def path(tmp_path):
    return write_parquet(tmp_path / "ev.parquet", DATA)


def _csv(capsys, path, measure, *extra):
    code, out, err = run_cli(capsys, "metric", path, "--measure", measure, "--grain", "day", *extra)
    assert code == 0, err
    return list(csv.DictReader(io.StringIO(out)))


@pytest.mark.parametrize(
    ("measure", "expected"),
    [
        ("sum(views)", ["12", "31", "24"]),
        ("count(*)", ["4", "4", "4"]),
        ("max(views)", ["6", "12", "9"]),
        ("sum(flagged)", ["2", "2", "2"]),
    ],
)
def test_integer_measures_print_as_integers_in_csv(capsys, path, measure, expected):
    assert [r["value"] for r in _csv(capsys, path, measure)] == expected


def test_means_and_decimal_sums_keep_their_fraction(capsys, path):
    assert [r["value"] for r in _csv(capsys, path, "mean(views)")] == ["3.0", "7.75", "6.0"]
    assert [r["value"] for r in _csv(capsys, path, "sum(score)")] == ["3.0", "11.0", "19.0"]


def test_empty_buckets_stay_blank_beside_integers(capsys, path):
    rows = _csv(capsys, path, "sum(views)", "--start", "2023-12-31", "--end", "2024-01-03", "--compare")
    assert [(r["value"], r["comparison_value"]) for r in rows] == [("", ""), ("12", ""), ("31", "")]


def test_integer_sums_are_json_integers(capsys, path):
    code, out, err = run_cli(capsys, "metric", path, "--measure", "sum(views)", "--grain", "day", "--format", "json")
    assert code == 0, err
    values = [r["value"] for r in json.loads(out)["rows"]]
    assert values == [12, 31, 24] and all(type(v) is int for v in values)


def test_out_csv_has_integers_and_parquet_keeps_typed_columns(capsys, path, tmp_path):
    import duckdb

    for ext in ("csv", "parquet"):
        out = tmp_path / f"m.{ext}"
        code, _, err = run_cli(capsys, "metric", path, "--measure", "sum(views)", "--grain", "day", "--out", out)
        assert code == 0, err
    assert (tmp_path / "m.csv").read_text().splitlines()[1].endswith(",all,12")
    types = dict(
        duckdb.connect().sql(f"DESCRIBE SELECT * FROM '{tmp_path / 'm.parquet'}'").fetchall()[i][:2] for i in range(3)
    )
    assert types["value"] == "DOUBLE"
