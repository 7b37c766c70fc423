#!/usr/bin/env node
// Copies the Grafana dashboard and the Prometheus rules from deploy/ into the chart's files/ (a
// chart cannot read outside its directory). deploy/ is the source of truth: edit there, then run
//   node helm/flockmq/sync-files.mjs
// `--check` exits 1 when a copy is stale (test/helm/chart-files.test.ts runs the same comparison).
import { copyFileSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const chart = dirname(fileURLToPath(import.meta.url));
const root = join(chart, '..', '..');

/** Source in deploy/ → copy in the chart. */
export const SYNCED = [
  ['deploy/grafana/flockmq-dashboard.json', 'helm/flockmq/files/flockmq-dashboard.json'],
  ['deploy/prometheus/flockmq-alerts.yaml', 'helm/flockmq/files/flockmq-alerts.yaml'],
];

const check = process.argv.includes('--check');
let stale = 0;
for (const [from, to] of SYNCED) {
  const source = join(root, from);
  const copy = join(root, to);
  let same = false;
  try {
    same = readFileSync(source).equals(readFileSync(copy));
  } catch {
    same = false;
  }
  if (same) continue;
  if (check) {
    stale++;
    console.error(`${relative(root, copy)} differs from ${from}: run node helm/flockmq/sync-files.mjs`);
  } else {
    copyFileSync(source, copy);
    console.log(`${from} -> ${to}`);
  }
}
process.exit(stale > 0 ? 1 : 0);
