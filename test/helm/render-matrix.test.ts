/**
 * The render matrix: every ci/*-values.yaml × Kubernetes 1.28, 1.31, 1.35 × with and without the
 * Prometheus Operator and cert-manager APIs. Every rendered document must pass the
 * kubernetes-models schema of its kind, strictly (no unknown field). A values file that enables a
 * resource of an absent API must fail with the message naming the API and the way out.
 */
import { basename } from 'node:path';
import { ciValuesFiles, render, validate, type Doc, type Rendered } from './chart';

const KUBE_VERSIONS = ['1.28.0', '1.31.0', '1.35.0'];
const API_SETS: Record<string, string[]> = {
  'no CRD APIs': [],
  'monitoring + cert-manager APIs': ['monitoring.coreos.com/v1', 'cert-manager.io/v1'],
};

interface Case {
  file: string;
  kube: string;
  apis: string;
  rendered: Rendered;
}

const cases: Case[] = [];
const problems = new Map<Case, string[]>();

beforeAll(async () => {
  const pending: Promise<void>[] = [];
  for (const file of ciValuesFiles()) {
    for (const kube of KUBE_VERSIONS) {
      for (const [apis, apiVersions] of Object.entries(API_SETS)) {
        pending.push(
          render({ valuesFiles: [file], kubeVersion: kube, apiVersions }).then((rendered) => {
            cases.push({ file: basename(file), kube, apis, rendered });
          }),
        );
      }
    }
  }
  await Promise.all(pending);
  // One validation pass over every document of every render.
  const all: { c: Case; doc: Doc }[] = cases.flatMap((c) => c.rendered.docs.map((doc) => ({ c, doc })));
  const tagged = all.map(({ doc }, i) => ({
    ...doc,
    metadata: { ...doc.metadata, name: `${i}|${doc.metadata?.name}` },
  }));
  for (const line of await validate(tagged)) {
    const index = Number(line.slice(line.indexOf('/') + 1).split('|')[0]);
    const c = all[index]!.c;
    problems.set(c, [...(problems.get(c) ?? []), line.replace(/\/\d+\|/, '/')]);
  }
}, 170_000);

const names = ciValuesFiles().map((f) => basename(f));

describe.each(names)('ci/%s', (file) => {
  test.each(KUBE_VERSIONS.flatMap((kube) => Object.keys(API_SETS).map((apis) => [kube, apis])))(
    'Kubernetes %s, %s: renders valid documents or refuses a missing API',
    (kube, apis) => {
      const c = cases.find((x) => x.file === file && x.kube === kube && x.apis === apis)!;
      expect(c).toBeDefined();
      if (!c.rendered.ok) {
        // Only a missing API may stop a ci values file from rendering.
        expect(apis).toBe('no CRD APIs');
        expect(c.rendered.error).toMatch(
          /\S+\.enabled is true but the cluster has no (monitoring\.coreos\.com|cert-manager\.io)\/v1 API: install .* or set \S+=false/,
        );
        return;
      }
      expect(c.rendered.docs.length).toBeGreaterThan(3);
      expect(problems.get(c) ?? []).toEqual([]);
    },
  );
});

test('the matrix exercises both outcomes and every optional kind', () => {
  expect(cases.some((c) => !c.rendered.ok)).toBe(true);
  const kinds = new Set(cases.flatMap((c) => c.rendered.docs.map((d) => d.kind as string)));
  for (const kind of [
    'Deployment',
    'Service',
    'ConfigMap',
    'Secret',
    'ServiceAccount',
    'HorizontalPodAutoscaler',
    'PodDisruptionBudget',
    'NetworkPolicy',
    'ServiceMonitor',
    'PodMonitor',
    'PrometheusRule',
    'Certificate',
    'Pod',
  ]) {
    expect(kinds).toContain(kind);
  }
});
