#!/usr/bin/env bash
# The operator's RBAC, as the chart renders it, is least privilege on the
# real API server, in both modes. Watching every namespace (the default):
# the ClusterRole allows each verb the operator's code sends, on each
# resource (one `kubectl auth can-i` per resource and verb), and denies the
# verbs it never sends (delete or create Pods, write Nodes, update or delete
# what it only applies, escalate or bind). Watching one namespace
# (operator.watchNamespace): the same rights hold in that namespace only,
# none in another (not even reading a Secret in kube-system or any verb on
# a KafkaCluster), the only cluster-wide rights are reading Nodes and
# getting a StorageClass by name (is it expandable?), and the
# leader-election Lease berth-operator is writable in the release namespace
# by its name only. In both modes the operator's ServiceAccount itself
# creates the sidecar's ServiceAccount, Role and RoleBinding exactly as the
# operator renders them (tests/unit/test_op_desired/nodeport.rbac.json),
# which the API server allows only when the operator holds every right that
# Role grants; and that sidecar account can read its own ConfigMap and
# certificate Secret and nothing else.
# Only the RBAC objects (ServiceAccount, ClusterRole, Role and bindings) are
# applied, under names unique to this run; everything is deleted on exit.
# Run by tests/integration/run.sh, which exports the ground's locations.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
chart="$repo/charts/berth"
golden="$repo/tests/unit/test_op_desired/nodeport.rbac.json"
# The ground's pinned helm: kube.sh up builds the control plane only, so
# build helm here when it is missing or its pin changed (cached otherwise).
if ! built=$(bash "$repo/tests/ground/build.sh" helm 2>&1); then
    echo "FAIL: could not build helm: $built" >&2
    exit 1
fi

tmp=$(mktemp -d)
id=$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
cns="rbac-op-$id"        # every-namespace mode: the release namespace
crel="rbac-berth-$id"    # names contain berth, so objects are <release>-operator
nns="rbac-nop-$id"       # one-namespace mode: the release namespace
wns="rbac-watch-$id"     # ... and the namespace it watches
nrel="rbac-nberth-$id"
side="rbac-side-$id"     # where the sidecar's RBAC goes in every-namespace mode
other="rbac-other-$id"   # a namespace the operator has no business in (never created)
kubectl() { "$BERTH_GROUND_BIN/kubectl" --kubeconfig "$BERTH_KUBECONFIG" --cache-dir "$tmp/cache" "$@"; }
helm() {
    HELM_CACHE_HOME="$tmp/helm/cache" HELM_CONFIG_HOME="$tmp/helm/config" HELM_DATA_HOME="$tmp/helm/data" \
        "$BERTH_GROUND_BIN/helm" "$@"
}
fail() { echo "FAIL test_rbac: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
cleanup() {
    local rc=$?
    kubectl delete namespace "$cns" "$nns" "$wns" "$side" --ignore-not-found --wait=false >/dev/null 2>&1 || true
    kubectl delete clusterrole,clusterrolebinding "$crel-operator" "$nrel-operator" --ignore-not-found >/dev/null 2>&1 || true
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- render and apply the RBAC objects -----------------------------------------
# rbac_objects FILE: the documents of a `helm template` output whose kind is
# one of RBAC's (or the ServiceAccount), nothing else (no Deployment).
rbac_objects() {
    awk '
        function flush() { if (keep) printf "---\n%s", doc; doc = ""; keep = 0 }
        /^---$/ { flush(); next }
        { doc = doc $0 "\n" }
        /^kind: (ServiceAccount|ClusterRole|ClusterRoleBinding|Role|RoleBinding)$/ { keep = 1 }
        END { flush() }' "$1"
}
# kinds FILE: the sorted "Kind namespace/name" of its objects, one a line.
kinds() {
    awk '/^kind: /{k=$2} /^  name: /&&!n{n=$2} /^  namespace: /&&!s{s=$2}
         /^---$/{if(k)print k" "s"/"n; k=n=s=""} END{if(k)print k" "s"/"n}' "$1" | sort
}

# can-i names the custom resource by its group, which kubectl resolves only
# when the CRD is served. Shared with other tests, so applied as they apply
# it and never deleted here.
out=$(kubectl apply --server-side --field-manager=berth-install --force-conflicts \
    -f "$repo/manifests/crd/kafkaclusters.berth.io.yaml" 2>&1) || fail "applying the KafkaCluster CRD: $out"
kubectl wait --for=condition=Established --timeout=60s crd/kafkaclusters.berth.io >/dev/null ||
    fail "the KafkaCluster CRD is not Established"

kubectl create namespace "$cns" >/dev/null
kubectl create namespace "$nns" >/dev/null
kubectl create namespace "$wns" >/dev/null
kubectl create namespace "$side" >/dev/null

helm template "$crel" "$chart" --namespace "$cns" >"$tmp/cluster.all.yaml" || fail "helm template (every namespace) failed"
helm template "$nrel" "$chart" --namespace "$nns" --set operator.watchNamespace="$wns" >"$tmp/ns.all.yaml" ||
    fail "helm template (operator.watchNamespace=$wns) failed"
rbac_objects "$tmp/cluster.all.yaml" >"$tmp/cluster.yaml"
rbac_objects "$tmp/ns.all.yaml" >"$tmp/ns.yaml"

cop="$crel-operator" nop="$nrel-operator"
want="ClusterRole /$cop
ClusterRoleBinding /$cop
ServiceAccount $cns/$cop"
[ "$(kinds "$tmp/cluster.yaml")" = "$want" ] ||
    fail "every-namespace mode renders other RBAC objects than $(tr '\n' ',' <<<"$want"): $(kinds "$tmp/cluster.yaml" | tr '\n' ',')"
want="ClusterRole /$nop
ClusterRoleBinding /$nop
Role $nns/$nop-leader-election
Role $wns/$nop
RoleBinding $nns/$nop-leader-election
RoleBinding $wns/$nop
ServiceAccount $nns/$nop"
[ "$(kinds "$tmp/ns.yaml")" = "$want" ] ||
    fail "one-namespace mode renders other RBAC objects than $(tr '\n' ',' <<<"$want"): $(kinds "$tmp/ns.yaml" | tr '\n' ',')"
grep -q -- "--namespace=$wns\$" "$tmp/ns.all.yaml" || fail "the Deployment does not pass --namespace=$wns"
! grep -q -- "--namespace=" "$tmp/cluster.all.yaml" || fail "every-namespace mode passes a --namespace"
ok "rendered: every-namespace mode a ClusterRole; one-namespace mode a Role in $wns, the Lease's Role in $nns and a ClusterRole, and --namespace=$wns"

for m in cluster ns; do
    out=$(kubectl apply -f "$tmp/$m.yaml" 2>&1) || fail "applying the $m-mode RBAC objects: $out"
done

# --- the matrix ------------------------------------------------------------------
# can NS SA ARGS... / cannot NS SA ARGS...: `kubectl auth can-i ARGS` as that
# ServiceAccount answers yes / no. Counted, so the summary says how much ran.
allowed=0 denied=0
can_i() { kubectl auth can-i --as="system:serviceaccount:$1:$2" "${@:3}" 2>/dev/null || true; }
can() {
    local a
    a=$(can_i "$@")
    [ "$a" = yes ] || fail "SA $1/$2 cannot ${*:3} (can-i: '$a'), but needs it"
    allowed=$((allowed + 1))
}
cannot() {
    local a
    a=$(can_i "$@")
    [ "$a" = no ] || fail "SA $1/$2 can ${*:3} (can-i: '$a'), which it must not"
    denied=$((denied + 1))
}

# needs NS SA WHERE...: everything the operator's code sends, in WHERE (-n X or -A).
needs() {
    local sns=$1 sa=$2 v r
    shift 2
    for v in get list watch update patch; do can "$sns" "$sa" "$v" kafkaclusters.berth.io "$@"; done
    can "$sns" "$sa" patch kafkaclusters.berth.io --subresource=status "$@"
    can "$sns" "$sa" update kafkaclusters.berth.io --subresource=finalizers "$@"
    for r in statefulsets.apps poddisruptionbudgets.policy services; do
        for v in get list watch create patch delete; do can "$sns" "$sa" "$v" "$r" "$@"; done
    done
    for r in serviceaccounts roles.rbac.authorization.k8s.io rolebindings.rbac.authorization.k8s.io secrets; do
        for v in get list watch create patch; do can "$sns" "$sa" "$v" "$r" "$@"; done
    done
    for r in configmaps leases.coordination.k8s.io; do
        for v in get list watch create patch update; do can "$sns" "$sa" "$v" "$r" "$@"; done
    done
    for v in get list watch patch; do can "$sns" "$sa" "$v" pods "$@"; done
    can "$sns" "$sa" create pods --subresource=eviction "$@"
    for v in create patch; do can "$sns" "$sa" "$v" events.events.k8s.io "$@"; done
    for v in get patch; do can "$sns" "$sa" "$v" persistentvolumeclaims "$@"; done
}

# never NS SA WHERE...: what no code path sends, in WHERE.
never() {
    local sns=$1 sa=$2 v r
    shift 2
    for v in create update delete deletecollection; do cannot "$sns" "$sa" "$v" pods "$@"; done
    cannot "$sns" "$sa" create pods --subresource=exec "$@"
    cannot "$sns" "$sa" get pods --subresource=log "$@"
    for v in create delete deletecollection; do cannot "$sns" "$sa" "$v" kafkaclusters.berth.io "$@"; done
    for v in get update; do cannot "$sns" "$sa" "$v" kafkaclusters.berth.io --subresource=status "$@"; done
    for r in statefulsets.apps poddisruptionbudgets.policy services; do
        for v in update deletecollection; do cannot "$sns" "$sa" "$v" "$r" "$@"; done
    done
    for r in serviceaccounts roles.rbac.authorization.k8s.io rolebindings.rbac.authorization.k8s.io secrets; do
        for v in update delete deletecollection; do cannot "$sns" "$sa" "$v" "$r" "$@"; done
    done
    for r in configmaps leases.coordination.k8s.io; do
        for v in delete deletecollection; do cannot "$sns" "$sa" "$v" "$r" "$@"; done
    done
    for v in escalate bind; do
        cannot "$sns" "$sa" "$v" roles.rbac.authorization.k8s.io "$@"
        cannot "$sns" "$sa" "$v" clusterroles.rbac.authorization.k8s.io
    done
    cannot "$sns" "$sa" create serviceaccounts --subresource=token "$@"
    cannot "$sns" "$sa" impersonate serviceaccounts "$@"
    cannot "$sns" "$sa" create events "$@" # core-group Events: it writes events.k8s.io only
    cannot "$sns" "$sa" update events.events.k8s.io "$@"
    cannot "$sns" "$sa" create deployments.apps "$@"
    for v in list watch create update delete deletecollection; do cannot "$sns" "$sa" "$v" persistentvolumeclaims "$@"; done
    for v in create update patch delete; do cannot "$sns" "$sa" "$v" nodes; done
    for v in list watch create update patch delete; do cannot "$sns" "$sa" "$v" storageclasses.storage.k8s.io; done
    cannot "$sns" "$sa" create clusterroles.rbac.authorization.k8s.io
    cannot "$sns" "$sa" create clusterrolebindings.rbac.authorization.k8s.io
    cannot "$sns" "$sa" delete customresourcedefinitions.apiextensions.k8s.io
    cannot "$sns" "$sa" create namespaces
    cannot "$sns" "$sa" '*' '*' "$@"
}

# sidecar_rbac NS SA WHERE: as the operator's SA, create the sidecar's
# ServiceAccount, Role and RoleBinding the operator renders (the golden
# file, moved to WHERE and without owner references, whose owner does not
# exist here), then check what that sidecar account may do.
sidecar_rbac() {
    local sns=$1 sa=$2 dns=$3 as="system:serviceaccount:$1:$2" obj out
    jq -e 'length == 3' "$golden" >/dev/null || fail "$golden is not the three sidecar RBAC objects"
    while IFS= read -r obj; do
        out=$(kubectl --as="$as" create -f - <<<"$obj" 2>&1) ||
            fail "SA $sns/$sa could not create the sidecar's $(jq -r .kind <<<"$obj") in $dns: $out"
    done < <(jq -c --arg ns "$dns" '.[] | del(.metadata.ownerReferences) | .metadata.namespace = $ns |
        if .subjects then .subjects |= map(.namespace = $ns) else . end' "$golden")
    # A Role that grants what the operator lacks is refused: no escalate.
    if out=$(kubectl --as="$as" create role "rbac-greedy-$id" -n "$dns" --verb=delete --resource=pods 2>&1); then
        fail "SA $sns/$sa created a Role granting delete on Pods in $dns: $out"
    fi
    local s=demo-sidecar
    can "$dns" "$s" get configmaps/demo-brokers -n "$dns"
    can "$dns" "$s" get secrets/demo-broker-certs -n "$dns"
    for r in configmaps/demo-drain leases.coordination.k8s.io/demo-drain; do
        for v in get update; do can "$dns" "$s" "$v" "$r" -n "$dns"; done
    done
    cannot "$dns" "$s" get secrets/demo-cluster-ca -n "$dns"
    cannot "$dns" "$s" list secrets -n "$dns"
    cannot "$dns" "$s" update configmaps/demo-brokers -n "$dns"
    cannot "$dns" "$s" list configmaps -n "$dns"
    cannot "$dns" "$s" get pods -n "$dns"
    cannot "$dns" "$s" get configmaps/demo-brokers -n "$other"
}

# --- every namespace ------------------------------------------------------------------
needs "$cns" "$cop" -A
needs "$cns" "$cop" -n "$other"
for v in get list watch; do can "$cns" "$cop" "$v" nodes; done
can "$cns" "$cop" get storageclasses.storage.k8s.io
can "$cns" "$cop" create leases.coordination.k8s.io -n "$cns"
for v in get update; do can "$cns" "$cop" "$v" leases.coordination.k8s.io/berth-operator -n "$cns"; done
never "$cns" "$cop" -n "$other"
sidecar_rbac "$cns" "$cop" "$side"
ok "every-namespace mode: SA $cns/$cop is allowed all $allowed checks it needs, denied all $denied it must not do, and grants the sidecar its Role"

# --- one namespace -----------------------------------------------------------------------
allowed=0 denied=0
needs "$nns" "$nop" -n "$wns"
for v in get list watch; do can "$nns" "$nop" "$v" nodes; done
can "$nns" "$nop" get storageclasses.storage.k8s.io
# The leader-election Lease: in the release namespace, by its name.
can "$nns" "$nop" create leases.coordination.k8s.io -n "$nns"
for v in get update; do can "$nns" "$nop" "$v" leases.coordination.k8s.io/berth-operator -n "$nns"; done
for v in get update; do cannot "$nns" "$nop" "$v" leases.coordination.k8s.io/demo-drain -n "$nns"; done
for v in list watch patch delete; do cannot "$nns" "$nop" "$v" leases.coordination.k8s.io -n "$nns"; done
never "$nns" "$nop" -n "$wns"
# Nothing of the namespaced rights elsewhere: not in another namespace, not
# in its own, not cluster-wide.
for w in "$other" "$nns" kube-system; do
    for v in get list watch create update patch delete deletecollection; do
        cannot "$nns" "$nop" "$v" kafkaclusters.berth.io -n "$w"
    done
    for r in secrets configmaps pods services statefulsets.apps poddisruptionbudgets.policy serviceaccounts persistentvolumeclaims \
        roles.rbac.authorization.k8s.io rolebindings.rbac.authorization.k8s.io events.events.k8s.io; do
        for v in get list create patch; do cannot "$nns" "$nop" "$v" "$r" -n "$w"; done
    done
    cannot "$nns" "$nop" create pods --subresource=eviction -n "$w"
    cannot "$nns" "$nop" patch kafkaclusters.berth.io --subresource=status -n "$w"
done
for r in kafkaclusters.berth.io secrets pods configmaps leases.coordination.k8s.io; do
    for v in list watch; do cannot "$nns" "$nop" "$v" "$r" -A; done
done
never "$nns" "$nop" -n "$other"
sidecar_rbac "$nns" "$nop" "$wns"
# ... and cannot grant it anywhere else.
obj=$(jq -c --arg ns "$side" '.[1] | del(.metadata.ownerReferences) | .metadata.namespace = $ns | .metadata.name = "rbac-elsewhere"' "$golden")
if out=$(kubectl --as="system:serviceaccount:$nns:$nop" create -f - <<<"$obj" 2>&1); then
    fail "SA $nns/$nop created the sidecar's Role in $side, outside its namespace $wns: $out"
fi
ok "one-namespace mode: SA $nns/$nop is allowed all $allowed checks it needs in $wns (Nodes and its Lease in $nns), denied all $denied elsewhere or never needed, and grants the sidecar its Role in $wns only"
