#!/usr/bin/env bash
# Creates (or reuses) .venv with the pinned tools of scripts/requirements-tools.txt and any
# extra requirement files given as arguments. Prints nothing on a warm venv.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.installed"
reqs=("$root/scripts/requirements-tools.txt" "$@")
want="$(cat "${reqs[@]}" | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
args=()
for r in "${reqs[@]}"; do args+=(-r "$r"); done
"$venv/bin/python" -m pip install --quiet "${args[@]}"
echo "$want" > "$stamp"
