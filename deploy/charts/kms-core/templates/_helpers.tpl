{{/* Labels shared by every object of one party. */}}
{{- define "kms-core.labels" -}}
app: kms-core
app.kubernetes.io/name: kms-core
app.kubernetes.io/instance: {{ .Release.Name }}
kms/party-id: {{ .Values.partyId | quote }}
{{- end -}}

{{- define "kms-core.selector" -}}
app: kms-core
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
