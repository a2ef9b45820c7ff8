"""Read-only resources: the defined metrics and dashboards of the metrics file, the open workspace's saved
views and saved report results, and the protection in force. Each is a small JSON document; none holds data
rows (computing goes through the tools, so it passes the guards).

URIs: ``workbench://policy``, ``workbench://metrics/NAME``, ``workbench://dashboards/NAME``,
``workbench://views/NAME``, ``workbench://results/NAME`` (NAME percent-encoded).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote, unquote

from workbench.errors import WorkbenchError

SCHEME = "workbench://"


class ResourceNotFound(WorkbenchError):
    """A resource URI that names nothing in the open workspace."""


@dataclass(frozen=True)
class AgentResource:
    uri: str
    name: str
    description: str


def list_resources(session) -> list[AgentResource]:
    out = [
        AgentResource(
            f"{SCHEME}policy",
            "protection policy",
            "The protection applied to every result: small-cell rule, masking, row cap.",
        )
    ]
    mf = session.metrics_file
    if mf is not None:
        for m in mf.metrics.values():
            out.append(
                AgentResource(
                    f"{SCHEME}metrics/{quote(m.name, safe='')}",
                    f"metric: {m.name}",
                    m.description or m.label or "A defined metric of the metrics file.",
                )
            )
        for b in mf.dashboards:
            out.append(
                AgentResource(
                    f"{SCHEME}dashboards/{quote(b.name, safe='')}",
                    f"dashboard: {b.name}",
                    f"A dashboard of {len(b.tiles)} tiles: its definition (render_dashboard computes it).",
                )
            )
    ws = session.workspace
    if ws is None:
        return out
    for view in ws.views:
        out.append(
            AgentResource(
                f"{SCHEME}views/{quote(view.name, safe='')}",
                f"saved view: {view.name}",
                view.description or "A saved Explorer view (a defined metric): its recipe.",
            )
        )
    if session.read_only_metrics:
        return out
    for result in ws.saved_results:
        name = str(result.get("name", ""))
        out.append(
            AgentResource(
                f"{SCHEME}results/{quote(name, safe='')}",
                f"saved result: {name}",
                str(
                    result.get("description")
                    or f"A saved {result.get('kind', '')} result for the evidence report: its recipe."
                ),
            )
        )
    return out


def read_resource(session, uri: str) -> dict:
    """The JSON document behind ``uri``."""
    if uri == f"{SCHEME}policy":
        return {
            "protection": session.policy.statement(),
            "mode": session.policy.mode,
            "k": session.policy.k,
            "personal_data_masked": session.policy.mask_pii,
            "row_cap": session.row_cap,
            "read_only_metrics": session.read_only_metrics,
            "masked_columns": {s.name: session.masked(s.name) for s in session.catalog.sources},
        }
    ws = session.workspace
    kind, _, name = uri.removeprefix(SCHEME).partition("/")
    name = unquote(name)
    mf = session.metrics_file
    if mf is not None and uri.startswith(SCHEME) and kind == "metrics" and name in mf.metrics:
        return {"metric": name, "definition": mf.metrics[name].to_dict(), "metrics_file": str(mf.path)}
    if mf is not None and uri.startswith(SCHEME) and kind == "dashboards":
        for b in mf.dashboards:
            if b.name == name:
                return {"dashboard": name, "definition": b.to_dict(), "metrics_file": str(mf.path)}
    if ws is not None and uri.startswith(SCHEME) and kind == "views":
        for view in ws.views:
            if view.name == name:
                return {
                    "view": view.name,
                    "description": view.description,
                    "created": view.created,
                    "recipe": {"kind": "metric", "spec": view.spec},
                }
    if ws is not None and uri.startswith(SCHEME) and kind == "results" and not session.read_only_metrics:
        for result in ws.saved_results:
            if str(result.get("name")) == name:
                return {
                    "result": name,
                    "kind": result.get("kind"),
                    "description": result.get("description"),
                    "created": result.get("created"),
                    "recipe": result.get("recipe"),
                }
    raise ResourceNotFound(f"No resource {uri!r} in the open workspace (list the resources to see what exists)")


def resource_text(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=1, default=str)
