#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image: the course
# (this folder, unpacked at /autograder/source) gets Rust, PostgreSQL and a
# built grader, and the build cache of graded submissions is warmed.
set -euo pipefail
cd "$(dirname "$0")"

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq build-essential pkg-config curl ca-certificates postgresql >/dev/null

if ! command -v cargo >/dev/null 2>&1; then
    curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
fi
# shellcheck disable=SC1091
source "$HOME/.cargo/env"

cargo build -p grader
# One grading of the course's own stubs builds every crate a submission
# needs, so each student's grading compiles only their labs.
./target/debug/grader --submission . --no-perf >/dev/null || true
