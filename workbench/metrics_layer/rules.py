"""Alert rules that name a defined metric: ``{"name": ..., "metric": "violation_rate", "conditions": [...]}``.

The existing rules file format keeps working (a rule with its own ``source`` and ``metric`` mapping is read
as before). A rule whose ``metric`` is a name takes the source, time column, measure and filters from the
metrics file, and its threshold values are in the metric's own units (its ``scale`` applied), as on the board.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from workbench import safe_json
from workbench.anomaly.alerts import AlertRule, RuleResult
from workbench.errors import SourceError, SpecError
from workbench.metrics_layer.model import MetricsFile
from workbench.metrics_layer.sources import locate

_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "==": "==", "!=": "!="}


@dataclass(frozen=True)
class NamedRule:
    """A rule ready to evaluate, and the defined metric it names (None for a plain rule)."""

    rule: AlertRule
    metric: str | None = None
    scale: float = 1.0  # the metric's scale: a latest value is reported in the metric's units


def load_rules(
    path: str | Path, metrics_file: MetricsFile | None = None, data_dirs: tuple[Path, ...] = ()
) -> list[NamedRule]:
    """Read a rules file; rules naming a metric are resolved with ``metrics_file`` (sources looked for in
    ``data_dirs``, then beside the metrics file).

    Raises
    ------
    SpecError naming the file and rule for anything that cannot be used.
    """
    path = Path(path)
    try:
        doc = safe_json.loads(path.read_text(encoding="utf-8"), str(path))
    except FileNotFoundError:
        raise SpecError(f"Rules file {path} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path} is not valid JSON ({exc})") from None
    raw = doc.get("rules") if isinstance(doc, dict) else doc
    if not isinstance(raw, list):
        raise SpecError(f'{path} must hold {{"rules": [...]}}')
    out = []
    for number, d in enumerate(raw, start=1):
        if not isinstance(d, dict):
            raise SpecError(f"{path}: rule {number} is not a JSON object")
        name, scale = None, 1.0
        if isinstance(d.get("metric"), str):
            name = d["metric"]
            d = _from_defined(d, name, metrics_file, data_dirs, f"{path}: rule {number}")
            assert metrics_file is not None, "_from_defined raises without a metrics file"
            scale = metrics_file.metric(name).scale
        try:
            rule = AlertRule.from_dict(d)
        except (TypeError, ValueError, AttributeError) as exc:
            raise SpecError(f"{path}: rule {number} is malformed ({exc})") from None
        if not Path(rule.source).is_absolute():
            rule = AlertRule(**{**rule.__dict__, "source": str((path.parent / rule.source).resolve())})
        out.append(NamedRule(rule, name, scale))
    return out


def _from_defined(d: dict, name: str, mf: MetricsFile | None, data_dirs: tuple[Path, ...], where: str) -> dict:
    if mf is None:
        raise SpecError(f"{where} names the metric {name!r}: give the metrics file (--metrics METRICS.yml)")
    try:
        metric = mf.metric(name)
    except SpecError as exc:
        raise SpecError(f"{where}: {exc}") from None
    source = None
    for folder in (*data_dirs, mf.path.parent):
        try:
            source = locate(metric.source, Path(folder))
            break
        except SourceError:
            continue
    if source is None:
        raise SourceError(f"{where}: cannot find the source {metric.source!r} of metric {name!r}")
    spec = {
        "measure": metric.measure_text,
        "time_column": metric.time,
        "grain": d.get("grain", "day"),
        "filters": list(metric.filter_texts),
        "breakdown": d.get("breakdown"),
    }
    conditions = []
    for c in d.get("conditions") or [{"type": "anomaly"}]:
        c = dict(c)
        if c.get("type") == "threshold" and c.get("value") is not None:
            c["value"] = float(c["value"]) / metric.scale  # rules speak the metric's units
            if metric.scale < 0:
                c["op"] = _FLIP.get(c.get("op", ">"), c.get("op"))
        conditions.append(c)
    return {
        **d,
        "name": d.get("name") or name,
        "source": str(Path(source).resolve()),
        "metric": spec,
        "conditions": conditions,
    }


def fired_by_metric(results: list[tuple[NamedRule, RuleResult]]) -> dict[str, list[dict]]:
    """{metric name: [fired rule results as dicts]}: the badges a board shows."""
    out: dict[str, list[dict]] = {}
    for named, result in results:
        if named.metric and result.fired:
            out.setdefault(named.metric, []).append(result.to_dict())
    return out


def evaluate_for_board(cur, catalog, rules_path: str | Path, metrics_file: MetricsFile) -> dict[str, list[dict]]:
    """Evaluate the rules that name metrics of ``metrics_file`` on the session's tables (opened if needed):
    {metric name: [fired rule dicts]} for the board's badges."""
    from workbench.anomaly.alerts import evaluate_rule

    results = []
    for named in load_rules(rules_path, metrics_file):
        if named.metric is None:
            continue
        opened = next(
            (
                s
                for s in catalog.sources
                if s.location == named.rule.source or str(Path(s.location).resolve()) == named.rule.source
            ),
            None,
        )
        table = opened.name if opened else catalog.open(named.rule.source, cursor=cur).name
        results.append((named, evaluate_rule(cur, table, named.rule)))
    return fired_by_metric(results)
