{{/*
The operator's rights on namespaced resources, and nothing more. One list,
rendered into the ClusterRole when the operator watches every namespace and
into a Role in operator.watchNamespace when it watches one. Each rule names
the code that needs it; a verb no code path uses is not granted.

Objects the operator owns are written by server-side apply (operator/
reconcile.c apply_changes): a PATCH, which needs create as well while the
object does not exist yet. get is for reads that miss the informers' cache
(operator/lister_api.c), list and watch for the informers
(operator/informers.c).
*/}}
{{- define "berth.operatorRules" -}}
# The custom resource. update: the finalizer berth.io/teardown, added and
# removed by read-modify-write (operator/teardown.c update_cr). patch:
# removing the berth.io/reformat-voter annotation (reconcile.c
# clear_reformat).
- apiGroups: [berth.io]
  resources: [kafkaclusters]
  verbs: [get, list, watch, update, patch]
# Status is written by server-side apply of the status subresource only.
- apiGroups: [berth.io]
  resources: [kafkaclusters/status]
  verbs: [patch]
# Owned objects carry owner references with blockOwnerDeletion, which the
# OwnerReferencesPermissionEnforcement admission plugin allows only to
# those who may update the owner's finalizers.
- apiGroups: [berth.io]
  resources: [kafkaclusters/finalizers]
  verbs: [update]
# The brokers' StatefulSet and PodDisruptionBudget: applied; deleted only
# when their KafkaCluster is (teardown.c stop_brokers, drop_budget), and the
# StatefulSet deleted with its pods orphaned and created again when
# spec.storage.size grows (operator/reconcile_storage.c recreate).
- apiGroups: [apps]
  resources: [statefulsets]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [get, list, watch, create, patch, delete]
# Services: applied; a per-broker Service no longer wanted is deleted
# (reconcile.c prune_services).
- apiGroups: [""]
  resources: [services]
  verbs: [get, list, watch, create, patch, delete]
# The sidecar's ServiceAccount, Role and RoleBinding: applied only. Writing
# that Role needs neither escalate nor bind: the operator holds everything
# it grants (get on <cluster>-brokers and <cluster>-broker-certs, get and
# update on the <cluster>-drain ConfigMap and Lease).
- apiGroups: [""]
  resources: [serviceaccounts]
  verbs: [get, list, watch, create, patch]
- apiGroups: [rbac.authorization.k8s.io]
  resources: [roles, rolebindings]
  verbs: [get, list, watch, create, patch]
# <cluster>-cluster-ca, <cluster>-cluster-ca-cert and <cluster>-broker-certs
# (the cluster's mutual TLS): applied only; the informer lists and watches
# only Secrets carrying berth's managed-by label.
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch, create, patch]
# The <cluster>-brokers and <cluster>-drain ConfigMaps: applied. update:
# dropping drain-ledger entries of removed brokers (operator/ledger_gc.c),
# and the sidecar's Role grants it on <cluster>-drain.
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch, create, patch, update]
# The <cluster>-drain Lease: applied; the sidecar's Role grants update on
# it. In every-namespace mode this rule also covers the leader-election
# Lease berth-operator (lib/kube/lease.c: get, create, update).
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [get, list, watch, create, patch, update]
# Broker pods: read for status; patched only for berth's annotation
# berth.io/advertised (operator/readdress.c annotate). Never created,
# updated or deleted: a broker restarts through the Eviction API, so the
# PodDisruptionBudget and the drain apply (readdress.c evict, and
# teardown.c shorten_grace for a deleted cluster's brokers).
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch, patch]
- apiGroups: [""]
  resources: [pods/eviction]
  verbs: [create]
# The brokers' claims (data-<cluster>-<id>, made by the StatefulSet): read,
# and patched to a larger size when spec.storage.size grows
# (operator/reconcile_storage.c grow_claims). Never created or deleted.
- apiGroups: [""]
  resources: [persistentvolumeclaims]
  verbs: [get, patch]
# Events on the KafkaCluster, events.k8s.io/v1 only (lib/kube/events.c: a
# create, then a patch for each repeat).
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
{{- end -}}
