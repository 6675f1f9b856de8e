#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance,
# server scenarios, on Node 22 from interop/node_modules) against the server's
# streamable HTTP endpoint. Scenarios that need features the course server does
# not have are listed in interop/conformance-expected-failures.yml; the suite
# then exits 0 only if exactly those scenarios fail (a listed scenario that
# passes is a stale entry and also fails the run).
#
# Run (after `bash interop/setup.sh` and building the server):
#     bash interop/conformance.sh target/debug/solution-server
#     bash interop/conformance.sh target/debug/solution-server --scenario tools-list   # one scenario
# Extra arguments go to `conformance server`; extra server flags in SERVER_ARGS.
# Per-check results are written to target/interop/conformance/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 1 ]] || die "usage: $0 SERVER_BIN [conformance options]"
bin="$1"; shift
use_node22
start_server "$bin"

results="$REPO_ROOT/target/interop/conformance"
mkdir -p "$results"
echo "conformance: server scenarios against $MCP_URL"
status=0
(cd "$INTEROP_DIR" && npx --no-install conformance server --url "$MCP_URL" \
    --expected-failures "$INTEROP_DIR/conformance-expected-failures.yml" \
    --output-dir "$results" "$@") || status=$?
((status == 0)) || show_server_log
exit "$status"
