#!/usr/bin/env bash
# The cron source under load (see CronBench.java): TRIGGERS CronJobTriggers firing every second on
# one engine (one replica), against a real HTTP function on loopback, for DURATION seconds; prints
# duplicates and gaps (both must be 0) and the lateness p50/p99 of the calls.
#   bench/cron/run.sh
# Env: JAVA_HOME (a JDK >= 21), TRIGGERS (1000), DURATION (seconds measured, 30), WARMUP (seconds not
# measured first, 10), BENCH_JVM_OPTS (extra JVM flags),
# MAVEN_ARGS (e.g. -o to build offline). Nothing is written outside a temporary directory (and
# Maven's target/).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

./mvnw -q ${MAVEN_ARGS:-} -pl cron-source test-compile dependency:build-classpath -DskipTests \
  -Dmdep.includeScope=test -Dmdep.outputFile="$work/classpath.txt"
cp="cron-source/target/classes:$(cat "$work/classpath.txt")"

# the engine's INFO lines (one per binding) would drown the figures
printf 'logger.level=WARN\nlogger.handlers=CONSOLE\nhandler.CONSOLE=org.jboss.logmanager.handlers.ConsoleHandler\nhandler.CONSOLE.properties=autoFlush,target\nhandler.CONSOLE.autoFlush=true\nhandler.CONSOLE.target=SYSTEM_ERR\n' \
  >"$work/logging.properties"
"$java" -Xmx1g ${BENCH_JVM_OPTS:-} \
  -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
  -Dlogging.configuration="file:$work/logging.properties" \
  -Dtriggers="${TRIGGERS:-1000}" -Dseconds="${DURATION:-30}" -Dwarmup="${WARMUP:-10}" \
  -cp "$cp" bench/cron/CronBench.java
