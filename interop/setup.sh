#!/usr/bin/env bash
# Installs the third-party MCP clients used by the interop checks:
#   - a Python venv at target/interop/venv with the official MCP Python SDK
#     (and asyncpg for the FastMCP comparison peer), from interop/requirements.txt
#   - interop/node_modules with Node 22, the MCP Inspector and the conformance
#     suite, exactly as pinned in interop/package-lock.json
# Safe to run repeatedly: each half is skipped when its pin file is unchanged.
# Run from anywhere:  bash interop/setup.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
venv="$root/target/interop/venv"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

die() { echo "interop/setup.sh: $*" >&2; exit 1; }

# Run a command with its output captured; show the output only if it fails.
quiet() {
    if ! "$@" >"$log" 2>&1; then
        cat "$log" >&2
        die "failed: $*"
    fi
}

hash_of() { sha256sum "$1" | cut -d' ' -f1; }

command -v python3 >/dev/null 2>&1 \
    || die "python3 not found; install Python 3.10+ (e.g. apt-get install python3 python3-venv)"
python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
    || die "python3 is $(python3 -V 2>&1); the MCP SDK needs 3.10 or newer"
command -v npm >/dev/null 2>&1 \
    || die "npm not found; install Node.js and npm (e.g. apt-get install npm). Any npm works: Node 22 itself comes from interop/package.json"

# --- Python ---------------------------------------------------------------
want="$(hash_of "$here/requirements.txt")"
if [[ ! -x "$venv/bin/python" ]] || [[ "$(cat "$venv/.interop-stamp" 2>/dev/null)" != "$want" ]]; then
    mkdir -p "$(dirname "$venv")"
    if [[ ! -x "$venv/bin/python" ]]; then
        python3 -m venv "$venv" 2>"$log" || { cat "$log" >&2; die "python3 -m venv failed (on Debian: apt-get install python3-venv)"; }
    fi
    quiet "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$here/requirements.txt"
    echo "$want" >"$venv/.interop-stamp"
fi

# --- Node -----------------------------------------------------------------
want="$(hash_of "$here/package-lock.json")"
stamp="$here/node_modules/.interop-stamp"
if [[ ! -x "$here/node_modules/node/bin/node" ]] || [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    # The machine's node may be older than 22; npm itself only warns about engines.
    (cd "$here" && quiet npm ci --no-audit --no-fund --loglevel=error)
    [[ -x "$here/node_modules/node/bin/node" ]] \
        || die "npm ci finished but node_modules/node/bin/node is missing (was the 'node' package's install script blocked?)"
    echo "$want" >"$stamp"
fi

"$here/node_modules/node/bin/node" -e 'process.exit(+process.versions.node.split(".")[0] >= 22 ? 0 : 1)' \
    || die "interop/node_modules/node/bin/node is not Node 22+"
