"""Several culprits in the same window, each possibly multi-dimensional: all are named, nothing else is,
and "global" is said only when the change is spread."""

from __future__ import annotations

import pytest

from tests.workbench.anomaly.conftest import WINDOW
from workbench.anomaly.root_cause import explain
from workbench.metrics import Measure, MetricSpec

DIMS = ["country", "platform", "surface", "app_version"]


def _culprits(con, src, baseline):
    spec = MetricSpec(table=src.name, measure=Measure.parse("sum(views)"), time_column="ts")
    rc = explain(con, spec, WINDOW, DIMS, baseline=baseline)
    return rc, sorted(rc.culprit_elements(), key=lambda e: sorted(e.items()))


@pytest.mark.parametrize("baseline", ["expected", "day", "week"])
def test_two_combination_culprits(con, make_cube, baseline):
    src = make_cube(
        "CASE WHEN country = 'IN' AND platform = 'android' THEN 3 "
        "WHEN country = 'US' AND surface = 'search' THEN 0.3 ELSE 1 END"
    )
    rc, got = _culprits(con, src, baseline)
    assert got == [{"country": "IN", "platform": "android"}, {"country": "US", "surface": "search"}], rc.verdict
    assert not rc.is_global and "global" not in rc.verdict


def test_three_culprits_of_different_depths(con, make_cube):
    src = make_cube(
        "CASE WHEN platform = 'web' THEN 2.5 "
        "WHEN country = 'IN' AND surface = 'feed' THEN 0.4 "
        "WHEN country = 'BR' AND platform = 'ios' AND app_version = '31.0' THEN 4 ELSE 1 END"
    )
    rc, got = _culprits(con, src, "day")
    assert got == [
        {"app_version": "31.0", "country": "BR", "platform": "ios"},
        {"country": "IN", "surface": "feed"},
        {"platform": "web"},
    ], rc.verdict


def test_spread_change_is_still_global(con, make_cube):
    rc, got = _culprits(con, make_cube("0.7"), "day")
    assert got == [] and rc.is_global
