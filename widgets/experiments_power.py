"""Power / MDE calculator tab: pure arithmetic on a variance and a sample size (no query)."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QLabel, QSpinBox, QWidget

from workbench.experiments.power import power_block


class PowerCalculator(QWidget):
    """MDE at n units per arm, and units per arm for a target lift, from a baseline mean and variance.
    ``set_baseline`` fills the inputs from the control arm of the last readout."""

    def __init__(self, parent=None):
        super().__init__(parent)
        form = QFormLayout(self)
        self.mean = self._spin(1e12, 6, 1.0, "Baseline (control) mean, rate or ratio")
        self.variance = self._spin(1e15, 6, 1.0, "Per-unit variance of the metric in control (p(1-p) for a rate)")
        self.n = QSpinBox()
        self.n.setRange(2, 2_000_000_000)
        self.n.setValue(10_000)
        self.n.setGroupSeparatorShown(True)
        self.n.setToolTip("Units per arm")
        self.lift = self._spin(1000, 2, 5.0, "Relative lift to detect, in %")
        self.power = self._spin(99.9, 1, 80.0, "Probability of detecting the lift if it is real, in %")
        self.alpha = self._spin(50, 2, 5.0, "Two-sided significance level, in %")
        form.addRow("Baseline mean", self.mean)
        form.addRow("Per-unit variance", self.variance)
        form.addRow("Units per arm", self.n)
        form.addRow("Lift to detect (%)", self.lift)
        form.addRow("Power (%)", self.power)
        form.addRow("Alpha (%)", self.alpha)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(
            self.result.textInteractionFlags() | self.result.textInteractionFlags().TextSelectableByMouse
        )
        form.addRow(self.result)
        for w in (self.mean, self.variance, self.lift, self.power, self.alpha):
            w.valueChanged.connect(self.recompute)
        self.n.valueChanged.connect(self.recompute)
        self.recompute()

    def _spin(self, top, decimals, value, tip) -> QDoubleSpinBox:
        s = QDoubleSpinBox()
        s.setRange(-top if decimals > 2 else 0.01, top)
        s.setDecimals(decimals)
        s.setValue(value)
        s.setToolTip(tip)
        return s

    def set_baseline(self, mean, variance, n) -> None:
        if mean is not None:
            self.mean.setValue(mean)
        if variance is not None:
            self.variance.setValue(variance)
        if n:
            self.n.setValue(int(n))

    def recompute(self) -> dict:
        b = power_block(
            self.mean.value(),
            self.variance.value(),
            self.n.value(),
            self.alpha.value() / 100,
            self.power.value() / 100,
            self.lift.value() / 100,
            details=False,
        )
        if b.get("mde_abs_two_tailed") is None:
            self.result.setText(b.get("reason", "Cannot compute with these inputs."))
            return b
        rel = b.get("mde_rel_two_tailed")
        n_needed = b.get("n_per_arm_for_rel_lift_5pct_two_tailed_ceil")
        text = (
            f"With {self.n.value():,} units per arm you can detect an absolute change of "
            f"{b['mde_abs_two_tailed']:.4g}"
            + (f" ({100 * rel:.2f}% relative)" if rel is not None else "")
            + f" with {self.power.value():.0f}% power at alpha {self.alpha.value() / 100:g}."
        )
        if n_needed:
            text += (
                f"\nTo detect a {self.lift.value():g}% lift you need {n_needed:,} units per arm "
                f"(power there with the current n: {100 * b['power_at_rel_lift_5pct']:.1f}%)."
            )
        self.result.setText(text)
        self.last = b
        return b
