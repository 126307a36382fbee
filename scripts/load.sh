#!/usr/bin/env bash
# The mock under load: wrk (Debian's package, installed with apt-get when missing) for 20 s at
# 64 connections on loopback (a thread each, so each connection's requests stay in order), a mix of reads and writes (scripts/load/mix.lua) that deletes
# what it creates. Passes when wrk saw no socket error and no non-2xx answer, and the mock's
# resident memory grew by less than 16 MB between the 5th and the 20th second.
#
#   bash scripts/load.sh [path/to/sn-conform] [seconds]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
bin="${1:-$root/target/release/sn-conform}"
seconds="${2:-20}"
work="$(mktemp -d)"
trap 'kill "${mock_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

if ! command -v wrk >/dev/null 2>&1; then
  sudo=""; if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  timeout 600 $sudo apt-get update -qq
  timeout 600 $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

. "$here/start-mock.sh"
start_mock "$bin" "$work/mock.log" "" --

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$mock_pid/status"; }
timeout $((seconds + 30)) wrk -t 64 -c 64 -d "${seconds}s" --latency -s "$here/load/mix.lua" "$url" > "$work/wrk.txt" &
wrk_pid=$!
sleep 5
rss5="$(rss)"
wait "$wrk_pid"
rss_end="$(rss)"
cat "$work/wrk.txt"
growth=$((rss_end - rss5))
echo "mock resident memory: ${rss5} kB at 5 s, ${rss_end} kB at ${seconds} s (growth ${growth} kB)"

status=0
if grep -q "Socket errors" "$work/wrk.txt"; then echo "FAILED: socket errors"; status=1; fi
if grep -q "Non-2xx or 3xx responses" "$work/wrk.txt"; then echo "FAILED: answers that were not 2xx"; status=1; fi
if [ "$growth" -ge $((16 * 1024)) ]; then echo "FAILED: memory grew by ${growth} kB"; status=1; fi
[ "$status" = 0 ] && echo "load: no error, every answer 2xx, memory flat"
exit "$status"
