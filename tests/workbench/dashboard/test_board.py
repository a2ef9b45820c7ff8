"""Dashboard tiles against independent queries and the Explorer's own analyses, on the demo extract."""

from __future__ import annotations

import datetime as dt

import pytest

from workbench.analysis.metric import LeaderboardView, MetricView
from workbench.catalog import Catalog
from workbench.dashboard.board import compute_board, plan_board
from workbench.errors import SpecError
from workbench.metrics import Filter, Measure, MetricSpec
from workbench.metrics_layer import load_metrics, parse_text

BOARD = "Trust & safety weekly"
WHERE = "platform IS DISTINCT FROM 'web'"


def _board(con, board_dir, name=BOARD, **kw):
    mf = load_metrics(board_dir / "metrics.yml")
    return compute_board(con.cursor(), Catalog(con), mf, name, **kw)


def _one(con, query):
    return con.execute(query).fetchone()[0]


def test_kpi_is_the_metric_over_the_whole_range_with_scale_and_its_previous_period(con, board_dir):
    res = _board(con, board_dir)
    kpi = res.tiles[0]
    assert kpi["type"] == "kpi" and kpi["metric"] == "violation_rate"
    q = "SELECT sum(violations) / sum(views) FROM events WHERE {w} AND event_time >= '{s}' AND event_time < '{e}'"
    value = _one(con, q.format(w=WHERE, s="2026-10-01", e="2026-10-08"))
    before = _one(con, q.format(w=WHERE, s="2026-09-24", e="2026-10-01"))
    assert kpi["value"] == value * 1000
    assert kpi["comparison_value"] == before * 1000
    assert kpi["change"] == pytest.approx((value - before) * 1000, rel=1e-12)
    assert kpi["change_pct"] == pytest.approx((value - before) / before * 100, rel=1e-9)
    assert kpi["tone"] == ("good" if value < before else "bad")  # good: down
    assert res.window.to_dict() == {
        "range": {"start": "2026-10-01T00:00:00", "end": "2026-10-08T00:00:00"},
        "compare": {"start": "2026-09-24T00:00:00", "end": "2026-10-01T00:00:00"},
    }
    daily = con.execute(
        f"SELECT date_trunc('day', event_time) d, sum(violations) / sum(views) FROM events "
        f"WHERE {WHERE} AND event_time >= '2026-10-01' AND event_time < '2026-10-08' "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert [(p["bucket"], p["value"]) for p in kpi["series"]] == [(d.isoformat(), v * 1000) for d, v in daily]


def test_chart_and_leaderboard_equal_the_explorer_analyses(con, board_dir):
    res = _board(con, board_dir)
    spec = MetricSpec(
        table="events",
        measure=Measure.parse("ratio(violations, views)"),
        time_column="event_time",
        filters=(Filter.parse("platform != web"),),
        start="2026-10-01",
        end="2026-10-08",
        compare=True,
        breakdown="country",
        top_n=5,
    )
    frame = MetricView(spec).run(con.cursor()).value.frame
    chart = res.tiles[1]["series"]
    assert len(chart) == len(frame) == 6 * 7  # top 5 + Other, 7 days
    for point, row in zip(chart, frame.itertuples()):
        assert (point["bucket"], point["series"]) == (row.bucket.isoformat(), row.series)
        assert point["value"] == row.value * 1000
        assert point["comparison_value"] == row.comparison_value * 1000
    board = LeaderboardView(spec.replace(breakdown=None), "country", 10).run(con.cursor()).value.frame
    rows = res.tiles[2]["rows"]
    assert [r["dimension_value"] for r in rows] == list(board["dimension_value"])
    for r, b in zip(rows, board.itertuples()):
        assert r["value"] == b.value * 1000 and r["rows"] == b.rows and r["share"] == pytest.approx(b.share, rel=1e-12)
        assert r["comparison_value"] == b.comparison_value * 1000
        assert r["change_pct"] == pytest.approx(b.change_pct * 100, rel=1e-9)


def test_pivot_cells_and_totals_equal_a_grouped_query(con, board_dir):
    res = _board(con, board_dir)
    pivot = res.tiles[3]
    cells = dict(
        ((c, p), v * 1000)
        for c, p, v in con.execute(
            f"SELECT country, platform, sum(violations) / sum(views) FROM events WHERE {WHERE} AND "
            "event_time >= '2026-10-01' AND event_time < '2026-10-08' GROUP BY ALL"
        ).fetchall()
    )
    assert set(pivot["columns"]) == {"android", "ios"}  # the metric's filter drops web
    body, total = pivot["rows"][:-1], pivot["rows"][-1]
    for row in body:
        for column in pivot["columns"]:
            assert row[column] == cells[(row["country"], column)]
    assert total["country"] == "Total" and total["Total"] == res.tiles[0]["value"]
    by_platform = dict(
        con.execute(
            f"SELECT platform, sum(violations) / sum(views) * 1000 FROM events WHERE {WHERE} "
            "AND event_time >= '2026-10-01' AND event_time < '2026-10-08' GROUP BY 1"
        ).fetchall()
    )
    assert {c: total[c] for c in pivot["columns"]} == pytest.approx(by_platform, rel=1e-12)
    assert res.tiles[4] == res.tiles[4] | {"type": "text", "text": "Notes for this week"}


def test_tiles_over_one_table_and_filters_share_one_scan(con, board_dir):
    text = (board_dir / "metrics.yml").read_text()
    text = text.replace(
        '      - {text: "Notes for this week"}\n',
        "      - {kpi: reports}\n      - {kpi: batches}\n"
        "      - {kpi: sla}\n      - {kpi: breach_share}\n      - {kpi: ios_reports}\n"
        "      - {leaderboard: reports, by: surface}\n",
    )
    (board_dir / "metrics.yml").write_text(text)
    res = _board(con, board_dir)
    assert len(res.scans) == 3  # violation_rate (platform != web); the unfiltered five; ios only
    unfiltered = [s for s in res.scans if not s.plan.filter_labels][0]
    assert len(unfiltered.plan.measures) == 4  # reports, batches, sla, breach_share in one pass
    tiles = {t["metric"]: t for t in res.tiles[4:9]}
    assert tiles["reports"]["sql"] == tiles["batches"]["sql"] == [unfiltered.sql]
    span = "event_time >= '2026-10-01' AND event_time < '2026-10-08'"
    assert tiles["reports"]["value"] == _one(con, f"SELECT sum(reports) FROM events WHERE {span}")
    assert tiles["batches"]["value"] == _one(con, f"SELECT count(*) FROM events WHERE {span}")
    assert tiles["sla"]["value"] == pytest.approx(
        _one(con, f"SELECT avg(sla_days) FROM events WHERE {span}"), rel=1e-12
    )
    assert tiles["breach_share"]["value"] == pytest.approx(
        _one(con, f"SELECT avg(sla_breached::INT) FROM events WHERE {span}"), rel=1e-12
    )
    assert tiles["ios_reports"]["value"] == _one(
        con, f"SELECT sum(reports) FROM events WHERE platform = 'ios' AND {span}"
    )


def test_cross_filters_apply_to_every_tile(con, board_dir):
    res = _board(con, board_dir, cross_filters=(Filter.parse("country=BR"),))
    value = _one(
        con,
        f"SELECT sum(violations) / sum(views) FROM events WHERE {WHERE} AND country = 'BR' "
        "AND event_time >= '2026-10-01' AND event_time < '2026-10-08'",
    )
    assert res.tiles[0]["value"] == value * 1000
    assert [r["dimension_value"] for r in res.tiles[2]["rows"]] == ["BR"]
    assert {p["series"] for p in res.tiles[1]["series"]} == {"BR"}


@pytest.mark.parametrize("compare, cmp_start", [("1 week", "2026-09-24"), ("4 weeks", "2026-09-03"), ("none", None)])
def test_comparisons(con, board_dir, compare, cmp_start):
    text = (board_dir / "metrics.yml").read_text().replace("compare: previous period", f'compare: "{compare}"')
    (board_dir / "metrics.yml").write_text(text)
    res = _board(con, board_dir)
    kpi = res.tiles[0]
    if cmp_start is None:
        assert res.to_dict()["compare"] is None and kpi["comparison_value"] is None and kpi["change"] is None
        return
    end = (dt.date.fromisoformat(cmp_start) + dt.timedelta(days=7)).isoformat()
    before = _one(
        con,
        f"SELECT sum(violations) / sum(views) FROM events WHERE {WHERE} AND "
        f"event_time >= '{cmp_start}' AND event_time < '{end}'",
    )
    assert res.to_dict()["compare"] == {"start": f"{cmp_start}T00:00:00", "end": f"{end}T00:00:00"}
    assert kpi["comparison_value"] == before * 1000


def test_a_relative_range_ends_with_the_data(con, board_dir):
    text = (board_dir / "metrics.yml").read_text().replace("{start: 2026-10-01, end: 2026-10-08}", "{last: 7 days}")
    (board_dir / "metrics.yml").write_text(text)
    res = _board(con, board_dir)
    assert res.to_dict()["range"] == {"start": "2026-10-25T00:00:00", "end": "2026-11-01T00:00:00"}  # demo ends Oct 31
    assert res.notes and "resolved" in res.notes[0]


def test_overlapping_comparison_periods_use_one_scan(con, board_dir):
    text = (board_dir / "metrics.yml").read_text()
    text = text.replace("{start: 2026-10-01, end: 2026-10-08}", "{start: 2026-09-01, end: 2026-10-01}")
    (board_dir / "metrics.yml").write_text(text.replace("compare: previous period", 'compare: "1 week"'))
    res = _board(con, board_dir)
    before = _one(
        con,
        f"SELECT sum(violations) / sum(views) FROM events WHERE {WHERE} AND "
        "event_time >= '2026-08-25' AND event_time < '2026-09-24'",
    )
    assert res.tiles[0]["comparison_value"] == before * 1000 and len(res.scans) == 1


def test_an_anomaly_on_the_last_complete_day_puts_a_badge_on_the_kpi(con, tmp_path):
    import duckdb

    path = tmp_path / "feed.parquet"
    raw = duckdb.connect()
    raw.execute(f"""COPY (SELECT TIMESTAMP '2026-01-01' + INTERVAL (d) DAY + INTERVAL (h) HOUR AS ts,
                    CASE WHEN d = 59 THEN 60 ELSE 10 + (d * 7 + h) % 3 END AS findings
                    FROM range(60) a(d), range(24) b(h)) TO '{path}' (FORMAT parquet)""")
    raw.close()
    text = """version: 1
metrics:
  - {name: findings, source: feed, measure: sum(findings), good: down}
dashboards:
  - {name: b, range: {last: 7 days}, compare: none, tiles: [{kpi: findings}, {chart: findings}]}
"""
    mf = parse_text(text, tmp_path / "metrics.yml")
    res = compute_board(con.cursor(), Catalog(con), mf, "b")
    badge = res.tiles[0]["alert"]
    assert badge and badge["source"] == "detector" and badge["bucket"] == "2026-03-01T00:00:00"
    assert badge["direction"] == "up"
    assert res.tiles[1]["band"] and res.tiles[1]["incidents"]
    quiet = compute_board(con.cursor(), Catalog(con), mf, "b", now=dt.datetime(2026, 3, 1, 12))
    assert quiet.tiles[0]["alert"] is None  # the spike day is not complete yet


def test_missing_columns_and_tables_are_clear_errors_on_the_tile(con, board_dir):
    text = (board_dir / "metrics.yml").read_text().replace("by: country, limit: 10", "by: nation, limit: 10")
    (board_dir / "metrics.yml").write_text(text)
    res = _board(con, board_dir)
    assert res.tiles[2]["error"] == "events has no column 'nation'" and res.tiles[0]["error"] is None
    with pytest.raises(SpecError, match="No dashboard named 'nope'"):
        _board(con, board_dir, name="nope")


def test_plan_without_running(con, board_dir):
    mf = load_metrics(board_dir / "metrics.yml")
    plan = plan_board(con.cursor(), Catalog(con), mf, mf.dashboards[0])
    assert len(plan.scans) == 1 and "GROUPING SETS" in plan.scans[0].sql(plan.window)


def test_a_board_without_time_buckets_still_scans_once(con, board_dir):
    text = """version: 1
metrics:
  - {name: reports, source: events, measure: sum(reports)}
dashboards:
  - {name: b, range: {start: 2026-10-01, end: 2026-10-08}, tiles: [{leaderboard: reports, by: country},
     {table: [reports], by: platform}]}
"""
    mf = parse_text(text, board_dir / "m.yml")
    res = compute_board(con.cursor(), Catalog(con), mf, "b")
    rows = dict(
        con.execute(
            "SELECT platform, sum(reports) FROM events WHERE event_time >= '2026-10-01' "
            "AND event_time < '2026-10-08' GROUP BY 1"
        ).fetchall()
    )
    assert {r["platform"]: r["reports"] for r in res.tiles[1]["rows"]} == rows
    assert res.tiles[0]["rows"][0]["value"] == max(
        v
        for (v,) in con.execute(
            "SELECT sum(reports) FROM events WHERE event_time >= '2026-10-01' "
            "AND event_time < '2026-10-08' GROUP BY country"
        ).fetchall()
    )


def test_null_and_odd_dimension_values_are_labelled_as_the_explorer_labels_them(con, tmp_path):
    import duckdb

    path = tmp_path / "odd.parquet"
    raw = duckdb.connect()
    raw.execute(f"""COPY (SELECT TIMESTAMP '2026-01-01' + INTERVAL (i) HOUR AS ts,
                    CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN '(null)' WHEN 2 THEN 'a "b"' ELSE 'BR' END AS country,
                    i % 3 AS tier, i % 7 AS n FROM range(24 * 20) t(i)) TO '{path}' (FORMAT parquet)""")
    raw.close()
    text = """version: 1
metrics:
  - {name: n, source: odd, measure: sum(n)}
dashboards:
  - {name: b, range: {start: 2026-01-10, end: 2026-01-17}, tiles: [{leaderboard: n, by: country},
     {leaderboard: n, by: tier}, {chart: n, by: country, top: 2}]}
"""
    catalog = Catalog(con)
    res = compute_board(con.cursor(), catalog, parse_text(text, tmp_path / "m.yml"), "b")
    spec = MetricSpec(
        table="odd", measure=Measure.parse("sum(n)"), start="2026-01-10", end="2026-01-17", breakdown="country", top_n=2
    )
    for tile, dim in ((res.tiles[0], "country"), (res.tiles[1], "tier")):
        board = LeaderboardView(spec.replace(breakdown=None), dim, 10).run(con.cursor()).value.frame
        assert [(r["dimension_value"], r["value"]) for r in tile["rows"]] == list(
            zip(board["dimension_value"], board["value"])
        )
    frame = MetricView(spec).run(con.cursor()).value.frame
    assert [(p["series"], p["value"]) for p in res.tiles[2]["series"]] == list(zip(frame["series"], frame["value"]))


def test_small_cells_are_withheld_when_asked(con, board_dir):
    from workbench.dashboard.suppress import suppress_tile

    res = _board(con, board_dir)
    leaderboard, pivot = res.tiles[2], res.tiles[3]
    k = sorted(r["rows"] for r in leaderboard["rows"])[2]  # withholds the two smallest countries
    hidden, n = suppress_tile(leaderboard, k)
    assert n == 2 and [r["value"] for r in hidden["rows"]].count(f"<{k}") == 2
    assert leaderboard["rows"][-1]["value"] != f"<{k}"  # the computed tile is left as it was
    big = max(pivot["cell_rows"].values()) + 1
    hidden, n = suppress_tile(pivot, big)
    assert n == len(pivot["cell_rows"]) and hidden["rows"][-1]["Total"] == pivot["rows"][-1]["Total"]
    assert suppress_tile(res.tiles[0], 10) == (res.tiles[0], 0)


def test_html_export_withholds_small_cells_and_masks_personal_values(con, board_dir):
    from workbench.dashboard.html_render import render_board_html

    text = """version: 1
metrics:
  - {name: reports, source: events, measure: sum(reports)}
dashboards:
  - {name: b, range: {start: 2026-10-01, end: 2026-10-08}, tiles: [{leaderboard: reports, by: country},
     {table: [reports], by: platform}]}
"""
    res = compute_board(con.cursor(), Catalog(con), parse_text(text, board_dir / "m.yml"), "b").to_dict()
    page = render_board_html(res, stamp={"sources": [{"name": "events", "sha256": "ab" * 32, "row_count": 1}]}, k=10**9)
    assert page.count("&lt;1000000000") >= 3 * len(res["tiles"][0]["rows"]) + len(res["tiles"][1]["rows"])
    assert "ab" * 32 in page
    res["tiles"][0]["by"] = "user_email"  # a dimension that looks like personal data is masked
    res["tiles"][0]["rows"][0]["dimension_value"] = "ana@example.com"
    assert "ana@example.com" not in render_board_html(res, stamp={}, k=None)
