#!/usr/bin/env bash
# Start-up of the main command: seconds from `./kubeless local up` to the first successful call of a
# Python function with a KafkaTrigger bound to it (embedded broker; fresh state each round, deps
# none), next to the bare Python runtime started alone to its first successful call, in the same
# rounds (alternating which goes first). The build is done once before the rounds.
# Usage: bench/local/run.sh        Env: ROUNDS (default 5)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
rounds=${ROUNDS:-5}
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
./kubeless version >/dev/null   # builds on first use; not measured

mkdir -p "$work/app"
cat >"$work/app/app.yaml" <<'YAML'
apiVersion: kubeless.io/v1beta1
kind: Function
metadata: {name: hello, labels: {app: hello}}
spec:
  runtime: python3.12
  handler: hello.handler
  function: |
    def handler(event, context):
        return "hello"
---
apiVersion: kubeless.io/v1beta1
kind: KafkaTrigger
metadata: {name: orders}
spec:
  topic: orders
  functionSelector: {matchLabels: {app: hello}}
YAML
printf 'def handler(event, context):\n    return "hello"\n' >"$work/hello.py"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
since() { python3 -c 'import sys, time; print(time.time() - float(sys.argv[1]))' "$1"; }
# until_ok URL: polls until a POST answers 200
until_ok() { until curl -fs -o /dev/null -X POST -d x "$1" 2>/dev/null; do sleep 0.02; done; }

# until_consuming LOG START: seconds until the trigger reports its binding to the function consuming
until_consuming() { until grep -q 'hello=Consuming' "$1"; do sleep 0.02; done; since "$2"; }

local_up() {
  local state="$work/state-$1" log="$work/up-$1.log" start url
  start=$(now)
  ./kubeless local up "$work/app" --state-dir "$state" --kafka-port "$(free_port)" >"$log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  until url=$(sed -n 's/^  function hello (.*) at //p' "$log" 2>/dev/null) && [ -n "$url" ]; do sleep 0.02; done
  until_ok "$url"
  echo "$(since "$start") $(until_consuming "$log" "$start")"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
}

bare() {
  local port start pid
  port=$(free_port)
  start=$(now)
  KUBELESS_INSTALL_VOLUME="$work" MOD_NAME=hello FUNC_HANDLER=handler FUNC_TIMEOUT=180 FUNC_PORT=$port \
    runtimes/python/run >/dev/null 2>&1 &
  pid=$!
  pids+=("$pid")
  until_ok "http://127.0.0.1:$port/"
  since "$start"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
}

ups=(); consuming=(); bares=()
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then u=$(local_up "$round"); b=$(bare); else b=$(bare); u=$(local_up "$round"); fi
  read -r call consume <<<"$u"
  ups+=("$call"); consuming+=("$consume"); bares+=("$b")
  printf 'round %d: local up to the first call %.2f s (trigger consuming %.2f s), bare Python runtime %.2f s\n' \
    "$round" "$call" "$consume" "$b"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mu=$(median "${ups[@]}"); mc=$(median "${consuming[@]}"); mb=$(median "${bares[@]}")
printf '\nmedian of %d rounds, %d cores: local up to the first call %.2f s (goal <= 10 s), to the trigger consuming %.2f s; bare runtime %.2f s; ratio %.1fx\n' \
  "$rounds" "$(nproc)" "$mu" "$mc" "$mb" "$(python3 -c 'import sys; print(float(sys.argv[1]) / float(sys.argv[2]))' "$mu" "$mb")"
