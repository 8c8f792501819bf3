#!/usr/bin/env bash
# Builds berth's container images with buildah (rootful, chroot isolation:
# no daemon and no privileges beyond root are needed):
#   localhost/berth-operator:<version>  Containerfile, target operator
#   localhost/berth-sidecar:<version>   Containerfile, target sidecar
#   localhost/berth-kafka:<kafka>       tests/ground/broker/Containerfile: the
#                                       test ground's Apache Kafka broker
# <version> is BERTH_VERSION (lib/util/version.h); <kafka> is the Kafka
# version tests/ground/kafka/pom.xml pins, whose jars `tests/ground/kafka.sh
# fetch` caches (run here when they are missing).
#
# The Containerfiles start FROM a Debian image (BASE). Where no image
# registry can be reached, the base is made locally instead: mmdebstrap
# builds a minimal Debian rootfs from Debian's own package archive, trimmed
# the way the slim images are (no docs, man pages or locales), and buildah
# imports it as localhost/berth-debian:<suite>. It is built once and reused.
# Builds use buildah's layer cache, so a build with nothing changed takes
# seconds.
#
# Usage: tools/images.sh [base|build|save DIR]
#   base      make the Debian base when it is missing
#   build     (default) the base when missing, then the three images; prints
#             their names
#   save DIR  build, then write each image as a docker-archive tarball
#             DIR/<name>.tar that keeps its full localhost/... name (for `ctr
#             images import` or `docker load`); prints the paths. A tarball
#             whose image has not changed since it was written (DIR/<name>.id
#             holds the image ID) is kept as it is.
# BERTH_IMAGE_BASE=<image> uses that base instead (e.g. a pulled
# debian:bookworm-slim); BERTH_IMAGE_TAG=<tag> tags all three images with it
# instead of their versions. BERTH_IMAGE_KAFKA_PREVIOUS=1 also builds
# localhost/berth-kafka:<previous>, the release upgrades are tested from
# (`tests/ground/kafka.sh previous`; tag <tag>-previous with
# BERTH_IMAGE_TAG), saved as DIR/berth-kafka-previous.tar.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$repo/tests/ground/lib.sh"

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

# elapsed SINCE: whole seconds since SINCE (a $SECONDS value).
elapsed() { echo "$((SECONDS - $1))s"; }

# build TARGET: localhost/berth-TARGET from the Containerfile's stage TARGET.
# Docker's image format: in OCI's, buildah ignores SHELL, and with it the
# pipefail that makes a failing step in a pipe fail the build.
build() {
    local target=$1 tag="localhost/berth-$1:${BERTH_IMAGE_TAG:-$version}" t0=$SECONDS
    log "building $tag (target $target, FROM $base)"
    buildah bud --quiet --format docker --layers --force-rm --build-arg "BASE=$base" --target "$target" -t "$tag" \
        -f "$repo/Containerfile" "$repo" >/dev/null
    log "built $tag in $(elapsed "$t0")"
    echo "$tag"
}

# build_kafka: localhost/berth-kafka from tests/ground/broker/Containerfile.
# Its build context is put together in a temporary directory: the broker
# directory's scripts (bin/) and log4j2 file, the ground's tools log4j2 file
# (config/) and the cached jars (libs/, hard links where the file system
# allows). The layer cache looks at the copied files' metadata too, so the
# scripts, config files and directories get fixed modes and times (a
# checkout's depend on its umask and age; the jars keep the cache's): an
# unchanged context hits the cache whatever checkout it came from.
# build_kafka [previous]: the pinned release, or the previous one.
build_kafka() {
    local kver libs ctx tag t0=$SECONDS
    kver=$(bash "$repo/tests/ground/kafka.sh" version)
    [ -n "$kver" ] || { log "no <kafka.version> in tests/ground/kafka/pom.xml"; exit 1; }
    tag="localhost/berth-kafka:${BERTH_IMAGE_TAG:-$kver}"
    if [ "${1:-}" = previous ]; then
        kver=$(bash "$repo/tests/ground/kafka.sh" previous)
        tag="localhost/berth-kafka:${BERTH_IMAGE_TAG:+$BERTH_IMAGE_TAG-previous}"
        [ -n "${BERTH_IMAGE_TAG:-}" ] || tag+=$kver
    fi
    KAFKA_VERSION=$kver bash "$repo/tests/ground/kafka.sh" fetch
    libs="$GROUND_CACHE/kafka-$kver/libs"
    [ -n "$(ls "$libs"/*.jar 2>/dev/null)" ] || { log "no Kafka jars in $libs after kafka.sh fetch"; exit 1; }
    ctx=$(mktemp -d)
    mkdir "$ctx/bin" "$ctx/config" "$ctx/libs"
    install -m 755 "$repo/tests/ground/broker/"*.sh "$ctx/bin/"
    install -m 644 "$repo/tests/ground/broker/log4j2.properties" "$ctx/config/"
    install -m 644 "$repo/tests/ground/kafka/log4j2-tools.properties" "$ctx/config/tools-log4j2.properties"
    touch -d @0 "$ctx"/bin/* "$ctx"/config/*
    cp -pl "$libs/"*.jar "$ctx/libs/" 2>/dev/null || cp -p "$libs/"*.jar "$ctx/libs/"
    touch -d @0 "$ctx/bin" "$ctx/config" "$ctx/libs"
    log "building $tag (Apache Kafka $kver, FROM $base)"
    if ! buildah bud --quiet --format docker --layers --force-rm --build-arg "BASE=$base" -t "$tag" \
        -f "$repo/tests/ground/broker/Containerfile" "$ctx" >/dev/null; then
        rm -rf "$ctx"
        log "building $tag failed"
        exit 1
    fi
    rm -rf "$ctx"
    log "built $tag in $(elapsed "$t0")"
    echo "$tag"
}

build_all() {
    local t0=$SECONDS
    [ -n "${BERTH_IMAGE_BASE:-}" ] || make_base
    for f in operator/main.c sidecar/main.c; do
        [ -e "$repo/$f" ] || { log "$f is missing: there is no program to put into the image yet"; exit 1; }
    done
    build operator
    build sidecar
    build_kafka
    [ "${BERTH_IMAGE_KAFKA_PREVIOUS:-0}" != 1 ] || build_kafka previous
    log "all images in $(elapsed "$t0")"
}

# save DIR: each built image as DIR/<name>.tar (docker-archive, full name
# kept), unless DIR/<name>.id says that tarball already holds this image.
save() {
    local dir=$1 imgs img name id previous
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    imgs=$(build_all)
    previous=""
    [ "${BERTH_IMAGE_KAFKA_PREVIOUS:-0}" != 1 ] || previous=$(tail -1 <<<"$imgs")
    for img in $imgs; do
        name=${img#localhost/}
        name=${name%%:*}
        [ "$img" != "$previous" ] || name+=-previous
        id=$(buildah images --no-trunc --format '{{.ID}}' "$img" | head -1)
        if [ -f "$dir/$name.tar" ] && [ "$(cat "$dir/$name.id" 2>/dev/null)" = "$id" ]; then
            log "$dir/$name.tar: holds $img already"
        else
            rm -f "$dir/$name.tar" "$dir/$name.id" "$dir/$name.tar.part"
            buildah push --quiet "$img" "docker-archive:$dir/$name.tar.part:$img" >/dev/null
            mv "$dir/$name.tar.part" "$dir/$name.tar"
            echo "$id" >"$dir/$name.id"
            log "$dir/$name.tar: $img written"
        fi
        echo "$dir/$name.tar"
    done
}

case "${1:-build}" in
base) make_base ;;
build) build_all ;;
save)
    [ -n "${2:-}" ] || { echo "usage: $0 save DIR" >&2; exit 2; }
    save "$2"
    ;;
*) echo "usage: $0 [base|build|save DIR]" >&2; exit 2 ;;
esac
