"""The metric list of the Experiments form: one row per metric with type, columns, covariate, direction,
guardrail flag and non-inferiority margin."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
)

from workbench.experiments.spec import MetricSpec
from widgets.theme import tint

COLUMNS = (
    "Name",
    "Type",
    "Column / numerator",
    "Denominator",
    "Covariate (CUPED)",
    "Better when",
    "Guardrail",
    "Margin %",
)
TYPES = ("mean", "proportion", "ratio", "quantile")
TIPS = {
    "Type": "mean: Welch t-test · proportion: two-proportion z-test on 0/1 or true/false · "
    "ratio: sum(numerator)/sum(denominator) with the delta method · quantile: P90 by default",
    "Covariate (CUPED)": "A pre-experiment column that predicts the metric; CUPED uses it to shrink the variance "
    "(mean and proportion metrics). For a ratio, type PRE_NUMERATOR/PRE_DENOMINATOR: the "
    "ratio is adjusted by its pre-period ratio (delta method, as GrowthBook)",
    "Guardrail": "A metric that must not get worse; kept out of the multiple-testing family and flagged when harmed",
    "Margin %": "Non-inferiority margin: how much worse (relative) a guardrail may get and still pass",
}


class MetricsEditor(QTableWidget):
    """Editable metric definitions; ``metric_specs()`` turns the rows into engine MetricSpecs."""

    metrics_changed = Signal()
    direction_answered = Signal(str)  # the user picked a direction the name left open

    def __init__(self, parent=None):
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        for i, name in enumerate(COLUMNS):
            if name in TIPS:
                self.horizontalHeaderItem(i).setToolTip(TIPS[name])
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.verticalHeader().setVisible(False)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # "Better when" right after the type, where a narrow form still shows it (visual order only).
        self.horizontalHeader().moveSection(COLUMNS.index("Better when"), 2)
        self._columns: list[str] = []
        self._asked: set[str] = set()  # metric names whose direction is a question to the analyst
        self.itemChanged.connect(lambda *_: self.metrics_changed.emit())

    def set_columns(self, columns: list[str]) -> None:
        """Numeric/boolean columns the combos offer (existing rows keep their choice when still present)."""
        self._columns = list(columns)
        for row in range(self.rowCount()):
            for col, blank in ((2, False), (3, True), (4, True)):
                combo: QComboBox = self.cellWidget(row, col)
                current = combo.currentText()
                combo.blockSignals(True)
                combo.clear()
                combo.addItems(([""] if blank else []) + self._columns)
                if current in self._columns or (blank and current == "") or (combo.isEditable() and current):
                    combo.setCurrentText(current)
                combo.blockSignals(False)

    def _combo(self, items, current=None) -> QComboBox:
        c = QComboBox()
        c.addItems(list(items))
        if current is not None:
            c.setCurrentText(current)
        c.currentTextChanged.connect(lambda *_: self.metrics_changed.emit())
        return c

    def add_metric(self, m: MetricSpec | None = None) -> int:
        row = self.rowCount()
        self.insertRow(row)
        m = m or MetricSpec(
            name=self._columns[0] if self._columns else f"metric_{row + 1}",
            column=self._columns[0] if self._columns else None,
        )
        self.blockSignals(True)
        self.setItem(row, 0, QTableWidgetItem(m.name))
        self.blockSignals(False)
        self.setCellWidget(row, 1, self._combo(TYPES, m.type))
        first = m.numerator if m.type == "ratio" else (m.value_column or "")
        self.setCellWidget(row, 2, self._combo(self._columns, first))
        self.setCellWidget(row, 3, self._combo([""] + self._columns, m.denominator or ""))
        cov = self._combo([""] + self._columns, m.covariate or "")
        cov.setEditable(True)  # a ratio's covariate is typed as pre_num/pre_den
        cov.setToolTip(TIPS["Covariate (CUPED)"])
        self.setCellWidget(row, 4, cov)
        self.setCellWidget(row, 5, self._combo(("higher", "lower"), m.direction))
        box = QCheckBox()
        box.setChecked(m.guardrail)
        box.toggled.connect(lambda *_: self.metrics_changed.emit())
        self.setCellWidget(row, 6, box)
        spin = QDoubleSpinBox()
        spin.setRange(0, 100)
        spin.setDecimals(2)
        spin.setSuffix(" %")
        spin.setValue(100 * (m.margin or 0.0))
        spin.valueChanged.connect(lambda *_: self.metrics_changed.emit())
        self.setCellWidget(row, 7, spin)
        self.metrics_changed.emit()
        return row

    def set_direction_guess(self, row: int, guess) -> None:
        """Show why the direction was chosen; an unsure guess is tinted and asked until the user picks one."""
        combo: QComboBox = self.cellWidget(row, 5)
        name = self.item(row, 0).text() if self.item(row, 0) else ""
        combo.setToolTip(f"Inferred from the name: {guess.reason}. Change it if that is wrong.")
        if not guess.sure:
            self._asked.add(name)
            bg, fg = tint("warning")
            combo.setStyleSheet(f"QComboBox {{ background: {bg}; color: {fg}; }}")
            combo.activated.connect(lambda *_, c=combo, n=name: self._on_direction_answered(c, n))

    def asked_directions(self) -> list[str]:
        """Metrics whose direction is still a question (an unsure guess the user has not confirmed)."""
        return [
            n for n in (self.item(r, 0).text() for r in range(self.rowCount()) if self.item(r, 0)) if n in self._asked
        ]

    def _on_direction_answered(self, combo: QComboBox, name: str) -> None:
        self._asked.discard(name)
        combo.setStyleSheet("")
        self.direction_answered.emit(name)

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.selectedIndexes()}, reverse=True) or (
            [self.rowCount() - 1] if self.rowCount() else []
        )
        for r in rows:
            self.removeRow(r)
        self.metrics_changed.emit()

    def metric_specs(self) -> list[MetricSpec]:
        out = []
        for row in range(self.rowCount()):
            name = (self.item(row, 0).text() if self.item(row, 0) else "").strip() or f"metric_{row + 1}"
            mtype = self.cellWidget(row, 1).currentText()
            first = self.cellWidget(row, 2).currentText() or None
            den = self.cellWidget(row, 3).currentText() or None
            cov = self.cellWidget(row, 4).currentText() or None
            margin = self.cellWidget(row, 7).value() / 100
            kw = dict(
                name=name,
                type=mtype,
                direction=self.cellWidget(row, 5).currentText(),
                guardrail=self.cellWidget(row, 6).isChecked(),
                margin=margin or None,
            )
            if mtype == "ratio":
                kw.update(numerator=first, denominator=den)
            else:
                kw["column"] = first
            if cov and (mtype in ("mean", "proportion") or (mtype == "ratio" and "/" in cov)):
                kw["covariate"] = cov
            if mtype == "quantile":
                kw["quantile"] = 0.9
            out.append(MetricSpec(**kw))
        return out
