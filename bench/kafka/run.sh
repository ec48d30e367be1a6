#!/usr/bin/env bash
# The Kafka trigger's engine measured side by side with a baseline in one run (see KafkaBench.java):
#   bench/kafka/run.sh throughput   engine vs a bare kafka-clients loop: drain rate and latency
#   bench/kafka/run.sh keys         ordering key vs the function's own capacity (wrk), and partition
#   bench/kafka/run.sh bindings     threads and heap for 1, 100 and 500 bindings in one process
#   bench/kafka/run.sh              all three
# The broker runs in a JVM of its own. Env: JAVA_HOME (a JDK >= 21), RECORDS, ROUNDS, KEYS,
# BENCH_JVM_OPTS (extra flags of the measuring JVM, e.g. -DmaxInFlight=128), FUNCTION (the function
# of 'keys': python (default) or nodejs, the runtime with a no-op handler; bare, a bare JDK server,
# to see the engine's own ceiling).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(throughput keys bindings)
if ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
./mvnw -q -pl kafka-trigger -am test-compile dependency:build-classpath -DskipTests \
  -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
cp="kafka-trigger/target/test-classes:kafka-trigger/target/classes:trigger-engine/target/classes"
cp="$cp:trigger-kubernetes/target/classes:testing/target/classes:api/target/classes"
cp="$cp:$(cat kafka-trigger/target/bench-classpath.txt)"
work=$(mktemp -d)
pids=()
set -m
cleanup() {
  # function_url runs in a command substitution: its process's pid comes back through a file
  [ -f "$work/function.pid" ] && pids+=("$(cat "$work/function.pid")")
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work" "${kafka_dir:-}"
}
trap cleanup EXIT

# the broker's logs live in memory when /dev/shm exists: disk write-back of one side's 100 MB
# must not slow down the other side's measurement
kafka_dir=$(mktemp -d "$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")/kafka-bench.XXXXXX")
logging=(-Djava.util.logging.manager=org.jboss.logmanager.LogManager)
"$java" -Xmx1g "${logging[@]}" -Dkubeless.test.kafka.dir="$kafka_dir" -cp "$cp" \
  bench/kafka/BenchBroker.java >"$work/broker.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do
  grep -q '^bootstrap=' "$work/broker.log" && break
  sleep 0.1
done
bootstrap=$(sed -n 's/^bootstrap=//p' "$work/broker.log")
[ -n "$bootstrap" ] || { cat "$work/broker.log" >&2; exit 1; }

# function_url RUNTIME: starts runtimes/RUNTIME/run with a no-op handler (or, for 'bare', the
# bare JDK server of bench/runtimes); prints its URL
function_url() {
  local lang=$1 volume="$work/$1-volume" port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$volume"
  local command=("$root/runtimes/$lang/run")
  case $lang in
    python) printf 'def handler(event, context):\n    return ""\n' >"$volume/noop.py" ;;
    nodejs) printf 'module.exports = { handler: (event, context) => "" };\n' >"$volume/noop.js" ;;
    bare) command=("$java" "$root/bench/runtimes/BareServer.java") ;;
    *) echo "unknown function runtime: $lang" >&2; exit 2 ;;
  esac
  KUBELESS_INSTALL_VOLUME="$volume" MOD_NAME=noop FUNC_HANDLER=handler FUNC_TIMEOUT=180 \
    FUNC_PORT=$port "${command[@]}" >"$work/function.log" 2>&1 &
  echo $! >"$work/function.pid"
  for _ in $(seq 1 600); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  echo "http://127.0.0.1:$port/"
}

for mode in "${modes[@]}"; do
  echo "== $mode"
  extra=()
  if [ "$mode" = keys ]; then
    extra=(-DfunctionUrl="$(function_url "${FUNCTION:-python}")" -DfunctionName="${FUNCTION:-python} runtime")
  fi
  "$java" -Xmx2g ${BENCH_JVM_OPTS:-} -Dkubeless.test.kafka.bootstrap="$bootstrap" "${logging[@]}" \
    -Drecords="${RECORDS:-100000}" -Drounds="${ROUNDS:-5}" -Dkeys="${KEYS:-1000}" "${extra[@]}" \
    -cp "$cp" bench/kafka/KafkaBench.java "$mode"
done
