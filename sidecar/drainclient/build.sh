#!/usr/bin/env bash
# Builds berth-drain, the preStop drain client, as a static binary against
# musl libc alone, so it runs in any broker image (musl, glibc or none).
#
# Usage: sidecar/drainclient/build.sh [OUTPUT]   (default build/berth-drain)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/build/berth-drain}
mkdir -p "$(dirname "$out")"
musl-gcc -std=c11 -static -Os -s \
    -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Werror \
    "$here/berth-drain.c" "$here/drain_response.c" -o "$out"
echo "$out"
