#!/usr/bin/env bash
# The container images build and are what they claim: tools/images.sh
# builds berth-operator and berth-sidecar from the Containerfile with
# buildah (on a Debian base made locally by mmdebstrap, since no image
# registry is reachable here), and each image runs its program as uid 65532
# with every shared library it links present, carries no compiler or
# headers, and cannot be written to by its user; the sidecar image also
# holds the static drain client.
# Needs no ground, but root (buildah and mmdebstrap; CI runs as root).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
export BUILDAH_ISOLATION=chroot
fail() { echo "FAIL test_images: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
# A tag of this run's own, so concurrent runs never inspect each other's
# images; the layers stay cached for the next run.
tag="test-$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export BERTH_IMAGE_TAG=$tag
cleanup() {
    local rc=$?
    buildah rmi "localhost/berth-operator:$tag" "localhost/berth-sidecar:$tag" >/dev/null 2>&1 || true
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

out=$(bash "$repo/tools/images.sh" build 2>&1) || fail "tools/images.sh build failed: $(tail -30 <<<"$out")"
for p in operator sidecar; do
    grep -qx "localhost/berth-$p:$tag" <<<"$out" || fail "tools/images.sh did not report berth-$p:$tag: $out"
done
ok "built localhost/berth-operator:$tag and localhost/berth-sidecar:$tag"

# inside IMAGE COMMAND: runs COMMAND (sh -c) in a container of IMAGE as the
# image's own user, and removes the container.
inside() {
    local c rc=0
    c=$(buildah from "$1") || fail "buildah from $1 failed"
    buildah run "$c" -- sh -c "$2" || rc=$?
    buildah rm "$c" >/dev/null 2>&1 || true
    return "$rc"
}

for p in operator sidecar; do
    img="localhost/berth-$p:$tag"
    got=$(buildah inspect --format '{{.OCIv1.Config.User}} {{.OCIv1.Config.Entrypoint}}' "$img" 2>&1) ||
        fail "buildah inspect $img: $got"
    [ "$got" = "65532:65532 [/usr/local/bin/berth-$p]" ] || fail "$img: user and entrypoint are '$got'"
    bin="/usr/local/bin/berth-$p"
    out=$(inside "$img" "id -u; ldd $bin; $bin --help" 2>&1) || fail "$img: running berth-$p --help failed: $out"
    [ "$(head -1 <<<"$out")" = 65532 ] || fail "$img: runs as uid $(head -1 <<<"$out"), not 65532"
    ! grep -q 'not found' <<<"$out" || fail "$img: berth-$p lacks shared libraries: $out"
    grep -q "^usage: berth-$p" <<<"$out" || fail "$img: berth-$p --help does not print its usage: $out"
    out=$(inside "$img" "for t in gcc cc make musl-gcc; do command -v \$t; done; ls /usr/include/curl /usr/include/openssl 2>/dev/null; touch $bin 2>/dev/null && echo writable; true" 2>&1)
    [ -z "$out" ] || fail "$img: has build tools or headers, or a writable program: $out"
    size=$(buildah images --format '{{.Size}}' "$img" 2>/dev/null | head -1 || true)
    ok "$img runs berth-$p as uid 65532 with all its libraries, no build tools, program read-only${size:+ ($size)}"
done

img="localhost/berth-sidecar:$tag"
out=$(inside "$img" 'ldd /usr/local/bin/berth-drain 2>&1; test -x /usr/local/bin/berth-drain && echo executable' 2>&1) || true
if ! grep -q 'not a dynamic executable' <<<"$out" || ! grep -qx executable <<<"$out"; then
    fail "$img: /usr/local/bin/berth-drain is not a static executable: $out"
fi
ok "$img holds the static drain client /usr/local/bin/berth-drain"
