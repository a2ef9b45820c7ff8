"""The MCP server: Workbench's guarded analyses as tools for a local assistant, over stdio only.

Only the SDK's stdio transport is used (no HTTP server, no socket): the assistant starts ``workbench mcp``
as a child process and speaks JSON-RPC on its stdin/stdout. While serving, the SDK points file descriptor 1
at stderr, so a stray print cannot corrupt the protocol.

Every tool call runs on a worker thread (one DuckDB cursor per call; one call at a time, so the audit log
records calls in the order they ran) and ends as a result or as a tool error (``isError``) with a message
the model can act on — never as a crashed server.
"""

from __future__ import annotations

import json
import logging
import sys

from workbench.errors import QueryCancelled, WorkbenchError

log = logging.getLogger("workbench.mcp")

INSTRUCTIONS = (
    "Workbench answers questions about local data extracts with guarded aggregates. Start with list_sources to "
    "see the tables and columns. Prefer metric_series, leaderboard, detect_anomalies, explain_incident, "
    "experiment_readout and policy_impact; use run_sql for anything else, aggregating with GROUP BY. Cells of "
    "fewer than k rows come back as '<k', personal-data columns as masked tokens, and every call is recorded "
    "in the audit log as made by an agent."
)


def build_server(session):
    """The SDK's low-level server wired to ``session``'s tools and resources."""
    import anyio
    import mcp_types as types
    from mcp.server.lowlevel import Server

    from workbench.mcp import resources as res
    from workbench.mcp.tools import tools_for
    from workbench.version import version_string

    tools = tools_for(session)

    async def on_list_tools(ctx, params) -> types.ListToolsResult:
        return types.ListToolsResult(
            tools=[
                types.Tool(
                    name=t.name,
                    title=t.title,
                    description=t.description,
                    input_schema=t.schema,
                    annotations=types.ToolAnnotations(
                        title=t.title,
                        read_only_hint=True,
                        destructive_hint=False,
                        idempotent_hint=True,
                        open_world_hint=False,
                    ),
                )
                for t in tools.values()
            ]
        )

    async def on_call_tool(ctx, params: types.CallToolRequestParams) -> types.CallToolResult:
        arguments = dict(params.arguments or {})
        doc, error = await anyio.to_thread.run_sync(lambda: call_tool(session, tools, params.name, arguments))
        text = json.dumps(doc if error is None else {"error": error}, ensure_ascii=False, default=str)
        if error is not None:
            return types.CallToolResult(content=[types.TextContent(text=error)], is_error=True)
        return types.CallToolResult(content=[types.TextContent(text=text)], structured_content=doc)

    async def on_list_resources(ctx, params) -> types.ListResourcesResult:
        return types.ListResourcesResult(
            resources=[
                types.Resource(uri=r.uri, name=r.name, description=r.description, mime_type="application/json")
                for r in res.list_resources(session)
            ]
        )

    async def on_read_resource(ctx, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        from mcp.shared.exceptions import MCPError
        from mcp_types.jsonrpc import INVALID_PARAMS

        uri = str(params.uri)
        try:
            doc = await anyio.to_thread.run_sync(lambda: read_resource(session, uri))
        except WorkbenchError as exc:  # an unknown URI: a clear protocol error, not "Internal server error"
            raise MCPError(INVALID_PARAMS, str(exc)) from None
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, text=res.resource_text(doc), mime_type="application/json")]
        )

    return Server(
        "workbench",
        version=version_string(),
        title="Workbench",
        instructions=INSTRUCTIONS,
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
        on_list_resources=on_list_resources,
        on_read_resource=on_read_resource,
    )


def call_tool(session, tools: dict, name: str, arguments: dict) -> tuple[dict | None, str | None]:
    """Run one tool call through the guards: (document, None) when released, (None, message) when not.

    Every call — released, refused or failed — leaves one audit entry; a result whose entry cannot be
    written is not released.
    """
    from workbench.audit import AuditError
    from workbench.mcp.guards import record_call, record_release

    with session.lock:
        released, error = None, None
        tool = tools.get(name)
        try:
            if tool is None:
                raise WorkbenchError(f"Unknown tool {name!r} (tools: {', '.join(tools)})")
            validate_arguments(tool.schema, arguments)
            with session.deadline() as deadline:
                try:
                    released = tool.handler(session, arguments)
                except QueryCancelled:
                    if not deadline.fired:
                        raise
                    raise QueryCancelled(
                        f"{name} was stopped after {session.timeout:g} s (the server's time limit): ask for less — "
                        "a shorter start/end range, fewer dimensions or series, or an aggregate"
                    ) from None
            warnings = record_release(session, released)
            if warnings:
                released.doc["warnings"] = warnings
        except WorkbenchError as exc:
            error = str(exc)
        except Exception as exc:  # a bug must cost one call, never the server
            log.exception("tool %s failed", name)
            error = f"Internal error in {name}: {type(exc).__name__}: {exc}"
        try:
            record_call(session, name, arguments, released if error is None else None, error)
        except AuditError as exc:
            return None, f"The result was not released: {exc}"
        if error is not None or released is None:
            return None, error
        return released.doc, None


def read_resource(session, uri: str) -> dict:
    """A resource document; the read is audited like a tool call. Unknown URIs raise (a protocol error)."""
    from workbench.mcp.guards import Released, record_call
    from workbench.mcp.resources import read_resource as read

    with session.lock:
        try:
            doc = read(session, uri)
        except WorkbenchError as exc:
            record_call(session, "read_resource", {"uri": uri}, None, str(exc))
            raise
        record_call(session, "read_resource", {"uri": uri}, Released(doc, 0, protection=session.policy.statement()))
        return doc


def validate_arguments(schema: dict, arguments: dict) -> None:
    """Check ``arguments`` against the tool's schema, with a message that names the argument."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(arguments), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.path)
        raise WorkbenchError(f"Invalid argument {where}: {e.message}" if where else f"Invalid arguments: {e.message}")


def serve(session) -> int:
    """Serve ``session`` over stdin/stdout until the client closes the connection."""
    import anyio
    from mcp.server.stdio import stdio_server

    server = build_server(session)

    async def main() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    from workbench import netguard

    try:
        anyio.run(main)
    except KeyboardInterrupt:
        pass
    finally:
        guard = "on" if netguard.is_installed() else "OFF"
        blocked = netguard.blocked_attempts()
        print(
            f"workbench: mcp server stopped (network guard {guard}; {len(blocked)} connection attempt(s) refused)",
            file=sys.stderr,
        )
    return 0
