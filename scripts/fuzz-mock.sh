#!/usr/bin/env bash
# Fuzzes the mock against its own API description: starts `sn-conform mock` (seeded with
# scripts/fuzz/seed.yaml) on a free loopback port and runs schemathesis over
# schemas/openapi.yaml with every check enabled, for a bounded time. Exit 0 only if
# schemathesis reports no failure. Creates its own virtual environment (PyPI).
#
#   bash scripts/fuzz-mock.sh [path/to/sn-conform] [seconds]     (default: 120 s of fuzzing)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
bin="${1:-$root/target/debug/sn-conform}"
seconds="${2:-120}"
venv="${SN_FUZZ_VENV:-$root/target/fuzz-venv}"
work="$(mktemp -d)"
trap 'kill "${mock_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
timeout 600 "$venv/bin/pip" install --quiet --disable-pip-version-check \
  -r "$here/fuzz/requirements.txt"

. "$here/start-mock.sh"
start_mock "$bin" "$work/mock.log" "" -- --seed "$here/fuzz/seed.yaml"
echo "schemathesis against $url for ${seconds} s"
# Run from the work directory so schemathesis's cache (.schemathesis/) stays out of the tree;
# the seed is fixed so a failure reproduces with the same command. The run ends within
# SECONDS + 50 s (max-time covers generation; the margin covers loading and the last requests).
cd "$work"
timeout $((seconds + 50)) "$venv/bin/schemathesis" --no-color --config-file "$here/fuzz/schemathesis.toml" \
  run "$root/schemas/openapi.yaml" --url "$url" --auth admin:admin --checks all \
  --max-time "$seconds" --seed "${SN_FUZZ_SEED:-20261124}"
