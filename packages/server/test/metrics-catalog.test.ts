import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRICS } from '../src/metrics/catalog';
import { updateMetricsDoc } from '../src/metrics/catalog-doc';

const specs = Object.values(METRICS);

describe('metrics catalog', () => {
  test('metrics - names follow flockmq_<subsystem>_<noun>_<unit>[_total] and are unique', () => {
    const names = specs.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const spec of specs) {
      expect(spec.name).toMatch(/^flockmq_[a-z]+(_[a-z0-9]+)+$/);
      // Counters end in _total; nothing else does (Prometheus naming).
      expect(spec.name.endsWith('_total')).toBe(spec.type === 'counter');
      if (spec.type === 'histogram') expect(spec.name).toMatch(/_seconds$/);
    }
  });

  test('metrics - no label can carry a client id or a topic', () => {
    for (const spec of specs) {
      for (const label of spec.labels) expect(label).not.toMatch(/client|topic|filter|user/);
    }
  });

  test('metrics - docs/metrics.md shows the current catalog (node scripts/metrics-table.mjs regenerates it)', () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'metrics.md'), 'utf8');
    expect(updateMetricsDoc(doc)).toBe(doc);
  });
});
