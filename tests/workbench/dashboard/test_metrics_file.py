"""The metrics file: the issue's YAML as written, errors that name the line and the field, and the CLI."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli
from tests.workbench.dashboard.conftest import ISSUE_YAML
from workbench.metrics_layer import MetricsFileError, check_text, parse_text


def test_the_issue_yaml_is_accepted_as_written(tmp_path):
    mf = parse_text(ISSUE_YAML, tmp_path / "metrics.yml")
    m = mf.metric("violation_rate")
    assert (m.label, m.source, m.time, m.measure.agg, m.measure.column, m.measure.denominator) == (
        "Violations per 1k views",
        "events",
        "event_time",
        "ratio",
        "violations",
        "views",
    )
    assert (m.scale, m.filter_texts, m.format, m.good) == (1000, ("platform != web",), "number", "down")
    assert m.filters[0].op == "!=" and m.line == 3
    board = mf.dashboard("Trust & safety weekly")
    assert (board.start.isoformat(), board.end.isoformat(), board.compare, board.grain) == (
        "2026-10-01T00:00:00",
        "2026-10-08T00:00:00",
        "previous period",
        "day",
    )
    assert [t.type for t in board.tiles] == ["kpi", "chart", "leaderboard", "pivot", "text"]
    chart, pivot = board.tiles[1], board.tiles[3]
    assert (chart.by, chart.top, board.tiles[2].limit, pivot.rows, pivot.columns) == (
        "country",
        5,
        10,
        "country",
        "platform",
    )
    again = parse_text(_dump(mf.to_dict()), tmp_path / "metrics.yml")  # what the editor writes reads back the same
    assert again.metrics == mf.metrics and again.dashboards == mf.dashboards


def _dump(d):
    import yaml

    return yaml.safe_dump(d, sort_keys=False)


@pytest.mark.parametrize(
    "old, new, line, field",
    [
        ("good: down", "good: sideways", 11, "metric violation_rate.good"),
        ("measure: ratio(violations, views)", "measure: ratio(violations)", 7, "metric violation_rate.measure"),
        ('filters: ["platform != web"]', 'filters: ["platform ~ web"]', 9, "metric violation_rate.filters[0]"),
        ("scale: 1000", "scale: lots", 8, "metric violation_rate.scale"),
        ("{kpi: violation_rate}", "{kpi: violation_rat}", 20, "dashboard 'Trust & safety weekly'.tiles[0].kpi"),
        ("grain: day", "grain: fortnight", 17, "dashboard 'Trust & safety weekly'.grain"),
        ("compare: previous period", "compare: last year", 16, "dashboard 'Trust & safety weekly'.compare"),
        (
            "{start: 2026-10-01, end: 2026-10-08}",
            "{last: seven days}",
            15,
            "dashboard 'Trust & safety weekly'.range.last",
        ),
        ("    label: Violations", "    lable: Violations", 4, "metric violation_rate.lable"),
    ],
)
def test_errors_name_the_line_and_field(tmp_path, old, new, line, field):
    _mf, errors = check_text(ISSUE_YAML.replace(old, new), tmp_path / "m.yml")
    assert [(e.line, e.field) for e in errors] == [(line, field)], errors
    assert str(errors[0]).startswith(f"{tmp_path / 'm.yml'}:{line}: {field}: ")


def test_yaml_syntax_errors_and_wrong_shapes(tmp_path):
    with pytest.raises(MetricsFileError, match=r"m.yml:4: not valid YAML"):
        parse_text("version: 1\nmetrics:\n  - name: [a\n", tmp_path / "m.yml")
    with pytest.raises(MetricsFileError, match="metrics: a list of at least one metric is required"):
        parse_text("version: 1\n", tmp_path / "m.yml")
    with pytest.raises(MetricsFileError, match="version: 2 is not supported"):
        parse_text(ISSUE_YAML.replace("version: 1", "version: 2"), tmp_path / "m.yml")
    _mf, errors = check_text(ISSUE_YAML.replace("name: violation_rate", "name: 9 lives"), tmp_path / "m.yml")
    assert errors and errors[0].line == 3


def test_cli_render_json_has_the_documented_shape(capsys, board_dir):
    code, out, err = run_cli(
        capsys,
        "dashboard",
        "render",
        board_dir / "metrics.yml",
        "--dashboard",
        "Trust & safety weekly",
        "--format",
        "json",
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["dashboard"] == "Trust & safety weekly"
    assert doc["range"] == {"start": "2026-10-01T00:00:00", "end": "2026-10-08T00:00:00"}
    assert doc["compare"] == {"start": "2026-09-24T00:00:00", "end": "2026-10-01T00:00:00"}
    for tile in doc["tiles"]:
        assert {"type", "metric", "value", "comparison_value", "change", "change_pct", "series", "rows", "sql"} <= set(
            tile
        )
    kpi = doc["tiles"][0]
    assert (
        kpi["type"] == "kpi"
        and isinstance(kpi["value"], float)
        and kpi["sql"]
        and kpi["series"][0].keys() >= {"bucket", "value"}
    )
    assert doc["tiles"][2]["rows"] and doc["tiles"][4]["type"] == "text"


def test_cli_render_data_dir_html_and_audit(capsys, board_dir, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("defs")
    (elsewhere / "metrics.yml").write_text((board_dir / "metrics.yml").read_text())
    out_file = board_dir / "board.html"
    code, _out, err = run_cli(
        capsys,
        "dashboard",
        "render",
        elsewhere / "metrics.yml",
        "--dashboard",
        "trust & safety weekly",
        "--data",
        board_dir,
        "--format",
        "html",
        "--out",
        out_file,
    )
    assert code == 0, err
    page = out_file.read_text()
    assert "Trust &amp; safety weekly" in page and "sha256" in page and "<svg" in page
    from workbench.audit import AuditLog
    from workbench.cli.outputs import default_log_path

    actions = [e["action"] for e in AuditLog(default_log_path()).entries()]
    assert actions[-2:] == ["query_run", "export_written"]
    code, _out, err = run_cli(capsys, "dashboard", "render", elsewhere / "metrics.yml", "--dashboard", "x")
    assert code == 2 and "No dashboard named 'x'" in err
    code, _out, err = run_cli(
        capsys, "dashboard", "render", elsewhere / "metrics.yml", "--dashboard", "Trust & safety weekly"
    )
    assert code == 2 and "Cannot find the source 'events'" in err


def test_cli_metrics_list_and_validate(capsys, board_dir):
    code, out, _ = run_cli(capsys, "metrics", "list", board_dir / "metrics.yml", "--format", "json")
    assert code == 0 and [m["name"] for m in json.loads(out)["metrics"]][:2] == ["violation_rate", "reports"]
    code, out, _ = run_cli(capsys, "metrics", "validate", board_dir / "metrics.yml")
    assert code == 0 and "valid" in out
    bad = board_dir / "bad.yml"
    bad.write_text((board_dir / "metrics.yml").read_text().replace("measure: sum(reports)", "measure: sum(report)"))
    code, out, _ = run_cli(capsys, "metrics", "validate", bad, "--format", "json")
    doc = json.loads(out)
    assert code == 1 and not doc["valid"] and doc["errors"][0]["field"] == "metric reports"
    assert "no column 'report'" in doc["errors"][0]["message"] and doc["errors"][0]["line"] == 13
    code, out, _ = run_cli(capsys, "metrics", "validate", bad, "--no-data")
    assert code == 0


def test_kpi_sparkline_and_chart_equal_workbench_metric_on_the_command_line(capsys, board_dir):
    code, out, err = run_cli(
        capsys, "dashboard", "render", board_dir / "metrics.yml", "--dashboard", "Trust & safety weekly"
    )
    assert code == 0, err
    tiles = json.loads(out)["tiles"]
    base = [
        "metric",
        board_dir / "events.parquet",
        "--measure",
        "ratio(violations, views)",
        "--filter",
        "platform != web",
        "--start",
        "2026-10-01",
        "--end",
        "2026-10-08",
        "--compare",
        "--format",
        "json",
    ]
    code, out, err = run_cli(capsys, *base)
    assert code == 0, err
    rows = json.loads(out)["rows"]
    assert [(p["bucket"], p["value"], p["comparison_value"]) for p in tiles[0]["series"]] == [
        (r["bucket"], r["value"] * 1000, r["comparison_value"] * 1000) for r in rows
    ]
    code, out, err = run_cli(capsys, *base, "--by", "country", "--top", "5")
    rows = json.loads(out)["rows"]
    assert [(p["bucket"], p["series"], p["value"]) for p in tiles[1]["series"]] == [
        (r["bucket"], r["series"], r["value"] * 1000) for r in rows
    ]
