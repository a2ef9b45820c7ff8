"""What each panel contributes to a workspace: one frozen, versioned, JSON-serialisable state per panel.

A panel renders its state and reports it back (``panel.state()`` / ``panel.restore(state)`` in
``widgets/``); this module is the Qt-free half, so a script, the CLI or a test can read and write the same
states a saved workspace holds. Each state class has its own ``version`` and ``migrations``: version 0 is
the unversioned dict the app wrote before these classes existed, so old ``.wbk`` files still open.

In a workspace the states live under ``Workspace.panels`` (``{"explorer": {...}, "anomalies": {...},
"experiments": {...}, "dashboard": {...}, "window": {...}}``); :func:`read_panel_states` and
:func:`store_panel_states` map between the two.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Protocol

from workbench.errors import WorkbenchError
from workbench.metrics import MetricSpec

log = logging.getLogger(__name__)


class PanelStateError(WorkbenchError):
    """A saved panel state cannot be read (damaged, hand-edited, or from a newer Workbench)."""


class _WorkspaceLike(Protocol):
    panels: dict


def _metric_spec(value: Any, what: str) -> MetricSpec:
    try:
        return MetricSpec.from_dict(value)
    except WorkbenchError as exc:
        raise PanelStateError(f"{what} cannot be read ({exc})") from exc


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _opt_float(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise PanelStateError(f"{value!r} is not a number") from exc


@dataclass(frozen=True)
class PanelState:
    """Base of the panel states: ``to_dict`` / ``from_dict`` with the version and step-wise migrations."""

    kind: ClassVar[str] = ""
    version: ClassVar[int] = 1
    # migrations[v] turns a version-v payload into version v+1 (0: the unversioned dict of earlier releases).
    migrations: ClassVar[dict[int, Callable[[dict], dict]]] = {}

    def to_dict(self) -> dict:
        return {"version": self.version, **self._payload()}

    @classmethod
    def from_dict(cls, doc: Any):
        """The state ``to_dict`` wrote, or an older version of it (migrated step by step)."""
        if not isinstance(doc, dict):
            raise PanelStateError(f"The {cls.kind} state is a JSON object, not {type(doc).__name__}")
        doc = dict(doc)
        version = doc.pop("version", 0)
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise PanelStateError(f"The {cls.kind} state has no usable version ({version!r})")
        if version > cls.version:
            raise PanelStateError(
                f"The {cls.kind} state was saved by a newer Workbench (version {version}; this one "
                f"reads up to {cls.version})"
            )
        while version < cls.version:
            step = cls.migrations.get(version)
            if step is None:
                raise PanelStateError(f"No migration of the {cls.kind} state from version {version}")
            try:
                doc = step(doc)
            except (KeyError, TypeError, AttributeError, ValueError) as exc:
                raise PanelStateError(
                    f"The {cls.kind} state cannot be upgraded from version {version} ({exc})"
                ) from exc
            version += 1
        try:
            return cls._from_payload(doc)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise PanelStateError(f"The {cls.kind} state cannot be read ({type(exc).__name__}: {exc})") from exc

    def _payload(self) -> dict:
        raise NotImplementedError

    @classmethod
    def _from_payload(cls, doc: dict):
        raise NotImplementedError


# --- Explorer --------------------------------------------------------------------------------------------


def _explorer_v0_to_v1(doc: dict) -> dict:
    """Before versioning the Explorer state was ``{"spec", "range", "hidden", "x_range"}`` (some keys missing
    in the earliest files)."""
    return {
        "spec": doc["spec"],
        "range": doc.get("range"),
        "hidden": doc.get("hidden") or [],
        "x_range": doc.get("x_range"),
    }


@dataclass(frozen=True)
class ExplorerState(PanelState):
    """The Explorer's controls (a metric spec + the range preset's label) and its chart (hidden legend groups,
    a user zoom as ``(x0, x1)`` epoch seconds, None while the chart fits the data)."""

    kind: ClassVar[str] = "explorer"
    version: ClassVar[int] = 1
    migrations: ClassVar[dict[int, Callable[[dict], dict]]] = {0: _explorer_v0_to_v1}

    spec: MetricSpec
    range: str | None = None
    hidden: tuple[str, ...] = ()
    x_range: tuple[float, float] | None = None

    def __post_init__(self):
        object.__setattr__(self, "hidden", tuple(str(h) for h in self.hidden))
        if self.x_range is not None:
            x = tuple(float(v) for v in self.x_range)
            object.__setattr__(self, "x_range", x if len(x) == 2 else None)

    @property
    def is_custom_range(self) -> bool:
        """A fixed [start, end) the user picked, rather than a preset such as "Last 7 days"."""
        return self.spec.start is not None and self.spec.end is not None and self.range in (None, "", "Custom range")

    def key(self) -> str:
        """A canonical text of what the Explorer computes (spec + range), for undo dedup and dirty checks."""
        return json.dumps({"spec": self.spec.to_dict(), "range": self.range}, sort_keys=True, default=str)

    def chart(self) -> dict:
        """The chart part, as a saved view stores it."""
        return {
            "range": self.range,
            "hidden": list(self.hidden),
            "x_range": list(self.x_range) if self.x_range else None,
        }

    @classmethod
    def from_view(cls, spec: dict, chart: dict) -> ExplorerState:
        """A saved view (``SavedView.spec`` + ``SavedView.chart``) as an Explorer state."""
        return cls.from_dict({"spec": spec, **(chart or {})})

    def _payload(self) -> dict:
        return {"spec": self.spec.to_dict(), **self.chart()}

    @classmethod
    def _from_payload(cls, doc: dict) -> ExplorerState:
        return cls(
            spec=_metric_spec(doc["spec"], "The Explorer's view"),
            range=doc.get("range") or None,
            hidden=tuple(doc.get("hidden") or ()),
            x_range=doc.get("x_range") or None,
        )


# --- Anomalies -------------------------------------------------------------------------------------------


def _anomalies_v0_to_v1(doc: dict) -> dict:
    """Before versioning: the rule ``{"name": "Anomalies panel", "detector": DetectorParams.to_dict(),
    "grain", "metric"}`` in ``Workspace.anomaly_rules``."""
    det = doc.get("detector") or {}
    return {
        "method": det.get("method") or "",
        "direction": det.get("direction") or "",
        "threshold": det.get("threshold"),
        "min_volume": det.get("min_volume") or 0.0,
        "grain": doc.get("grain") or "",
        "metric": doc.get("metric"),
    }


@dataclass(frozen=True)
class AnomaliesState(PanelState):
    """The Anomalies panel's detector settings and the metric/grain it showed. Empty texts mean "keep the
    panel's default". The annotations are workspace content (``Workspace.annotations``), not panel state."""

    kind: ClassVar[str] = "anomalies"
    version: ClassVar[int] = 1
    migrations: ClassVar[dict[int, Callable[[dict], dict]]] = {0: _anomalies_v0_to_v1}

    method: str = ""
    direction: str = ""
    threshold: float | None = None
    min_volume: float = 0.0
    grain: str = ""
    metric: MetricSpec | None = None

    def _payload(self) -> dict:
        return {
            "method": self.method,
            "direction": self.direction,
            "threshold": self.threshold,
            "min_volume": self.min_volume,
            "grain": self.grain,
            "metric": self.metric.to_dict() if self.metric is not None else None,
        }

    @classmethod
    def _from_payload(cls, doc: dict) -> AnomaliesState:
        metric = doc.get("metric")
        return cls(
            method=_text(doc.get("method")),
            direction=_text(doc.get("direction")),
            threshold=_opt_float(doc.get("threshold")),
            min_volume=_opt_float(doc.get("min_volume")) or 0.0,
            grain=_text(doc.get("grain")),
            metric=_metric_spec(metric, "The Anomalies panel's metric") if metric else None,
        )


# --- Experiments -----------------------------------------------------------------------------------------


def _experiments_v0_to_v1(doc: dict) -> dict:
    """Before versioning: the form as ``{"name": "Experiments panel", table, unit, ...}`` in
    ``Workspace.experiments``."""
    return {key: val for key, val in doc.items() if key != "name"}


@dataclass(frozen=True)
class ExperimentsState(PanelState):
    """The Experiments panel's form: table, unit, arm and control, the metrics as ``parse_metric`` texts,
    segment, time column, multiple-testing correction and the sequential tuning. Empty texts: not chosen."""

    kind: ClassVar[str] = "experiments"
    version: ClassVar[int] = 1
    migrations: ClassVar[dict[int, Callable[[dict], dict]]] = {0: _experiments_v0_to_v1}

    table: str
    unit: str = ""
    arm: str = ""
    control: str = ""
    metrics: tuple[str, ...] = ()
    segment: str = ""
    time_column: str = ""
    correction: str = ""
    sequential_tuning: float | None = None

    def __post_init__(self):
        object.__setattr__(self, "metrics", tuple(str(m) for m in self.metrics))

    def _payload(self) -> dict:
        return {
            "table": self.table,
            "unit": self.unit,
            "arm": self.arm,
            "control": self.control,
            "metrics": list(self.metrics),
            "segment": self.segment,
            "time_column": self.time_column,
            "correction": self.correction,
            "sequential_tuning": self.sequential_tuning,
        }

    @classmethod
    def _from_payload(cls, doc: dict) -> ExperimentsState:
        table = _text(doc.get("table"))
        if not table:
            raise PanelStateError("The Experiments panel's state names no table")
        return cls(
            table=table,
            unit=_text(doc.get("unit")),
            arm=_text(doc.get("arm")),
            control=_text(doc.get("control")),
            metrics=tuple(doc.get("metrics") or ()),
            segment=_text(doc.get("segment")),
            time_column=_text(doc.get("time_column")),
            correction=_text(doc.get("correction")),
            sequential_tuning=_opt_float(doc.get("sequential_tuning")),
        )


# --- Dashboard -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardState(PanelState):
    """The Dashboard tab: its metrics file, the board shown (and ``board_def``, its tiles as arranged, saved
    to the file or not), the bar's range / grain / comparison / filter texts, cross-filters as (column,
    value) pairs and the alert rules file."""

    kind: ClassVar[str] = "dashboard"
    version: ClassVar[int] = 1
    migrations: ClassVar[dict[int, Callable[[dict], dict]]] = {0: lambda doc: dict(doc)}

    metrics_path: str
    board: str | None = None
    range: str = ""
    grain: str = ""
    compare: str = ""
    filters: str = ""
    cross_filters: tuple[tuple[str, Any], ...] = ()
    rules_path: str | None = None
    board_def: dict | None = None

    def __post_init__(self):
        object.__setattr__(self, "cross_filters", tuple((str(c), v) for c, v in self.cross_filters))

    def _payload(self) -> dict:
        return {
            "metrics_path": self.metrics_path,
            "board": self.board,
            "range": self.range,
            "grain": self.grain,
            "compare": self.compare,
            "filters": self.filters,
            "cross_filters": [[c, v] for c, v in self.cross_filters],
            "rules_path": self.rules_path,
            "board_def": self.board_def,
        }

    @classmethod
    def _from_payload(cls, doc: dict) -> DashboardState:
        path = _text(doc.get("metrics_path"))
        if not path:
            raise PanelStateError("The Dashboard's state names no metrics file")
        board_def = doc.get("board_def")
        if board_def is not None and not isinstance(board_def, dict):
            raise PanelStateError("The Dashboard's saved board is not a JSON object")
        return cls(
            metrics_path=path,
            board=doc.get("board") or None,
            range=_text(doc.get("range")),
            grain=_text(doc.get("grain")),
            compare=_text(doc.get("compare")),
            filters=_text(doc.get("filters")),
            cross_filters=tuple((c, v) for c, v in doc.get("cross_filters") or ()),
            rules_path=doc.get("rules_path") or None,
            board_def=board_def,
        )


# --- the window ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowState(PanelState):
    """Window-level state of a workspace: the tab that was in front."""

    kind: ClassVar[str] = "window"
    version: ClassVar[int] = 1
    migrations: ClassVar[dict[int, Callable[[dict], dict]]] = {0: lambda doc: dict(doc)}

    current_tab: str = ""

    def _payload(self) -> dict:
        return {"current_tab": self.current_tab}

    @classmethod
    def _from_payload(cls, doc: dict) -> WindowState:
        return cls(current_tab=_text(doc.get("current_tab")))


# --- in a workspace --------------------------------------------------------------------------------------

STATE_TYPES: dict[str, type[PanelState]] = {
    t.kind: t for t in (ExplorerState, AnomaliesState, ExperimentsState, DashboardState, WindowState)
}


@dataclass(frozen=True)
class PanelStates:
    """The panels' states of one workspace (None: that panel saved nothing). ``problems`` lists the saved
    states that could not be read (each message names the panel)."""

    explorer: ExplorerState | None = None
    anomalies: AnomaliesState | None = None
    experiments: ExperimentsState | None = None
    dashboard: DashboardState | None = None
    window: WindowState | None = None
    problems: tuple[str, ...] = field(default=(), compare=False)


def read_panel_states(ws: _WorkspaceLike) -> PanelStates:
    """The states saved in ``ws.panels``; an unreadable one is left out and described in ``problems`` (one
    damaged panel must not stop the rest of the workspace from opening)."""
    found: dict[str, Any] = {}
    problems = []
    for kind, state_type in STATE_TYPES.items():
        doc = (ws.panels or {}).get(kind)
        if doc is None:
            continue
        try:
            found[kind] = state_type.from_dict(doc)
        except PanelStateError as exc:
            log.warning("Panel state %s not restored: %s", kind, exc)
            problems.append(str(exc))
    return PanelStates(**found, problems=tuple(problems))


def store_panel_states(ws: _WorkspaceLike, states: PanelStates) -> None:
    """Write the given states into ``ws.panels``; a None state keeps what the workspace holds (a panel that
    has nothing to say now does not erase what was saved)."""
    panels = dict(ws.panels or {})
    for f in dataclasses.fields(states):
        value = getattr(states, f.name)
        if isinstance(value, PanelState):
            panels[value.kind] = value.to_dict()
    ws.panels = panels


# --- workspace format 2 -> 3 -----------------------------------------------------------------------------

ANOMALIES_RULE = "Anomalies panel"
EXPERIMENTS_ENTRY = "Experiments panel"


def panels_from_v2(doc: dict) -> dict:
    """Workspace format 2 kept the panels' unversioned dicts in four places: ``settings.explorer``,
    ``settings.current_tab``, the "Anomalies panel" rule of ``anomaly_rules`` and the "Experiments panel"
    entry of ``experiments``. Move them (as version-0 states) under ``panels``; ``doc`` is modified."""
    panels = dict(doc.get("panels") or {})
    settings = doc.get("settings")
    if isinstance(settings, dict):
        if isinstance(settings.get("explorer"), dict):
            panels.setdefault("explorer", settings.pop("explorer"))
        if settings.get("current_tab"):
            panels.setdefault("window", {"current_tab": settings.pop("current_tab")})
    rules = doc.get("anomaly_rules")
    if isinstance(rules, list):
        rule = next((r for r in rules if isinstance(r, dict) and r.get("name") == ANOMALIES_RULE), None)
        if rule is not None:
            panels.setdefault("anomalies", rule)
            doc["anomaly_rules"] = [r for r in rules if r is not rule]
    experiments = doc.get("experiments")
    if isinstance(experiments, list):
        entry = next((e for e in experiments if isinstance(e, dict) and e.get("name") == EXPERIMENTS_ENTRY), None)
        if entry is not None:
            panels.setdefault("experiments", entry)
            doc["experiments"] = [e for e in experiments if e is not entry]
    for kind, state in panels.items():
        if isinstance(state, dict) and "version" not in state:
            panels[kind] = {"version": 0, **state}  # say so explicitly: from_dict migrates it on reading
    doc["panels"] = panels
    return doc
