# Sourced by the scripts that drive `sn-conform mock` (clients, fuzz-mock, load): starts it on
# a free loopback port and waits for the URL it prints on its first line.
#
#   start_mock BIN LOG [WAIT_FOR_FILE] -- MOCK_OPTIONS...
# Sets `mock_pid` and `url`; exits 1 with the mock's output when it does not start in 10 s.
start_mock() {
  local bin="$1" log="$2" wait_for="$3"
  shift 4
  "$bin" mock --port 0 "$@" > "$log" 2>&1 &
  mock_pid=$!
  url=""
  for _ in $(seq 1 100); do
    url="$(head -n 1 "$log" 2>/dev/null | sed -n 's/.*listening on \(https\{0,1\}:[^ ]*\).*/\1/p')"
    if [ -n "$url" ] && { [ -z "$wait_for" ] || [ -s "$wait_for" ]; }; then
      return 0
    fi
    sleep 0.1
  done
  echo "the mock did not start:"; cat "$log"; exit 1
}
