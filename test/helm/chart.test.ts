/**
 * Unit tests of the chart: render with values (Helm 4, Kubernetes 1.31 unless said otherwise),
 * parse, assert. One describe per behaviour of helm/README.md, refusals included.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { brokerContainer, CHART, configOf, find, get, podSpec, refusal, renderOk, ROOT, type Doc } from './chart';

const MON = 'monitoring.coreos.com/v1';
const CLUSTER = {
  'redis.mode': 'standalone',
  'redis.hosts': ['redis.data:6379'],
  'nats.servers': ['nats://nats.data:4222'],
};

const envOf = (docs: Doc[]): Doc => Object.fromEntries(brokerContainer(docs).env.map((e: Doc) => [e.name, e]));

describe('defaults: one embedded node', () => {
  let docs: Doc[];
  beforeAll(async () => {
    docs = await renderOk();
  });

  test('renders the base resources and nothing optional', () => {
    expect(docs.map((d) => d.kind).sort()).toEqual(
      ['ConfigMap', 'ConfigMap', 'Deployment', 'Pod', 'Service', 'Service', 'ServiceAccount'].sort(),
    );
    expect(get(docs, 'Deployment').spec.replicas).toBe(1);
  });

  test('image defaults to the appVersion, which is the server package version', () => {
    const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8'));
    const server = JSON.parse(readFileSync(join(ROOT, 'packages', 'server', 'package.json'), 'utf8'));
    expect(chart.appVersion).toBe(server.version);
    expect(brokerContainer(docs).image).toBe(`ghcr.io/flockmq/flockmq:${server.version}`);
  });

  test('embedded mode: no Redis or NATS in the environment', () => {
    const env = envOf(docs);
    expect(env.FLOCKMQ_REDIS).toBeUndefined();
    expect(env.FLOCKMQ_NATS).toBeUndefined();
  });

  test('the config file carries the settings; the pod name is the node id', () => {
    expect(brokerContainer(docs).args).toEqual(['start', '--config', '/etc/flockmq/config/flockmq.json']);
    expect(envOf(docs).FLOCKMQ_NODE_ID).toEqual({
      name: 'FLOCKMQ_NODE_ID',
      valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
    });
    expect(configOf(docs)).toEqual({
      host: '0.0.0.0',
      port: 1883,
      wsPort: 8083,
      wsPath: '/mqtt',
      httpPort: 9090,
      logLevel: 'info',
      sysInterval: 10,
      drainRate: 500,
      drainTimeout: 30,
      drainServerReference: '',
      rebalance: true,
      rebalanceThreshold: 10,
      rebalanceMinExcess: 50,
      rebalanceRate: 50,
      rebalanceInterval: 10,
      adminPort: 9091,
      adminHost: '127.0.0.1',
    });
  });

  test('surge-first rolling updates with minReadySeconds', () => {
    const spec = get(docs, 'Deployment').spec;
    expect(spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    expect(spec.minReadySeconds).toBe(10);
  });

  test('probes: startup and readiness on /readyz, liveness on /healthz, all on the http port', () => {
    const c = brokerContainer(docs);
    expect(c.startupProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.ports).toContainEqual({ name: 'http', containerPort: 9090, protocol: 'TCP' });
  });

  test('security: non-root 65532, read-only root, no privilege escalation, no capabilities, no token', () => {
    const pod = podSpec(docs);
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      fsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(brokerContainer(docs).securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(get(docs, 'ServiceAccount').automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe(get(docs, 'ServiceAccount').metadata.name);
  });

  test('services: MQTT and WebSocket on a ClusterIP Service, metrics on its own, admin not exposed', () => {
    const svc = get(docs, 'Service', 'flock-flockmq');
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.externalTrafficPolicy).toBeUndefined();
    expect(svc.spec.ports).toEqual([
      { name: 'mqtt', port: 1883, targetPort: 'mqtt', protocol: 'TCP' },
      { name: 'ws', port: 8083, targetPort: 'ws', protocol: 'TCP' },
    ]);
    const metrics = get(docs, 'Service', '-metrics');
    expect(metrics.spec.type).toBe('ClusterIP');
    expect(metrics.spec.ports).toEqual([{ name: 'http', port: 9090, targetPort: 'http', protocol: 'TCP' }]);
    const exposed = docs.filter((d) => d.kind === 'Service').flatMap((s) => s.spec.ports.map((p: Doc) => p.targetPort));
    expect(exposed).not.toContain('admin');
    expect(configOf(docs).adminHost).toBe('127.0.0.1');
  });

  test('topology spread over zones and hosts, ScheduleAnyway', () => {
    const spread = podSpec(docs).topologySpreadConstraints;
    expect(spread.map((t: Doc) => [t.topologyKey, t.whenUnsatisfiable, t.maxSkew])).toEqual([
      ['topology.kubernetes.io/zone', 'ScheduleAnyway', 1],
      ['kubernetes.io/hostname', 'ScheduleAnyway', 1],
    ]);
    expect(spread[0].labelSelector.matchLabels).toEqual(get(docs, 'Deployment').spec.selector.matchLabels);
  });

  test('no HPA, no PDB (one pod), no NetworkPolicy, no monitoring resources', () => {
    for (const kind of ['HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy', 'ServiceMonitor']) {
      expect(find(docs, kind)).toBeUndefined();
    }
  });
});

describe('the drain contract', () => {
  test('preStop uses the sleep action from Kubernetes 1.30 on', async () => {
    for (const kubeVersion of ['1.30.0', '1.35.0']) {
      const docs = await renderOk({ kubeVersion });
      expect(brokerContainer(docs).lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    }
  });

  test('before 1.30, preStop runs a node timer (the image has no shell or sleep)', async () => {
    const docs = await renderOk({ kubeVersion: '1.28.0' });
    expect(brokerContainer(docs).lifecycle.preStop).toEqual({
      exec: { command: ['/nodejs/bin/node', '-e', 'setTimeout(() => {}, 5000)'] },
    });
  });

  test('preStopMode forces either form; preStopSeconds 0 removes the hook', async () => {
    const exec = await renderOk({ set: { 'drain.preStopMode': 'exec', 'drain.preStopSeconds': 8 } });
    expect(brokerContainer(exec).lifecycle.preStop.exec.command[2]).toBe('setTimeout(() => {}, 8000)');
    const sleep = await renderOk({ kubeVersion: '1.28.0', set: { 'drain.preStopMode': 'sleep' } });
    expect(brokerContainer(sleep).lifecycle.preStop).toEqual({ sleep: { seconds: 5 } });
    const none = await renderOk({ set: { 'drain.preStopSeconds': 0 } });
    expect(brokerContainer(none).lifecycle).toBeUndefined();
  });

  test('the grace period is derived: preStop + drain timeout + margin', async () => {
    expect(podSpec(await renderOk()).terminationGracePeriodSeconds).toBe(5 + 30 + 5);
    const docs = await renderOk({
      set: { 'drain.preStopSeconds': 10, 'drain.timeoutSeconds': 120, 'drain.marginSeconds': 7, 'drain.rate': 100 },
    });
    expect(podSpec(docs).terminationGracePeriodSeconds).toBe(137);
    expect(configOf(docs)).toMatchObject({ drainRate: 100, drainTimeout: 120 });
  });

  test('an explicit grace period at least that long is kept', async () => {
    const docs = await renderOk({ set: { terminationGracePeriodSeconds: 300 } });
    expect(podSpec(docs).terminationGracePeriodSeconds).toBe(300);
  });

  test('an explicit grace period shorter than the drain is refused, naming the numbers', async () => {
    const error = await refusal({ set: { terminationGracePeriodSeconds: 20 } });
    expect(error).toContain(
      'terminationGracePeriodSeconds is 20 but the drain needs at least 40 s (drain.preStopSeconds 5 + drain.timeoutSeconds 30 + drain.marginSeconds 5)',
    );
  });
});

describe('settings', () => {
  test('rebalance, limits, log level and WebSocket settings reach the config file', async () => {
    const docs = await renderOk({
      set: {
        ...CLUSTER,
        rebalance: { enabled: false, thresholdPercent: 25, minExcess: 10, rate: 5, intervalSeconds: 30 },
        'broker.limits': { maxConnections: 1000, maxQoS: 1, retainAvailable: false },
        'broker.logLevel': 'debug',
        'broker.websocket': { enabled: false, port: 8083, path: '/mqtt' },
        'service.ports.ws.enabled': false,
        'drain.serverReference': 'mqtt.example.com',
      },
    });
    expect(configOf(docs)).toMatchObject({
      rebalance: false,
      rebalanceThreshold: 25,
      rebalanceMinExcess: 10,
      rebalanceRate: 5,
      rebalanceInterval: 30,
      limits: { maxConnections: 1000, maxQoS: 1, retainAvailable: false },
      logLevel: 'debug',
      wsPort: 'off',
      drainServerReference: 'mqtt.example.com',
    });
    expect(brokerContainer(docs).ports.map((p: Doc) => p.name)).toEqual(['mqtt', 'http', 'admin']);
  });

  test('extraArgs follow the chart flags; extraEnv is appended', async () => {
    const docs = await renderOk({
      set: {
        'broker.extraArgs': ['--max-inflight=64'],
        'broker.extraEnv': [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=768' }],
      },
    });
    expect(brokerContainer(docs).args.slice(-1)).toEqual(['--max-inflight=64']);
    expect(envOf(docs).NODE_OPTIONS.value).toBe('--max-old-space-size=768');
  });

  test('a config change or a chart-created credential change rolls the pods (checksums)', async () => {
    const annotations = async (set: Record<string, unknown>): Promise<Doc> =>
      get(await renderOk({ set }), 'Deployment').spec.template.metadata.annotations;
    const base = await annotations({ 'admin.token.value': 'a-token-of-twenty-chars' });
    const otherConfig = await annotations({ 'admin.token.value': 'a-token-of-twenty-chars', 'drain.rate': 42 });
    const otherSecret = await annotations({ 'admin.token.value': 'another-token-of-twenty-chars' });
    expect(base['checksum/config']).toMatch(/^[a-f0-9]{64}$/);
    expect(otherConfig['checksum/config']).not.toBe(base['checksum/config']);
    expect(otherConfig['checksum/secret']).toBe(base['checksum/secret']);
    expect(otherSecret['checksum/secret']).not.toBe(base['checksum/secret']);
    expect(otherSecret['checksum/config']).toBe(base['checksum/config']);
  });

  test('the schema refuses an unknown key, at the top and nested', async () => {
    expect(await refusal({ set: { replicas: 3 } })).toMatch(/additional properties 'replicas' not allowed/);
    expect(await refusal({ set: { 'drain.timeout': 10 } })).toMatch(/additional properties 'timeout' not allowed/);
    expect(await refusal({ set: { 'broker.limits.maxQos': 1 } })).toMatch(/additional properties 'maxQos' not allowed/);
  });

  test('the schema refuses wrong types, enums and ranges', async () => {
    expect(await refusal({ set: { 'service.type': 'ExternalName' } })).toMatch(/service\/type/);
    expect(await refusal({ set: { 'drain.rate': 0 } })).toMatch(/drain\/rate/);
    expect(await refusal({ set: { replicaCount: '3' } })).toMatch(/replicaCount/);
    expect(await refusal({ set: { 'redis.mode': 'replicated' } })).toMatch(/redis\/mode/);
  });
});

describe('Redis and NATS', () => {
  test('standalone with TLS and a password from an existing Secret, never inline', async () => {
    const docs = await renderOk({
      set: {
        ...CLUSTER,
        'redis.tls': true,
        'redis.db': 2,
        'redis.auth': { enabled: true, existingSecret: 'redis-creds', passwordKey: 'pw' },
      },
    });
    const env = brokerContainer(docs).env.map((e: Doc) => e.name);
    expect(env.indexOf('REDIS_PASSWORD')).toBeLessThan(env.indexOf('FLOCKMQ_REDIS'));
    expect(envOf(docs).REDIS_PASSWORD.valueFrom).toEqual({ secretKeyRef: { name: 'redis-creds', key: 'pw' } });
    expect(envOf(docs).FLOCKMQ_REDIS.value).toBe('rediss://:$(REDIS_PASSWORD)@redis.data:6379/2');
    expect(envOf(docs).FLOCKMQ_NATS.value).toBe('nats://nats.data:4222');
    expect(find(docs, 'Secret')).toBeUndefined();
  });

  test('sentinel: master name, database and the sentinels password', async () => {
    const docs = await renderOk({
      set: {
        ...CLUSTER,
        'redis.mode': 'sentinel',
        'redis.hosts': ['s0:26379', 's1:26379'],
        'redis.masterName': 'flock',
        'redis.db': 1,
        'redis.username': 'flockmq',
        'redis.auth': { enabled: true, existingSecret: 'r', passwordKey: 'p', sentinelPasswordKey: 'sp' },
        'nats.servers': ['nats://n0:4222', 'nats://n1:4222'],
      },
    });
    expect(envOf(docs).FLOCKMQ_REDIS.value).toBe(
      'redis-sentinel://flockmq:$(REDIS_PASSWORD)@s0:26379,s1:26379/flock/1?sentinelPassword=$(REDIS_SENTINEL_PASSWORD)',
    );
    expect(envOf(docs).REDIS_SENTINEL_PASSWORD.valueFrom.secretKeyRef).toEqual({ name: 'r', key: 'sp' });
    expect(envOf(docs).FLOCKMQ_NATS.value).toBe('nats://n0:4222,nats://n1:4222');
  });

  test('cluster with a chart-created Secret: the password is only in the Secret', async () => {
    const docs = await renderOk({
      set: {
        ...CLUSTER,
        'redis.mode': 'cluster',
        'redis.hosts': ['c0:6379', 'c1:6379', 'c2:6379'],
        'redis.auth': { enabled: true, password: 'pa55-word' },
      },
    });
    expect(envOf(docs).FLOCKMQ_REDIS.value).toBe('redis-cluster://:$(REDIS_PASSWORD)@c0:6379,c1:6379,c2:6379');
    const secret = get(docs, 'Secret');
    expect(Buffer.from(secret.data['redis-password'], 'base64').toString()).toBe('pa55-word');
    const others = docs.filter((d) => d.kind !== 'Secret');
    expect(JSON.stringify(others)).not.toContain('pa55-word');
    expect(envOf(docs).REDIS_PASSWORD.valueFrom.secretKeyRef.name).toBe(secret.metadata.name);
  });

  test('refusals: half a cluster, clustering the embedded node, TLS the broker cannot do', async () => {
    expect(await refusal({ set: { 'redis.mode': 'standalone', 'redis.hosts': ['r:6379'] } })).toContain(
      'redis.mode is set but nats.servers is empty: cluster mode needs both Redis and NATS',
    );
    expect(await refusal({ set: { 'nats.servers': ['nats://n:4222'] } })).toContain(
      'nats.servers is set but redis.mode is empty',
    );
    expect(await refusal({ set: { replicaCount: 3 } })).toContain(
      'replicaCount is 3 but neither Redis nor NATS is configured: the embedded mode runs one node and cannot be clustered',
    );
    expect(await refusal({ set: { 'autoscaling.enabled': true } })).toContain(
      'autoscaling.minReplicas is 3 but neither Redis nor NATS is configured',
    );
    expect(await refusal({ set: { ...CLUSTER, 'redis.mode': 'sentinel', 'redis.tls': true } })).toContain(
      'redis.tls is true with redis.mode "sentinel"',
    );
    expect(await refusal({ set: { ...CLUSTER, 'redis.hosts': [] } })).toContain('redis.hosts is empty');
    expect(
      await refusal({ set: { ...CLUSTER, 'redis.auth.enabled': true, 'redis.auth.password': 'p@ss/word' } }),
    ).toContain('redis.auth.password may only hold letters, digits and -._~');
  });
});

describe('scaling', () => {
  test('replicas and a PodDisruptionBudget of maxUnavailable 1 when more than one pod runs', async () => {
    const docs = await renderOk({ set: { ...CLUSTER, replicaCount: 3 } });
    expect(get(docs, 'Deployment').spec.replicas).toBe(3);
    const pdb = get(docs, 'PodDisruptionBudget');
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(get(docs, 'Deployment').spec.selector.matchLabels);
    const off = await renderOk({ set: { ...CLUSTER, replicaCount: 3, 'podDisruptionBudget.enabled': false } });
    expect(find(off, 'PodDisruptionBudget')).toBeUndefined();
  });

  test('HPA: autoscaling/v2 on CPU and connections per pod, slow scale-down; the Deployment leaves replicas to it', async () => {
    const docs = await renderOk({
      set: { ...CLUSTER, 'autoscaling.enabled': true, 'autoscaling.targetConnectionsPerPod': 20000 },
    });
    const hpa = get(docs, 'HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toMatchObject({ minReplicas: 3, maxReplicas: 10 });
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'flock-flockmq' });
    expect(hpa.spec.metrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
      {
        type: 'Pods',
        pods: {
          metric: { name: 'flockmq_connections_current' },
          target: { type: 'AverageValue', averageValue: '20000' },
        },
      },
    ]);
    expect(hpa.spec.behavior.scaleDown).toEqual({
      stabilizationWindowSeconds: 600,
      selectPolicy: 'Min',
      policies: [{ type: 'Pods', value: 1, periodSeconds: 300 }],
    });
    expect(hpa.spec.behavior.scaleUp.stabilizationWindowSeconds).toBeLessThan(600);
    expect(get(docs, 'Deployment').spec.replicas).toBeUndefined();
    expect(get(docs, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
  });

  test('HPA refusals: no metric, max below min', async () => {
    const on = { ...CLUSTER, 'autoscaling.enabled': true };
    expect(await refusal({ set: { ...on, 'autoscaling.targetCPUUtilizationPercentage': null } })).toContain(
      'it has no metric',
    );
    expect(await refusal({ set: { ...on, 'autoscaling.maxReplicas': 2 } })).toContain(
      'autoscaling.maxReplicas (2) is below autoscaling.minReplicas (3)',
    );
  });

  test('scheduling passthrough: explicit constraints, affinity, tolerations, nodeSelector, priority', async () => {
    const spread = [
      {
        maxSkew: 2,
        topologyKey: 'rack',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { a: 'b' } },
      },
    ];
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['mqtt'] }] }],
        },
      },
    };
    const tolerations = [{ key: 'dedicated', operator: 'Equal', value: 'mqtt', effect: 'NoSchedule' }];
    const pod = podSpec(
      await renderOk({
        set: {
          topologySpreadConstraints: spread,
          affinity,
          tolerations,
          nodeSelector: { pool: 'mqtt' },
          priorityClassName: 'high',
        },
      }),
    );
    expect(pod.topologySpreadConstraints).toEqual(spread);
    expect(pod.affinity).toEqual(affinity);
    expect(pod.tolerations).toEqual(tolerations);
    expect(pod.nodeSelector).toEqual({ pool: 'mqtt' });
    expect(pod.priorityClassName).toBe('high');
  });
});

describe('services', () => {
  test('LoadBalancer: annotations, class, source ranges, traffic policy; TLS ports forward to the plain listeners', async () => {
    const docs = await renderOk({ valuesFiles: [join(CHART, 'ci', 'loadbalancer-values.yaml')] });
    const svc = get(docs, 'Service', 'flock-flockmq');
    expect(svc.spec).toMatchObject({
      type: 'LoadBalancer',
      loadBalancerClass: 'service.k8s.aws/nlb',
      externalTrafficPolicy: 'Local',
      loadBalancerSourceRanges: ['203.0.113.0/24'],
    });
    expect(svc.metadata.annotations['service.beta.kubernetes.io/aws-load-balancer-ssl-ports']).toBe('8883,8084');
    expect(svc.spec.ports).toEqual([
      { name: 'mqtts', port: 8883, targetPort: 'mqtt', protocol: 'TCP' },
      { name: 'wss', port: 8084, targetPort: 'ws', protocol: 'TCP', nodePort: 30884 },
    ]);
  });

  test('NodePort with fixed node ports; headless Service on request', async () => {
    const docs = await renderOk({
      set: { 'service.type': 'NodePort', 'service.ports.mqtt.nodePort': 31883, 'headlessService.enabled': true },
    });
    expect(get(docs, 'Service', 'flock-flockmq').spec.ports[0]).toMatchObject({ name: 'mqtt', nodePort: 31883 });
    const headless = get(docs, 'Service', '-headless');
    expect(headless.spec.clusterIP).toBe('None');
  });

  test('refusals: a ws port without the listener, no port at all', async () => {
    expect(await refusal({ set: { 'broker.websocket.enabled': false } })).toContain(
      'service.ports.ws.enabled is true but broker.websocket.enabled is false',
    );
    expect(
      await refusal({ set: { 'service.ports.mqtt.enabled': false, 'service.ports.ws.enabled': false } }),
    ).toContain('every port of the MQTT Service is disabled');
  });

  test('admin API: a Service only with a non-loopback host and a token', async () => {
    const docs = await renderOk({
      set: { 'admin.host': '0.0.0.0', 'admin.token.existingSecret': 'adm', 'admin.service.enabled': true },
    });
    expect(get(docs, 'Service', '-admin').spec.ports).toEqual([
      { name: 'admin', port: 9091, targetPort: 'admin', protocol: 'TCP' },
    ]);
    expect(envOf(docs).FLOCKMQ_ADMIN_TOKEN.valueFrom).toEqual({ secretKeyRef: { name: 'adm', key: 'admin-token' } });
    expect(await refusal({ set: { 'admin.service.enabled': true } })).toContain(
      'admin.service.enabled is true but admin.host is 127.0.0.1',
    );
    expect(await refusal({ set: { 'admin.host': '0.0.0.0' } })).toContain(
      'admin.host is 0.0.0.0 (beyond loopback) but no admin token is set',
    );
    expect(await refusal({ set: { 'admin.token.value': 'short' } })).toContain('at least 16 characters');
  });
});

describe('monitoring', () => {
  const ON = { 'serviceMonitor.enabled': true, 'podMonitor.enabled': true, 'prometheusRule.enabled': true };

  test('ServiceMonitor and PodMonitor scrape /metrics on the http port, job named after the chart', async () => {
    const docs = await renderOk({ set: ON, apiVersions: [MON] });
    const sm = get(docs, 'ServiceMonitor');
    expect(sm.spec.jobLabel).toBe('app.kubernetes.io/name');
    expect(sm.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '30s' }]);
    expect(get(docs, 'Service', '-metrics').metadata.labels).toMatchObject(sm.spec.selector.matchLabels);
    const pm = get(docs, 'PodMonitor');
    expect(pm.spec.podMetricsEndpoints[0]).toMatchObject({ port: 'http', path: '/metrics' });
  });

  test("the PrometheusRule holds deploy/prometheus/flockmq-alerts.yaml's groups", async () => {
    const docs = await renderOk({ set: ON, apiVersions: [MON] });
    const source = parse(readFileSync(join(ROOT, 'deploy', 'prometheus', 'flockmq-alerts.yaml'), 'utf8'));
    expect(get(docs, 'PrometheusRule').spec.groups).toEqual(source.groups);
  });

  test('the dashboard ConfigMap carries deploy/grafana/flockmq-dashboard.json for the Grafana sidecar', async () => {
    const docs = await renderOk({ set: { 'grafanaDashboard.enabled': true } });
    const cm = get(docs, 'ConfigMap', '-dashboard');
    expect(cm.metadata.labels.grafana_dashboard).toBe('1');
    const source = JSON.parse(readFileSync(join(ROOT, 'deploy', 'grafana', 'flockmq-dashboard.json'), 'utf8'));
    expect(JSON.parse(cm.data['flockmq-dashboard.json'])).toEqual(source);
  });

  test.each(['serviceMonitor', 'podMonitor', 'prometheusRule'])(
    '%s.enabled without the monitoring.coreos.com/v1 API is refused',
    async (key) => {
      expect(await refusal({ set: { [`${key}.enabled`]: true } })).toContain(
        `${key}.enabled is true but the cluster has no monitoring.coreos.com/v1 API: install the Prometheus Operator CRDs or set ${key}.enabled=false`,
      );
    },
  );
});

describe('NetworkPolicy', () => {
  test('MQTT from the listed sources and the test pod, metrics from monitoring, egress to DNS, Redis and NATS only', async () => {
    const docs = await renderOk({ valuesFiles: [join(CHART, 'ci', 'networkpolicy-values.yaml')] });
    const np = get(docs, 'NetworkPolicy');
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    const [mqtt, metrics] = np.spec.ingress;
    expect(mqtt.ports.map((p: Doc) => p.port)).toEqual(['mqtt', 'ws']);
    expect(mqtt.from).toEqual([
      { ipBlock: { cidr: '10.0.0.0/8' } },
      { ipBlock: { cidr: '192.168.0.0/16' } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'iot-gateways' } } },
      { podSelector: { matchLabels: { app: 'telemetry-ingest' } } },
      {
        podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'flock', 'app.kubernetes.io/component': 'test' } },
      },
    ]);
    expect(metrics).toEqual({
      ports: [{ port: 'http', protocol: 'TCP' }],
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
    });
    const [dns, backends] = np.spec.egress;
    expect(dns.ports).toEqual([
      { port: 53, protocol: 'UDP' },
      { port: 53, protocol: 'TCP' },
    ]);
    expect(backends.ports).toEqual([
      { port: 6379, protocol: 'TCP' },
      { port: 4222, protocol: 'TCP' },
    ]);
    expect(backends.to).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'data' } } }]);
    expect(np.spec.egress).toHaveLength(2);
  });

  test('without listed sources MQTT is open to all; the embedded node gets DNS egress only', async () => {
    const np = get(await renderOk({ set: { 'networkPolicy.enabled': true } }), 'NetworkPolicy');
    expect(np.spec.ingress[0].from).toBeUndefined();
    expect(np.spec.egress).toHaveLength(1);
  });
});

describe('helm test', () => {
  test('a pod on the broker image runs the round-trip script against the Service', async () => {
    const docs = await renderOk();
    const pod = get(docs, 'Pod');
    expect(pod.metadata.annotations['helm.sh/hook']).toBe('test');
    const c = pod.spec.containers[0];
    expect(c.image).toBe(brokerContainer(docs).image);
    expect(c.command).toEqual(['/nodejs/bin/node', '/scripts/mqtt-roundtrip.js']);
    expect(c.env).toContainEqual({ name: 'MQTT_HOST', value: 'flock-flockmq.mqtt.svc' });
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    const script = get(docs, 'ConfigMap', '-test').data['mqtt-roundtrip.js'];
    expect(script).toBe(readFileSync(join(CHART, 'files', 'mqtt-roundtrip.js'), 'utf8').trimEnd());
  });

  test('tests.enabled false removes it', async () => {
    expect(find(await renderOk({ set: { 'tests.enabled': false } }), 'Pod')).toBeUndefined();
  });
});
