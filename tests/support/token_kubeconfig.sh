# shellcheck shell=bash
# A kubeconfig that holds nothing but one ServiceAccount's token, so that a
# program run outside the cluster (berth-operator, berth-sidecar) gets exactly
# the rights RBAC gives that ServiceAccount, as it would in its pod. Shared by
# the shell tests and the demo. Sourced, not run.
#
# token_kubeconfig SERVICEACCOUNT NAMESPACE OUT [DURATION]
#   asks for a token with `kubectl create token` (the caller's `kubectl`, a
#   command or a function that carries an admin --kubeconfig), and writes
#   OUT (the API server and that token, NAMESPACE as the context's namespace)
#   and OUT.ca (the cluster's CA). DURATION defaults to 1h. Returns 1 with
#   the reason on stderr.
token_kubeconfig() {
    local sa=$1 ns=$2 out=$3 duration=${4:-1h} token server
    token=$(kubectl create token "$sa" -n "$ns" --duration="$duration") ||
        { echo "no token for ServiceAccount $ns/$sa" >&2; return 1; }
    server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}') ||
        { echo "cannot read the API server's address from the admin kubeconfig" >&2; return 1; }
    kubectl config view --minify --flatten \
        -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$out.ca" &&
        [ -s "$out.ca" ] ||
        { echo "cannot read the cluster's CA from the admin kubeconfig" >&2; return 1; }
    (
        umask 077
        cat >"$out" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: ground
  cluster: {server: "$server", certificate-authority: "$out.ca"}
users:
- name: $sa
  user: {token: "$token"}
contexts:
- name: $sa
  context: {cluster: ground, user: $sa, namespace: "$ns"}
current-context: $sa
EOF
    )
}
