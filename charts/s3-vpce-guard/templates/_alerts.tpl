{{/*
The alert rules (Prometheus rule groups): the PrometheusRule's spec and, rendered by
scripts/render-deploy.sh, deploy/prometheus-rules.yaml. Only metrics registered in
src/platform/telemetry/metrics.ts may appear (test/chart/alerts.test.ts checks it).
*/}}
{{- define "s3-vpce-guard.alertGroups" -}}
{{- $alerts := .Values.metrics.prometheusRule.alerts }}
{{- $runbook := .Values.metrics.prometheusRule.runbookBaseUrl }}
{{- $intervalSeconds := include "s3-vpce-guard.auditIntervalSeconds" . | int }}
{{- /* Failed report writes are retried once per audit, failed AWS lookups once per audit or
cache TTL: a rate window shorter than twice that gap drops to 0 between two failures, and a
`for` longer than the window then never completes (the alert could not fire with
audit.interval 1h). */}}
{{- $kubeWindow := include "s3-vpce-guard.promDuration" (max 600 (mul 2 $intervalSeconds)) }}
{{- $awsTtl := "5m" }}
{{- with .Values.config.aws }}{{ with .cacheTtl }}{{ $awsTtl = . }}{{ end }}{{ end }}
{{- $awsTtlSeconds := include "s3-vpce-guard.durationSeconds" (list $awsTtl "config.aws.cacheTtl") | int }}
{{- $awsWindow := include "s3-vpce-guard.promDuration" (max 600 (mul 2 $intervalSeconds) (mul 2 $awsTtlSeconds)) }}
groups:
  - name: s3-vpce-guard
    rules:
      - alert: S3VpceGuardDenyViolations
        # max: every replica exports the leader's last audit, or nothing.
        expr: max by (rule, kind, namespace) (s3_vpce_guard_violations{action="deny"}) > 0
        for: {{ $alerts.denyViolations.for }}
        labels:
          severity: {{ $alerts.denyViolations.severity }}
        annotations:
          # Cluster-scoped kinds have namespace="": say so instead of an empty name.
          summary: "Deny-level S3 endpoint violations of {{`{{ $labels.rule }}`}} ({{`{{ $labels.kind }}`}}, {{`{{ if $labels.namespace }}namespace {{ $labels.namespace }}{{ else }}cluster-scoped{{ end }}`}})"
          description: >-
            The audit finds {{`{{ $value }}`}} {{`{{ $labels.kind }}`}} object(s)
            {{`{{ if $labels.namespace }}in namespace "{{ $labels.namespace }}"{{ else }}(cluster-scoped){{ end }}`}}
            that break the deny-level rule {{`{{ $labels.rule }}`}}.
            They predate the webhook, were admitted while it was unavailable
            (failurePolicy Ignore), or broke by a change elsewhere. See the PolicyReports.
          runbook_url: {{ printf "%s#s3vpceguarddenyviolations" $runbook }}
      - alert: S3VpceGuardAuditStale
        expr: time() - max(s3_vpce_guard_audit_last_success_timestamp_seconds) > {{ $alerts.auditStale.intervals }} * {{ $intervalSeconds }}
        for: {{ $alerts.auditStale.for }}
        labels:
          severity: {{ $alerts.auditStale.severity }}
        annotations:
          summary: No s3-vpce-guard audit completed in {{ $alerts.auditStale.intervals }} audit intervals
          description: >-
            The last completed audit is {{`{{ $value | humanizeDuration }}`}} old (audit.interval is
            {{ $intervalSeconds }}s). PolicyReports, Events and the violations metric are stale.
          runbook_url: {{ printf "%s#s3vpceguardauditstale" $runbook }}
      - alert: S3VpceGuardWebhookErrors
        expr: |-
          sum(rate(s3_vpce_guard_admission_requests_total{decision="error"}[5m]))
            / sum(rate(s3_vpce_guard_admission_requests_total[5m])) > {{ $alerts.webhookErrors.ratio }}
        for: {{ $alerts.webhookErrors.for }}
        labels:
          severity: {{ $alerts.webhookErrors.severity }}
        annotations:
          summary: s3-vpce-guard answers more than {{ mulf $alerts.webhookErrors.ratio 100 }}% of admission requests with an error
          description: >-
            {{`{{ $value | humanizePercentage }}`}} of AdmissionReviews ended in an error. With
            failurePolicy Ignore those objects were admitted unchecked; with Fail they were rejected.
          runbook_url: {{ printf "%s#s3vpceguardwebhookerrors" $runbook }}
      - alert: S3VpceGuardAwsErrors
        expr: sum by (operation, outcome) (rate(s3_vpce_guard_aws_requests_total{outcome!="success"}[{{ $awsWindow }}])) > 0
        for: {{ $alerts.awsErrors.for }}
        labels:
          severity: {{ $alerts.awsErrors.severity }}
        annotations:
          summary: "AWS {{`{{ $labels.operation }}`}} calls fail ({{`{{ $labels.outcome }}`}})"
          description: >-
            EC2 {{`{{ $labels.operation }}`}} keeps failing with outcome {{`{{ $labels.outcome }}`}}
            ({{`{{ $value | humanize }}`}}/s). AWS-backed checks (aws-drift, known endpoint ids, VPC
            CIDRs) run on stale or missing data.
          runbook_url: {{ printf "%s#s3vpceguardawserrors" $runbook }}
      - alert: S3VpceGuardNoLeader
        expr: max(s3_vpce_guard_leader) < 1 or absent(s3_vpce_guard_leader)
        for: {{ $alerts.noLeader.for }}
        labels:
          severity: {{ $alerts.noLeader.severity }}
        annotations:
          summary: No s3-vpce-guard replica holds the leader lease
          description: >-
            No replica is leader (or none is scraped), so nothing audits the cluster or writes
            PolicyReports and Events. Admission may still work.
          runbook_url: {{ printf "%s#s3vpceguardnoleader" $runbook }}
      - alert: S3VpceGuardKubeWriteErrors
        expr: sum by (resource, code) (rate(s3_vpce_guard_kube_write_errors_total[{{ $kubeWindow }}])) > 0
        for: {{ $alerts.kubeWriteErrors.for }}
        labels:
          severity: {{ $alerts.kubeWriteErrors.severity }}
        annotations:
          summary: "s3-vpce-guard cannot write {{`{{ $labels.resource }}`}} (HTTP {{`{{ $labels.code }}`}})"
          description: >-
            Writes of {{`{{ $labels.resource }}`}} to the Kubernetes API keep failing with
            {{`{{ $labels.code }}`}} ({{`{{ $value | humanize }}`}}/s). Audits still run, but
            PolicyReports, Events or leadership fall behind the cluster.
          runbook_url: {{ printf "%s#s3vpceguardkubewriteerrors" $runbook }}
{{- end }}

{{/* Seconds as a PromQL duration: whole minutes as "10m", else "90s". */}}
{{- define "s3-vpce-guard.promDuration" -}}
{{- $seconds := . | int }}
{{- if eq (mod $seconds 60) 0 }}{{ div $seconds 60 }}m{{ else }}{{ $seconds }}s{{ end }}
{{- end }}

{{/* (list DURATION KEY): a product duration ("30s", "5m", "1h", "500ms") in whole seconds. */}}
{{- define "s3-vpce-guard.durationSeconds" -}}
{{- $duration := index . 0 }}
{{- $number := regexFind "^[0-9]+" $duration | int }}
{{- $unit := regexFind "(ms|s|m|h)$" $duration }}
{{- if eq $unit "ms" }}{{ max 1 (div $number 1000) }}
{{- else if eq $unit "s" }}{{ $number }}
{{- else if eq $unit "m" }}{{ mul $number 60 }}
{{- else if eq $unit "h" }}{{ mul $number 3600 }}
{{- else }}{{ fail (printf "%s %q: expected a duration such as \"30s\", \"5m\" or \"1h\"" (index . 1) $duration) }}
{{- end }}
{{- end }}
