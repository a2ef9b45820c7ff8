"""The analysis model: one frozen, versioned, JSON-serialisable recipe per kind, each with ``run``.

An :class:`Analysis` says *what* to compute (a metric view, a leaderboard, an anomaly detection, ...) in plain
data; ``run(cursor)`` computes it on DuckDB and returns an :class:`AnalysisResult` — the tables, the SQL it ran
and notes — plus the domain object the screen draws (``value``). The Explorer, exports, evidence reports and
their replay scripts all call ``run`` on the same recipe, so what is on screen and what a report recomputes
cannot drift apart.

``to_dict()`` / ``from_dict()`` (and ``to_json()`` / ``from_json()`` for text) carry ``kind`` and ``version``.
A recipe without ``version`` is version 1 (the recipes reports embedded before versions existed); a newer
version than this code knows is refused with a clear message; older versions go through the kind's
``migrations``.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping

import pandas as pd

from workbench import safe_json
from workbench.errors import SourceError, SpecError

if TYPE_CHECKING:
    from workbench.backend import Cursor

_KINDS: dict[str, type["Analysis"]] = {}
# Modules that define the built-in kinds; a new kind adds its module here.
KIND_MODULES = ("metric", "profile", "anomalies", "readout", "sql_query", "impact", "reconcile", "checks", "dashboard")


@dataclass(frozen=True)
class AnalysisResult:
    """What an analysis computed.

    Attributes
    ----------
    analysis : the recipe that produced it (a stale result is recognisable by comparing recipes).
    tables : named DataFrames, in display order (what exports write and replays compare).
    sql : every query it ran, in order ("View SQL").
    notes : short sentences a reader needs (e.g. how a relative range was resolved).
    value : the domain object behind the tables (MetricResult, Leaderboard, ColumnProfile, AnomalyRun,
        Readout, ...) for the screen to draw.
    """

    analysis: "Analysis"
    tables: Mapping[str, pd.DataFrame]
    sql: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    value: Any = field(default=None, compare=False)

    def table(self, name: str | None = None) -> pd.DataFrame:
        """One table by name; without a name, the first."""
        if name is None:
            return next(iter(self.tables.values()))
        try:
            return self.tables[name]
        except KeyError:
            raise SpecError(f"{self.analysis.kind} has no table {name!r} (tables: {', '.join(self.tables)})") from None


class Analysis:
    """Base of the analysis kinds (each a frozen dataclass registered with :func:`register`).

    Subclasses set ``kind`` and ``version``, implement ``run``, ``_payload`` (the JSON fields besides
    kind/version) and ``_from_payload``; ``migrations`` maps an old version to a function that upgrades its
    payload by one version.
    """

    kind: ClassVar[str] = ""
    version: ClassVar[int] = 1
    migrations: ClassVar[Mapping[int, Callable[[dict], dict]]] = {}
    # True when a report shows one table per part (replays compare {part: table}); False: a single table.
    multi_table: ClassVar[bool] = False

    def run(self, con: "Cursor", catalog=None) -> AnalysisResult:
        """Compute the analysis on a DuckDB cursor (or connection) whose catalog has the sources open.

        ``catalog`` (a :class:`workbench.catalog.Catalog`, optional) lets a missing table be reported by name
        before any query runs.
        """
        raise NotImplementedError

    # ---------------------------------------------------------------- JSON
    def to_dict(self) -> dict:
        return {"kind": self.kind, "version": self.version, **self._payload()}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, d: Mapping) -> "Analysis":
        """The analysis a dict describes; on the base class, any registered kind."""
        if not isinstance(d, Mapping):
            raise SpecError(f"An analysis recipe must be a JSON object, not {type(d).__name__}")
        kind = d.get("kind")
        if cls is Analysis:
            _load_kinds()
        target = _KINDS.get(str(kind)) if cls is Analysis else cls
        if target is None:
            raise SpecError(f"Unknown analysis kind {kind!r} (known: {', '.join(sorted(_KINDS))})")
        if kind != target.kind:
            raise SpecError(f"Expected a {target.kind!r} analysis, got {kind!r}")
        version = d.get("version", 1)
        if not isinstance(version, int) or version < 1:
            raise SpecError(f"{kind} analysis: bad version {version!r}")
        if version > target.version:
            raise SpecError(
                f"This {kind} analysis was saved by a newer Workbench (version {version}; this one "
                f"reads up to {target.version}): update Workbench to open it"
            )
        payload = {k: v for k, v in d.items() if k not in ("kind", "version")}
        for v in range(version, target.version):
            payload = target.migrations[v](payload)
        try:
            return target._from_payload(payload)
        except (KeyError, TypeError, ValueError) as exc:
            raise SpecError(f"{kind} analysis: malformed recipe ({type(exc).__name__}: {exc})") from exc

    @classmethod
    def from_json(cls, text: str) -> "Analysis":
        try:
            d = safe_json.loads(text, "An analysis recipe")  # refuses '[' * 100000 instead of RecursionError
        except json.JSONDecodeError as exc:
            raise SpecError(f"An analysis recipe is not valid JSON: {exc}") from exc
        return cls.from_dict(d)

    def _payload(self) -> dict:
        raise NotImplementedError

    @classmethod
    def _from_payload(cls, d: dict) -> "Analysis":
        raise NotImplementedError

    def replace(self, **changes) -> "Analysis":
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


def register(cls: type[Analysis]) -> type[Analysis]:
    """Class decorator: make ``cls`` known to :meth:`Analysis.from_dict` under its ``kind``."""
    if not cls.kind or cls.kind in _KINDS:
        raise ValueError(f"analysis kind {cls.kind!r} is empty or registered twice")
    _KINDS[cls.kind] = cls
    return cls


def kinds() -> dict[str, type[Analysis]]:
    """Every registered kind, by name."""
    _load_kinds()
    return dict(_KINDS)


def _load_kinds() -> None:
    import importlib

    for name in KIND_MODULES:
        importlib.import_module(f"workbench.analysis.{name}")


def require_tables(catalog, *tables: str) -> None:
    """With a catalog, say which table is not open (rather than a binder error from the query)."""
    if catalog is None:
        return
    for table in tables:
        if table not in catalog:
            raise SourceError(f"No open table named {table!r}: open its extract first")


def decimals_to_float(df: pd.DataFrame) -> pd.DataFrame:
    """DuckDB DECIMAL results arrive as Python Decimal objects: make those columns float64."""
    import decimal

    out = df
    for c in df.columns:
        if pd.api.types.is_object_dtype(df[c]) or pd.api.types.is_string_dtype(df[c]):
            first = next((v for v in df[c] if v is not None and v == v), None)
            if isinstance(first, decimal.Decimal):
                if out is df:
                    out = df.copy()
                out[c] = pd.to_numeric(df[c].map(lambda v: None if v is None else float(v)), errors="coerce")
    return out


def iso(value) -> str:
    return pd.Timestamp(value).isoformat()
