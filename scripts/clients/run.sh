#!/usr/bin/env bash
# The mock as the platform's own Python clients see it: starts `sn-conform mock --tls` on a
# free loopback port and runs test_clients.py (pysnc, pysnow, requests) and test_aiosnow.py
# (the asyncio client aiosnow) against it.
# Needs python3 (3.9+) and PyPI; creates its own virtual environment. Bounded in time.
#
#   bash scripts/clients/run.sh [path/to/sn-conform]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:-$root/target/debug/sn-conform}"
venv="${SN_CLIENTS_VENV:-$root/target/clients-venv}"
work="$(mktemp -d)"
trap 'kill "${mock_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
timeout 600 "$venv/bin/pip" install --quiet --disable-pip-version-check \
  -r "$here/requirements.txt"

lifetime=2
. "$root/scripts/start-mock.sh"
start_mock "$bin" "$work/mock.log" "$work/ca.pem" -- \
  --tls --cert-out "$work/ca.pem" --token-lifetime "$lifetime"
echo "clients against $url"
# requests lets REQUESTS_CA_BUNDLE override a session's `verify`: it is the one setting every
# client honours, so it names the mock's CA.
status=0
SN_MOCK_URL="$url" SN_MOCK_TOKEN_LIFETIME="$lifetime" REQUESTS_CA_BUNDLE="$work/ca.pem" \
  timeout 300 "$venv/bin/python" "$here/test_clients.py" || status=1
# aiohttp trusts what Python's default context trusts: SSL_CERT_FILE names the mock's CA.
echo "aiosnow against $url"
SN_MOCK_URL="$url" SSL_CERT_FILE="$work/ca.pem" \
  timeout 300 "$venv/bin/python" "$here/test_aiosnow.py" || status=1
exit "$status"
