"""The demo extract: deterministic, the documented schema, and the documented incidents really present."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow.parquet as pq
import pytest

from workbench import demo

ROWS = 1_000_000
USERS = 30_000


@pytest.fixture(scope="module")
def demo_paths(tmp_path_factory):
    return demo.write_demo(tmp_path_factory.mktemp("demo"), rows=ROWS, seed=7, users=USERS)


@pytest.fixture(scope="module")
def raw(demo_paths):
    con = duckdb.connect()
    con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{demo_paths.events}')")
    con.execute(f"CREATE VIEW experiment AS SELECT * FROM read_parquet('{demo_paths.experiment}')")
    yield con
    con.close()


def test_same_seed_same_content_other_seed_differs(tmp_path):
    a = demo.write_demo(tmp_path / "a", rows=120_000, seed=3, users=2_000)
    b = demo.write_demo(tmp_path / "b", rows=120_000, seed=3, users=2_000)
    c = demo.write_demo(tmp_path / "c", rows=120_000, seed=4, users=2_000)
    assert pq.read_table(a.events).equals(pq.read_table(b.events))
    assert pq.read_table(a.experiment).equals(pq.read_table(b.experiment))
    assert not pq.read_table(a.events).equals(pq.read_table(c.events))
    # a content hash, as a reviewer would compute it
    h = [duckdb.execute(f"SELECT sum(hash(t)) FROM read_parquet('{p.events}') t").fetchone()[0] for p in (a, b)]
    assert h[0] == h[1]


def test_events_schema_and_size(raw, demo_paths):
    cols = dict(raw.execute("SELECT column_name, column_type FROM (DESCRIBE events)").fetchall())
    assert cols == {
        "event_time": "TIMESTAMP",
        "country": "VARCHAR",
        "platform": "VARCHAR",
        "app_version": "VARCHAR",
        "surface": "VARCHAR",
        "policy": "VARCHAR",
        "views": "BIGINT",
        "reports": "INTEGER",
        "violations": "INTEGER",
        "actions": "INTEGER",
        "access_requests": "INTEGER",
        "deletion_requests": "INTEGER",
        "sla_days": "DOUBLE",
        "sla_breached": "BOOLEAN",
    }
    n, lo, hi, days = raw.execute(
        "SELECT count(*), min(event_time), max(event_time), count(DISTINCT event_time::DATE) FROM events"
    ).fetchone()
    assert n == ROWS
    assert lo >= demo.START and hi < demo.END and days == demo.DAYS
    # exactly one temporal column, so the explorer can auto-detect it
    assert sum(t.startswith(("TIMESTAMP", "DATE")) for t in cols.values()) == 1
    # sla_days is NULL exactly when the batch had no privacy request
    (bad,) = raw.execute(
        "SELECT count(*) FROM events WHERE (sla_days IS NULL) <> (access_requests + deletion_requests = 0)"
    ).fetchone()
    assert bad == 0


def test_experiment_schema(raw):
    cols = [r[0] for r in raw.execute("DESCRIBE experiment").fetchall()]
    for name in (
        "user_id",
        "arm",
        "assigned_at",
        "country",
        "pre_time_spent_min",
        "time_spent_min",
        "reported",
        "reports_submitted",
        "reports_actioned",
        "app_crashes",
    ):
        assert name in cols
    n, users, arms = raw.execute(
        "SELECT count(*), count(DISTINCT user_id), list(DISTINCT arm ORDER BY arm) FROM experiment"
    ).fetchone()
    assert n == users == USERS
    assert tuple(arms) == demo.EXPERIMENT["arms"]
    (rho,) = raw.execute("SELECT corr(pre_time_spent_min, time_spent_min) FROM experiment").fetchone()
    assert rho > 0.5  # the covariate is useful for CUPED
    lift = dict(
        raw.execute(
            "SELECT arm, avg(reports_submitted) / (SELECT avg(reports_submitted) FROM experiment WHERE arm = 'control') "
            "FROM experiment GROUP BY arm"
        ).fetchall()
    )
    assert lift["treatment_b"] > lift["control"] == pytest.approx(1.0)


def test_rollout_ramps_new_version_and_retires_old(raw):
    def share(version, day):
        (s,) = raw.execute(
            "SELECT avg((app_version = ?)::INT) FROM events WHERE platform = 'android' AND event_time::DATE = ?",
            [version, demo.START.date() + dt.timedelta(days=day)],
        ).fetchone()
        return s

    assert share("5.4.0", 40) < 0.02
    assert 0.1 < share("5.4.0", 44) < 0.9
    assert share("5.4.0", 44) < share("5.4.0", 47)
    assert share("5.3.0", 47) < share("5.3.0", 40)


def _ratio(raw, num, den, where, params):
    (r,) = raw.execute(f"SELECT sum({num}) / sum({den}) FROM events WHERE {where}", params).fetchone()
    return r


def _culprit_sql(culprit):
    return " AND ".join(f"{col} = ?" for col in culprit), list(culprit.values())


@pytest.mark.parametrize("incident", demo.INCIDENTS, ids=lambda i: i.name)
def test_incident_present_where_documented(raw, incident):
    match, values = _culprit_sql(incident.culprit)
    inside = "event_time >= ? AND event_time < ?"
    window = [incident.start, incident.end]
    before = [incident.start - dt.timedelta(days=7), incident.start - dt.timedelta(days=1)]
    metric = incident.metrics[0]
    den = "1" if metric == "views" else "views"
    hit = _ratio(raw, metric, den, f"{match} AND {inside}", values + window)
    base = _ratio(raw, metric, den, f"{match} AND {inside}", values + before)
    others = _ratio(raw, metric, den, f"NOT ({match}) AND {inside}", values + window)
    others_base = _ratio(raw, metric, den, f"NOT ({match}) AND {inside}", values + before)
    if incident.factor > 1:
        assert hit / base > incident.factor / 2
    else:
        assert hit / base < incident.factor * 2
    assert others / others_base == pytest.approx(1.0, abs=0.2)  # the rest of the data is unaffected


def test_deletion_surge_delays_sla(raw):
    inc = next(i for i in demo.INCIDENTS if i.name == "deletion_surge_de")
    in_de, out_de = raw.execute(
        "SELECT avg(sla_days) FILTER (WHERE event_time >= ? AND event_time < ?), "
        "avg(sla_days) FILTER (WHERE event_time < ?) FROM events WHERE country = 'DE'",
        [inc.start, inc.end, inc.start],
    ).fetchone()
    assert in_de - out_de > demo.DELETION_SURGE_SLA_DAYS / 2


def test_rejects_nonsense_sizes(tmp_path):
    from workbench.errors import WorkbenchError

    with pytest.raises(WorkbenchError):
        demo.write_demo(tmp_path, rows=0)
