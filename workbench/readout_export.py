"""Experiment readout exports (CSV) under the report's small-cell rules.

The readout table is :func:`workbench.experiments.summary.result_rows` (what ``readout_csv`` writes). With
a minimum group size k, a comparison involving an arm with fewer than k units is withheld exactly as in
the evidence report (:func:`workbench.report_analyses.experiment_hidden_rows`): its cells other than the
keys (metric, type, arm, control) read ``"<k"``. The rows left in clear only involve arms of k units or
more, and the table carries no per-arm totals, so no difference of published counts reveals a withheld
arm (the units-per-arm counts with complementary suppression are in the report and the copied readout).
Writing goes through :func:`workbench.export.export_table` (provenance stamp, atomic write, audit entry).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import pandas as pd

READOUT_KEYS = ("metric", "type", "arm", "control")


@dataclass
class GuardedReadout:
    """The readout table to export and what was withheld.

    Attributes
    ----------
    frame : one row per (metric, treatment arm); withheld rows' non-key cells are ``"<k"``.
    hidden : bool per row, True when the comparison was withheld.
    k : the minimum group size applied (None: off).
    """

    frame: pd.DataFrame
    hidden: list[bool]
    k: int | None

    @property
    def withheld(self) -> int:
        return sum(self.hidden)

    def suppression(self) -> dict | None:
        """The stamp's ``suppression`` entry (None when k is off)."""
        if not self.k:
            return None
        if self.withheld:
            statement = (
                f"Small-cell suppression with k = {self.k}: {self.withheld} comparison(s) involving an arm "
                f'with fewer than {self.k} units withheld (shown as "<{self.k}").'
            )
        else:
            statement = f"Small-cell suppression with k = {self.k}: no arm in this readout was below the threshold."
        return {
            "k": self.k,
            "statement": statement,
            "primary": self.withheld,
            "complementary": 0,
            "count_column": "n_control, n_treatment",
            "withheld_totals": [],
        }


def guarded_readout_frame(data: Mapping, k: int | None) -> GuardedReadout:
    """The readout CSV table with comparisons involving an arm below ``k`` units withheld."""
    from workbench.experiments.summary import ROW_FIELDS, result_rows
    from workbench.report import _hidden_rows
    from workbench.report_analyses import experiment_hidden_rows

    frame = pd.DataFrame(result_rows(dict(data)), columns=list(ROW_FIELDS))
    # result_rows and experiment_hidden_rows walk metrics x comparisons in the same order.
    hide = experiment_hidden_rows(data, k)["results"] if k else [False] * len(frame)
    shown, hidden, _statement = _hidden_rows(frame, k, hide, list(READOUT_KEYS))
    return GuardedReadout(shown, list(hidden), k or None)


def export_readout_csv(data: Mapping, path, *, provenance, k: int | None, audit=None):
    """Write the guarded readout as a stamped CSV (sidecar provenance); returns (ExportResult, GuardedReadout)."""
    from workbench.export import export_table

    guarded = guarded_readout_frame(data, k)
    result = export_table(
        guarded.frame, path, provenance=provenance, fmt="csv", audit=audit, applied_suppression=guarded.suppression()
    )
    return result, guarded
