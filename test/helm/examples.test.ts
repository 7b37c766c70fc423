/**
 * deploy/examples/all-in-one: the Redis/NATS manifests pass the strict schema check, and the
 * chart renders a three-node flock pointed at their Services.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { brokerContainer, get, renderOk, ROOT, validate, type Doc } from './chart';

const DIR = join(ROOT, 'deploy', 'examples', 'all-in-one');

test('the Redis and NATS manifests are valid Deployments and Services', async () => {
  const docs = parseAllDocuments(readFileSync(join(DIR, 'redis-nats.yaml'), 'utf8')).map((d) => d.toJS() as Doc);
  expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([
    'Deployment/redis',
    'Service/redis',
    'Deployment/nats',
    'Service/nats',
  ]);
  expect(await validate(docs)).toEqual([]);
});

test('values.yaml points three nodes at those Services', async () => {
  const docs = await renderOk({ releaseName: 'flockmq', valuesFiles: [join(DIR, 'values.yaml')] });
  expect(get(docs, 'Deployment').spec.replicas).toBe(3);
  const env = Object.fromEntries(brokerContainer(docs).env.map((e: Doc) => [e.name, e.value]));
  expect(env.FLOCKMQ_REDIS).toBe('redis://redis:6379/0');
  expect(env.FLOCKMQ_NATS).toBe('nats://nats:4222');
  expect(get(docs, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
  expect(await validate(docs)).toEqual([]);
});
