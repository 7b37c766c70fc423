/**
 * The chart's files against their sources of truth:
 * - files/ copies of the dashboard and the rules equal deploy/grafana and deploy/prometheus;
 * - the README values table is the one gen-readme.mjs generates, and every value is documented;
 * - values.schema.json lists exactly the keys of values.yaml;
 * - the config file the chart renders is accepted by the broker's own config loader;
 * - the `helm test` script completes a round trip against a real broker;
 * - the strict validator rejects unknown fields (the negative test of validate-worker.mjs).
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { loadConfig, SETTINGS } from '@flockmq/server';
import { startTestBroker } from '@flockmq/testkit';
import { brokerContainer, CHART, ciValuesFiles, get, renderOk, ROOT, validate, type Doc } from './chart';

describe('copies of deploy/ files', () => {
  test.each([
    ['deploy/grafana/flockmq-dashboard.json', 'files/flockmq-dashboard.json'],
    ['deploy/prometheus/flockmq-alerts.yaml', 'files/flockmq-alerts.yaml'],
  ])('%s is copied unchanged (node helm/flockmq/sync-files.mjs)', (source, copy) => {
    expect(readFileSync(join(CHART, copy), 'utf8')).toBe(readFileSync(join(ROOT, source), 'utf8'));
  });
});

describe('values documentation', () => {
  test('the README values table is current (node helm/flockmq/gen-readme.mjs)', () => {
    expect(() =>
      execFileSync(process.execPath, [join(CHART, 'gen-readme.mjs'), '--check'], { stdio: 'pipe' }),
    ).not.toThrow();
  });

  test('every value is documented with a `# --` comment (itself or the object it belongs to)', () => {
    const doc = parseDocument(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
    const undocumented: string[] = [];
    const walk = (node: Node | null, path: string, documented: boolean, first?: string | null): void => {
      if (!isMap(node)) return;
      node.items.forEach((pair, i) => {
        const key = `${path}${path ? '.' : ''}${String((pair.key as { value: unknown }).value)}`;
        const comment = (pair.key as Node).commentBefore ?? (i === 0 ? first : undefined);
        const mine = documented || /(^|\n)\s*--\s/.test(comment ?? '');
        const value = pair.value as Node | null;
        const leaf = !isMap(value) || value.items.length === 0;
        if (leaf && !mine) undocumented.push(key);
        if (isMap(value)) walk(value, key, mine, value.commentBefore);
        else if (!isSeq(value) && !isScalar(value) && value !== null) undocumented.push(key);
      });
    };
    walk(doc.contents, '', false, doc.contents?.commentBefore ?? doc.commentBefore);
    expect(undocumented).toEqual([]);
  });
});

describe('values.schema.json', () => {
  const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8'));
  const values = parseDocument(readFileSync(join(CHART, 'values.yaml'), 'utf8')).toJS();

  /** Key paths of the chart-owned objects (Kubernetes passthrough objects are opaque here). */
  function schemaKeys(node: Doc, path: string, out: string[]): string[] {
    if (node.type === 'object' && node.properties && node.additionalProperties === false) {
      for (const [key, child] of Object.entries(node.properties as Record<string, Doc>)) {
        out.push(`${path}${key}`);
        schemaKeys(child, `${path}${key}.`, out);
      }
    }
    return out;
  }
  function valueKeys(value: unknown, schemaNode: Doc, path: string, out: string[]): string[] {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return out;
    if (!(schemaNode.additionalProperties === false && schemaNode.properties)) return out;
    for (const [key, child] of Object.entries(value)) {
      out.push(`${path}${key}`);
      valueKeys(child, schemaNode.properties[key] ?? {}, `${path}${key}.`, out);
    }
    return out;
  }

  test('is strict: every chart-owned object refuses unknown keys', () => {
    const loose: string[] = [];
    const walk = (node: Doc, path: string): void => {
      if (node.type !== 'object' || !node.properties) return;
      if (node.additionalProperties !== false) loose.push(path || '(root)');
      for (const [key, child] of Object.entries(node.properties as Record<string, Doc>)) walk(child, `${path}.${key}`);
    };
    walk(schema, '');
    expect(loose).toEqual([]);
  });

  test('lists exactly the keys of values.yaml', () => {
    const inSchema = schemaKeys(schema, '', [])
      .filter((k) => k !== 'global')
      // Optional keys of Kubernetes objects and broker limits, not all set in values.yaml.
      .filter((k) => !/^(podSecurityContext|securityContext|affinity|resources|broker\.limits)\./.test(k));
    const inValues = valueKeys(values, schema, '', []).filter(
      (k) => !/^(podSecurityContext|securityContext|affinity|resources)\./.test(k),
    );
    expect(inValues.sort()).toEqual(inSchema.sort());
  });

  test('broker.limits lists the broker limit settings', () => {
    const limits = SETTINGS.filter((s) => s.group === 'limits').map((s) => s.key);
    expect(Object.keys(schema.properties.broker.properties.limits.properties).sort()).toEqual(limits.sort());
  });
});

describe('the rendered config is valid for the broker', () => {
  test.each(ciValuesFiles().map((f) => [basename(f), f]))('ci/%s', async (_name, file) => {
    const docs = await renderOk({
      valuesFiles: [file],
      apiVersions: ['monitoring.coreos.com/v1', 'cert-manager.io/v1'],
    });
    const json = get(docs, 'ConfigMap', 'flockmq').data['flockmq.json'];
    const env: Record<string, string> = {};
    for (const e of brokerContainer(docs).env as Doc[]) {
      // Secret-backed and downward-API variables get a plausible value, $(VAR) is substituted.
      env[e.name] = e.value ?? (e.name === 'FLOCKMQ_ADMIN_TOKEN' ? 'a-token-of-twenty-chars' : 'pod-0');
    }
    for (const [k, v] of Object.entries(env)) env[k] = v.replace(/\$\((\w+)\)/g, (_m, n: string) => env[n] ?? '');
    const argv = brokerContainer(docs).args.slice(1) as string[];
    const config = loadConfig({
      argv,
      env,
      readFile: (path) => {
        expect(path).toBe('/etc/flockmq/config/flockmq.json');
        return json;
      },
      hostname: () => 'unused',
    });
    expect(config.nodeId).toBe('pod-0');
    expect(config.httpPort).toBe(brokerContainer(docs).ports.find((p: Doc) => p.name === 'http').containerPort);
    expect(config.redis === '').toBe(env.FLOCKMQ_REDIS === undefined);
    // Each container port is the listener the broker opens, and the TLS files are in a mounted Secret.
    const port = (name: string): unknown =>
      brokerContainer(docs).ports.find((p: Doc) => p.name === name)?.containerPort;
    expect(config.tlsPort).toBe(port('mqtts') ?? 'off');
    expect(config.wssPort).toBe(port('wss') ?? 'off');
    const mounts = (brokerContainer(docs).volumeMounts as Doc[]).map((m) => `${m.mountPath}/`);
    for (const file of [config.tlsCert, config.tlsKey, config.tlsCa, config.adminTlsCert, config.adminTlsKey]) {
      if (file !== '') expect(mounts.some((m) => file.startsWith(m))).toBe(true);
    }
  });
});

describe('the helm test script', () => {
  test('completes a QoS 1 round trip against a real broker, and fails when there is none', async () => {
    const broker = await startTestBroker();
    const runScript = (port: number, timeout = 10): Promise<{ code: number; output: string }> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [join(CHART, 'files', 'mqtt-roundtrip.js')], {
          env: { ...process.env, MQTT_HOST: '127.0.0.1', MQTT_PORT: String(port), TIMEOUT_SECONDS: String(timeout) },
        });
        let output = '';
        child.stdout.on('data', (d) => (output += d));
        child.stderr.on('data', (d) => (output += d));
        child.on('close', (code) => resolve({ code: code ?? 1, output }));
      });
    try {
      const ok = await runScript(broker.port);
      expect(ok.output).toMatch(/OK: QoS 1 message delivered/);
      expect(ok.code).toBe(0);
    } finally {
      await broker.close();
    }
    const refused = await runScript(broker.port, 3);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/FAIL/);
  });
});

describe('the strict validator', () => {
  test('accepts the rendered chart and rejects unknown fields at any depth', async () => {
    const docs = await renderOk();
    expect(await validate(docs)).toEqual([]);
    const broken = JSON.parse(JSON.stringify(docs)) as Doc[];
    const deployment = broken.find((d) => d.kind === 'Deployment')!;
    deployment.spec.template.spec.containers[0].readinessProbe.httpGet.pathh = '/readyz';
    deployment.spec.strategy.rollingUpdate.maxUnavailabe = 0;
    broken.find((d) => d.kind === 'Service')!.spec.externalTrafficPolicyy = 'Local';
    expect((await validate(broken)).sort()).toEqual(
      [
        'Deployment/flock-flockmq: spec.strategy.rollingUpdate.maxUnavailabe: unknown field',
        'Deployment/flock-flockmq: spec.template.spec.containers[0].readinessProbe.httpGet.pathh: unknown field',
        expect.stringMatching(/^Service\/flock-flockmq(-metrics)?: spec\.externalTrafficPolicyy: unknown field$/),
      ].sort(),
    );
  });

  test('still reports what the model itself rejects (types, required fields)', async () => {
    const docs = await renderOk();
    const broken = JSON.parse(JSON.stringify(docs)) as Doc[];
    broken.find((d) => d.kind === 'Deployment')!.spec.replicas = 'three';
    delete broken.find((d) => d.kind === 'Deployment')!.spec.selector;
    const problems = await validate(broken);
    expect(problems.some((p) => p.includes('replicas'))).toBe(true);
    expect(problems.some((p) => p.includes('selector'))).toBe(true);
  });

  test('knows the optional kinds', async () => {
    const docs = await renderOk({
      valuesFiles: [
        join(CHART, 'ci', 'monitoring-values.yaml'),
        join(CHART, 'ci', 'cluster-redis-cluster-tls-values.yaml'),
      ],
      apiVersions: ['monitoring.coreos.com/v1', 'cert-manager.io/v1'],
    });
    const broken = JSON.parse(JSON.stringify(docs)) as Doc[];
    broken.find((d) => d.kind === 'ServiceMonitor')!.spec.endpoints[0].intervall = '5s';
    broken.find((d) => d.kind === 'Certificate')!.spec.dnsName = ['x'];
    const problems = await validate(broken);
    expect(problems.sort()).toEqual([
      expect.stringMatching(/^Certificate\/.*spec\.dnsName: unknown field$/),
      expect.stringMatching(/^ServiceMonitor\/.*spec\.endpoints\[0\]\.intervall: unknown field$/),
    ]);
  });
});
