"""An in-process MCP round trip for ``workbench self-test``: the SDK is installed (or bundled) and answers a
tool call without any transport at all, so an installation that cannot serve agents is caught at install
time rather than by the first assistant that tries."""

from __future__ import annotations

import math
from pathlib import Path


def round_trip(con, catalog, table: str, audit_path: Path, expected_total: float) -> str:
    """List the tools and compute ``sum(views)`` by day on ``table`` through the server; check the total."""
    import anyio
    from mcp import Client

    from workbench.audit import AuditLog
    from workbench.mcp.server import build_server
    from workbench.mcp.session import AgentSession, agent_policy

    session = AgentSession(con, catalog, agent_policy(), AuditLog(audit_path))
    server = build_server(session)

    async def main():
        async with Client(server) as client:
            tools = await client.list_tools()
            result = await client.call_tool("metric_series", {"table": table, "measure": "sum(views)", "grain": "day"})
            return tools, result

    tools, result = anyio.run(main)
    if result.is_error:
        raise AssertionError(f"metric_series failed: {result.content[0].text}")
    values = [r["value"] for r in result.structured_content["rows"] if isinstance(r["value"], (int, float))]
    if not math.isclose(sum(values), expected_total, rel_tol=1e-9):
        raise AssertionError(f"the agent's sum(views) is {sum(values)}, the engine's {expected_total}")
    entries = [line for line in audit_path.read_text(encoding="utf-8").splitlines() if '"agent_tool_call"' in line]
    if len(entries) != 1:
        raise AssertionError(f"{len(entries)} audit entries for one tool call")
    return f"{len(tools.tools)} tools; metric_series answered in process; 1 audit entry"
