#!/usr/bin/env bash
# Checks the server with the official MCP Inspector's CLI mode (Node 22, from
# interop/node_modules): over streamable HTTP it lists the tools, calls
# get_metrics, and checks that a write query comes back as a tool error.
# If MCP_TOKEN is set, the server is started with it, the Inspector sends
# "Authorization: Bearer $MCP_TOKEN", and a call without it must fail.
#
# Run (after `bash interop/setup.sh` and building the server):
#     bash interop/inspector.sh target/debug/solution-server
# Extra server flags can be passed in SERVER_ARGS. Exit 0 when every check passes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 1 ]] || die "usage: $0 SERVER_BIN"
use_node22
start_server "$1"

# Keep the Inspector's catalog and client config out of the home directory.
scratch="$(mktemp -d)"
trap 'stop_server; rm -rf "$scratch"' EXIT
export MCP_CATALOG_PATH="$scratch/mcp.json" MCP_CLIENT_CONFIG_PATH="$scratch/client.json"

auth=()
[[ -n "${MCP_TOKEN:-}" ]] && auth=(--header "Authorization: Bearer $MCP_TOKEN")

failures=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# inspect OUT_FILE ARGS...: one Inspector CLI run against the server; prints
# the CLI's stderr and returns its exit code if it fails.
inspect() {
    local out="$1"; shift
    # npx finds the pinned package only from inside interop/.
    if ! (cd "$INTEROP_DIR" && npx --no-install @modelcontextprotocol/inspector --cli "$MCP_URL" --transport http \
            --format json -q "$@") >"$out" 2>"$out.err"; then
        cat "$out.err" >&2
        return 1
    fi
}

# Reads the CLI's JSON output on stdin ({"result": ...} with --format json) and
# runs a Python assertion on the result as `r`.
json_check() {
    python3 -c "import json, sys; r = json.load(sys.stdin)['result']; sys.exit(0 if ($1) else 1)"
}

out="$scratch/out.json"

if inspect "$out" "${auth[@]}" --method tools/list \
    && json_check '{t["name"] for t in r["tools"]} >= {"query_database", "read_log", "get_metrics", "health_check", "update_config"}' <"$out"; then
    pass "tools/list shows the five tools"
else
    fail "tools/list shows the five tools: $(head -c 400 "$out")"
fi

if inspect "$out" "${auth[@]}" --method tools/call --tool-name get_metrics --tool-arg metric=calls_per_tool \
    && json_check 'not r.get("isError") and r["content"][0]["text"].strip()' <"$out"; then
    pass "tools/call get_metrics metric=calls_per_tool succeeds"
else
    fail "tools/call get_metrics metric=calls_per_tool: $(head -c 400 "$out")"
fi

# A tool result with isError makes the CLI exit non-zero (stderr: "tool_is_error"),
# but it still prints the result on stdout, which is what is checked here.
inspect "$out" "${auth[@]}" --method tools/call --tool-name query_database --tool-arg 'query=DROP TABLE x' 2>/dev/null || true
if json_check 'r.get("isError") is True and r["content"][0]["text"].startswith("Error [")' <"$out"; then
    pass "tools/call query_database 'DROP TABLE x' is a tool error"
else
    fail "tools/call query_database 'DROP TABLE x': $(head -c 400 "$out")"
fi

if [[ -n "${MCP_TOKEN:-}" ]]; then
    if inspect "$out" --method tools/list 2>/dev/null; then
        fail "tools/list without the bearer token should be refused"
    else
        pass "tools/list without the bearer token is refused"
    fi
fi

if ((failures)); then
    show_server_log
    echo "FAILED: $failures check(s)"
    exit 1
fi
echo "PASSED: inspector checks"
