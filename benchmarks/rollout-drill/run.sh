#!/usr/bin/env bash
# Rollout drill: starts the platform under its own profile, runs rollout-drill.mjs against its gateway with the demo
# model as stable, stops the profile. DRILL_CANARY=identical (default), slower or failing picks the canary (see
# rollout-drill.mjs); for slower, a model 5x slower than the demo is generated into .models/ unless DRILL_CANARY_MODEL
# names one. Arguments go to rollout-drill.mjs (runs users minSamples minStepSeconds workers).
#   benchmarks/rollout-drill/run.sh 3 2000 20 5 6
#   DRILL_CANARY=slower benchmarks/rollout-drill/run.sh 3 2000 20 5 6
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
profile=rollout-drill
port_base=${DRILL_PORT_BASE:-5300}
cd "$root"
if [[ ${DRILL_CANARY:-identical} == slower && -z ${DRILL_CANARY_MODEL:-} ]]; then
  export DRILL_CANARY_MODEL="$root/.models/drill-slower-8x512.gguf"
  if [[ ! -f $DRILL_CANARY_MODEL ]]; then
    dotnet build -c Release tools/ModelGen/ModelGen.csproj >/dev/null
    dotnet tools/ModelGen/bin/Release/net10.0/modelgen.dll generate --out "$DRILL_CANARY_MODEL" \
      --layers 8 --embd 512 --heads 8 --seed 1200 --name drill-slower
  fi
fi
./platform up -d --processes --profile "$profile" --port-base "$port_base"
trap './platform down --profile "$profile" --purge >/dev/null 2>&1 || true' EXIT
key=$(<".platform/run/$profile/admin-key")
node benchmarks/rollout-drill/rollout-drill.mjs "http://127.0.0.1:$port_base" "$key" "$root/.models/demo.gguf" "$@"
