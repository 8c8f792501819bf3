#!/usr/bin/env bash
# Builds the container images berth-operator and berth-sidecar from the
# Containerfile with buildah (rootful, chroot isolation: no
# daemon and no privileges beyond root are needed).
#
# The Containerfile starts FROM a Debian image (BASE). Where no image
# registry can be reached, the base is made locally instead: mmdebstrap
# builds a minimal Debian rootfs from Debian's own package archive, trimmed
# the way the slim images are (no docs, man pages or locales), and buildah
# imports it as localhost/berth-debian:<suite>. It is built once and reused.
#
# Usage: tools/images.sh [base|build]   (default: build, which makes the base
# first when it is missing). BERTH_IMAGE_BASE=<image> uses that base
# instead (e.g. a pulled debian:bookworm-slim); BERTH_IMAGE_TAG=<tag> tags
# the images with it instead of berth's version. Prints the built image names.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

export BUILDAH_ISOLATION=chroot
suite=bookworm
local_base="localhost/berth-debian:$suite"
base=${BERTH_IMAGE_BASE:-$local_base}
version=$(sed -nE 's/^#define BERTH_VERSION "([^"]+)".*/\1/p' "$repo/lib/util/version.h")
[ -n "$version" ] || { echo "images: no BERTH_VERSION in lib/util/version.h" >&2; exit 1; }

log() { printf 'images: %s\n' "$*" >&2; }
need() { command -v "$1" >/dev/null || { log "$1 is missing (make deps installs it)"; exit 1; }; }
need buildah

make_base() {
    if buildah images -q "$local_base" >/dev/null 2>&1 && [ -n "$(buildah images -q "$local_base")" ]; then
        log "base $local_base: present"
        return
    fi
    need mmdebstrap
    local tmp ctr
    tmp=$(mktemp -d)
    log "base $local_base: building a minimal Debian $suite rootfs with mmdebstrap"
    # shellcheck disable=SC2016 # the hook is run by mmdebstrap with $1 = the rootfs
    mmdebstrap --quiet --variant=minbase \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-exclude=/usr/share/info/*' \
        --aptopt='APT::Install-Recommends "false"' \
        --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/cache/apt/archives/*.deb' \
        "$suite" "$tmp/rootfs.tar"
    ctr=$(buildah from scratch)
    buildah add --quiet "$ctr" "$tmp/rootfs.tar" / >/dev/null
    buildah config --cmd /bin/bash --label "org.opencontainers.image.description=Debian $suite minbase, made by mmdebstrap" "$ctr"
    buildah commit --quiet --rm "$ctr" "$local_base" >/dev/null
    rm -rf "$tmp"
    log "base $local_base: built"
}

build() {
    local target=$1 tag="localhost/berth-$1:${BERTH_IMAGE_TAG:-$version}"
    log "building $tag (target $target, FROM $base)"
    buildah bud --quiet --layers --build-arg "BASE=$base" --target "$target" -t "$tag" \
        -f "$repo/Containerfile" "$repo" >/dev/null
    echo "$tag"
}

case "${1:-build}" in
base) make_base ;;
build)
    [ -n "${BERTH_IMAGE_BASE:-}" ] || make_base
    for f in operator/main.c sidecar/main.c; do
        [ -e "$repo/$f" ] || { log "$f is missing: there is no program to put into the image yet"; exit 1; }
    done
    build operator
    build sidecar
    ;;
*) echo "usage: $0 [base|build]" >&2; exit 2 ;;
esac
