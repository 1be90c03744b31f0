{{/*
The chart's name.
*/}}
{{- define "dirsync.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every object's name: the release name, with the chart name unless the release name
already contains it ("dirsync" gives dirsync-controller-manager, as config/default does). Kept to
28 characters so that the longest name, <fullname>-controller-manager-metrics-service, fits in 63.
*/}}
{{- define "dirsync.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 28 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 28 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 28 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Labels on every object.
*/}}
{{- define "dirsync.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "dirsync.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
The manager pods' labels, and the selector of its Deployment, Service and NetworkPolicy.
*/}}
{{- define "dirsync.selectorLabels" -}}
control-plane: controller-manager
app.kubernetes.io/name: {{ include "dirsync.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The manager's ServiceAccount.
*/}}
{{- define "dirsync.serviceAccountName" -}}
{{ include "dirsync.fullname" . }}-controller-manager
{{- end }}

{{/*
Whether the manager elects a leader: always with more than one replica.
*/}}
{{- define "dirsync.leaderElect" -}}
{{- if or .Values.leaderElection.enabled (gt (int .Values.replicas) 1) }}true{{ end }}
{{- end }}

{{/*
The metrics Service; Prometheus names the scrape job after it (the alerts select job="<this>").
*/}}
{{- define "dirsync.metricsServiceName" -}}
{{ include "dirsync.fullname" . }}-controller-manager-metrics-service
{{- end }}

{{/*
Where the manager mounts metrics.certSecret (--metrics-cert-path).
*/}}
{{- define "dirsync.metricsCertPath" -}}
/etc/dirsync/metrics-cert
{{- end }}

{{/*
The ServiceAccount whose token the ServiceMonitor sends, when the chart makes it.
*/}}
{{- define "dirsync.metricsScraperName" -}}
{{ include "dirsync.fullname" . }}-metrics-scraper
{{- end }}
