#!/usr/bin/env bash
# The built-in HTTP gateway measured side by side with calling the function directly, in one run:
# wrk with CONNECTIONS keep-alive connections for throughput (and its latency under load), then
# one connection for the latency the gateway adds to a lone request. Rounds alternate direct and
# gateway; the median round of each is reported, with the ratios.
#   bench/http/run.sh
# The function is FUNCTION: bare (default; bench/runtimes/BareServer.java, a JDK hello-world
# server, so that the gateway's own cost shows) or python (runtimes/python/run with a no-op
# handler). The gateway runs in its own JVM (GatewayBench.java) with one server per event loop.
# Then, at a fixed rate of RATE_PERCENT (30) % of the round's direct throughput (vegeta, an open model:
# requests leave on schedule whether or not earlier ones returned), the latency the gateway adds
# where neither side is saturated, which a closed-loop wrk at saturation cannot show (its latency
# there is the queue in front of the slower side).
# PIN=1 gives the gateway cores of its own, as in a cluster where the http-trigger pods and the
# functions run apart: the function and the load generator on the first half of the cores, the
# gateway on the other half (taskset); both sides then give the function the same cores.
# Env: JAVA_HOME (a JDK >= 21), CONNECTIONS (64), THREADS (wrk threads, 2), DURATION (10s),
# WARMUP (10s), ROUNDS (3), RATE_PERCENT (30; 0 leaves the fixed-rate part out), PIN (0),
# GATEWAY_JVM_OPTS (extra flags of the gateway's JVM, e.g.
# -XX:StartFlightRecording=filename=/tmp/gateway.jfr,settings=profile), MAVEN_ARGS (e.g. -o to
# build offline).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/bench/http"
cd "$root"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
duration=${DURATION:-10s}
warmup=${WARMUP:-10s}
rounds=${ROUNDS:-3}
function=${FUNCTION:-bare}
case $function in
  bare | python) ;;
  *) echo "unknown FUNCTION '$function'; use bare or python" >&2; exit 2 ;;
esac
rate_percent=${RATE_PERCENT:-30}
# on_function and on_gateway run a command on the cores of each (all of them unless PIN=1)
on_function=()
on_gateway=()
placement="shared cores"
if [ "${PIN:-0}" = 1 ]; then
  cores=$(nproc)
  [ "$cores" -ge 2 ] || { echo "PIN=1 needs at least 2 cores" >&2; exit 2; }
  half=$((cores / 2))
  on_function=(taskset -c "0-$((half - 1))")
  on_gateway=(taskset -c "$half-$((cores - 1))")
  placement="function and load on cores 0-$((half - 1)), gateway on $half-$((cores - 1))"
fi
if ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
# vegeta from the Go module proxy, built once into a cache directory
vegeta=$(command -v vegeta || true)
if [ -z "$vegeta" ] && [ "$rate_percent" != 0 ]; then
  bin="${XDG_CACHE_HOME:-$HOME/.cache}/kubeless-bench/bin"
  if [ ! -x "$bin/vegeta" ]; then
    command -v go >/dev/null || { echo "vegeta needs Go to build (or RATE_PERCENT=0)" >&2; exit 1; }
    GOBIN="$bin" go install github.com/tsenart/vegeta/v12@v12.13.0
  fi
  vegeta="$bin/vegeta"
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# http-source and the project modules it uses as Maven installed them (./mvnw install)
./mvnw -q ${MAVEN_ARGS:-} -pl http-source compile dependency:build-classpath \
  -Dmdep.outputFile="$work/classpath.txt"
cp="http-source/target/classes:$(cat "$work/classpath.txt")"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# await_http PORT NAME LOG: waits until something answers HTTP on PORT
await_http() {
  for _ in $(seq 1 600); do
    curl -s -o /dev/null "http://127.0.0.1:$1/" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$2 did not start:" >&2
  cat "$3" >&2
  exit 1
}

function_port=$(free_port)
volume="$work/volume"
mkdir -p "$volume"
case $function in
  bare) command=("$java" "$root/bench/runtimes/BareServer.java") ;;
  python)
    printf 'def handler(event, context):\n    return "hello world"\n' >"$volume/noop.py"
    command=("$root/runtimes/python/run")
    ;;
esac
KUBELESS_INSTALL_VOLUME="$volume" MOD_NAME=noop FUNC_HANDLER=handler FUNC_TIMEOUT=180 \
  FUNC_PORT=$function_port "${on_function[@]}" "${command[@]}" >"$work/function.log" 2>&1 &
pids+=($!)
await_http "$function_port" "the $function function" "$work/function.log"

printf 'logger.level=WARN\nlogger.handlers=CONSOLE\nhandler.CONSOLE=org.jboss.logmanager.handlers.ConsoleHandler\nhandler.CONSOLE.properties=autoFlush,target\nhandler.CONSOLE.autoFlush=true\nhandler.CONSOLE.target=SYSTEM_ERR\n' \
  >"$work/logging.properties"
gateway_port=$(free_port)
"${on_gateway[@]}" "$java" -Xmx512m ${GATEWAY_JVM_OPTS:-} -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
  -Dlogging.configuration="file:$work/logging.properties" \
  -Dport="$gateway_port" -DfunctionUrl="http://127.0.0.1:$function_port/" \
  -cp "$cp" "$here/GatewayBench.java" >"$work/gateway.log" 2>&1 &
pids+=($!)
await_http "$gateway_port" "the gateway" "$work/gateway.log"

# measure NAME PORT CONNECTIONS THREADS: appends "NAME req/s p50_us p99_us" of one wrk round
measure() {
  "${on_function[@]}" wrk -t"$4" -c"$3" -d"$duration" --latency "http://127.0.0.1:$2/" >"$work/$1.wrk"
  awk -v name="$1" '
    function us(v) {
      if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000; if (v ~ /s$/) return v * 1000000
      return v
    }
    /Requests\/sec/ {rps=$2} $1=="50%" {p50=us($2)} $1=="99%" {p99=us($2)}
    END {printf "%s %.0f %.0f %.0f\n", name, rps, p50, p99}' "$work/$1.wrk" >>"$work/rounds"
}

# fixed NAME PORT RATE: appends "NAME req/s p50_us p99_us" of one vegeta round at RATE req/s; a
# round that fails (vegeta itself, or a request) is recorded in $work/fixed-errors instead, so the
# wrk rounds are still reported
fixed() {
  if ! echo "GET http://127.0.0.1:$2/" \
    | "${on_function[@]}" "$vegeta" attack -rate="$3" -duration="$duration" 2>"$work/$1.err" \
    | "$vegeta" report -type=json >"$work/$1.json" 2>>"$work/$1.err"; then
    local waiting
    waiting=$(ss -tan state time-wait 2>/dev/null | tail -n +2 | wc -l)
    echo "$1 at $3 req/s: vegeta failed ($waiting sockets in TIME-WAIT):" \
      "$(tail -n 3 "$work/$1.err" | tr '\n' ' ')" >>"$work/fixed-errors"
    return 0
  fi
  python3 -c '
import json, sys
r = json.load(open(sys.argv[2]))
if r["success"] < 1:
    sys.exit("%s: %.1f %% of the requests failed: %s" % (sys.argv[1], 100 - 100 * r["success"], r.get("errors")))
l = r["latencies"]
print(sys.argv[1], round(r["throughput"]), round(l["50th"] / 1000), round(l["99th"] / 1000))
' "$1" "$work/$1.json" >>"$work/rounds" 2>>"$work/fixed-errors" || true
}

for port in "$function_port" "$gateway_port"; do
  "${on_function[@]}" wrk -t"$threads" -c"$connections" -d"$warmup" "http://127.0.0.1:$port/" >/dev/null
done
: >"$work/rounds"
for _ in $(seq 1 "$rounds"); do
  measure direct-load "$function_port" "$connections" "$threads"
  measure gateway-load "$gateway_port" "$connections" "$threads"
  measure direct-single "$function_port" 1 1
  measure gateway-single "$gateway_port" 1 1
  if [ "$rate_percent" != 0 ]; then
    rate=$(awk -v p="$rate_percent" '$1 == "direct-load" {r = $2} END {printf "%d", r * p / 100}' "$work/rounds")
    echo "$rate" >>"$work/rates"
    fixed direct-rate "$function_port" "$rate"
    fixed gateway-rate "$gateway_port" "$rate"
  fi
done

# median SIDE [COLUMN]: the median round of SIDE by COLUMN (2: req/s; 3: p50, for the fixed-rate sides)
median() { grep "^$1 " "$work/rounds" | sort -k"${2:-2}","${2:-2}"n | sed -n "$(((rounds + 1) / 2))p"; }
echo "function: $function; wrk -t$threads -c$connections and -t1 -c1, -d$duration each, median of $rounds rounds, $(nproc) cores, $placement"
printf '%-16s %10s %10s %10s\n' side req/s p50_us p99_us
sides=(direct-load gateway-load direct-single gateway-single)
# the fixed-rate part is reported only when every one of its rounds ran
fixed_ok=0
[ "$rate_percent" = 0 ] || [ -s "$work/fixed-errors" ] || fixed_ok=1
[ "$fixed_ok" = 0 ] || sides+=(direct-rate gateway-rate)
for side in "${sides[@]}"; do
  column=2
  [[ $side == *-rate ]] && column=3
  median "$side" "$column" | awk '{printf "%-16s %10s %10s %10s\n", $1, $2, $3, $4}'
done
{ median direct-load; median gateway-load; median direct-single; median gateway-single; } | awk '
  {rps[NR]=$2; p50[NR]=$3; p99[NR]=$4}
  END {
    printf "throughput gateway/direct: %.2fx under load (-c%s), %.2fx on one connection\n", rps[2]/rps[1], c, rps[4]/rps[3]
    printf "added latency, one connection: p50 %+.0f us, p99 %+.0f us\n", p50[4]-p50[3], p99[4]-p99[3]
    printf "added latency, under load:     p50 %+.0f us, p99 %+.0f us\n", p50[2]-p50[1], p99[2]-p99[1]
  }' c="$connections"
if [ "$rate_percent" != 0 ] && [ "$fixed_ok" = 0 ]; then
  echo "NOT VALID: the fixed-rate part ($rate_percent% of the direct throughput) failed:"
  sed 's/^/  /' "$work/fixed-errors"
elif [ "$fixed_ok" = 1 ]; then
  rate=$(sort -n "$work/rates" | sed -n "$(((rounds + 1) / 2))p")
  { median direct-rate 3; median gateway-rate 3; } | awk -v p="$rate_percent" -v rate="$rate" -v rates="$(tr '\n' ' ' <"$work/rates")" '
    {rps[NR]=$2; p50[NR]=$3; p99[NR]=$4}
    END {
      printf "added latency at %s%% of the direct throughput (vegeta, rates %sreq/s): p50 %+.0f us, p99 %+.0f us\n", p, rates, p50[2]-p50[1], p99[2]-p99[1]
      if (rps[1] < 0.95 * rate || rps[2] < 0.95 * rate)
        printf "NOT VALID: a side did not keep the rate (%d and %d req/s of %d): the machine was saturated\n", rps[1], rps[2], rate
    }'
fi
