#!/usr/bin/env bash
# Builds a real Kubernetes control plane (kube-apiserver, etcd, kubectl and, when they build,
# kube-controller-manager, kube-scheduler and kwok) from Go modules at pinned versions, into a cache that
# fabric8's io.fabric8:kube-api-test reads in offline mode:
#
#   ${KUBELESS_K8S_CACHE:-$HOME/.cache/kubeless/k8s}/<k8s version>-<os>-<arch>/
#       kube-apiserver etcd kubectl [kube-controller-manager] [kube-scheduler] [kwok] .kubeless-build
#
# A no-op (a second or so) when the cached binaries are there and report the pinned versions.
# Safe to run concurrently (flock on the cache) and atomic (built in a temp dir, then renamed).
# Go builds run under `nice -n 19` with `-p 1` so they do not starve other work on the machine.
#
# Usage: testing/control-plane/build.sh [--check] [--print-dir] [--no-optional] [--retry-failed]
#                                       [--regen] [-h|--help]
#   (none)          build what is missing, print progress, print the binaries' directory last
#   --check         exit 0 if the required binaries are cached, 1 if not; builds nothing
#   --print-dir     print the binaries' directory (whether or not it exists) and exit
#   --no-optional   do not try kube-controller-manager, kube-scheduler and kwok
#   --retry-failed  try again an optional binary whose build failed before (failures are
#                   remembered in the cache so that each run does not pay for them again)
#   --regen         maintainers: regenerate the wrapper modules' go.mod/go.sum under go/ for the
#                   versions pinned below (go mod tidy; needs the Go module proxy), then exit
#
# Environment: KUBELESS_K8S_CACHE (cache root, default ~/.cache/kubeless/k8s),
#   KUBELESS_GO_PARALLEL (go build -p, default 1), KUBELESS_NICE (nice level, default 19).
set -euo pipefail

# --- Pinned versions (change here, then run --regen and bump RECIPE) ----------------------------
K8S_VERSION=1.35.4           # k8s.io/kubernetes v1.35.4; staging modules k8s.io/* v0.35.4
K8S_BUILD_DATE=2026-04-15T18:01:22Z   # the release's module time (go list -m -json), for --version
ETCD_VERSION=3.6.6           # the etcd of Kubernetes 1.35 (build/dependencies.yaml, kubeadm)
KWOK_VERSION=0.8.0           # sigs.k8s.io/kwok (needs Go >= 1.26)
RECIPE=1                     # bump when the way the binaries are built changes

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WRAPPERS="$HERE/go"

CHECK_ONLY=0; PRINT_DIR=0; OPTIONAL=1; RETRY_FAILED=0; REGEN=0
for arg in "$@"; do
  case "$arg" in
    --check) CHECK_ONLY=1 ;;
    --print-dir) PRINT_DIR=1 ;;
    --no-optional) OPTIONAL=0 ;;
    --retry-failed) RETRY_FAILED=1 ;;
    --regen) REGEN=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument: $arg (see --help)" >&2; exit 2 ;;
  esac
done

log() { printf '[control-plane %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- Where -----------------------------------------------------------------------------------------
os="$(uname -s | tr '[:upper:]' '[:lower:]')"
case "$(uname -m)" in
  x86_64|amd64) arch=amd64 ;;
  aarch64|arm64) arch=arm64 ;;
  ppc64le) arch=ppc64le ;;
  *) arch="$(uname -m)" ;;
esac
CACHE="${KUBELESS_K8S_CACHE:-$HOME/.cache/kubeless/k8s}"
DIR="$CACHE/$K8S_VERSION-$os-$arch"
STAMP="$DIR/.kubeless-build"

if [ "$PRINT_DIR" = 1 ]; then echo "$DIR"; exit 0; fi

REQUIRED=(kube-apiserver etcd kubectl)
STAMP_LINE="recipe=$RECIPE k8s=$K8S_VERSION etcd=$ETCD_VERSION"

# The required binaries are there, were built by this recipe and report the pinned versions.
cached() {
  [ -f "$STAMP" ] && grep -qxF "$STAMP_LINE" "$STAMP" || return 1
  local b
  for b in "${REQUIRED[@]}"; do [ -x "$DIR/$b" ] || return 1; done
  # (not `| grep -q`: with pipefail, grep's early exit can SIGPIPE the binary and fail the check)
  local v
  v="$("$DIR/kube-apiserver" --version 2>/dev/null)" || return 1
  grep -qxF "Kubernetes v$K8S_VERSION" <<<"$v" || return 1
  v="$("$DIR/etcd" --version 2>/dev/null)" || return 1
  grep -qxF "etcd Version: $ETCD_VERSION" <<<"$v" || return 1
}

if [ "$CHECK_ONLY" = 1 ]; then
  if cached; then echo "$DIR"; exit 0; fi
  log "not cached: $DIR"; exit 1
fi

# --- Go -------------------------------------------------------------------------------------------
command -v go >/dev/null || die "no 'go' on PATH: a Go toolchain >= 1.25 (1.26 for kwok) is needed to build the control plane"
export GOWORK=off CGO_ENABLED=0 GOOS="$os" GOARCH="$arch"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
# Keep the environment's GOFLAGS (e.g. -buildvcs=false) and add -p; nice the whole go command.
export GOFLAGS="${GOFLAGS:-} -p=${KUBELESS_GO_PARALLEL:-1}"
NICE=(nice -n "${KUBELESS_NICE:-19}")
gorun() { "${NICE[@]}" go "$@"; }

go_minor="$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')"
[ "${go_minor:-0}" -ge 25 ] 2>/dev/null || die "Go $(go env GOVERSION) is too old: Kubernetes $K8S_VERSION needs Go >= 1.25"

# --- --regen: write the wrapper modules -------------------------------------------------------------
regen() {
  local k8s_minor k8s_mod staging m
  k8s_minor="$(echo "$K8S_VERSION" | cut -d. -f2)"
  log "regenerating wrapper modules for Kubernetes $K8S_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION"
  k8s_mod="$(cd /tmp && gorun mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')"
  [ -f "$k8s_mod" ] || die "could not download k8s.io/kubernetes@v$K8S_VERSION"
  # k8s.io/kubernetes replaces its staging modules with ./staging/src/k8s.io/* paths, which a
  # dependent module ignores: pin each one to the published v0.<minor>.<patch> of this release.
  staging="$(grep -E '=> \./staging/' "$k8s_mod" | awk '{print $1}' | sort -u)"
  [ -n "$staging" ] || die "found no staging replace directives in $k8s_mod"
  mkdir -p "$WRAPPERS/kubernetes" "$WRAPPERS/etcd" "$WRAPPERS/kwok"
  {
    echo "// Generated by testing/control-plane/build.sh --regen: builds the binaries of"
    echo "// k8s.io/kubernetes v$K8S_VERSION with its staging modules pinned to v0.$k8s_minor.${K8S_VERSION##*.}."
    echo "module kubeless.io/control-plane/kubernetes"
    echo
    grep -E '^go ' "$k8s_mod"
    grep -E '^godebug ' "$k8s_mod" || true
    echo
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo
    echo "require ("
    for m in $staging; do printf '\t%s v0.%s.%s\n' "$m" "$k8s_minor" "${K8S_VERSION##*.}"; done
    echo ")"
    echo
    echo "replace ("
    for m in $staging; do printf '\t%s => %s v0.%s.%s\n' "$m" "$m" "$k8s_minor" "${K8S_VERSION##*.}"; done
    echo ")"
    echo
    echo "tool ("
    printf '\tk8s.io/kubernetes/cmd/%s\n' kube-apiserver kube-controller-manager kube-scheduler kubectl
    echo ")"
  } > "$WRAPPERS/kubernetes/go.mod"
  rm -f "$WRAPPERS/kubernetes/go.sum"
  (cd "$WRAPPERS/kubernetes" && gorun mod tidy)

  cat > "$WRAPPERS/etcd/main.go" <<'EOF'
// Command etcd is the etcd server, built from go.etcd.io/etcd/server/v3 (see ../../build.sh).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
EOF
  printf '// Generated by testing/control-plane/build.sh --regen.\nmodule kubeless.io/control-plane/etcd\n\ngo 1.24\n\nrequire go.etcd.io/etcd/server/v3 v%s\n' \
    "$ETCD_VERSION" > "$WRAPPERS/etcd/go.mod"
  rm -f "$WRAPPERS/etcd/go.sum"
  (cd "$WRAPPERS/etcd" && gorun mod tidy)

  printf '// Generated by testing/control-plane/build.sh --regen.\nmodule kubeless.io/control-plane/kwok\n\ngo 1.26.0\n\nrequire sigs.k8s.io/kwok v%s\n\ntool sigs.k8s.io/kwok/cmd/kwok\n' \
    "$KWOK_VERSION" > "$WRAPPERS/kwok/go.mod"
  rm -f "$WRAPPERS/kwok/go.sum"
  if [ "$go_minor" -ge 26 ]; then
    (cd "$WRAPPERS/kwok" && gorun mod tidy) || log "kwok: go mod tidy failed (kwok stays optional)"
  else
    log "kwok: needs Go >= 1.26, have $(go env GOVERSION): go.sum not regenerated"
  fi
  log "done; review and commit $WRAPPERS, and bump RECIPE if the binaries change"
}
if [ "$REGEN" = 1 ]; then regen; exit 0; fi

# --- Build -------------------------------------------------------------------------------------------
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
  log "another build holds $CACHE/.lock; waiting for it"
  flock 9
fi
# Holding the lock, any temp dir/file left in the cache is from a killed run: remove it.
rm -rf "$CACHE"/.tmp.* "$CACHE"/.old.* "$CACHE"/*/.tmp.*

k8s_ldflags() {
  local minor p flags="-s -w"
  minor="$(echo "$K8S_VERSION" | cut -d. -f2)"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags="$flags -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    flags="$flags -X $p.gitTreeState=clean -X $p.buildDate=$K8S_BUILD_DATE"
  done
  echo "$flags"
}

# build NAME WRAPPER_DIR PACKAGE OUT LDFLAGS: go build, timed, output kept in OUT.log on failure.
build() {
  local name="$1" wrapper="$2" pkg="$3" out="$4" ldflags="$5" start rc
  start=$(date +%s)
  log "$name: building $pkg (nice, go build -p ${KUBELESS_GO_PARALLEL:-1}; a cold build takes long)"
  set +e
  (cd "$wrapper" && gorun build -trimpath -ldflags "$ldflags" -o "$out" "$pkg") > "$out.log" 2>&1
  rc=$?
  set -e
  if [ "$rc" = 0 ]; then
    log "$name: built in $(( $(date +%s) - start ))s"
    rm -f "$out.log"
  else
    log "$name: FAILED after $(( $(date +%s) - start ))s (exit $rc); last lines of the build log:"
    tail -n 30 "$out.log" | sed 's/^/    /' >&2
  fi
  return "$rc"
}

total_start=$(date +%s)
if cached; then
  log "cached: $DIR ($(sed -n 1p "$STAMP"))"
else
  log "building Kubernetes v$K8S_VERSION + etcd v$ETCD_VERSION into $DIR ($(go env GOVERSION))"
  tmp="$(mktemp -d "$CACHE/.tmp.$K8S_VERSION.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  build kube-apiserver "$WRAPPERS/kubernetes" k8s.io/kubernetes/cmd/kube-apiserver \
    "$tmp/kube-apiserver" "$(k8s_ldflags)" || die "kube-apiserver did not build (log above)"
  build etcd "$WRAPPERS/etcd" kubeless.io/control-plane/etcd "$tmp/etcd" \
    "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=v$ETCD_VERSION" || die "etcd did not build (log above)"
  if ! build kubectl "$WRAPPERS/kubernetes" k8s.io/kubernetes/cmd/kubectl "$tmp/kubectl" "$(k8s_ldflags)"; then
    sys_kubectl="$(command -v kubectl || true)"
    [ -n "$sys_kubectl" ] || die "kubectl did not build and none is on PATH"
    log "kubectl: using $sys_kubectl instead"
    ln -s "$sys_kubectl" "$tmp/kubectl"
  fi
  v="$("$tmp/kube-apiserver" --version)"
  grep -qxF "Kubernetes v$K8S_VERSION" <<<"$v" || die "kube-apiserver --version prints '$v', not 'Kubernetes v$K8S_VERSION'"
  v="$("$tmp/etcd" --version)"
  grep -qxF "etcd Version: $ETCD_VERSION" <<<"$v" || die "etcd --version prints '$v', not 'etcd Version: $ETCD_VERSION'"
  echo "$STAMP_LINE" > "$tmp/.kubeless-build"
  echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) with $(go env GOVERSION) in $(( $(date +%s) - total_start ))s" >> "$tmp/.kubeless-build"
  chmod 755 "$tmp"
  # A directory from an older recipe is replaced whole (its optional binaries are rebuilt below).
  if [ -e "$DIR" ]; then
    old="$CACHE/.old.$K8S_VERSION.$$"
    mv "$DIR" "$old"
    mv "$tmp" "$DIR"
    rm -rf "$old"
  else
    mv "$tmp" "$DIR"
  fi
  trap - EXIT
  log "required binaries ready in $(( $(date +%s) - total_start ))s"
fi

# Optional binaries: each built to a temp file and renamed in; a failure is remembered (by recipe)
# and skipped on later runs unless --retry-failed.
optional() {
  local name="$1" wrapper="$2" pkg="$3" ldflags="$4" failed="$DIR/.failed-$1" tmpout
  [ -x "$DIR/$name" ] && return 0
  if [ -f "$failed" ] && grep -qxF "$STAMP_LINE" "$failed" && [ "$RETRY_FAILED" = 0 ]; then
    log "$name: skipped, its build failed before (see $failed; --retry-failed to try again)"
    return 0
  fi
  tmpout="$(mktemp "$DIR/.tmp.$name.XXXXXX")"
  if build "$name" "$wrapper" "$pkg" "$tmpout" "$ldflags"; then
    chmod 755 "$tmpout"
    mv "$tmpout" "$DIR/$name"
    rm -f "$failed"
  else
    { echo "$STAMP_LINE"; tail -n 50 "$tmpout.log"; } > "$failed"
    rm -f "$tmpout" "$tmpout.log"
    log "$name: skipped (not needed by kube-api-test; the tests that need it must skip)"
  fi
}
if [ "$OPTIONAL" = 1 ]; then
  optional kube-controller-manager "$WRAPPERS/kubernetes" k8s.io/kubernetes/cmd/kube-controller-manager "$(k8s_ldflags)"
  # kwok fakes nodes and kubelets but schedules nothing: pods need kube-scheduler to get a node.
  optional kube-scheduler "$WRAPPERS/kubernetes" k8s.io/kubernetes/cmd/kube-scheduler "$(k8s_ldflags)"
  if [ "$go_minor" -ge 26 ]; then
    optional kwok "$WRAPPERS/kwok" sigs.k8s.io/kwok/cmd/kwok "-s -w"
  else
    log "kwok: skipped, v$KWOK_VERSION needs Go >= 1.26 (have $(go env GOVERSION))"
  fi
fi

log "done in $(( $(date +%s) - total_start ))s: $(cd "$DIR" && ls | tr '\n' ' ')"
echo "$DIR"
