#!/usr/bin/env bash
# Packs kubectl-berth for krew, the kubectl plugin manager: an archive of the
# program (and LICENSE, once the tree has one) and the plugin manifest
# berth.yaml that names it, for this machine's platform only (the one the
# program was built for). berth has no release host, so the manifest's uri
# is the archive itself as a file:// URI unless URI says where it will be
# published; a file:// URI installs only with krew's --archive:
#   kubectl krew install --manifest=OUTDIR/berth.yaml --archive=OUTDIR/kubectl-berth_linux_amd64.tar.gz
# The archive is byte-for-byte the same for the same program, so its sha256
# changes only when the program does.
#
# Usage: tools/krew.sh PROGRAM OUTDIR [URI]     (`make krew`, KREW_URI=URI)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "krew: $*" >&2; exit 1; }

if [ $# -lt 2 ] || [ $# -gt 3 ]; then die "usage: tools/krew.sh PROGRAM OUTDIR [URI]"; fi
prog=$1 out=$2 uri=${3:-}
[ -x "$prog" ] || die "$prog: no such program (make all)"
# The uri is written as a double-quoted YAML string.
case $uri in *[\"\\[:cntrl:]]*) die "KREW_URI \"$uri\": no quotes, backslashes or control characters" ;; esac

# The version is the source's; a program that says another one is stale.
version=$(sed -nE 's/^#define BERTH_VERSION "([^"]+)".*/\1/p' "$repo/lib/util/version.h")
[ -n "$version" ] || die "no BERTH_VERSION in lib/util/version.h"
said=$("$prog" --version) || die "$prog --version failed"
[ "$said" = "kubectl-berth $version" ] ||
    die "$prog says \"$said\", lib/util/version.h $version: rebuild it"

[ "$(uname -s)" = Linux ] || die "$(uname -s): only Linux builds are packed"
case $(uname -m) in
x86_64) arch=amd64 ;;
aarch64) arch=arm64 ;;
*) die "$(uname -m): no krew arch for this machine" ;;
esac

mkdir -p "$out"
out=$(cd "$out" && pwd)
name="kubectl-berth_linux_$arch.tar.gz"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
files=(kubectl-berth)
install -m 0755 "$prog" "$stage/kubectl-berth"
if [ -f "$repo/LICENSE" ]; then
    install -m 0644 "$repo/LICENSE" "$stage/LICENSE"
    files+=(LICENSE)
fi
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - "${files[@]}" |
    gzip -9n >"$out/$name.tmp"
mv "$out/$name.tmp" "$out/$name"
sha=$(sha256sum "$out/$name" | cut -d' ' -f1)

[ -n "$uri" ] || uri="file://$out/$name"

{
    cat <<EOF
# kubectl-berth as a krew plugin, written by tools/krew.sh (make krew).
apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: berth
spec:
  version: "v$version"
  shortDescription: Addresses, health, rolls of berth's Kafka clusters
  description: |
    kubectl berth answers questions about the Kafka clusters that
    berth-operator runs (KafkaCluster, berth.io/v1alpha1), with your
    kubeconfig as kubectl uses it:
      addresses   where each broker can be reached, per listener: the
                  address it advertises, its pod and node, and the
                  bootstrap lists inside and outside the cluster
      health      how the cluster stands, asked of one broker (through a
                  port-forward, with the cluster's own TLS) and of the API
                  server: partitions offline, under min.insync.replicas or
                  under-replicated, leaders per broker, the KRaft quorum,
                  reassignments, the drain ledger and the pods
      roll        a rolling restart of the brokers, each drained first,
                  followed step by step to its end
      drain-plan  what draining one broker would do now, and whether
                  restarting it is safe; a dry run that writes nothing
  platforms:
  - selector:
      matchLabels:
        os: linux
        arch: $arch
    uri: "$uri"
    sha256: $sha
    bin: kubectl-berth
    files:
EOF
    for f in "${files[@]}"; do
        printf '    - from: %s\n      to: .\n' "$f"
    done
} >"$out/berth.yaml"
echo "krew: $out/berth.yaml (v$version, linux/$arch), $out/$name"
