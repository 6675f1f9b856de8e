#!/usr/bin/env python3
"""A Python peer of the course server, written with the official SDK's MCPServer
(the class called FastMCP before mcp 2.0), for load comparisons and as a known-good
server to try the interop scripts on.

It offers two of the course server's tools with the same names and arguments:
  * get_metrics {metric}: answers from a 60-second cache (a dict of timestamps);
  * query_database {query, limit}: runs one statement on PostgreSQL through an
    asyncpg connection pool, inside a READ ONLY transaction, and returns the
    rows as JSON text. Refusals come back as tool errors starting "Error [".

Run (after `bash interop/setup.sh`):
    target/interop/venv/bin/python interop/fastmcp_peer.py --port 8931   # http://127.0.0.1:8931/mcp
    target/interop/venv/bin/python interop/fastmcp_peer.py --stdio
The database is DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import mcp_types as types
from mcp.server.mcpserver import Context, MCPServer

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test"
CACHE_TTL_SECONDS = 60.0
MAX_ROWS = 1000

calls: Counter[str] = Counter()
cache: dict[str, tuple[float, str]] = {}  # metric -> (stored at, JSON text)
cache_hits = 0
cache_misses = 0


def tool_error(code: str, message: str) -> types.CallToolResult:
    """A failed tool call the model can read, in the course server's wording.

    Returned, not raised: MCPServer would prefix a raised ToolError's text with
    "Error executing tool ...". The tools below carry no return annotation
    because MCPServer refuses `str | CallToolResult` as one.
    """
    return types.CallToolResult(content=[types.TextContent(type="text", text=f"Error [{code}]: {message}")], is_error=True)


@asynccontextmanager
async def lifespan(server: MCPServer[Any]) -> AsyncIterator[asyncpg.Pool]:
    url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    pool = await asyncpg.create_pool(url, min_size=1, max_size=10, command_timeout=10)
    try:
        yield pool
    finally:
        await pool.close()


mcp = MCPServer("fastmcp-peer", version="1.0.0", lifespan=lifespan)


@mcp.tool(description="Run one read-only SQL query on PostgreSQL and return the rows as JSON.")
async def query_database(query: str, ctx: Context[asyncpg.Pool], limit: int = 100):  # -> JSON str or a CallToolResult error
    calls["query_database"] += 1
    if not 1 <= limit <= MAX_ROWS:
        return tool_error("INVALID_ARGUMENT", f"limit must be between 1 and {MAX_ROWS}")
    pool = ctx.request_context.lifespan_context
    try:
        async with pool.acquire() as conn, conn.transaction(readonly=True):
            # A cursor fetches only `limit` rows; asyncpg prepares the statement,
            # which also refuses several statements in one string.
            rows = await (await conn.cursor(query)).fetch(limit)
    except asyncpg.exceptions.ReadOnlySQLTransactionError as err:
        return tool_error("READ_ONLY", str(err))
    except (asyncpg.PostgresSyntaxError, asyncpg.exceptions.UndefinedTableError) as err:
        return tool_error("INVALID_QUERY", str(err))
    except asyncpg.PostgresError as err:
        return tool_error("QUERY_FAILED", str(err))
    return json.dumps([dict(row) for row in rows], default=str)


def compute_metric(metric: str, pool: asyncpg.Pool) -> dict[str, Any] | None:
    if metric == "calls_per_tool":
        return dict(calls)
    if metric == "cache_hit_ratio":
        total = cache_hits + cache_misses
        return {"hits": cache_hits, "misses": cache_misses, "ratio": cache_hits / total if total else 0.0}
    if metric == "connections":
        return {"pool_size": pool.get_size(), "idle": pool.get_idle_size(), "max": pool.get_max_size()}
    return None


KNOWN_METRICS = ("calls_per_tool", "cache_hit_ratio", "connections")


@mcp.tool(description="Return one server metric as JSON: calls_per_tool, cache_hit_ratio or connections.")
async def get_metrics(metric: str, ctx: Context[asyncpg.Pool]):  # -> JSON str or a CallToolResult error
    global cache_hits, cache_misses
    calls["get_metrics"] += 1
    now = time.monotonic()
    cached = cache.get(metric)
    if cached is not None and now - cached[0] < CACHE_TTL_SECONDS:
        cache_hits += 1
        return cached[1]
    value = compute_metric(metric, ctx.request_context.lifespan_context)
    if value is None:
        return tool_error("UNKNOWN_METRIC", f"unknown metric {metric!r}; known metrics: {', '.join(KNOWN_METRICS)}")
    cache_misses += 1
    text = json.dumps({"metric": metric, "value": value})
    cache[metric] = (now, text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description="MCPServer peer of the course server")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--port", type=int, help="serve streamable HTTP on 127.0.0.1:PORT/mcp")
    mode.add_argument("--stdio", action="store_true", help="serve over stdin/stdout")
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    if args.stdio:
        mcp.run("stdio")
    else:
        mcp.settings.log_level = "WARNING"
        mcp.run("streamable-http", host=args.host, port=args.port, streamable_http_path="/mcp")


if __name__ == "__main__":
    main()
