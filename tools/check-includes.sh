#!/usr/bin/env bash
# Fails when berth's modules include each other in a cycle. A module is a
# file stem in its folder: lib/kube/config.c, config.h and config_int.h are
# the module lib/kube/config. Module A depends on module B when a file of A
# includes a header of B with a quoted #include, resolved as the compiler
# does (the including file's folder first, then -Ilib, then -Isidecar for
# files under sidecar/). Every group of modules that reach each other
# through such includes (a strongly connected component of two or more) is
# one cycle: each is named with the includes that close it, and the script
# exits 1. Layers stay one-way only if this holds.
#
# Usage: tools/check-includes.sh [DIR...]   (default: lib operator sidecar)
set -euo pipefail
cd "$(dirname "$0")/.."
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=(lib operator sidecar)

# "dir/stem" of a path: the extension and a trailing _int dropped.
module_of() {
    local m=${1%.*}
    echo "${m%_int}"
}

# One line per include between two modules: "FROM TO FILE:LINE HEADER".
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
while IFS= read -r file; do
    from=$(module_of "$file")
    search=("$(dirname "$file")" lib)
    [[ "$file" == sidecar/* ]] && search+=(sidecar)
    while IFS=: read -r line header; do
        for d in "${search[@]}"; do
            path=$d/$header
            [[ "$path" != *./* ]] || path=$(realpath -m --relative-to=. "$path")
            if [ -f "$path" ]; then
                to=$(module_of "$path")
                [ "$to" = "$from" ] || echo "$from $to $file:$line $header" >>"$edges"
                break
            fi
        done
    done < <(grep -n -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" |
        sed -E 's/^([0-9]+):[^"]*"([^"]+)".*/\1:\2/')
done < <(find "${dirs[@]}" -type f \( -name '*.c' -o -name '*.h' \) | sort)

# Mutual reachability over the module graph (Warshall's closure), then one
# report per component of two or more modules.
awk '
{
    from[NR] = $1; to[NR] = $2; where[NR] = $3 " \"" $4 "\""
    if (!($1 in id)) { id[$1] = ++n; name[n] = $1 }
    if (!($2 in id)) { id[$2] = ++n; name[n] = $2 }
    reach[id[$1], id[$2]] = 1
}
END {
    for (k = 1; k <= n; k++)
        for (i = 1; i <= n; i++)
            if ((i, k) in reach)
                for (j = 1; j <= n; j++)
                    if ((k, j) in reach)
                        reach[i, j] = 1
    cycles = 0
    for (i = 1; i <= n; i++) {
        if (i in done || !((i, i) in reach))
            continue
        members = ""
        for (j = 1; j <= n; j++)
            if ((i, j) in reach && (j, i) in reach) {
                done[j] = 1; comp[j] = i
                members = members (members == "" ? "" : ", ") name[j]
            }
        cycles++
        printf "include cycle: %s\n", members
        for (e = 1; e <= NR; e++)
            if (comp[id[from[e]]] == i && comp[id[to[e]]] == i)
                printf "  %s -> %s: %s\n", from[e], to[e], where[e]
    }
    if (cycles > 0) {
        printf "check-includes: %d include cycle(s)\n", cycles
        exit 1
    }
    printf "check-includes: no include cycle (%d modules with includes between them)\n", n
}' "$edges"
