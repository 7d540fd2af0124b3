# Sourced by scripts/fuzz.sh and scripts/loadtest.sh: starts `twin serve` on 127.0.0.1 (a free port) in
# the background, with a throw-away data folder, and stops it when the calling script exits.
#   start_twin_serve <path/to/twin> <name>   sets: twin_pid, twin_url, twin_work (temp dir), twin_log
#   twin_alive                                true while the server runs and answers GET /health with 200
# Needs curl. The caller's own EXIT trap, if any, must be set before calling start_twin_serve.
start_twin_serve() {
  local bin="$1" name="$2" port=""
  twin_work="$(mktemp -d)"
  twin_log="$twin_work/serve.log"
  "$bin" serve --host 127.0.0.1 --port 0 --data-dir "$twin_work/data" 2> "$twin_log" &
  twin_pid=$!
  # shellcheck disable=SC2064  # expand now: stop this server and remove this folder
  trap "kill $twin_pid 2>/dev/null || true; wait $twin_pid 2>/dev/null || true; rm -rf '$twin_work'" EXIT
  for _ in $(seq 1 200); do
    port="$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$twin_log" | head -n 1)"
    [ -n "$port" ] && break
    kill -0 "$twin_pid" 2>/dev/null || { cat "$twin_log"; echo "$name: twin serve exited at start"; return 1; }
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$twin_log"; echo "$name: twin serve did not report its port within 20 s"; return 1; }
  twin_url="http://127.0.0.1:$port"
}

twin_alive() {
  kill -0 "$twin_pid" 2>/dev/null &&
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$twin_url/health")" = "200" ]
}
