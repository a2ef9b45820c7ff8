"""An experiment readout (tests per metric, CUPED, SRM, sequential, segments) as a recipe."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

import pandas as pd

from workbench.analysis.base import Analysis, AnalysisResult, register, require_tables
from workbench.experiments.spec import ExperimentSpec

if TYPE_CHECKING:
    from workbench.backend import Cursor

TEST_SHORT = {
    "welch_t": "Welch t",
    "two_proportion_z_pooled": "two-proportion z",
    "delta_z": "delta-method z",
    "quantile_z": "quantile z",
}


def experiment_spec_to_dict(spec: ExperimentSpec) -> dict:
    """An ExperimentSpec as JSON (every field, so the replay runs exactly the same readout)."""
    d = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec) if f.name not in ("metrics", "extra")}
    d["weights"] = [[a, w] for a, w in spec.weights]
    d["metrics"] = [dataclasses.asdict(m) for m in spec.metrics]
    return d


def experiment_spec_from_dict(d: Mapping) -> ExperimentSpec:
    from workbench.experiments.spec import MetricSpec

    d = dict(d)
    known = {f.name for f in dataclasses.fields(ExperimentSpec)}
    metric_fields = {f.name for f in dataclasses.fields(MetricSpec)}
    d["metrics"] = tuple(MetricSpec(**{k: v for k, v in m.items() if k in metric_fields}) for m in d.get("metrics", []))
    d["weights"] = tuple((str(a), float(w)) for a, w in d.get("weights") or ())
    spec = ExperimentSpec(**{k: v for k, v in d.items() if k in known})
    spec.validate()
    return spec


@register
@dataclass(frozen=True)
class ExperimentReadout(Analysis):
    """The full readout of an experiment (:func:`workbench.experiments.run_experiment`).

    Tables: ``arms``, ``srm``, ``results``, ``adjustments`` (+ ``segment_units`` and ``segments`` with a
    segment breakdown). ``value`` is the Readout (its JSON document and SQL).
    """

    spec: ExperimentSpec

    kind = "experiment"
    version = 1
    multi_table = True

    def run(self, con: Cursor, catalog=None) -> AnalysisResult:
        from workbench.experiments import run_experiment

        require_tables(catalog, self.spec.table)
        readout = run_experiment(con, self.spec)
        notes = (
            ("Sample ratio mismatch: the arms' sizes differ from the intended split",)
            if readout.data.get("srm", {}).get("flag")
            else ()
        )
        return AnalysisResult(self, experiment_tables(readout.data), tuple(readout.sql), notes, value=readout)

    def _payload(self) -> dict:
        return {"spec": experiment_spec_to_dict(self.spec)}

    @classmethod
    def _from_payload(cls, d: dict) -> "ExperimentReadout":
        return cls(experiment_spec_from_dict(d["spec"]))


def experiment_tables(data: Mapping) -> dict[str, pd.DataFrame]:
    """{"arms", "srm", "results", "adjustments"(, "segments")} from a readout document."""
    control = data["control_arm"]
    srm = data["srm"]
    weights = srm.get("intended_weights") or {}
    arms = pd.DataFrame(
        [
            {
                "arm": a,
                "role": "control" if a == control else "treatment",
                "units": int(srm["observed"].get(a, 0)),
                "intended share": weights.get(a),
            }
            for a in data["arms"]
        ],
        columns=["arm", "role", "units", "intended share"],
    )
    srm_t = pd.DataFrame(
        [
            {
                "test": "chi-squared, units per arm vs intended shares",
                "chi2": srm.get("chi2"),
                "df": srm.get("df"),
                "p_value": srm.get("p_value"),
                "flag below": srm.get("threshold"),
                "mismatch": "YES" if srm.get("flag") else "no",
            }
        ]
    )
    results, adjustments = [], []
    for name, block in data["metrics"].items():
        for arm, c in block["comparisons"].items():
            aci, rci = c.get("abs_ci95") or [None, None], c.get("rel_ci95") or [None, None]
            results.append(
                {
                    "metric": name,
                    "arm": arm,
                    "test": TEST_SHORT.get(c.get("test"), c.get("test")),
                    "control": c.get("control_value"),
                    "treatment": c.get("treatment_value"),
                    "Δ": c.get("abs_diff"),
                    "Δ 95% low": aci[0],
                    "Δ 95% high": aci[1],
                    "lift": c.get("rel_lift"),
                    "lift 95% low": rci[0],
                    "lift 95% high": rci[1],
                    "p": c.get("p_value"),
                    "p adjusted": c.get("p_value_adjusted"),
                    "verdict": c.get("verdict"),
                }
            )
            cup = c.get("cuped") or {}
            cci = cup.get("rel_ci95") or [None, None]
            seq = (c.get("sequential") or {}).get("rel") or {}
            sci = seq.get("ci95") or [None, None]
            g = c.get("guardrail") or {}
            adjustments.append(
                {
                    "metric": name,
                    "arm": arm,
                    "CUPED covariate": cup.get("covariate") or "",
                    "CUPED lift": cup.get("rel_lift"),
                    "CUPED 95% low": cci[0],
                    "CUPED 95% high": cci[1],
                    "CUPED p": cup.get("p_value"),
                    "variance reduction": cup.get("variance_reduction"),
                    "sequential 95% low": sci[0],
                    "sequential 95% high": sci[1],
                    "sequential p": seq.get("p_value"),
                    "chance to beat control": c.get("chance_to_beat_control"),
                    "guardrail": g.get("status") or "",
                }
            )
    out = {"arms": arms, "srm": srm_t, "results": pd.DataFrame(results), "adjustments": pd.DataFrame(adjustments)}
    seg = data.get("segments")
    if seg:
        rows, units = [], []
        for e in seg["values"]:
            units += [
                {"segment": str(e["segment"]), "arm": a, "units": int(e["units"].get(a, 0) or 0)} for a in data["arms"]
            ]
            for name, block in e["metrics"].items():
                for arm, c in block["comparisons"].items():
                    ci = c.get("rel_ci95") or [None, None]
                    rows.append(
                        {
                            "segment": str(e["segment"]),
                            "metric": name,
                            "arm": arm,
                            "SRM p": e["srm"].get("p_value"),
                            "lift": c.get("rel_lift"),
                            "lift 95% low": ci[0],
                            "lift 95% high": ci[1],
                            "p adjusted": c.get("p_value_adjusted", c.get("p_value")),
                            "verdict": c.get("verdict"),
                        }
                    )
        out["segment_units"] = pd.DataFrame(units, columns=["segment", "arm", "units"])
        out["segments"] = pd.DataFrame(rows)
    return out
