"""The MCP server's guard helpers on their own (no subprocess): JSON cells, the row cap, board withholding."""

from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from workbench.mcp.defined import withhold_small_cells
from workbench.mcp.guards import RowCapExceeded, check_row_cap, json_value, records


def test_cells_become_json_values():
    assert json_value(pd.Timestamp("2026-10-01 06:00")) == "2026-10-01T06:00:00"
    assert json_value(dt.date(2026, 10, 1)) == "2026-10-01"
    assert json_value(float("nan")) is None and json_value(pd.NaT) is None and json_value(None) is None
    assert json_value(math.inf) == "Infinity" and json_value(-math.inf) == "-Infinity"
    assert json_value(np.int64(7)) == 7 and isinstance(json_value(np.float32(0.5)), float)
    assert json_value(("a", np.int64(1))) == ["a", 1] and json_value({"k": np.nan}) == {"k": None}
    assert json_value("<10") == "<10"
    frame = pd.DataFrame({"bucket": pd.to_datetime(["2026-10-01"]), "value": [np.nan]})
    assert records(frame) == [{"bucket": "2026-10-01T00:00:00", "value": None}]


def test_row_cap_says_what_to_ask_for():
    session = SimpleNamespace(row_cap=10)
    check_row_cap(session, 10, "a coarser grain")
    with pytest.raises(RowCapExceeded, match=r"more than 10 rows.*coarser grain"):
        check_row_cap(session, 11, "a coarser grain")  # fetched one past the cap: "more than"
    with pytest.raises(RowCapExceeded, match="500 rows"):
        check_row_cap(session, 500, "a coarser grain")


def test_board_cells_from_fewer_than_k_rows_are_withheld():
    doc = {
        "tiles": [
            {"type": "kpi", "value": 3.0},
            {
                "type": "leaderboard",
                "rows": [
                    {"dimension_value": "BR", "value": 40.0, "rows": 120, "share": 0.9},
                    {"dimension_value": "IS", "value": 2.0, "rows": 3, "share": 0.1},
                ],
            },
            {
                "type": "pivot",
                "rows": [{"country": "BR", "ios": 5.0, "web": 9.0}],
                "cell_rows": {"BR\u241fios": 4, "BR\u241fweb": 50, "BR": 54},
            },
        ]
    }
    assert withhold_small_cells(doc, 10) == 2
    kpi, board, pivot = doc["tiles"]
    assert kpi["value"] == 3.0
    assert board["rows"][0]["value"] == 40.0 and board["rows"][1] == {
        "dimension_value": "IS",
        "value": "<10",
        "rows": "<10",
        "share": "<10",
    }
    assert pivot["rows"][0] == {"country": "BR", "ios": "<10", "web": 9.0}
    assert pivot["cell_rows"] == {"BR\u241fios": "<10", "BR\u241fweb": 50, "BR": 54}
