#!/usr/bin/env bash
# A/A rollout drill: starts the platform under its own profile, runs aa-drill.mjs against its gateway with the demo
# model (byte-identical stable and canary), stops the profile. Arguments after the script go to aa-drill.mjs
# (runs users minSamples minStepSeconds workers).
#   benchmarks/rollout-drill/run.sh 3 200 30 5 6
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
profile=aa-drill
port_base=${DRILL_PORT_BASE:-5300}
cd "$root"
./platform up -d --profile "$profile" --port-base "$port_base"
trap './platform down --profile "$profile" --purge >/dev/null 2>&1 || true' EXIT
key=$(<".platform/run/$profile/admin-key")
node benchmarks/rollout-drill/aa-drill.mjs "http://127.0.0.1:$port_base" "$key" "$root/.models/demo.gguf" "$@"
