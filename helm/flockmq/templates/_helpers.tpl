{{/*
Named templates of the FlockMQ chart. Naming: "flockmq.<thing>". Every check that refuses a set of
values lives in "flockmq.validate" (called once, from the Deployment), so the failure messages are
in one place.
*/}}

{{/* Chart name, possibly overridden. */}}
{{- define "flockmq.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: <release>-<chart> unless the release name already contains the chart name. */}}
{{- define "flockmq.fullname" -}}
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

{{/* <fullname>-<suffix>, kept within 63 characters. Call with (list $ "suffix"). */}}
{{- define "flockmq.suffixed" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s" (include "flockmq.fullname" $root | trunc (int (sub 62 (len (index . 1))))) (index . 1) | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select the broker pods (stable across upgrades: never add to these). */}}
{{- define "flockmq.selectorLabels" -}}
app.kubernetes.io/name: {{ include "flockmq.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: broker
{{- end -}}

{{/* Labels of every resource. */}}
{{- define "flockmq.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "flockmq.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: flockmq
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels of the broker pods and of the resources that describe them. */}}
{{- define "flockmq.brokerLabels" -}}
{{ include "flockmq.labels" . }}
app.kubernetes.io/component: broker
{{- end -}}

{{/* The image reference: repository@digest, else repository:tag (tag defaults to appVersion). */}}
{{- define "flockmq.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "flockmq.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "flockmq.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* "true" when Redis and NATS are both configured (cluster mode), else "". */}}
{{- define "flockmq.clusterMode" -}}
{{- if and .Values.redis.mode .Values.nats.servers -}}true{{- end -}}
{{- end -}}

{{/* Fewest pods that will run: the HPA's minimum, else replicaCount. */}}
{{- define "flockmq.minReplicas" -}}
{{- if .Values.autoscaling.enabled -}}{{ int .Values.autoscaling.minReplicas }}{{- else -}}{{ int .Values.replicaCount }}{{- end -}}
{{- end -}}

{{/* Grace period the drain contract needs: preStop sleep + drain timeout + margin. */}}
{{- define "flockmq.requiredGracePeriod" -}}
{{- add (int .Values.drain.preStopSeconds) (int .Values.drain.timeoutSeconds) (int .Values.drain.marginSeconds) -}}
{{- end -}}

{{/* terminationGracePeriodSeconds: the explicit value (checked by flockmq.validate), else derived. */}}
{{- define "flockmq.gracePeriod" -}}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds -}}
{{- include "flockmq.requiredGracePeriod" . -}}
{{- else -}}
{{- int .Values.terminationGracePeriodSeconds -}}
{{- end -}}
{{- end -}}

{{/* Name of the Secret with the Redis password: the user's, else the chart's. */}}
{{- define "flockmq.redisSecretName" -}}
{{- default (include "flockmq.fullname" .) .Values.redis.auth.existingSecret -}}
{{- end -}}

{{/* Name of the Secret with the admin token: the user's, else the chart's. */}}
{{- define "flockmq.adminTokenSecretName" -}}
{{- default (include "flockmq.fullname" .) .Values.admin.token.existingSecret -}}
{{- end -}}

{{/* "true" when the admin API carries a token. */}}
{{- define "flockmq.adminToken" -}}
{{- if and .Values.admin.enabled (or .Values.admin.token.existingSecret .Values.admin.token.value) -}}true{{- end -}}
{{- end -}}

{{/* "true" when the chart creates the credentials Secret (some credential given inline). */}}
{{- define "flockmq.chartSecret" -}}
{{- if or (and .Values.redis.auth.enabled (not .Values.redis.auth.existingSecret)) (and .Values.admin.enabled (not .Values.admin.token.existingSecret) .Values.admin.token.value) -}}true{{- end -}}
{{- end -}}

{{/* Name of the Secret with the admin TLS certificate. */}}
{{- define "flockmq.adminTlsSecretName" -}}
{{- default (include "flockmq.suffixed" (list . "admin-tls")) .Values.admin.tls.existingSecret -}}
{{- end -}}

{{/* "true" when the admin API serves TLS. */}}
{{- define "flockmq.adminTls" -}}
{{- if and .Values.admin.enabled .Values.admin.tls.enabled -}}true{{- end -}}
{{- end -}}

{{/* Name of the Secret with the broker's MQTT TLS certificate. */}}
{{- define "flockmq.brokerTlsSecretName" -}}
{{- default (include "flockmq.suffixed" (list . "mqtt-tls")) .Values.broker.tls.existingSecret -}}
{{- end -}}

{{/* "true" when the broker runs its MQTT over TLS listener. */}}
{{- define "flockmq.brokerTls" -}}
{{- if .Values.broker.tls.enabled -}}true{{- end -}}
{{- end -}}

{{/* "true" when the broker runs its MQTT over secure WebSocket listener. */}}
{{- define "flockmq.brokerWss" -}}
{{- if and .Values.broker.tls.enabled (not (kindIs "invalid" .Values.broker.tls.websocketPort)) -}}true{{- end -}}
{{- end -}}

{{/*
targetPort of a port of the MQTT Service: the explicit value, else the broker's TLS listener when
it runs (mqtts, wss), else the plain listener behind a load balancer that terminates TLS.
Call with (list $ "mqtts").
*/}}
{{- define "flockmq.serviceTarget" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $port := index $root.Values.service.ports $name -}}
{{- if and (hasKey $port "targetPort") (not (empty $port.targetPort)) -}}
{{- $port.targetPort -}}
{{- else if eq $name "mqtts" -}}
{{- ternary "mqtts" "mqtt" (eq (include "flockmq.brokerTls" $root) "true") -}}
{{- else if eq $name "wss" -}}
{{- ternary "wss" "ws" (eq (include "flockmq.brokerWss" $root) "true") -}}
{{- else -}}
{{- $name -}}
{{- end -}}
{{- end -}}

{{/*
The --redis URL, with $(REDIS_PASSWORD) (and $(REDIS_SENTINEL_PASSWORD)) for Kubernetes to
substitute from the Secret-backed variables defined before it: the password never appears in the
pod spec.
  standalone  redis[s]://[user:pass@]host:port/db
  sentinel    redis-sentinel://[user:pass@]s1:26379,s2:26379/master/db[?sentinelPassword=…]
  cluster     redis-cluster://[user:pass@]n1:6379,n2:6379
*/}}
{{- define "flockmq.redisUrl" -}}
{{- $r := .Values.redis -}}
{{- $auth := "" -}}
{{- if $r.auth.enabled -}}
{{- $auth = printf "%s:$(REDIS_PASSWORD)@" $r.username -}}
{{- else if $r.username -}}
{{- $auth = printf "%s@" $r.username -}}
{{- end -}}
{{- $hosts := join "," $r.hosts -}}
{{- if eq $r.mode "standalone" -}}
{{- printf "%s://%s%s/%d" (ternary "rediss" "redis" $r.tls) $auth $hosts (int $r.db) -}}
{{- else if eq $r.mode "sentinel" -}}
{{- printf "redis-sentinel://%s%s/%s/%d" $auth $hosts $r.masterName (int $r.db) -}}
{{- if and $r.auth.enabled $r.auth.sentinelPasswordKey -}}?sentinelPassword=$(REDIS_SENTINEL_PASSWORD){{- end -}}
{{- else if eq $r.mode "cluster" -}}
{{- printf "redis-cluster://%s%s" $auth $hosts -}}
{{- end -}}
{{- end -}}

{{/*
The broker's JSON config file (the format of `flockmq start --config`): every non-secret setting.
Node id, Redis, NATS and the admin token come from the environment instead (downward API and
Secrets), which overrides the file.
*/}}
{{- define "flockmq.configJson" -}}
{{- $b := .Values.broker -}}
{{- $c := dict
  "host" $b.host
  "port" (int $b.mqtt.port)
  "wsPort" (ternary (int $b.websocket.port) "off" $b.websocket.enabled)
  "wsPath" $b.websocket.path
  "httpPort" (int $b.httpPort)
  "logLevel" $b.logLevel
  "sysInterval" (int $b.sysInterval)
  "drainRate" (int .Values.drain.rate)
  "drainTimeout" (int .Values.drain.timeoutSeconds)
  "drainServerReference" .Values.drain.serverReference
  "rebalance" .Values.rebalance.enabled
  "rebalanceThreshold" (int .Values.rebalance.thresholdPercent)
  "rebalanceMinExcess" (int .Values.rebalance.minExcess)
  "rebalanceRate" (int .Values.rebalance.rate)
  "rebalanceInterval" (int .Values.rebalance.intervalSeconds)
  "adminPort" (ternary (int .Values.admin.port) "off" .Values.admin.enabled)
  "adminHost" .Values.admin.host
-}}
{{- if include "flockmq.adminTls" . -}}
{{- $_ := set $c "adminTlsCert" "/etc/flockmq/admin-tls/tls.crt" -}}
{{- $_ := set $c "adminTlsKey" "/etc/flockmq/admin-tls/tls.key" -}}
{{- if .Values.admin.tls.requireClientCert -}}
{{- $_ := set $c "adminTlsCa" "/etc/flockmq/admin-tls/ca.crt" -}}
{{- end -}}
{{- end -}}
{{- if include "flockmq.brokerTls" . -}}
{{- $_ := set $c "tlsPort" (int $b.tls.port) -}}
{{- $_ := set $c "wssPort" (ternary (int $b.tls.websocketPort) "off" (eq (include "flockmq.brokerWss" .) "true")) -}}
{{- $_ := set $c "tlsCert" "/etc/flockmq/tls/tls.crt" -}}
{{- $_ := set $c "tlsKey" "/etc/flockmq/tls/tls.key" -}}
{{- if $b.tls.requireClientCert -}}
{{- $_ := set $c "tlsCa" "/etc/flockmq/tls/ca.crt" -}}
{{- end -}}
{{- end -}}
{{- with $b.limits -}}
{{- $_ := set $c "limits" . -}}
{{- end -}}
{{- toPrettyJson $c -}}
{{- end -}}

{{/*
The preStop handler. The image has no shell and no sleep binary, so before Kubernetes 1.30 (where
the sleep action is on by default) the wait is a node timer.
*/}}
{{- define "flockmq.preStop" -}}
{{- $seconds := int .Values.drain.preStopSeconds -}}
{{- $mode := .Values.drain.preStopMode -}}
{{- if eq $mode "auto" -}}
{{- $mode = ternary "sleep" "exec" (semverCompare ">=1.30.0-0" .Capabilities.KubeVersion.Version) -}}
{{- end -}}
{{- if eq $mode "sleep" -}}
sleep:
  seconds: {{ $seconds }}
{{- else -}}
exec:
  command:
    - {{ .Values.image.nodePath }}
    - -e
    - {{ printf "setTimeout(() => {}, %d)" (mul $seconds 1000) | quote }}
{{- end -}}
{{- end -}}

{{/*
A CRD-backed resource that was asked for: fail with the way out when the cluster lacks its API.
Call with (list $ "serviceMonitor.enabled" "monitoring.coreos.com/v1" "install the Prometheus Operator CRDs").
*/}}
{{- define "flockmq.requireApi" -}}
{{- $root := index . 0 -}}
{{- $value := index . 1 -}}
{{- $api := index . 2 -}}
{{- $fix := index . 3 -}}
{{- if not (or ($root.Capabilities.APIVersions.Has $api) (has $api $root.Values.assumeApiVersions)) -}}
{{- fail (printf "%s is true but the cluster has no %s API: %s or set %s=false (helm template: pass --api-versions %s)" $value $api $fix $value $api) -}}
{{- end -}}
{{- end -}}

{{/* Every cross-value rule, each refusal with the numbers and the fix. */}}
{{- define "flockmq.validate" -}}
{{- $v := .Values -}}
{{- /* The drain contract: Kubernetes must not SIGKILL a node that is still draining. */ -}}
{{- if not (kindIs "invalid" $v.terminationGracePeriodSeconds) -}}
{{- $need := int (include "flockmq.requiredGracePeriod" .) -}}
{{- if lt (int $v.terminationGracePeriodSeconds) $need -}}
{{- fail (printf "terminationGracePeriodSeconds is %d but the drain needs at least %d s (drain.preStopSeconds %d + drain.timeoutSeconds %d + drain.marginSeconds %d): raise terminationGracePeriodSeconds, lower drain.timeoutSeconds, or leave it empty to derive it" (int $v.terminationGracePeriodSeconds) $need (int $v.drain.preStopSeconds) (int $v.drain.timeoutSeconds) (int $v.drain.marginSeconds)) -}}
{{- end -}}
{{- end -}}
{{- /* Cluster mode needs both Redis and NATS; embedded mode is one node. */ -}}
{{- if and $v.redis.mode (not $v.nats.servers) -}}
{{- fail "redis.mode is set but nats.servers is empty: cluster mode needs both Redis and NATS (set neither for the embedded single node)" -}}
{{- end -}}
{{- if and $v.nats.servers (not $v.redis.mode) -}}
{{- fail "nats.servers is set but redis.mode is empty: cluster mode needs both Redis and NATS (set neither for the embedded single node)" -}}
{{- end -}}
{{- if and $v.redis.mode (not $v.redis.hosts) -}}
{{- fail (printf "redis.mode is %s but redis.hosts is empty: list the host:port of the Redis %s" $v.redis.mode (ternary "sentinels" (ternary "cluster seed nodes" "server" (eq $v.redis.mode "cluster")) (eq $v.redis.mode "sentinel"))) -}}
{{- end -}}
{{- if and (eq $v.redis.mode "standalone") (gt (len $v.redis.hosts) 1) -}}
{{- fail (printf "redis.mode is standalone but redis.hosts has %d entries: use mode sentinel or cluster for several hosts" (len $v.redis.hosts)) -}}
{{- end -}}
{{- if and $v.redis.tls (ne $v.redis.mode "standalone") -}}
{{- fail (printf "redis.tls is true with redis.mode %q: the broker's --redis accepts TLS (rediss://) for a standalone server only" $v.redis.mode) -}}
{{- end -}}
{{- if and $v.redis.auth.enabled (not $v.redis.auth.existingSecret) -}}
{{- if not $v.redis.auth.password -}}
{{- fail "redis.auth.enabled is true but neither redis.auth.existingSecret nor redis.auth.password is set" -}}
{{- end -}}
{{- if not (regexMatch "^[A-Za-z0-9._~-]+$" $v.redis.auth.password) -}}
{{- fail "redis.auth.password may only hold letters, digits and -._~ (it goes into the Redis URL): percent-encode it in an existingSecret instead" -}}
{{- end -}}
{{- if $v.redis.auth.sentinelPasswordKey -}}
{{- fail "redis.auth.sentinelPasswordKey needs redis.auth.existingSecret (the chart-created Secret holds only the Redis password)" -}}
{{- end -}}
{{- end -}}
{{- if and (not (include "flockmq.clusterMode" .)) (gt (int (include "flockmq.minReplicas" .)) 1) -}}
{{- fail (printf "%s is %d but neither Redis nor NATS is configured: the embedded mode runs one node and cannot be clustered; set redis.mode, redis.hosts and nats.servers, or run 1 replica" (ternary "autoscaling.minReplicas" "replicaCount" $v.autoscaling.enabled) (int (include "flockmq.minReplicas" .))) -}}
{{- end -}}
{{- if and $v.autoscaling.enabled (not (include "flockmq.clusterMode" .)) -}}
{{- fail "autoscaling.enabled is true but neither Redis nor NATS is configured: the embedded mode runs one node and cannot be scaled out" -}}
{{- end -}}
{{- if and $v.autoscaling.enabled (lt (int $v.autoscaling.maxReplicas) (int $v.autoscaling.minReplicas)) -}}
{{- fail (printf "autoscaling.maxReplicas (%d) is below autoscaling.minReplicas (%d)" (int $v.autoscaling.maxReplicas) (int $v.autoscaling.minReplicas)) -}}
{{- end -}}
{{- if and $v.autoscaling.enabled (kindIs "invalid" $v.autoscaling.targetCPUUtilizationPercentage) (kindIs "invalid" $v.autoscaling.targetConnectionsPerPod) -}}
{{- fail "autoscaling.enabled is true but it has no metric: set autoscaling.targetCPUUtilizationPercentage and/or autoscaling.targetConnectionsPerPod" -}}
{{- end -}}
{{- /* Ports: each exposed port needs its listener. */ -}}
{{- if and $v.service.ports.ws.enabled (not $v.broker.websocket.enabled) -}}
{{- fail "service.ports.ws.enabled is true but broker.websocket.enabled is false: turn the WebSocket listener on or the Service port off" -}}
{{- end -}}
{{- $listeners := list "mqtt" -}}
{{- if $v.broker.websocket.enabled -}}{{- $listeners = append $listeners "ws" -}}{{- end -}}
{{- if include "flockmq.brokerTls" . -}}{{- $listeners = append $listeners "mqtts" -}}{{- end -}}
{{- if include "flockmq.brokerWss" . -}}{{- $listeners = append $listeners "wss" -}}{{- end -}}
{{- range $name := list "mqtts" "wss" -}}
{{- $target := include "flockmq.serviceTarget" (list $ $name) -}}
{{- if and (index $v.service.ports $name).enabled (not (regexMatch "^[0-9]+$" $target)) (not (has $target $listeners)) -}}
{{- if eq $target "mqtts" -}}
{{- fail "service.ports.mqtts.targetPort is mqtts but broker.tls.enabled is false: turn the broker's TLS listener on, or set service.ports.mqtts.targetPort to mqtt (TLS terminated at the load balancer)" -}}
{{- else if eq $target "wss" -}}
{{- fail (printf "service.ports.wss.targetPort is wss but the broker runs no secure WebSocket listener (broker.tls.enabled %v, broker.tls.websocketPort %s): turn it on, or set service.ports.wss.targetPort to ws (TLS terminated at the load balancer)" $v.broker.tls.enabled (toJson $v.broker.tls.websocketPort)) -}}
{{- else if eq $target "ws" -}}
{{- fail (printf "service.ports.%s targets ws but broker.websocket.enabled is false: turn the WebSocket listener on%s, or the Service port off" $name (ternary " (or broker.tls with websocketPort)" "" (eq $name "wss"))) -}}
{{- else -}}
{{- fail (printf "service.ports.%s.targetPort is %s, which is no container port of the broker (%s)" $name $target (join ", " $listeners)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if not (or $v.service.ports.mqtt.enabled $v.service.ports.mqtts.enabled $v.service.ports.ws.enabled $v.service.ports.wss.enabled) -}}
{{- fail "every port of the MQTT Service is disabled (service.ports.*.enabled): enable at least one" -}}
{{- end -}}
{{- /* The broker's TLS listeners: one certificate source. */ -}}
{{- if $v.broker.tls.enabled -}}
{{- if and (not $v.broker.tls.existingSecret) (not $v.broker.tls.certManager.enabled) -}}
{{- fail "broker.tls.enabled is true but there is no certificate: set broker.tls.existingSecret (a kubernetes.io/tls Secret) or enable broker.tls.certManager" -}}
{{- end -}}
{{- if and $v.broker.tls.existingSecret $v.broker.tls.certManager.enabled -}}
{{- fail "broker.tls.existingSecret and broker.tls.certManager.enabled are both set: choose one source for the broker certificate" -}}
{{- end -}}
{{- if $v.broker.tls.certManager.enabled -}}
{{- include "flockmq.requireApi" (list . "broker.tls.certManager.enabled" "cert-manager.io/v1" "install cert-manager") -}}
{{- if not $v.broker.tls.certManager.issuerRef.name -}}
{{- fail "broker.tls.certManager.enabled is true but broker.tls.certManager.issuerRef.name is empty: name the Issuer or ClusterIssuer" -}}
{{- end -}}
{{- if and (not $v.broker.tls.certManager.serviceNames) (not $v.broker.tls.certManager.dnsNames) -}}
{{- fail "broker.tls.certManager.serviceNames is false and broker.tls.certManager.dnsNames is empty: the certificate would name no host" -}}
{{- end -}}
{{- end -}}
{{- $ports := list (int $v.broker.mqtt.port) (int $v.broker.httpPort) -}}
{{- if $v.broker.websocket.enabled -}}{{- $ports = append $ports (int $v.broker.websocket.port) -}}{{- end -}}
{{- if $v.admin.enabled -}}{{- $ports = append $ports (int $v.admin.port) -}}{{- end -}}
{{- if has (int $v.broker.tls.port) $ports -}}
{{- fail (printf "broker.tls.port %d is already used by another listener of the broker: choose another port" (int $v.broker.tls.port)) -}}
{{- end -}}
{{- if and (include "flockmq.brokerWss" .) (has (int $v.broker.tls.websocketPort) (append $ports (int $v.broker.tls.port))) -}}
{{- fail (printf "broker.tls.websocketPort %d is already used by another listener of the broker: choose another port" (int $v.broker.tls.websocketPort)) -}}
{{- end -}}
{{- end -}}
{{- /* The admin API: open beyond loopback only with a token. */ -}}
{{- if $v.admin.enabled -}}
{{- if and $v.admin.service.enabled (or (eq $v.admin.host "127.0.0.1") (eq $v.admin.host "::1") (eq $v.admin.host "localhost")) -}}
{{- fail (printf "admin.service.enabled is true but admin.host is %s: a Service cannot reach a loopback address; set admin.host to 0.0.0.0 (with a token)" $v.admin.host) -}}
{{- end -}}
{{- if and (not (or (eq $v.admin.host "127.0.0.1") (eq $v.admin.host "::1") (eq $v.admin.host "localhost"))) (not (include "flockmq.adminToken" .)) -}}
{{- fail (printf "admin.host is %s (beyond loopback) but no admin token is set: set admin.token.existingSecret (or admin.token.value)" $v.admin.host) -}}
{{- end -}}
{{- if and $v.admin.token.value (not $v.admin.token.existingSecret) (not (regexMatch "^\\S{16,}$" $v.admin.token.value)) -}}
{{- fail "admin.token.value must be at least 16 characters without spaces" -}}
{{- end -}}
{{- if $v.admin.tls.enabled -}}
{{- if and (not $v.admin.tls.existingSecret) (not $v.admin.tls.certManager.enabled) -}}
{{- fail "admin.tls.enabled is true but there is no certificate: set admin.tls.existingSecret or enable admin.tls.certManager" -}}
{{- end -}}
{{- if and $v.admin.tls.existingSecret $v.admin.tls.certManager.enabled -}}
{{- fail "admin.tls.existingSecret and admin.tls.certManager.enabled are both set: choose one source for the admin certificate" -}}
{{- end -}}
{{- if $v.admin.tls.certManager.enabled -}}
{{- include "flockmq.requireApi" (list . "admin.tls.certManager.enabled" "cert-manager.io/v1" "install cert-manager") -}}
{{- if not $v.admin.tls.certManager.issuerRef.name -}}
{{- fail "admin.tls.certManager.enabled is true but admin.tls.certManager.issuerRef.name is empty: name the Issuer or ClusterIssuer" -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- else if $v.admin.service.enabled -}}
{{- fail "admin.service.enabled is true but admin.enabled is false" -}}
{{- end -}}
{{- /* Optional resources of other APIs. */ -}}
{{- if $v.serviceMonitor.enabled -}}
{{- include "flockmq.requireApi" (list . "serviceMonitor.enabled" "monitoring.coreos.com/v1" "install the Prometheus Operator CRDs") -}}
{{- if not $v.metricsService.enabled -}}
{{- fail "serviceMonitor.enabled is true but metricsService.enabled is false: the ServiceMonitor scrapes the metrics Service (or use podMonitor)" -}}
{{- end -}}
{{- end -}}
{{- if $v.podMonitor.enabled -}}
{{- include "flockmq.requireApi" (list . "podMonitor.enabled" "monitoring.coreos.com/v1" "install the Prometheus Operator CRDs") -}}
{{- end -}}
{{- if $v.prometheusRule.enabled -}}
{{- include "flockmq.requireApi" (list . "prometheusRule.enabled" "monitoring.coreos.com/v1" "install the Prometheus Operator CRDs") -}}
{{- end -}}
{{- end -}}
