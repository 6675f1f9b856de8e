# Shared helpers for the interop scripts; sourced, not run.
# Starts the server under test on a free loopback port, waits for /healthz,
# and makes sure the server is stopped when the calling script exits.

INTEROP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$INTEROP_DIR/.." && pwd)"
NODE22_BIN="$INTEROP_DIR/node_modules/node/bin"

die() { echo "$(basename "$0"): $*" >&2; exit 2; }

# Node 22 from interop/node_modules first on PATH, so that `node` and the
# `#!/usr/bin/env node` lines of the npm tools resolve to it, not to the system node.
use_node22() {
    [[ -x "$NODE22_BIN/node" ]] || die "Node 22 missing; run: bash interop/setup.sh"
    export PATH="$NODE22_BIN:$INTEROP_DIR/node_modules/.bin:$PATH"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

SERVER_PID=""
SERVER_LOG=""
stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$SERVER_PID" 2>/dev/null || true
    fi
    [[ -n "$SERVER_LOG" ]] && rm -f "$SERVER_LOG"
    SERVER_PID=""
}

# start_server SERVER_BIN: runs `SERVER_BIN http --listen 127.0.0.1:PORT` and sets
# PORT, MCP_URL and SERVER_PID. Extra server flags can be given in SERVER_ARGS.
start_server() {
    local bin="$1"
    [[ -x "$bin" ]] || die "server binary '$bin' not found or not executable (build it first)"
    PORT="$(free_port)"
    MCP_URL="http://127.0.0.1:$PORT/mcp"
    SERVER_LOG="$(mktemp)"
    trap stop_server EXIT
    trap 'exit 130' INT TERM
    # shellcheck disable=SC2086
    "$bin" http --listen "127.0.0.1:$PORT" ${SERVER_ARGS:-} >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do
        if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then
            return 0
        fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            cat "$SERVER_LOG" >&2
            die "server exited before /healthz answered"
        fi
        sleep 0.1
    done
    cat "$SERVER_LOG" >&2
    die "server did not answer http://127.0.0.1:$PORT/healthz within 10 s"
}

# Prints the server's output (for failures).
show_server_log() {
    [[ -n "$SERVER_LOG" && -s "$SERVER_LOG" ]] && { echo "--- server output ---"; tail -n 40 "$SERVER_LOG"; } >&2 || true
}
