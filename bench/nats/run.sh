#!/usr/bin/env bash
# The NATS trigger's engine measured side by side with a baseline in one run (see NatsBench.java):
#   bench/nats/run.sh core        engine vs a bare jnats queue subscription + Invoker, in order
#   bench/nats/run.sh jetstream   engine vs a bare jnats pull consumer (fetch 100, ackSync, invoke)
#   bench/nats/run.sh keys        ordering key and none vs the function's own capacity (wrk)
#   bench/nats/run.sh             all three
# A real nats-server (on the PATH or /usr/sbin; apt-get installs it when missing) runs on a free
# port with JetStream, its store in /dev/shm when there is one; the function is a runtime with a
# no-op handler. Nothing is written outside a temporary directory (and Maven's target/).
# Env: JAVA_HOME (a JDK >= 21), MESSAGES (20000), ROUNDS (3), KEYS (1000), WARMUP (MESSAGES/2),
# DURATION (wrk, 10s), FUNCTION (python (default) or nodejs, the runtime with a no-op handler; bare,
# a bare JDK server, to see the engine's own ceiling), BENCH_JVM_OPTS (extra flags of the measuring
# JVM, e.g. -DmaxInFlight=128, or -DbatchSize=300: the engine's JetStream fetch, i.e.
# kubeless.nats.batch-size), MAVEN_ARGS (e.g. -o to build offline).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(core jetstream keys)
for mode in "${modes[@]}"; do
  case $mode in
    core | jetstream | keys) ;;
    *) echo "unknown mode '$mode'; use core, jetstream or keys" >&2; exit 2 ;;
  esac
done
function=${FUNCTION:-python}
case $function in
  python | nodejs | bare) ;;
  *) echo "unknown FUNCTION '$function'; use python, nodejs or bare" >&2; exit 2 ;;
esac

missing=()
command -v wrk >/dev/null || missing+=(wrk)
nats_server=$(command -v nats-server || true)
if [ -z "$nats_server" ] && [ -x /usr/sbin/nats-server ]; then nats_server=/usr/sbin/nats-server; fi
[ -n "$nats_server" ] || missing+=(nats-server)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  nats_server=$(command -v nats-server || echo /usr/sbin/nats-server)
fi
[ -x "$nats_server" ] || { echo "nats-server is not installed (apt-get install nats-server)" >&2; exit 1; }

work=$(mktemp -d)
store=""
pids=()
set -m
cleanup() {
  # function_url runs in a command substitution: its process's pid comes back through a file
  [ -f "$work/function.pid" ] && pids+=("$(cat "$work/function.pid")")
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work" "$store"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

./mvnw -q -pl nats-source -am test-compile dependency:build-classpath -DskipTests \
  -Dmdep.includeScope=test -Dmdep.outputFile="$work/classpath.txt"
# the reactor's modules come as their target/classes; nats-source's own are added first
cp="nats-source/target/classes:$(cat "$work/classpath.txt")"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# the JetStream store lives in memory when /dev/shm exists: disk write-back of one side's messages
# must not slow down the other side's measurement
store=$(mktemp -d "$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")/nats-bench.XXXXXX")
nats_port=$(free_port)
"$nats_server" -a 127.0.0.1 -p "$nats_port" -js -sd "$store" >"$work/nats-server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do
  grep -q 'Server is ready' "$work/nats-server.log" && break
  kill -0 "${pids[-1]}" 2>/dev/null || break
  sleep 0.1
done
grep -q 'Server is ready' "$work/nats-server.log" || {
  echo "nats-server did not start:" >&2
  cat "$work/nats-server.log" >&2
  exit 1
}

# function_url RUNTIME: starts runtimes/RUNTIME/run with a no-op handler (or, for 'bare', the
# bare JDK server of bench/runtimes); prints its URL
function_url() {
  local lang=$1 volume="$work/$1-volume" port
  port=$(free_port)
  mkdir -p "$volume"
  local command=("$root/runtimes/$lang/run")
  case $lang in
    python) printf 'def handler(event, context):\n    return ""\n' >"$volume/noop.py" ;;
    nodejs) printf 'module.exports = { handler: (event, context) => "" };\n' >"$volume/noop.js" ;;
    bare) command=("$java" "$root/bench/runtimes/BareServer.java") ;;
  esac
  KUBELESS_INSTALL_VOLUME="$volume" MOD_NAME=noop FUNC_HANDLER=handler FUNC_TIMEOUT=180 \
    FUNC_PORT=$port "${command[@]}" >"$work/function.log" 2>&1 &
  echo $! >"$work/function.pid"
  for _ in $(seq 1 600); do
    if curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
      echo "http://127.0.0.1:$port/"
      return 0
    fi
    sleep 0.1
  done
  echo "the $lang function did not start:" >&2
  cat "$work/function.log" >&2
  return 1
}
url=$(function_url "$function")

# the engine's own INFO lines (a binding per turn) would drown the figures
printf 'logger.level=WARN\nlogger.handlers=CONSOLE\nhandler.CONSOLE=org.jboss.logmanager.handlers.ConsoleHandler\nhandler.CONSOLE.properties=autoFlush,target\nhandler.CONSOLE.autoFlush=true\nhandler.CONSOLE.target=SYSTEM_ERR\n' \
  >"$work/logging.properties"
logging=(-Djava.util.logging.manager=org.jboss.logmanager.LogManager
  -Dlogging.configuration="file:$work/logging.properties")
for mode in "${modes[@]}"; do
  echo "== $mode"
  "$java" -Xmx2g ${BENCH_JVM_OPTS:-} "${logging[@]}" \
    -DnatsUrl="nats://127.0.0.1:$nats_port" -DfunctionUrl="$url" \
    -DfunctionName="$function$([ "$function" = bare ] && echo " JDK server" || echo " runtime")" \
    -DworkDir="$work" -Djava.io.tmpdir="$work" \
    -Dmessages="${MESSAGES:-20000}" -Drounds="${ROUNDS:-3}" -Dkeys="${KEYS:-1000}" \
    ${WARMUP:+-Dwarmup="$WARMUP"} -Dduration="${DURATION:-10s}" \
    -cp "$cp" bench/nats/NatsBench.java "$mode"
done
