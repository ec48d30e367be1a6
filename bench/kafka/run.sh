#!/usr/bin/env bash
# The Kafka trigger's engine next to a bare kafka-clients loop, measured side by side in one run:
# throughput draining 100,000 x 1 KB records (each side twice per round, in ABBA order), and latency
# at a steady 1,000 records/s, in ROUNDS rounds that alternate which side starts; medians reported. Both sides use one in-JVM
# KRaft broker, one no-op Vert.x function server and the same Vert.x HTTP client library, and
# commit each polled batch before sending it (at most once).
# Usage: bench/kafka/run.sh            Env: JAVA_HOME (a JDK >= 21), RECORDS, ROUNDS
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
./mvnw -q -pl kafka-trigger -am test-compile dependency:build-classpath -DskipTests \
  -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
cp="kafka-trigger/target/test-classes:kafka-trigger/target/classes:trigger-core/target/classes"
cp="$cp:api/target/classes:$(cat kafka-trigger/target/bench-classpath.txt)"
# the broker's logs live in memory when /dev/shm exists: disk write-back of one side's 100 MB
# must not slow down the other side's measurement
kafka_dir=$(mktemp -d "$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")/kafka-bench.XXXXXX")
trap 'rm -rf "$kafka_dir"' EXIT
"$java" -Xmx2g -Dkubeless.test.kafka.dir="$kafka_dir" -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
  -Dlog4j2.level=WARN -Drecords="${RECORDS:-100000}" -Drounds="${ROUNDS:-2}" \
  -cp "$cp" bench/kafka/KafkaBench.java
