"""The impact recipe: JSON round trip, and run() gives the same numbers as the CLI's engine call."""

from __future__ import annotations

import pytest

from workbench.analysis.base import Analysis
from workbench.analysis.impact import ImpactReadout
from workbench.catalog import Catalog
from workbench.causal.impact import run_impact
from workbench.causal.panel import ImpactSpec
from workbench.errors import SpecError
from workbench.metrics import Filter, Measure


def test_recipe_round_trips_and_reruns(con, did_parquet):
    catalog = Catalog(con)
    source = catalog.open([did_parquet])
    spec = ImpactSpec(
        table=source.name,
        time_column="ts",
        measure=Measure.parse("sum(value)"),
        grain="day",
        unit="unit",
        treated=("u0", "u1"),
        start="2024-03-26",
        controls=("u2", "u3", "u4", "u5"),
        end="2024-04-05",
        filters=(Filter("views", ">=", 100),),
        method="all",
    )
    recipe = ImpactReadout(spec)
    again = Analysis.from_json(recipe.to_json())
    assert again == recipe
    result = again.run(con, catalog)
    direct = run_impact(con, spec).doc
    est = result.tables["estimates"]
    assert est.loc[0, "estimate"] == pytest.approx(direct["did"]["att"], rel=1e-12)
    assert list(result.tables) == ["estimates", "event_study", "weights", "gap", "diagnostics"]
    assert len(result.tables["weights"]) == 4 and result.sql and result.notes[0] == direct["verdict"]
    assert result.value.doc["did"]["n_periods"] == 35  # --end is exclusive: 2024-03-01 .. 2024-04-04


def test_recipe_for_a_missing_table_names_it(con):
    spec = ImpactSpec(
        table="nope", time_column="ts", measure=Measure(), grain="day", unit="u", treated=("a",), start="2024-01-01"
    )
    with pytest.raises(Exception, match="nope"):
        ImpactReadout(spec).run(con, Catalog(con))
    with pytest.raises(SpecError):
        Analysis.from_dict({"kind": "impact", "version": 1, "spec": {"table": "t"}})
