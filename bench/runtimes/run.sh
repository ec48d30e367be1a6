#!/usr/bin/env bash
# Hello-world throughput of each runtime next to a bare server on the same HTTP library, measured
# side by side in one run: both servers run at once, each is warmed up, then ROUNDS alternating
# rounds of wrk -t2 -c10 -d10s against each; the round with the median req/s is reported (req/s,
# p50, p99) with the runtime/bare ratio of the medians. Alternating rounds keep a noisy neighbour
# on a 2-core machine from favouring one side.
# A second figure per runtime keeps the concurrency of I/O-bound handlers visible: a handler that
# waits 100 ms (bench/runtimes/functions/wait100.*) under 20 concurrent connections, whose ideal is
# 20 / 0.1 s = 200 req/s (a runtime that ran them one at a time would give 10).
# Usage: bench/runtimes/run.sh [python] [nodejs] [java] [php] [ruby] [go] ...     (default: all)
# Env: DURATION (10s), WARMUP (5s), ROUNDS (3), JAVA_HOME (a JDK >= 21; default: java on the PATH).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
duration=${DURATION:-10s}
warmup=${WARMUP:-5s}
rounds=${ROUNDS:-3}
langs=("$@")
[ ${#langs[@]} -gt 0 ] || langs=(python nodejs java php ruby go)

if ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
if [[ " ${langs[*]} " == *" java "* && ! -f "$root/runtimes/java/target/kubeless-runtime-java.jar" ]]; then
  (cd "$root" && ./mvnw -q -f runtimes/pom.xml package -DskipTests)
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=18500
# start NAME COMMAND...: starts a server on $port (FUNC_PORT) and waits until it answers.
start() {
  local name=$1
  shift
  port=$((port + 1))
  FUNC_PORT=$port "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 600); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
    curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$name did not start:" >&2
  cat "$work/$name.log" >&2
  exit 1
}

# measure NAME PORT [CONNECTIONS]: prints "NAME req/s p50 p99" of one wrk round (10 connections
# unless said) against the server on PORT.
measure() {
  wrk -t2 -c"${3:-10}" -d"$duration" --latency "http://127.0.0.1:$2/" >"$work/$1.wrk"
  awk -v name="$1" '/Requests\/sec/ {rps=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2}
    END {printf "%s %.0f %s %s\n", name, rps, p50, p99}' "$work/$1.wrk"
}

# compare LANG BARE_PORT RUNTIME_PORT: warms both up, runs the rounds, appends the medians.
compare() {
  wrk -t2 -c10 -d"$warmup" "http://127.0.0.1:$2/" >/dev/null
  wrk -t2 -c10 -d"$warmup" "http://127.0.0.1:$3/" >/dev/null
  : >"$work/$1.rounds"
  for _ in $(seq 1 "$rounds"); do
    measure "$1-bare" "$2" >>"$work/$1.rounds"
    measure "$1-runtime" "$3" >>"$work/$1.rounds"
  done
  for side in bare runtime; do
    grep "^$1-$side " "$work/$1.rounds" | sort -k2,2n | sed -n "$(((rounds + 1) / 2))p" >>"$results"
  done
}

# runtime LANG FUNCTION_FILE [NAME]: starts runtimes/LANG/run on a copy of the function (a path
# relative to bench/runtimes, or a test function of the runtime).
runtime() {
  local lang=$1 file=$2 name=${3:-$1-runtime}
  local volume="$work/$name-volume" source="$here/$file"
  [ -f "$source" ] || source="$root/runtimes/$lang/src/test/resources/functions/$file"
  mkdir -p "$volume"
  cp "$source" "$volume/"
  file=$(basename "$file")
  KUBELESS_INSTALL_VOLUME="$volume" MOD_NAME="${file%.*}" FUNC_HANDLER=handler FUNC_TIMEOUT=180 \
    start "$name" "$root/runtimes/$lang/run"
}

# concurrency LANG FUNCTION_FILE: req/s of 20 connections against the 100 ms I/O-bound handler.
concurrency() {
  runtime "$1" "$2" "$1-io"
  if [ "$(curl -fsS "http://127.0.0.1:$port/")" != done ]; then
    echo "$1's wait100 function does not answer 'done':" >&2
    cat "$work/$1-io.log" >&2
    exit 1
  fi
  wrk -t2 -c20 -d"$warmup" "http://127.0.0.1:$port/" >/dev/null
  measure "$1-io" "$port" 20 >>"$io_results"
}

results="$work/results"
io_results="$work/io-results"
: >"$io_results"
for lang in "${langs[@]}"; do
  case $lang in
    python) start python-bare python3 "$here/bare_server.py"; runtime python hello.py ;;
    nodejs) start nodejs-bare node "$here/bare_server.js"; runtime nodejs hello.js ;;
    java) start java-bare "$java" "$here/BareServer.java"; runtime java Hello.java ;;
    php) start php-bare php "$here/bare_server.php"; runtime php hello.php ;;
    ruby) start ruby-bare ruby "$here/bare_server.rb"; runtime ruby hello.rb ;;
    go)
      (cd "$here" && go build -o "$work/bare-go" bare_server.go)
      start go-bare "$work/bare-go"; runtime go hello.go ;;
    *) echo "unknown runtime: $lang" >&2; exit 2 ;;
  esac
  compare "$lang" $((port - 1)) "$port"
  kill "${pids[@]}" 2>/dev/null || true
  case $lang in
    python) concurrency python functions/wait100.py ;;
    nodejs) concurrency nodejs functions/wait100.js ;;
    java) concurrency java functions/Wait100.java ;;
    php) concurrency php functions/wait100.php ;;
    ruby) concurrency ruby functions/wait100.rb ;;
    go) concurrency go functions/wait100.go ;;
  esac
  kill "${pids[@]}" 2>/dev/null || true
done

echo "wrk -t2 -c10 -d$duration, hello world, median of $rounds rounds, $(nproc) cores"
printf '%-16s %10s %10s %10s %14s\n' server req/s p50 p99 runtime/bare
awk '{rps[$1]=$2; line[NR]=$0}
  END {for (i=1; i<=NR; i++) {split(line[i], f, " "); lang=f[1]; sub(/-.*/, "", lang);
    ratio = (f[1] ~ /runtime$/ && rps[lang "-bare"] > 0) ? sprintf("%.2f", f[2]/rps[lang "-bare"]) : "";
    printf "%-16s %10s %10s %10s %14s\n", f[1], f[2], f[3], f[4], ratio}}' "$results"
echo
echo "wrk -t2 -c20 -d$duration, a handler waiting 100 ms (I/O-bound), ideal 200 req/s"
printf '%-16s %10s %10s %10s %14s\n' server req/s p50 p99 of-ideal
awk '{printf "%-16s %10s %10s %10s %14.2f\n", $1, $2, $3, $4, $2 / 200}' "$io_results"
