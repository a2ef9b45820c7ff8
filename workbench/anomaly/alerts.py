"""Alert rules saved per metric, evaluated on the current data (for a scheduler on an offline machine).

A rules file is JSON::

    {"rules": [{
        "name": "violations spike",
        "source": "events.parquet",            # relative to the rules file
        "metric": {"measure": "sum(violations)", "time_column": "ts", "grain": "hour",
                   "filters": [{"column": "country", "op": "=", "value": "BR"}], "breakdown": null},
        "conditions": [
            {"type": "anomaly", "detector": {"method": "auto", "threshold": 6.5}},
            {"type": "threshold", "op": ">", "value": 1000},
            {"type": "change_pct", "op": ">", "value": 50, "compare": "week"}],
        "combine": "or",                        # "and" | "or"
        "lookback": 1,                          # buckets at the end of the data that may fire
        "min_volume": 100,                      # ignore buckets with less volume
        "snooze_until": "2024-03-05T00:00:00"   # optional; skipped (not fired) until then
    }]}
"""

from __future__ import annotations

import datetime as dt
import json
import math
import operator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from workbench import metrics, safe_json
from workbench.anomaly.detect import detect_frame
from workbench.anomaly.params import DetectorParams
from workbench.anomaly.series import fetch_series
from workbench.errors import SpecError

CONDITION_TYPES = ("anomaly", "threshold", "change_pct")
_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq, "!=": operator.ne}
_COMPARE_STEPS = {"previous": None, "day": pd.Timedelta(days=1), "week": pd.Timedelta(days=7)}


@dataclass(frozen=True)
class Condition:
    type: str
    op: str = ">"
    value: float | None = None
    compare: str = "previous"
    detector: DetectorParams = field(default_factory=DetectorParams)

    @classmethod
    def from_dict(cls, d: dict) -> "Condition":
        kind = d.get("type")
        if kind not in CONDITION_TYPES:
            raise SpecError(f"Unknown condition type {kind!r}; choose one of {', '.join(CONDITION_TYPES)}")
        op = d.get("op", ">")
        if op not in _OPS:
            raise SpecError(f"Unknown operator {op!r}; choose one of {', '.join(_OPS)}")
        compare = d.get("compare", "previous")
        if compare not in _COMPARE_STEPS:
            raise SpecError(f"compare must be one of {', '.join(_COMPARE_STEPS)}")
        if kind != "anomaly" and d.get("value") is None:
            raise SpecError(f"A {kind} condition needs a value")
        return cls(
            kind,
            op,
            None if d.get("value") is None else float(d["value"]),
            compare,
            DetectorParams.from_dict(d.get("detector")),
        )

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"type": self.type}
        if self.type == "anomaly":
            out["detector"] = self.detector.to_dict()
        else:
            out.update(op=self.op, value=self.value)
            if self.type == "change_pct":
                out["compare"] = self.compare
        return out


@dataclass(frozen=True)
class AlertRule:
    name: str
    source: str
    metric: dict
    conditions: tuple[Condition, ...]
    combine: str = "or"
    lookback: int = 1
    min_volume: float = 0.0
    snooze_until: dt.datetime | None = None

    @classmethod
    def from_dict(cls, d: dict) -> "AlertRule":
        name = str(d.get("name") or "unnamed rule")
        if not d.get("source"):
            raise SpecError(f"Rule {name!r} has no source file")
        if not isinstance(d.get("metric"), dict) or not d["metric"].get("measure"):
            raise SpecError(f"Rule {name!r} needs a metric with a measure")
        conds = tuple(Condition.from_dict(c) for c in d.get("conditions") or [{"type": "anomaly"}])
        combine = str(d.get("combine", "or")).lower()
        if combine not in ("and", "or"):
            raise SpecError(f"Rule {name!r}: combine must be 'and' or 'or'")
        snooze = d.get("snooze_until")
        return cls(
            name,
            str(d["source"]),
            dict(d["metric"]),
            conds,
            combine,
            max(1, int(d.get("lookback", 1))),
            float(d.get("min_volume", 0) or 0),
            pd.Timestamp(snooze).to_pydatetime() if snooze else None,
        )

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "source": self.source,
            "metric": self.metric,
            "conditions": [c.to_dict() for c in self.conditions],
            "combine": self.combine,
            "lookback": self.lookback,
            "min_volume": self.min_volume,
            "snooze_until": self.snooze_until.isoformat() if self.snooze_until else None,
        }


@dataclass
class RuleResult:
    rule: AlertRule
    fired: bool
    snoozed: bool = False
    series: list[dict] = field(default_factory=list)  # per series: which conditions held, latest value
    incidents: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "name": self.rule.name,
            "fired": self.fired,
            "snoozed": self.snoozed,
            "series": self.series,
            "incidents": self.incidents,
            "notes": self.notes,
        }


def load_rules(path: str | Path) -> list[AlertRule]:
    """Read a rules file; relative sources are resolved against the file's folder."""
    path = Path(path)
    try:
        doc = safe_json.loads(path.read_text(encoding="utf-8"), str(path))
    except FileNotFoundError:
        raise SpecError(f"Rules file {path} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path} is not valid JSON ({exc})") from None
    rules = doc.get("rules") if isinstance(doc, dict) else doc
    if not isinstance(rules, list):
        raise SpecError(f'{path} must hold {{"rules": [...]}}')
    out = []
    for number, d in enumerate(rules, start=1):
        if not isinstance(d, dict):
            raise SpecError(f"{path}: rule {number} is not a JSON object")
        try:
            rule = AlertRule.from_dict(d)
        except (TypeError, ValueError, AttributeError) as exc:  # wrong shapes or types in a hand-edited file
            raise SpecError(f"{path}: rule {number} is malformed ({exc})") from None
        src = Path(rule.source)
        if not src.is_absolute():
            rule = AlertRule(**{**rule.__dict__, "source": str((path.parent / src).resolve())})
        out.append(rule)
    return out


def save_rules(path: str | Path, rules: list[AlertRule]) -> None:
    Path(path).write_text(json.dumps({"rules": [r.to_dict() for r in rules]}, indent=2), encoding="utf-8")


def _spec(rule: AlertRule, table: str) -> metrics.MetricSpec:
    m = dict(rule.metric)
    filters = tuple(
        metrics.Filter(**f) if isinstance(f, dict) else metrics.Filter.parse(str(f)) for f in m.get("filters", []) or []
    )
    return metrics.MetricSpec(
        table=table,
        measure=metrics.Measure.parse(m["measure"]),
        time_column=m.get("time_column"),
        grain=m.get("grain", "day") or "day",
        filters=filters,
        breakdown=m.get("breakdown"),
        top_n=int(m.get("top_n", 10)),
    )


def evaluate_rule(con, table: str, rule: AlertRule, now: dt.datetime | None = None) -> RuleResult:
    """Evaluate one rule against the opened table ``table``; fired when its conditions hold on any series
    in the last ``lookback`` buckets."""
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    if rule.snooze_until and now < rule.snooze_until:
        return RuleResult(rule, fired=False, snoozed=True, notes=[f"snoozed until {rule.snooze_until.isoformat()}"])
    spec = _spec(rule, table)
    frame, grain, _sql = fetch_series(con, spec, spec.grain)
    result = RuleResult(rule, fired=False)
    if frame.empty:
        result.notes.append("no data")
        return result
    frame = frame.sort_values("bucket")
    buckets = np.sort(frame["bucket"].unique())
    recent = set(pd.DatetimeIndex(buckets[-rule.lookback :]))
    holds: dict[str, dict[str, bool]] = {}
    latest: dict[str, float] = {}
    for cond_i, cond in enumerate(rule.conditions):
        key = f"{cond_i}:{cond.type}"
        if cond.type == "anomaly":
            params = cond.detector.replace(min_volume=max(cond.detector.min_volume, rule.min_volume))
            det = detect_frame(frame, params, grain=None if grain == "raw" else grain)
            result.notes.extend(det.notes)
            for inc in det.incidents:
                if any(inc.start <= b <= inc.end for b in recent):
                    holds.setdefault(inc.series, {})[key] = True
                    result.incidents.append(inc.to_dict())
            for name in det.names:
                holds.setdefault(name, {}).setdefault(key, False)
            continue
        for name, g in frame.groupby("series", sort=False):
            g = g.set_index("bucket")["value"]
            ok = False
            for b in recent:
                if b not in g.index or not np.isfinite(g.get(b, np.nan)):
                    continue
                value = float(g[b])
                latest[name] = value
                if rule.min_volume and spec.measure.additive and value < rule.min_volume:
                    continue
                if cond.type == "threshold":
                    ok |= _OPS[cond.op](value, cast(float, cond.value))  # from_dict requires a value
                else:
                    step = _COMPARE_STEPS[cond.compare]
                    prev_b = (
                        g.index[g.index.get_loc(b) - 1]
                        if step is None and g.index.get_loc(b) > 0
                        else (b - step if step is not None else None)
                    )
                    base = g.get(prev_b, np.nan) if prev_b is not None else np.nan
                    if np.isfinite(base) and base != 0:
                        ok |= _OPS[cond.op]((value - base) / abs(base) * 100.0, cast(float, cond.value))
            holds.setdefault(name, {})[key] = holds.get(name, {}).get(key, False) or bool(ok)
    for name, conds in holds.items():
        keys = [f"{i}:{c.type}" for i, c in enumerate(rule.conditions)]
        vals = [conds.get(k, False) for k in keys]
        fired = all(vals) if rule.combine == "and" else any(vals)
        last = latest.get(name)
        result.series.append(
            {
                "series": name,
                "fired": fired,
                "conditions": dict(zip(keys, vals)),
                "latest_value": None if last is None or not math.isfinite(last) else last,
            }
        )
        result.fired |= fired
    if rule.combine == "and":  # only incidents of series where the whole rule held
        fired_series = {s["series"] for s in result.series if s["fired"]}
        result.incidents = [i for i in result.incidents if i["series"] in fired_series]
    return result


def check_rules(path: str | Path, now: dt.datetime | None = None) -> list[RuleResult]:
    """Evaluate every rule in a rules file, each on its own source."""
    from workbench.catalog import Catalog
    from workbench.engine import connect

    results = []
    for rule in load_rules(path):
        con = connect()
        try:
            source = Catalog(con).open(rule.source)
            results.append(evaluate_rule(con, source.name, rule, now))
        finally:
            con.close()
    return results
