"""Bad input and degenerate data: a clear SpecError, or null statistics with a reason — never a crash,
never a fake p = 1."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.workbench.experiments.conftest import make_users, open_frame, readout_for
from workbench.errors import SpecError
from workbench.experiments import MetricSpec


def test_one_arm_is_a_clear_error(con, catalog, tmp_path):
    df = make_users(n_per_arm=(50,))
    with pytest.raises(SpecError, match="only one arm"):
        readout_for(con, open_frame(catalog, tmp_path, df))


def test_unknown_control_lists_the_arms(con, catalog, tmp_path):
    with pytest.raises(SpecError, match=r"Control arm 'ctrl' not found.*'control', 't1'"):
        readout_for(con, open_frame(catalog, tmp_path, make_users(n_per_arm=(20, 20))), control="ctrl")


def test_unit_in_two_arms_is_reported_and_excluded(con, catalog, tmp_path):
    df = make_users(n_per_arm=(100, 100))
    dup = df.iloc[[0, 1, 2]].copy()
    dup["arm"] = "t1"  # the first three control users also show up in t1
    r = readout_for(con, open_frame(catalog, tmp_path, pd.concat([df, dup])))
    assert r["health"]["units_in_multiple_arms"] == 3
    assert r["srm"]["observed"] == {"control": 97, "t1": 100}
    assert any("more than one arm" in w for w in r["health"]["warnings"])


def test_null_arms_are_counted_not_compared(con, catalog, tmp_path):
    df = make_users(n_per_arm=(100, 100))
    df.loc[:9, "arm"] = None
    r = readout_for(con, open_frame(catalog, tmp_path, df))
    assert r["health"]["units_with_null_arm"] == 10
    assert r["arms"] == ["control", "t1"] and r["srm"]["observed"]["control"] == 90


def test_non_numeric_metric_is_a_clear_error(con, catalog, tmp_path):
    with pytest.raises(SpecError, match="'country' is VARCHAR, not numeric"):
        readout_for(
            con, open_frame(catalog, tmp_path, make_users(n_per_arm=(20, 20))), metrics=[MetricSpec("country", "mean")]
        )


def test_missing_column_names_the_columns(con, catalog, tmp_path):
    with pytest.raises(SpecError, match="no column 'revenue'"):
        readout_for(
            con, open_frame(catalog, tmp_path, make_users(n_per_arm=(20, 20))), metrics=[MetricSpec("revenue", "mean")]
        )


def test_proportion_with_non_binary_values_is_an_error(con, catalog, tmp_path):
    with pytest.raises(SpecError, match="not all 0/1"):
        readout_for(
            con,
            open_frame(catalog, tmp_path, make_users(n_per_arm=(20, 20))),
            metrics=[MetricSpec("metric", "proportion")],
        )


def test_one_unit_per_arm_gives_nulls_with_reason(con, catalog, tmp_path):
    df = make_users(n_per_arm=(1, 1))
    r = readout_for(con, open_frame(catalog, tmp_path, df), time_column="assigned_at")
    comp = r["metrics"]["metric"]["comparisons"]["t1"]
    assert comp["p_value"] is None and comp["abs_ci95"] is None and comp["reason"]
    assert r["metrics"]["metric"]["per_arm"]["control"]["variance"] is None
    assert r["metrics"]["ratio"]["comparisons"]["t1"]["p_value"] is None
    assert r["metrics"]["metric"]["comparisons"]["t1"]["cuped"]["theta"] is None
    assert r["power"]["metric"]["mde_abs_closed"] is None
    assert r["metrics"]["metric"]["comparisons"]["t1"]["verdict"] == "undefined"


def test_all_zero_metric_is_null_not_p_one(con, catalog, tmp_path):
    df = make_users(n_per_arm=(100, 100))
    df["metric"] = 0.0
    df["converted"] = False
    df["numerator"] = 0
    r = readout_for(con, open_frame(catalog, tmp_path, df))
    for name in ("metric", "converted", "ratio"):
        comp = r["metrics"][name]["comparisons"]["t1"]
        assert comp["p_value"] is None, name
        assert comp["rel_lift"] is None and comp["rel_ci95"] is None
        assert comp["reason"]
    assert r["metrics"]["metric"]["comparisons"]["t1"]["abs_diff"] == 0.0
    assert r["metrics"]["metric"]["comparisons"]["t1"]["abs_se"] == 0.0
    assert r["multiple_testing"]["family_all"]["members"] == []


def test_constant_nonzero_metric_has_zero_variance(con, catalog, tmp_path):
    df = make_users(n_per_arm=(100, 100))
    df["metric"] = 3.7
    r = readout_for(con, open_frame(catalog, tmp_path, df), metrics=[MetricSpec("metric", "mean")])
    comp = r["metrics"]["metric"]["comparisons"]["t1"]
    assert r["metrics"]["metric"]["per_arm"]["t1"]["variance"] == 0.0
    assert comp["abs_se"] == 0.0 and comp["p_value"] is None and comp["stat"] is None


def test_zero_control_mean_keeps_absolute_test(con, catalog, tmp_path):
    df = make_users(n_per_arm=(100, 100))
    df.loc[df.arm == "control", "metric"] = 0.0
    r = readout_for(con, open_frame(catalog, tmp_path, df), metrics=[MetricSpec("metric", "mean")])
    comp = r["metrics"]["metric"]["comparisons"]["t1"]
    assert comp["p_value"] is not None and comp["rel_lift"] is None


def test_empty_and_missing_segments(con, catalog, tmp_path):
    df = make_users(n_per_arm=(60, 60))
    df["country"] = None
    df.loc[0, "country"] = "US"  # one segment with a single control unit and no treatment unit
    r = readout_for(con, open_frame(catalog, tmp_path, df), segment="country")
    segs = {e["segment"]: e for e in r["segments"]["values"]}
    assert set(segs) == {"(missing)", "US"}
    us = segs["US"]
    assert us["units"] == {"control": 1, "t1": 0}
    assert us["metrics"]["metric"]["comparisons"]["t1"]["p_value"] is None


def test_all_null_metric_in_one_arm(con, catalog, tmp_path):
    df = make_users(n_per_arm=(50, 50))
    df.loc[df.arm == "t1", "metric"] = np.nan
    r = readout_for(
        con, open_frame(catalog, tmp_path, df), metrics=[MetricSpec("metric", "mean", covariate="pre_metric")]
    )
    comp = r["metrics"]["metric"]["comparisons"]["t1"]
    assert comp["p_value"] is None and r["metrics"]["metric"]["per_arm"]["t1"]["n_null"] == 50
    assert "nan_as_zero" in r["alternative_conventions"]


def test_guardrail_is_out_of_family_and_flags_harm(con, catalog, tmp_path):
    df = make_users(n_per_arm=(3000, 3000))
    df.loc[df.arm == "t1", "metric"] += 5  # a clear increase in a lower-is-better guardrail
    r = readout_for(
        con,
        open_frame(catalog, tmp_path, df),
        metrics=[
            MetricSpec("converted", "proportion"),
            MetricSpec("metric", "mean", direction="lower", guardrail=True, margin=0.01),
        ],
    )
    assert [m[0] for m in r["multiple_testing"]["family_all"]["members"]] == ["converted"]
    comp = r["metrics"]["metric"]["comparisons"]["t1"]
    assert comp["verdict"] == "bad"
    assert comp["guardrail"]["status"] == "harmed" and comp["guardrail"]["flag"]
    assert comp["chance_to_beat_control"] < 0.01  # lower is better: the chance is flipped
    assert any("Guardrail metric" in w for w in r["health"]["warnings"])


def test_weights_must_cover_every_arm(con, catalog, tmp_path):
    from workbench.experiments.spec import parse_weights

    src = open_frame(catalog, tmp_path, make_users(n_per_arm=(50, 50, 50)))
    with pytest.raises(SpecError, match="missing arm"):
        readout_for(con, src, weights=parse_weights("control=0.5,t1=0.5"))
    r = readout_for(con, src, weights=parse_weights("control=2,t1=1,t2=1"))
    assert r["srm"]["flag"] is True and r["srm"]["expected_counts"]["control"] == 75.0


def test_odd_column_names_are_quoted(con, catalog, tmp_path):
    df = make_users(n_per_arm=(40, 40)).rename(columns={"metric": 'a "b"; drop', "arm": "select", "user_id": "user id"})
    r = readout_for(
        con,
        open_frame(catalog, tmp_path, df),
        unit="user id",
        arm="select",
        metrics=[MetricSpec("m", "mean", column='a "b"; drop')],
    )
    assert r["metrics"]["m"]["per_arm"]["control"]["n"] == 40


def test_integer_arm_values_and_control(con, catalog, tmp_path):
    df = make_users(n_per_arm=(40, 40))
    df["arm"] = (df.arm == "t1").astype(int)
    r = readout_for(con, open_frame(catalog, tmp_path, df), control="0")
    assert r["arms"] == ["0", "1"]


def test_text_unit_ids_use_the_distinct_path(con, catalog, tmp_path):
    df = make_users(n_per_arm=(100, 100))
    df["user_id"] = "u" + df.user_id.astype(str)
    dup = df.iloc[[5]].copy()
    dup["arm"] = "t1"
    r = readout_for(con, open_frame(catalog, tmp_path, pd.concat([df, dup])))
    assert r["health"]["units_in_multiple_arms"] == 1 and r["health"]["rows_aggregated_per_unit"] is True
    r = readout_for(con, open_frame(catalog, tmp_path, df, name="clean"))
    assert r["health"]["rows_aggregated_per_unit"] is False and r["health"]["units"] == 200


def test_multi_arm_units_with_null_ids_null_arms_and_repeats(con, catalog, tmp_path):
    """min(arm) <> max(arm) per unit: a unit seen in two arms (also with extra NULL-arm rows) is counted once
    and left out; a unit repeated in one arm is rolled up; NULL ids are counted and dropped."""
    df = make_users(n_per_arm=(50, 50))
    extra = df.iloc[[0, 1, 60]].copy()
    extra["arm"] = ["t1", "t1", "t1"]  # users 0 and 1 (control) also in t1; user 60 repeats in t1
    null_arm = df.iloc[[0]].copy()
    null_arm["arm"] = None  # user 0 also has a row without an arm
    no_id = df.iloc[[2]].copy()
    no_id["user_id"] = None  # a row without a unit id
    rows = pd.concat([df, extra, null_arm, no_id])
    rows["user_id"] = (rows.user_id * 3).astype("Int64")  # sparse integer ids with a NULL: the bitmap path
    r = readout_for(con, open_frame(catalog, tmp_path, rows), metrics=[MetricSpec("metric", "mean")])
    assert any("bitstring_agg" in q for q in r["sql"])
    h = r["health"]
    assert h["units_in_multiple_arms"] == 2 and h["rows_without_unit_id"] == 1 and h["units_with_null_arm"] == 0
    assert r["srm"]["observed"] == {"control": 48, "t1": 50}
    per_user = df.set_index("user_id").metric
    assert r["metrics"]["metric"]["per_arm"]["t1"]["sum"] == pytest.approx(
        per_user.loc[50:99].sum() + per_user.loc[60], rel=1e-12
    )


def test_more_rows_than_id_range_rolls_up_without_a_bitmap(con, catalog, tmp_path):
    df = make_users(n_per_arm=(30, 30))
    df["user_id"] = df.user_id % 20 + np.where(df.arm == "control", 0, 20)  # 40 ids, 60 rows
    r = readout_for(con, open_frame(catalog, tmp_path, df), metrics=[MetricSpec("metric", "mean")])
    assert r["health"]["rows_aggregated_per_unit"] is True
    assert r["srm"]["observed"] == {"control": 20, "t1": 20} and r["health"]["units_in_multiple_arms"] == 0
    assert not any("bitstring_agg" in q for q in r["sql"])
