#!/usr/bin/env bash
# Builds the test ground's binaries (etcd, the Kubernetes control plane,
# kubectl, the real node's kubelet and kube-proxy and its pause program,
# CoreDNS, kwok, helm; krew only when named) from the pinned modules under
# tests/ground/go/ into the cache, once. Each component is rebuilt only when
# its go.mod/go.sum change: the stamp file beside the binaries records what
# they were built from.
#
# Usage: tests/ground/build.sh [component...]   (default: all but krew)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

bin="$GROUND_CACHE/bin"
mkdir -p "$bin"
export CGO_ENABLED=0 GOFLAGS=-mod=mod

# version_of MODULE_DIR MODULE: the version go.mod pins for MODULE.
version_of() {
    (cd "$1" && go list -m -f '{{.Version}}' "$2")
}

# fresh COMPONENT: true when the binaries of COMPONENT match its module files.
fresh() {
    local want
    want=$(cat "$here/go/$1/go.mod" "$here/go/$1/go.sum" "$here/build.sh" | sha256sum | cut -c1-16)
    [ -f "$bin/.$1.stamp" ] && [ "$(cat "$bin/.$1.stamp")" = "$want" ] && return 0
    echo "$want" >"$bin/.$1.want"
    return 1
}

stamp() { mv "$bin/.$1.want" "$bin/.$1.stamp"; }

build_k8s() {
    local d="$here/go/k8s" v minor
    v=$(version_of "$d" k8s.io/kubernetes)
    minor=$(echo "$v" | cut -d. -f2)
    local ld="-s -w -X k8s.io/component-base/version.gitVersion=$v"
    ld+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
    ld+=" -X k8s.io/client-go/pkg/version.gitVersion=$v"
    ld+=" -X k8s.io/component-base/version.gitTreeState=clean"
    for t in kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy; do
        ground_log "building $t $v"
        (cd "$d" && go build -trimpath -ldflags "$ld" -o "$bin/$t" "k8s.io/kubernetes/cmd/$t")
    done
    # The pod sandbox's program, from the same module: the real node's pause
    # image holds only this static binary.
    local src
    src="$(cd "$d" && go list -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c"
    ground_log "building pause from $v"
    gcc -Os -static -Wall -Werror -DVERSION="$v" -o "$bin/pause" "$src"
}

build_coredns() {
    local d="$here/go/coredns" v
    v=$(version_of "$d" github.com/coredns/coredns)
    ground_log "building coredns $v"
    (cd "$d" && go build -trimpath -ldflags "-s -w" -o "$bin/coredns" github.com/coredns/coredns)
}

build_etcd() {
    local d="$here/go/etcd" v
    v=$(version_of "$d" go.etcd.io/etcd/server/v3)
    ground_log "building etcd $v"
    (cd "$d" && go build -trimpath -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3)
}

build_kwok() {
    local d="$here/go/kwok" v
    v=$(version_of "$d" sigs.k8s.io/kwok)
    ground_log "building kwok $v"
    (cd "$d" && go build -trimpath -ldflags "-s -w" -o "$bin/kwok" sigs.k8s.io/kwok/cmd/kwok)
}

build_helm() {
    local d="$here/go/helm" v
    v=$(version_of "$d" helm.sh/helm/v3)
    ground_log "building helm $v"
    (cd "$d" && go build -trimpath \
        -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$v" \
        -o "$bin/helm" helm.sh/helm/v3/cmd/helm)
}

# krew, the kubectl plugin manager: only test_krew.sh needs it.
build_krew() {
    local d="$here/go/krew" v
    v=$(version_of "$d" sigs.k8s.io/krew)
    ground_log "building krew $v"
    (cd "$d" && go build -trimpath -ldflags "-s -w" -o "$bin/krew" sigs.k8s.io/krew/cmd/krew)
}

components=("$@")
[ ${#components[@]} -gt 0 ] || components=(etcd k8s coredns kwok helm)
for c in "${components[@]}"; do
    if fresh "$c"; then
        ground_log "$c: cached in $bin"
        continue
    fi
    start=$(date +%s)
    "build_$c"
    stamp "$c"
    ground_log "$c: built in $(($(date +%s) - start))s"
done
