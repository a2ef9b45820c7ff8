"""Board templates that map themselves onto a user's columns.

A template names *roles* (the column holding views, violations, the country...) and defines metrics and a
board in terms of them. :func:`guess_mapping` proposes a column for each role from the table's column names
(the wizard shows it for the user to correct); :func:`build_template` turns a template and a mapping into
a :class:`MetricsFile`. Metrics whose roles are not mapped are left out, and so are their tiles.
"""

from __future__ import annotations

import re
from typing import cast
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import SpecError
from workbench.metrics_layer.model import DashboardDef, MetricDef, MetricsFile, TileDef


@dataclass(frozen=True)
class Role:
    name: str
    label: str
    hints: tuple[str, ...]  # name fragments that suggest the column
    kind: str = "numeric"  # numeric | dimension | time


@dataclass(frozen=True)
class MetricTemplate:
    name: str
    label: str
    measure: str  # with {role} placeholders
    format: str = "number"
    good: str = "up"
    scale: float = 1.0
    description: str = ""


@dataclass(frozen=True)
class BoardTemplate:
    name: str
    description: str
    roles: tuple[Role, ...]
    metrics: tuple[MetricTemplate, ...]
    tiles: tuple[dict, ...]  # {kind: metric name, by: role, ...}


TRUST_AND_SAFETY = BoardTemplate(
    "Trust & safety",
    "Violation rate, reports per 1k views, enforcement and where they come from.",
    (
        Role("time", "Event time", ("event_time", "time", "ts", "date"), "time"),
        Role("views", "Views (exposure)", ("views", "impressions", "exposures")),
        Role("violations", "Violating views or items", ("violations", "violating", "bad")),
        Role("reports", "User reports", ("reports", "flags", "complaints")),
        Role("actions", "Enforcement actions", ("actions", "removals", "enforcements", "takedowns")),
        Role("country", "Country or region", ("country", "region", "market"), "dimension"),
        Role("platform", "Platform or surface", ("platform", "surface", "os", "client"), "dimension"),
    ),
    (
        MetricTemplate(
            "violation_rate",
            "Violations per 1k views",
            "ratio({violations}, {views})",
            good="down",
            scale=1000,
            description="Share of viewed content found violating.",
        ),
        MetricTemplate("reports_per_1k", "Reports per 1k views", "ratio({reports}, {views})", good="down", scale=1000),
        MetricTemplate("actions", "Enforcement actions", "sum({actions})", good="none"),
        MetricTemplate("views", "Views", "sum({views})", good="up"),
    ),
    (
        {"kpi": "violation_rate"},
        {"kpi": "reports_per_1k"},
        {"kpi": "actions"},
        {"kpi": "views"},
        {"chart": "violation_rate", "by": "country", "top": 5, "width": 2},
        {"leaderboard": "violation_rate", "by": "country", "limit": 10, "width": 2},
        {"pivot": "reports_per_1k", "rows": "country", "columns": "platform", "width": 4},
    ),
)

PRIVACY_AND_COMPLIANCE = BoardTemplate(
    "Privacy & compliance",
    "DSAR volume and SLA breaches, deletion latency, findings opened / remediated / aging, review coverage.",
    (
        Role("time", "Event time", ("event_time", "time", "ts", "date", "opened_at", "created"), "time"),
        Role("dsar", "Data subject requests (count per row)", ("access_requests", "dsar", "requests")),
        Role("sla_breached", "SLA breached (0/1 or true/false)", ("sla_breached", "breach", "overdue")),
        Role("deletion_days", "Days to complete a deletion", ("sla_days", "deletion_days", "latency", "days_to")),
        Role("deletions", "Deletion requests", ("deletion_requests", "deletions", "erasure")),
        Role("findings_opened", "Findings opened", ("findings_opened", "opened", "findings")),
        Role("findings_remediated", "Findings remediated", ("remediated", "closed", "fixed", "resolved")),
        Role("finding_age", "Age of open findings (days)", ("age", "aging", "days_open")),
        Role("reviewed", "Items reviewed", ("reviewed", "reviews")),
        Role("reviewable", "Items that need review", ("reviewable", "in_scope", "population", "items")),
        Role("country", "Country or jurisdiction", ("country", "jurisdiction", "region"), "dimension"),
    ),
    (
        MetricTemplate("dsar_volume", "DSAR volume", "sum({dsar})", good="none"),
        MetricTemplate("sla_breach_rate", "SLA breaches", "mean({sla_breached})", format="percent", good="down"),
        MetricTemplate(
            "deletion_latency", "Deletion latency", "p90({deletion_days})", format="duration_days", good="down"
        ),
        MetricTemplate("deletions", "Deletion requests", "sum({deletions})", good="none"),
        MetricTemplate("findings_opened", "Findings opened", "sum({findings_opened})", good="down"),
        MetricTemplate("findings_remediated", "Findings remediated", "sum({findings_remediated})", good="up"),
        MetricTemplate(
            "finding_age", "Findings aging (mean days open)", "mean({finding_age})", format="duration_days", good="down"
        ),
        MetricTemplate(
            "review_coverage", "Review coverage", "ratio({reviewed}, {reviewable})", format="percent", good="up"
        ),
    ),
    (
        {"kpi": "dsar_volume"},
        {"kpi": "sla_breach_rate"},
        {"kpi": "deletion_latency"},
        {"kpi": "findings_opened"},
        {"kpi": "findings_remediated"},
        {"kpi": "finding_age"},
        {"kpi": "review_coverage"},
        {"chart": "dsar_volume", "by": "country", "top": 5, "width": 2},
        {"leaderboard": "sla_breach_rate", "by": "country", "limit": 10, "width": 2},
    ),
)

TEMPLATES = {t.name: t for t in (TRUST_AND_SAFETY, PRIVACY_AND_COMPLIANCE)}


def _tokens(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower())


def guess_mapping(template: BoardTemplate, columns: dict[str, str]) -> dict[str, str | None]:
    """A column per role from ``columns`` ({name: kind}, kind numeric | dimension | time): exact names first,
    then names containing a hint; each column used once."""
    used: set[str] = set()
    mapping: dict[str, str | None] = {}
    for role in template.roles:
        fitting = [c for c, kind in columns.items() if kind == role.kind and c not in used]
        choice = None
        for hint in role.hints:
            choice = next((c for c in fitting if _tokens(c) == hint), None) or next(
                (c for c in fitting if hint in _tokens(c)), None
            )
            if choice:
                break
        mapping[role.name] = choice
        if choice:
            used.add(choice)
    return mapping


def build_template(
    template: BoardTemplate,
    mapping: dict[str, str | None],
    *,
    source: str,
    path: str | Path,
    range_last: str = "28 days",
    grain: str = "day",
) -> MetricsFile:
    """The metrics file a template makes on ``source`` with ``mapping`` (role -> column or None)."""
    from workbench.metrics_layer.parse import parse_span

    def quoted(column: str) -> str:
        return column if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", column) else '"' + column.replace('"', '""') + '"'

    metrics: dict[str, MetricDef] = {}
    for mt in template.metrics:
        roles = re.findall(r"\{(\w+)\}", mt.measure)
        if not all(mapping.get(r) for r in roles):
            continue
        # Every role is mapped (checked just above).
        measure = mt.measure.format(**{r: quoted(cast(str, mapping[r])) for r in roles})
        metrics[mt.name] = MetricDef(
            name=mt.name,
            source=source,
            measure_text=measure,
            time=mapping.get("time"),
            label=mt.label,
            scale=mt.scale,
            format=mt.format,
            good=mt.good,
            description=mt.description,
        )
    if not metrics:
        raise SpecError(f"None of the {template.name} metrics can be built: map at least one measure column")
    tiles = []
    for spec in template.tiles:
        kind = next(k for k in ("kpi", "chart", "leaderboard", "pivot") if k in spec)
        if spec[kind] not in metrics:
            continue
        dims = {key: mapping.get(spec[key]) for key in ("by", "rows", "columns") if key in spec}
        if any(v is None for v in dims.values()):
            continue
        tiles.append(
            TileDef(
                type=kind,
                metric=spec[kind],
                by=dims.get("by"),
                rows=dims.get("rows"),
                columns=dims.get("columns"),
                top=spec.get("top", 5),
                limit=spec.get("limit", 10),
                width=spec.get("width", 1),
            )
        )
    board = DashboardDef(
        name=template.name,
        last=parse_span(range_last),
        last_text=range_last,
        compare="previous period",
        grain=grain,
        tiles=tuple(tiles),
    )
    return MetricsFile(Path(path), metrics, (board,))
