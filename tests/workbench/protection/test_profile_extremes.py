"""A column's min and max are the values of single records (the richest customer's spend, the oldest
birth date): under a policy they are shown only when at least k rows hold that value, or for a time column
that is not personal data (the extract's coverage)."""

from __future__ import annotations

from tests.conftest import write_parquet
from workbench.analysis.profile import ColumnProfileView
from workbench.catalog import Catalog
from workbench.protection.policy import CELL_KEY, OFF, SUPPRESSION, ProtectionPolicy
from workbench.protection.profile_cells import protect_profile


def _orders(tmp_path):
    # spend: one customer spent 9,999 (the max is one record); the min 0 is held by 50 rows.
    return write_parquet(
        tmp_path / "orders.parquet",
        """
        SELECT TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ordered_at,
               DATE '1950-01-01' + INTERVAL (i) DAY AS birth_date,
               CASE WHEN i = 7 THEN 9999 ELSE i % 4 * 10 END AS spend
        FROM range(200) t(i)""",
    )


def _profile(con, source, column, policy, pii=()):
    p = ColumnProfileView(source.name, column).run(con).value
    return protect_profile(con, p, policy, pii_columns=set(pii))[0]


def test_a_single_record_extreme_is_hidden_under_a_policy(con, tmp_path):
    source = Catalog(con).open(_orders(tmp_path))
    assert _profile(con, source, "spend", ProtectionPolicy(mode=OFF)).max == 9999
    for mode in (SUPPRESSION, CELL_KEY):
        p = _profile(con, source, "spend", ProtectionPolicy(mode=mode, k=10))
        assert p.max == "<10"  # one row holds 9,999
        assert p.min == 0  # 50 rows hold 0: not a single record


def test_time_coverage_is_shown_but_a_personal_date_is_not(con, tmp_path):
    source = Catalog(con).open(_orders(tmp_path))
    policy = ProtectionPolicy(mode=SUPPRESSION, k=10)
    coverage = _profile(con, source, "ordered_at", policy)
    assert str(coverage.min).startswith("2024-01-01") and coverage.max not in (None, "<10")
    birth = _profile(con, source, "birth_date", policy, pii=["birth_date"])
    assert birth.min == "<10" and birth.max == "<10"
