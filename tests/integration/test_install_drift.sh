#!/usr/bin/env bash
# The generated install files match their sources: charts/berth/crds/ is a
# byte copy of manifests/crd/, manifests/berth.yaml is what the chart
# renders, docs/cr-reference.md is what the CRD schema renders
# (tools/generate.sh --check). And the check has teeth: in a scratch copy of
# the tree, each kind of drift (a hand edit of a generated file, a source
# changed without regenerating, a stray CRD in the chart) makes it fail and
# name the file, and regenerating makes it pass again.
# Run by tests/integration/run.sh, which exports the ground's locations; it
# needs only the ground's helm, not a running ground.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
export HELM="${BERTH_GROUND_BIN:?}/helm"
# The ground's pinned helm: kube.sh up builds the control plane only, so
# build helm here when it is missing or its pin changed (cached otherwise).
if ! built=$(bash "$repo/tests/ground/build.sh" helm 2>&1); then
    echo "FAIL: could not build helm: $built" >&2
    exit 1
fi
fail() { echo "FAIL test_install_drift: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

out=$(bash "$repo/tools/generate.sh" --check 2>&1) ||
    fail "the committed install files drifted from their sources (run make manifests): $out"
ok "committed files match: $out"

# A scratch tree with what generate.sh reads and writes.
fresh_tree() {
    rm -rf "$tmp/t"
    mkdir -p "$tmp/t/tests" "$tmp/t/docs"
    cp -r "$repo/tools" "$repo/charts" "$repo/manifests" "$tmp/t/"
    cp -r "$repo/tests/ground" "$tmp/t/tests/"
    cp "$repo/docs/cr-reference.md" "$tmp/t/docs/"
    bash "$tmp/t/tools/generate.sh" --check >/dev/null 2>&1 || fail "the scratch copy does not pass the check"
}

# drifts WHAT FILE COMMAND...: after COMMAND (run in the scratch tree), the
# check must fail and name FILE; `generate.sh` must then repair it.
drifts() {
    local what=$1 file=$2 out
    shift 2
    fresh_tree
    (cd "$tmp/t" && "$@") || fail "$what: could not change the scratch tree"
    if out=$(bash "$tmp/t/tools/generate.sh" --check 2>&1); then
        fail "$what: the check passed: $out"
    fi
    grep -qF "drift: $file" <<<"$out" || fail "$what: the check failed without naming $file: $out"
    bash "$tmp/t/tools/generate.sh" >/dev/null || fail "$what: regenerating failed"
    out=$(bash "$tmp/t/tools/generate.sh" --check 2>&1) || fail "$what: still drifted after regenerating: $out"
    ok "caught $what (names $file), and make manifests repairs it"
}

drifts "a hand edit of manifests/berth.yaml" manifests/berth.yaml \
    sed -i 's/memory: 128Mi/memory: 256Mi/' manifests/berth.yaml
drifts "a chart default changed without regenerating" manifests/berth.yaml \
    sed -i 's/^  logFormat: text/  logFormat: json/' charts/berth/values.yaml
drifts "a chart template changed without regenerating" manifests/berth.yaml \
    sed -i 's/verbs: \[get, list, watch\]$/verbs: [get, list, watch, delete]/' charts/berth/templates/clusterrole.yaml
drifts "an edit of the chart's CRD copy" charts/berth/crds/kafkaclusters.berth.io.yaml \
    sed -i 's/shortNames: \[kc\]/shortNames: [kc, kafka]/' charts/berth/crds/kafkaclusters.berth.io.yaml
drifts "a CRD source change not copied to the chart" charts/berth/crds/kafkaclusters.berth.io.yaml \
    sed -i 's/maximum: 3600/maximum: 7200/' manifests/crd/kafkaclusters.berth.io.yaml
drifts "a CRD description change not rendered into docs/cr-reference.md" docs/cr-reference.md \
    sed -i 's/description: The desired state of the broker cluster./description: The wanted state./' \
    manifests/crd/kafkaclusters.berth.io.yaml
drifts "a hand edit of docs/cr-reference.md" docs/cr-reference.md \
    sed -i '1s/.*/# KafkaCluster/' docs/cr-reference.md
drifts "a stray CRD in the chart" charts/berth/crds/other.yaml \
    cp charts/berth/crds/kafkaclusters.berth.io.yaml charts/berth/crds/other.yaml
drifts "a deleted generated file" manifests/berth.yaml rm manifests/berth.yaml
