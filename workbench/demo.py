"""Deterministic demo extract for trust-and-safety and privacy analysts.

Two Parquet files are written:

``events.parquet``
    90 days (``START`` .. ``END``) of moderation and privacy activity. Each row is one per-minute log batch
    for a (country, platform, app_version, surface, policy) cell, so ``sum(views)`` and friends are the
    natural measures and ``count(*)`` counts batches. Rows are sorted by ``event_time`` (naive TIMESTAMP,
    UTC) and the number of rows per hour follows the traffic curve (daily and weekly seasonality, a slow
    upward trend). App versions roll out realistically: each release ramps up over days (staged rollout on
    Android, a day later on iOS after review, near-instant on web) and the older versions decline.

    Columns: event_time, country, platform, app_version, surface, policy, views, reports, violations,
    actions, access_requests, deletion_requests, sla_days (days to close the privacy requests in the batch;
    NULL when there were none), sla_breached (sla_days > 30; NULL when there were none).

``experiment.parquet``
    One row per user of a 3-arm experiment on a new in-app report flow (see ``EXPERIMENT``): user_id, arm,
    assigned_at, country, platform, pre_time_spent_min (pre-period covariate), pre_reports, sessions,
    time_spent_min, reported (0/1 proportion), reports_submitted / reports_actioned (a ratio metric:
    actioned / submitted), app_crashes (guardrail, lower is better).

The incidents injected into ``events`` are listed in ``INCIDENTS`` (window, culprit, effect) so anomaly
detection and root-cause tests can check they are found.

Generation is numpy with a fixed seed per chunk of ``CHUNK_ROWS`` rows. Chunks are appended to a scratch
DuckDB database file next to the output (so 50M+ rows stay in bounded memory) and DuckDB writes the Parquet
file with one row group per chunk; columns that are never NULL are declared NOT NULL, which DuckDB writes
as REQUIRED. No pyarrow. The same ``seed`` and ``rows`` always give the same file content.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# Upper bounds (MAX_*): 1e9 events is ~6 GB and ~10 minutes here; beyond that a typo (an extra digit) would
# fill the disk for hours before anyone notices. Defined beside the CLI's other parser constants.
from workbench.cli_constants import DEMO_DEFAULT_ROWS as DEFAULT_ROWS  # noqa: E402
from workbench.cli_constants import DEMO_DEFAULT_SEED as DEFAULT_SEED  # noqa: E402
from workbench.cli_constants import DEMO_DEFAULT_USERS as DEFAULT_USERS  # noqa: E402
from workbench.cli_constants import DEMO_MAX_ROWS as MAX_ROWS  # noqa: E402
from workbench.cli_constants import DEMO_MAX_USERS as MAX_USERS  # noqa: E402

DEMO_VERSION = 2  # bump when the generator changes, so cached demo extracts are rewritten
CHUNK_ROWS = 524_288  # one Parquet row group per chunk; fixed so content does not depend on machine

START = dt.datetime(2026, 8, 3)  # a Monday
DAYS = 90
END = START + dt.timedelta(days=DAYS)  # exclusive
HOURS = DAYS * 24

EVENTS_FILE = "events.parquet"
EXPERIMENT_FILE = "experiment.parquet"

# (code, share of traffic, deletion-request propensity: GDPR countries ask more)
COUNTRIES = (
    ("US", 0.21, 1.0),
    ("IN", 0.16, 0.3),
    ("BR", 0.12, 0.7),
    ("ID", 0.08, 0.3),
    ("MX", 0.06, 0.5),
    ("GB", 0.05, 1.6),
    ("DE", 0.05, 2.2),
    ("FR", 0.04, 1.9),
    ("JP", 0.04, 0.8),
    ("PH", 0.04, 0.3),
    ("NG", 0.03, 0.3),
    ("TR", 0.03, 0.5),
    ("EG", 0.03, 0.3),
    ("VN", 0.03, 0.3),
    ("CA", 0.02, 1.1),
)
# (platform, share, view multiplier, release offset in days, ramp scale in days)
PLATFORMS = (
    ("android", 0.55, 1.0, 0.0, 1.4),
    ("ios", 0.33, 1.1, 1.0, 1.0),  # App Store review: a day later, faster uptake
    ("web", 0.12, 0.7, 0.0, 0.05),  # a deploy: everyone at once
)
# (version, release day relative to START); 5.0.0 is the installed base before the window.
VERSIONS = (
    ("5.0.0", None),
    ("5.1.0", -9),
    ("5.2.0", 9),
    ("5.3.0", 23),
    ("5.4.0", 41),
    ("5.4.1", 50),
    ("5.5.0", 64),
    ("5.6.0", 80),
)
ROLLOUT_CAP = 0.97  # some devices never update: older versions keep a tail ...
ROLLOUT_CAP_STEP = 0.012  # ... and each later release reaches a little fewer devices
ROLLOUT_DELAY_DAYS = 3.0  # staged rollout: midpoint a few days after release
# (surface, share, mean views per batch)
SURFACES = (
    ("feed", 0.34, 420.0),
    ("comments", 0.2, 130.0),
    ("messages", 0.16, 70.0),
    ("profile", 0.1, 90.0),
    ("live", 0.08, 160.0),
    ("search", 0.12, 100.0),
)
# (policy, share, reports per view, share of reports that are violations, proactive detections per view)
POLICIES = (
    ("spam", 0.3, 0.0040, 0.45, 0.00060),
    ("harassment", 0.18, 0.0022, 0.30, 0.00010),
    ("hate_speech", 0.12, 0.0012, 0.28, 0.00008),
    ("nudity", 0.12, 0.0016, 0.40, 0.00025),
    ("violence", 0.08, 0.0009, 0.33, 0.00006),
    ("misinformation", 0.1, 0.0015, 0.18, 0.00003),
    ("self_harm", 0.04, 0.0003, 0.50, 0.00002),
    ("impersonation", 0.06, 0.0006, 0.35, 0.00004),
)
ACTION_RATE = 0.88  # moderation actions per violation found
ACCESS_PER_VIEW = 2.0e-5
DELETION_PER_VIEW = 0.9e-5
SLA_LIMIT_DAYS = 30.0


@dataclass(frozen=True)
class Incident:
    """An anomaly injected into ``events``; rows matching ``culprit`` inside [start, end) are affected."""

    name: str
    start: dt.datetime
    end: dt.datetime  # exclusive
    culprit: dict  # column -> value; all must match
    metrics: tuple[str, ...]  # columns whose values were changed
    factor: float  # multiplier applied to ``metrics`` (sla_days: days added instead)
    description: str = ""


INCIDENTS: tuple[Incident, ...] = (
    Incident(
        name="report_spike_br_android_540",
        start=START + dt.timedelta(days=44, hours=9),
        end=START + dt.timedelta(days=46, hours=21),
        culprit={"country": "BR", "platform": "android", "app_version": "5.4.0"},
        metrics=("reports",),
        factor=8.0,
        description="Android 5.4.0 (mid-rollout) double-submits reports in the pt-BR report dialog: reports "
        "from BR x android x 5.4.0 jump 8x while violations found do not, so violations/reports collapses.",
    ),
    Incident(
        name="ios_logging_drop",
        start=START + dt.timedelta(days=67, hours=2),
        end=START + dt.timedelta(days=67, hours=14),
        culprit={"platform": "ios"},
        metrics=("views", "reports", "violations", "actions"),
        factor=0.25,
        description="iOS client logging outage: 75% of iOS events lost for 12 hours (all countries, versions).",
    ),
    Incident(
        name="deletion_surge_de",
        start=START + dt.timedelta(days=75),
        end=START + dt.timedelta(days=79),
        culprit={"country": "DE"},
        metrics=("deletion_requests",),
        factor=5.0,
        description="After press coverage, deletion requests from Germany rise 5x for four days and the "
        "privacy queue falls behind: sla_days for DE batches increase by 14 days (many breach the 30-day SLA).",
    ),
)
DELETION_SURGE_SLA_DAYS = 14.0

EXPERIMENT: dict[str, Any] = {
    "name": "report_flow_v2",
    "unit": "user_id",
    "arms": ("control", "treatment_a", "treatment_b"),
    "control": "control",
    "assignment_start": START + dt.timedelta(days=63),
    "assignment_days": 14,
    "covariate": "pre_time_spent_min",
    "metrics": {
        "time_spent_min": "mean",
        "reported": "proportion",
        "reports_actioned/reports_submitted": "ratio",
        "app_crashes": "guardrail (lower is better)",
    },
    # True multiplicative effects vs control (reports: rate per user; precision: P(report actioned)).
    "effects": {
        "treatment_a": {"reports": 1.10, "precision": 0.36 / 0.32, "time_spent": 1.00, "crashes": 1.00},
        "treatment_b": {"reports": 1.22, "precision": 0.29 / 0.32, "time_spent": 0.99, "crashes": 1.25},
    },
}
_CONTROL_PRECISION = 0.32


@dataclass(frozen=True)
class DemoPaths:
    events: Path
    experiment: Path
    incidents: tuple[Incident, ...] = field(default=INCIDENTS, compare=False)


def _names(table) -> list[str]:
    return [row[0] for row in table]


def _shares(table) -> np.ndarray:
    w = np.array([row[1] for row in table], dtype=float)
    return w / w.sum()


def _hour_intensity() -> np.ndarray:
    """Relative traffic per hour of the window: diurnal, weekly and a slow trend."""
    h = np.arange(HOURS)
    hour_of_day = h % 24
    day = h // 24
    # Global traffic peaks late afternoon UTC (Americas evening + Asia morning overlap).
    diurnal = 1.0 + 0.45 * np.sin(2 * np.pi * (hour_of_day - 9) / 24) + 0.12 * np.sin(4 * np.pi * hour_of_day / 24)
    weekly = np.where(day % 7 >= 5, 1.15, 1.0)  # START is a Monday
    trend = 1.0 + 0.003 * day
    return diurnal * weekly * trend


def _hour_boundaries(rows: int) -> np.ndarray:
    """Cumulative row counts per hour: rows [b[h-1], b[h]) belong to hour h."""
    intensity = _hour_intensity()
    return np.floor(np.cumsum(intensity) / intensity.sum() * rows + 0.5).astype(np.int64)


def _adoption(day: np.ndarray, platform_idx: np.ndarray) -> np.ndarray:
    """Share of devices on version k or newer, per row (rows x versions); decreasing in k."""
    offsets = np.array([p[3] for p in PLATFORMS])[platform_idx]
    scales = np.array([p[4] for p in PLATFORMS])[platform_idx]
    out = np.ones((day.size, len(VERSIONS)))
    for k, (_, release) in enumerate(VERSIONS):
        if release is None:
            continue
        released = release + offsets
        mid = released + np.where(scales < 0.5, 0.2, ROLLOUT_DELAY_DAYS)
        at_release = _logistic((released - mid) / scales)
        # Nobody has a version before it ships; every version follows the same (shifted) curve, so the
        # shares stay ordered: newer versions never exceed older ones.
        ramp = (_logistic((day - mid) / scales) - at_release) / (1.0 - at_release)
        out[:, k] = (ROLLOUT_CAP - ROLLOUT_CAP_STEP * (k - 1)) * np.clip(ramp, 0.0, 1.0)
    return out


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(np.clip(-x, -60.0, 60.0)))


def _in_window(event_us: np.ndarray, incident: Incident) -> np.ndarray:
    return (event_us >= _micros(incident.start)) & (event_us < _micros(incident.end))


def _micros(t: dt.datetime) -> int:
    return int((t - dt.datetime(1970, 1, 1)).total_seconds()) * 1_000_000


def _dictionary(indices: np.ndarray, names: list[str]) -> pd.Categorical:
    # A categorical (DuckDB scans it as an ENUM, stored as VARCHAR): strings are made once per value.
    return pd.Categorical.from_codes(indices.astype(np.int32), categories=pd.Index(names, dtype=object))


def _timestamps(micros: np.ndarray) -> np.ndarray:
    return np.asarray(micros, dtype=np.int64).view("datetime64[us]")


def _nullable(values: np.ndarray, null: np.ndarray):
    """A pandas masked array (NULL where ``null``), NumPy-backed: no pyarrow needed."""
    if values.dtype == np.bool_:
        return pd.arrays.BooleanArray(values, null.copy())
    return pd.arrays.FloatingArray(values.astype(np.float64), null.copy())


# (column, DuckDB type, nullable): the Parquet schema of each file, in column order.
EVENTS_SCHEMA = (
    ("event_time", "TIMESTAMP", False),
    ("country", "VARCHAR", False),
    ("platform", "VARCHAR", False),
    ("app_version", "VARCHAR", False),
    ("surface", "VARCHAR", False),
    ("policy", "VARCHAR", False),
    ("views", "BIGINT", False),
    ("reports", "INTEGER", False),
    ("violations", "INTEGER", False),
    ("actions", "INTEGER", False),
    ("access_requests", "INTEGER", False),
    ("deletion_requests", "INTEGER", False),
    ("sla_days", "DOUBLE", True),
    ("sla_breached", "BOOLEAN", True),
)
EXPERIMENT_SCHEMA = (
    ("user_id", "BIGINT", False),
    ("arm", "VARCHAR", False),
    ("assigned_at", "TIMESTAMP", False),
    ("country", "VARCHAR", False),
    ("platform", "VARCHAR", False),
    ("pre_time_spent_min", "DOUBLE", False),
    ("pre_reports", "INTEGER", False),
    ("sessions", "INTEGER", False),
    ("time_spent_min", "DOUBLE", False),
    ("reported", "INTEGER", False),
    ("reports_submitted", "INTEGER", False),
    ("reports_actioned", "INTEGER", False),
    ("app_crashes", "INTEGER", False),
)


def _events_chunk(seed: int, chunk: int, lo: int, hi: int, bounds: np.ndarray) -> pd.DataFrame:
    rng = np.random.default_rng([seed, 1, chunk])
    n = hi - lo
    idx = np.arange(lo, hi, dtype=np.int64)
    hour = np.searchsorted(bounds, idx, side="right")
    # Spread each hour's rows evenly over the hour so the file is sorted by time (good row-group pruning).
    first = np.concatenate(([0], bounds))[hour]
    per_hour = np.maximum(bounds[hour] - first, 1)
    second = (idx - first) * 3600 // per_hour
    event_us = _micros(START) + hour * 3_600_000_000 + second * 1_000_000
    day = hour / 24.0

    country = rng.choice(len(COUNTRIES), n, p=_shares(COUNTRIES))
    platform = rng.choice(len(PLATFORMS), n, p=_shares(PLATFORMS))
    surface = rng.choice(len(SURFACES), n, p=_shares(SURFACES))
    policy = rng.choice(len(POLICIES), n, p=_shares(POLICIES))
    u = rng.random(n)
    version = (u[:, None] < _adoption(day, platform)).sum(axis=1) - 1

    # Per-batch views: the hour's traffic level is already in the row density; batches vary around a
    # surface/platform mean with a weekend lift in engagement.
    hod = hour % 24
    weekend = (hour // 24) % 7 >= 5
    mean_views = (
        np.array([s[2] for s in SURFACES])[surface]
        * np.array([p[2] for p in PLATFORMS])[platform]
        * (1.0 + 0.15 * np.sin(2 * np.pi * (hod - 10) / 24))
        * np.where(weekend, 1.08, 1.0)
    )
    views = np.maximum(np.rint(mean_views * rng.lognormal(-0.06, 0.35, n)), 1).astype(np.int64)

    report_rate = np.array([p[2] for p in POLICIES])[policy]
    precision = np.array([p[3] for p in POLICIES])[policy]
    proactive = np.array([p[4] for p in POLICIES])[policy]
    true_reports = rng.poisson(views * report_rate)
    violations = rng.binomial(true_reports, precision) + rng.poisson(views * proactive)
    reports = true_reports.copy()

    deletion_mult = np.array([c[2] for c in COUNTRIES])[country]
    access = rng.poisson(views * ACCESS_PER_VIEW)
    deletion_lam = views * DELETION_PER_VIEW * deletion_mult
    sla = rng.gamma(2.2, 4.5, n)

    country_names, platform_names = _names(COUNTRIES), _names(PLATFORMS)
    version_names = _names(VERSIONS)
    for inc in INCIDENTS:
        mask = _in_window(event_us, inc)
        for col, value in inc.culprit.items():
            if col == "country":
                mask &= country == country_names.index(value)
            elif col == "platform":
                mask &= platform == platform_names.index(value)
            elif col == "app_version":
                mask &= version == version_names.index(value)
        if not mask.any():
            continue
        if "reports" in inc.metrics and inc.factor > 1:
            reports[mask] = rng.poisson(reports[mask] * inc.factor + views[mask] * report_rate[mask] * 0.5)
        elif inc.factor < 1:
            # lost events: thin every count
            views[mask] = rng.binomial(views[mask], inc.factor)
            reports[mask] = rng.binomial(reports[mask], inc.factor)
            violations[mask] = rng.binomial(violations[mask], inc.factor)
        if "deletion_requests" in inc.metrics:
            deletion_lam[mask] *= inc.factor
            sla[mask] += DELETION_SURGE_SLA_DAYS
    actions = rng.binomial(violations, ACTION_RATE)
    deletion = rng.poisson(deletion_lam)
    has_privacy = (access + deletion) > 0
    sla_days = np.round(sla, 1)

    return pd.DataFrame(
        {
            "event_time": _timestamps(event_us),
            "country": _dictionary(country, country_names),
            "platform": _dictionary(platform, platform_names),
            "app_version": _dictionary(version, version_names),
            "surface": _dictionary(surface, _names(SURFACES)),
            "policy": _dictionary(policy, _names(POLICIES)),
            "views": views.astype(np.int64),
            "reports": reports.astype(np.int32),
            "violations": violations.astype(np.int32),
            "actions": actions.astype(np.int32),
            "access_requests": access.astype(np.int32),
            "deletion_requests": deletion.astype(np.int32),
            "sla_days": _nullable(sla_days, ~has_privacy),
            "sla_breached": _nullable(sla_days > SLA_LIMIT_DAYS, ~has_privacy),
        }
    )


def _experiment_chunk(seed: int, chunk: int, lo: int, hi: int) -> pd.DataFrame:
    rng = np.random.default_rng([seed, 2, chunk])
    n = hi - lo
    arms = EXPERIMENT["arms"]
    arm = rng.integers(0, len(arms), n)
    start_us = _micros(EXPERIMENT["assignment_start"])
    assigned_us = start_us + rng.integers(0, EXPERIMENT["assignment_days"] * 86_400, n) * 1_000_000
    country = rng.choice(len(COUNTRIES), n, p=_shares(COUNTRIES))
    platform = rng.choice(len(PLATFORMS), n, p=_shares(PLATFORMS))

    effects = EXPERIMENT["effects"]

    def lift(key: str) -> np.ndarray:
        per_arm = np.array([1.0] + [effects[a][key] for a in arms[1:]])
        return per_arm[arm]

    activity = rng.normal(0.0, 0.8, n)  # latent engagement: ties pre-period and outcome together
    pre_time = np.round(np.exp(3.2 + activity + rng.normal(0, 0.45, n)), 1)
    time_spent = np.round(np.exp(3.2 + activity + rng.normal(0, 0.45, n)) * lift("time_spent"), 1)
    sessions = rng.poisson(np.exp(1.6 + 0.7 * activity))
    # Reporting is concentrated in a few habitual reporters (heavy-tailed propensity, mean 1), the same
    # people before and during the test, and the pre-period is four times as long: so pre_reports is the
    # kind of covariate CUPED is for.
    reporter = rng.gamma(0.35, 1 / 0.35, n)
    report_rate = 0.09 * reporter * np.exp(0.5 * activity)
    pre_reports = rng.poisson(4 * report_rate)
    submitted = rng.poisson(report_rate * lift("reports"))
    actioned = rng.binomial(submitted, np.clip(_CONTROL_PRECISION * lift("precision"), 0, 1))
    crashes = rng.poisson(0.06 * np.where(platform == 0, 1.3, 0.8) * lift("crashes"))

    return pd.DataFrame(
        {
            "user_id": np.arange(lo, hi, dtype=np.int64) + 10_000_001,
            "arm": _dictionary(arm, list(arms)),
            "assigned_at": _timestamps(assigned_us),
            "country": _dictionary(country, _names(COUNTRIES)),
            "platform": _dictionary(platform, _names(PLATFORMS)),
            "pre_time_spent_min": pre_time.astype(np.float64),
            "pre_reports": pre_reports.astype(np.int32),
            "sessions": sessions.astype(np.int32),
            "time_spent_min": time_spent.astype(np.float64),
            "reported": (submitted > 0).astype(np.int32),
            "reports_submitted": submitted.astype(np.int32),
            "reports_actioned": actioned.astype(np.int32),
            "app_crashes": crashes.astype(np.int32),
        }
    )


def _write_chunks(path: Path, total: int, make_chunk, schema) -> Path:
    """Stream chunks into ``path`` atomically (a reader never sees a half-written file).

    Each chunk goes through a typed (NOT NULL) DuckDB table into a scratch Parquet part; one streaming
    ``COPY`` then joins the parts in order, one row group per chunk, so memory stays bounded at any size.
    """
    from workbench import sql
    from workbench.backend import scratch_connection

    from workbench.temp_files import clean_demo_temps

    path.parent.mkdir(parents=True, exist_ok=True)
    clean_demo_temps(path.parent, path.name)  # scratch files of an earlier write that was killed
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    parts: list[Path] = []
    con = scratch_connection(preserve_insertion_order=True, threads=2, memory_limit="256MB")
    try:
        con.execute(sql.create_table("demo", list(schema)))
        for chunk, lo in enumerate(range(0, max(total, 1), CHUNK_ROWS)):
            part = path.with_name(f".{path.name}.{os.getpid()}.part{chunk:05d}")
            parts.append(part)
            con.register("demo_chunk", make_chunk(chunk, lo, min(lo + CHUNK_ROWS, total)))
            con.execute(f"INSERT INTO {sql.ident('demo')} SELECT * FROM {sql.ident('demo_chunk')}")
            con.unregister("demo_chunk")
            if len(parts) == 1 and total <= CHUNK_ROWS:  # one chunk: write the file directly
                parts.clear()
                break
            con.execute(sql.copy_to_parquet("demo", str(part), compression="uncompressed", row_group_size=CHUNK_ROWS))
            con.execute(f"DELETE FROM {sql.ident('demo')}")
        if parts:  # read_parquet keeps the parts' REQUIRED columns non-nullable, so the copy keeps them too
            con.execute(sql.create_view("demo_parts", sql.read_files("parquet", [str(p) for p in parts])))
        con.execute(sql.copy_to_parquet("demo_parts" if parts else "demo", str(tmp), row_group_size=CHUNK_ROWS))
        os.replace(tmp, path)
    finally:
        con.close()
        for leftover in [tmp, *parts]:
            if leftover.exists():
                leftover.unlink()
    return path


def write_demo(
    out_dir: str | os.PathLike,
    rows: int = DEFAULT_ROWS,
    seed: int = DEFAULT_SEED,
    users: int = DEFAULT_USERS,
) -> DemoPaths:
    """Write the demo extract (``events.parquet``, ``experiment.parquet``) into ``out_dir``.

    Parameters
    ----------
    out_dir : folder to write to (created if missing); existing demo files are replaced.
    rows : number of event rows (batches); 50M+ streams in bounded memory.
    seed : the same seed and sizes give identical file content.
    users : number of users in the experiment table.

    Returns
    -------
    DemoPaths with the two file paths and the injected incidents.
    """
    from workbench.errors import WorkbenchError

    rows, users = int(rows), int(users)
    if rows < 1 or users < 1:
        raise WorkbenchError("rows and users must be at least 1")
    if rows > MAX_ROWS:
        raise WorkbenchError(f"--rows {rows:,} is more than the demo writes (at most {MAX_ROWS:,}, about 6 GB)")
    if users > MAX_USERS:
        raise WorkbenchError(f"--users {users:,} is more than the demo writes (at most {MAX_USERS:,})")
    out = Path(out_dir)
    bounds = _hour_boundaries(rows)
    events = _write_chunks(
        out / EVENTS_FILE, rows, lambda c, lo, hi: _events_chunk(seed, c, lo, hi, bounds), EVENTS_SCHEMA
    )
    experiment = _write_chunks(
        out / EXPERIMENT_FILE, users, lambda c, lo, hi: _experiment_chunk(seed, c, lo, hi), EXPERIMENT_SCHEMA
    )
    return DemoPaths(events=events, experiment=experiment)


def default_demo_dir() -> Path:
    """Where the GUI keeps its demo extract: the user's cache dir, or the system temp dir when the cache
    dir cannot be created or written (a read-only or missing home on a locked-down machine)."""
    import tempfile

    from platformdirs import user_cache_dir

    for base in (Path(user_cache_dir("workbench", appauthor=False)), Path(tempfile.gettempdir()) / "workbench-cache"):
        candidate = base / f"demo-v{DEMO_VERSION}"
        try:
            candidate.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK) or (candidate / EVENTS_FILE).exists():
            return candidate
    return Path(tempfile.mkdtemp(prefix="workbench-demo-"))


def ensure_demo(
    out_dir: str | os.PathLike | None = None, rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED
) -> DemoPaths:
    """The demo extract in ``out_dir`` (default: user cache), written on first use only."""
    out = Path(out_dir) if out_dir is not None else default_demo_dir()
    paths = DemoPaths(events=out / EVENTS_FILE, experiment=out / EXPERIMENT_FILE)
    if paths.events.exists() and paths.experiment.exists():
        return paths
    return write_demo(out, rows=rows, seed=seed)
