{{/* The release's full name, at most 63 characters. */}}
{{- define "tcptrace.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tcptrace.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "tcptrace.labels" -}}
{{ include "tcptrace.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "tcptrace.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "tcptrace.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding the HEC token: the user's, or the chart's when a token is given. */}}
{{- define "tcptrace.tokenSecret" -}}
{{- default (printf "%s-splunk" (include "tcptrace.fullname" .)) .Values.splunk.existingSecret -}}
{{- end -}}
