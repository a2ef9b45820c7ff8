"""A users extract with the issue's small Iceland cells: IS has 1 android, 5 ios, 1 web user; US 2,000."""

from __future__ import annotations

import pytest

from tests.conftest import write_parquet


@pytest.fixture
def users_parquet(tmp_path):
    return write_parquet(
        tmp_path / "users.parquet",
        """
        SELECT TIMESTAMP '2024-03-01' + INTERVAL (i % 5) DAY AS signup_at, 'user' || i AS user_id,
               'u' || i || '@example.com' AS email,
               CASE WHEN i < 2000 THEN 'US' WHEN i < 2007 THEN 'IS' ELSE 'DE' END AS country,
               CASE WHEN i < 2000 THEN ['android', 'ios', 'web'][1 + i % 3]
                    WHEN i = 2000 THEN 'android' WHEN i < 2006 THEN 'ios' WHEN i = 2006 THEN 'web'
                    ELSE ['android', 'ios'][1 + i % 2] END AS platform,
               (i % 17) * 1.5 AS spend
        FROM range(2500) t(i)
        """,
    )


@pytest.fixture(autouse=True)
def _isolated_policy_files(tmp_path, monkeypatch):
    """No system policy unless a test installs one; per-user seeds in the test's folder."""
    monkeypatch.setenv("WORKBENCH_SYSTEM_POLICY", str(tmp_path / "no-system-policy.json"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
