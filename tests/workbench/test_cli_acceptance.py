"""The command lines of issues 9, 11 and 14 as a user types them (options in any position) on awkward data:
column names with quotes, spaces, unicode and reserved words, all-NULL columns, CSV and Parquet. Each must
give the right answer or one clear line and a non-zero exit."""

from __future__ import annotations


import duckdb
import pytest

from workbench.cli import main


@pytest.fixture
def odd_files(tmp_path):
    """Two days of 5-minute rows in three countries, with awkward column names; as CSV and Parquet."""
    con = duckdb.connect()
    con.execute("""CREATE TABLE t AS SELECT
        TIMESTAMP '2024-01-01' + INTERVAL 5 MINUTE * (i // 3) AS "odd ""col"" name",
        CAST(TIMESTAMP '2024-01-01' + INTERVAL 5 MINUTE * (i // 3) AS DATE) AS "day date",
        ['US', 'DE', 'FR'][i % 3 + 1] AS "pays ü",
        100.0 + (i % 7) AS "select", 1 + i % 10 AS b, NULL::DOUBLE AS nulls, 'x' AS "order"
        FROM range(1728) r(i)""")
    paths = {}
    for ext, fmt in (("csv", "(HEADER)"), ("parquet", "(FORMAT PARQUET)")):
        paths[ext] = str(tmp_path / f"odd.{ext}")
        con.execute(f"COPY t TO '{paths[ext]}' {fmt}")
    return paths


@pytest.fixture
def workspace(odd_files, tmp_path, capsys):
    path = str(tmp_path / "W.wbk")
    assert main(["workspace", "new", path, odd_files["parquet"], "--k", "10"]) == 0
    capsys.readouterr()
    return path


def test_sql_path_then_workspace_then_query(capsys, odd_files, workspace):
    query = 'SELECT "pays ü", count(*) AS n FROM data GROUP BY 1 ORDER BY 1'
    assert main(["sql", odd_files["parquet"], "--workspace", workspace, query]) == 0
    assert capsys.readouterr().out.splitlines() == ["pays ü,n", "DE,576", "FR,576", "US,576"]


def test_sql_options_after_the_query(capsys, odd_files):
    assert main(["sql", odd_files["csv"], "SELECT count(*) AS n FROM data", "--format", "json"]) == 0
    assert '"n": 1728' in capsys.readouterr().out


def test_protected_sql_with_unaliased_aggregates(capsys, workspace):
    # DuckDB names these columns count_star() and sum("select"); the protection must find them.
    assert (
        main(
            ["sql", "--workspace", workspace, 'SELECT "pays ü", count(*), sum("select") FROM odd GROUP BY 1 ORDER BY 1']
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == 'pays ü,count_star(),"sum(""select"")"' and lines[1].startswith("DE,576,")
    expected = (
        duckdb.connect().sql("SELECT sum(100.0 + (i % 7)) FROM range(1728) r(i) WHERE i % 3 = 1").fetchall()[0][0]
    )
    assert float(lines[1].split(",")[2]) == pytest.approx(expected)


def test_protected_sql_hides_small_unaliased_cells(capsys, workspace):
    assert (
        main(
            [
                "sql",
                "--workspace",
                workspace,
                'SELECT "odd ""col"" name", count(*) FROM odd GROUP BY 1 ORDER BY 1 LIMIT 2',
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.splitlines()[1:] == ["2024-01-01 00:00:00,<10", "2024-01-01 00:05:00,<10"]


@pytest.fixture
def exported(capsys, odd_files, workspace, tmp_path):
    out = tmp_path / "m.csv"
    assert (
        main(
            [
                "metric",
                odd_files["parquet"],
                "--workspace",
                workspace,
                "--out",
                str(out),
                "--time",
                'odd "col" name',
                "--grain",
                "day",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.startswith("wrote")
    assert out.read_text().splitlines()[1:] == ["2024-01-01,all,864", "2024-01-02,all,864"]
    return out


def test_audit_verify_against_export_and_workspace(capsys, exported, workspace):
    log = workspace + ".audit.jsonl"
    assert main(["audit", "verify", log, "--against", f"{exported}.provenance.json", workspace]) == 0
    assert "RESULT: consistent" in capsys.readouterr().out


def test_audit_verify_names_the_export_after_a_deleted_line(capsys, exported, workspace):
    log = workspace + ".audit.jsonl"
    lines = open(log).read().splitlines(keepends=True)
    open(log, "w").write("".join(lines[:2] + lines[3:]))
    assert main(["audit", "verify", log, "--against", str(exported)]) == 1
    out = capsys.readouterr().err  # an inconsistent report goes to stderr
    assert "INCONSISTENT" in out and str(exported) in out


@pytest.mark.parametrize("given", ["export", "sidecar"])
def test_audit_verify_catches_an_edited_export(capsys, exported, workspace, given):
    exported.write_text(exported.read_text().replace(",864", ",865", 1))
    target = str(exported) if given == "export" else f"{exported}.provenance.json"
    assert main(["audit", "verify", workspace + ".audit.jsonl", "--against", target]) == 1
    out = capsys.readouterr().err
    assert "ALTERED" in out and "m.csv was changed after it was written" in out


def test_auto_grain_keeps_the_native_step_of_several_series(capsys, odd_files):
    # Three countries share each 5-minute timestamp: minute buckets would be four-fifths empty.
    assert (
        main(["anomalies", odd_files["csv"], "--time", 'odd "col" name', "--measure", "sum(select)", "--by", "pays ü"])
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("sum(select) at grain 5min") and "missing value" not in out


@pytest.mark.parametrize("grain", ["5min", "15min", "30min", "quarter", "year"])
def test_protected_metric_at_every_grain(capsys, odd_files, workspace, grain):
    assert (
        main(
            [
                "anomalies",
                odd_files["parquet"],
                "--workspace",
                workspace,
                "--time",
                'odd "col" name',
                "--measure",
                "sum(select)/sum(b)",
                "--grain",
                grain,
                "--format",
                "json",
            ]
        )
        == 0
    )
    assert '"grain": "%s"' % grain in capsys.readouterr().out


def test_all_null_column_anomalies_without_warnings(capsys, odd_files, recwarn):
    assert main(["anomalies", odd_files["parquet"], "--time", 'odd "col" name', "--measure", "mean(nulls)"]) == 0
    captured = capsys.readouterr()
    assert "0 incident(s)" in captured.out and "Warning" not in captured.err
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_audit_verify_with_the_log_after_against(capsys, exported, workspace):
    log = workspace + ".audit.jsonl"
    assert main(["audit", "verify", "--against", str(exported), workspace, log]) == 0
    assert "RESULT: consistent" in capsys.readouterr().out
    assert main(["audit", "verify", "--against", str(exported)]) == 2
    assert "Give the audit log" in capsys.readouterr().err
