#!/usr/bin/env bash
# kubectl-berth installs with the real krew from what `make krew` writes:
#  - `make krew` writes BUILD/krew/berth.yaml and the archive it names,
#    kubectl-berth_linux_<arch>.tar.gz: the manifest holds the archive's
#    sha256, the version of lib/util/version.h and, by default, the archive
#    itself as a file:// URI; KREW_URI=... replaces that uri;
#  - `krew install --manifest --archive` (a KREW_ROOT of its own; no index,
#    no network) puts kubectl-berth in $KREW_ROOT/bin, where it says its
#    version and kubectl finds it as a plugin (`kubectl berth --help`), and
#    krew's receipt records berth at that version (`krew list` and
#    `uninstall` read receipts too, but refuse to run without a clone of a
#    plugin index, which `krew update` fetches over the network);
#  - krew refuses a manifest whose sha256 is not the archive's, and one for
#    another platform, and installs nothing.
# Needs no API server. Takes kubectl-berth from BERTH_PLUGIN_BIN's build
# directory (default build/, as test_plugin.sh) and builds the ground's
# pinned krew (tests/ground/build.sh krew; cached). Run by
# tests/integration/run.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$repo/tests/ground/lib.sh"
build=$(cd "$(dirname "${BERTH_PLUGIN_BIN:-$repo/build/kubectl-berth}")" && pwd)
kubectl_bin="${BERTH_GROUND_BIN:-$GROUND_BIN}/kubectl"
fail() { echo "FAIL test_krew: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
[ -x "$build/kubectl-berth" ] || fail "no $build/kubectl-berth (make all)"
[ -x "$kubectl_bin" ] || fail "no $kubectl_bin (tests/ground/build.sh k8s)"
if ! built=$(bash "$repo/tests/ground/build.sh" krew 2>&1); then
    fail "could not build krew: $built"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
version=$(sed -nE 's/^#define BERTH_VERSION "([^"]+)".*/\1/p' "$repo/lib/util/version.h")
case $(uname -m) in
x86_64) arch=amd64 other=arm64 ;;
aarch64) arch=arm64 other=amd64 ;;
*) fail "$(uname -m): no krew arch for this machine" ;;
esac
manifest="$build/krew/berth.yaml"
archive="$build/krew/kubectl-berth_linux_$arch.tar.gz"

# krew ROOT ARGS...: the ground's krew with its own KREW_ROOT and temp dir.
krew() {
    local root=$1
    shift
    mkdir -p "$root" "$tmp/t"
    KREW_ROOT="$root" KREW_NO_UPGRADE_CHECK=1 TMPDIR="$tmp/t" PATH="$root/bin:$PATH" \
        "$GROUND_BIN/krew" "$@" </dev/null
}
field() { sed -nE "s/^ *$1: \"?([^\"]*)\"?\$/\\1/p" "$2"; }
make_krew() { make -C "$repo" --no-print-directory BUILD="$build" "$@" krew >"$tmp/make.out" 2>&1 ||
    fail "make krew $*: $(cat "$tmp/make.out")"; }

# --- make krew ---------------------------------------------------------------
published="file:///srv/berth/kubectl-berth_linux_$arch.tar.gz"
make_krew KREW_URI="$published"
[ "$(field uri "$manifest")" = "$published" ] || fail "KREW_URI=$published: the manifest says: $(cat "$manifest")"
make_krew
[ -f "$archive" ] || fail "make krew wrote no $archive: $(ls "$build/krew")"
[ "$(field uri "$manifest")" = "file://$archive" ] || fail "the default uri is not the archive: $(cat "$manifest")"
[ "$(field sha256 "$manifest")" = "$(sha256sum "$archive" | cut -d' ' -f1)" ] ||
    fail "the manifest's sha256 is not the archive's"
[ "$(field version "$manifest")" = "v$version" ] || fail "the manifest's version is not v$version"
want=kubectl-berth
[ ! -f "$repo/LICENSE" ] || want+=$'\nLICENSE'
[ "$(tar -tzf "$archive")" = "$want" ] || fail "the archive holds: $(tar -tzf "$archive")"
ok "make krew: berth.yaml names the archive's sha256, v$version and the archive; KREW_URI sets the uri"

# --- krew install ------------------------------------------------------------
root="$tmp/krew"
krew "$root" install --manifest="$manifest" --archive="$archive" >"$tmp/out" 2>&1 ||
    fail "krew install: $(cat "$tmp/out")"
[ -x "$root/bin/kubectl-berth" ] || fail "krew installed no $root/bin/kubectl-berth: $(cat "$tmp/out")"
out=$("$root/bin/kubectl-berth" --version) || fail "the installed kubectl-berth --version failed"
[ "$out" = "kubectl-berth $version" ] || fail "the installed kubectl-berth says \"$out\""
kpath="$root/bin:/usr/bin:/bin"
[ "$(PATH="$kpath" command -v kubectl-berth)" = "$root/bin/kubectl-berth" ] ||
    fail "kubectl-berth on PATH is not krew's"
out=$(PATH="$kpath" "$kubectl_bin" berth --help) || fail "kubectl berth --help failed: $out"
head -1 <<<"$out" | grep -qF "usage: kubectl berth COMMAND" || fail "kubectl berth --help said: $out"
out=$(PATH="$kpath" "$kubectl_bin" berth --version) || fail "kubectl berth --version failed"
[ "$out" = "kubectl-berth $version" ] || fail "kubectl berth --version said \"$out\""
grep -qxF "  version: v$version" "$root/receipts/berth.yaml" 2>/dev/null ||
    fail "no receipt of berth v$version: $(cat "$root/receipts/berth.yaml" 2>&1)"
ok "krew install: kubectl-berth $version in \$KREW_ROOT/bin, run by kubectl as a plugin, and its receipt"

# --- refusals ----------------------------------------------------------------
# refused NAME FRAGMENT SED: krew refuses the manifest edited by SED, saying
# FRAGMENT, and installs nothing into a KREW_ROOT of its own.
refused() {
    local dir="$tmp/bad-$RANDOM" rc=0 left
    mkdir -p "$dir"
    sed "$3" "$manifest" >"$dir/berth.yaml"
    ! cmp -s "$dir/berth.yaml" "$manifest" || fail "$1: the edit changed nothing"
    krew "$dir/root" install --manifest="$dir/berth.yaml" --archive="$archive" >"$tmp/out" 2>&1 || rc=$?
    [ "$rc" != 0 ] || fail "krew installed from a manifest with $1: $(cat "$tmp/out")"
    grep -qF -- "$2" "$tmp/out" || fail "$1: krew did not say \"$2\": $(cat "$tmp/out")"
    left=$(find "$dir/root" ! -type d)
    [ -z "$left" ] || fail "$1: krew left files in its root: $left"
}
wrong=$(sha256sum "$manifest" | cut -d' ' -f1)
refused "a wrong sha256" "checksum does not match" "s/^\( *sha256:\) .*/\1 $wrong/"
refused "another arch" "does not offer installation for this platform" "s/^\( *arch:\) .*/\1 $other/"
ok "krew refuses a manifest whose sha256 is not the archive's, or for another platform, and installs nothing"
