"""Synthetic data for anomaly tests: deterministic, written to tmp_path with plain DuckDB."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write_parquet

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared" / "reference" / "anomaly"
WINDOW = ("2024-01-15 10:00", "2024-01-15 16:00")  # the incident window used by the cube tests


def cube_sql(injections: str = "1", violations_mult: str = "1") -> str:
    """Hourly views/violations by country x platform x surface x app_version over 16 days, with a daily
    cycle, country/platform/surface weights and +-4 % hash noise; multipliers apply inside WINDOW."""
    return f"""
    WITH grid AS (
      SELECT TIMESTAMP '2024-01-01' + INTERVAL (h) HOUR AS ts, h, c, p, s, v, cw, pw, sw, vr
      FROM range(16 * 24) t(h),
           (VALUES ('US', 1.0), ('BR', 0.6), ('IN', 0.8), ('DE', 0.3)) cs(c, cw),
           (VALUES ('android', 1.0), ('ios', 0.6), ('web', 0.3)) ps(p, pw),
           (VALUES ('feed', 1.0), ('comments', 0.3), ('search', 0.4)) ss(s, sw),
           (VALUES ('30.9', 0.7, 0.004), ('31.0', 0.3, 0.006)) vs(v, vw, vr)
    ), base AS (
      SELECT *, 200 * cw * pw * sw * (CASE v WHEN '30.9' THEN 0.7 ELSE 0.3 END)
                * (1 + 0.5 * sin(2 * pi() * (h % 24) / 24))
                * (1 + 0.08 * ((hash(h, c, p, s, v) % 1000) / 1000.0 - 0.5)) AS mu,
             ts >= TIMESTAMP '{WINDOW[0]}' AND ts < TIMESTAMP '{WINDOW[1]}' AS inw
      FROM grid
    )
    SELECT ts, c AS country, p AS platform, s AS surface, v AS app_version,
           CAST(round(mu * (CASE WHEN inw THEN ({injections}) ELSE 1 END)) AS BIGINT) AS views,
           CAST(round(mu * vr * 10 * (CASE WHEN s = 'comments' THEN 3 ELSE 1 END)
                      * (CASE WHEN inw THEN ({violations_mult}) ELSE 1 END)) AS BIGINT) AS violations,
           'u' || CAST(hash(h, c, p) % 50 AS VARCHAR) AS user_id
    FROM base
    """


@pytest.fixture
def make_cube(tmp_path, catalog):
    """make_cube(injections_sql, violations_sql) -> Source of a cube with the given multipliers."""
    counter = {"n": 0}

    def _make(injections: str = "1", violations_mult: str = "1"):
        counter["n"] += 1
        path = write_parquet(tmp_path / f"cube{counter['n']}.parquet", cube_sql(injections, violations_mult))
        return catalog.open(path)

    return _make
