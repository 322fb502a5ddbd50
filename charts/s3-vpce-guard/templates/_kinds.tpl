{{/*
Every kind s3-vpce-guard admits and watches: WATCHED_KINDS of src/core/adapters/kind-registry.ts,
one entry per group and resource. Independent of values on purpose: the webhook rules and
the RBAC rules are generated from this list, and test/chart/chart.test.ts fails when it
and WATCHED_KINDS drift apart.
*/}}
{{- define "s3-vpce-guard.watchedKinds" -}}
# Crossplane Upjet provider-aws (cluster-scoped)
- { group: ec2.aws.upbound.io, resource: vpcendpoints, versions: [v1beta1, v1beta2], scope: Cluster }
- { group: ec2.aws.upbound.io, resource: vpcendpointroutetableassociations, versions: [v1beta1], scope: Cluster }
- { group: ec2.aws.upbound.io, resource: vpcendpointsubnetassociations, versions: [v1beta1], scope: Cluster }
- { group: s3.aws.upbound.io, resource: buckets, versions: [v1beta1, v1beta2], scope: Cluster }
- { group: s3.aws.upbound.io, resource: bucketpolicies, versions: [v1beta1], scope: Cluster }
# Crossplane v2 namespaced Upjet groups
- { group: ec2.aws.m.upbound.io, resource: vpcendpoints, versions: [v1beta1], scope: Namespaced }
- { group: ec2.aws.m.upbound.io, resource: vpcendpointroutetableassociations, versions: [v1beta1], scope: Namespaced }
- { group: ec2.aws.m.upbound.io, resource: vpcendpointsubnetassociations, versions: [v1beta1], scope: Namespaced }
- { group: s3.aws.m.upbound.io, resource: buckets, versions: [v1beta1], scope: Namespaced }
- { group: s3.aws.m.upbound.io, resource: bucketpolicies, versions: [v1beta1], scope: Namespaced }
# Crossplane community provider-aws
- { group: ec2.aws.crossplane.io, resource: vpcendpoints, versions: [v1alpha1], scope: Cluster }
- { group: s3.aws.crossplane.io, resource: buckets, versions: [v1beta1], scope: Cluster }
- { group: s3.aws.crossplane.io, resource: bucketpolicies, versions: [v1alpha3], scope: Cluster }
# AWS Controllers for Kubernetes (ACK)
- { group: ec2.services.k8s.aws, resource: vpcendpoints, versions: [v1alpha1], scope: Namespaced }
- { group: s3.services.k8s.aws, resource: buckets, versions: [v1alpha1], scope: Namespaced }
{{- end }}

{{/* The groups of watchedKinds, each with its resources: one RBAC rule per group. */}}
{{- define "s3-vpce-guard.watchedGroups" -}}
{{- $groups := dict }}
{{- range (include "s3-vpce-guard.watchedKinds" . | fromYamlArray) }}
{{- $resources := get $groups .group | default list }}
{{- $_ := set $groups .group (append $resources .resource | uniq) }}
{{- end }}
{{- toYaml $groups }}
{{- end }}
