"""The Audit panel names an agent's tool calls (``workbench mcp``) in one readable line."""

from widgets.audit_panel import ACTION_LABELS, summarize


def test_released_and_refused_agent_calls_read_as_one_line():
    released = {
        "action": "agent_tool_call",
        "details": {
            "tool": "run_sql",
            "arguments": {"query": "SELECT grp, count(*) FROM people GROUP BY grp"},
            "outcome": "released",
            "rows_returned": 3,
            "hidden_cells": 2,
            "suppression_applied": True,
        },
    }
    refused = {
        "action": "agent_tool_call",
        "details": {
            "tool": "run_sql",
            "arguments": {"query": "DROP VIEW people"},
            "outcome": "refused",
            "error": "Only read-only queries can run here",
        },
    }
    assert ACTION_LABELS["agent_tool_call"] == "Agent tool call"
    assert summarize(released).startswith("agent: run_sql") and "3 row(s), 2 cell(s) hidden" in summarize(released)
    assert "refused: Only read-only" in summarize(refused)
