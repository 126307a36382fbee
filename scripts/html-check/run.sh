#!/usr/bin/env bash
# report.html in a real browser: runs the suite against the embedded mock with one fault
# (so the report has failures), then opens the report in headless Chromium with Selenium
# (check_report.py): no console error, the filters show what they say. Installs Debian's
# chromium and chromium-driver with apt-get when they are missing, and Selenium (PyPI) in a
# virtual environment it creates. Leaves the report and its screenshot in target/html-check.
#
#   bash scripts/html-check/run.sh [path/to/sn-conform]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:-$root/target/debug/sn-conform}"
venv="${SN_HTML_CHECK_VENV:-$root/target/html-check-venv}"
out="$root/target/html-check"

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  timeout 600 $sudo apt-get update -qq
  timeout 900 $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
timeout 600 "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"

rm -rf "$out"
# A failing run on purpose: accept answers 201, so four trials fail.
set +e
"$bin" run -q --mock-fault accept-wrong-status --report-dir "$out" > "$out.log" 2>&1
code=$?
set -e
if [ "$code" != 1 ]; then
  echo "the run with a fault should exit 1, it exited $code:"; cat "$out.log"; exit 1
fi
timeout 180 "$venv/bin/python" "$here/check_report.py" "$out"
