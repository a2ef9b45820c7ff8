"""A policy-impact readout (DiD, event study, synthetic control, staggered, ITS) as a recipe."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

import pandas as pd

from workbench.analysis.base import Analysis, AnalysisResult, register, require_tables
from workbench.causal.panel import ImpactSpec
from workbench.metrics import Filter, Measure

if TYPE_CHECKING:
    from workbench.backend import Cursor


def impact_spec_to_dict(spec: ImpactSpec) -> dict:
    """An ImpactSpec as JSON (every field, so a replay runs exactly the same analysis)."""
    d = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}
    d["measure"] = dataclasses.asdict(spec.measure)
    d["filters"] = [
        dataclasses.asdict(f) | {"value": list(f.value) if isinstance(f.value, tuple) else f.value}
        for f in spec.filters
    ]
    d["treated"] = list(spec.treated)
    d["controls"] = list(spec.controls) if spec.controls is not None else None
    d["start"] = spec.start.isoformat() if spec.start else None
    d["end"] = spec.end.isoformat() if spec.end else None
    return d


def impact_spec_from_dict(d: Mapping) -> ImpactSpec:
    d = dict(d)
    known = {f.name for f in dataclasses.fields(ImpactSpec)}
    d["measure"] = Measure(**d["measure"])
    d["filters"] = tuple(Filter(**f) for f in d.get("filters") or ())
    d["treated"] = tuple(d.get("treated") or ())
    if d.get("controls") is not None:
        d["controls"] = tuple(d["controls"])
    return ImpactSpec(**{k: v for k, v in d.items() if k in known})


@register
@dataclass(frozen=True)
class ImpactReadout(Analysis):
    """The impact readout (:func:`workbench.causal.impact.run_impact`).

    Tables: ``estimates`` (one row per method), then ``event_study``, ``weights``, ``gap``, ``group_time``
    and ``its`` when those methods ran, and ``diagnostics``. ``value`` is the ImpactResult.
    """

    spec: ImpactSpec

    kind = "impact"
    version = 1
    multi_table = True

    def run(self, con: Cursor, catalog=None) -> AnalysisResult:
        from workbench.causal.impact import run_impact

        require_tables(catalog, self.spec.table)
        result = run_impact(con, self.spec)
        notes = tuple(d["message"] for d in result.doc["diagnostics"] if d["severity"] == "warning")
        return AnalysisResult(
            self, impact_tables(result.doc), (result.panel.sql,), (result.doc["verdict"], *notes), value=result
        )

    def _payload(self) -> dict:
        return {"spec": impact_spec_to_dict(self.spec)}

    @classmethod
    def _from_payload(cls, d: dict) -> "ImpactReadout":
        return cls(impact_spec_from_dict(d["spec"]))


def impact_tables(doc: Mapping) -> dict[str, pd.DataFrame]:
    """The readout document as tables, in display order."""
    rows = []
    if "did" in doc:
        d = doc["did"]
        rows.append(
            {
                "method": "DiD (two-way fixed effects)",
                "estimate": d["att"],
                "se": d["se"],
                "95% low": d["ci95"][0],
                "95% high": d["ci95"][1],
                "p": d["p_value"],
            }
        )
    if "synthetic" in doc:
        s = doc["synthetic"]
        rows.append(
            {
                "method": "synthetic control",
                "estimate": s["att"],
                "se": None,
                "95% low": None,
                "95% high": None,
                "p": s["placebo_p_value"],
            }
        )
    if "staggered" in doc:
        rows.append(
            {
                "method": "Callaway-Sant'Anna (simple)",
                "estimate": doc["staggered"]["att"],
                "se": None,
                "95% low": None,
                "95% high": None,
                "p": None,
            }
        )
    if "its" in doc:
        t = doc["its"]
        rows.append(
            {
                "method": "interrupted time series (weaker evidence)",
                "estimate": t["att"],
                "se": None,
                "95% low": None,
                "95% high": None,
                "p": t["p_value"],
            }
        )
    out = {"estimates": pd.DataFrame(rows, columns=["method", "estimate", "se", "95% low", "95% high", "p"])}
    if "event_study" in doc:
        out["event_study"] = pd.DataFrame(
            [
                {
                    "relative period": r["relative_period"],
                    "estimate": r["estimate"],
                    "se": r["se"],
                    "95% low": r["ci95"][0],
                    "95% high": r["ci95"][1],
                }
                for r in doc["event_study"]
            ]
        )
    if "synthetic" in doc:
        w = sorted(doc["synthetic"]["weights"].items(), key=lambda kv: -kv[1])
        out["weights"] = pd.DataFrame(w, columns=["donor", "weight"])
        out["gap"] = pd.DataFrame(doc["synthetic"]["gap"])
    if "staggered" in doc:
        out["group_time"] = pd.DataFrame(doc["staggered"]["group_time"], columns=["cohort", "period", "att"])
    if "its" in doc:
        out["its"] = pd.DataFrame(doc["its"]["series"])
    out["diagnostics"] = pd.DataFrame(doc.get("diagnostics", []), columns=["severity", "code", "message", "what_to_do"])
    return out
