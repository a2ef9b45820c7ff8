"""Root cause on short histories (only the baseline day before the window, or one day of data before the
window starts) and on several culprits at once: it must not crash, must say how little history it had, and
must still name the segments that moved."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import write_parquet
from workbench.anomaly.root_cause import explain
from workbench.metrics import Measure, MetricSpec

DIMS = ["country", "platform", "surface"]


def _two_day_cube(mult: str = "1") -> str:
    """Hourly views by country x platform x surface on 2024-03-01 (baseline) and 2024-03-02 (window day),
    Poisson-like hash noise; ``mult`` applies on the second day."""
    return f"""
    WITH grid AS (
      SELECT TIMESTAMP '2024-03-01' + INTERVAL (h) HOUR AS ts, h, c, p, s, cw * pw * sw AS w
      FROM range(48) t(h),
           (VALUES ('US', 1.0), ('BR', 0.6), ('IN', 0.8), ('DE', 0.3), ('FR', 0.4)) cs(c, cw),
           (VALUES ('android', 1.0), ('ios', 0.6), ('web', 0.3)) ps(p, pw),
           (VALUES ('feed', 1.0), ('comments', 0.3), ('search', 0.4)) ss(s, sw)
    )
    SELECT ts, c AS country, p AS platform, s AS surface,
           CAST(round(300 * w * (1 + 0.06 * ((hash(h, c, p, s) % 1000) / 1000.0 - 0.5))
                * (CASE WHEN h >= 24 THEN ({mult}) ELSE 1 END)) AS BIGINT) AS views
    FROM grid
    """


def _explain(con, src, window, baseline="day", measure="sum(views)"):
    spec = MetricSpec(table=src.name, measure=Measure.parse(measure), time_column="ts")
    return explain(con, spec, window, DIMS, baseline=baseline)


@pytest.mark.parametrize("baseline", ["day", "previous", "expected"])
def test_only_baseline_day_and_window_day(con, catalog, tmp_path, baseline):
    src = catalog.open(
        write_parquet(tmp_path / "two.parquet", _two_day_cube("CASE WHEN country = 'BR' THEN 2 ELSE 1 END"))
    )
    rc = _explain(con, src, ("2024-03-02 00:00", "2024-03-03 00:00"), baseline=baseline)
    assert rc.culprit_elements() == [{"country": "BR"}], rc.verdict
    assert any("history" in n for n in rc.notes), rc.notes


def test_window_one_day_after_the_data_starts(con, catalog, tmp_path):
    src = catalog.open(
        write_parquet(tmp_path / "two.parquet", _two_day_cube("CASE WHEN platform = 'ios' THEN 0.3 ELSE 1 END"))
    )
    rc = _explain(con, src, ("2024-03-02 06:00", "2024-03-02 12:00"), baseline="expected")
    assert rc.culprit_elements() == [{"platform": "ios"}], rc.verdict
    assert any("history" in n for n in rc.notes), rc.notes


def test_short_history_no_change_blames_nothing(con, catalog, tmp_path):
    src = catalog.open(write_parquet(tmp_path / "flat.parquet", _two_day_cube("1")))
    rc = _explain(con, src, ("2024-03-02 00:00", "2024-03-03 00:00"))
    assert rc.culprit_elements() == [], rc.verdict


def test_cli_explain_short_history_does_not_crash(tmp_path):
    path = write_parquet(tmp_path / "two.parquet", _two_day_cube("CASE WHEN country = 'BR' THEN 2 ELSE 1 END"))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "workbench",
            "explain",
            path,
            "--measure",
            "sum(views)",
            "--window",
            "2024-03-02",
            "2024-03-03",
            "--baseline",
            "day",
            "--dims",
            ",".join(DIMS),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr and "country=BR" in out.stdout


def test_window_on_the_first_day_has_no_baseline(con, catalog, tmp_path):
    from workbench.errors import SpecError

    src = catalog.open(write_parquet(tmp_path / "two.parquet", _two_day_cube("2")))
    with pytest.raises(SpecError, match="baseline period"):
        _explain(con, src, ("2024-03-01 00:00", "2024-03-02 00:00"))


def test_cli_max_culprits_caps_the_answer(tmp_path):
    import json

    path = write_parquet(
        tmp_path / "two.parquet",
        _two_day_cube("CASE WHEN country = 'BR' THEN 2 WHEN platform = 'web' THEN 0.2 ELSE 1 END"),
    )
    docs = []
    for cap in ("1", "3"):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "workbench",
                "explain",
                path,
                "--window",
                "2024-03-02",
                "2024-03-03",
                "--baseline",
                "day",
                "--dims",
                ",".join(DIMS),
                "--measure",
                "sum(views)",
                "--max-culprits",
                cap,
                "--format",
                "json",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        docs.append(json.loads(out.stdout)["culprits"])
    assert len(docs[0]) == 1 and docs[0][0] in docs[1]
    assert sorted(docs[1], key=str) == [{"country": "BR"}, {"platform": "web"}]
