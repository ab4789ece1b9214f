#!/usr/bin/env bash
# Added latency and throughput of the gateway: one backend (nginx returning a fixed OpenAI answer)
# called directly, through nginx as a plain reverse proxy, and through the gateway (auth, rate limit,
# domain routing, outcome events), with wrk from a second process, in the same run. Prints a table.
# Needs Postgres/Redis/RabbitMQ: run with the PLATFORM_TEST_* variables set (./platform test's infrastructure).
set -euo pipefail

: "${PLATFORM_TEST_POSTGRES:?set PLATFORM_TEST_POSTGRES/REDIS/RABBITMQ/RABBITMQ_MANAGEMENT (the test infrastructure)}"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK="$ROOT/.platform/bench-gateway"
BASE=${BENCH_PORT_BASE:-47600}
BACKEND=$BASE NGINX=$((BASE + 1)) GATEWAY=$((BASE + 2))
DURATION=${BENCH_DURATION:-15s}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
# chat: POST /v1/chat/completions (domain routing, variant, outcome event); models: GET /v1/embeddings (plain proxying:
# /v1/models is the gateway's own answer since it lists the domains, so the mode keeps its name and proxies a GET instead)
MODE=${BENCH_MODE:-chat}
SUFFIX=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
DB="gwbench_$SUFFIX" VHOST="gwbench_$SUFFIX"
MGMT=${PLATFORM_TEST_RABBITMQ_MANAGEMENT%/}
MGMT_AUTH=$(echo "$MGMT" | sed -E 's#^https?://([^@]*)@.*#\1#')
MGMT_URL=$(echo "$MGMT" | sed -E 's#^(https?://)[^@]*@#\1#')

rm -rf "$WORK" && mkdir -p "$WORK/tmp"
GATEWAY_PID=""
cleanup() {
  [ -n "$GATEWAY_PID" ] && kill "$GATEWAY_PID" 2>/dev/null && wait "$GATEWAY_PID" 2>/dev/null || true
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  curl -s -u "$MGMT_AUTH" -X DELETE "$MGMT_URL/api/vhosts/$VHOST" >/dev/null || true
  psql "$(pg_url)" -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
}
pg_url() { # Npgsql "Host=..;Port=..;Username=..;Password=.." -> postgres URL
  local h p u w
  h=$(echo "$PLATFORM_TEST_POSTGRES" | tr ';' '\n' | sed -n 's/^Host=//p')
  p=$(echo "$PLATFORM_TEST_POSTGRES" | tr ';' '\n' | sed -n 's/^Port=//p')
  u=$(echo "$PLATFORM_TEST_POSTGRES" | tr ';' '\n' | sed -n 's/^Username=//p')
  w=$(echo "$PLATFORM_TEST_POSTGRES" | tr ';' '\n' | sed -n 's/^Password=//p')
  echo "postgresql://$u:$w@$h:$p/postgres"
}
trap cleanup EXIT

cat > "$WORK/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/tmp/body;
  proxy_temp_path $WORK/tmp/proxy;
  fastcgi_temp_path $WORK/tmp/fastcgi;
  uwsgi_temp_path $WORK/tmp/uwsgi;
  scgi_temp_path $WORK/tmp/scgi;
  upstream backend { server 127.0.0.1:$BACKEND; keepalive 64; }
  server {
    listen 127.0.0.1:$BACKEND;
    location / {
      default_type application/json;
      return 200 '{"id":"chatcmpl-bench","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}';
    }
  }
  server {
    listen 127.0.0.1:$NGINX;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGINX
nginx -c "$WORK/nginx.conf" -p "$WORK"

echo "Building the gateway (Release)..." >&2
dotnet build "$ROOT/gateway/Gateway.csproj" -c Release -v q -nologo >/dev/null

curl -sf -u "$MGMT_AUTH" -X PUT "$MGMT_URL/api/vhosts/$VHOST" >/dev/null
curl -sf -u "$MGMT_AUTH" -X PUT -H 'content-type: application/json' \
  -d '{"configure":".*","write":".*","read":".*"}' "$MGMT_URL/api/permissions/$VHOST/${MGMT_AUTH%%:*}" >/dev/null

ASPNETCORE_URLS="http://127.0.0.1:$GATEWAY" \
ConnectionStrings__gatewaydb="$PLATFORM_TEST_POSTGRES;Database=$DB" \
ConnectionStrings__redis="${PLATFORM_TEST_REDIS}" \
ConnectionStrings__eventbus="${PLATFORM_TEST_RABBITMQ%/}/$VHOST" \
services__inference__http__0="http://127.0.0.1:$BACKEND" \
services__deployment__grpc__0="http://127.0.0.1:$((BASE + 3))" \
Gateway__AdminKeyFile="$WORK/admin-key" \
Gateway__RateLimit__Enabled=${BENCH_RATE_LIMIT:-true} Gateway__RateLimit__Capacity=100000000 Gateway__RateLimit__RefillPerSecond=100000000 \
Logging__LogLevel__Default=Warning \
DOTNET_PerfMapEnabled=${BENCH_PERF:-0} DOTNET_EnableWriteXorExecute=$((1 - ${BENCH_PERF:-0})) \
  dotnet "$ROOT/gateway/bin/Release/net10.0/Gateway.dll" >"$WORK/gateway.log" 2>&1 &
GATEWAY_PID=$!

for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$GATEWAY/health" >/dev/null 2>&1 && break
  sleep 1
done
curl -sf "http://127.0.0.1:$GATEWAY/health" >/dev/null || { echo "gateway did not become healthy; see $WORK/gateway.log" >&2; exit 1; }

ADMIN=$(cat "$WORK/admin-key")
KEY=$(curl -sf -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' \
  -d '{"name":"bench","role":"client"}' "http://127.0.0.1:$GATEWAY/api/keys" | sed -E 's/.*"key":"([^"]+)".*/\1/')

# The route table, as deployment would announce it: one domain, one variant on the backend.
TABLE='{"revision":1,"domains":[{"domain":"bench","aliases":[],"keywords":[],"salt":"bench","variants":[{"name":"stable","modelVersion":"1.0.0","modelId":"bench@1.0.0","weightPercent":100,"destination":"inference"}]}],"eventId":"0193f5a2-7c1e-7d3a-9b2f-1a2b3c4d5e6f","occurredAt":"2026-11-23T12:00:00Z","schemaVersion":1}'
PUBLISH=$(printf '{"properties":{"content_type":"application/json","message_id":"0193f5a2-7c1e-7d3a-9b2f-1a2b3c4d5e6f"},"routing_key":"","payload":%s,"payload_encoding":"string"}' "$(printf '%s' "$TABLE" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')")
for _ in $(seq 1 60); do
  curl -sf -u "$MGMT_AUTH" -H 'content-type: application/json' -d "$PUBLISH" \
    "$MGMT_URL/api/exchanges/$VHOST/domainplatform.route-table-changed/publish" >/dev/null || true
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" -H 'content-type: application/json' \
    -d '{"model":"bench","messages":[]}' "http://127.0.0.1:$GATEWAY/v1/chat/completions")
  [ "$status" = 200 ] && break
  sleep 1
done
[ "$status" = 200 ] || { echo "gateway never routed the bench domain (last status $status)" >&2; exit 1; }

to_ms() { # wrk latency like 812.00us / 1.23ms / 1.01s -> milliseconds
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}
declare -A RPS P50 P99
ROUNDS=${BENCH_ROUNDS:-3}
WARMUP=${BENCH_WARMUP:-10s}
wrk_target() { # url duration -> wrk's output
  if [ "$MODE" = chat ]; then
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$2" --latency -s "$ROOT/gateway/bench/post-chat.lua" \
      -H "Authorization: Bearer $KEY" "$1/v1/chat/completions"
  else
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$2" --latency -H "Authorization: Bearer $KEY" "$1/v1/embeddings"
  fi
}
run() { # name url: one measured round, appended to the target's samples
  local out
  out=$(wrk_target "$2" "$DURATION")
  if echo "$out" | grep -q "Non-2xx"; then echo "$1: non-2xx responses:" >&2; echo "$out" >&2; exit 1; fi
  RPS[$1]+="$(echo "$out" | awk '/^Requests\/sec/ { print $2 }') "
  if [ "$1" = gateway ]; then GATEWAY_REQUESTS=$((GATEWAY_REQUESTS + $(echo "$out" | awk '/requests in/ { print $1 }'))); fi
  P50[$1]+="$(to_ms "$(echo "$out" | awk '$1 == "50%" { print $2 }')") "
  P99[$1]+="$(to_ms "$(echo "$out" | awk '$1 == "99%" { print $2 }')") "
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The .NET gateway compiles its hot path while the first requests arrive (tiered JIT): measure it warm,
# as a long-running gateway is. Each round measures all three targets back to back, so a change in the
# machine's load hits them alike; the table shows each target's median over the rounds.
echo "wrk: $THREADS threads, $CONNECTIONS connections, $DURATION per target, $ROUNDS rounds, mode $MODE (gateway warm-up $WARMUP)" >&2
GATEWAY_REQUESTS=$(wrk_target "http://127.0.0.1:$GATEWAY" "$WARMUP" | awk '/requests in/ { print $1 }')
for round in $(seq 1 "$ROUNDS"); do
  run direct "http://127.0.0.1:$BACKEND"
  run nginx "http://127.0.0.1:$NGINX"
  if [ "${BENCH_PERF:-0}" = 1 ] && [ "$round" = 1 ]; then
    # Samples the gateway while wrk loads it; the JIT's perf map names the managed frames.
    perf record -F 499 -g -o "$WORK/perf.data" -p "$GATEWAY_PID" >/dev/null 2>&1 &
    PERF_PID=$!
  fi
  run gateway "http://127.0.0.1:$GATEWAY"
  if [ "${BENCH_PERF:-0}" = 1 ] && [ "$round" = 1 ]; then
    kill -INT "$PERF_PID"; wait "$PERF_PID" || true
    { perf report -i "$WORK/perf.data" --no-children --sort dso,symbol --stdio -g none 2>&1 | grep -v '^#' | head -80 >"$WORK/perf-self.txt"; } || true
    { perf report -i "$WORK/perf.data" --children --sort symbol --stdio -g caller,0.5,callee --percent-limit 1 2>&1 | grep -v '^#' | head -400 >"$WORK/perf-children.txt"; } || true
    { perf report -i "$WORK/perf.data" --no-children --sort comm --stdio -g none 2>&1 | grep -v '^#' | grep . >"$WORK/perf-threads.txt"; } || true
    echo "profile: $WORK/perf-self.txt (self time), perf-children.txt (inclusive), perf-threads.txt (by thread)" >&2
  fi
done
if [ "$MODE" = chat ]; then
  # Outcome events are written to the outbox off the response path; this shows whether publishing keeps up.
  sleep 2
  BACKLOG=$(psql "$(pg_url | sed "s#/postgres\$#/$DB#")" -Atc \
    "SELECT count(*) || ' written for $GATEWAY_REQUESTS requests (warm-up included), ' || count(*) FILTER (WHERE published_at IS NULL) || ' not yet published 2 s after the last round' FROM outbox_messages" 2>/dev/null || echo "unknown")
fi
for t in direct nginx gateway; do
  RPS[$t]=$(echo "${RPS[$t]}" | median); P50[$t]=$(echo "${P50[$t]}" | median); P99[$t]=$(echo "${P99[$t]}" | median)
done

printf '\n| target | requests/s | p50 ms | p99 ms | rps vs direct | p50 vs direct | p99 vs direct |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for t in direct nginx gateway; do
  awk -v t="$t" -v r="${RPS[$t]}" -v a="${P50[$t]}" -v b="${P99[$t]}" -v r0="${RPS[direct]}" -v a0="${P50[direct]}" -v b0="${P99[direct]}" \
    'BEGIN { printf "| %s | %.0f | %.3f | %.3f | %.2f | %.2f | %.2f |\n", t, r, a, b, r / r0, a / a0, b / b0 }'
done
if [ -n "${BACKLOG:-}" ]; then printf '\nInferenceCompleted outcome events in the gateway outbox: %s\n' "$BACKLOG"; fi
