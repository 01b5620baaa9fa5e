{{/*
Names, labels, images and the environment shared by every component and hook.
A "component context" is (dict "root" $ "name" "<services.json name>" "values" <its block>).
*/}}

{{- define "vectorstack.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "vectorstack.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Resource name of a component: <fullname>-<component>. Args: root, name. */}}
{{- define "vectorstack.componentName" -}}
{{- printf "%s-%s" (include "vectorstack.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "vectorstack.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "vectorstack.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: vectorstack
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of a component (stable across upgrades). Args: root, name. */}}
{{- define "vectorstack.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vectorstack.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* All labels of a component. Args: root, name. */}}
{{- define "vectorstack.componentLabels" -}}
{{ include "vectorstack.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "vectorstack.annotations" -}}
{{- with .Values.commonAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "vectorstack.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "vectorstack.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
Image of a component. Args: root, name (image name, e.g. "training-worker"), values.
<registry>/<repository>(@digest|:tag); repository defaults to <image.repositoryPrefix><name>.
*/}}
{{- define "vectorstack.image" -}}
{{- $img := .root.Values.image -}}
{{- $own := default dict .values.image -}}
{{- $repository := default (printf "%s%s" $img.repositoryPrefix .name) $own.repository -}}
{{- $prefix := ternary "" (printf "%s/" $img.registry) (empty $img.registry) -}}
{{- if $img.digest -}}
{{- printf "%s%s@%s" $prefix $repository $img.digest -}}
{{- else -}}
{{- printf "%s%s:%s" $prefix $repository (default (default .root.Chart.AppVersion $img.tag) $own.tag) -}}
{{- end -}}
{{- end -}}

{{- define "vectorstack.imagePullSecrets" -}}
{{- with .Values.image.pullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* Name of the Secret the components read (existing or chart-created). */}}
{{- define "vectorstack.secretName" -}}
{{- default (printf "%s-secrets" (include "vectorstack.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{/*
Name of the Secret the hook Jobs read. Hooks run before the release's regular resources exist,
so with a chart-created Secret they get their own hook-scoped copy.
*/}}
{{- define "vectorstack.hookSecretName" -}}
{{- default (printf "%s-hook-secrets" (include "vectorstack.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* Fails the render with a message naming the missing value. */}}
{{- define "vectorstack.validateValues" -}}
{{- if not .Values.kafka.brokers -}}
{{- fail "kafka.brokers is required: the Kafka bootstrap servers (host:port,...)" -}}
{{- end -}}
{{- if not .Values.secrets.existingSecret -}}
{{- if not .Values.postgresql.url -}}
{{- fail "postgresql.url is required (or set secrets.existingSecret)" -}}
{{- end -}}
{{- if not .Values.redis.url -}}
{{- fail "redis.url is required (or set secrets.existingSecret)" -}}
{{- end -}}
{{- if not .Values.secrets.keyHashSecret -}}
{{- fail "secrets.keyHashSecret is required (or set secrets.existingSecret)" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Data of the chart-created Secret(s). */}}
{{- define "vectorstack.secretData" -}}
{{ .Values.secrets.keys.databaseUrl }}: {{ .Values.postgresql.url | b64enc | quote }}
{{ .Values.secrets.keys.redisUrl }}: {{ .Values.redis.url | b64enc | quote }}
{{ .Values.secrets.keys.keyHashSecret }}: {{ .Values.secrets.keyHashSecret | b64enc | quote }}
{{- if .Values.secrets.adminKey }}
{{ .Values.secrets.keys.adminKey }}: {{ .Values.secrets.adminKey | b64enc | quote }}
{{- end }}
{{- end -}}

{{/* Non-secret environment shared by every component (the ConfigMap's data). */}}
{{- define "vectorstack.sharedEnv" -}}
NODE_ENV: production
HOST: "0.0.0.0"
GRPC_HOST: "0.0.0.0"
LOG_LEVEL: {{ .Values.config.logLevel | quote }}
KAFKA_BROKERS: {{ .Values.kafka.brokers | quote }}
TRUSTED_PROXIES: {{ .Values.config.trustedProxies | quote }}
OBJECT_STORE_DIR: {{ .Values.objectStore.dir | quote }}
{{- include "vectorstack.grpcUrls" . }}
OTEL_TRACES_EXPORTER: {{ .Values.config.otel.tracesExporter | quote }}
{{- with .Values.config.otel.endpoint }}
OTEL_EXPORTER_OTLP_ENDPOINT: {{ . | quote }}
{{- end }}
{{- with .Values.config.otel.resourceAttributes }}
OTEL_RESOURCE_ATTRIBUTES: {{ . | quote }}
{{- end }}
{{- range $name, $value := .Values.config.extraEnv }}
{{ $name }}: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/*
<NAME>_GRPC_URL (AUTH_GRPC_URL, RATELIMIT_GRPC_URL) of every enabled component with a grpcPort:
its in-cluster Service, <component full name>:<grpcPort>, as deploy/local/vs.mjs sets them.
A URL set in config.extraEnv wins (e.g. auth disabled here and run elsewhere).
*/}}
{{- define "vectorstack.grpcUrls" -}}
{{- range $name := list "auth" "ratelimit" "router" "data" "training" "inference" "metering" }}
{{- $v := index $.Values $name }}
{{- $key := printf "%s_GRPC_URL" ($name | upper | replace "-" "_") }}
{{- if and $v.enabled $v.grpcPort (not (hasKey (default dict $.Values.config.extraEnv) $key)) }}
{{ $key }}: {{ printf "%s:%v" (include "vectorstack.componentName" (dict "root" $ "name" $name)) $v.grpcPort | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Secret environment variables (EnvVar list). Args: root, secretName. */}}
{{- define "vectorstack.secretEnv" -}}
{{- $keys := .root.Values.secrets.keys -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef: { name: {{ .secretName }}, key: {{ $keys.databaseUrl }} }
- name: REDIS_URL
  valueFrom:
    secretKeyRef: { name: {{ .secretName }}, key: {{ $keys.redisUrl }} }
- name: KEY_HASH_SECRET
  valueFrom:
    secretKeyRef: { name: {{ .secretName }}, key: {{ $keys.keyHashSecret }} }
- name: VECTORSTACK_ADMIN_KEY
  valueFrom:
    secretKeyRef: { name: {{ .secretName }}, key: {{ $keys.adminKey }}, optional: true }
{{- end -}}

{{/* Environment of a hook Job container (no ConfigMap yet). Args: root, name. */}}
{{- define "vectorstack.hookEnv" -}}
- name: SERVICE_NAME
  value: {{ .name | quote }}
{{- range $name, $value := (include "vectorstack.sharedEnv" .root | fromYaml) }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{ include "vectorstack.secretEnv" (dict "root" .root "secretName" (include "vectorstack.hookSecretName" .root)) }}
{{- end -}}

{{/* Pod-level settings shared by components and hooks. Args: root. */}}
{{- define "vectorstack.podCommon" -}}
serviceAccountName: {{ include "vectorstack.serviceAccountName" .root }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- include "vectorstack.imagePullSecrets" .root }}
{{- end -}}

{{- define "vectorstack.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpVolumeSizeLimit }}
{{- end -}}

{{- define "vectorstack.objectStoreVolume" -}}
- name: object-store
  {{- if .Values.objectStore.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ default (printf "%s-object-store" (include "vectorstack.fullname" .)) .Values.objectStore.persistence.existingClaim }}
  {{- else }}
  emptyDir: {}
  {{- end }}
{{- end -}}
