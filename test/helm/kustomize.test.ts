/**
 * deploy/kustomize: the base and both overlays render with `kubectl kustomize` (kubectl 1.35),
 * every document passes the strict schema check, and the key fields equal the chart's output for
 * the same setup, so the chart and the plain manifests cannot drift apart unnoticed.
 */
import { join } from 'node:path';
import { brokerContainer, find, get, KUSTOMIZE, kustomize, renderOk, validate, type Doc } from './chart';

const dirs = {
  base: join(KUSTOMIZE, 'base'),
  dev: join(KUSTOMIZE, 'overlays', 'dev'),
  production: join(KUSTOMIZE, 'overlays', 'production'),
};

/** The chart values that describe the production overlay. */
const PRODUCTION_VALUES = {
  'redis.mode': 'standalone',
  'redis.hosts': ['redis.flockmq-data.svc:6379'],
  'redis.auth': { enabled: true, existingSecret: 'flockmq-redis' },
  'nats.servers': ['nats://nats.flockmq-data.svc:4222'],
  autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 12, targetCPUUtilizationPercentage: 70 },
  resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '2Gi' } },
  'networkPolicy.enabled': true,
  'networkPolicy.egress.to': [
    { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'flockmq-data' } } },
  ],
  'networkPolicy.egress.redisPorts': [6379],
};

const rendered: Record<keyof typeof dirs, Doc[]> = { base: [], dev: [], production: [] };
let chartDefault: Doc[];
let chartProduction: Doc[];

beforeAll(async () => {
  const [base, dev, production, def, prod] = await Promise.all([
    kustomize(dirs.base),
    kustomize(dirs.dev),
    kustomize(dirs.production),
    renderOk({ releaseName: 'flockmq', kubeVersion: '1.31.0' }),
    renderOk({ releaseName: 'flockmq', kubeVersion: '1.31.0', set: PRODUCTION_VALUES }),
  ]);
  Object.assign(rendered, { base, dev, production });
  chartDefault = def;
  chartProduction = prod;
}, 60_000);

/** The fields of the broker pod both must agree on. */
function podEssentials(docs: Doc[]): Doc {
  const deployment = get(docs, 'Deployment');
  const pod = deployment.spec.template.spec;
  const c = brokerContainer(docs);
  return {
    strategy: deployment.spec.strategy,
    minReadySeconds: deployment.spec.minReadySeconds,
    revisionHistoryLimit: deployment.spec.revisionHistoryLimit,
    selector: deployment.spec.selector,
    podSecurityContext: pod.securityContext,
    automountServiceAccountToken: pod.automountServiceAccountToken,
    enableServiceLinks: pod.enableServiceLinks,
    terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds,
    topologySpreadConstraints: pod.topologySpreadConstraints,
    image: c.image,
    args: c.args,
    ports: c.ports,
    probes: [c.startupProbe, c.readinessProbe, c.livenessProbe],
    lifecycle: c.lifecycle,
    resources: c.resources,
    securityContext: c.securityContext,
    volumeMounts: c.volumeMounts,
    env: c.env,
  };
}

const config = (docs: Doc[]): Doc =>
  JSON.parse(docs.find((d) => d.kind === 'ConfigMap' && d.data?.['flockmq.json'])!.data['flockmq.json']);

const servicePorts = (docs: Doc[], suffix: string): Doc => {
  const svc = get(docs, 'Service', suffix);
  return { type: svc.spec.type, selector: svc.spec.selector, ports: svc.spec.ports };
};

test.each(Object.keys(dirs))('%s renders documents that pass the strict schema check', async (name) => {
  const docs = rendered[name as keyof typeof dirs];
  expect(docs.length).toBeGreaterThanOrEqual(5);
  expect(await validate(docs)).toEqual([]);
});

test('the base is the chart with its default values', () => {
  expect(podEssentials(rendered.base)).toEqual(podEssentials(chartDefault));
  expect(config(rendered.base)).toEqual(config(chartDefault));
  expect(servicePorts(rendered.base, 'flockmq')).toEqual(servicePorts(chartDefault, 'flockmq'));
  expect(servicePorts(rendered.base, '-metrics')).toEqual(servicePorts(chartDefault, '-metrics'));
  expect(get(rendered.base, 'ServiceAccount').automountServiceAccountToken).toBe(false);
  expect(get(rendered.base, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
});

test('the config ConfigMap name carries a content hash, so a config change rolls the pods', () => {
  const cm = rendered.base.find((d) => d.kind === 'ConfigMap')!;
  expect(cm.metadata.name).toMatch(/^flockmq-[a-z0-9]{10}$/);
  const volume = get(rendered.base, 'Deployment').spec.template.spec.volumes[0];
  expect(volume.configMap.name).toBe(cm.metadata.name);
});

test('dev: one embedded node with debug logs and no PDB', () => {
  expect(get(rendered.dev, 'Deployment').spec.replicas).toBe(1);
  expect(find(rendered.dev, 'PodDisruptionBudget')).toBeUndefined();
  const env = brokerContainer(rendered.dev).env.map((e: Doc) => e.name);
  expect(env).toContain('FLOCKMQ_LOG_LEVEL');
  expect(env).not.toContain('FLOCKMQ_REDIS');
});

test('production: the chart in cluster mode with HPA and NetworkPolicy', () => {
  const overlay = podEssentials(rendered.production);
  const chart = podEssentials(chartProduction);
  // The same environment (node id, Redis password first, Redis URL, NATS), in any order but the
  // password before the URL that refers to it.
  const byName = (env: Doc[]): Doc => Object.fromEntries(env.map((e) => [e.name, e]));
  expect(byName(overlay.env)).toEqual(byName(chart.env));
  const names = overlay.env.map((e: Doc) => e.name);
  expect(names.indexOf('REDIS_PASSWORD')).toBeLessThan(names.indexOf('FLOCKMQ_REDIS'));
  expect({ ...overlay, env: [] }).toEqual({ ...chart, env: [] });
  expect(get(rendered.production, 'Deployment').spec.replicas).toBeUndefined();
  expect(get(rendered.production, 'HorizontalPodAutoscaler').spec).toEqual(
    get(chartProduction, 'HorizontalPodAutoscaler').spec,
  );
  expect(get(rendered.production, 'NetworkPolicy').spec).toEqual(get(chartProduction, 'NetworkPolicy').spec);
  expect(get(rendered.production, 'PodDisruptionBudget').spec).toEqual(
    get(chartProduction, 'PodDisruptionBudget').spec,
  );
});
