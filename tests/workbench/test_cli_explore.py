"""`workbench open|demo|schema|metric|sql|profile`: output checked against plain DuckDB, bad input gives one
clear line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import write_parquet
from workbench.cli import main

REPO = Path(__file__).resolve().parents[2]


def run(capsys, *argv):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse usage errors exit through the parser
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def rows_of(text):
    return list(csv.DictReader(io.StringIO(text)))


def assert_clean_error(code, err, *fragments):
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("workbench: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment.lower() in lines[0].lower(), lines[0]


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    from workbench.demo import write_demo

    return write_demo(tmp_path_factory.mktemp("demo"), rows=60_000, users=3_000)


# --- happy paths -----------------------------------------------------------------------------------------


def test_demo_command_writes_both_files(capsys, tmp_path):
    code, out, err = run(capsys, "demo", "--rows", "20000", "--users", "500", "--out", tmp_path / "d")
    assert code == 0, err
    assert (tmp_path / "d" / "events.parquet").exists() and (tmp_path / "d" / "experiment.parquet").exists()
    assert "report_spike_br_android_540" in out
    (n,) = duckdb.execute(f"SELECT count(*) FROM '{tmp_path / 'd' / 'events.parquet'}'").fetchone()
    assert n == 20_000


def test_schema_text_and_json(capsys, events_parquet):
    code, out, _ = run(capsys, "schema", events_parquet)
    assert code == 0
    assert "240 rows" in out and "' leading'" in out and "空白 col" in out
    code, out, _ = run(capsys, "schema", events_parquet, "--format", "json")
    doc = json.loads(out)
    assert doc["row_count"] == 240 and doc["files"][0]["size_bytes"] == Path(events_parquet).stat().st_size
    cols = {c["name"]: c for c in doc["columns"]}
    assert cols['a "b"; drop']["type"] == "BIGINT" and cols["ts"]["type"] == "TIMESTAMP"


def test_metric_daily_by_country_matches_duckdb(capsys, small_demo):
    path = small_demo.events
    code, out, err = run(
        capsys,
        "metric",
        path,
        "--measure",
        "sum(views)",
        "--grain",
        "day",
        "--by",
        "country",
        "--top",
        "3",
        "--filter",
        "platform=android",
        "--start",
        "2026-09-01",
        "--end",
        "2026-09-08",
    )
    assert code == 0, err
    got = {(r["bucket"][:10], r["series"]): float(r["value"]) for r in rows_of(out)}
    ref = duckdb.execute(
        f"""WITH t AS (SELECT country FROM '{path}' WHERE platform = 'android' AND event_time >= '2026-09-01'
                AND event_time < '2026-09-08' GROUP BY 1 ORDER BY sum(views) DESC LIMIT 3)
            SELECT strftime(event_time::DATE, '%Y-%m-%d'),
                   CASE WHEN country IN (SELECT country FROM t) THEN country ELSE 'Other' END, sum(views)
            FROM '{path}' WHERE platform = 'android' AND event_time >= '2026-09-01' AND event_time < '2026-09-08'
            GROUP BY ALL"""
    ).fetchall()
    assert got == {(d, s): float(v) for d, s, v in ref}
    assert len({s for _, s in got}) == 4  # 3 + Other


def test_metric_json_compare_and_sql(capsys, small_demo):
    code, out, err = run(
        capsys,
        "metric",
        small_demo.events,
        "--measure",
        "ratio(violations, views)",
        "--start",
        "2026-10-01",
        "--end",
        "2026-10-08",
        "--compare",
        "--format",
        "json",
        "--show-sql",
    )
    assert code == 0, err
    doc = json.loads(out)
    assert len(doc["rows"]) == 7 and all(r["comparison_value"] is not None for r in doc["rows"])
    assert doc["spec"]["measure"]["agg"] == "ratio" and "SELECT" in doc["sql"]
    assert "SELECT" in err  # --show-sql goes to stderr, keeping stdout parseable


def test_metric_odd_column_names(capsys, events_parquet):
    code, out, err = run(
        capsys,
        "metric",
        events_parquet,
        "--measure",
        'sum("a ""b""; drop")',
        "--by",
        "空白 col",
        "--filter",
        "select>=1",
    )
    assert code == 0, err
    total = sum(float(r["value"]) for r in rows_of(out))
    (ref,) = duckdb.execute(f"""SELECT sum("a ""b""; drop") FROM '{events_parquet}' WHERE "select" >= 1""").fetchone()
    assert total == ref


def test_sql_view_named_after_file_and_data(capsys, events_parquet):
    code, out, _ = run(capsys, "sql", events_parquet, 'SELECT count(*) AS n, sum("select") AS s FROM events')
    assert rows_of(out) == [{"n": "240", "s": str(sum(i % 5 for i in range(240)))}]
    code, out, _ = run(
        capsys, "sql", events_parquet, 'SELECT "空白 col", ts FROM data ORDER BY ts LIMIT 2', "--format", "json"
    )
    assert code == 0
    assert json.loads(out) == [
        {"空白 col": "v0", "ts": "2024-01-01 00:00:00"},
        {"空白 col": "v1", "ts": "2024-01-01 01:00:00"},
    ]


def test_sql_empty_result_is_valid_output(capsys, events_parquet):
    code, out, _ = run(capsys, "sql", events_parquet, "SELECT * FROM data WHERE false", "--format", "json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = run(capsys, "sql", events_parquet, "SELECT country FROM data WHERE false")
    assert out == "country\n"


@pytest.mark.parametrize(
    "statement",
    [
        "DROP VIEW data",
        "CREATE TABLE x AS SELECT 1",
        "COPY (SELECT 1) TO '/tmp/wb-should-not-exist.csv'",
        "INSTALL httpfs",
        "SET threads = 1",
        "SELECT 1; SELECT 2",
        "",
    ],
)
def test_sql_rejects_non_queries(capsys, events_parquet, statement):
    code, _, err = run(capsys, "sql", events_parquet, statement)
    assert_clean_error(code, err)
    assert not Path("/tmp/wb-should-not-exist.csv").exists()


def test_sql_error_is_one_line(capsys, events_parquet):
    code, _, err = run(capsys, "sql", events_parquet, "SELECT nope FROM data")
    assert_clean_error(code, err, "nope")


@pytest.mark.parametrize(
    "query, words",
    [
        ("SELECT * FROM read_text('/etc/shadow')", "/etc/shadow is outside the opened sources"),
        ("SELECT * FROM read_text('/proc/self/environ')", "/proc/self/environ is outside the opened sources"),
        ("SELECT count(*) FROM glob('/**')", "is outside the opened sources"),
        ("SELECT * FROM sniff_csv('/etc/passwd')", "/etc/passwd is outside the opened sources"),
        ("SELECT * FROM checkpoint()", "checkpoint() is not allowed here"),
        ("SELECT * FROM truncate_duckdb_logs()", "truncate_duckdb_logs() is not allowed here"),
    ],
)
def test_sql_reads_only_the_opened_file(capsys, events_parquet, query, words):
    code, _, err = run(capsys, "sql", events_parquet, query)
    assert_clean_error(code, err, words)


def test_sql_cannot_read_a_file_beside_the_opened_one(capsys, tmp_path, events_parquet):
    other = tmp_path / "other.csv"
    other.write_text("secret\n42\n")
    code, _, err = run(capsys, "sql", events_parquet, f"SELECT * FROM read_csv('{other}')")
    assert_clean_error(code, err, "outside the opened sources")
    code, out, _ = run(capsys, "sql", events_parquet, f"SELECT count(*) AS n FROM read_parquet('{events_parquet}')")
    assert code == 0 and out.splitlines() == ["n", "240"]


def test_profile_text_and_json(capsys, events_parquet):
    code, out, _ = run(capsys, "profile", events_parquet, "all_null")
    assert code == 0 and "100.00%" in out
    code, out, _ = run(capsys, "profile", events_parquet, 'a "b"; drop', "--format", "json")
    doc = json.loads(out)
    assert doc["distinct_count"] == 3 and doc["row_count"] == 240
    code, out, _ = run(capsys, "profile", events_parquet, "ts", "--bins", "4")
    assert code == 0 and "histogram" in out


def test_open_hands_paths_to_gui(capsys, monkeypatch, events_parquet):
    import workbench.cli as cli

    seen = []
    monkeypatch.setattr(cli, "launch_gui", lambda paths=None, demo=False: seen.append(paths) or 0)
    assert main(["open", events_parquet]) == 0
    assert seen == [[events_parquet]]
    code, _, err = run(capsys, "open", "https://example.com/x.parquet")
    assert_clean_error(code, err, "remote")


# --- bad input ---------------------------------------------------------------------------------------------


@pytest.fixture
def bad_files(tmp_path, events_parquet):
    text = tmp_path / "notes.parquet"
    text.write_text("country,views\nBR,3\n")
    truncated = tmp_path / "truncated.parquet"
    data = Path(events_parquet).read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    empty = tmp_path / "empty.parquet"
    empty.write_bytes(b"")
    return {
        "text": (text, "not a parquet"),
        "truncated": (truncated, "truncated"),
        "empty": (empty, "empty"),
        "missing": (tmp_path / "nope.parquet", "no such file"),
    }


@pytest.mark.parametrize("kind", ["text", "truncated", "empty", "missing"])
@pytest.mark.parametrize(
    "command",
    [
        ["schema"],
        ["metric", "--measure", "count(*)"],
        ["sql", "SELECT 1"],
        ["profile", "x"],
    ],
)
def test_bad_files_give_one_clear_line(capsys, bad_files, kind, command):
    path, fragment = bad_files[kind]
    argv = [command[0], path, *command[1:]]
    code, out, err = run(capsys, *argv)
    assert_clean_error(code, err, fragment)
    assert out == ""


def test_zero_row_file(capsys, tmp_path):
    path = write_parquet(tmp_path / "zero.parquet", "SELECT TIMESTAMP '2024-01-01' AS ts, 1 AS v WHERE false")
    code, out, _ = run(capsys, "schema", path)
    assert code == 0 and "0 rows" in out
    code, out, err = run(capsys, "metric", path, "--measure", "sum(v)")
    assert code == 0, err
    assert rows_of(out) == []
    code, out, _ = run(capsys, "profile", path, "v", "--format", "json")
    assert json.loads(out)["row_count"] == 0


def test_spec_mistakes(capsys, events_parquet):
    code, _, err = run(capsys, "metric", events_parquet, "--measure", "sum(nope)")
    assert_clean_error(code, err, "nope")
    code, _, err = run(capsys, "metric", events_parquet, "--measure", "frobnicate(views)")
    assert_clean_error(code, err, "frobnicate")
    code, _, err = run(capsys, "profile", events_parquet, "nope")
    assert_clean_error(code, err, "no column")
    code, _, err = run(capsys, "demo", "--rows", "0", "--out", "x")
    assert_clean_error(code, err, "at least 1")


def test_no_time_column_says_what_is_needed(capsys, tmp_path):
    path = write_parquet(tmp_path / "notime.parquet", "SELECT 1 AS v")
    code, _, err = run(capsys, "metric", path, "--measure", "sum(v)")
    assert_clean_error(code, err, "time")


# --- as a user runs it -------------------------------------------------------------------------------------


def _cli(*argv):
    return subprocess.run(
        [sys.executable, "-m", "workbench", *map(str, argv)], capture_output=True, text=True, cwd=REPO, timeout=120
    )


def test_subprocess_metric_csv(events_parquet):
    proc = _cli("metric", events_parquet, "--measure", "sum(views)", "--grain", "day")
    assert proc.returncode == 0, proc.stderr
    rows = rows_of(proc.stdout)
    assert len(rows) == 10 and sum(float(r["value"]) for r in rows) == sum(i % 7 for i in range(240))


def test_subprocess_bad_file_no_traceback(tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_text("hello")
    proc = _cli("schema", bad)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "workbench: bad.parquet is not a Parquet file (bad magic bytes)"
