/**
 * Just enough PromQL to check the dashboard and the rules against the metrics catalog: a tokenizer
 * and a walk over its tokens that finds every metric selector (with the label names of its
 * matchers), every grouping clause (`by`, `without`, `on`, …, with the selectors it applies to) and
 * every function called. Strings, numbers, durations and range selectors (`[$__rate_interval]`) are
 * skipped, so label values and Grafana variables never look like metric names.
 */
// A relative path: Jest maps `@flockmq/server/metrics/catalog` too, but tsc's `@flockmq/*` mapping only
// reaches package entry points.
import { METRICS, RUNTIME_METRICS, type MetricSpec } from '../../packages/server/src/metrics/catalog';

type TokenKind = 'ident' | 'string' | 'number' | 'range' | 'punct' | 'op';

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
}

export interface Selector {
  readonly name: string;
  /** Label names of the selector's matchers. */
  readonly labels: readonly string[];
  /** Position (token index) of the metric name. */
  readonly at: number;
}

export interface Grouping {
  readonly clause: 'by' | 'without' | 'on' | 'ignoring' | 'group_left' | 'group_right';
  readonly labels: readonly string[];
  /** The selectors the clause groups: the aggregation's argument, or the whole expression for vector matching. */
  readonly selectors: readonly Selector[];
}

export interface ParsedExpr {
  readonly selectors: readonly Selector[];
  readonly groupings: readonly Grouping[];
  readonly functions: readonly string[];
  /** The text inside every `[...]`: ranges and subqueries. */
  readonly ranges: readonly string[];
}

const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);

const FUNCTIONS = new Set([
  'abs',
  'absent',
  'absent_over_time',
  'avg_over_time',
  'ceil',
  'changes',
  'clamp',
  'clamp_max',
  'clamp_min',
  'count_over_time',
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'days_in_month',
  'delta',
  'deriv',
  'exp',
  'floor',
  'histogram_quantile',
  'holt_winters',
  'hour',
  'idelta',
  'increase',
  'irate',
  'label_join',
  'label_replace',
  'last_over_time',
  'ln',
  'log10',
  'log2',
  'max_over_time',
  'min_over_time',
  'minute',
  'month',
  'predict_linear',
  'present_over_time',
  'quantile_over_time',
  'rate',
  'resets',
  'round',
  'scalar',
  'sgn',
  'sort',
  'sort_desc',
  'sqrt',
  'stddev_over_time',
  'stdvar_over_time',
  'sum_over_time',
  'time',
  'timestamp',
  'vector',
  'year',
]);

/** Binary operators and modifiers spelled as words. */
const WORD_OPERATORS = new Set(['and', 'or', 'unless', 'atan2', 'bool']);
const NUMBER_WORDS = new Set(['inf', 'nan']);
const GROUPING_CLAUSES = new Set<Grouping['clause']>(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

const IDENT = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const NUMBER = /^(?:0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/;
const DURATION = /^(?:\d+(?:ms|[smhdwy]))+/;
const OPERATOR = /^(?:==|!=|<=|>=|=~|!~|[-+*/%^<>=@])/;

export function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const rest = expr.slice(i);
    const c = expr[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      const end = expr.indexOf('\n', i);
      i = end === -1 ? expr.length : end;
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < expr.length && expr[j] !== c) j += expr[j] === '\\' && c !== '`' ? 2 : 1;
      if (j >= expr.length) throw new Error(`unterminated string in: ${expr}`);
      tokens.push({ kind: 'string', text: expr.slice(i + 1, j) });
      i = j + 1;
    } else if (c === '[') {
      const end = expr.indexOf(']', i);
      if (end === -1) throw new Error(`unterminated [ in: ${expr}`);
      tokens.push({ kind: 'range', text: expr.slice(i + 1, end).trim() });
      i = end + 1;
    } else if ('(){},'.includes(c)) {
      tokens.push({ kind: 'punct', text: c });
      i++;
    } else if (DURATION.test(rest) && tokens.at(-1)?.text === 'offset') {
      const text = DURATION.exec(rest)![0];
      tokens.push({ kind: 'number', text });
      i += text.length;
    } else if (NUMBER.test(rest)) {
      const text = NUMBER.exec(rest)![0];
      tokens.push({ kind: 'number', text });
      i += text.length;
    } else if (IDENT.test(rest)) {
      const text = IDENT.exec(rest)![0];
      tokens.push({ kind: NUMBER_WORDS.has(text.toLowerCase()) ? 'number' : 'ident', text });
      i += text.length;
    } else if (OPERATOR.test(rest)) {
      const text = OPERATOR.exec(rest)![0];
      tokens.push({ kind: 'op', text });
      i += text.length;
    } else {
      throw new Error(`unexpected ${JSON.stringify(c)} at ${i} in: ${expr}`);
    }
  }
  return tokens;
}

/** Index of the parenthesis matching the one at `open` (searching forward for '(' or backward for ')'). */
function matching(tokens: readonly Token[], open: number): number {
  const forward = tokens[open]!.text === '(';
  let depth = 0;
  for (let i = open; forward ? i < tokens.length : i >= 0; i += forward ? 1 : -1) {
    const t = tokens[i]!;
    if (t.kind !== 'punct') continue;
    if (t.text === '(') depth += forward ? 1 : -1;
    if (t.text === ')') depth += forward ? -1 : 1;
    if (depth === 0) return i;
  }
  throw new Error('unbalanced parentheses');
}

export function parsePromQL(expr: string): ParsedExpr {
  const tokens = tokenize(expr);
  const selectors: Selector[] = [];
  const functions: string[] = [];
  const ranges = tokens.filter((t) => t.kind === 'range').map((t) => t.text);
  // Grouping clauses with the token span (inclusive) of the selectors they apply to.
  const clauses: { clause: Grouping['clause']; labels: string[]; from: number; to: number }[] = [];

  const labelList = (open: number): { labels: string[]; close: number } => {
    if (tokens[open]?.text !== '(') throw new Error(`expected ( at token ${open} in: ${expr}`);
    const labels: string[] = [];
    let i = open + 1;
    for (; tokens[i] && tokens[i]!.text !== ')'; i++) {
      const t = tokens[i]!;
      if (t.kind === 'ident') labels.push(t.text);
      else if (t.text !== ',') throw new Error(`unexpected ${t.text} in label list of: ${expr}`);
    }
    return { labels, close: i };
  };

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const next = tokens[i + 1];
    if (t.kind === 'punct' && t.text === '{') {
      throw new Error(`selector without a metric name in: ${expr}`);
    }
    if (t.kind !== 'ident') continue;
    const word = t.text;

    if (GROUPING_CLAUSES.has(word as Grouping['clause'])) {
      const clause = word as Grouping['clause'];
      if (next?.text !== '(') {
        if (clause === 'group_left' || clause === 'group_right') continue; // `group_left` without labels
        throw new Error(`expected ( after ${word} in: ${expr}`);
      }
      const { labels, close } = labelList(i + 1);
      let from = 0;
      let to = tokens.length - 1;
      if (clause === 'by' || clause === 'without') {
        if (tokens[i - 1]?.kind === 'ident' && AGGREGATIONS.has(tokens[i - 1]!.text)) {
          // Prefix form: sum by (labels) (argument)
          from = close + 1;
          to = matching(tokens, from);
        } else if (tokens[i - 1]?.text === ')') {
          // Postfix form: sum (argument) by (labels)
          to = i - 1;
          from = matching(tokens, to);
        } else {
          throw new Error(`${word} outside an aggregation in: ${expr}`);
        }
      }
      clauses.push({ clause, labels, from, to });
      i = close;
    } else if (AGGREGATIONS.has(word) && (next?.text === '(' || next?.text === 'by' || next?.text === 'without')) {
      functions.push(word);
    } else if (next?.text === '(') {
      if (!FUNCTIONS.has(word)) throw new Error(`unknown function ${word} in: ${expr}`);
      functions.push(word);
    } else if (WORD_OPERATORS.has(word) || word === 'offset') {
      continue;
    } else {
      const labels: string[] = [];
      if (next?.text === '{') {
        let j = i + 2;
        for (; tokens[j] && tokens[j]!.text !== '}'; j++) {
          const m = tokens[j]!;
          if (m.kind === 'ident' && tokens[j + 1]?.kind === 'op') labels.push(m.text);
          else if (m.kind !== 'string' && m.kind !== 'op' && m.text !== ',') {
            throw new Error(`unexpected ${m.text} in the matchers of ${word} in: ${expr}`);
          }
        }
        selectors.push({ name: word, labels, at: i });
        i = j;
      } else {
        selectors.push({ name: word, labels, at: i });
      }
    }
  }

  const groupings = clauses.map(({ clause, labels, from, to }) => ({
    clause,
    labels,
    selectors: selectors.filter((s) => s.at >= from && s.at <= to),
  }));
  return { selectors, groupings, functions, ranges };
}

/** Labels every target gets from Prometheus (and from the usual Kubernetes relabelling). */
export const TARGET_LABELS = ['instance', 'job', 'pod', 'namespace'];

/** What the catalog says about prom-client's runtime metrics beyond their names. */
const RUNTIME_DETAILS: Record<string, { labels?: string[]; histogram?: boolean; siblings?: string[] }> = {
  nodejs_gc_duration_seconds: { labels: ['kind'], histogram: true },
  // prom-client exports the lag's statistics as separate gauges: nodejs_eventloop_lag_p99_seconds, …
  nodejs_eventloop_lag_seconds: {
    siblings: ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'].map((s) => `nodejs_eventloop_lag_${s}_seconds`),
  },
};

/**
 * Series names a FlockMQ target exports (plus Prometheus's `up`), each with its own label names.
 * Built from the catalog; the parameters let a test check what a changed catalog would do.
 */
export function catalogSeries(
  metrics: readonly MetricSpec[] = Object.values(METRICS),
  runtime: readonly { name: string }[] = RUNTIME_METRICS,
): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>([['up', new Set()]]);
  for (const spec of metrics) {
    if (spec.type === 'histogram') {
      series.set(`${spec.name}_bucket`, new Set([...spec.labels, 'le']));
      series.set(`${spec.name}_sum`, new Set(spec.labels));
      series.set(`${spec.name}_count`, new Set(spec.labels));
    } else {
      series.set(spec.name, new Set(spec.labels));
    }
  }
  for (const { name } of runtime) {
    const details = RUNTIME_DETAILS[name] ?? {};
    const labels = details.labels ?? [];
    if (details.histogram) {
      series.set(`${name}_bucket`, new Set([...labels, 'le']));
      series.set(`${name}_sum`, new Set(labels));
      series.set(`${name}_count`, new Set(labels));
    } else {
      series.set(name, new Set(labels));
    }
    for (const sibling of details.siblings ?? []) series.set(sibling, new Set(labels));
  }
  return series;
}

/**
 * Labels of a recording rule's result, read from its name (`level:metric:operations`): the level
 * lists them, `_`-separated (`instance_reason:` → instance, reason).
 */
export function recordingRuleLabels(record: string): Set<string> {
  const parts = record.split(':');
  if (parts.length !== 3 || parts.some((p) => p.length === 0)) {
    throw new Error(`recording rule ${record} is not named level:metric:operations`);
  }
  return new Set(parts[0]!.split('_'));
}

/** Everything wrong with one expression against the known series (name → own labels); empty when fine. */
export function checkExpr(expr: string, series: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const problems: string[] = [];
  let parsed: ParsedExpr;
  try {
    parsed = parsePromQL(expr);
  } catch (e) {
    return [(e as Error).message];
  }
  const has = (metric: string, label: string) => TARGET_LABELS.includes(label) || series.get(metric)!.has(label);
  const known = parsed.selectors.filter((s) => series.has(s.name));
  for (const s of parsed.selectors) {
    if (!series.has(s.name)) problems.push(`unknown metric ${s.name} in: ${expr}`);
  }
  for (const s of known) {
    for (const label of s.labels) {
      if (!has(s.name, label)) problems.push(`${s.name} has no label ${label} (matcher) in: ${expr}`);
    }
  }
  for (const g of parsed.groupings) {
    const scope = g.selectors.filter((s) => series.has(s.name));
    if (g.selectors.length === 0) problems.push(`${g.clause} (${g.labels.join(', ')}) groups no metric in: ${expr}`);
    for (const label of g.labels) {
      // Aggregation and matching labels must be on every series they group; group_left/right
      // labels are copied from the other side, so one of them is enough.
      const ok =
        g.clause === 'group_left' || g.clause === 'group_right'
          ? scope.some((s) => has(s.name, label))
          : scope.every((s) => has(s.name, label));
      if (!ok)
        problems.push(`${g.clause} (${label}): not a label of ${scope.map((s) => s.name).join(', ')} in: ${expr}`);
    }
  }
  return problems;
}
