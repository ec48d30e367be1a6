#!/usr/bin/env bash
# The Kinesis trigger's engine measured side by side with a baseline in one run (see
# KinesisBench.java):
#   bench/kinesis/run.sh          a stream of SHARDS shards (1): engine vs a bare GetRecords loop
#   bench/kinesis/run.sh shards   the same with 4 shards (a bare thread per shard)
#   bench/kinesis/run.sh stream shards   both
# Both sides drain a stream filled beforehand (RECORDS records of 1 KB) from TRIM_HORIZON, each
# shard in order (the engine with ordering: partition), invoking the same no-op function with the
# same Invoker; the rate is taken from the first delivery to the last. The emulator is
# kinesis-local (io.kubeless.testing.KinesisLocal: npm ci on first use, needs node and npm), started
# and stopped by the Java program on free ports; the function is a runtime with a no-op handler.
# Nothing is written outside a temporary directory (and Maven's target/, testing/kinesis-local/).
# Env: JAVA_HOME (a JDK >= 21), RECORDS (20000), ROUNDS (3), SHARDS (1, the default mode's shards),
# WARMUP (RECORDS/2), FUNCTION (python (default) or nodejs, the runtime with a no-op handler; bare,
# a bare JDK server, to see the engine's own ceiling), READ_INTERVAL_MS (the shortest time between
# two GetRecords of a shard, both sides; the source's default, 200), RECORDS_PER_READ (GetRecords
# Limit, both sides; the source's default, 1000), BENCH_JVM_OPTS (extra flags of the measuring
# JVM, e.g. -Dverbose=true), MAVEN_ARGS (e.g. -o to build offline).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(stream)
for mode in "${modes[@]}"; do
  case $mode in
    stream | shards) ;;
    *) echo "unknown mode '$mode'; use stream or shards" >&2; exit 2 ;;
  esac
done
function=${FUNCTION:-python}
case $function in
  python | nodejs | bare) ;;
  *) echo "unknown FUNCTION '$function'; use python, nodejs or bare" >&2; exit 2 ;;
esac
for number in RECORDS ROUNDS SHARDS WARMUP READ_INTERVAL_MS RECORDS_PER_READ; do
  value=${!number:-}
  if [ -n "$value" ] && ! [[ $value =~ ^[0-9]+$ ]]; then
    echo "$number must be a whole number, not '$value'" >&2
    exit 2
  fi
done
for tool in node npm curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool is not on the PATH (the bench needs it)" >&2; exit 1; }
done
"$java" -version >/dev/null 2>&1 || { echo "no java at '$java'; set JAVA_HOME to a JDK >= 21" >&2; exit 1; }

work=$(mktemp -d)
pids=()
set -m
cleanup() {
  # function_url runs in a command substitution: its process's pid comes back through a file
  [ -f "$work/function.pid" ] && pids+=("$(cat "$work/function.pid")")
  # each is a process group leader (set -m): its group holds what it started (kinesis-local's node)
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

./mvnw -q -pl kinesis-source -am test-compile dependency:build-classpath -DskipTests \
  -Dmdep.includeScope=test -Dmdep.outputFile="$work/classpath.txt" || {
  echo "building kinesis-source failed (see above)" >&2
  exit 1
}
# the reactor's modules come as their target/classes; kinesis-source's own are added first. They
# are copied, so that a rebuild of a module while the bench runs cannot change its classes under it
cp=""
n=0
IFS=: read -ra entries <<<"kinesis-source/target/classes:$(cat "$work/classpath.txt")"
for entry in "${entries[@]}"; do
  if [ -d "$entry" ]; then
    n=$((n + 1))
    mkdir -p "$work/classes/$n"
    cp -R "$entry/." "$work/classes/$n/"
    entry="$work/classes/$n"
  fi
  cp="${cp:+$cp:}$entry"
done

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
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
  # in the background, in a process group of its own that the trap kills whole: the emulator it
  # starts goes with it even when the JVM cannot stop it (SIGKILL)
  "$java" -Xmx2g ${BENCH_JVM_OPTS:-} "${logging[@]}" \
    -Dmaven.multiModuleProjectDirectory="$root" \
    -DfunctionUrl="$url" \
    -DfunctionName="$function$([ "$function" = bare ] && echo " JDK server" || echo " runtime")" \
    -Djava.io.tmpdir="$work" \
    -Drecords="${RECORDS:-20000}" -Drounds="${ROUNDS:-3}" -Dshards="${SHARDS:-1}" \
    ${WARMUP:+-Dwarmup="$WARMUP"} \
    ${READ_INTERVAL_MS:+-DreadIntervalMillis="$READ_INTERVAL_MS"} \
    ${RECORDS_PER_READ:+-DrecordsPerRead="$RECORDS_PER_READ"} \
    -cp "$cp" bench/kinesis/KinesisBench.java "$mode" &
  pids+=($!)
  status=0
  wait "${pids[-1]}" || status=$?
  [ "$status" -eq 0 ] || { echo "the $mode benchmark failed (exit $status)" >&2; exit "$status"; }
done
