#!/usr/bin/env bash
# Starts the cached etcd + kube-apiserver (built by build.sh) by hand in a temp dir, with the flags
# that README.md documents, checks them with kubectl (get ns; server-side apply of the Function CRD;
# RBAC denies an unprivileged token), then stops them. Exit 0 when all of that worked.
#
# With --full it also starts kube-controller-manager, kube-scheduler and kwok (when build.sh built
# them) and checks that a Deployment's pods run on a kwok node and that deleting the Deployment
# garbage-collects its ReplicaSet.
#
# Usage: testing/control-plane/smoke.sh [--full] [--keep]   (--keep: leave them running)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
KEEP=0; FULL=0
for arg in "$@"; do
  case "$arg" in
    --keep) KEEP=1 ;;
    --full) FULL=1 ;;
    *) echo "smoke.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

log() { printf '[smoke %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
BIN="$("$HERE/build.sh" --check)" || { log "binaries not cached: run $HERE/build.sh first"; exit 1; }
KUBECTL="$BIN/kubectl"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local until=$(( $(date +%s) + $1 )) what="$2"; shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$until" ] || { log "timed out waiting for $what"; return 1; }
    sleep 0.5
  done
}

WORK="$(mktemp -d "${TMPDIR:-/tmp}/kubeless-control-plane.XXXXXX")"
ETCD_PID=""; APISERVER_PID=""; OTHER_PIDS=()
cleanup() {
  local pid
  for pid in "${OTHER_PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  [ -n "$APISERVER_PID" ] && kill "$APISERVER_PID" 2>/dev/null && wait "$APISERVER_PID" 2>/dev/null || true
  [ -n "$ETCD_PID" ] && kill "$ETCD_PID" 2>/dev/null && wait "$ETCD_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
[ "$KEEP" = 1 ] || trap cleanup EXIT

ETCD_PORT="$(free_port)"; ETCD_PEER_PORT="$(free_port)"; PORT="$(free_port)"
TOKEN="$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
USER_TOKEN="$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"

# Static tokens: an admin (group system:masters bypasses RBAC) and a user with no RBAC grant.
printf '%s,admin,admin,"system:masters"\n%s,nobody,nobody\n' "$TOKEN" "$USER_TOKEN" > "$WORK/tokens.csv"
# Service-account token signing key pair.
openssl genrsa -out "$WORK/sa.key" 2048 2>/dev/null
openssl rsa -in "$WORK/sa.key" -pubout -out "$WORK/sa.pub" 2>/dev/null

start=$(date +%s)
"$BIN/etcd" \
  --name default \
  --data-dir "$WORK/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "default=http://127.0.0.1:$ETCD_PEER_PORT" \
  --unsafe-no-fsync \
  --log-level warn \
  > "$WORK/etcd.log" 2>&1 &
ETCD_PID=$!
wait_for 30 "etcd /health" curl -fsS "http://127.0.0.1:$ETCD_PORT/health" \
  || { tail -n 30 "$WORK/etcd.log" >&2; exit 1; }
log "etcd ready on 127.0.0.1:$ETCD_PORT after $(( $(date +%s) - start ))s"

"$BIN/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 \
  --advertise-address 127.0.0.1 \
  --secure-port "$PORT" \
  --cert-dir "$WORK/certs" \
  --token-auth-file "$WORK/tokens.csv" \
  --authorization-mode RBAC \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$WORK/sa.pub" \
  --service-account-signing-key-file "$WORK/sa.key" \
  --service-cluster-ip-range 10.0.0.0/24 \
  --allow-privileged=true \
  > "$WORK/kube-apiserver.log" 2>&1 &
APISERVER_PID=$!
wait_for 120 "kube-apiserver /readyz" curl -fsSk -H "Authorization: Bearer $TOKEN" "https://127.0.0.1:$PORT/readyz" \
  || { tail -n 40 "$WORK/kube-apiserver.log" >&2; exit 1; }
log "kube-apiserver ready on https://127.0.0.1:$PORT after $(( $(date +%s) - start ))s"

k() { "$KUBECTL" --server "https://127.0.0.1:$PORT" --insecure-skip-tls-verify --token "$TOKEN" "$@"; }
k version
k get ns
wait_for 30 "namespace default" k get ns default
k apply --server-side -f "$REPO/k8s/crds/functions/functions.kubeless.io-v1.yml"
k wait --for condition=Established --timeout 60s crd/functions.kubeless.io
k get functions -A
k apply --server-side -k "$REPO/k8s/crds/functions"
if "$KUBECTL" --server "https://127.0.0.1:$PORT" --insecure-skip-tls-verify --token "$USER_TOKEN" get ns \
     > "$WORK/denied.txt" 2>&1; then
  log "RBAC did not deny an unprivileged token"; exit 1
fi
grep -q Forbidden "$WORK/denied.txt" || { cat "$WORK/denied.txt" >&2; exit 1; }
log "RBAC denies an unprivileged token: $(head -n 1 "$WORK/denied.txt")"

if [ "$FULL" = 1 ]; then
  for b in kube-controller-manager kube-scheduler kwok; do
    [ -x "$BIN/$b" ] || { log "--full: $BIN/$b is missing (build.sh skipped it?)"; exit 1; }
  done
  # A kubeconfig for the components (the admin token; the serving cert is self-signed).
  cat > "$WORK/admin.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "https://127.0.0.1:$PORT", certificate-authority: "$WORK/certs/apiserver.crt"}
users:
- name: admin
  user: {token: "$TOKEN"}
contexts:
- name: local
  context: {cluster: local, user: admin}
current-context: local
EOF
  "$BIN/kube-controller-manager" \
    --kubeconfig "$WORK/admin.kubeconfig" \
    --authentication-kubeconfig "$WORK/admin.kubeconfig" --authorization-kubeconfig "$WORK/admin.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 0 \
    --leader-elect=false \
    --service-account-private-key-file "$WORK/sa.key" \
    --root-ca-file "$WORK/certs/apiserver.crt" \
    --use-service-account-credentials=false \
    > "$WORK/kube-controller-manager.log" 2>&1 &
  OTHER_PIDS+=($!)
  "$BIN/kube-scheduler" \
    --kubeconfig "$WORK/admin.kubeconfig" \
    --authentication-kubeconfig "$WORK/admin.kubeconfig" --authorization-kubeconfig "$WORK/admin.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 0 \
    --leader-elect=false \
    > "$WORK/kube-scheduler.log" 2>&1 &
  OTHER_PIDS+=($!)
  "$BIN/kwok" \
    --kubeconfig "$WORK/admin.kubeconfig" \
    --config "$HERE/kwok/stages-fast.yaml" \
    --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --node-lease-duration-seconds 40 \
    --cidr 10.0.0.1/24 --node-ip 10.0.0.1 \
    --server-address 127.0.0.1:0 \
    > "$WORK/kwok.log" 2>&1 &
  OTHER_PIDS+=($!)
  k apply --server-side -f - <<EOF
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {kubernetes.io/hostname: kwok-node-0, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok}
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
EOF
  wait_for 60 "node kwok-node-0 Ready" k wait --for condition=Ready --timeout 2s node/kwok-node-0 \
    || { tail -n 20 "$WORK/kwok.log" >&2; exit 1; }
  wait_for 60 "ServiceAccount default (kube-controller-manager)" k get serviceaccount default -n default \
    || { tail -n 20 "$WORK/kube-controller-manager.log" >&2; exit 1; }
  k create deployment smoke --image registry.invalid/none:1 --replicas 2 -n default
  if ! k rollout status deployment/smoke -n default --timeout 90s; then
    k get deploy,rs,pods -n default -o wide >&2
    tail -n 20 "$WORK/kube-scheduler.log" "$WORK/kwok.log" >&2; exit 1
  fi
  k get pods -n default -o wide
  k delete deployment smoke -n default --cascade=background
  no_rs() { [ -z "$(k get rs -n default -o name)" ]; }
  wait_for 60 "garbage collection of the ReplicaSet" no_rs || { k get rs -n default >&2; exit 1; }
  log "kube-controller-manager, kube-scheduler and kwok: a Deployment rolled out on a kwok node and was garbage-collected"
fi

if [ "$KEEP" = 1 ]; then
  cat <<EOF
etcd (pid $ETCD_PID), kube-apiserver (pid $APISERVER_PID) and ${OTHER_PIDS[*]:-no other} keep running; files in $WORK.
  $KUBECTL --server https://127.0.0.1:$PORT --insecure-skip-tls-verify --token $TOKEN get ns
Stop them: kill ${OTHER_PIDS[*]:-} $APISERVER_PID $ETCD_PID; rm -rf $WORK
EOF
else
  log "control plane smoke test passed"
fi
