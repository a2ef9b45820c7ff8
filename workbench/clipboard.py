"""Clipboard copies of result data under the same privacy guards as file exports.

A copy is worked out on the *whole* table, then cut down to the selection: complementary suppression
depends on every cell, so suppressing only the selected cells could let a copied total reveal a hidden
one. The suppression itself is :func:`workbench.export.prepare` (what CSV export writes for the same
table); experiment readouts follow the report's rules (:mod:`workbench.report_analyses`): unit counts
below k shown as ``"<k"`` with complementary suppression, every comparison involving such an arm withheld.
The UI turns the guarded table into TSV and writes the audit entry.
"""

from __future__ import annotations

import copy as _copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

import pandas as pd

if TYPE_CHECKING:
    from workbench.privacy import SuppressionResult

CLIPBOARD_ACTION = "clipboard_copied"


@dataclass
class GuardedTable:
    """What goes on the clipboard: the guarded, selected table and what was done to it.

    Attributes
    ----------
    frame : selected rows/columns, hidden cells as ``"<k"``/``"suppressed"``, masked columns as ``mask``.
    suppression : the :class:`workbench.privacy.SuppressionResult` of the whole table (None: not applied).
    masked : columns copied masked.
    revealed : {column: kind} of flagged columns copied in clear (the user revealed them).
    """

    frame: pd.DataFrame
    suppression: SuppressionResult | None = None
    masked: list[str] = field(default_factory=list)
    revealed: dict[str, str] = field(default_factory=dict)

    @property
    def suppressed_cells(self) -> int:
        """Hidden rows of the whole table (the suppression does not depend on the selection)."""
        return int(self.suppression.suppressed.sum()) if self.suppression is not None else 0

    def audit_details(self) -> dict:
        """The clipboard entry's details: rows/columns copied and which guards applied."""
        details = {
            "rows": int(len(self.frame)),
            "columns": [str(c) for c in self.frame.columns],
            "suppression_applied": self.suppression is not None,
            "suppression_k": self.suppression.k if self.suppression is not None else None,
            "suppressed_cells": self.suppressed_cells,
        }
        if self.masked:
            details["masked_columns"] = list(self.masked)
        return details


def guard_table(
    df: pd.DataFrame,
    *,
    rows: Sequence[int] | None = None,
    columns: Sequence[str] | None = None,
    k: int | None = None,
    count_column: str | None = None,
    masked: Iterable[str] = (),
    revealed: Mapping[str, str] | None = None,
    mask: str = "•••",
) -> GuardedTable:
    """Guard a results table for the clipboard, then select rows and columns.

    Parameters
    ----------
    df : the whole table as exported (e.g. the Explorer's display frame), in its original row order.
    rows : positions (in ``df``) of the rows to copy, in the order to copy them; None = all.
    columns : names of the columns to copy, in order; None = all.
    k, count_column : small-cell suppression as in :func:`workbench.export.export_table` (k None = off).
    masked : flagged columns to copy masked (shown as ``mask``).
    revealed : flagged columns the user revealed ({column: kind}); copied in clear and reported.

    Raises
    ------
    SpecError / ExportError when suppression is asked for but the table has no usable count column.
    """
    from workbench.export import prepare

    suppression = prepare(df, k=k, count_column=count_column) if k else None
    table = suppression.frame if suppression is not None else df
    if rows is not None:
        table = table.iloc[list(rows)]
    if columns is not None:
        table = table[list(columns)]
    table = table.reset_index(drop=True)
    masked = [c for c in table.columns if c in set(masked)]
    if masked:
        table = table.copy()
        for c in masked:
            table[c] = pd.Series([mask] * len(table), index=table.index, dtype=object)  # as the grid shows it
    shown = {c: kind for c, kind in (revealed or {}).items() if c in table.columns and c not in masked}
    return GuardedTable(table, suppression, masked, shown)


# --- experiment readouts -----------------------------------------------------------------------------------


def guarded_readout_text(data: Mapping, k: int | None) -> tuple[str, int]:
    """The experiment readout as text (``workbench.experiments.summary.readout_text``) with the report's
    small-cell rules applied: unit counts per arm suppressed (``"<k"`` + complementary), the SRM test and
    every comparison involving an arm (or a segment's arm) below k withheld, warnings quoting no count
    below k.

    Returns
    -------
    (text, withheld) : withheld = number of comparisons left out.
    """
    from workbench.experiments.summary import _p, readout_text

    if not k:
        return readout_text(dict(data)), 0
    from workbench.privacy import suppress
    from workbench.report_analyses import _mask_small_counts, experiment_hidden_rows, experiment_tables

    hide = experiment_hidden_rows(data, k)
    control = data["control_arm"]
    arms = experiment_tables(data)["arms"]
    units = suppress(arms, "units", k, dims=["arm"], value_columns=[]).frame
    shown_units = ", ".join(
        f"{a}={n}" if isinstance(n, str) else f"{a}={int(n):,}" for a, n in zip(units["arm"], units["units"])
    )
    head = [
        f"Experiment on {data.get('table', '?')}: {len(data['arms'])} arms, control {control!r}; units {shown_units}"
    ]
    srm = data["srm"]
    if hide["srm"][0]:
        head.append(f"Sample ratio: withheld (an arm has fewer than {k} units)")
    elif srm.get("flag"):
        head.append(
            f"!! SAMPLE RATIO MISMATCH: chi2 = {srm['chi2']:.2f}, p = {_p(srm['p_value'])} — the split is "
            "broken; results are not trustworthy until the cause is found."
        )
    else:
        head.append(f"Sample ratio: ok (chi2 p = {_p(srm.get('p_value'))})")
    for w in data.get("health", {}).get("warnings", []):
        if not w.startswith("Sample ratio mismatch"):
            head.append(f"!  {_mask_small_counts(w, k)}")

    # The body is readout_text of a copy without the withheld comparisons (same wording as the CLI).
    redacted = _copy.deepcopy(dict(data))
    withheld = []
    flags = iter(hide["results"])
    for name, block in redacted["metrics"].items():
        for arm in list(block["comparisons"]):
            if next(flags):
                del block["comparisons"][arm]
                withheld.append(f"{name} · {arm}")
    seg = redacted.get("segments")
    seg_withheld = 0
    if seg:
        flags = iter(hide.get("segments", []))
        kept = []
        for entry in seg["values"]:
            for block in entry["metrics"].values():
                for arm in list(block["comparisons"]):
                    if next(flags):
                        del block["comparisons"][arm]
                        seg_withheld += 1
            if any(block["comparisons"] for block in entry["metrics"].values()):
                kept.append(entry)
        seg["values"] = kept
    redacted["srm"] = {"observed": {}, "flag": False}
    redacted.setdefault("health", {})
    redacted["health"] = {**redacted["health"], "warnings": []}
    parts = readout_text(redacted).split("\n\n", 1)
    body = _mask_small_counts(parts[1] if len(parts) > 1 else "", k)
    tail = []
    if withheld:
        tail.append(f"Withheld (fewer than {k} units in an arm): " + "; ".join(withheld))
    if seg_withheld:
        tail.append(f"{seg_withheld} segment comparison(s) withheld (fewer than {k} units in a segment's arm)")
    text = "\n".join(head) + "\n\n" + body
    if tail:
        text = text.rstrip("\n") + "\n\n" + "\n".join(tail) + "\n"
    return text, len(withheld) + seg_withheld
