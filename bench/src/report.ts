/** Turns run records into the Markdown tables and the SVG chart of bench/results/. */
import type { QoS } from '@flockmq/protocol';
import type { PeerName } from './peers.ts';
import type { Measurement, ScenarioName, Settings } from './settings.ts';

export interface RunRecord extends Measurement {
  round: number;
  scenario: ScenarioName;
  qos: QoS;
  /** e.g. 'fan-in QoS 0', 'latency'. */
  key: string;
  peer: PeerName;
  label: string;
  pinned: boolean;
  protocol: 4 | 5;
  at: string;
  error?: string;
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** 142000 → 142k, 1240000 → 1.24M. */
export function compact(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(value >= 1e7 ? 1 : 2)}M`;
  if (value >= 1e4) return `${Math.round(value / 1e3)}k`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return String(Math.round(value * 100) / 100);
}

/** "median (min–max)" over rounds, or the single value. */
export function spread(values: readonly number[], format: (v: number) => string = compact): string {
  if (values.length === 0) return '–';
  if (values.length === 1) return format(values[0]!);
  return `${format(median(values))} (${format(Math.min(...values))}–${format(Math.max(...values))})`;
}

const column = (record: RunRecord): string => `${record.peer}${record.pinned ? '' : ':unpinned'}`;

/** Ratio columns of the throughput table: [measured, baseline] columns. */
const RATIOS: [string, string][] = [
  ['flockmq', 'mosquitto'],
  ['flockmq', 'aedes'],
  ['flockmq-2', 'aedes-redis'],
  ['flockmq-2:unpinned', 'aedes-redis:unpinned'],
];

const SHORT: Record<string, string> = {
  flockmq: 'FlockMQ',
  'flockmq-2': 'FlockMQ ×2',
  'flockmq-3': 'FlockMQ ×3',
  mosquitto: 'Mosquitto',
  nats: 'NATS',
  aedes: 'Aedes',
  'aedes-redis': 'Aedes ×2',
};

const shortName = (c: string): string =>
  `${SHORT[c.replace(':unpinned', '')] ?? c}${c.endsWith(':unpinned') ? ' (unpinned)' : ''}`;

/**
 * Ratios against Mosquitto computed per round (each FlockMQ run against the Mosquitto run of the
 * same round and case), then their median.
 */
export function ratiosAgainst(
  records: readonly RunRecord[],
  key: string,
  peerColumn: string,
  baseline = 'mosquitto',
  value: (r: RunRecord) => number | undefined = (r) => r.throughput,
): number[] {
  const ratios: number[] = [];
  for (const record of records) {
    if (record.key !== key || column(record) !== peerColumn) continue;
    const base = records.find((r) => r.key === key && column(r) === baseline && r.round === record.round);
    const a = value(record);
    const b = base && value(base);
    if (a !== undefined && b) ratios.push(a / b);
  }
  return ratios;
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

function cell(
  records: readonly RunRecord[],
  key: string,
  peerColumn: string,
  value: (r: RunRecord) => number | undefined,
  format?: (v: number) => string,
): string {
  const runs = records.filter((r) => r.key === key && column(r) === peerColumn);
  if (runs.length === 0) return '–';
  const failed = runs.find((r) => r.error || r.unsupported);
  const values = runs.map(value).filter((v): v is number => v !== undefined);
  // Which cells are n/a is summed up under the tables.
  if (values.length === 0) return failed?.unsupported ? 'n/a' : failed?.error ? 'error' : '–';
  return spread(values, format);
}

export function report(
  records: readonly RunRecord[],
  context: { plan: string; rounds: number; settings: Settings },
): { markdown: string; svg: string } {
  const columns = [...new Set(records.map(column))];
  const labels = new Map(records.map((r) => [column(r), `${r.label}${r.pinned ? '' : ' (unpinned)'}`]));
  const keys = [...new Set(records.map((r) => r.key))];
  const throughputKeys = keys.filter((k) => / QoS \d$/.test(k));
  /** The columns with a run of this scenario. */
  const ran = (key: string): string[] => columns.filter((c) => records.some((r) => r.key === key && column(r) === c));
  // The comparisons the targets are stated in, where both sides ran.
  const ratios = RATIOS.filter(([a, b]) => columns.includes(a) && columns.includes(b));
  const s = context.settings;
  const out: string[] = [];
  out.push(
    `Plan \`${context.plan}\`, ${context.rounds} round(s), MQTT ${s.protocol === 5 ? '5.0' : '3.1.1'}, ${s.payloadBytes}-byte payloads, ` +
      `${s.warmupMs / 1000} s warm-up + ${s.durationMs / 1000} s measured per run; median (min–max) over rounds.`,
  );
  if (throughputKeys.length > 0) {
    out.push('', '### Throughput (messages delivered per second)', '');
    const header = ['scenario', ...columns.map((c) => labels.get(c)!)];
    header.push(...ratios.map(([a, b]) => `${shortName(a)} ÷ ${shortName(b)}`));
    out.push(
      table(
        header,
        throughputKeys.map((key) => [
          key,
          ...columns.map((c) => cell(records, key, c, (r) => r.throughput)),
          ...ratios.map(([a, b]) => spread(ratiosAgainst(records, key, a, b), (v) => `${v.toFixed(2)}×`)),
        ]),
      ),
    );
    out.push('', '### Broker CPU per delivered message (µs, all of its processes) and generator load', '');
    out.push(
      table(
        ['scenario', ...columns.map((c) => labels.get(c)!), 'generator cores (max)'],
        throughputKeys.map((key) => [
          key,
          ...columns.map((c) =>
            cell(
              records,
              key,
              c,
              (r) => r.cpuMicrosPerMessage,
              (v) => v.toFixed(2),
            ),
          ),
          Math.max(0, ...records.filter((r) => r.key === key).map((r) => r.generatorCores)).toFixed(2),
        ]),
      ),
    );
  }
  if (keys.includes('latency')) {
    out.push('', `### Latency at ${s.latencyRate} msg/s, QoS 1, open loop (ms)`, '');
    out.push(
      table(
        ['peer', 'p50', 'p90', 'p99', 'p99.9', 'max'],
        ran('latency').map((c) => [
          labels.get(c)!,
          ...(['p50', 'p90', 'p99', 'p999', 'max'] as const).map((p) =>
            cell(
              records,
              'latency',
              c,
              (r) => r.latency?.[p],
              (v) => v.toFixed(2),
            ),
          ),
        ]),
      ),
    );
  }
  if (keys.includes('connections')) {
    out.push('', '### Idle connections', '');
    out.push(
      table(
        [
          'peer',
          'connections',
          'setup per second',
          'broker RSS per connection',
          'per subscription',
          'Redis commands per connect / subscribe',
          'Redis bytes per connection / subscription',
          'failed',
        ],
        ran('connections').map((c) => {
          const of = (value: (r: RunRecord) => number | undefined, format?: (v: number) => string): string =>
            cell(records, 'connections', c, value, format);
          const kb = (v: number): string => `${(v / 1024).toFixed(2)} KB`;
          const bytes = (v: number): string => `${Math.round(v)} B`;
          const redis = c.includes('redis') || /flockmq-\d/.test(c);
          return [
            labels.get(c)!,
            of((r) => r.connections?.count),
            of((r) => r.connections?.setupPerSecond),
            of((r) => r.connections?.rssBytesPerConnection, kb),
            of((r) => r.connections?.rssBytesPerSubscription, bytes),
            redis
              ? `${of((r) => r.connections?.redisCommandsPerConnect)} / ${of((r) => r.connections?.redisCommandsPerSubscribe)}`
              : '–',
            redis
              ? `${of((r) => r.connections?.redisBytesPerConnection, bytes)} / ${of((r) => r.connections?.redisBytesPerSubscription, bytes)}`
              : '–',
            of((r) => r.connections?.failed),
          ];
        }),
      ),
    );
  }
  if (keys.includes('persistent')) {
    out.push(
      '',
      `### Persistent sessions (${s.persistentSessions} offline sessions × ${s.persistentMessagesEach} QoS 1 messages, then all resume)`,
      '',
    );
    out.push(
      table(
        ['peer', 'offline publish/s (acknowledged)', 'resume: delivered/s', 'missing', 'sessions present'],
        ran('persistent').map((c) => [
          labels.get(c)!,
          cell(records, 'persistent', c, (r) => r.persistent?.offlinePublishPerSecond),
          cell(records, 'persistent', c, (r) => r.persistent?.resumeDeliveredPerSecond),
          cell(records, 'persistent', c, (r) => r.persistent?.missing),
          cell(records, 'persistent', c, (r) => r.persistent?.sessionsPresent),
        ]),
      ),
    );
  }
  if (keys.includes('retained')) {
    out.push(
      '',
      `### Retained storm (${s.retainedTopics} retained topics, ${s.retainedSubscribers} subscribers to all of them)`,
      '',
    );
    out.push(
      table(
        ['peer', 'retained stored/s', 'storm: delivered/s', 'missing'],
        ran('retained').map((c) => [
          labels.get(c)!,
          cell(records, 'retained', c, (r) => r.retained?.storePerSecond),
          cell(records, 'retained', c, (r) => r.retained?.deliveredPerSecond),
          cell(records, 'retained', c, (r) => r.retained?.missing),
        ]),
      ),
    );
  }
  const scaling = columns.filter((c) => c.startsWith('flockmq') && !c.endsWith(':unpinned'));
  if (scaling.length > 1 && throughputKeys.length > 0) {
    out.push('', '### FlockMQ as nodes are added (broker pinned to one core)', '');
    out.push(
      table(
        [
          'scenario',
          ...scaling.flatMap((c) => [
            `${c}: msg/s`,
            `${c}: µs CPU/msg`,
            `${c}: Redis cmds/publish`,
            `${c}: NATS msgs/publish`,
          ]),
        ],
        throughputKeys.map((key) => [
          key,
          ...scaling.flatMap((c) => [
            cell(records, key, c, (r) => r.throughput),
            cell(
              records,
              key,
              c,
              (r) => r.cpuMicrosPerMessage,
              (v) => v.toFixed(2),
            ),
            cell(
              records,
              key,
              c,
              (r) => r.redisCommandsPerPublish,
              (v) => v.toFixed(3),
            ),
            cell(
              records,
              key,
              c,
              (r) => r.natsMessagesPerPublish,
              (v) => v.toFixed(3),
            ),
          ]),
        ]),
      ),
    );
  }
  const unsupported = new Map<string, Set<string>>();
  for (const r of records.filter((r) => r.unsupported)) {
    const peer = shortName(r.peer);
    if (!unsupported.has(peer)) unsupported.set(peer, new Set());
    unsupported.get(peer)!.add(r.key);
  }
  if (unsupported.size > 0) {
    const list = [...unsupported].map(([peer, keys]) => `${peer}: ${[...keys].join(', ')}`);
    out.push('', `n/a: the broker delivered nothing in that scenario (${list.join('; ')}).`);
  }
  const errors = records.filter((r) => r.error);
  if (errors.length > 0) {
    out.push(
      '',
      `Errors: ${errors.map((r) => `${shortName(column(r))} ${r.key} round ${r.round}: ${r.error}`).join('; ')}.`,
    );
  }
  const checks = records.filter((r) => r.check);
  if (checks.length > 0) {
    const off = checks.filter((r) => r.check!.brokerDelivered !== r.check!.generatorReceived);
    out.push(
      '',
      `Cross-check: in ${checks.length - off.length} of ${checks.length} FlockMQ runs the broker's flockmq_messages_delivered_total ` +
        `equals what the generator received` +
        (off.length > 0
          ? `; differing: ${off.map((r) => `${r.key} ${column(r)} round ${r.round} (${r.check!.brokerDelivered} vs ${r.check!.generatorReceived})`).join(', ')}.`
          : '.'),
    );
  }
  return { markdown: `${out.join('\n')}\n`, svg: chart(records, throughputKeys, columns, labels) };
}

const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/** Horizontal bars per scenario, one per peer, each scenario scaled to its fastest peer. */
function chart(records: readonly RunRecord[], keys: string[], columns: string[], labels: Map<string, string>): string {
  const barHeight = 14;
  const groupGap = 16;
  const left = 150;
  const width = 760;
  const plotWidth = width - left - 80;
  const legendHeight = 20 * Math.ceil(columns.length / 3) + 10;
  const height = legendHeight + keys.length * (columns.length * barHeight + groupGap) + 20;
  const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  columns.forEach((c, i) => {
    const x = 10 + (i % 3) * 250;
    const y = 10 + Math.floor(i / 3) * 20;
    parts.push(`<rect x="${x}" y="${y}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/>`);
    parts.push(`<text x="${x + 16}" y="${y + 10}">${esc(labels.get(c)!)}</text>`);
  });
  let y = legendHeight;
  for (const key of keys) {
    const medians = columns.map((c) => {
      const values = records
        .filter((r) => r.key === key && column(r) === c && r.throughput !== undefined)
        .map((r) => r.throughput!);
      return values.length > 0 ? median(values) : 0;
    });
    const max = Math.max(1, ...medians);
    parts.push(
      `<text x="${left - 8}" y="${y + (columns.length * barHeight) / 2 + 4}" text-anchor="end" font-weight="bold">${esc(key)}</text>`,
    );
    medians.forEach((value, i) => {
      const w = Math.max(1, (value / max) * plotWidth);
      parts.push(
        `<rect x="${left}" y="${y + i * barHeight}" width="${w.toFixed(1)}" height="${barHeight - 2}" fill="${PALETTE[i % PALETTE.length]}"/>`,
      );
      parts.push(
        `<text x="${left + w + 4}" y="${y + i * barHeight + 10}">${value > 0 ? compact(value) : 'n/a'}</text>`,
      );
    });
    y += columns.length * barHeight + groupGap;
  }
  parts.push(
    `<text x="10" y="${height - 6}" fill="#555">messages delivered per second, median over rounds; each scenario scaled to its fastest broker</text>`,
  );
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
