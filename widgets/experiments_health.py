"""The experiment readout's two banners: the split's health and the guardrail verdicts, kept apart.

A healthy split must not read as part of a red verdict, nor a harmed guardrail as a data problem: the
health line is green when the split is healthy, amber with data warnings (units in several arms…) and red
on a sample ratio mismatch; the verdict banner appears only when a guardrail is harmed.
"""

from __future__ import annotations

from workbench.number_format import p_value


def health_and_verdicts(data: dict) -> tuple[str, str, str]:
    """(health text, its level "ok" / "warning" / "error", verdict text or "") for a readout document."""
    srm = data["srm"]
    warnings = data.get("health", {}).get("warnings", [])
    observed = " · ".join(f"{arm}: {n:,}" for arm, n in srm["observed"].items())
    harmed = [w for w in warnings if w.startswith("Guardrail ")]
    rest = [w for w in warnings if not w.startswith(("Sample ratio mismatch", "Guardrail "))]
    if srm.get("flag"):
        text, level = "⚠ SAMPLE RATIO MISMATCH — " + warnings[0], "error"
    else:
        text = f"✓ Split looks healthy (SRM χ² p = {p_value(srm.get('p_value'))}). Units — {observed}."
        level = "warning" if rest else "ok"
    if rest:
        text += "\n" + "\n".join("• " + w for w in rest)
    return text, level, "\n".join("⚠ " + w for w in harmed)
