"""Tiles from scan rows: KPI, chart, leaderboard, pivot, table, text (JSON-ready dicts).

Every tile dict has ``type``, ``metric``, ``value``, ``comparison_value``, ``change``, ``change_pct`` (in
percent), ``series`` ([{bucket, value}]), ``rows`` and ``sql`` (the shared scan(s) it was read from); fields
that do not apply to a tile type are null. Values carry the metric's ``scale``.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Sequence, cast

import pandas as pd

from workbench.dashboard.scan_sql import BUCKET
from workbench.dashboard.scans import ScanResult, combine, partials
from workbench.dashboard.window import BoardWindow, bucket_end, truncate
from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.metrics_layer.model import MetricDef

_ADDITIVE = ("count", "sum", "count_distinct")
_COMBINABLE = ("count", "sum", "mean", "min", "max", "ratio")


def build_tile(
    plan, index: int, scans: Sequence[ScanResult | None], *, now: dt.datetime | None = None, alerts: dict | None = None
) -> dict:
    """Tile ``index`` of a :class:`workbench.dashboard.board.BoardPlan` from the finished scans."""
    ref = plan.tiles[index]
    tile = ref.tile
    metric = ref.metrics[0] if ref.metrics else None
    out = {
        "type": tile.type,
        "metric": tile.metric if tile.type != "table" else list(tile.metrics),
        "label": metric.title if metric and tile.type != "table" else None,
        "format": metric.format if metric else None,
        "good": metric.good if metric else None,
        "value": None,
        "comparison_value": None,
        "change": None,
        "change_pct": None,
        "series": None,
        "rows": None,
        "sql": [],
        "notes": list(ref.notes),
        "alert": None,
        "error": ref.error,
    }
    if tile.by:
        out["by"] = tile.by
    if tile.type == "pivot":
        out["pivot_rows"], out["pivot_columns"] = tile.rows, tile.columns
    if tile.type == "text":
        out["text"] = tile.text
        return out
    if ref.error:
        return out
    used = [scans[i] for i in ref.scans]
    if any(s is None for s in used):
        out["error"] = "not computed"
        return out
    out["sql"] = list(dict.fromkeys(s.sql for s in used))
    if tile.type == "kpi":
        used[0].cache.setdefault(
            "kpi_measures",
            sorted(
                {
                    (r.measure_index[0], r.aggs[0])
                    for r in plan.tiles
                    if r.tile.type == "kpi" and r.scans and scans[r.scans[0]] is used[0]
                }
            ),
        )
    ctx = _Ctx(
        plan.window,
        used[0],
        ref.measure_index[0],
        ref.aggs[0],
        metric.scale if metric else 1.0,
        now or getattr(plan, "now", None) or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
    )
    try:
        if tile.type == "kpi":
            _kpi(out, ctx, alerts.get(cast("MetricDef", metric).name) if alerts else None)  # a kpi has its metric
        elif tile.type == "chart":
            _chart(out, ctx, tile)
        elif tile.type == "leaderboard":
            out["rows"] = leaderboard_rows(ctx, tile.by, tile.limit)
        elif tile.type == "pivot":
            _pivot(out, ctx, tile)
        elif tile.type == "table":
            _table(out, plan, ref, used)
    except WorkbenchError as exc:
        out["error"] = str(exc)
    return out


class _Ctx:
    def __init__(self, window: BoardWindow, scan: ScanResult, mi: int, agg: str, scale: float, now: dt.datetime):
        self.window, self.scan, self.mi, self.agg, self.scale, self.now = window, scan, mi, agg, scale, now

    def value(self, rows: list[dict], period: str = "cur") -> float | None:
        return combine(self.agg, [partials(r, self.mi, self.agg, period) for r in rows])

    def scaled(self, v: float | None) -> float | None:
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else v * self.scale

    def by_bucket(self, rows: list[dict]) -> dict[pd.Timestamp, list[dict]]:
        out: dict[pd.Timestamp, list[dict]] = {}
        for r in rows:
            out.setdefault(pd.Timestamp(r[BUCKET]), []).append(r)
        return out

    def empty_value(self) -> float | None:
        return 0.0 if self.agg in ("count", "count_distinct") else None


def _change(value, comparison) -> tuple[float | None, float | None]:
    if value is None or comparison is None:
        return None, None
    change = value - comparison
    return change, (change / abs(comparison) * 100.0 if comparison else None)


def _tone(good: str | None, change: float | None) -> str:
    if not change or good in (None, "none"):
        return "neutral"
    return "good" if (change > 0) == (good == "up") else "bad"


def _series_points(ctx: _Ctx, rows_by_bucket: dict, series: str | None = None) -> list[dict]:
    """One point per bucket of the range (empty: 0 for counts, null otherwise), comparison at bucket - shift."""
    shift = ctx.window.shift
    points = []
    for b in ctx.window.buckets():
        rows = rows_by_bucket.get(b, [])
        value = ctx.value(rows) if rows else ctx.empty_value()
        point = {"bucket": b.isoformat()}
        if series is not None:
            point["series"] = series
        point["value"] = ctx.scaled(value)
        if shift is not None:
            cmp_rows = rows_by_bucket.get(truncate(b - shift, ctx.window.grain), [])
            point["comparison_value"] = ctx.scaled(ctx.value(cmp_rows, "cmp") if cmp_rows else ctx.empty_value())
        points.append(point)
    return points


def _history_frame(ctx: _Ctx, named_rows: dict[str, dict]) -> pd.DataFrame:
    """(bucket, series, value) over the whole window, complete buckets only, for the detector."""
    records = []
    for name, rows_by_bucket in named_rows.items():
        for b, rows in rows_by_bucket.items():
            if bucket_end(b, ctx.window.grain) > min(pd.Timestamp(ctx.window.end), pd.Timestamp(ctx.now)):
                continue
            v = ctx.value(rows, "all")
            records.append({"bucket": b, "series": name, "value": math.nan if v is None else float(v)})
    return pd.DataFrame(records, columns=["bucket", "series", "value"])


def _detect(ctx: _Ctx, named_rows: dict[str, dict], notes: list[str]):
    return _detect_frame(ctx, _history_frame(ctx, named_rows), notes)


def _detect_frame(ctx: _Ctx, frame: pd.DataFrame, notes: list[str]):
    if frame.empty or frame["bucket"].nunique() < 8:
        notes.append("too little history before the range for anomaly detection")
        return None
    from workbench.anomaly.detect import detect_frame

    try:
        return detect_frame(frame.sort_values(["series", "bucket"]), grain=ctx.window.grain)
    except (WorkbenchError, ValueError) as exc:
        notes.append(f"anomaly detection skipped: {exc}")
        return None


def _kpi(out: dict, ctx: _Ctx, fired_rules: list | None) -> None:
    total = ctx.scan.total()
    out["value"] = ctx.scaled(ctx.value([total]) if total else ctx.empty_value())
    if ctx.window.cmp_start is not None:
        out["comparison_value"] = ctx.scaled(ctx.value([total], "cmp") if total else ctx.empty_value())
    out["change"], out["change_pct"] = _change(out["value"], out["comparison_value"])
    out["tone"] = _tone(out["good"], out["change"])
    rows_by_bucket = ctx.by_bucket(ctx.scan.group_rows((BUCKET,)))
    out["series"] = _series_points(ctx, rows_by_bucket)
    det = _kpi_detection(ctx, rows_by_bucket, out["notes"])
    alert = _last_period_flag(ctx, det, f"m{ctx.mi}") if det is not None else None
    if fired_rules:
        alert = {
            **(alert or {}),
            "source": "rule" if alert is None else "detector and rule",
            "rules": [r.get("name") for r in fired_rules],
        }
    out["alert"] = alert


def _kpi_detection(ctx: _Ctx, rows_by_bucket: dict, notes: list[str]):
    """One detector run for every KPI of the scan (series ``m<measure index>``), shared through the scan's
    cache: the detector's fixed cost is paid once per scan, not once per tile."""
    cache = ctx.scan.cache
    key = ("kpi_detection", ctx.now)
    if key not in cache:
        measures = cache.get("kpi_measures") or [(ctx.mi, ctx.agg)]
        named = {}
        for mi, agg in measures:
            named[f"m{mi}"] = (_Ctx(ctx.window, ctx.scan, mi, agg, 1.0, ctx.now), rows_by_bucket)
        frames = [_history_frame(c, {name: rows}) for name, (c, rows) in named.items()]
        batch_notes: list[str] = []
        cache[key] = (_detect_frame(ctx, pd.concat(frames, ignore_index=True), batch_notes), batch_notes)
    det, batch_notes = cache[key]
    notes.extend(n for n in batch_notes if n not in notes)
    return det if det is not None and f"m{ctx.mi}" in det.names else None


def _last_period_flag(ctx: _Ctx, det, name: str) -> dict | None:
    """The detector's verdict on the last complete bucket of the range (None when it is not flagged)."""
    frame = det.series_frame(name)
    frame = frame[(frame["ts"] >= pd.Timestamp(ctx.window.start)) & (frame["ts"] < pd.Timestamp(ctx.window.end))]
    if frame.empty:
        return None
    last = frame.iloc[-1]
    if not bool(last["flag"]):
        return None
    return {
        "source": "detector",
        "bucket": pd.Timestamp(last["ts"]).isoformat(),
        "direction": "up" if last["actual"] > last["expected"] else "down",
        "score": _num(last["score"]),
        "value": ctx.scaled(_num(last["actual"])),
        "expected": ctx.scaled(_num(last["expected"])),
    }


def _num(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _rank_key(ctx: _Ctx, row: dict) -> float:
    """How the Explorer ranks series for top-N: totals by value, ratios by denominator, means by count,
    anything else by rows."""
    p = partials(row, ctx.mi, ctx.agg, "cur")
    if ctx.agg in ("count", "sum"):
        v = ctx.value([row])
    elif ctx.agg == "ratio":
        v = p.get("den")
    elif ctx.agg == "mean":
        v = p.get("c")
    else:
        v = row.get("__rows_cur")
    return -math.inf if v is None else float(v)


def _chart(out: dict, ctx: _Ctx, tile) -> None:
    if not tile.by:
        rows_by_bucket = ctx.by_bucket(ctx.scan.group_rows((BUCKET,)))
        named = {"all": rows_by_bucket}
        out["series"] = _series_points(ctx, rows_by_bucket)
    else:
        dim = ctx.scan.plan.dim_key(tile.by)
        ranked = [r for r in ctx.scan.group_rows((dim,)) if r["__rows_cur"]]
        ranked.sort(key=lambda r: (-_rank_key(ctx, r), str(r[dim])))
        top = [r[dim] for r in ranked[: tile.top]]
        rest = {r[dim] for r in ranked[tile.top :]}
        per: dict[str, dict] = {name: {} for name in top}
        if rest and ctx.agg in _COMBINABLE:
            per["Other"] = {}
        elif rest:
            out["notes"].append(f"{len(rest)} smaller series not shown: {ctx.agg} does not add up into 'Other'")
        for r in ctx.scan.group_rows((BUCKET, dim)):
            name = r[dim] if r[dim] in per else ("Other" if r[dim] in rest and "Other" in per else None)
            if name is not None:
                per[name].setdefault(pd.Timestamp(r[BUCKET]), []).append(r)
        named = {name: per[name] for name in sorted(per, key=lambda n: (n == "Other", n))}
        out["series"] = [p for name, rows in named.items() for p in _series_points(ctx, rows, name)]
    det = _detect(ctx, named, out["notes"])
    if det is None:
        return
    band, incidents = [], []
    lo, hi = pd.Timestamp(ctx.window.start), pd.Timestamp(ctx.window.end)
    for name in det.names:
        frame = det.series_frame(name)
        frame = frame[(frame["ts"] >= lo) & (frame["ts"] < hi)]
        for row in frame.itertuples(index=False):
            point = {
                "bucket": pd.Timestamp(row.ts).isoformat(),
                "expected": ctx.scaled(_num(row.expected)),
                "lower": ctx.scaled(_num(row.lower)),
                "upper": ctx.scaled(_num(row.upper)),
                "flag": bool(row.flag),
            }
            if tile.by:
                point["series"] = name
            band.append(point)
        for inc in det.incidents_of(name):
            if inc.end >= lo and inc.start < hi:
                d = inc.to_dict()
                for key in ("actual", "expected", "impact", "impact_low", "impact_high"):
                    d[key] = ctx.scaled(d.get(key))
                incidents.append(d)
    out["band"], out["incidents"] = band, incidents


def leaderboard_rows(ctx: _Ctx, by: str, limit: int) -> list[dict]:
    """Top values of ``by``: value, rows, share, comparison_value, change, change_pct (as the Explorer's
    leaderboard: values with rows in the current period, share of the total over all values)."""
    dim = ctx.scan.plan.dim_key(by)
    rows = [r for r in ctx.scan.group_rows((dim,)) if r["__rows_cur"]]
    entries = []
    for r in rows:
        value = ctx.value([r])
        comparison = ctx.value([r], "cmp") if ctx.window.cmp_start is not None and r["__rows_cmp"] else None
        entries.append((r[dim], value, int(r["__rows_cur"]), comparison))
    basis = [(e[1] or 0.0) if ctx.agg in _ADDITIVE else e[2] for e in entries]
    total = sum(basis)
    ranked = sorted(zip(entries, basis), key=lambda eb: (eb[0][1] is None, -(eb[0][1] or 0.0), str(eb[0][0])))
    out = []
    for (name, value, n, comparison), share_of in ranked[:limit]:
        value, comparison = ctx.scaled(value), ctx.scaled(comparison)
        change, change_pct = _change(value, comparison)
        out.append(
            {
                "dimension_value": name,
                "value": value,
                "rows": n,
                "share": share_of / total if total else None,
                "comparison_value": comparison,
                "change": change,
                "change_pct": change_pct,
            }
        )
    return out


def _pivot(out: dict, ctx: _Ctx, tile) -> None:
    r_dim, c_dim = ctx.scan.plan.dim_key(tile.rows), ctx.scan.plan.dim_key(tile.columns)

    def totals(dim):
        vals = {r[dim]: ctx.scaled(ctx.value([r])) for r in ctx.scan.group_rows((dim,)) if r["__rows_cur"]}
        return dict(sorted(vals.items(), key=lambda kv: (kv[1] is None, -(kv[1] or 0.0), str(kv[0]))))

    row_totals, col_totals = totals(r_dim), totals(c_dim)
    cells = {
        (r[r_dim], r[c_dim]): ctx.scaled(ctx.value([r])) for r in ctx.scan.group_rows((r_dim, c_dim)) if r["__rows_cur"]
    }
    rows = []
    for rv, rtotal in row_totals.items():
        rows.append({tile.rows: rv, **{cv: cells.get((rv, cv)) for cv in col_totals}, "Total": rtotal})
    total = ctx.scan.total()
    rows.append({tile.rows: "Total", **col_totals, "Total": ctx.scaled(ctx.value([total])) if total else None})
    counts = {f"{r[r_dim]}\u241f{r[c_dim]}": int(r["__rows_cur"] or 0) for r in ctx.scan.group_rows((r_dim, c_dim))}
    counts.update({f"{r[r_dim]}\u241fTotal": int(r["__rows_cur"] or 0) for r in ctx.scan.group_rows((r_dim,))})
    counts.update({f"Total\u241f{r[c_dim]}": int(r["__rows_cur"] or 0) for r in ctx.scan.group_rows((c_dim,))})
    out["rows"], out["columns"], out["cell_rows"] = rows, list(col_totals), counts
    out["value"] = rows[-1]["Total"]


def _table(out: dict, plan, ref, used: list[ScanResult]) -> None:
    tile = ref.tile
    columns: dict[str, dict] = {}
    counts: dict = {}
    for metric, scan, mi, agg in zip(ref.metrics, used, ref.measure_index, ref.aggs):
        ctx = _Ctx(plan.window, scan, mi, agg, metric.scale, dt.datetime.now())
        dim = scan.plan.dim_key(tile.by)
        rows = [r for r in scan.group_rows((dim,)) if r["__rows_cur"]]
        columns[metric.name] = {r[dim]: ctx.scaled(ctx.value([r])) for r in rows}
        for r in rows:  # the fewest rows behind any of the row's cells (what small-cell suppression needs)
            counts[r[dim]] = min(counts.get(r[dim], r["__rows_cur"]), int(r["__rows_cur"]))
    first = next(iter(columns.values()), {})
    keys = sorted(
        {k for col in columns.values() for k in col},
        key=lambda k: (first.get(k) is None, -(first.get(k) or 0.0), str(k)),
    )
    out["rows"] = [{tile.by: k, **{name: col.get(k) for name, col in columns.items()}} for k in keys[: tile.limit]]
    out["row_counts"] = {str(k): counts.get(k) for k in keys[: tile.limit]}
