#!/usr/bin/env node
/**
 * Regenerates docs/conformance.md: every normative statement listed in
 * docs/conformance-statements.json, with the tests that cover it. A test covers a statement when
 * its name (or a string or comment inside it) carries the statement's id:
 *
 *   [MQTT-3.1.0-2]          an MQTT 5.0 id
 *   [MQTT-3.1.2-24 (3.1.1)] an MQTT 3.1.1 id (also "3.1.1 [MQTT-3.1.2-24]")
 *
 * Ids inside a describe() title count for that describe block. Skipped tests (.skip, .todo, xit)
 * count for nothing. Test files: test/**, packages/{pkg}/test/** ending in .test.ts or .test.js.
 *
 *   node scripts/conformance-table.mjs          rewrite docs/conformance.md, print a summary
 *   node scripts/conformance-table.mjs --check  fail (exit 1) if docs/conformance.md is stale
 *
 * No dependencies: conformance-test-blocks.mjs finds test() / it() / describe() calls and their extent.
 */
import { readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBlocks } from './conformance-test-blocks.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STATEMENTS = join(ROOT, 'docs', 'conformance-statements.json');
const OUTPUT = join(ROOT, 'docs', 'conformance.md');
const MAX_TESTS_SHOWN = 3;

// ------------------------------------------------------------------ test files

function walk(dir, out) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (/\.test\.[cm]?[jt]s$/.test(entry.name)) out.push(path);
  }
  return out;
}

function testFiles() {
  const files = walk(join(ROOT, 'test'), []);
  const packages = join(ROOT, 'packages');
  if (existsSync(packages)) {
    for (const pkg of readdirSync(packages, { withFileTypes: true })) {
      if (pkg.isDirectory()) walk(join(packages, pkg.name, 'test'), files);
    }
  }
  return files.map((f) => relative(ROOT, f).split(sep).join('/')).sort();
}

// ------------------------------------------------------------------ ids in tests

const ID = /\[MQTT-(\d+(?:\.\d+)*-\d+)(\s*\(3\.1\.1\))?\]/g;
const ANY_TAG = /\[MQTT-[^\]\n]*\]/g;

/** Every id occurrence attributed to the innermost test (or describe) around it. */
function scanFile(file) {
  const src = readFileSync(join(ROOT, file), 'utf8');
  const blocks = findBlocks(src);
  const rank = (b) => (b.kind === 'test' ? 0 : 1);
  const inside = (b, pos) => b.start <= pos && pos < b.end;
  /**
   * Who an id at `pos` counts for: the test around it; else every test.each whose table
   * (declared elsewhere in the file) holds it; else the innermost describe; else nobody.
   */
  const owners = (pos) => {
    let best;
    for (const b of blocks) {
      if (!inside(b, pos)) continue;
      if (!best || rank(b) < rank(best) || (rank(b) === rank(best) && b.end - b.start < best.end - best.start))
        best = b;
    }
    if (best?.kind === 'test') return [best];
    const viaTable = blocks.filter((b) => b.extra && inside(b.extra, pos));
    if (viaTable.length > 0) return viaTable;
    return best ? [best] : [];
  };
  /** Skipped itself or inside a skipped describe. */
  const skipped = (block) => blocks.some((b) => b.skipped && b.start <= block.start && block.end <= b.end);
  const displayName = (block) => {
    const chain = blocks.filter(
      (b) => b.kind === 'describe' && b !== block && b.start <= block.start && block.end <= b.end,
    );
    chain.sort((a, b) => a.start - b.start);
    return (
      [...chain, block]
        .map((b) => cleanTitle(b.title))
        .filter(Boolean)
        .join(' › ') + (block.kind === 'describe' ? ' (every test in the block)' : '')
    );
  };

  const hits = [];
  const malformed = [];
  for (const m of src.matchAll(ANY_TAG)) {
    const blocksHere = owners(m.index).filter((b) => !skipped(b));
    ID.lastIndex = 0;
    const strict = ID.exec(m[0]);
    if (!strict || strict[0] !== m[0]) {
      for (const block of blocksHere) malformed.push({ file, tag: m[0], name: displayName(block) });
      continue;
    }
    const before = src.slice(Math.max(0, m.index - 12), m.index);
    const v311 = Boolean(strict[2]) || /3\.1\.1[:;,]?\s*$/.test(before);
    for (const block of blocksHere) hits.push({ file, id: `MQTT-${strict[1]}`, v311, name: displayName(block) });
  }
  return { hits, malformed };
}

function cleanTitle(title) {
  return title
    .replace(/\s*\[MQTT-[^\]\n]*\]/g, '')
    .replace(/\(\s*3\.1\.1\s*\)/g, '(3.1.1)')
    .replace(/\s+/g, ' ')
    .replace(/^\s*-\s*/, '')
    .replace(/\s*-\s*$/, '')
    .trim();
}

// ------------------------------------------------------------------ the table

function build() {
  const spec = JSON.parse(readFileSync(STATEMENTS, 'utf8'));
  const aliases = spec.aliases ?? {};
  const identical = new Set(spec.identicalIn311 ?? []);
  const rows5 = new Map(spec.mqtt5.map((s) => [s.id, { ...s, tests: [] }]));
  const rows311 = new Map(spec.mqtt311.map((s) => [s.id, { ...s, tests: [] }]));
  const unknown = [];
  const malformed = [];
  const files = testFiles();

  for (const file of files) {
    const scanned = scanFile(file);
    malformed.push(...scanned.malformed);
    for (const hit of scanned.hits) {
      const id = aliases[hit.id] ?? hit.id;
      let row;
      if (hit.v311) row = identical.has(id) ? rows5.get(id) : rows311.get(id);
      else row = rows5.get(id);
      if (!row) {
        unknown.push({ ...hit, id });
        continue;
      }
      if (!row.tests.some((t) => t.file === file && t.name === hit.name)) row.tests.push({ file, name: hit.name });
    }
  }
  return { rows5: [...rows5.values()], rows311: [...rows311.values()], unknown, malformed, files };
}

const esc = (s) => s.replace(/\|/g, '\\|').replace(/</g, '&lt;');

function coverageCell(row) {
  if (row.tests.length > 0) {
    const shown = row.tests.slice(0, MAX_TESTS_SHOWN).map((t) => `\`${t.file}\`: ${esc(t.name)}`);
    if (row.tests.length > MAX_TESTS_SHOWN) shown.push(`(+${row.tests.length - MAX_TESTS_SHOWN} more)`);
    return shown.join('<br>');
  }
  if (row.notApplicable) return esc(row.notApplicable);
  if (row.party === 'client') return 'not covered: binds the client only';
  return '**not covered**: no test names this id yet';
}

function stats(rows) {
  const serverSide = rows.filter((r) => r.party !== 'client');
  const count = (list) => ({
    total: list.length,
    covered: list.filter((r) => r.tests.length > 0).length,
    na: list.filter((r) => r.tests.length === 0 && r.notApplicable).length,
  });
  return { serverSide: count(serverSide), client: count(rows.filter((r) => r.party === 'client')), all: count(rows) };
}

/** A Markdown table with padded columns, the way Prettier lays tables out. */
function markdownTable(header, rows) {
  const widths = header.map((h, c) => Math.max(3, h.length, ...rows.map((r) => r[c].length)));
  const line = (cells) => `| ${cells.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function table(rows) {
  return markdownTable(
    ['Id', 'Binds', 'Requirement (paraphrase)', 'Covered by'],
    rows.map((r) => [r.id, r.party, esc(r.text), coverageCell(r)]),
  );
}

function render(result) {
  const s5 = stats(result.rows5);
  const s3 = stats(result.rows311);
  const counts = (label, s) => [label, `${s.total}`, `${s.covered}`, `${s.na}`, `${s.total - s.covered - s.na}`];
  const out = [];
  out.push('# MQTT conformance');
  out.push('');
  out.push(
    '<!-- Generated by `node scripts/conformance-table.mjs` from docs/conformance-statements.json and the test files. Do not edit by hand: edit the JSON or the tests, then rerun the script. -->',
  );
  out.push('');
  out.push(
    'Every normative statement of MQTT 5.0 (the 251 `[MQTT-x.x.x-n]` ids of its appendix B) and every MQTT 3.1.1',
  );
  out.push('statement whose id or requirement differs from MQTT 5.0, with the tests that cover it. Requirements are');
  out.push(
    'paraphrased; read the OASIS standards for the exact text. "Binds" says who the statement puts a requirement',
  );
  out.push(
    'on: `server`, `both` (client and server) or `client`. Client-only statements are listed for completeness and',
  );
  out.push('are not counted as server-side.');
  out.push('');
  out.push('## Summary');
  out.push('');
  out.push(
    markdownTable(
      ['Statements', 'Total', 'Covered by a test', 'Not applicable', 'Not covered'],
      [
        counts('MQTT 5.0, server-side (server + both)', s5.serverSide),
        counts('MQTT 5.0, client only', s5.client),
        counts('MQTT 3.1.1 where it differs, server-side', s3.serverSide),
        counts('MQTT 3.1.1 where it differs, client only', s3.client),
      ],
    ),
  );
  out.push('');
  out.push(`Test files scanned: ${result.files.length}.`);
  out.push('');
  out.push('## How a test covers a statement');
  out.push('');
  out.push(
    'A test covers a statement when its name, or a string or comment inside its body, carries the id in brackets:',
  );
  out.push(
    '`[MQTT-3.1.0-2]` for MQTT 5.0, `[MQTT-3.1.2-24 (3.1.1)]` (or `3.1.1 [MQTT-3.1.2-24]`) for MQTT 3.1.1. An id in a',
  );
  out.push(
    '`describe` title counts for the whole block. Skipped tests count for nothing. 3.1.1 ids whose requirement is',
  );
  out.push(
    'the same as the 5.0 statement with that id (listed in `identicalIn311` of the JSON) count for the 5.0 row.',
  );
  out.push('Only test files are read (`test/**` and `packages/*/test/**`, `*.test.ts`); a `// [MQTT-…]` citation in');
  out.push('source code shows where a rule is enforced, not that it is tested.');
  out.push('');
  out.push(
    'Regenerate after changing tests: `node scripts/conformance-table.mjs` (`--check` fails when this file is stale).',
  );
  out.push('');
  out.push('## MQTT 5.0');
  out.push('');
  out.push(table(result.rows5));
  out.push('');
  out.push('## MQTT 3.1.1, where it differs from 5.0');
  out.push('');
  out.push(
    '3.1.1 reuses many ids for different requirements (its `[MQTT-3.1.2-24]` is the keep-alive rule that 5.0 numbers',
  );
  out.push(
    '`[MQTT-3.1.2-22]`), so these rows are keyed by version. 3.1.1 statements identical to the 5.0 statement with the',
  );
  out.push('same id are not repeated here.');
  out.push('');
  out.push(table(result.rows311));
  out.push('');
  out.push('## Ids in tests that match no statement');
  out.push('');
  if (result.unknown.length === 0 && result.malformed.length === 0) {
    out.push('None.');
  } else {
    out.push('Tags that are misspelt, or name an id that is not a statement of the version they are tagged with:');
    out.push('');
    for (const u of result.unknown)
      out.push(`- \`[${u.id}${u.v311 ? ' (3.1.1)' : ''}]\` in \`${u.file}\`: ${esc(u.name)}`);
    for (const m of result.malformed) out.push(`- \`${m.tag}\` in \`${m.file}\`: ${esc(m.name)}`);
  }
  out.push('');
  return { text: out.join('\n'), s5, s3 };
}

// ------------------------------------------------------------------ main

const result = build();
const { text, s5, s3 } = render(result);
const summary =
  `MQTT 5.0 server-side: ${s5.serverSide.covered}/${s5.serverSide.total} covered, ${s5.serverSide.na} not applicable; ` +
  `client-only: ${s5.client.covered}/${s5.client.total} covered. ` +
  `MQTT 3.1.1 (differing) server-side: ${s3.serverSide.covered}/${s3.serverSide.total} covered, ${s3.serverSide.na} not applicable. ` +
  `Unmatched tags: ${result.unknown.length + result.malformed.length}.`;

if (process.argv.includes('--check')) {
  const current = existsSync(OUTPUT) ? readFileSync(OUTPUT, 'utf8') : '';
  // Compared modulo table padding, so running Prettier over the file does not make it stale.
  const normalize = (md) =>
    md
      .replace(/ *\| */g, '|')
      .replace(/-{3,}/g, '---')
      .trimEnd();
  if (normalize(current) !== normalize(text)) {
    console.error('docs/conformance.md is out of date: run node scripts/conformance-table.mjs');
    process.exit(1);
  }
  console.log(summary);
} else {
  writeFileSync(OUTPUT, text);
  console.log(`wrote ${relative(ROOT, OUTPUT)}: ${summary}`);
}
