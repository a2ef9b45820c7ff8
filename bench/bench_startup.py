"""Start-up benchmark: bundle size, launch-to-usable-window time and idle memory.

For each target (the PyInstaller bundle and ``python -m workbench``) it launches the desktop app with no
arguments (demo mode: the 3M-row demo extract, pre-written once to an isolated cache dir) and reads the
report of packaging/startup_probe.py (``WORKBENCH_STARTUP_PROBE``):

* window shown      — the main window's first Show event
* usable            — both demo tables opened and listed (the window can be used)
* first view ready  — the panels' first queries on the opened tables finished
* RSS idle / peak   — resident memory after 2 s idle, and the process's peak

Cold runs drop the OS page cache first (root only: /proc/sys/vm/drop_caches), warm runs follow an untimed
warm-up. Medians of ``--runs`` (default 5). Uses Xvfb when installed (real X11 window), else Qt offscreen.

    .venv/bin/python bench/bench_startup.py [--bundle build/packaging/dist/workbench] [--runs 5] [--no-cold]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUNDLE = ROOT / "build" / "packaging" / "dist" / "workbench"
CACHE = ROOT / "bench" / "data" / "startup"  # the demo extract, written once (bench/data is git-ignored)
TIMEOUT_S = 180


def tree_size(path: Path) -> int:
    """Bytes of the regular files under ``path`` (symlinks not followed, counted once)."""
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def drop_page_cache() -> bool:
    try:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def isolated_env(home: Path, display: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "QT_", "WORKBENCH_"))}
    env.update(
        HOME=str(home),
        XDG_CACHE_HOME=str(CACHE / "cache"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
    )
    if display:
        env["DISPLAY"] = display
    else:
        env.pop("DISPLAY", None)
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def prepare_demo(env: dict[str, str]) -> None:
    """The GUI's demo mode opens <cache>/workbench/demo; write it once so runs measure start-up only."""
    code = "from workbench import demo; print(demo.ensure_demo().events)"
    subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env | {"PYTHONPATH": str(ROOT)},
        check=True,
        stdout=subprocess.DEVNULL,
    )


def start_xvfb() -> tuple[subprocess.Popen | None, str | None]:
    if not shutil.which("Xvfb"):
        return None, None
    for number in range(90, 110):
        if not Path(f"/tmp/.X{number}-lock").exists():
            proc = subprocess.Popen(
                ["Xvfb", f":{number}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(50):
                if Path(f"/tmp/.X11-unix/X{number}").exists():
                    return proc, f":{number}"
                time.sleep(0.1)
            proc.terminate()
            proc.wait()
    return None, None


def launch(cmd: list[str], env: dict[str, str], report: Path) -> dict:
    report.unlink(missing_ok=True)
    started = time.time()
    proc = subprocess.run(
        cmd,
        env=env | {"WORKBENCH_STARTUP_PROBE": str(report)},
        cwd=ROOT,
        timeout=TIMEOUT_S,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    ended = time.time()
    if not report.exists():
        raise RuntimeError(f"{cmd[0]} exited {proc.returncode} without a report: {proc.stderr[-800:]}")
    data = json.loads(report.read_text())
    if data.get("error"):
        raise RuntimeError(f"{cmd[0]}: {data['error']}")
    marks = data["marks"]
    return {
        "window_shown_s": marks["window_shown"] - started,
        "usable_s": marks["sources_opened"] - started,
        "first_view_s": marks.get("first_view_ready", marks["sources_opened"]) - started,
        "exit_s": ended - started,
        "rss_idle_mb": data.get("rss_idle_bytes", 0) / 2**20,
        "peak_rss_mb": data.get("peak_rss_bytes", 0) / 2**20,
    }


def measure(name: str, cmd: list[str], env: dict[str, str], runs: int, cold: bool, tmp: Path) -> dict:
    results: dict[str, list[dict]] = {}
    report = tmp / f"{name}.json"
    if cold:
        if drop_page_cache():
            results["cold"] = []
            for _ in range(runs):
                drop_page_cache()
                results["cold"].append(launch(cmd, env, report))
        else:
            print(f"  {name}: cold runs skipped (cannot drop the page cache: not root?)", file=sys.stderr)
    launch(cmd, env, report)  # warm-up
    results["warm"] = [launch(cmd, env, report) for _ in range(runs)]
    return {kind: {key: statistics.median(r[key] for r in rows) for key in rows[0]} for kind, rows in results.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-cold", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    out: dict = {"sizes": {}, "startup": {}}
    if args.bundle.exists():
        out["sizes"]["bundle_unpacked_mb"] = tree_size(args.bundle) / 2**20
    for artefact in sorted((ROOT / "dist").glob("*.tar.gz")) + sorted((ROOT / "dist").glob("*.deb")):
        out["sizes"][artefact.name] = artefact.stat().st_size / 2**20

    xvfb, display = start_xvfb()
    out["display"] = f"Xvfb {display}" if display else "offscreen"
    try:
        with tempfile.TemporaryDirectory(prefix="wb-bench-") as tmp_name:
            tmp = Path(tmp_name)
            env = isolated_env(tmp / "home", display)
            print(f"preparing the demo extract in {CACHE} (first time only) ...", file=sys.stderr)
            prepare_demo(env)
            probe_path = os.pathsep.join([str(ROOT), str(ROOT / "packaging")])
            targets = {
                "python -m workbench": (
                    [
                        sys.executable,
                        "-c",
                        "import startup_probe, runpy; startup_probe.install(); "
                        "runpy.run_module('workbench', run_name='__main__')",
                    ],
                    env | {"PYTHONPATH": probe_path},
                ),
            }
            if (args.bundle / "workbench").exists():
                targets = {"bundle": ([str(args.bundle / "workbench")], env)} | targets
            else:
                print(f"no bundle at {args.bundle}: build it with packaging/build.sh", file=sys.stderr)
            for name, (cmd, target_env) in targets.items():
                print(f"measuring {name} ...", file=sys.stderr)
                out["startup"][name] = measure(name.split()[0], cmd, target_env, args.runs, not args.no_cold, tmp)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait()

    print("\nSizes (MB): " + ", ".join(f"{k} {v:.0f}" for k, v in out["sizes"].items()))
    print(f"Start-up, median of {args.runs} ({out['display']}):")
    print(
        f"{'target':22} {'kind':5} {'shown s':>8} {'usable s':>9} {'1st view s':>10} {'RSS idle MB':>12} {'peak MB':>8}"
    )
    for name, kinds in out["startup"].items():
        for kind, m in kinds.items():
            print(
                f"{name:22} {kind:5} {m['window_shown_s']:8.2f} {m['usable_s']:9.2f} {m['first_view_s']:10.2f} "
                f"{m['rss_idle_mb']:12.0f} {m['peak_rss_mb']:8.0f}"
            )
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
