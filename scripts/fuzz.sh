#!/usr/bin/env bash
# Property-based API fuzzing: schemathesis (PyPI, pinned in scripts/requirements-fuzz.txt, installed into
# .venv by scripts/venv.sh) against `twin serve` on 127.0.0.1 (a free port), driven by openapi.yaml.
# Every operation gets up to FUZZ_EXAMPLES generated requests per phase (examples, coverage, fuzzing;
# positive and negative data), all within FUZZ_SECONDS. Fails on any 5xx, on a response that does not
# match openapi.yaml (status, content type, body schema), on a schema-valid request refused or a
# schema-invalid one accepted, or if the server is not alive (GET /health 200) afterwards.
#   FUZZ_EXAMPLES (default 300), FUZZ_SECONDS (240), FUZZ_SEED (20261204), FUZZ_WORKERS (2), FUZZ_CHECKS
# Usage: bash scripts/fuzz.sh [path/to/twin]   (default: the debug build, `cargo build -p twin`)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
examples="${FUZZ_EXAMPLES:-300}"
budget="${FUZZ_SECONDS:-240}"
seed="${FUZZ_SEED:-20261204}"
workers="${FUZZ_WORKERS:-2}"
checks="${FUZZ_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection}"

bash scripts/venv.sh scripts/requirements-fuzz.txt
export PATH="$root/.venv/bin:$PATH"

twin="${1:-}"
if [ -z "$twin" ]; then
  cargo build -p twin --quiet
  twin="${CARGO_TARGET_DIR:-target}/debug/twin"
fi

# shellcheck source=scripts/serve_bg.sh
. scripts/serve_bg.sh
start_twin_serve "$twin" fuzz
echo "fuzz: twin serve (pid $twin_pid) on $twin_url; up to $examples examples per operation and phase, at most ${budget}s"

set +e
timeout --kill-after=10 "$budget" schemathesis run openapi.yaml \
  --url "$twin_url" \
  --checks "$checks" \
  --phases examples,coverage,fuzzing \
  --mode all \
  --max-examples "$examples" \
  --seed "$seed" \
  --workers "$workers" \
  --request-timeout 20 \
  --suppress-health-check too_slow,data_too_large,large_base_example,filter_too_much \
  --report ndjson --report-ndjson-path "$twin_work/events.ndjson" \
  --warnings off
rc=$?
set -e
# Requests generated per operation (the operations without parameters have exactly one to send).
if [ -f "$twin_work/events.ndjson" ]; then
  python - "$twin_work/events.ndjson" <<'PY'
import collections, json, sys
cases = collections.Counter()
for line in open(sys.argv[1]):
    done = json.loads(line).get("ScenarioFinished")
    if done and done.get("recorder"):
        cases[done["recorder"]["label"]] += len(done["recorder"].get("cases") or {})
for label, n in sorted(cases.items()):
    print(f"fuzz: {n:6d} requests  {label}")
PY
fi

# The server must have survived everything.
if ! twin_alive; then
  echo "fuzz: twin serve is not alive after the run"; tail -n 20 "$twin_log"; exit 1
fi
echo "fuzz: server alive after the run (GET /health 200)"
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then echo "fuzz: time budget of ${budget}s exceeded"; fi
exit "$rc"
