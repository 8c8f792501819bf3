#!/usr/bin/env bash
# The Containerfile and the test ground's broker image's
# tests/ground/broker/Containerfile pass hadolint (pinned, with the
# repository's .hadolint.yaml) with nothing at or above style level. The
# Containerfile also has the shape berth's images need, which a linter
# cannot know: a build stage and one final stage per program, each final
# stage running as a numeric non-root user and carrying no compiler or -dev
# package, every make target it builds defined in the Makefile, every file
# it copies from the build context present and not excluded by
# .containerignore. A broken copy of the file must fail each check (the
# checks have teeth).
# Needs no ground; run by tests/integration/run.sh with the other tests.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
fail() { echo "FAIL test_containerfile: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

hadolint() { bash "$repo/tools/hadolint.sh" --config "$repo/.hadolint.yaml" --no-color "$@"; }

# stage FILE NAME: the lines of stage NAME (from its FROM to the next FROM).
stage() {
    awk -v want="$2" '
        toupper($1) == "FROM" { on = (tolower($NF) == want) }
        on' "$1"
}

# shape FILE: prints every problem with the shape of FILE; empty when fine.
shape() {
    local f=$1 s user
    # The base (FROM ${BASE}) is pinned to a Debian suite, never latest.
    grep -qE '^ARG BASE=debian:[a-z]+(-slim)?$' "$f" || echo "ARG BASE is not a tagged Debian suite image"
    for s in build runtime operator sidecar; do
        grep -qiE "^FROM .* AS $s\$" "$f" || echo "no stage named $s"
    done
    for s in operator sidecar; do
        user=$(stage "$f" "$s" | awk 'toupper($1) == "USER" { u = $2 } END { print u }')
        [[ "$user" =~ ^[1-9][0-9]*(:[0-9]+)?$ ]] || echo "stage $s: last USER is '${user:-none}', not a numeric non-root uid"
        grep -qE "^ENTRYPOINT \[\"/usr/local/bin/berth-$s\"\]" <<<"$(stage "$f" "$s")" ||
            echo "stage $s: ENTRYPOINT is not berth-$s"
        grep -qE "^COPY --from=build /out/berth-$s " <<<"$(stage "$f" "$s")" ||
            echo "stage $s: does not copy berth-$s from the build stage"
    done
    for s in runtime operator sidecar; do
        stage "$f" "$s" | grep -E -e '\b(gcc|make|musl-tools|[a-z0-9.+-]+-dev)\b' | sed "s/^/stage $s installs build tools: /"
    done
    # make targets of the build stage must be rules of the Makefile.
    for t in $(stage "$f" build | grep -oE '/out/berth-[a-z]+' | sort -u); do
        case "$(basename "$t")" in
        berth-operator.packages | berth-sidecar.packages) continue ;;
        esac
        grep -qE "^\\\$\(BUILD\)/$(basename "$t"):" "$repo/Makefile" || echo "build stage: make target $(basename "$t") is not in the Makefile"
    done
    # COPY sources from the build context exist and are not ignored.
    grep -E '^COPY ' "$f" | grep -v -- '--from=' | while read -r _ line; do
        read -r -a words <<<"$line"
        for src in "${words[@]:0:${#words[@]}-1}"; do
            [ -e "$repo/$src" ] || echo "COPY $src: not in the repository"
            top=${src%%/*}
            grep -qxF "!$top" "$repo/.containerignore" || grep -qxF "!$top/" "$repo/.containerignore" ||
                echo "COPY $src: excluded by .containerignore"
        done
    done
}

out=$(hadolint "$repo/Containerfile" 2>&1) || fail "hadolint: $out"
ok "hadolint $(bash "$repo/tools/hadolint.sh" --version | awk '{ print $NF }') finds nothing in Containerfile"
out=$(hadolint "$repo/tests/ground/broker/Containerfile" 2>&1) || fail "hadolint tests/ground/broker/Containerfile: $out"
ok "hadolint finds nothing in tests/ground/broker/Containerfile (the ground's broker image)"

problems=$(shape "$repo/Containerfile")
[ -z "$problems" ] || fail "Containerfile: $problems"
ok "Containerfile has build, runtime, operator and sidecar stages; final stages run as a numeric non-root user without build tools; its make targets and COPY sources exist"

# broken WHAT SED-SCRIPT: the Containerfile changed by SED-SCRIPT must fail
# hadolint or the shape check.
broken() {
    local what=$1
    sed -E "$2" "$repo/Containerfile" >"$tmp/Containerfile"
    cmp -s "$repo/Containerfile" "$tmp/Containerfile" && fail "$what: the edit changed nothing"
    if hadolint "$tmp/Containerfile" >/dev/null 2>&1 && [ -z "$(shape "$tmp/Containerfile")" ]; then
        fail "$what: passed both checks"
    fi
    ok "caught $what"
}
broken "USER root in the operator image" '/^ENTRYPOINT \["\/usr\/local\/bin\/berth-operator"\]/i USER root'
broken "a named user in the sidecar image" 's/^USER 65532:65532$/USER berth/'
broken "gcc in the runtime stage" '/^FROM \$\{BASE\} AS runtime/,/^FROM/ s/ca-certificates/ca-certificates gcc/'
broken "an untagged base" 's/^ARG BASE=.*/ARG BASE=debian/'
broken "apt-get without --no-install-recommends" '0,/--no-install-recommends/ s/--no-install-recommends //'
broken "a make target the Makefile lacks" 's#/out/berth-drain \\#/out/berth-tool \\#'
broken "a COPY of a missing directory" 's#^COPY sidecar/ sidecar/#COPY sidecars/ sidecars/#'
