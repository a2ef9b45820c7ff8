"""``workbench self-test`` (also ``workbench --self-test``): prove an installation works, headless.

Writes a small demo extract to a private temp folder, opens it, checks the SQL console's database reads
only the opened files, computes a metric series, runs anomaly detection and an experiment readout,
answers an MCP tool call in process (``workbench mcp``), renders the main window offscreen and checks the
picture is not blank, and checks no code tried to reach the network. Prints one summary line and exits 0; on any failure
prints what failed and exits 1.

It leaves nothing behind: the extract, DuckDB spill files and everything Qt or the app would write under
the user's config/cache/data folders are redirected into the temp folder, which is removed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

DEMO_ROWS = 20_000
DEMO_USERS = 5_000
SEED = 7
WINDOW_SIZE = (1200, 800)
WINDOW_TIMEOUT_MS = 60_000
MIN_COLOURS = 8  # a blank or single-colour window has 1-3 (background, maybe a frame)
MIN_NON_BACKGROUND = 0.02
# Environment variables that point Qt, fontconfig, platformdirs and the app at per-user folders.
_ISOLATED_VARS = ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")


class Unavailable(Exception):
    """A part of the app this step needs is not installed/built yet: the step is skipped, not failed."""


@dataclass
class StepResult:
    name: str
    status: str  # "ok", "skipped" or "failed"
    detail: str
    seconds: float
    trace: str = ""


@dataclass
class Context:
    """What the steps share: the temp folder, the DuckDB connection and what earlier steps produced."""

    root: Path
    # Filled by the steps (a connection, its Catalog, a source); Any keeps the CLI's imports lazy.
    con: Any = None
    catalog: Any = None
    source: Any = None
    extract: Path | None = None
    experiment: Path | None = None
    experiment_source: Any = None
    qt_messages: list = field(default_factory=list)
    metric: Any = None
    values: dict = field(default_factory=dict)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "self-test",
        help="check this installation works (headless, offline); also 'workbench --self-test'",
        description="Run a headless end-to-end check of this installation and print one summary line.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print one line per step")
    parser.add_argument("--strict", action="store_true", help="treat a skipped step (part not available) as a failure")
    parser.add_argument("--no-gui", action="store_true", help="skip rendering the main window")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Entry point of the sub-command; returns the process exit code."""
    started = time.perf_counter()
    try:
        results = run_checks(gui=not args.no_gui)
    except OSError as exc:  # e.g. no writable temp folder at all
        print(f"workbench self-test: FAILED (setup: {exc})", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    failed = [r for r in results if r.status == "failed" or (args.strict and r.status == "skipped")]
    if args.verbose or failed:
        for r in results:
            stream = sys.stderr if r in failed else sys.stdout
            print(f"  {r.name:<11} {r.status:<8} {r.detail} ({r.seconds:.2f} s)", file=stream)
            if r.trace and args.verbose:
                print(r.trace, file=stream)
    print(summary_line(results, elapsed, failed), file=sys.stderr if failed else sys.stdout)
    return 1 if failed else 0


def summary_line(results: list[StepResult], elapsed: float, failed: list[StepResult]) -> str:
    """One line a person (or CI log grep) can read: verdict, then each step's short result."""
    parts = []
    for r in results:
        if r.status == "ok":
            parts.append(f"{r.name} {r.detail}")
        elif r.status == "skipped":
            parts.append(f"{r.name} skipped ({r.detail})")
        else:
            parts.append(f"{r.name} FAILED ({r.detail})")
    verdict = "FAILED" if failed else "OK"
    from workbench.version import version_string

    return f"workbench self-test: {verdict} in {elapsed:.1f} s [{version_string()}] — " + "; ".join(parts)


def run_checks(gui: bool = True) -> list[StepResult]:
    """Run every step in a private temp folder and remove it afterwards; raises OSError without one."""
    results: list[StepResult] = []
    root = Path(tempfile.mkdtemp(prefix="workbench-selftest-"))
    try:
        with _isolated_environment(root):
            ctx = Context(root=root)
            try:
                steps = list(STEPS) if gui else [s for s in STEPS if s[0] != "window"]
                for name, step in steps:
                    results.append(_run_step(name, step, ctx))
            finally:
                if ctx.con is not None:
                    ctx.con.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if root.exists():
        results.append(StepResult("cleanup", "failed", f"could not remove {root}", 0.0))
    return results


def _run_step(name: str, step: Callable[[Context], str], ctx: Context) -> StepResult:
    t0 = time.perf_counter()
    try:
        detail = step(ctx)
        return StepResult(name, "ok", detail, time.perf_counter() - t0)
    except Unavailable as exc:
        return StepResult(name, "skipped", str(exc) or "not available", time.perf_counter() - t0)
    except Exception as exc:  # a self-test reports every failure, whatever its type
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        detail = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
        return StepResult(name, "failed", detail, time.perf_counter() - t0, traceback.format_exc())


@contextlib.contextmanager
def _isolated_environment(root: Path) -> Iterator[None]:
    """Point per-user folders and the temp dir into ``root`` so the run leaves nothing behind."""
    saved = {name: os.environ.get(name) for name in (*_ISOLATED_VARS, "TMPDIR", "QT_QPA_PLATFORM")}
    saved_tempdir = tempfile.tempdir
    try:
        for name in _ISOLATED_VARS:
            folder = root / name.lower()
            folder.mkdir()
            os.environ[name] = str(folder)
        tmp = root / "tmp"
        tmp.mkdir()
        os.environ["TMPDIR"] = str(tmp)
        tempfile.tempdir = str(tmp)
        # Render without showing anything, with or without a display; a caller may still choose a platform.
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        yield
    finally:
        tempfile.tempdir = saved_tempdir
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _optional(module_name: str):
    """Import a part of the app, or raise Unavailable when that part is not there (yet)."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise Unavailable(f"{module_name} not available") from exc
        raise


def _require(ctx: Context, attribute: str, step: str):
    value = getattr(ctx, attribute)
    if value is None:
        raise Unavailable(f"needs the {step} step")
    return value


# --- steps -------------------------------------------------------------------------------------------


def step_engine(ctx: Context) -> str:
    from workbench.engine import EngineSettings, connect

    spill = ctx.root / "spill"
    spill.mkdir()
    ctx.con = connect(EngineSettings(memory_limit="512MB", temp_directory=str(spill)))
    version = ctx.con.execute("SELECT version()").fetchone()[0]
    from workbench.memory_budget import measure

    budget = measure()  # what a normal start would allow here: within cgroup limits and free memory
    return f"duckdb {version}; default memory limit {budget.limit_bytes() / 1024**3:.1f} GiB = {budget.describe()}"


def step_demo(ctx: Context) -> str:
    demo = _optional("workbench.demo")
    out = ctx.root / "demo"
    paths = demo.write_demo(out, rows=DEMO_ROWS, seed=SEED, users=DEMO_USERS)
    ctx.extract = Path(paths.events)
    ctx.experiment = Path(paths.experiment)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return f"{size / 1024:.0f} KiB"


def step_open(ctx: Context) -> str:
    from workbench.catalog import Catalog

    extract = _require(ctx, "extract", "demo")
    ctx.catalog = Catalog(ctx.con)
    ctx.source = ctx.catalog.open(str(extract))
    if not ctx.source.row_count:
        raise AssertionError(f"{ctx.source.name} opened with no rows")
    if ctx.experiment is not None:
        ctx.experiment_source = ctx.catalog.open(str(ctx.experiment))
    return f"{ctx.source.row_count:,} rows × {len(ctx.source.columns)} columns"


def step_console(ctx: Context) -> str:
    """The SQL console's database reads the opened tables and refuses any other file."""
    from workbench.console_db import console_db_for
    from workbench.readonly import check_read_only

    source = _require(ctx, "source", "open")
    outside = ctx.root / "outside.txt"
    outside.write_text("not an opened table\n")
    db = console_db_for(ctx.con, ctx.catalog.sources)
    try:
        (rows,) = db.con.execute(f'SELECT count(*) FROM "{source.name}"').fetchone()
        if rows != source.row_count:
            raise AssertionError(f"the console counted {rows} rows in {source.name}, not {source.row_count}")
        probe = f"SELECT * FROM read_text('{outside}')"
        check_read_only(probe)
        from workbench.backend import ENGINE_ERRORS

        try:
            db.con.execute(probe).fetchall()
        except ENGINE_ERRORS as exc:  # the engine's permission error: what the console must say
            if "disabled by configuration" not in str(exc):
                raise
        else:
            raise AssertionError("the SQL console read a file that is not an opened table")
    finally:
        db.close()
    return f"{len(db.allowed_paths)} file(s) readable, other files refused"


def step_metric(ctx: Context) -> str:
    metrics = _optional("workbench.metrics")
    source = _require(ctx, "source", "open")
    spec = metrics.MetricSpec(table=source.name, measure=metrics.Measure.parse("sum(views)"), grain="day")
    cur = ctx.con.cursor()
    try:
        result = metrics.metric_series(cur, spec)
    finally:
        cur.close()
    values = result.frame["value"]
    if len(values) < 2 or not values.notna().any() or float(values.sum()) <= 0:
        raise AssertionError(f"sum(views) by day came back empty ({len(values)} points)")
    ctx.metric = result
    return f"{len(values)} daily points"


def step_anomaly(ctx: Context) -> str:
    anomaly = _optional("workbench.anomaly")
    result = _require(ctx, "metric", "metric")
    detection = anomaly.detect_frame(result.frame, grain="day")
    if len(detection.expected) != len(result.frame):
        raise AssertionError(f"{len(detection.expected)} expected values for {len(result.frame)} points")
    return f"{int(detection.flags.sum())} flagged points, {len(detection.incidents)} incidents"


def step_experiment(ctx: Context) -> str:
    experiments = _optional("workbench.experiments")
    source = _require(ctx, "experiment_source", "open")
    spec = experiments.ExperimentSpec(
        table=source.name,
        unit="user_id",
        arm="arm",
        control="control",
        metrics=(
            experiments.parse_metric("time_spent_min:mean:time_spent_min:cov=pre_time_spent_min"),
            experiments.parse_metric("reported:proportion"),
        ),
    )
    cur = ctx.con.cursor()
    try:
        data = experiments.run_experiment(cur, spec).data
    finally:
        cur.close()
    arms = data["arms"]
    compared = [c for m in data["metrics"].values() for c in m["comparisons"].values() if c.get("p_value") is not None]
    if len(arms) < 2 or not compared:
        raise AssertionError(f"readout has {len(arms)} arms and {len(compared)} comparisons with a p-value")
    return f"{len(arms)} arms, {len(compared)} comparisons, SRM p={data['srm']['p_value']:.2f}"


def step_agent(ctx: Context) -> str:
    """The MCP server (``workbench mcp``) answers a tool call in process, with its audit entry."""
    _optional("mcp")
    selfcheck = _optional("workbench.mcp.selfcheck")
    source = _require(ctx, "source", "open")
    result = _require(ctx, "metric", "metric")
    return selfcheck.round_trip(
        ctx.con, ctx.catalog, source.name, ctx.root / "agent.audit.jsonl", float(result.frame["value"].sum())
    )


def step_window(ctx: Context) -> str:
    """Open the demo in the real main window offscreen, wait for its queries, and look at the picture.

    The Qt part lives in ``widgets.selftest_window``; it is imported by name, like the GUI itself (see
    ``workbench.cli.launch_gui``), so the engine package never imports Qt.
    """
    extract = _require(ctx, "extract", "demo")
    window_check = _optional("widgets.selftest_window")
    groups = [[str(extract)]] + ([[str(ctx.experiment)]] if ctx.experiment else [])
    return window_check.render_and_check(
        groups, ctx.root, WINDOW_SIZE, WINDOW_TIMEOUT_MS, MIN_COLOURS, MIN_NON_BACKGROUND, ctx.qt_messages
    )


def step_network(ctx: Context) -> str:
    """No code tried to reach the network during the run, and the guard really refuses a connection."""
    import socket

    from workbench import netguard

    if not netguard.is_installed():
        netguard.install()
    attempts = netguard.blocked_attempts()  # before our own probe below
    if attempts:
        shown = ", ".join(f"{a.event} {a.target}" for a in attempts[:3])
        raise AssertionError(f"{len(attempts)} network attempt(s) blocked: {shown}")
    guard_log = logging.getLogger("workbench.netguard")
    was_disabled, guard_log.disabled = guard_log.disabled, True  # our own probe is not news
    try:  # loopback, a closed port: nothing could leave the machine even if the guard let it through
        socket.create_connection(("127.0.0.1", 9), timeout=0.2).close()
    except netguard.NetworkBlocked:
        pass
    except OSError as exc:
        raise AssertionError(f"the network guard let a connection attempt through ({exc})") from exc
    else:
        raise AssertionError("the network guard let a connection through")
    finally:
        guard_log.disabled = was_disabled
    return "guard on (probe refused), 0 attempts"


STEPS: tuple[tuple[str, Callable[[Context], str]], ...] = (
    ("engine", step_engine),
    ("demo", step_demo),
    ("open", step_open),
    ("console", step_console),
    ("metric", step_metric),
    ("anomaly", step_anomaly),
    ("experiment", step_experiment),
    ("agent", step_agent),
    ("window", step_window),
    ("network", step_network),
)
