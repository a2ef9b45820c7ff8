"""The Experiments panel's two result tables: Results (one row per metric and arm, tinted by verdict, with
its forest plot) and Segments (the exploratory per-segment comparison). A mixin of
:class:`widgets.experiment_panel.ExperimentPanel`, kept in its own file with the columns, tooltips and
cell formatting these tables use."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem

from workbench import number_format
from workbench.experiments.summary import result_rows
from widgets.experiments_columns import CI_ROLE, fit_to_width
from widgets.theme import tint, verdict_text

# Long headers on two lines: one line clips them once the table is narrower than its contents.
HEADER_LINES = {
    "95% CI (Δ %)": "95% CI\n(Δ %)",
    "Chance to beat": "Chance\nto beat",
    "CUPED Δ % [95% CI]": "CUPED Δ %\n[95% CI]",
}
# Verdict right after the arm: the first thing a reviewer reads, never scrolled out of view.
RESULT_COLUMNS = (
    "Metric",
    "Arm",
    "Verdict",
    "Control",
    "Treatment",
    "Δ",
    "Δ %",
    "95% CI (Δ %)",
    "p",
    "p adj.",
    "Chance to beat",
    "CUPED Δ % [95% CI]",
)
VERDICT_COL = RESULT_COLUMNS.index("Verdict")
CI_COL = RESULT_COLUMNS.index("95% CI (Δ %)")
SEGMENT_COLUMNS = ("Segment", "Units C", "Units T", "SRM p", "Δ %", "95% CI", "p adj.", "Verdict")
COLUMN_TIPS = {
    "Control": "The control arm's value: mean, rate, ratio of sums or quantile.",
    "Treatment": "This arm's value, same definition as Control.",
    "Δ": "Absolute difference, treatment minus control.",
    "Δ %": "Relative lift: (treatment − control) / control.",
    "95% CI (Δ %)": "95% confidence interval of the relative lift (delta method).",
    "p": "Two-sided p-value of the fixed-horizon test (Welch t, two-proportion z, or delta-method z).",
    "p adj.": "p-value corrected for testing several metrics and arms (guardrails are left out of the family).",
    "Chance to beat": "Bayesian probability that this arm is better than control (flat prior).",
    "CUPED Δ % [95% CI]": "The relative lift adjusted for the pre-period covariate (CUPED / regression adjustment): "
    "same target, usually a narrower interval. Shown beside the unadjusted test, which the "
    "verdict uses; hover for the variance reduction.",
    "Verdict": "Significant improvement, significant harm, or inconclusive, using the adjusted p-value of the "
    "unadjusted test. Guardrails add their non-inferiority check: HARMED (worse beyond the margin), "
    "not proven safe (interval reaches the margin), or OK (worse by less than the margin).",
}
GUARDRAIL_TEXT = {
    "harmed": "guardrail HARMED",
    "inconclusive": "guardrail not proven safe",
    "non_inferior": "guardrail OK",
    "undefined": "guardrail untested",
}
# Row tints by verdict, as theme.tint() kinds (colours follow the light/dark palette); inconclusive: no tint.
TINT_KIND = {"good": "good", "bad": "bad", "undefined": "neutral"}
# Widest a results column may start at (px; the user can still widen it): a long verdict or CUPED cell
# elides (tooltips say all) instead of pushing Control/Treatment/Δ out of view.
COLUMN_MAX = {
    "Metric": 150,
    "Arm": 100,
    "Verdict": 120,
    "95% CI (Δ %)": 150,
    "CUPED Δ % [95% CI]": 170,
    "Segment": 160,
    "95% CI": 150,
}
COLUMN_MAX_DEFAULT = 110


def _pct(x, digits=2):
    if x is None:
        return "—"
    v = round(100 * x, digits)
    return f"{v if v else 0.0:+.{digits}f}%"  # no "-0.00%"


def _num(x):
    from workbench.experiments.verdicts import fmt_num

    return "—" if x is None else fmt_num(x)


def _p(x):
    return number_format.p_value(x)


def _units(n) -> str:
    return n if isinstance(n, str) else f"{n:,}"  # a withheld count arrives as its marker, e.g. "<10"


class ExperimentsResultsMixin:
    """Draws a readout into the Results and Segments tables (``self.readout``, the tables and forest plots
    are the panel's)."""

    @staticmethod
    def _setup_table(table: QTableWidget, headers) -> None:
        table.setColumnCount(len(headers))
        table.setHorizontalHeaderLabels([HEADER_LINES.get(h, h) for h in headers])
        for i, h in enumerate(headers):
            if h in COLUMN_TIPS:
                table.horizontalHeaderItem(i).setToolTip(COLUMN_TIPS[h])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        # Interactive: fitted to contents with caps after each readout (_fit_columns), then the user's to resize.
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        table.horizontalHeader().setStretchLastSection(True)
        table.setWordWrap(False)

    def _draw_results(self, data: dict) -> None:
        rows = result_rows(data)
        self.results.setRowCount(len(rows))
        forest = []
        comps = {(name, arm): c for name, b in data["metrics"].items() for arm, c in b["comparisons"].items()}
        intervals: list[tuple] = []
        for r_i, r in enumerate(rows):
            c = comps[(r["metric"], r["arm"])]
            label = r["metric"] + (" (guardrail)" if r["guardrail"] else "")
            rci = f"[{_pct(r['rel_ci_low'])}, {_pct(r['rel_ci_high'])}]" if r["rel_ci_low"] is not None else "—"
            verdict = r["verdict"]
            vtext = {"good": "better", "bad": "worse", "inconclusive": "inconclusive", "undefined": "no test"}[verdict]
            g = c.get("guardrail") or {}
            if r["guardrail"] and r["guardrail_status"]:
                margin = g.get("margin") or 0.0
                vtext += f" · {GUARDRAIL_TEXT.get(r['guardrail_status'], r['guardrail_status'])}"
                if r["guardrail_status"] in ("harmed", "inconclusive", "non_inferior"):
                    vtext += f" (margin {100 * margin:g}%)"
            cup = c.get("cuped") or {}
            cup_ci = cup.get("rel_ci95")
            cup_text = (
                f"{_pct(cup['rel_lift'])} [{_pct(cup_ci[0])}, {_pct(cup_ci[1])}]"
                if cup.get("rel_lift") is not None and cup_ci
                else ("n/a" if cup else "—")
            )
            cells = [
                label,
                r["arm"],
                vtext,
                _num(r["control_value"]),
                _num(r["treatment_value"]),
                _num(r["abs_diff"]),
                _pct(r["rel_lift"]),
                rci,
                _p(r["p_value"]),
                _p(r["p_value_adjusted"]),
                "—" if r["chance_to_beat_control"] is None else f"{100 * r['chance_to_beat_control']:.1f}%",
                cup_text,
            ]
            sentence = c.get("summary", "")
            tips = [
                f"{r['metric']} ({r['type']}): {sentence}",
                f"Compared with control arm {r['control']!r}.",
                "VERDICT",
                f"Control {_num(r['control_value'])} over {r['n_control']:,} units with a value.",
                f"{r['arm']} {_num(r['treatment_value'])} over {r['n_treatment']:,} units with a value.",
                f"{r['arm']} minus control = {_num(r['abs_diff'])}"
                + (
                    f" (95% CI {_num(r['abs_ci_low'])} to {_num(r['abs_ci_high'])})."
                    if r["abs_ci_low"] is not None
                    else "."
                ),
                sentence,
                "If the experiment were repeated, 95% of such intervals would contain the true relative lift. "
                + sentence,
                f"Probability of a difference at least this large if the arms were truly equal: {_p(r['p_value'])}."
                + (f" {c.get('reason')}" if c.get("reason") else ""),
                f"After {data.get('multiple_testing', {}).get('method', '')} correction across the metric family: {_p(r['p_value_adjusted'])}."
                if r["p_value_adjusted"] is not None
                else "Not in the correction family (guardrail or no test).",
                ""
                if r["chance_to_beat_control"] is None
                else f"Bayesian chance that {r['arm']} is better than control on {r['metric']}: {100 * r['chance_to_beat_control']:.1f}%.",
                (
                    f"Adjusted for {cup.get('covariate')} (θ = {_num(cup.get('theta'))}): Δ = {_num(cup.get('abs_diff'))}, "
                    f"p = {_p(cup.get('p_value'))}"
                    + (
                        f", variance reduced by {100 * cup['variance_reduction']:.0f}%."
                        if cup.get("variance_reduction") is not None
                        else "."
                    )
                    + (f" {cup['reason']}" if cup.get("reason") else "")
                )
                if cup
                else "No covariate for this metric: no CUPED adjustment.",
            ]
            tips[VERDICT_COL] = sentence + (
                f" Guardrail: harm interval {_pct(g['harm_ci95'][0])} to {_pct(g['harm_ci95'][1])} against a "
                f"{100 * (g.get('margin') or 0):g}% margin."
                if g.get("harm_ci95")
                else ""
            )
            if cup.get("variance_reduction") is not None:
                tips[RESULT_COLUMNS.index("Δ")] += (
                    f" CUPED with {cup['covariate']}: {_num(cup['abs_diff'])}, p = {_p(cup.get('p_value'))}, "
                    f"variance reduced by {100 * cup['variance_reduction']:.0f}%."
                )
            bg, fg = tint(TINT_KIND[verdict]) if verdict in TINT_KIND else (None, None)
            intervals.append((r["rel_ci_low"], r["rel_lift"], r["rel_ci_high"], verdict_text(verdict)))
            for col, (text, tip) in enumerate(zip(cells, tips)):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                if col > VERDICT_COL:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if bg:
                    item.setBackground(QColor(bg))
                    item.setForeground(QColor(fg))
                if col == VERDICT_COL and verdict_text(verdict):
                    item.setForeground(QColor(verdict_text(verdict)))
                if col == CI_COL:
                    item.setData(CI_ROLE, intervals[-1])
                self.results.setItem(r_i, col, item)
            forest.append(
                {
                    "label": f"{label} · {r['arm']}",
                    "est": r["rel_lift"],
                    "lo": r["rel_ci_low"],
                    "hi": r["rel_ci_high"],
                    "verdict": verdict,
                }
            )
        self.forest.set_rows(forest)
        self.ci_delegate.set_rows(intervals)
        self._fit_columns(self.results, RESULT_COLUMNS)
        fit_to_width(self.results, RESULT_COLUMNS)

    @staticmethod
    def _fit_columns(table: QTableWidget, headers) -> None:
        """Size columns to their contents, each capped (COLUMN_MAX); the user may widen them afterwards."""
        table.resizeColumnsToContents()
        for i, h in enumerate(headers):
            cap = COLUMN_MAX.get(h, COLUMN_MAX_DEFAULT)
            if table.columnWidth(i) > cap:
                table.setColumnWidth(i, cap)

    def _draw_segments(self, *_):
        data = self.readout or {}
        seg = data.get("segments")
        if not seg:
            self.seg_table.setRowCount(0)
            self.seg_forest.set_rows([])
            return
        metric, arm, control = self.seg_metric.currentText(), self.seg_arm.currentText(), data["control_arm"]
        self.seg_note.setText(
            f"Segments by {seg['column']} (top {seg['top_n']} by units, the rest as {seg['other_label']}). "
            f"Exploratory: {seg['correction']} correction within {seg['family_size']} segment tests only; "
            "confirm any segment finding in a new experiment."
        )
        values = seg["values"]
        self.seg_table.setRowCount(len(values))
        forest = []
        for i, e in enumerate(values):
            c = e["metrics"].get(metric, {}).get("comparisons", {}).get(arm, {})
            ci = c.get("rel_ci95")
            verdict = c.get("verdict", "undefined")
            srm_p = e["srm"].get("p_value")
            cells = [
                e["segment"],
                _units(e["units"].get(control, 0)),
                _units(e["units"].get(arm, 0)),
                _p(srm_p) + (" ⚠" if e["srm"].get("flag") else ""),
                _pct(c.get("rel_lift")),
                f"[{_pct(ci[0])}, {_pct(ci[1])}]" if ci else "—",
                _p(c.get("p_value_adjusted", c.get("p_value"))),
                {
                    "good": "better? (exploratory — confirm in a new test)",
                    "bad": "worse? (exploratory — confirm in a new test)",
                    "inconclusive": "inconclusive",
                }.get(verdict, "no test"),
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if verdict in TINT_KIND:
                    bg, fg = tint(TINT_KIND[verdict])
                    item.setBackground(QColor(bg))
                    item.setForeground(QColor(fg))
                if col == 3 and e["srm"].get("flag"):
                    item.setToolTip(
                        "Sample ratio mismatch inside this segment: the split is off here; distrust its numbers."
                    )
                elif c.get("rel_lift") is not None and ci:
                    item.setToolTip(
                        f"In {e['segment']}, {arm} changed {metric} by {100 * c['rel_lift']:.1f}% "
                        f"(95% CI {100 * ci[0]:.1f}% to {100 * ci[1]:.1f}%) vs {control}; exploratory."
                    )
                elif e.get("hidden"):
                    item.setToolTip(
                        f"Withheld by the workspace's protection policy: fewer than {e['hidden'][1:]} units in an arm."
                    )
                else:
                    item.setToolTip(c.get("reason") or "No test possible in this segment.")
                self.seg_table.setItem(i, col, item)
            forest.append(
                {
                    "label": e["segment"],
                    "est": c.get("rel_lift"),
                    "lo": ci[0] if ci else None,
                    "hi": ci[1] if ci else None,
                    "verdict": verdict,
                }
            )
        self.seg_forest.set_rows(forest)
        self._fit_columns(self.seg_table, SEGMENT_COLUMNS)
