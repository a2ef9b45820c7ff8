"""An MCP server over Workbench's guarded analyses (``workbench mcp``), for a local AI assistant.

* :mod:`workbench.mcp.session` — the opened sources, the protection policy, the audit log and the limits;
* :mod:`workbench.mcp.tools` (+ ``tools_explore``, ``tools_analyses``, ``schemas``) — each tool a thin wrapper
  over an analysis recipe of :mod:`workbench.analysis`, protected as the command line protects it;
* :mod:`workbench.mcp.guards` — row cap, protected SQL, the audit entry of every call;
* :mod:`workbench.mcp.resources` — saved views, saved results and the policy of the open workspace;
* :mod:`workbench.mcp.server` — the SDK's low-level server over stdio (no sockets).
"""
