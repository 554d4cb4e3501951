{{/* The chart's name, and the release-scoped prefix of every object. */}}
{{- define "reach.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "reach.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "reach.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "reach.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: reach
{{- end -}}

{{/* Selector labels of every pod of the release. */}}
{{- define "reach.selector" -}}
app.kubernetes.io/name: {{ include "reach.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selector labels of one service's pods: (dict "root" $ "service" NAME). */}}
{{- define "reach.serviceSelector" -}}
{{ include "reach.selector" .root }}
app.kubernetes.io/component: {{ .service }}
{{- end -}}

{{/* Selector labels of one service's pods of one role: (dict "root" $ "service" NAME "role" ROLE). */}}
{{- define "reach.roleSelector" -}}
{{ include "reach.serviceSelector" . }}
reach.io/role: {{ .role }}
{{- end -}}

{{- define "reach.workloadName" -}}
{{- printf "%s-%s-%s" (include "reach.fullname" .root) .service .role -}}
{{- end -}}

{{- define "reach.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "reach.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{- define "reach.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* Container env of one service: (dict "root" $ "service" NAME "spec" SERVICE-VALUES). */}}
{{- define "reach.env" -}}
{{- $values := .root.Values }}
{{- range $key, $value := $values.env }}
- name: {{ $key }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- range $key, $value := .spec.env }}
- name: {{ $key }}
  value: {{ $value | toString | quote }}
{{- end }}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ $values.kafka.bootstrapServers | quote }}
- name: KAFKA_PARTITIONS
  value: {{ $values.kafka.partitions | toString | quote }}
{{- with $values.kafka.topicPrefix }}
- name: KAFKA_TOPIC_PREFIX
  value: {{ . | quote }}
{{- end }}
{{- with $values.otel.endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
- name: HTTP_HOST
  value: "0.0.0.0"
- name: HTTP_PORT
  value: {{ .spec.port | toString | quote }}
- name: DATA_DIR
  value: /data
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $values.database.secretName }}
      key: {{ .service }}
{{- range .spec.secretEnv }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $values.providers.secretName }}
      key: {{ . }}
{{- end }}
- name: AUTH_JWT_ISSUER
  value: {{ required "auth.issuer: the token issuer to trust" $values.auth.issuer | quote }}
- name: AUTH_JWT_AUDIENCE
  value: {{ $values.auth.audience | quote }}
- name: AUTH_JWT_ALGORITHMS
  value: {{ $values.auth.algorithms | toJson | quote }}
- name: AUTH_ROLES_CLAIM
  value: {{ $values.auth.rolesClaim | quote }}
- name: AUTH_ADVISOR_CLAIM
  value: {{ $values.auth.advisorClaim | quote }}
- name: AUTH_JWT_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $values.auth.secretName }}
      key: AUTH_JWT_KEY
- name: AUTH_API_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ $values.auth.secretName }}
      key: AUTH_API_KEYS
      optional: true
{{- end -}}

{{/* Pod-level settings shared by Deployments and migrate Jobs. */}}
{{- define "reach.podCommon" -}}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Writable scratch space under a read-only root filesystem. */}}
{{- define "reach.volumes" -}}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: 256Mi
  - name: data
    emptyDir:
      sizeLimit: 256Mi
{{- end -}}

{{- define "reach.volumeMounts" -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  - name: data
    mountPath: /data
{{- end -}}

{{/* The largest replica count a role may reach: its HPA's maximum, or its replicas. */}}
{{- define "reach.maxReplicas" -}}
{{- $autoscaling := .autoscaling | default dict -}}
{{- if $autoscaling.enabled -}}
{{- $autoscaling.maxReplicas -}}
{{- else -}}
{{- hasKey . "replicas" | ternary .replicas 1 -}}
{{- end -}}
{{- end -}}
