#!/usr/bin/env bash
# What shard Leases cost the API server (see LeaseBench.java): one trigger replica with BINDINGS
# idle one-shard bindings claiming as readers do, against a real etcd + kube-apiserver
# (testing/KubeCluster; testing/control-plane/build.sh builds them on first use, ~15 min), the
# shipped coordinator (the membership Lease as heartbeat) against the baseline of one write per
# shard Lease and renew interval. Reports Lease writes per second and the CPU seconds per second of
# kube-apiserver and etcd, per round and as medians, with the ratio.
# Env: JAVA_HOME (a JDK >= 21), BINDINGS (1000), ROUNDS (1), WINDOW (seconds counted per variant
# and round, 200: two renewals of an idle shard Lease), MAVEN_ARGS (e.g. -o to build offline).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
for number in BINDINGS ROUNDS WINDOW; do
  value=${!number:-}
  if [ -n "$value" ] && ! [[ $value =~ ^[0-9]+$ ]]; then
    echo "$number must be a whole number, not '$value'" >&2
    exit 2
  fi
done
"$java" -version >/dev/null 2>&1 || { echo "no java at '$java'; set JAVA_HOME to a JDK >= 21" >&2; exit 1; }
testing/control-plane/build.sh >/dev/null
./mvnw -q ${MAVEN_ARGS:-} -pl kafka-trigger -am test-compile dependency:build-classpath -DskipTests \
  -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-leases-classpath.txt
cp="trigger-kubernetes/target/classes:trigger-engine/target/classes:testing/target/classes"
cp="$cp:api/target/classes:$(cat kafka-trigger/target/bench-leases-classpath.txt)"
# KubeCluster writes its processes' logs to target/k8s/
mkdir -p target
"$java" -Xmx1g -Djava.util.logging.manager=org.jboss.logmanager.LogManager ${BENCH_JVM_OPTS:-} \
  -Dbindings="${BINDINGS:-1000}" -Drounds="${ROUNDS:-1}" -Dwindow="${WINDOW:-200}" \
  -cp "$cp" bench/leases/LeaseBench.java
