#!/usr/bin/env node
/**
 * Regenerates the metrics table of docs/metrics.md from packages/server/src/metrics/catalog.ts
 * (through the build: run `pnpm build` first).
 *
 *   node scripts/metrics-table.mjs          rewrite the table
 *   node scripts/metrics-table.mjs --check  fail (exit 1) if docs/metrics.md is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DOC = join(ROOT, 'docs', 'metrics.md');
const require = createRequire(import.meta.url);
const { updateMetricsDoc } = require(join(ROOT, 'packages', 'server', 'dist', 'metrics', 'catalog-doc.js'));

const current = readFileSync(DOC, 'utf8');
const updated = updateMetricsDoc(current);
if (process.argv.includes('--check')) {
  if (updated !== current) {
    console.error('docs/metrics.md is stale: run `pnpm build && node scripts/metrics-table.mjs`');
    process.exit(1);
  }
} else {
  writeFileSync(DOC, updated);
  console.log('docs/metrics.md updated');
}
