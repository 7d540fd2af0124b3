#!/usr/bin/env bash
# A local S3 + DynamoDB API for the store tests: moto's server, from PyPI, in a venv at .venv.
#
#   scripts/moto.sh start    # prints `export TWIN_TEST_MOTO_ENDPOINT=http://127.0.0.1:PORT`
#   scripts/moto.sh stop     # stops the server this script started
#   scripts/moto.sh status   # prints the endpoint URL if running, exits 1 otherwise
#
# Typical use:
#   eval "$(scripts/moto.sh start)"
#   cargo test -p twin-store -- --include-ignored
#   scripts/moto.sh stop
#
# The server listens on 127.0.0.1 only, on a free port. Its pid, endpoint and log are kept in
# .venv/moto.{pid,endpoint,log}. The moto version is the pin in scripts/requirements-tools.txt.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MOTO_VERSION="$(sed -n 's/^moto\[server\]==\([0-9.]*\).*/\1/p' "$ROOT/scripts/requirements-tools.txt" 2>/dev/null | head -n1)"
MOTO_VERSION="${MOTO_VERSION:-5.2.6}"
VENV="$ROOT/.venv"
PIDFILE="$VENV/moto.pid"
ENDPOINTFILE="$VENV/moto.endpoint"
LOGFILE="$VENV/moto.log"

log() { echo "moto.sh: $*" >&2; }

running_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid
  pid="$(cat "$PIDFILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

ensure_venv() {
  if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating venv at $VENV"
    python3 -m venv "$VENV" >&2
  fi
  if ! "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('moto') != '$MOTO_VERSION')" 2>/dev/null \
     || [[ ! -x "$VENV/bin/moto_server" ]]; then
    log "installing moto[server]==$MOTO_VERSION"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
  fi
}

free_port() {
  "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

answers() {
  curl --silent --max-time 2 --output /dev/null "$1/moto-api/data.json"
}

start() {
  local pid
  if pid="$(running_pid)"; then
    log "already running (pid $pid)"
    echo "export TWIN_TEST_MOTO_ENDPOINT=$(cat "$ENDPOINTFILE")"
    return 0
  fi
  ensure_venv
  local attempt port endpoint
  for attempt in 1 2 3; do
    port="$(free_port)"
    endpoint="http://127.0.0.1:$port"
    # setsid: its own process group, so `stop` ends it and nothing else.
    setsid "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$LOGFILE" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$PIDFILE"
    echo "$endpoint" >"$ENDPOINTFILE"
    for _ in $(seq 1 150); do # up to 30 s
      if ! kill -0 "$pid" 2>/dev/null; then
        break
      fi
      if answers "$endpoint"; then
        log "moto $MOTO_VERSION listening at $endpoint (pid $pid, log $LOGFILE)"
        echo "export TWIN_TEST_MOTO_ENDPOINT=$endpoint"
        return 0
      fi
      sleep 0.2
    done
    log "attempt $attempt: moto did not answer on port $port; log:"
    tail -n 20 "$LOGFILE" >&2 || true
    kill "$pid" 2>/dev/null || true
    rm -f "$PIDFILE" "$ENDPOINTFILE"
  done
  log "could not start moto"
  return 1
}

stop() {
  local pid
  if pid="$(running_pid)"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    log "stopped (pid $pid)"
  else
    log "not running"
  fi
  rm -f "$PIDFILE" "$ENDPOINTFILE"
}

status() {
  if running_pid >/dev/null; then
    cat "$ENDPOINTFILE"
  else
    log "not running"
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
