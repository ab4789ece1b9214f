#!/usr/bin/env bash
# The suite's memory and start-up time under the AppHost (`./platform up`) against the former launcher
# (`./platform up --processes`), one after the other in the same run, each from cold data (docs/apphost.md).
#
#   scripts/measure-suite.sh [apphost-port-base] [processes-port-base]
#
# For each mode: seconds from `up -d --no-build` to its return (every resource healthy), then, after 30 s
# of rest, RSS and PSS (smaps_rollup) summed over every process of the suite: under the AppHost the
# AppHost, its orchestrator (DCP) and dashboard, the `dotnet run` of each project, the services and the
# servers; as processes the services and servers this checkout starts on ports of its own (PLATFORM_*_PORT
# below), so that no other user's data is counted. SCREENSHOT=1 also runs scripts/dashboard-screenshot.sh
# while the AppHost is up. Build first: dotnet build AppHost/AppHost.csproj -c Release.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
APPHOST_BASE=${1:-7100} PROCESSES_BASE=${2:-7200}
OUT=.platform/measure/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"

# pids and all their descendants
tree() {
  ps -eo pid=,ppid= | awk -v roots="$*" '
    BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1 }
    { parent[$1] = $2 }
    END { do { grew = 0; for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; grew = 1 } } while (grew)
          for (p in keep) print p }'
}

# "kind rss_kib pss_kib" per process, then the sums per kind and in all
measure() { # label pid...
  local label=$1 pid kind rss pss cmd
  shift
  for pid in $(tree "$@"); do
    [[ -r /proc/$pid/status ]] || continue
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
    pss=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null)
    [[ -n $rss ]] || continue # a zombie or a kernel thread
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)
    case $cmd in
      *AppHost.dll*) kind=apphost ;;
      *Aspire.Dashboard*) kind=dashboard ;;
      *"/dcp "*) kind=dcp ;;
      "dotnet run "*) kind="dotnet-run" ;;
      *postgres*) kind=postgres ;;
      redis-server*) kind=redis ;;
      *beam.smp* | *epmd* | *erl_child_setup* | *inet_gethost* | *rabbitmq-server* | /bin/sh*rabbit*) kind=rabbitmq ;;
      "dotnet "*"/bin/Release/net10.0/"*.dll*) kind=$(basename "${cmd#* }" | sed 's/\.dll.*//' | tr '[:upper:]' '[:lower:]') ;;
      */bin/Release/net10.0/*) kind=$(basename "${cmd%% *}" | tr '[:upper:]' '[:lower:]') ;;
      *) kind="other:$(basename "${cmd%% *}")" ;;
    esac
    printf '%s %s %s\n' "$kind" "$rss" "${pss:-0}"
  done | tee "$OUT/$label.processes" | awk -v label="$label" '
    { rss[$1] += $2; pss[$1] += $3; n[$1]++; trss += $2; tpss += $3; tn++ }
    END {
      printf "%s: %d processes, RSS %.0f MiB, PSS %.0f MiB\n", label, tn, trss / 1024, tpss / 1024
      for (k in rss) printf "  %-16s %3d proc  RSS %6.0f MiB  PSS %6.0f MiB\n", k, n[k], rss[k] / 1024, pss[k] / 1024
    }' | tee "$OUT/$label.summary"
}

step() { printf '==> %s\n' "$*"; }

# --- Under the AppHost -----------------------------------------------------------------------
./platform down --profile measure-apphost --purge >/dev/null 2>&1 || true
step "up -d (AppHost), port base $APPHOST_BASE"
started=$(date +%s.%N)
./platform up -d --no-build --profile measure-apphost --port-base "$APPHOST_BASE" --timeout 600 | tee "$OUT/apphost.up"
echo "apphost: up -d returned, every resource healthy, after $(echo "$(date +%s.%N) - $started" | bc | xargs printf '%.1f') s" | tee "$OUT/apphost.time"
sleep 30
apphost=$(cat .platform/run/measure-apphost/apphost.pid)
dcp=$(pgrep -f -- "start-apiserver --monitor $apphost( |$)")
measure apphost "$apphost" $dcp
if [[ ${SCREENSHOT:-0} == 1 ]]; then scripts/dashboard-screenshot.sh measure-apphost "$APPHOST_BASE" | tee "$OUT/screenshot"; fi
./platform down --profile measure-apphost --purge

# --- As processes over infrastructure of this checkout's own ---------------------------------
export PLATFORM_PG_PORT=35432 PLATFORM_REDIS_PORT=36379 PLATFORM_AMQP_PORT=35672 PLATFORM_RABBITMQ_MGMT_PORT=35673 \
  PLATFORM_RABBITMQ_DIST_PORT=35674 PLATFORM_EPMD_PORT=34369
# Cold servers of the run's own, as the AppHost's were: this checkout's infrastructure folder is moved aside and put back.
for pidfile in .platform/infra/redis/redis.pid .platform/infra/rabbitmq/rabbitmq.pid; do
  if [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "measure-suite: this checkout's ./platform infra is running; stop it first (./platform infra down)" >&2
    exit 1
  fi
done
if [[ -e .platform/infra ]]; then mv .platform/infra "$OUT/infra-before"; fi
trap 'rm -rf .platform/infra; if [[ -e $OUT/infra-before ]]; then mv "$OUT/infra-before" .platform/infra; fi' EXIT
step "up -d --processes, port base $PROCESSES_BASE, infrastructure on 35432/36379/35672"
started=$(date +%s.%N)
./platform up -d --processes --no-build --profile measure-processes --port-base "$PROCESSES_BASE" --timeout 600 | tee "$OUT/processes.up"
echo "processes: up -d returned, infrastructure and every service healthy, after $(echo "$(date +%s.%N) - $started" | bc | xargs printf '%.1f') s" | tee "$OUT/processes.time"
sleep 30
roots=$(awk '{ print $2 }' .platform/run/measure-processes/pids)
roots+=" $(head -n 1 .platform/infra/postgres/data/postmaster.pid) $(cat .platform/infra/redis/redis.pid .platform/infra/rabbitmq/rabbitmq.pid .platform/infra/rabbitmq/epmd.pid)"
# shellcheck disable=SC2086
measure processes $roots
./platform down --profile measure-processes --purge
echo "Figures in $OUT"
