import { allPanels, dashboardExprs, knownSeries, loadDashboard, loadRules, type Panel } from './deploy-files';
import { checkExpr, parsePromQL } from './promql';

const dashboard = loadDashboard();
const panels = allPanels(dashboard);
const dataPanels = panels.filter((p) => p.type !== 'row');
const exprs = dashboardExprs(dashboard);
const variables = dashboard.templating.list;
const DATASOURCE_UID = '${datasource}';

const queryOf = (v: (typeof variables)[number]) => (typeof v.query === 'string' ? v.query : v.query.query);

describe('deploy/grafana/flockmq-dashboard.json', () => {
  it('identifies itself', () => {
    expect(dashboard.uid).toBe('flockmq-overview');
    expect(dashboard.title).toBe('FlockMQ');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
  });

  it('has a Prometheus data source variable and job / instance variables from flockmq_node_info', () => {
    const byName = new Map(variables.map((v) => [v.name, v]));
    expect(byName.get('datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const name of ['job', 'instance']) {
      const v = byName.get(name)!;
      expect(v).toMatchObject({ type: 'query', datasource: { type: 'prometheus', uid: DATASOURCE_UID } });
      expect(queryOf(v)).toMatch(new RegExp(`^label_values\\(flockmq_node_info.*, ${name}\\)$`));
    }
  });

  it('checks the variable queries against the catalog', () => {
    const series = knownSeries(loadRules());
    for (const v of variables.filter((x) => x.type === 'query')) {
      const [, selector, label] = /^label_values\((.+), *([a-z_]+)\)$/.exec(queryOf(v))!;
      expect(checkExpr(selector!, series)).toEqual([]);
      const name = parsePromQL(selector!).selectors[0]!.name;
      expect(['instance', 'job', ...series.get(name)!]).toContain(label);
    }
  });

  it('gives every panel a unique id and a title', () => {
    const ids = panels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(panels.filter((p) => !p.title)).toEqual([]);
  });

  it('queries the data source variable from every panel and target, and every target has an expr', () => {
    const wrong: string[] = [];
    for (const p of dataPanels) {
      if (p.datasource?.uid !== DATASOURCE_UID) wrong.push(`panel ${p.id}: datasource ${JSON.stringify(p.datasource)}`);
      if (!p.targets?.length) wrong.push(`panel ${p.id}: no targets`);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      if (new Set(refIds).size !== refIds.length) wrong.push(`panel ${p.id}: duplicate refIds`);
      for (const t of p.targets ?? []) {
        if (t.datasource?.uid !== DATASOURCE_UID) wrong.push(`panel ${p.id} ${t.refId}: target datasource`);
        if (!t.expr?.trim()) wrong.push(`panel ${p.id} ${t.refId}: no expr`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('lays panels out on the 24-column grid without overlaps', () => {
    const rect = (p: Panel) => p.gridPos;
    for (const p of panels) {
      const { x, y, w, h } = rect(p);
      expect([x, y, w, h].every(Number.isInteger)).toBe(true);
      expect(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= 24).toBe(true);
    }
    const overlaps: string[] = [];
    for (let i = 0; i < panels.length; i++) {
      for (let j = i + 1; j < panels.length; j++) {
        const a = rect(panels[i]!);
        const b = rect(panels[j]!);
        if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) {
          overlaps.push(`${panels[i]!.id} and ${panels[j]!.id}`);
        }
      }
    }
    expect(overlaps).toEqual([]);
  });

  it('only uses metrics and labels of the catalog (or recording rules)', () => {
    const series = knownSeries(loadRules());
    const problems = exprs.flatMap(({ where, expr }) => checkExpr(expr, series).map((p) => `${where}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('filters every selector by the job variable and rates over $__rate_interval', () => {
    const wrong: string[] = [];
    for (const { where, expr } of exprs) {
      const parsed = parsePromQL(expr);
      for (const s of parsed.selectors) {
        if (!s.labels.includes('job')) wrong.push(`${where}: ${s.name} not filtered by job`);
        if (!s.name.includes(':') && !s.labels.includes('instance')) wrong.push(`${where}: ${s.name} not by instance`);
      }
      if (parsed.ranges.some((r) => r !== '$__rate_interval'))
        wrong.push(`${where}: range other than $__rate_interval`);
      if (!expr.includes('$job')) wrong.push(`${where}: does not use $job`);
    }
    expect(wrong).toEqual([]);
  });

  it('covers connections, messages, latency, sessions, cluster, Redis, NATS, readiness and the runtime', () => {
    const used = new Set(exprs.flatMap(({ expr }) => parsePromQL(expr).selectors.map((s) => s.name)));
    const expected = [
      'flockmq_node_ready',
      'flockmq_node_draining',
      'flockmq_connections_current',
      'flockmq_connections_connack_total',
      'flockmq_messages_published_total',
      'flockmq_messages_delivered_total',
      'flockmq_messages_dropped_total',
      'flockmq_messages_expired_total',
      'flockmq_delivery_latency_seconds_bucket',
      'flockmq_sessions_takeovers_total',
      'flockmq_sessions_takeover_duration_seconds_bucket',
      'flockmq_sessions_live',
      'flockmq_sessions_offline',
      'flockmq_sessions_queued_messages',
      'flockmq_sessions_inflight_messages',
      'flockmq_subscriptions_current',
      'flockmq_routes_remote_entries',
      'flockmq_cluster_forwarded_messages_total',
      'flockmq_cluster_forwarded_bytes_total',
      'flockmq_cluster_forward_failures_total',
      'flockmq_redis_operation_duration_seconds_bucket',
      'flockmq_redis_operation_errors_total',
      'flockmq_nats_operation_duration_seconds_bucket',
      'flockmq_nats_operation_errors_total',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes',
      'process_resident_memory_bytes',
      'nodejs_gc_duration_seconds_sum',
    ];
    expect(expected.filter((m) => !used.has(m))).toEqual([]);
  });
});
