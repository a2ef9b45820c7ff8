"""Valid but odd data (year 1 / year 9999 timestamps, NaN and infinities, ...) gives a correct result or one
clear line on stderr with a non-zero exit, never a traceback."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import run_cli, write_parquet


run = run_cli


def assert_clean_error(code, err, *fragments):
    assert code not in (0, None)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("workbench: "), err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture
def year_9999(tmp_path):
    """Hourly rows ending at the last second Python can represent."""
    return write_parquet(
        tmp_path / "y9999.parquet",
        """
        SELECT TIMESTAMP '9999-12-31 23:59:59' - INTERVAL (i) HOUR AS ts, ['a','b'][1 + i % 2] AS d, i % 7 AS v
        FROM range(400) t(i)""",
    )


@pytest.fixture
def year_1(tmp_path):
    return write_parquet(
        tmp_path / "y1.parquet",
        """
        SELECT TIMESTAMP '0001-01-01' + INTERVAL (i) HOUR AS ts, ['a','b'][1 + i % 2] AS d, i % 7 AS v
        FROM range(400) t(i)""",
    )


@pytest.mark.parametrize("grain", ["hour", "day", "week", "month"])
def test_metric_in_year_9999_counts_every_row(capsys, year_9999, grain):
    code, out, err = run(capsys, "metric", year_9999, "--grain", grain, "--compare")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sum(float(r["value"]) for r in rows) == 400  # the last bucket, ending in year 10000, is kept whole
    assert rows[-1]["bucket"].startswith("9999-12-31" if grain in ("hour", "day") else "9999-12")


@pytest.mark.parametrize("grain", ["hour", "day", "week", "month"])
def test_metric_in_year_1_counts_every_row(capsys, year_1, grain):
    code, out, err = run(capsys, "metric", year_1, "--grain", grain, "--compare")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sum(float(r["value"]) for r in rows) == 400
    assert rows[0]["bucket"].startswith("0001-01-01")


@pytest.mark.parametrize("fixture", ["year_9999", "year_1"])
def test_anomalies_outside_nanosecond_range_are_refused_not_wrapped(capsys, request, fixture):
    # numpy would silently turn 9999-12-31 into 1816-03-29; refusing is the honest answer
    code, _out, err = run(capsys, "anomalies", request.getfixturevalue(fixture), "--grain", "day")
    assert_clean_error(code, err, "anomaly detection handles times between")


def test_explain_in_year_1_is_a_clear_message_or_a_result(capsys, year_1):
    code, _out, err = run(capsys, "explain", year_1, "--dims", "d", "--window", "0001-01-05", "0001-01-06")
    assert_clean_error(code, err, "anomaly detection handles times between")
    code, out, err = run(
        capsys, "explain", year_1, "--dims", "d", "--window", "0001-01-05", "0001-01-06", "--baseline", "previous"
    )
    assert code == 0, err
    assert "d=a" in out


def test_explain_in_year_9999(capsys, year_9999):
    code, _out, err = run(capsys, "explain", year_9999, "--dims", "d", "--window", "9999-12-30", "9999-12-31")
    assert_clean_error(code, err, "anomaly detection handles times between")


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("'nan'::DOUBLE", "2 NaN value(s)"),
        ("'inf'::DOUBLE", "2 infinite value(s)"),
        ("'-inf'::DOUBLE", "2 infinite value(s)"),
        ("1e308", "too large to square"),
    ],
)
@pytest.mark.parametrize("metric", ["x:mean:x", "x:ratio:x/conv", "c:mean:conv:cov=x", "x:quantile:x"])
def test_experiment_metric_with_non_finite_values_names_the_column(capsys, tmp_path, value, fragment, metric):
    path = write_parquet(
        tmp_path / "exp.parquet",
        f"""
        SELECT i AS user_id, CASE WHEN i % 2 = 0 THEN 'control' ELSE 'treatment' END AS arm,
               CASE WHEN i IN (2, 3) THEN {value} ELSE i % 10 END AS x, (i % 3 = 0)::INT AS conv
        FROM range(1000) t(i)""",
    )
    for extra in ([], ["--format", "json"]):
        code, _out, err = run(capsys, "experiment", path, "--metric", metric, *extra)
        assert_clean_error(code, err, "column 'x'", fragment)


def test_power_block_of_non_finite_moments_is_a_reason_not_a_crash():
    from workbench.experiments.power import power_block

    out = power_block(float("nan"), float("inf"), 500, 0.05, 0.8, 0.05)
    assert out["n_per_arm_for_rel_lift_5pct_two_tailed_ceil"] is None and "cannot be computed" in out["reason"]


@pytest.mark.parametrize("query", ["UPDATE EXTENSIONS", "update extensions (parquet)", "EXPLAIN UPDATE EXTENSIONS"])
def test_sql_statement_unknown_to_the_python_enum_is_refused(capsys, year_1, query):
    code, _out, err = run(capsys, "sql", year_1, query)
    assert_clean_error(code, err, "Only read-only queries can run here")


@pytest.mark.parametrize("text, q", [("p90(v)", 0.9), ("P99(v)", 0.99), ("p99 (v)", 0.99), ("p50(v)", 0.5)])
def test_documented_percentile_measures_are_accepted(capsys, year_1, text, q):
    import duckdb

    from workbench.metrics import Measure

    assert Measure.parse(text).agg == {0.9: "p90", 0.99: "p99", 0.5: "median"}[q]
    code, out, err = run(capsys, "metric", year_1, "--measure", text, "--grain", "month")
    assert code == 0, err
    (expected,) = duckdb.connect().sql(f"SELECT quantile_cont(v, {q}) FROM '{year_1}'").fetchall()[0]
    assert float(list(csv.DictReader(io.StringIO(out)))[0]["value"]) == pytest.approx(expected)
    code, _out, err = run(capsys, "anomalies", year_1, "--measure", text)
    assert "Cannot read measure" not in err


def test_unknown_percentile_names_the_choices(capsys, year_1):
    code, _out, err = run(capsys, "metric", year_1, "--measure", "p95(v)")
    assert_clean_error(code, err, "Unknown aggregation 'p95'", "p90, p99")


def test_sum_over_nan_is_shown_as_nan_not_as_an_empty_bucket(capsys, tmp_path):
    import json

    path = write_parquet(
        tmp_path / "nan.parquet",
        """
        SELECT TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts,
               CASE WHEN i = 1 THEN 'nan'::DOUBLE WHEN i = 2 THEN 'inf'::DOUBLE ELSE 1.0 END AS v
        FROM range(5) t(i) WHERE i != 3""",
    )  # hour 3 has no rows: a gap
    code, out, err = run(capsys, "metric", path, "--measure", "sum(v)", "--grain", "hour")
    assert code == 0, err
    assert [r["value"] for r in csv.DictReader(io.StringIO(out))] == ["1.0", "NaN", "Infinity", "", "1.0"]
    code, out, err = run(capsys, "metric", path, "--measure", "sum(v)", "--grain", "hour", "--format", "json")
    assert code == 0, err
    assert [r["value"] for r in json.loads(out)["rows"]] == [1.0, "NaN", "Infinity", None, 1.0]


def test_demo_rows_has_a_documented_upper_bound(capsys, tmp_path):
    from workbench import demo

    code, _out, err = run(capsys, "demo", "--rows", "99999999999999999", "--out", tmp_path / "d")
    assert_clean_error(code, err, "at most 1,000,000,000")
    code, _out, err = run(capsys, "demo", "--users", str(demo.MAX_USERS + 1), "--out", tmp_path / "d")
    assert_clean_error(code, err, "--users")
    assert not (tmp_path / "d").exists()  # refused before anything is written


def test_sql_json_output_stays_valid_json_with_nan_and_inf(capsys, tmp_path):
    import json

    path = write_parquet(tmp_path / "v.parquet", "SELECT * FROM (VALUES ('nan'::DOUBLE), ('inf'::DOUBLE), (1.5)) t(v)")
    code, out, err = run(capsys, "sql", path, "SELECT v FROM data ORDER BY v", "--format", "json")
    assert code == 0, err

    def refuse(constant):
        raise ValueError(f"bare {constant} is not JSON")

    assert [r["v"] for r in json.loads(out, parse_constant=refuse)] == [1.5, "Infinity", "NaN"]
