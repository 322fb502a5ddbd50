{{/*
V8's old-space cap: heapLimitMiB, else 3/8 of a Mi/Gi memory limit, else nothing (Node sizes
the heap from the container limit itself).
*/}}
{{- define "s3-vpce-guard.heapLimitMiB" -}}
{{- $memory := toString (dig "limits" "memory" "" .Values.resources) -}}
{{- if .Values.heapLimitMiB -}}
{{- int .Values.heapLimitMiB -}}
{{- else if hasSuffix "Gi" $memory -}}
{{- div (mul (trimSuffix "Gi" $memory | int) 1024 3) 8 -}}
{{- else if hasSuffix "Mi" $memory -}}
{{- div (mul (trimSuffix "Mi" $memory | int) 3) 8 -}}
{{- end -}}
{{- end }}

{{/*
NODE_OPTIONS: the young generation (semiSpaceMiB) and the old-space cap. It replaces the
image's NODE_OPTIONS, which sets the same semi-space size as the chart's default.
*/}}
{{- define "s3-vpce-guard.nodeOptions" -}}
{{- $options := list -}}
{{- with .Values.semiSpaceMiB -}}
{{- $options = append $options (printf "--max-semi-space-size=%d" (int .)) -}}
{{- end -}}
{{- with include "s3-vpce-guard.heapLimitMiB" . -}}
{{- $options = append $options (printf "--max-old-space-size=%s" .) -}}
{{- end -}}
{{- join " " $options -}}
{{- end }}

{{/*
Names and labels.
*/}}
{{- define "s3-vpce-guard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "s3-vpce-guard.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "s3-vpce-guard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "s3-vpce-guard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "s3-vpce-guard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "s3-vpce-guard.labels" -}}
helm.sh/chart: {{ include "s3-vpce-guard.chart" . }}
{{ include "s3-vpce-guard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: s3-vpce-guard
{{- end }}

{{- define "s3-vpce-guard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "s3-vpce-guard.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "s3-vpce-guard.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* The Secret that holds the serving certificate (tls.crt, tls.key, ca.crt). */}}
{{- define "s3-vpce-guard.tlsSecretName" -}}
{{- printf "%s-tls" (include "s3-vpce-guard.fullname" .) }}
{{- end }}

{{/* DNS names the API server may use to reach the webhook Service. */}}
{{- define "s3-vpce-guard.serviceDnsNames" -}}
{{- $service := include "s3-vpce-guard.fullname" . }}
{{- $namespace := .Release.Namespace }}
{{- list $service (printf "%s.%s" $service $namespace) (printf "%s.%s.svc" $service $namespace) (printf "%s.%s.svc.cluster.local" $service $namespace) | toJson }}
{{- end }}

{{/*
audit.interval of the product config ("30s", "5m", "1h", "500ms") in whole seconds, for
the audit-stale alert. Default 5m, as in the product.
*/}}
{{- define "s3-vpce-guard.auditIntervalSeconds" -}}
{{- $interval := "5m" }}
{{- with .Values.config.audit }}{{ with .interval }}{{ $interval = . }}{{ end }}{{ end }}
{{- $number := regexFind "^[0-9]+" $interval | int }}
{{- $unit := regexFind "(ms|s|m|h)$" $interval }}
{{- if eq $unit "ms" }}{{ max 1 (div $number 1000) }}
{{- else if eq $unit "s" }}{{ $number }}
{{- else if eq $unit "m" }}{{ mul $number 60 }}
{{- else if eq $unit "h" }}{{ mul $number 3600 }}
{{- else }}{{ fail (printf "config.audit.interval %q: expected a duration such as \"30s\", \"5m\" or \"1h\"" $interval) }}
{{- end }}
{{- end }}
