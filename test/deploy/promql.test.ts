import { METRICS, RUNTIME_METRICS, type MetricSpec } from '../../packages/server/src/metrics/catalog';
import { dashboardExprs, knownSeries, loadDashboard, loadRules, ruleExprs } from './deploy-files';
import { catalogSeries, checkExpr, parsePromQL, recordingRuleLabels } from './promql';

describe('the PromQL checker', () => {
  const series = catalogSeries();

  it('finds metric selectors and skips functions, keywords, labels, strings, numbers and ranges', () => {
    const parsed = parsePromQL(
      'histogram_quantile(0.99, sum by (le, op) (rate(flockmq_redis_operation_duration_seconds_bucket' +
        '{job=~"$job", op!="load"}[$__rate_interval]))) > 0.05 and on (job, instance) flockmq_redis_up offset 5m',
    );
    expect(parsed.selectors.map((s) => s.name)).toEqual([
      'flockmq_redis_operation_duration_seconds_bucket',
      'flockmq_redis_up',
    ]);
    expect(parsed.selectors[0]!.labels).toEqual(['job', 'op']);
    expect(parsed.functions).toEqual(['histogram_quantile', 'sum', 'rate']);
    expect(parsed.ranges).toEqual(['$__rate_interval']);
    expect(parsed.groupings.map((g) => [g.clause, g.labels, g.selectors.map((s) => s.name)])).toEqual([
      ['by', ['le', 'op'], ['flockmq_redis_operation_duration_seconds_bucket']],
      ['on', ['job', 'instance'], ['flockmq_redis_operation_duration_seconds_bucket', 'flockmq_redis_up']],
    ]);
  });

  it('scopes a postfix grouping to its aggregation', () => {
    const parsed = parsePromQL('sum(rate(flockmq_messages_dropped_total[5m])) by (reason) / sum(flockmq_redis_up)');
    expect(parsed.groupings).toHaveLength(1);
    expect(parsed.groupings[0]!.selectors.map((s) => s.name)).toEqual(['flockmq_messages_dropped_total']);
  });

  it('accepts catalog metrics with their labels, histogram series and runtime metrics', () => {
    expect(checkExpr('sum by (reason) (rate(flockmq_messages_dropped_total{qos="1"}[5m]))', series)).toEqual([]);
    expect(checkExpr('histogram_quantile(0.9, rate(flockmq_delivery_latency_seconds_bucket[5m]))', series)).toEqual([]);
    expect(checkExpr('rate(flockmq_sessions_takeover_duration_seconds_count{result="remote"}[5m])', series)).toEqual(
      [],
    );
    expect(checkExpr('nodejs_eventloop_lag_p99_seconds > 0.1 and on (pod, namespace) up', series)).toEqual([]);
    expect(checkExpr('sum by (kind) (rate(nodejs_gc_duration_seconds_sum[5m]))', series)).toEqual([]);
  });

  it('reports unknown metrics, suffixes, labels and functions', () => {
    expect(checkExpr('rate(flockmq_messages_publish_total[5m])', series)).toEqual([
      expect.stringContaining('unknown metric flockmq_messages_publish_total'),
    ]);
    // Counters have no _bucket; histograms no bare name.
    expect(checkExpr('flockmq_messages_published_total_bucket', series)).toHaveLength(1);
    expect(checkExpr('flockmq_delivery_latency_seconds', series)).toHaveLength(1);
    expect(checkExpr('flockmq_connections_current{listner="tcp"}', series)).toEqual([
      expect.stringContaining('has no label listner'),
    ]);
    expect(checkExpr('sum by (store) (rate(flockmq_nats_operation_errors_total[5m]))', series)).toEqual([
      expect.stringContaining('by (store)'),
    ]);
    // le only exists on _bucket series.
    expect(checkExpr('sum by (le) (rate(flockmq_delivery_latency_seconds_count[5m]))', series)).toHaveLength(1);
    expect(checkExpr('rates(flockmq_redis_up[5m])', series)).toEqual([expect.stringContaining('unknown function')]);
    expect(checkExpr('{__name__=~"flockmq_.*"}', series)).toEqual([expect.stringContaining('without a metric name')]);
  });

  it('reads the labels of a recording rule from its level', () => {
    expect([...recordingRuleLabels('instance_reason:flockmq_messages_dropped:rate5m')]).toEqual(['instance', 'reason']);
    expect(() => recordingRuleLabels('flockmq_messages_dropped_rate5m')).toThrow(/level:metric:operations/);
  });

  it('fails the deploy files when a metric they use is renamed in the catalog', () => {
    const rules = loadRules();
    const exprs = [...dashboardExprs(loadDashboard()), ...ruleExprs(rules)];
    for (const renamed of ['flockmq_redis_up', 'flockmq_delivery_latency_seconds', 'flockmq_connections_current']) {
      const metrics = Object.values(METRICS as Record<string, MetricSpec>).map((m) =>
        m.name === renamed ? { ...m, name: `${renamed}_v2` } : m,
      );
      const series = knownSeries(rules, catalogSeries(metrics, RUNTIME_METRICS));
      const problems = exprs.flatMap(({ expr }) => checkExpr(expr, series));
      expect(problems.length).toBeGreaterThan(0);
      expect(problems.every((p) => p.includes(renamed))).toBe(true);
    }
  });

  it('fails the deploy files when a label they use is renamed in the catalog', () => {
    const rules = loadRules();
    const exprs = [...dashboardExprs(loadDashboard()), ...ruleExprs(rules)];
    const metrics = Object.values(METRICS as Record<string, MetricSpec>).map((m) =>
      m.name === 'flockmq_messages_dropped_total' ? { ...m, labels: ['cause', 'qos'] } : m,
    );
    const series = knownSeries(rules, catalogSeries(metrics, RUNTIME_METRICS));
    const problems = exprs.flatMap(({ expr }) => checkExpr(expr, series));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.includes('reason'))).toBe(true);
  });
});
