#!/usr/bin/env bash
# Footprint of the six packaged controllers (see FootprintBench.java and README.md): for N
# Functions and N triggers of each kind, each controller's jar started as its image starts it,
# alone, against a real API server; time to ready, resident memory at ready and once reconciled,
# heap used, threads. Median of ROUNDS rounds, variants of JVM options side by side.
#   bench/footprint/run.sh
# Needs the packaged jars: ./mvnw package -DskipTests -pl <the six modules> -am
# Env: JAVA_HOME (the JDK the images run), SIZES ("0 100 1000"), ROUNDS (3), VARIANTS ("baseline
# image": run-java.sh's options alone, and what the images run, with the AOT cache trained as
# Dockerfile.jvm trains it; see FootprintBench.VARIANTS; <variant>@<directory> runs a variant on
# the applications of another directory, e.g. another packaging), CONTROLLERS (default all six),
# APPS (a directory of <module>/quarkus-run.jar..., default each module's target/quarkus-app),
# MAVEN_ARGS (e.g. -o to build offline).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
for module in function-controller kafka-trigger nats-trigger kinesis-trigger http-trigger \
  cronjob-trigger; do
  jar=${APPS:+$APPS/$module}
  jar=${jar:-$root/$module/target/quarkus-app}
  if [ ! -f "$jar/quarkus-run.jar" ]; then
    echo "no $jar/quarkus-run.jar: ./mvnw package -DskipTests -pl $module -am" >&2
    exit 1
  fi
done

# the bench's classpath: the testing module, the API model, kafka-clients and the Kinesis SDK,
# from the test classpaths of the Kafka and Kinesis triggers (TestingKafka is a Kafka test class)
./mvnw -q ${MAVEN_ARGS:-} -pl kafka-trigger,kinesis-trigger -am test-compile \
  dependency:build-classpath -DskipTests -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/bench-classpath.txt
cp="kafka-trigger/target/test-classes:testing/target/classes:api/target/classes"
cp="$cp:$(cat kafka-trigger/target/bench-classpath.txt)"
cp="$cp:$(cat kinesis-trigger/target/bench-classpath.txt)"

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work" "${kafka_dir:-}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# a KRaft broker in a JVM of its own (bench/kafka/BenchBroker.java)
shm=$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")
kafka_dir=$(mktemp -d "$shm/kafka-footprint.XXXXXX")
"$java" -Xmx512m -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
  -Dkubeless.test.kafka.dir="$kafka_dir" -cp "$cp" bench/kafka/BenchBroker.java \
  >"$work/broker.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do
  grep -q '^bootstrap=' "$work/broker.log" && break
  sleep 0.1
done
bootstrap=$(sed -n 's/^bootstrap=//p' "$work/broker.log")
[ -n "$bootstrap" ] || { cat "$work/broker.log" >&2; exit 1; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo)," \
  "load $(cut -d' ' -f1-3 /proc/loadavg), $("$java" -version 2>&1 | head -1)"
"$java" -Xmx1g -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
  -Dkafka="$bootstrap" -Dsizes="${SIZES:-0 100 1000}" -Drounds="${ROUNDS:-3}" -Didle="${IDLE:-0}" \
  -Dvariants="${VARIANTS:-baseline image}" ${CONTROLLERS:+-Dcontrollers="$CONTROLLERS"} \
  ${APPS:+-Dapps="$APPS"} \
  -cp "$cp" bench/footprint/FootprintBench.java
