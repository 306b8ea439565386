#!/usr/bin/env bash
# The newcomer's tour, on the embedded sandbox: validate -> plan -> apply -> plan (No changes.).
set -euo pipefail
cd "$(dirname "$0")/.."
QCDEPLOY=${QCDEPLOY:-.venv/bin/qcdeploy}
PYTHON=${PYTHON:-.venv/bin/python}
work=$(mktemp -d)
port=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

"$QCDEPLOY" sandbox --port "$port" --seed examples/sandbox-seed.yaml --data-dir "$work/sandbox" --delay 1 >"$work/sandbox.log" 2>&1 &
sandbox_pid=$!
trap 'kill $sandbox_pid 2>/dev/null; wait $sandbox_pid 2>/dev/null; rm -rf "$work" || true' EXIT
for _ in $(seq 50); do grep -q listening "$work/sandbox.log" 2>/dev/null && break; sleep 0.1; done

export QC_API_URL="http://127.0.0.1:$port/api/v2/"
export QC_USER_ID=100001 QC_API_TOKEN=sandbox-api-token-0123456789abcdef
export QC_ORGANIZATION_ID=5cad178b20a1d52567b534553413b691
export QCDEPLOY_STATE="$work/state.json" QCDEPLOY_POLL_INTERVAL=0.25
export QCDEPLOY_LINEAGE_FILE="$work/lineage.json"   # the tour leaves nothing behind in the checkout
export IB_PASSWORD=demo-ib-password   # a secret: it never appears below

step() { printf '\n\033[1m$ qcdeploy %s\033[0m\n' "$*"; "$QCDEPLOY" "$@"; }
step validate examples/manifests
step plan examples/manifests
step apply --auto-approve --health-window 3 examples/manifests
step plan examples/manifests
step status examples/manifests
