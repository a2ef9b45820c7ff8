"""NAB score of the DEFAULT detector, run exactly as a user runs it.

    python bench/bench_nab.py [--set nab_train|nab|both] [--cli] [--check]

For every labelled series: ``workbench anomalies PATH --measure 'mean(value)' --format json`` (default grain,
default method), one alert per incident start; the alerts file is scored by the reference ``score.py``
(NAB standard profile and window F1). ``--cli`` runs the real CLI in a subprocess per series; the default
calls :func:`workbench.anomaly.run.run_anomalies`, the function the CLI calls (``--check`` runs both and
fails when their alerts differ).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("WORKBENCH_REFERENCE", ROOT / ".." / "shared" / "reference" / "anomaly")).resolve()
if not SHARED.exists():
    SHARED = Path("/work/shared/reference/anomaly")


def _names(data: Path) -> list[str]:
    return sorted(json.loads((data / "labels.json").read_text())["series"])


def alerts_in_process(data: Path) -> dict[str, list[str]]:
    from workbench.anomaly.run import run_anomalies

    out = {}
    for name in _names(data):
        run = run_anomalies(str(data / f"{name}.parquet"), "mean(value)")
        out[name] = [inc["start"] for s in run.to_dict()["series"] for inc in s["incidents"]]
    return out


def _cli_one(path: Path) -> list[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "anomalies", str(path), "--measure", "mean(value)", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(ROOT),
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{path.name}: {proc.stderr.strip()[-500:]}")
    doc = json.loads(proc.stdout)
    return [inc["start"] for s in doc["series"] for inc in s["incidents"]]


def alerts_cli(data: Path, jobs: int = 2) -> dict[str, list[str]]:
    names = _names(data)
    with ThreadPoolExecutor(jobs) as pool:
        return dict(zip(names, pool.map(lambda n: _cli_one(data / f"{n}.parquet"), names)))


def score(alerts: dict, data: Path, verbose: bool = False) -> dict:
    """Run score.py on the alerts; returns the OVERALL row (nab standard score, f1, ...)."""
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_nab_{data.name}_{os.getpid()}"
    out.mkdir(exist_ok=True)
    det_file, json_out = out / "alerts.json", out / "score.json"
    det_file.write_text(json.dumps(alerts, indent=1))
    proc = subprocess.run(
        [
            sys.executable,
            str(SHARED / "score.py"),
            str(det_file),
            "--labels",
            str(data / "labels.json"),
            "--data",
            str(data),
            "--json-out",
            str(json_out),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    if verbose:
        print(proc.stdout)
    return json.loads(json_out.read_text())


def overall(doc) -> dict:
    rows = doc if isinstance(doc, list) else doc.get("rows", doc.get("series", doc))
    if isinstance(rows, dict):
        return rows.get("OVERALL", rows)
    return next(r for r in rows if r.get("series") == "OVERALL")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", choices=("nab_train", "nab", "both"), default="both")
    ap.add_argument("--cli", action="store_true", help="run the CLI in a subprocess per series")
    ap.add_argument("--check", action="store_true", help="run both ways and compare the alerts")
    ap.add_argument("-v", "--verbose", action="store_true", help="print score.py's per-series table")
    args = ap.parse_args(argv)
    sets = ("nab_train", "nab") if args.set == "both" else (args.set,)
    status = 0
    for name in sets:
        data = SHARED / name
        t0 = time.perf_counter()
        alerts = alerts_cli(data) if args.cli else alerts_in_process(data)
        took = time.perf_counter() - t0
        if args.check:
            other = alerts_cli(data) if not args.cli else alerts_in_process(data)
            diff = [k for k in alerts if sorted(alerts[k]) != sorted(other.get(k, []))]
            print(f"{name}: CLI and in-process alerts {'differ on ' + ', '.join(diff) if diff else 'identical'}")
            status |= bool(diff)
        row = overall(score(alerts, data, args.verbose))
        n_alerts = sum(len(v) for v in alerts.values())
        print(
            f"{name}: NAB standard {row['nab_standard']:.1f}  window F1 {row['f1']:.3f}  "
            f"(P {row['precision']:.3f} R {row['recall']:.3f}, {n_alerts} alerts, {took:.1f} s)"
        )
    return status


if __name__ == "__main__":
    sys.exit(main())
