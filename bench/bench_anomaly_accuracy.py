"""Accuracy of the DEFAULT detector settings: NAB reference score and the demo extract's incidents.

    python bench/bench_anomaly_accuracy.py [--rows 1000000] [--data DIR]

* NAB: the four labelled series in ../shared/reference/anomaly/nab scored by its score.py (one alert per
  incident start, exactly as tests/workbench/anomaly/test_reference.py does); skipped when absent.
* Demo: ``workbench.demo`` extract (generated once into --data); for each injected incident, its metric on
  the total and on the culprit series, hourly and daily: flagged points inside the window and incidents
  outside every injected window (false alarms). Also false-alarm incidents summed over every country's
  hourly/daily series of each count metric (breakdown view), where nothing but the injected ones happened.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.anomaly import detect_series, panel_from_frame, detect  # noqa: E402

SHARED = ROOT / ".." / "shared" / "reference" / "anomaly"


def nab_scores() -> dict | None:
    if not (SHARED / "score.py").exists():
        return None
    spec = importlib.util.spec_from_file_location("nab_score", SHARED / "score.py")
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    labels = json.loads((SHARED / "nab" / "labels.json").read_text())["series"]
    detections = {}
    for name in labels:
        frame = pd.read_parquet(SHARED / "nab" / f"{name}.parquet")
        det = detect_series(frame["ts"], frame["value"])
        detections[name] = [inc.start.isoformat() for inc in det.incidents]
    table = scorer.score(detections)
    return table


def _series(con, table: str, measure: str, grain: str, where: str = "TRUE", by: str | None = None):
    group = f", {by}" if by else ""
    q = (
        f"SELECT date_trunc('{grain}', event_time) AS bucket{group if by else ''}"
        f"{' AS series' if by else ''}, CAST({measure} AS DOUBLE) AS value FROM {table} WHERE {where} "
        f"GROUP BY ALL ORDER BY 1"
    )
    frame = con.execute(q).df()
    if not by:
        frame["series"] = "all"
    # Buckets with no rows are real zeros for a sum of counts: fill the full grid.
    idx = pd.date_range(frame["bucket"].min(), frame["bucket"].max(), freq="h" if grain == "hour" else "D")
    full = frame.pivot_table(index="bucket", columns="series", values="value", aggfunc="sum").reindex(idx).fillna(0.0)
    long = full.stack().rename("value").reset_index()
    long.columns = ["bucket", "series", "value"]
    return long


def demo_checks(data: Path, rows: int) -> list[dict]:
    import duckdb

    from workbench import demo

    events = data / demo.EVENTS_FILE
    if not events.exists():
        demo.write_demo(data, rows=rows)
    con = duckdb.connect()
    con.execute(f"CREATE VIEW ev AS SELECT * FROM read_parquet('{events}')")
    windows = [(pd.Timestamp(i.start), pd.Timestamp(i.end)) for i in demo.INCIDENTS]

    def outside(inc) -> bool:
        return not any(inc.start <= e and inc.end >= s - pd.Timedelta(days=1) for s, e in windows)

    out = []
    for inc in demo.INCIDENTS:
        metric = inc.metrics[0]
        culprit = " AND ".join(f"{k} = '{v}'" for k, v in inc.culprit.items())
        for label, where in (("total", "TRUE"), ("culprit", culprit)):
            for grain in ("hour", "day"):
                frame = _series(con, "ev", f"sum({metric})", grain, where)
                det = detect(panel_from_frame(frame, time="bucket", value="value", series="series", step=grain))
                s, e = pd.Timestamp(inc.start), pd.Timestamp(inc.end)
                in_win = (det.index >= s) & (det.index < e)
                if grain == "day":
                    in_win = (det.index >= s.floor("D")) & (det.index < e)
                n_flag = int(det.flags[in_win, 0].sum())
                found = any(i.start <= e and i.end >= s.floor("D" if grain == "day" else "h") for i in det.incidents)
                false = sum(outside(i) for i in det.incidents)
                frame_w = det.series_frame(det.names[0])[in_win]
                out.append(
                    {
                        "incident": inc.name,
                        "series": f"sum({metric}) {label}",
                        "grain": grain,
                        "flagged": f"{n_flag}/{int(in_win.sum())}",
                        "found": found,
                        "false_incidents": false,
                        "expected": float(np.nanmedian(frame_w["expected"])),
                        "upper": float(np.nanmedian(frame_w["upper"])),
                        "actual": float(np.nanmedian(frame_w["actual"])),
                    }
                )
    # Breakdown by country: every count metric, false alarms outside the injected windows.
    for metric in ("reports", "violations", "deletion_requests", "access_requests"):
        for grain in ("hour", "day"):
            frame = _series(con, "ev", f"sum({metric})", grain, by="country")
            det = detect(panel_from_frame(frame, time="bucket", value="value", series="series", step=grain))
            false = sum(outside(i) for i in det.incidents)
            out.append(
                {
                    "incident": "-",
                    "series": f"sum({metric}) by country ({len(det.names)})",
                    "grain": grain,
                    "flagged": "-",
                    "found": "-",
                    "false_incidents": false,
                    "expected": np.nan,
                    "upper": np.nan,
                    "actual": np.nan,
                }
            )
    con.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--data", default=os.path.join(tempfile.gettempdir(), "workbench-bench", "demo-1m"))
    args = ap.parse_args()
    table = nab_scores()
    if table is not None:
        pd.set_option("display.width", 200)
        print(table.to_string())
    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    rows = demo_checks(data, args.rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.1f}".format):
        print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
