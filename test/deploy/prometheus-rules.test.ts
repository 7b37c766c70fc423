import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import {
  RULES_PATH,
  RULES_TEST_PATH,
  allRules,
  dashboardExprs,
  knownSeries,
  loadDashboard,
  loadRules,
  ruleExprs,
} from './deploy-files';
import { TARGET_LABELS, catalogSeries, checkExpr, parsePromQL, recordingRuleLabels } from './promql';

const rules = loadRules();
const alerts = allRules(rules).filter((r) => r.alert !== undefined);
const records = allRules(rules).filter((r) => r.record !== undefined);

const REQUIRED_ALERTS = [
  'FlockMQNodeNotReady',
  'FlockMQNodeDown',
  'FlockMQMessagesDropped',
  'FlockMQQueueFull',
  'FlockMQRedisErrors',
  'FlockMQRedisDown',
  'FlockMQNatsErrors',
  'FlockMQNatsDown',
  'FlockMQDeliveryLatencyHigh',
  'FlockMQRedisLatencyHigh',
  'FlockMQEventLoopLagHigh',
  'FlockMQConnectionsImbalanced',
  'FlockMQTakeoverStorm',
  'FlockMQForwardFailures',
];

function findPromtool(): string {
  const candidates = [
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'promtool')),
    '/usr/bin/promtool',
  ];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error(
    'promtool not found on PATH or at /usr/bin/promtool: install it with scripts/install-system-deps.sh ' +
      '(Debian package "prometheus")',
  );
}

function promtool(...args: string[]): string {
  const bin = findPromtool();
  try {
    return execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

describe('deploy/prometheus/flockmq-alerts.yaml', () => {
  it('passes promtool check rules', () => {
    expect(promtool('check', 'rules', RULES_PATH)).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('passes its promtool unit tests (flockmq-alerts.test.yaml)', () => {
    expect(promtool('test', 'rules', RULES_TEST_PATH)).toContain('SUCCESS');
  });

  it('defines the expected alerts, each once', () => {
    const names = alerts.map((a) => a.alert);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(REQUIRED_ALERTS));
  });

  it.each(alerts.map((a) => [a.alert!, a] as const))('%s has for, severity, summary and a runbook hint', (_, a) => {
    expect(a.for).toMatch(/^\d+[smh]$/);
    expect(['warning', 'critical']).toContain(a.labels?.severity);
    expect(a.annotations?.summary).toBeTruthy();
    expect(a.annotations?.description).toMatch(/Runbook:/);
    // absent() yields no labels: there is no instance to name.
    if (!a.expr.trim().startsWith('absent(')) {
      expect(a.annotations?.description).toContain('{{ $labels.instance }}');
      expect(a.annotations?.summary).toContain('{{ $labels.instance }}');
    }
  });

  it('keeps recording rules in their own group, named level:metric:operations', () => {
    for (const group of rules.groups) {
      const kinds = new Set(group.rules.map((r) => (r.record === undefined ? 'alert' : 'record')));
      expect(kinds.size).toBe(1);
    }
    for (const r of records) {
      const [, metric, operations] = r.record!.split(':');
      expect(metric).toMatch(/^flockmq_[a-z_]+$/);
      expect(metric).not.toMatch(/_total$/);
      expect(operations).toMatch(/^[a-z0-9_]+$/);
      // The labels its level promises are on every metric it reads (or are target labels).
      const selectors = parsePromQL(r.expr).selectors;
      const series = catalogSeries();
      for (const label of recordingRuleLabels(r.record!)) {
        if (TARGET_LABELS.includes(label)) continue;
        for (const s of selectors)
          expect({ rule: r.record, label, has: series.get(s.name)?.has(label) }).toEqual({
            rule: r.record,
            label,
            has: true,
          });
      }
    }
  });

  it('uses every recording rule in an alert or the dashboard', () => {
    const used = new Set(
      [...ruleExprs(rules), ...dashboardExprs(loadDashboard())].flatMap(({ expr }) =>
        parsePromQL(expr).selectors.map((s) => s.name),
      ),
    );
    expect(records.map((r) => r.record).filter((name) => !used.has(name!))).toEqual([]);
  });

  it('only uses metrics and labels of the catalog (or recording rules)', () => {
    const series = knownSeries(rules);
    const problems = ruleExprs(rules).flatMap(({ where, expr }) =>
      checkExpr(expr, series).map((p) => `${where}: ${p}`),
    );
    expect(problems).toEqual([]);
  });
});
