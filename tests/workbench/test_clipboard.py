"""Clipboard guards (engine side): suppression on the whole table then the selection, masking, and the
experiment readout with the report's small-cell rules."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import write_parquet
from tests.workbench.test_privacy import attacker_ranges, with_totals
from workbench.clipboard import guard_table, guarded_readout_text
from workbench.export import prepare

pytestmark = pytest.mark.timeout(120)
K = 10


@pytest.fixture
def grid():
    days = ["2024-01-01", "2024-01-02", "2024-01-03"]
    counts = {"BR": [40, 3, 25], "US": [31, 44, 52], "DE": [12, 17, 60]}
    rows = [{"day": d, "country": c, "users": n[i]} for c, n in counts.items() for i, d in enumerate(days)]
    return pd.DataFrame(rows)


def test_guard_table_is_what_export_writes_and_protects_the_small_cell(grid):
    whole = guard_table(grid, k=K, count_column="users")
    assert whole.frame.equals(prepare(grid, k=K, count_column="users").frame.reset_index(drop=True))
    assert "<10" in whole.frame["users"].tolist() and "suppressed" in whole.frame["users"].tolist()
    assert whole.audit_details()["suppression_applied"] and whole.suppressed_cells >= 2
    # The attacker knows every true row/column total, and sees what was copied: nothing pinned.
    true_totals = with_totals(grid, ["day", "country"], "users").iloc[len(grid) :]
    seen = pd.concat([whole.frame, true_totals], ignore_index=True)
    for lo, hi in attacker_ranges(seen, ["day", "country"], "users", K).values():
        assert hi - lo >= 1 - 1e-6

    # A selection is cut out of the suppressed whole table: the complement stays hidden in it.
    part = guard_table(grid, rows=[4, 3], columns=["country", "users"], k=K, count_column="users")
    assert list(part.frame.columns) == ["country", "users"]
    assert part.frame["users"].tolist() == [whole.frame["users"][4], whole.frame["users"][3]]


def test_guard_table_masks_and_reports_revealed():
    df = pd.DataFrame({"email": ["a@x.org", None], "ip": ["1.2.3.4", "5.6.7.8"], "n": [1, 2]})
    g = guard_table(df, masked=["email"], revealed={"ip": "ip_address"}, mask="***")
    assert g.frame["email"].tolist() == ["***", "***"] and g.frame["ip"].tolist() == ["1.2.3.4", "5.6.7.8"]
    assert g.masked == ["email"] and g.revealed == {"ip": "ip_address"} and not g.audit_details()["suppression_applied"]


@pytest.fixture(scope="module")
def readout(tmp_path_factory):
    from workbench.engine import EngineSettings, connect
    from workbench.catalog import Catalog
    from workbench.experiments import ExperimentSpec, MetricSpec, run_experiment

    tmp = tmp_path_factory.mktemp("exp")
    con = connect(EngineSettings(memory_limit="1GB", temp_directory=str(tmp / "spill")))
    path = write_parquet(
        tmp / "exp.parquet",
        """
        SELECT 'u' || i AS user_id,
               CASE WHEN i < 6 THEN 'tiny' WHEN i % 2 = 0 THEN 'control' ELSE 'treatment' END AS arm,
               (i % 5 = 0)::INT AS converted, (i % 37) * 1.5 AS revenue,
               ['BR','US'][1 + i % 2] AS country
        FROM range(2000) t(i)""",
    )
    Catalog(con).open(path)
    spec = ExperimentSpec(
        table="exp",
        unit="user_id",
        arm="arm",
        control="control",
        metrics=(MetricSpec("converted", "proportion"), MetricSpec("revenue", "mean")),
        segment="country",
    )
    data = run_experiment(con.cursor(), spec).data
    con.close()
    return data


def test_readout_text_withholds_the_tiny_arm(readout):
    from workbench.experiments.summary import readout_text

    assert "tiny=6" in readout_text(readout)  # the plain text would leak it
    text, withheld = guarded_readout_text(readout, K)
    assert "tiny=<10" in text and "tiny=6" not in text and "n=6" not in text
    assert "Sample ratio: withheld" in text
    assert "Withheld (fewer than 10 units in an arm): converted · tiny; revenue · tiny" in text
    assert "treatment vs control" in text  # the healthy comparisons are still there
    assert "tiny vs control" not in text and withheld >= 2
    plain, none = guarded_readout_text(readout, None)
    assert plain == readout_text(readout) and none == 0
