#!/usr/bin/env python3
"""Drive an MCP server over stdio with the official MCP Python SDK.

What it proves: a client that nobody on this team wrote can spawn the server,
complete the handshake, discover the five tools with usable input schemas,
call each one, see refused queries and path traversal come back as tool
errors ("Error [...]"), and go through the elicitation-based approval of
update_config (no elicitation support / approve / decline).

Run (after `bash interop/setup.sh`):
    target/interop/venv/bin/python interop/python_stdio_client.py target/debug/solution-server stdio
    target/interop/venv/bin/python interop/python_stdio_client.py --legacy-only -- target/debug/solution-server stdio --log-root /var/log/app

Everything after the options is the server command. The server inherits this
process's environment; the script adds a temporary log root holding app.log
(200 lines) through MCP_LOG_ROOTS, and also as an extra --log-root flag when the
command already uses --log-root. Prints one `ok ...` / `FAIL ...` line per check
and exits 1 if any check failed.

Two connection styles are exercised:
  * legacy: ClientSession + initialize(), the classic handshake (all checks);
  * auto:   mcp.Client in its default mode, which first probes `server/discover`
            (protocol 2026-07-28) and falls back to initialize. A short subset
            of checks runs there, including approval through elicitation.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
from mcp import Client, ClientSession, MCPError, StdioServerParameters, stdio_client

EXPECTED_TOOLS: dict[str, set[str]] = {
    "query_database": {"query", "limit"},
    "read_log": {"path", "lines"},
    "get_metrics": {"metric"},
    "health_check": set(),
    "update_config": {"key", "value"},
}

LOG_LINES = 200
failures = 0


def check(name: str, passed: bool, detail: str = "") -> bool:
    global failures
    if passed:
        print(f"ok   {name}")
    else:
        failures += 1
        print(f"FAIL {name}" + (f": {detail}" if detail else ""))
    sys.stdout.flush()
    return passed


def text_of(result: types.CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, types.TextContent))


def short(text: str, limit: int = 160) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "..."


def expect_tool_error(name: str, result: types.CallToolResult, must_mention: str | None = None) -> None:
    text = text_of(result)
    ok = result.is_error and text.startswith("Error [")
    if ok and must_mention is not None:
        ok = must_mention in text
    check(name, ok, f"isError={result.is_error} text={short(text)!r}")


async def accept_approval(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
    schema = getattr(params, "requested_schema", None) or {}
    props = schema.get("properties", {}) if isinstance(schema, dict) else {}
    check(
        "elicitation request is form mode and asks for `approve`",
        getattr(params, "mode", "form") == "form" and "approve" in props,
        f"params={short(repr(params), 300)}",
    )
    return types.ElicitResult(action="accept", content={"approve": True})


async def decline_approval(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
    return types.ElicitResult(action="decline")


async def check_tool_list(session: ClientSession | Client, prefix: str) -> None:
    listed = await session.list_tools()
    tools = {tool.name: tool for tool in listed.tools}
    for name, args in EXPECTED_TOOLS.items():
        tool = tools.get(name)
        if not check(f"{prefix}tools/list has {name}", tool is not None, f"got {sorted(tools)}"):
            continue
        schema = tool.input_schema or {}
        props = set((schema.get("properties") or {}).keys())
        check(
            f"{prefix}{name} inputSchema is an object with {sorted(args) or 'no'} arguments",
            schema.get("type") == "object" and args <= props,
            f"schema={short(json.dumps(schema), 300)}",
        )
        check(f"{prefix}{name} has a description", bool((tool.description or "").strip()))


async def check_tools(session: ClientSession, log_file: Path) -> None:
    # query_database: a portable SELECT that works on SQLite and PostgreSQL.
    result = await session.call_tool("query_database", {"query": "SELECT 1 AS one, 'two' AS two", "limit": 5})
    text = text_of(result)
    try:
        json.loads(text)
        parses = True
    except ValueError:
        parses = False
    check(
        "query_database SELECT returns rows as JSON text",
        not result.is_error and parses and "one" in text and "two" in text,
        f"isError={result.is_error} text={short(text)!r}",
    )

    # read_log: the last lines of our generated file. Try the name relative to
    # the root first, then the absolute path, and say which form worked.
    last_line, outside = f"line {LOG_LINES:04d}", f"line {LOG_LINES - 50:04d}"
    for form, path in (("relative", "app.log"), ("absolute", str(log_file))):
        result = await session.call_tool("read_log", {"path": path, "lines": 5})
        text = text_of(result)
        if not result.is_error:
            break
    check(
        f"read_log app.log lines=5 returns the tail ({form} path)",
        not result.is_error and last_line in text and outside not in text,
        f"isError={result.is_error} text={short(text)!r}",
    )

    result = await session.call_tool("health_check", {})
    text = text_of(result)
    check(
        "health_check returns a markdown report",
        not result.is_error and len(text) > 20 and any(m in text for m in ("#", "|", "**", "- ")),
        f"isError={result.is_error} text={short(text)!r}",
    )

    result = await session.call_tool("get_metrics", {"metric": "calls_per_tool"})
    text = text_of(result)
    check(
        "get_metrics calls_per_tool counts the calls made so far",
        not result.is_error and "query_database" in text,
        f"isError={result.is_error} text={short(text)!r}",
    )
    for metric in ("cache_hit_ratio", "connections"):
        result = await session.call_tool("get_metrics", {"metric": metric})
        check(f"get_metrics {metric} succeeds", not result.is_error and text_of(result).strip() != "",
              f"isError={result.is_error} text={short(text_of(result))!r}")
    result = await session.call_tool("get_metrics", {"metric": "no_such_metric"})
    expect_tool_error("get_metrics unknown metric is a tool error listing known ones", result, "calls_per_tool")

    # Refusals must be tool results (the model sees them), not protocol errors.
    for query in ("DROP TABLE x", "SELECT 1; DELETE FROM t"):
        result = await session.call_tool("query_database", {"query": query})
        expect_tool_error(f"query_database refuses {query!r}", result)
    result = await session.call_tool("read_log", {"path": "../../etc/passwd"})
    expect_tool_error("read_log refuses ../../etc/passwd", result)
    check("read_log traversal leaks nothing", "root:" not in text_of(result))

    # Wrong argument shape: either an isError result or JSON-RPC -32602 is fine,
    # as long as the server keeps serving.
    try:
        result = await session.call_tool("query_database", {"query": 42})
        check("query_database with a non-string query is rejected", result.is_error,
              f"isError=False text={short(text_of(result))!r}")
    except MCPError as err:
        check("query_database with a non-string query is rejected", err.code == -32602, f"code={err.code} {err.message}")
    try:
        result = await session.call_tool("read_log", {})
        check("read_log without path is rejected", result.is_error, f"text={short(text_of(result))!r}")
    except MCPError as err:
        check("read_log without path is rejected", err.code == -32602, f"code={err.code} {err.message}")
    result = await session.call_tool("query_database", {"query": "SELECT 1 AS one"})
    check("server still answers after bad arguments", not result.is_error, short(text_of(result)))


async def update_config(params: StdioServerParameters, label: str, callback: Any) -> types.CallToolResult:
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write, elicitation_callback=callback) as session:
            await session.initialize()
            return await session.call_tool("update_config", {"key": "call_timeout_ms", "value": "5000"})


async def run_legacy(params: StdioServerParameters, log_file: Path) -> None:
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            check(
                f"initialize (protocol {init.protocol_version}, server {init.server_info.name} {init.server_info.version})",
                init.capabilities.tools is not None,
                "server did not declare the tools capability",
            )
            await check_tool_list(session, "")
            await check_tools(session, log_file)

    # update_config, once per client behaviour; a fresh session each time so
    # the declared capabilities differ.
    result = await update_config(params, "none", None)
    expect_tool_error("update_config without elicitation capability is PERMISSION_DENIED", result,
                      "PERMISSION_DENIED")
    result = await update_config(params, "accept", accept_approval)
    check("update_config approved through elicitation succeeds", not result.is_error,
          short(text_of(result)))
    result = await update_config(params, "decline", decline_approval)
    expect_tool_error("update_config declined through elicitation is PERMISSION_DENIED", result,
                      "PERMISSION_DENIED")


async def run_auto(params: StdioServerParameters) -> None:
    async with Client(params, elicitation_callback=accept_approval) as client:
        version = client.session.protocol_version
        check(f"auto-negotiating client connects (protocol {version})", version is not None)
        await check_tool_list(client, "auto: ")
        result = await client.call_tool("get_metrics", {"metric": "calls_per_tool"})
        check("auto: get_metrics succeeds", not result.is_error, short(text_of(result)))
        result = await client.call_tool("update_config", {"key": "call_timeout_ms", "value": "5000"})
        check("auto: update_config approved through elicitation succeeds", not result.is_error,
              short(text_of(result)))


def make_params(command: list[str], log_root: str) -> StdioServerParameters:
    env = dict(os.environ)
    env["MCP_LOG_ROOTS"] = ":".join(filter(None, [log_root, env.get("MCP_LOG_ROOTS")]))
    # The server logs each refused call; the refusals here are on purpose.
    env.setdefault("RUST_LOG", "error")
    if "--log-root" in command or any(arg.startswith("--log-root=") for arg in command):
        command = [*command, "--log-root", log_root]
    return StdioServerParameters(command=command[0], args=command[1:], env=env)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--legacy-only", action="store_true", help="skip the auto-negotiation (server/discover) pass")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="server command, e.g. target/debug/solution-server stdio")
    opts = parser.parse_args()
    command = opts.command[1:] if opts.command[:1] == ["--"] else opts.command
    if not command:
        parser.error("give the server command, e.g. target/debug/solution-server stdio")

    with tempfile.TemporaryDirectory(prefix="mcp-interop-logs-") as log_root:
        log_file = Path(log_root) / "app.log"
        log_file.write_text("".join(
            f"2025-01-01T00:{i // 60:02d}:{i % 60:02d}Z INFO interop line {i:04d} request handled\n"
            for i in range(1, LOG_LINES + 1)
        ))
        params = make_params(command, log_root)
        for label, run in (("legacy", lambda: run_legacy(params, log_file)), ("auto", lambda: run_auto(params))):
            if label == "auto" and opts.legacy_only:
                continue
            try:
                with anyio.fail_after(60):
                    await run()
            except Exception as err:  # a crash or hang is a failed check, not a traceback
                while isinstance(err, BaseExceptionGroup) and len(err.exceptions) == 1:
                    err = err.exceptions[0]
                check(f"{label} pass ran to completion", False, f"{type(err).__name__}: {err}")

    print(f"{'FAILED' if failures else 'PASSED'}: {failures} failing check(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(anyio.run(main))
