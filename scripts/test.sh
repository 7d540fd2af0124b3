#!/usr/bin/env bash
# The whole test suite, as CI runs it (`.ci/run` calls this). Installs what it needs from the
# registries (a .venv with cargo-lambda, zig, moto, cfn-lint and SAM CLI), starts a local S3 +
# DynamoDB endpoint (moto) on 127.0.0.1 for the store tests, and stops it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
step() { printf '\n=== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

step "python tools (.venv)"
bash scripts/venv.sh scripts/requirements-fuzz.txt   # one venv: the tools and the fuzzer (one stamp)
export PATH="$root/.venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0

step "rust targets"
rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1 || echo "aarch64 target unavailable: the Lambda build falls back to x86_64"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "local S3 + DynamoDB (moto) on 127.0.0.1"
if [ -f scripts/moto.sh ]; then
  eval "$(bash scripts/moto.sh start)"
  trap 'bash scripts/moto.sh stop >/dev/null 2>&1 || true' EXIT
fi

step "cargo test (including the tests that need the moto endpoint)"
cargo test --workspace --no-fail-fast -- --include-ignored

step "ml pipeline: pytest ml/tests (its own venv, .venv-ml, from ml/requirements.txt)"
bash scripts/venv.sh --venv .venv-ml ml/requirements.txt
.venv-ml/bin/python -m pytest ml/tests -q -p no:cacheprovider

step "API fuzz: schemathesis on every operation of openapi.yaml against twin serve (debug build), bounded"
cargo build -p twin --quiet   # the debug binary the tests already built; no extra release build
FUZZ_EXAMPLES=300 FUZZ_SECONDS=240 bash scripts/fuzz.sh "${CARGO_TARGET_DIR:-target}/debug/twin"

step "supply chain: cargo deny check licenses bans sources (deny.toml; advisories need network, see there)"
if [ "$(cargo deny --version 2>/dev/null)" != "cargo-deny 0.20.2" ]; then
  cargo install cargo-deny --version 0.20.2 --locked --quiet
fi
cargo deny --log-level error check licenses bans sources

step "cargo doc -D warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

step "templates: cfn-lint and sam validate --lint"
cfn-lint template.yaml
AWS_DEFAULT_REGION=us-east-1 sam validate --lint --template template.yaml

step "template: least privilege, encryption at rest, TLS-only bucket, authorizer, throttling (+ self-test)"
python scripts/check_template.py --self-test template.yaml

step "cargo lambda build --release (the four functions, Lambda's glibc via zig)"
arch_flag="--arm64"
rustup target list --installed | grep -q aarch64-unknown-linux-gnu || arch_flag="--x86-64"
cargo lambda build --release $arch_flag \
  -p time_to_charge -p range_remaining -p trip_planning -p depot_simulation
for f in time_to_charge range_remaining trip_planning depot_simulation; do
  printf '%-18s %s bytes\n' "$f" "$(stat -c %s "target/lambda/$f/bootstrap")"
done

step "smoke: twin invoke <fn> events/<fn>/basic.json"
cargo build -p twin --quiet   # the debug binary the tests already built; no extra release build
for f in time_to_charge range_remaining trip_planning depot_simulation; do
  if [ -f "events/$f/basic.json" ]; then
    target/debug/twin invoke "$f" "events/$f/basic.json" > /dev/null
    echo "$f: ok"
  fi
done
step "all checks passed"
