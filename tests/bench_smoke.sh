#!/usr/bin/env bash
# CI's smoke run of sigbench, not a benchmark: every scenario, small and for about a second,
# against a real sigd on loopback, so the load generator cannot rot. It checks what sigbench
# reports (everyone logged in, nothing lost), never how fast anything was.
#   bench_smoke.sh SIGD SIGBENCH
set -euo pipefail
sigd="$1"
sigbench="$2"
log="$(mktemp)"
# The closed-loop relay sends faster than the default per-peer rate limit allows.
"$sigd" --host=127.0.0.1 --port=0 --admin_addr= --rate_limit_per_second=1000000 \
  --rate_limit_burst=1000000 >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -f "$log"' EXIT
port=""
for _ in $(seq 100); do
  port="$(sed -n 's/^sigd listening on .*:\([0-9][0-9]*\)$/\1/p' "$log")"
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "sigd did not start:"; cat "$log"; exit 1; }

# run EXPECTED... -- FLAGS: one sigbench run; each EXPECTED string must be in its JSON line.
run() {
  local expected=()
  while [ "$1" != "--" ]; do expected+=("$1"); shift; done
  shift
  local line
  line="$("$sigbench" --server="127.0.0.1:$port" --server_pid="$pid" "$@" 2>/dev/null)" || {
    echo "FAILED (exit status): sigbench $*"; echo "$line"; exit 1; }
  for e in "${expected[@]}"; do
    if [[ "$line" != *"$e"* ]]; then echo "FAILED (no $e): sigbench $*"; echo "$line"; exit 1; fi
  done
  echo "ok: sigbench $*"
}

relay=(--scenario=relay --pairs=10 --duration=1s --warmup=200ms)
run '"logged_in":20,' '"lost":0,' -- "${relay[@]}" --protocol=peerjs --rate=2000
run '"logged_in":20,' '"lost":0,' -- "${relay[@]}" --protocol=td --rate=2000
run '"logged_in":20,' '"lost":0,' -- "${relay[@]}" --protocol=peerjs --rate=0
run '"logged_in":50,' '"failed":0,' '"server_rss_per_peer_bytes"' -- \
  --scenario=idle --protocol=peerjs --peers=50 --sources=2 --settle=100ms
run '"logged_in":50,' '"failed":0,' -- \
  --scenario=idle --protocol=td --peers=50 --room_size=10 --settle=100ms
run '"failed_logins":0,' '"round":3,' -- --scenario=churn --protocol=peerjs --rounds=3 --peers=30 \
  --settle=100ms
run '"broadcasts":5,' -- --scenario=fanout --protocol=td --fanout_peers=10 --rounds=5
run '"logged_in":10,' '"held_frames":80,' '"expired":0,' '"server_rss_per_held_frame_bytes"' -- \
  --scenario=held --protocol=peerjs --peers=10 --held_per_peer=8 --settle=200ms
