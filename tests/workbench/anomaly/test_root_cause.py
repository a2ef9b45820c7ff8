"""Root cause on synthetic cubes with known culprits (DuckDB-generated, deterministic)."""

from __future__ import annotations

import duckdb
import pytest

from tests.workbench.anomaly.conftest import WINDOW
from workbench.anomaly.root_cause import explain
from workbench.errors import SpecError
from workbench.metrics import Measure, MetricSpec

DIMS = ["country", "platform", "surface", "app_version"]


def _explain(con, source, measure="sum(views)", baseline="expected", window=WINDOW, dims=DIMS):
    spec = MetricSpec(table=source.name, measure=Measure.parse(measure), time_column="ts")
    return explain(con, spec, window, dims, baseline=baseline)


@pytest.mark.parametrize("baseline", ["expected", "day", "week", "previous"])
def test_one_dimension(con, make_cube, baseline):
    src = make_cube("CASE WHEN country = 'BR' THEN 3 ELSE 1 END")
    rc = _explain(con, src, baseline=baseline)
    assert rc.culprit_elements() == [{"country": "BR"}]
    if baseline != "previous":  # the previous 6 hours sit elsewhere on the daily cycle: the rest moved too
        assert rc.culprits[0].explanatory_power == pytest.approx(1.0, abs=0.15)
    else:
        assert "spread evenly" in " ".join(rc.notes)


def test_combination_beats_its_parents(con, make_cube):
    src = make_cube("CASE WHEN country = 'IN' AND platform = 'ios' THEN 4 ELSE 1 END")
    rc = _explain(con, src)
    assert rc.culprit_elements() == [{"country": "IN", "platform": "ios"}]
    labels = [s.label for s in rc.ranked]
    assert labels[0] == "country=IN & platform=ios"


def test_two_culprits(con, make_cube):
    src = make_cube("CASE WHEN country = 'US' THEN 2.5 WHEN surface = 'search' THEN 0.2 ELSE 1 END")
    rc = _explain(con, src)
    got = rc.culprit_elements()
    assert {"country": "US"} in got and {"surface": "search"} in got and len(got) == 2


def test_global_change_names_no_segment(con, make_cube):
    rc = _explain(con, make_cube("1.6"))
    assert rc.culprit_elements() == [] and rc.is_global and "global" in rc.verdict


def test_no_change_is_not_blamed_on_noise(con, make_cube):
    rc = _explain(con, make_cube("1"))
    assert rc.culprit_elements() == []


def test_children_explained_by_parent_are_dropped(con, make_cube):
    src = make_cube("CASE WHEN platform = 'android' THEN 0.3 ELSE 1 END")
    rc = _explain(con, src)
    assert rc.culprit_elements() == [{"platform": "android"}]
    kept = [s.element for s in rc.ranked]
    assert not any(
        e.get("platform") == "android"
        and len(e) > 1
        and next(s for s in rc.ranked if s.element == e).fit <= rc.ranked[0].fit - 0.03
        for e in kept
    )


def test_impact_matches_injection(con, make_cube):
    src = make_cube("CASE WHEN country = 'DE' AND surface = 'feed' THEN 3 ELSE 1 END")
    rc = _explain(con, src, baseline="day")
    seg = rc.culprits[0]
    raw = duckdb.connect()
    injected = raw.execute(f"""
        SELECT sum(views) - sum(views) / 3 FROM '{src.files[0]}'
        WHERE country = 'DE' AND surface = 'feed' AND ts >= TIMESTAMP '{WINDOW[0]}' AND ts < TIMESTAMP '{WINDOW[1]}'
    """).fetchone()[0]
    assert seg.impact == pytest.approx(injected, rel=0.1)
    assert seg.impact_low <= seg.impact <= seg.impact_high


def test_ratio_rate_change(con, make_cube):
    src = make_cube("1", "CASE WHEN surface = 'comments' THEN 4 ELSE 1 END")
    rc = _explain(con, src, measure="ratio(violations, views)")
    assert rc.kind == "rate change" and rc.culprit_elements() == [{"surface": "comments"}]
    assert abs(rc.rate_component) > abs(rc.mix_component)
    assert rc.culprits[0].explanatory_power == pytest.approx(1.0, abs=0.15)


def test_ratio_mix_shift(con, make_cube):
    # comments traffic triples with its (high) violation rate unchanged: the overall rate rises by mix.
    mult = "CASE WHEN surface = 'comments' THEN 3 ELSE 1 END"
    src = make_cube(mult, mult)
    rc = _explain(con, src, measure="ratio(violations, views)")
    assert rc.kind == "mix shift" and rc.culprit_elements() == [{"surface": "comments"}]
    assert rc.rate_actual > rc.rate_expected


def test_new_value_is_flagged_not_blamed(con, tmp_path, catalog):
    from tests.conftest import write_parquet
    from tests.workbench.anomaly.conftest import cube_sql

    sql = (
        cube_sql() + f" UNION ALL SELECT ts, 'US', 'android', 'feed', '31.1', 50, 1, 'u1' FROM range(0) t(i), "
        f"(SELECT TIMESTAMP '{WINDOW[0]}' + INTERVAL (k) HOUR AS ts FROM range(6) r(k))"
    )
    src = catalog.open(write_parquet(tmp_path / "newver.parquet", sql.replace("FROM range(0) t(i), ", "FROM ")))
    rc = _explain(con, src, baseline="day")
    assert {"dimension": "app_version", "value": "31.1", "actual": 300.0} in rc.new_values
    assert all("31.1" not in c.label for c in rc.culprits)


def test_count_distinct_reports_affected_users(con, tmp_path, catalog):
    from tests.conftest import write_parquet
    from tests.workbench.anomaly.conftest import cube_sql

    # 400 extra BR users show up in the window (e.g. a spam wave of new accounts).
    extra = (
        f" UNION ALL SELECT TIMESTAMP '{WINDOW[0]}' + INTERVAL (i % 6) HOUR, 'BR', 'android', 'feed', '30.9', 1, 0,"
        f" 'spam' || CAST(i AS VARCHAR) FROM range(400) t(i)"
    )
    src = catalog.open(write_parquet(tmp_path / "users.parquet", cube_sql() + extra))
    rc = _explain(con, src, measure="count_distinct(user_id)", baseline="day")
    assert rc.culprits and rc.culprits[0].element.get("country") == "BR"
    assert rc.culprits[0].affected >= 400


def test_bad_requests_have_clear_messages(con, make_cube):
    src = make_cube()
    with pytest.raises(SpecError, match="outside the data"):
        _explain(con, src, window=("2030-01-01", "2030-01-02"))
    with pytest.raises(SpecError, match="no column"):
        _explain(con, src, dims=["nope"])
    with pytest.raises(SpecError, match="end after"):
        _explain(con, src, window=(WINDOW[1], WINDOW[0]))
    with pytest.raises(SpecError):
        _explain(con, src, measure="p90(views)")
    with pytest.raises(SpecError):
        _explain(con, src, baseline="yesterday")


def test_sql_is_returned_and_one_scan(con, make_cube):
    rc = _explain(con, make_cube("CASE WHEN country = 'BR' THEN 3 ELSE 1 END"), baseline="day")
    scans = [q for q in rc.sql if "read_parquet" in q or 'FROM "cube' in q]
    assert len(scans) == 1 and any("GROUPING SETS" in q for q in rc.sql)
