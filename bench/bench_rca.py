"""Root-cause accuracy: Workbench vs RiskLoc, Squeeze, HotSpot and Adtributor on the RiskLoc authors'
synthetic datasets (S, L; H when it fits), plus exact-match F1 on the shared reference cases.

The peer methods and the generator are NOT part of Workbench: they run from a local copy of their public
repository (github.com/shaido987/riskloc, fetched beforehand), in a temporary directory, in a subprocess.

Each generated case is a table of leaves (one row per combination of the dimensions a, b, c, ...) with a
``real`` and a ``predict`` value. For Workbench it becomes an extract of two days: the baseline day holds the
``predict`` values, the anomaly day the ``real`` values, and ``workbench explain`` is asked (through the same
engine function, :func:`workbench.anomaly.root_cause.explain`) for the day's root cause against the day before
(``--baseline day``, every dimension searched). Scoring is the peers' own: a predicted element is a true
positive only when it equals a labelled culprit exactly; TP/FP/FN pooled over the cases -> F1.

    .venv/bin/python bench/bench_rca.py --peer-repo /work/.mirror/shaido987+riskloc/repo --cases 100
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The paper's generator settings per dataset (seed, arguments).
DATASETS = {
    "S": (121, []),
    "L": (
        122,
        [
            "--dims",
            "10",
            "24",
            "10",
            "15",
            "--noise-level",
            "0.0",
            "0.1",
            "--anomaly-severity",
            "0.5",
            "1.0",
            "--anomaly-deviation",
            "0.0",
            "0.0",
            "--num-anomaly",
            "1",
            "5",
            "--num-anomaly-elements",
            "1",
            "1",
            "--only-last-layer",
        ],
    ),
    "H": (123, ["--dims", "10", "5", "250", "20", "8", "12"]),
}
PEERS = ("riskloc", "squeeze", "hotspot", "adtributor")
BASE_DAY, ANOMALY_DAY, NEXT_DAY = "2024-01-01", "2024-01-02", "2024-01-03"

# Runs inside the peer repository (its own code, its default arguments), one algorithm over a list of cases;
# prints {case: [predicted element strings]} as JSON.
_PEER_DRIVER = r"""
import json, sys, time
from utils.argument_parser import get_input_arguments
from utils.run_utils import run_method
from utils.evaluation import root_cause_postprocessing
import pandas as pd
algorithm, cases = sys.argv[1], json.loads(sys.argv[2])
sys.argv = ["run.py", algorithm]
_, _, _, algorithm_args, _ = get_input_arguments()
out = {}
for name, path in cases.items():
    df = pd.read_csv(path)
    attributes = sorted(df.columns.drop(["real", "predict"]).tolist())
    t0 = time.time()
    rc = run_method(df, [None, None], attributes, algorithm, algorithm_args, False, False)
    out[name] = {"pred": [str(p) for p in root_cause_postprocessing(rc, algorithm)], "seconds": time.time() - t0}
print("@@RESULT@@" + json.dumps(out))
"""


def extract_peer_repo(peer_repo: Path, into: Path) -> Path:
    """A work tree of the peer repository in ``into`` (``peer_repo`` may be a bare git dir or a folder)."""
    if (peer_repo / "generate_dataset.py").exists():
        return peer_repo
    if (into / "generate_dataset.py").exists():
        return into
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "--git-dir", str(peer_repo), "archive", "HEAD", "--format=tar"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into), "--exclude=data/RS"], input=archive, check=True)
    return into


def generate(repo: Path, data_root: Path, name: str, n: int) -> Path:
    seed, extra = DATASETS[name]
    folder = data_root / name
    info = folder / "injection_info.csv"
    if info.exists() and sum(1 for _ in open(info)) - 1 >= n:
        return folder
    subprocess.run(
        [
            sys.executable,
            "generate_dataset.py",
            "--num",
            str(n),
            "--dataset-name",
            name,
            "--seed",
            str(seed),
            "--data-root",
            str(data_root),
            *extra,
        ],
        cwd=repo,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return folder


def cases_of(folder: Path, n: int) -> dict[str, tuple[Path, list[str]]]:
    import pandas as pd

    info = pd.read_csv(folder / "injection_info.csv").head(n)
    return {str(r.timestamp): (folder / f"{r.timestamp}.csv", _labels(r.set)) for r in info.itertuples()}


def _labels(text: str) -> list[str]:
    return sorted({"&".join(sorted(t.split("&"))) for t in str(text).split(";")})


def _as_label(element: dict) -> str:
    return "&".join(sorted(f"{k}={v}" for k, v in element.items()))


def run_workbench(cases: dict, work: Path, max_culprits: int | None) -> dict:
    """Workbench's root cause on each case, as ``workbench explain --baseline day`` computes it."""
    import duckdb

    from workbench.anomaly.root_cause import explain
    from workbench.catalog import Catalog
    from workbench.engine import EngineSettings, connect
    from workbench.metrics import Measure, MetricSpec

    out = {}
    for name, (csv, _) in cases.items():
        parquet = work / f"{name}.parquet"
        raw = duckdb.connect()
        cols = [
            c
            for c in raw.sql(f"DESCRIBE SELECT * FROM read_csv_auto('{csv}')").df()["column_name"]
            if c not in ("real", "predict")
        ]
        dims = ", ".join(cols)
        raw.execute(f"""COPY (SELECT TIMESTAMP '{BASE_DAY}' AS ts, {dims}, predict AS value FROM read_csv_auto('{csv}')
                              UNION ALL
                              SELECT TIMESTAMP '{ANOMALY_DAY}' AS ts, {dims}, real AS value FROM read_csv_auto('{csv}'))
                        TO '{parquet}' (FORMAT parquet)""")
        raw.close()
        con = connect(EngineSettings(memory_limit="2GB", temp_directory=str(work / "spill")))
        try:
            src = Catalog(con).open(str(parquet))
            spec = MetricSpec(table=src.name, measure=Measure.parse("sum(value)"), time_column="ts")
            kwargs = {} if max_culprits is None else {"max_culprits": max_culprits}
            t0 = time.perf_counter()
            rc = explain(con, spec, (ANOMALY_DAY, NEXT_DAY), cols, baseline="day", max_dims=len(cols), **kwargs)
            out[name] = {"pred": [_as_label(e) for e in rc.culprit_elements()], "seconds": time.perf_counter() - t0}
        finally:
            con.close()
            parquet.unlink()
    return out


def run_peer(repo: Path, algorithm: str, cases: dict, peer_path: str | None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (peer_path, str(repo)) if p)
    proc = subprocess.run(
        [sys.executable, "-c", _PEER_DRIVER, algorithm, json.dumps({k: str(v[0]) for k, v in cases.items()})],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{algorithm} failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.split("@@RESULT@@", 1)[1])


def pooled_f1(results: dict, cases: dict) -> dict:
    tp = fp = fn = 0
    for name, (_, truth) in cases.items():
        pred = set(results[name]["pred"])
        hit = len(pred & set(truth))
        tp, fp, fn = tp + hit, fp + len(pred) - hit, fn + len(truth) - hit
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    secs = sum(r["seconds"] for r in results.values())
    return {
        "f1": round(f1, 3),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "cases": len(cases),
        "seconds_per_case": round(secs / max(len(cases), 1), 2),
    }


def reference_cases(baselines=("expected", "day")) -> dict:
    """Exact-match pooled F1 on the shared reference cases, scored by their own score_rca.py."""
    import importlib.util

    import pandas as pd

    from workbench.anomaly.root_cause import explain
    from workbench.catalog import Catalog
    from workbench.engine import connect
    from workbench.metrics import Measure, MetricSpec

    ref = ROOT.parent / "shared" / "reference" / "anomaly" / "rca"
    if not (ref / "score_rca.py").exists():
        return {}
    spec_ = importlib.util.spec_from_file_location("score_rca", ref / "score_rca.py")
    scorer = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(scorer)
    out = {}
    for baseline in baselines:
        con = connect()
        preds = {}
        for gt_path in sorted(ref.glob("*/ground_truth.json")):
            gt = json.loads(gt_path.read_text())
            src = Catalog(con).open(str(gt_path.parent / "data.parquet"))
            measure = (
                "ratio(violations, views)" if gt["target_metric"] == "violation_rate" else f"sum({gt['target_metric']})"
            )
            w = gt["anomaly_window_utc"]
            window = (pd.Timestamp(w["start"]), pd.Timestamp(w["end_inclusive"]) + pd.Timedelta(hours=1))
            spec = MetricSpec(table=src.name, measure=Measure.parse(measure), time_column="ts")
            rc = explain(con, spec, window, ["country", "platform", "app_version", "surface"], baseline=baseline)
            preds[gt["case"]] = rc.culprit_elements()
        con.close()
        _, overall = scorer.score(preds, root=str(ref))
        out[baseline] = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in overall.items()}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peer-repo", type=Path, required=True, help="the fetched riskloc repository (git dir or folder)")
    ap.add_argument("--peer-path", help="extra PYTHONPATH for the peers' own dependencies (kneed, loguru, yaml)")
    ap.add_argument("--datasets", nargs="+", default=["S", "L"], choices=sorted(DATASETS))
    ap.add_argument("--cases", type=int, default=100, help="first N cases of each dataset (the paper uses 1000)")
    ap.add_argument("--methods", nargs="+", default=["workbench", *PEERS])
    ap.add_argument("--max-culprits", type=int, help="Workbench: override the culprit cap (default: explain's)")
    ap.add_argument("--workdir", type=Path, help="keep generated data here (default: a temporary directory)")
    ap.add_argument("--out", type=Path, help="write the results as JSON")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="wb_rca_") as tmp:
        work = args.workdir or Path(tmp)
        repo = extract_peer_repo(args.peer_repo, work / "riskloc")
        report: dict = {"reference": reference_cases(), "generated": {}}
        print("reference cases:", json.dumps(report["reference"]), flush=True)
        all_cases = {
            name: cases_of(generate(repo, work / "data", name, args.cases), args.cases) for name in args.datasets
        }
        (work / "wb").mkdir(exist_ok=True)
        for method in args.methods:  # method by method, so a slow peer leaves the others' results behind
            for name, cases in all_cases.items():
                res = (
                    run_workbench(cases, work / "wb", args.max_culprits)
                    if method == "workbench"
                    else run_peer(repo, method, cases, args.peer_path)
                )
                row = report["generated"].setdefault(name, {})[method] = pooled_f1(res, cases)
                row["per_case"] = {k: v["pred"] for k, v in res.items()}
                print(name, method, json.dumps({k: v for k, v in row.items() if k != "per_case"}), flush=True)
                if args.out:
                    args.out.write_text(json.dumps(report, indent=1))
    print("\n| dataset | cases | " + " | ".join(args.methods) + " |")
    print("|---|---|" + "---|" * len(args.methods))
    for name, res in report["generated"].items():
        n = next(iter(res.values()))["cases"]
        print(
            f"| {name} | {n} | " + " | ".join(f"{res[m]['f1']:.3f}" if m in res else "-" for m in args.methods) + " |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
