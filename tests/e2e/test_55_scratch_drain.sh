#!/usr/bin/env bash
# The drain client needs no libc at all: berth-drain, taken from the
# sidecar image into an image FROM scratch that holds that one file, runs
# as an ephemeral container in a broker pod (restricted profile, the pod's
# "run" volume mounted), drains that broker through the sidecar's socket
# and exits 0; the broker then leads no partition. The pod is deleted
# afterwards (an ephemeral container cannot be removed), and the cluster
# turns Ready again with every leader back on its preferred broker.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BOOT=$(status_bootstrap)
[ -n "$BOOT" ] || fail "no external bootstrap in status (test_20 makes the cluster)"
id=1
pod="$CLUSTER-$id"
version=$(sed -nE 's/^#define BERTH_VERSION "([^"]+)".*/\1/p' "$repo/lib/util/version.h")
sidecar="localhost/berth-sidecar:$version"
image=localhost/berth-drain-scratch:e2e
archive="$state/drain-scratch.tar"

export BUILDAH_ISOLATION=chroot
ctr=$(buildah from scratch)
buildah copy --quiet --from "$sidecar" "$ctr" /usr/local/bin/berth-drain /berth-drain >/dev/null
buildah config --entrypoint '["/berth-drain"]' --user 65532:65532 "$ctr"
root=$(buildah mount "$ctr")
files=$(cd "$root" && find . -mindepth 1 | sort | tr '\n' ' ')
buildah umount "$ctr" >/dev/null
[ "$files" = "./berth-drain " ] || fail "the scratch image holds more than berth-drain: $files"
buildah commit --quiet --rm "$ctr" "$image" >/dev/null
rm -f "$archive"
buildah push --quiet "$image" "docker-archive:$archive:$image" >/dev/null
bash "$BERTH_NODE_SH" load "$archive" >/dev/null
say "image $image: /berth-drain alone, no libc, no shell"

led() {
    kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOT" --describe 2>/dev/null |
        awk -v id="$1" '/Partition:/ {for (k = 1; k <= NF; k++) if ($k == "Leader:" && $(k+1) == id) n++} END {print n + 0}'
}
before=$(led "$id")
[ "$before" -gt 0 ] || fail "broker $id leads no partition before the drain"

kubectl debug "$pod" -n "$NS" --image="$image" --container=drain-scratch --profile=restricted \
    --custom=<(echo '{"volumeMounts":[{"name":"run","mountPath":"/var/run/berth"}]}') \
    -- /berth-drain --socket /var/run/berth/drain.sock --timeout 90 >/dev/null ||
    fail "kubectl debug refused the ephemeral container"
exit_code() {
    kubectl get pod "$pod" -n "$NS" \
        -o jsonpath='{.status.ephemeralContainerStatuses[?(@.name=="drain-scratch")].state.terminated.exitCode}'
}
ended() { [ -n "$(exit_code)" ]; }
wait_for 150 "the scratch drain client to exit" ended
code=$(exit_code)
out=$(kubectl logs "$pod" -n "$NS" -c drain-scratch 2>&1 || true)
[ "$code" = 0 ] || fail "berth-drain in the scratch image exited $code: $out"
grep -q "leads no partition" <<<"$out" || fail "berth-drain printed no drained broker: $out"
now=$(led "$id")
[ "$now" = 0 ] || fail "broker $id still leads $now partitions after the scratch drain"
ok "berth-drain FROM scratch drained broker $id ($before leaderships moved): $(tail -1 <<<"$out")"

uid=$(pod_uid "$pod")
kubectl delete pod "$pod" -n "$NS" --wait=false >/dev/null
replaced() { local u; u=$(pod_uid "$pod"); [ -n "$u" ] && [ "$u" != "$uid" ]; }
wait_for 300 "$pod to be made again" replaced
wait_for 300 "3 Ready brokers" cluster_ready 3
back() { [ "$(led "$id")" -gt 0 ]; }
wait_for 120 "broker $id to lead again" back
ok "$pod made again and Ready; broker $id leads $(led "$id") partitions again"
