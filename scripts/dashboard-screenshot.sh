#!/usr/bin/env bash
# A screenshot of the Aspire dashboard's trace view of one chat completion through the gateway, taken by
# Debian's headless chromium (apt-get install chromium), for a profile started with `./platform up`.
#
#   scripts/dashboard-screenshot.sh [profile] [port-base]
#
# Registers the demo model as the stable version of a domain "screenshot", sends a chat completion with
# a traceparent of its own, logs in with the dashboard's login URL and waits for spans from
# gateway and inference on the trace's page, then saves it as .platform/screenshots/trace-<trace id>.png
# (ignored by git). Needs node and npm (playwright-core 1.65.1 is installed under .platform/screenshot-tool).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
profile=${1:-default} base=${2:-5100}
run=.platform/run/$profile
gateway=http://127.0.0.1:$base key=$(head -n 1 "$run/admin-key")
login=$(sed -n 's/.*Login to the dashboard at \(http[^ ]*\).*/\1/p' "$run/apphost.log" | tail -n 1)
[[ -n $login ]] || { echo "no dashboard login URL in $run/apphost.log" >&2; exit 1; }
dashboard=${login%/login*}
command -v chromium >/dev/null || { echo "chromium is not installed (apt-get install chromium)" >&2; exit 1; }
command -v node >/dev/null && command -v npm >/dev/null || { echo "node and npm are needed (apt-get install nodejs npm)" >&2; exit 1; }

api() { curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" -H 'content-type: application/json' "$@"; }
model=$PWD/.models/demo.gguf
api -X POST "$gateway/api/domains" -d '{"id":"screenshot","name":"Dashboard screenshot","cache":{"enabled":false}}' >/dev/null
api -X POST "$gateway/api/models/screenshot/versions" -d "{\"version\":\"1.0.0\",\"artifactPath\":\"$model\",
  \"artifactSha256\":\"$(sha256sum "$model" | cut -d' ' -f1)\",\"artifactSizeBytes\":$(stat -c %s "$model"),
  \"metrics\":{\"accuracy\":0.9,\"latency_ms\":50,\"training_loss\":0.1,\"validation_loss\":0.2}}" >/dev/null
api -X POST "$gateway/api/deployments/screenshot/stable" -d '{"version":"1.0.0"}' >/dev/null

for _ in $(seq 1 90); do
  # A trace of its own for each try, so the one shown is the completion that answered 200.
  trace=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n') span=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
  code=$(api -X POST "$gateway/v1/chat/completions" -H "traceparent: 00-$trace-$span-01" \
    -d '{"model":"screenshot","user":"dashboard-screenshot","max_tokens":8,"messages":[{"role":"user","content":"hello"}]}')
  [[ $code == 200 ]] && break
  sleep 1 # the gateway's route table learns the new domain from deployment's event
done
[[ $code == 200 ]] || { echo "the chat completion answered $code" >&2; exit 1; }
echo "chat completion 200, trace $trace"

# playwright-core drives Debian's chromium (a plain `chromium --headless --screenshot` catches the page before the
# dashboard's live connection has rendered it); installed once under the ignored .platform/screenshot-tool.
tool=.platform/screenshot-tool
if [[ ! -d $tool/node_modules/playwright-core ]]; then
  mkdir -p "$tool"
  (cd "$tool" && npm init -y >/dev/null && npm install --no-audit --no-fund playwright-core@1.65.1 >/dev/null)
fi
mkdir -p .platform/screenshots
shot=$PWD/.platform/screenshots/trace-$trace.png
cp scripts/dashboard-screenshot.mjs "$tool/"
node "$tool/dashboard-screenshot.mjs" "$login" "$dashboard/traces/detail/$trace" "$shot"
echo "dashboard: $dashboard/traces/detail/$trace"
echo "screenshot: $shot"
