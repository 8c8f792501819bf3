#!/usr/bin/env bash
# The two install paths hold on the real API server.
# Helm: `helm lint` is clean; bad values (a string for operator.replicas, an
# unknown log format, a misspelt key) are refused with the schema's message
# and install nothing; `helm install` creates the ServiceAccount, RBAC and a
# Deployment whose pod passes the namespace's restricted Pod Security
# admission; `helm upgrade` changes it; `helm uninstall` leaves nothing
# behind in the namespace or the cluster except the CRD, which Helm keeps by
# design. Plain manifests: manifests/berth.yaml (with its namespace and
# cluster-wide names made unique for this run) applies with `kubectl apply
# -f` and its operator pod is admitted as restricted. For both, the
# operator's ServiceAccount can do what the operator needs (`kubectl auth
# can-i`, and really creating the sidecar's Role, which must need no
# escalation) and cannot delete nodes, update or delete Secrets or touch workloads it
# does not own.
# The KafkaCluster CRD is shared with other tests: it is never deleted here.
# Run by tests/integration/run.sh, which exports the ground's locations.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
chart="$repo/charts/berth"
crd=kafkaclusters.berth.io
# The ground's pinned helm: kube.sh up builds the control plane only, so
# build helm here when it is missing or its pin changed (cached otherwise).
if ! built=$(bash "$repo/tests/ground/build.sh" helm 2>&1); then
    echo "FAIL: could not build helm: $built" >&2
    exit 1
fi

tmp=$(mktemp -d)
id=$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
ns="ins-helm-$id"         # the Helm release's namespace
mns="ins-manifests-$id"   # where the plain manifests go
release="ins-berth-$id"   # names contain berth, so objects are <release>-operator
op="$release-operator"
mop="$mns-operator"       # the manifests' berth-operator, renamed for this run
kubectl() { "$BERTH_GROUND_BIN/kubectl" --kubeconfig "$BERTH_KUBECONFIG" --cache-dir "$tmp/cache" "$@"; }
helm() {
    HELM_CACHE_HOME="$tmp/helm/cache" HELM_CONFIG_HOME="$tmp/helm/config" HELM_DATA_HOME="$tmp/helm/data" \
        "$BERTH_GROUND_BIN/helm" --kubeconfig "$BERTH_KUBECONFIG" "$@"
}
fail() { echo "FAIL test_install: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
cleanup() {
    local rc=$?
    helm uninstall "$release" -n "$ns" >/dev/null 2>&1 || true
    kubectl delete clusterrole "$op" "$mop" --ignore-not-found >/dev/null 2>&1 || true
    kubectl delete clusterrolebinding "$op" "$mop" --ignore-not-found >/dev/null 2>&1 || true
    kubectl delete namespace "$ns" "$mns" "ins-watch-$id" --ignore-not-found --wait=false >/dev/null 2>&1 || true
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

contains() {
    local out=$1
    shift
    for frag in "$@"; do
        grep -qF -- "$frag" <<<"$out" || return 1
    done
}

# --- helm lint ----------------------------------------------------------------
out=$(helm lint --strict "$chart" 2>&1) || fail "helm lint --strict failed: $out"
contains "$out" "1 chart(s) linted, 0 chart(s) failed" || fail "helm lint: unexpected summary: $out"
! grep -qE '^\[(WARNING|ERROR)\]' <<<"$out" || fail "helm lint reports problems: $out"
ok "helm lint --strict is clean"

# The namespace enforces the restricted Pod Security Standard, so the API
# server itself refuses an operator pod that runs as root, escalates, keeps
# capabilities or has no seccomp profile.
kubectl create namespace "$ns" >/dev/null
kubectl label namespace "$ns" pod-security.kubernetes.io/enforce=restricted >/dev/null

# --- bad values -----------------------------------------------------------------
# refused WHAT MESSAGE HELM-ARGS...: `helm install` with these values fails
# with MESSAGE and leaves no release behind.
refused() {
    local what=$1 msg=$2 out
    shift 2
    if out=$(helm install "$release" "$chart" -n "$ns" "$@" 2>&1); then
        fail "$what: helm installed it: $out"
    fi
    contains "$out" "$msg" || fail "$what: refused, but without '$msg': $out"
    if helm status "$release" -n "$ns" >/dev/null 2>&1; then
        fail "$what: refused, but a release $release exists"
    fi
    ok "refused $what: $msg"
}
refused "a string for operator.replicas" "at '/operator/replicas': got string, want integer" \
    --set-string operator.replicas=two
refused "an unknown log format" "at '/operator/logFormat': value must be one of 'text', 'json'" \
    --set operator.logFormat=xml
refused "a misspelt key (operator.replica)" "at '/operator': additional properties 'replica' not allowed" \
    --set operator.replica=2
refused "a port out of range" "at '/operator/healthPort': maximum: got 70,000, want 65,535" \
    --set operator.healthPort=70000
refused "two operators without leader election" "operator.replicas > 1 needs operator.leaderElect: true" \
    --set operator.replicas=2 --set operator.leaderElect=false
[ -z "$(kubectl get deployments,serviceaccounts -n "$ns" -l app.kubernetes.io/instance="$release" -o name)" ] ||
    fail "refused installs left objects behind"

# --- helm install -----------------------------------------------------------------
out=$(helm install "$release" "$chart" -n "$ns" --wait --timeout 120s 2>&1) || fail "helm install failed: $out"
contains "$out" "STATUS: deployed" "kubectl -n $ns rollout status deployment/$op" "kubectl explain kafkacluster.spec" \
    "helm uninstall" || fail "helm install: NOTES do not say what to do next: $out"
ok "helm install $release deployed, NOTES tell what to do next"

get() { kubectl get "$@" 2>/dev/null; }
get serviceaccount "$op" -n "$ns" >/dev/null || fail "no ServiceAccount $op"
get clusterrole "$op" >/dev/null || fail "no ClusterRole $op"
[ "$(get clusterrolebinding "$op" -o jsonpath='{.roleRef.name} {.subjects[0].namespace}/{.subjects[0].name}')" = "$op $ns/$op" ] ||
    fail "ClusterRoleBinding $op does not bind $op to $ns/$op"
[ "$(get crd "$crd" -o name)" = "customresourcedefinition.apiextensions.k8s.io/$crd" ] || fail "CRD $crd missing after install"

# check_deployment NS NAME: the Deployment as the API server holds it has
# the hardened pod, and its pod was admitted and is available.
check_deployment() {
    local dns=$1 name=$2 c='{.spec.template.spec.containers[0]'
    local want got
    got=$(get deployment "$name" -n "$dns" -o jsonpath="{.spec.template.spec.securityContext.runAsNonRoot} {.spec.template.spec.securityContext.seccompProfile.type} $c.securityContext.runAsNonRoot} $c.securityContext.readOnlyRootFilesystem} $c.securityContext.allowPrivilegeEscalation} $c.securityContext.capabilities.drop} $c.securityContext.seccompProfile.type}")
    want='true RuntimeDefault true true false ["ALL"] RuntimeDefault'
    [ "$got" = "$want" ] || fail "deployment $dns/$name security context: got '$got', want '$want'"
    got=$(get deployment "$name" -n "$dns" -o jsonpath="$c.livenessProbe.httpGet.path} $c.livenessProbe.httpGet.port} $c.readinessProbe.httpGet.path} $c.readinessProbe.httpGet.port} $c.ports[?(@.name==\"health\")].containerPort}")
    [ "$got" = "/healthz health /readyz health 8081" ] || fail "deployment $dns/$name probes: got '$got'"
    got=$(get deployment "$name" -n "$dns" -o jsonpath="$c.resources.requests.cpu} $c.resources.requests.memory} $c.resources.limits.memory}")
    [ "$got" = "50m 32Mi 128Mi" ] || fail "deployment $dns/$name resources: got '$got'"
    kubectl rollout status deployment "$name" -n "$dns" --timeout=120s >/dev/null ||
        fail "deployment $dns/$name did not become available: $(kubectl get events -n "$dns" 2>&1 | tail -5)"
}
check_deployment "$ns" "$op"
ok "Deployment $op: non-root, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp, probes on the health port, resources set; its pod admitted as restricted and available"

# --- what the operator's ServiceAccount may do ----------------------------------
# can NS SA VERB RESOURCE [ARGS...] / cannot ...: kubectl auth can-i as that SA.
can_i() { kubectl auth can-i --as="system:serviceaccount:$1:$2" "${@:3}" 2>/dev/null; }
can() { [ "$(can_i "$@")" = yes ] || fail "SA $1/$2 cannot ${*:3}, but the operator needs it"; }
cannot() { [ "$(can_i "$@")" = no ] || fail "SA $1/$2 can ${*:3}, which the operator must not"; }
check_rbac() {
    local sns=$1 sa=$2 other="ins-elsewhere-$id"
    for v in get list watch update patch; do can "$sns" "$sa" "$v" kafkaclusters.berth.io -A; done
    can "$sns" "$sa" patch kafkaclusters.berth.io --subresource=status -n "$other"
    # Verb by verb what the operator sends (charts/berth/templates/_rbac.tpl);
    # test_rbac.sh checks the full matrix, this only the install paths.
    for r in statefulsets.apps services poddisruptionbudgets.policy; do
        for v in get list watch create patch delete; do can "$sns" "$sa" "$v" "$r" -n "$other"; done
    done
    for r in serviceaccounts roles.rbac.authorization.k8s.io rolebindings.rbac.authorization.k8s.io; do
        for v in get list watch create patch; do can "$sns" "$sa" "$v" "$r" -n "$other"; done
    done
    for r in configmaps leases.coordination.k8s.io; do
        for v in get list watch create patch update; do can "$sns" "$sa" "$v" "$r" -n "$other"; done
    done
    for r in pods nodes; do
        for v in get list watch; do can "$sns" "$sa" "$v" "$r" -A; done
    done
    can "$sns" "$sa" patch pods -n "$other"
    can "$sns" "$sa" create pods --subresource=eviction -n "$other"
    can "$sns" "$sa" create events.events.k8s.io -n "$other"
    can "$sns" "$sa" patch events.events.k8s.io -n "$other"
    can "$sns" "$sa" update leases.coordination.k8s.io -n "$sns"
    # What it must not do.
    # Secrets: the three per cluster it server-side applies, never more.
    for v in get list watch create patch; do can "$sns" "$sa" "$v" secrets -n "$other"; done
    for v in update delete; do cannot "$sns" "$sa" "$v" secrets -n "$other"; done
    for v in create update patch delete; do cannot "$sns" "$sa" "$v" nodes; done
    for v in create update delete; do cannot "$sns" "$sa" "$v" pods -n "$other"; done
    cannot "$sns" "$sa" delete kafkaclusters.berth.io -n "$other"
    cannot "$sns" "$sa" create kafkaclusters.berth.io -n "$other"
    cannot "$sns" "$sa" create deployments.apps -n "$other"
    cannot "$sns" "$sa" create persistentvolumeclaims -n "$other"
    cannot "$sns" "$sa" delete customresourcedefinitions.apiextensions.k8s.io
    cannot "$sns" "$sa" create clusterroles.rbac.authorization.k8s.io
    cannot "$sns" "$sa" create clusterrolebindings.rbac.authorization.k8s.io
    cannot "$sns" "$sa" escalate roles.rbac.authorization.k8s.io -n "$other"
    cannot "$sns" "$sa" bind roles.rbac.authorization.k8s.io -n "$other"
    cannot "$sns" "$sa" impersonate serviceaccounts -n "$other"
    cannot "$sns" "$sa" create pods --subresource=exec -n "$other"
    cannot "$sns" "$sa" delete serviceaccounts -n "$other"
    cannot "$sns" "$sa" update statefulsets.apps -n "$other"
    cannot "$sns" "$sa" '*' '*'
}

# As the operator's SA, really create what it pre-creates for a sidecar: a
# ServiceAccount, the drain ConfigMap and Lease, and a Role with get/update
# on exactly those (the API server refuses a Role that grants more than its
# creator holds), bound to that ServiceAccount. Then the sidecar's SA can
# update the ledger and read nothing else.
check_sidecar_rbac() {
    local sns=$1 sa=$2 as="system:serviceaccount:$1:$2" side="ins-c-$id"
    kubectl create namespace "$side-ns" >/dev/null
    local ok_all=0
    {
        kubectl --as="$as" create serviceaccount "$side" -n "$side-ns" &&
            kubectl --as="$as" create configmap "$side-drain" -n "$side-ns" &&
            kubectl --as="$as" create configmap "$side-brokers" -n "$side-ns" &&
            kubectl --as="$as" apply -n "$side-ns" -f - <<EOF &&
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: $side-drain}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: $side-sidecar}
rules:
- {apiGroups: [""], resources: [configmaps], resourceNames: [$side-brokers], verbs: [get]}
- {apiGroups: [""], resources: [configmaps], resourceNames: [$side-drain], verbs: [get, update]}
- {apiGroups: [coordination.k8s.io], resources: [leases], resourceNames: [$side-drain], verbs: [get, update]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: $side-sidecar}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: $side-sidecar}
subjects:
- {kind: ServiceAccount, name: $side, namespace: $side-ns}
EOF
            ok_all=1
    } >"$tmp/sidecar.out" 2>&1 || true
    [ "$ok_all" = 1 ] || { kubectl delete namespace "$side-ns" --wait=false >/dev/null 2>&1; fail "SA $sns/$sa could not create the sidecar's objects: $(cat "$tmp/sidecar.out")"; }
    # A Role granting what the operator itself lacks is refused (no escalate).
    if out=$(kubectl --as="$as" create role "$side-greedy" -n "$side-ns" --verb=delete --resource=pods 2>&1); then
        kubectl delete namespace "$side-ns" --wait=false >/dev/null 2>&1
        fail "SA $sns/$sa created a Role granting delete on Pods: $out"
    fi
    can "$side-ns" "$side" update configmaps/"$side-drain" -n "$side-ns"
    can "$side-ns" "$side" get configmaps/"$side-brokers" -n "$side-ns"
    can "$side-ns" "$side" update leases.coordination.k8s.io/"$side-drain" -n "$side-ns"
    cannot "$side-ns" "$side" update configmaps/"$side-brokers" -n "$side-ns"
    cannot "$side-ns" "$side" list configmaps -n "$side-ns"
    cannot "$side-ns" "$side" get secrets -n "$side-ns"
    kubectl delete namespace "$side-ns" --wait=false >/dev/null
}

check_rbac "$ns" "$op"
check_sidecar_rbac "$ns" "$op"
ok "SA $ns/$op can do what the operator needs, can grant the sidecar its Role, and cannot update or delete Secrets, delete Nodes, create or delete Pods or escalate"

# --- helm upgrade ---------------------------------------------------------------------
# One watched namespace: the chart puts a Role there, so it must exist.
wns="ins-watch-$id"
kubectl create namespace "$wns" >/dev/null
out=$(helm upgrade "$release" "$chart" -n "$ns" --set operator.logFormat=json --set operator.replicas=2 \
    --set operator.watchNamespace="$wns" --wait --timeout 120s 2>&1) || fail "helm upgrade failed: $out"
get role "$op" -n "$wns" >/dev/null || fail "no Role $op in the watched namespace $wns after the upgrade"
got=$(get deployment "$op" -n "$ns" -o jsonpath='{.spec.replicas} {.spec.template.spec.containers[0].args}')
want='2 ["--namespace='"$wns"'","--leader-elect","--metrics-addr=:8080","--health-addr=:8081","--log-format=json"]'
[ "$got" = "$want" ] || fail "after helm upgrade: got '$got', want '$want'"
[ "$(helm status "$release" -n "$ns" -o json | jq -r '.version')" = 2 ] || fail "release is not at revision 2 after upgrade"
if out=$(helm upgrade "$release" "$chart" -n "$ns" --reuse-values --set operator.logFormat=yaml 2>&1); then
    fail "helm upgrade with logFormat=yaml succeeded: $out"
fi
contains "$out" "value must be one of 'text', 'json'" || fail "bad upgrade refused without the schema's message: $out"
[ "$(helm status "$release" -n "$ns" -o json | jq -r '"\(.version) \(.info.status)"')" = "2 deployed" ] ||
    fail "a refused upgrade changed the release: $(helm status "$release" -n "$ns" 2>&1 | head -5)"
ok "helm upgrade to 2 replicas, json logs and one watched namespace applied; a bad upgrade is refused and changes nothing"

# --- helm uninstall ---------------------------------------------------------------------
out=$(helm uninstall "$release" -n "$ns" --wait --timeout 120s 2>&1) || fail "helm uninstall failed: $out"
# The garbage collector removes the ReplicaSets and pods after the Deployment.
kubectl wait --for=delete replicasets,pods -n "$ns" -l app.kubernetes.io/instance="$release" --timeout=120s >/dev/null 2>&1 ||
    fail "the operator's ReplicaSets and pods were not removed: $(kubectl get replicasets,pods -n "$ns" 2>&1)"
# Every namespaced kind the server lists: only what Kubernetes itself puts in
# every namespace may be left (and Events, which expire on their own).
kinds=$(kubectl api-resources --verbs=list --namespaced -o name | grep -vx -e events -e events.events.k8s.io | paste -sd, -)
left=$(kubectl get "$kinds" -n "$ns" -o name 2>/dev/null |
    grep -vx -e configmap/kube-root-ca.crt -e serviceaccount/default || true)
[ -z "$left" ] || fail "helm uninstall left objects in $ns: $left"
[ -z "$(kubectl get clusterrole,clusterrolebinding "$op" --ignore-not-found -o name)" ] ||
    fail "helm uninstall left the ClusterRole or ClusterRoleBinding $op"
[ "$(get crd "$crd" -o name)" = "customresourcedefinition.apiextensions.k8s.io/$crd" ] ||
    fail "helm uninstall removed the CRD (Helm keeps crds/ by design)"
ok "helm uninstall left nothing in $ns (of $(tr ',' '\n' <<<"$kinds" | wc -l) kinds checked) nor its cluster-wide RBAC; the CRD stays, as Helm keeps crds/"
kubectl delete namespace "$ns" --wait=false >/dev/null

# --- kubectl apply -f manifests/ ----------------------------------------------------------
# The committed file, with its namespace and cluster-wide names made unique
# for this run so parallel runs and the shared ground never clash.
src="$repo/manifests/berth.yaml"
mkdir -p "$tmp/manifests"
sed -e "s/\bberth-system\b/$mns/g" -e "s/\bberth-operator\$/$mop/" "$src" >"$tmp/manifests/berth.yaml"
if [ "$(grep -c "$mns" "$tmp/manifests/berth.yaml")" -lt 4 ] || grep -q 'berth-system' "$tmp/manifests/berth.yaml"; then
    fail "could not retarget manifests/berth.yaml to namespace $mns"
fi
[ "$(grep -c "name: $mop\$" "$tmp/manifests/berth.yaml")" -eq 6 ] ||
    fail "expected 6 names berth-operator (SA, ClusterRole, binding, its roleRef and subject, Deployment) in $src"
out=$(kubectl apply -f "$tmp/manifests/" 2>&1) || fail "kubectl apply -f manifests/ failed: $out"
for o in "customresourcedefinition.apiextensions.k8s.io/$crd" "namespace/$mns" "serviceaccount/$mop" \
    "clusterrole.rbac.authorization.k8s.io/$mop" "clusterrolebinding.rbac.authorization.k8s.io/$mop" "deployment.apps/$mop"; do
    grep -qE "^$o (created|configured|unchanged)\$" <<<"$out" || fail "kubectl apply did not report $o: $out"
done
[ "$(get namespace "$mns" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}')" = restricted ] ||
    fail "namespace $mns does not enforce the restricted Pod Security Standard"
check_deployment "$mns" "$mop"
check_rbac "$mns" "$mop"
ok "kubectl apply -f manifests/ installs CRD, namespace (restricted), SA, RBAC and a hardened, admitted operator; SA $mns/$mop has the same rights"
