{{/*
The alert rules (Prometheus rule groups): the PrometheusRule's spec and, rendered by
scripts/render-deploy.sh, deploy/prometheus-rules.yaml. Only metrics registered in
src/metrics/metrics.ts may appear (test/chart/alerts.test.ts checks it).
*/}}
{{- define "s3-vpce-guard.alertGroups" -}}
{{- $alerts := .Values.metrics.prometheusRule.alerts }}
{{- $runbook := .Values.metrics.prometheusRule.runbookBaseUrl }}
{{- $intervalSeconds := include "s3-vpce-guard.auditIntervalSeconds" . | int }}
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
          summary: "Deny-level S3 endpoint violations of {{`{{ $labels.rule }}`}} ({{`{{ $labels.kind }}`}}, namespace {{`{{ $labels.namespace }}`}})"
          description: >-
            The audit finds {{`{{ $value }}`}} {{`{{ $labels.kind }}`}} object(s) in namespace
            "{{`{{ $labels.namespace }}`}}" that break the deny-level rule {{`{{ $labels.rule }}`}}.
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
        expr: sum by (operation, outcome) (rate(s3_vpce_guard_aws_requests_total{outcome!="success"}[10m])) > 0
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
        expr: sum by (resource, code) (rate(s3_vpce_guard_kube_write_errors_total[10m])) > 0
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
