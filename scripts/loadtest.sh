#!/usr/bin/env bash
# Load test: wrk (Debian package `wrk`) against `twin serve` (release build) on 127.0.0.1, for
# time_to_charge and range_remaining, each POSTing its events/<fn>/requests/basic.json at a fixed
# concurrency for a fixed time. Prints one line per route: requests/s, p50, p99, non-2xx and socket errors.
# Exits non-zero if any request failed. Not part of scripts/test.sh (timings on a shared CI box mean little).
#   LOAD_CONNECTIONS (default 32), LOAD_THREADS (2), LOAD_DURATION (30s)
# Usage: bash scripts/loadtest.sh [path/to/twin]
set -euo pipefail
cd "$(dirname "$0")/.."
conns="${LOAD_CONNECTIONS:-32}"
threads="${LOAD_THREADS:-2}"
duration="${LOAD_DURATION:-30s}"

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
  else
    echo "loadtest: needs wrk (Debian/Ubuntu: sudo apt-get install wrk)"; exit 1
  fi
fi

twin="${1:-}"
if [ -z "$twin" ]; then
  cargo build --release -p twin --quiet
  twin="${CARGO_TARGET_DIR:-target}/release/twin"
fi

# shellcheck source=scripts/serve_bg.sh
. scripts/serve_bg.sh
start_twin_serve "$twin" loadtest
url="$twin_url"
work="$twin_work"

cat > "$work/post.lua" <<'EOF'
local f = assert(io.open(os.getenv("LOAD_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d seconds=%.1f rps=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
EOF

echo "loadtest: $("$twin" --version) on $url; wrk -t$threads -c$conns -d$duration; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
failed=0
for pair in time_to_charge:/v1/time-to-charge range_remaining:/v1/range-remaining; do
  fn="${pair%%:*}"; path="${pair#*:}"
  body="events/$fn/requests/basic.json"
  if [ ! -f "$body" ]; then echo "$fn: skipped (no $body)"; continue; fi
  status="$(curl -s -o "$work/first.json" -w '%{http_code}' -H 'content-type: application/json' --data-binary @"$body" "$url$path")"
  if [ "$status" != "200" ]; then echo "$fn: skipped (basic.json answers $status: $(head -c 200 "$work/first.json"))"; continue; fi
  line="$(LOAD_BODY="$body" wrk -t"$threads" -c"$conns" -d"$duration" --timeout 10s -s "$work/post.lua" "$url$path" | grep '^RESULT' || true)"
  echo "$fn: ${line#RESULT }"
  if [ -z "$line" ] || ! grep -q 'non2xx=0 socket_errors=0' <<<"$line"; then failed=1; fi
done
twin_alive || { echo "loadtest: twin serve is not alive after the run"; tail -n 20 "$twin_log"; exit 1; }
exit "$failed"
