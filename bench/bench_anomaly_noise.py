"""False alarms of the DEFAULT detector on pure noise: incidents over 200 series x 2,000 hourly points
of each noise family (nothing happened in any of them, so every incident is a false alarm).

    python bench/bench_anomaly_noise.py [--root WORKTREE]   # --root: measure another checkout's detector
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def noise_cases(n: int = 2000, s: int = 200, seed: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    h = np.arange(n)[:, None]
    return {
        "gaussian": 100 + rng.normal(0, 4, (n, s)),
        "daily cycle + gaussian": 100 + 30 * np.sin(2 * np.pi * h / 24) + rng.normal(0, 4, (n, s)),
        "student-t (3 df)": 100 + 4 * rng.standard_t(3, (n, s)),
        "AR(1), phi 0.8": 100 + pd.DataFrame(rng.normal(0, 1, (n, s))).ewm(alpha=0.2).mean().to_numpy() * 10,
        "poisson (mean 5)": rng.poisson(5, (n, s)).astype(float),
        "lognormal": np.exp(rng.normal(3, 0.5, (n, s))),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=str(Path(__file__).resolve().parents[1]))
    args = ap.parse_args(argv)
    sys.path.insert(0, args.root)
    from workbench.anomaly import Panel, detect

    total = 0
    for name, values in noise_cases().items():
        idx = pd.date_range("2024-01-01", periods=values.shape[0], freq="h")
        det = detect(
            Panel(index=idx, names=[f"s{i}" for i in range(values.shape[1])], values=values, step=pd.Timedelta(hours=1))
        )
        total += len(det.incidents)
        print(f"  {name:24s} {len(det.incidents):5d} incidents")
    print(f"  {'total':24s} {total:5d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
