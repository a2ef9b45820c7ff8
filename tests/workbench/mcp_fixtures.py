"""Shared by the MCP tests: the demo extract with a personal-data table, a workspace over it, and a client
that starts ``workbench mcp`` as a subprocess and speaks to it over stdio."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli, write_parquet

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    from workbench import demo

    out = tmp_path_factory.mktemp("mcpdemo")
    demo.write_demo(out, rows=60_000, users=3_000)
    # People with personal data and some groups smaller than k = 10.
    write_parquet(
        out / "people.parquet",
        """
        SELECT 'person' || i || '@example.org' AS email,
               CASE WHEN i < 4 THEN 'tiny' WHEN i < 40 THEN 'small' ELSE 'large' END AS grp,
               i % 7 AS score
        FROM range(200) t(i)""",
    )
    # The same people a week later: four left, one joined, two scores changed.
    write_parquet(
        out / "people_b.parquet",
        """
        SELECT email, grp, CASE WHEN i IN (50, 60) THEN score + 1 ELSE score END AS score FROM (
            SELECT i, 'person' || i || '@example.org' AS email,
                   CASE WHEN i < 4 THEN 'tiny' WHEN i < 40 THEN 'small' ELSE 'large' END AS grp, i % 7 AS score
            FROM range(4, 201) t(i))""",
    )
    return out


@pytest.fixture
def workspace(demo_dir, tmp_path, capsys):
    path = str(tmp_path / "agent.wbk")
    code, _, err = run_cli(
        capsys,
        "workspace",
        "new",
        path,
        demo_dir / "events.parquet",
        demo_dir / "experiment.parquet",
        demo_dir / "people.parquet",
        demo_dir / "people_b.parquet",
        "--k",
        "10",
    )
    assert code == 0, err
    return path


def serve(args, scenario, env=None, errlog=None):
    """Start ``workbench mcp ARGS`` and run ``scenario(client)``; returns what it returns."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    environ = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "workbench", "mcp", *map(str, args)], env=environ, cwd=str(ROOT)
    )

    async def main():
        async with stdio_client(params, errlog=errlog or sys.__stderr__) as (read, write):
            async with ClientSession(read, write) as client:
                await client.initialize()
                return await scenario(client)

    return asyncio.run(asyncio.wait_for(main(), timeout=180))


async def call(client, name, **arguments):
    result = await client.call_tool(name, arguments)
    if result.is_error:
        return {"error": result.content[0].text}
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


def cli_json(capsys, *argv):
    code, out, err = run_cli(capsys, *argv)
    assert code == 0, err
    return json.loads(out)


def agent_entries(log_path):
    lines = [json.loads(line) for line in Path(log_path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [e for e in lines if e["action"] == "agent_tool_call"]
