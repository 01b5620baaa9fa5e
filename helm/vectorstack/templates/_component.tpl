{{/*
Everything one component needs: Deployment, and when it applies Service, HorizontalPodAutoscaler,
PodDisruptionBudget and ServiceMonitor. Args: root, name (deploy/services.json name), values
(its block in values.yaml), worker (true for a process without an HTTP server).
A component whose block sets `grpcPort` also serves gRPC on it (GRPC_PORT, port named `grpc`).
The per-component files (auth.yaml, router.yaml, ...) only call this.
*/}}
{{- define "vectorstack.component" -}}
{{- $root := .root -}}
{{- $v := .values -}}
{{- $fullName := include "vectorstack.componentName" . -}}
{{- if $v.enabled }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $fullName }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "vectorstack.componentLabels" . | nindent 4 }}
  {{- with (include "vectorstack.annotations" $root) }}{{ . | trim | nindent 2 }}{{ end }}
spec:
  {{- if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "vectorstack.selectorLabels" . | nindent 6 }}
  {{- if not .worker }}
  strategy:
    type: RollingUpdate
    rollingUpdate: { maxSurge: 25%, maxUnavailable: 0 }
  {{- end }}
  template:
    metadata:
      labels:
        {{- include "vectorstack.selectorLabels" . | nindent 8 }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        # Roll the pods when the shared configuration or the chart Secret changes.
        checksum/config: {{ include "vectorstack.sharedEnv" $root | sha256sum }}
        {{- if not $root.Values.secrets.existingSecret }}
        checksum/secrets: {{ include "vectorstack.secretData" $root | sha256sum }}
        {{- end }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- include "vectorstack.podCommon" (dict "root" $root) | nindent 6 }}
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .name }}
          image: {{ include "vectorstack.image" . }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          securityContext:
            {{- toYaml $root.Values.containerSecurityContext | nindent 12 }}
          envFrom:
            - configMapRef:
                name: {{ include "vectorstack.fullname" $root }}-config
          env:
            - name: SERVICE_NAME
              value: {{ .name | quote }}
            - name: OTEL_SERVICE_NAME
              value: {{ printf "vectorstack-%s" .name | quote }}
            {{- if .worker }}
            - name: HEALTH_FILE
              value: {{ $v.healthFile | quote }}
            - name: HEALTH_MAX_AGE_SECONDS
              value: {{ $v.healthMaxAgeSeconds | quote }}
            {{- else }}
            - name: PORT
              value: {{ $v.port | quote }}
            {{- with $v.grpcPort }}
            - name: GRPC_PORT
              value: {{ . | quote }}
            {{- end }}
            {{- end }}
            {{- include "vectorstack.secretEnv" (dict "root" $root "secretName" (include "vectorstack.secretName" $root)) | nindent 12 }}
            {{- with $v.env }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- if .worker }}
          # No HTTP server: alive while the worker keeps refreshing HEALTH_FILE (the image's
          # healthcheck.js checks its age against HEALTH_MAX_AGE_SECONDS).
          livenessProbe:
            exec:
              command: ["node", "/app/healthcheck.js"]
            {{- toYaml $v.livenessProbe | nindent 12 }}
          {{- else }}
          ports:
            - name: http
              containerPort: {{ $v.port }}
              protocol: TCP
            {{- with $v.grpcPort }}
            - name: grpc
              containerPort: {{ . }}
              protocol: TCP
            {{- end }}
          startupProbe:
            httpGet: { path: /healthz, port: http }
            {{- toYaml $v.startupProbe | nindent 12 }}
          livenessProbe:
            httpGet: { path: /healthz, port: http }
            {{- toYaml $v.livenessProbe | nindent 12 }}
          readinessProbe:
            httpGet: { path: /readyz, port: http }
            {{- toYaml $v.readinessProbe | nindent 12 }}
          {{- end }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if $v.objectStore }}
            - name: object-store
              mountPath: {{ $root.Values.objectStore.dir }}
            {{- end }}
      volumes:
        {{- include "vectorstack.tmpVolume" $root | nindent 8 }}
        {{- if $v.objectStore }}
        {{- include "vectorstack.objectStoreVolume" $root | nindent 8 }}
        {{- end }}
{{- if not .worker }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullName }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "vectorstack.componentLabels" . | nindent 4 }}
  {{- with (include "vectorstack.annotations" $root) }}{{ . | trim | nindent 2 }}{{ end }}
spec:
  type: ClusterIP
  selector:
    {{- include "vectorstack.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ $v.port }}
      targetPort: http
      protocol: TCP
    {{- with $v.grpcPort }}
    # gRPC (HTTP/2): clients keep long-lived connections, see `grpcPort` in values.yaml.
    - name: grpc
      port: {{ . }}
      targetPort: grpc
      protocol: TCP
    {{- end }}
{{- end }}
{{- if $v.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $fullName }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "vectorstack.componentLabels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $fullName }}
  minReplicas: {{ $v.autoscaling.minReplicas }}
  maxReplicas: {{ $v.autoscaling.maxReplicas }}
  metrics:
    {{- with $v.autoscaling.targetCPUUtilizationPercentage }}
    - type: Resource
      resource:
        name: cpu
        target: { type: Utilization, averageUtilization: {{ . }} }
    {{- end }}
    {{- with $v.autoscaling.targetMemoryUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target: { type: Utilization, averageUtilization: {{ . }} }
    {{- end }}
{{- end }}
{{- if $v.pdb.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $fullName }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "vectorstack.componentLabels" . | nindent 4 }}
spec:
  maxUnavailable: {{ $v.pdb.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "vectorstack.selectorLabels" . | nindent 6 }}
{{- end }}
{{- if and $v.serviceMonitor.enabled (not .worker) }}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ $fullName }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "vectorstack.componentLabels" . | nindent 4 }}
    {{- with $v.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "vectorstack.selectorLabels" . | nindent 6 }}
  namespaceSelector:
    matchNames: [{{ $root.Release.Namespace }}]
  endpoints:
    - port: http
      path: /metrics
      interval: {{ $v.serviceMonitor.interval }}
      scrapeTimeout: {{ $v.serviceMonitor.scrapeTimeout }}
{{- end }}
{{- end }}
{{- end -}}
