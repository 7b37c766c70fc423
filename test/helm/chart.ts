/**
 * Rendering and checking the chart (and the Kustomize overlays) for the tests in test/helm.
 *
 * - `render()` runs `helm template` and parses the documents; results are cached in memory and on
 *   disk (node_modules/.cache/flockmq-helm/renders), keyed by the helm version, the arguments and a
 *   hash of every chart file, so a re-run only renders what changed.
 * - helm processes run at most CONCURRENCY at a time per Jest worker.
 * - `validate()` checks documents against the kubernetes-models schemas, strictly (validate-worker.mjs).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { helmBinary, kubectlBinary, ROOT, type HelmMajor } from './tools';

export { ROOT };
export const CHART = join(ROOT, 'helm', 'flockmq');
export const CI_DIR = join(CHART, 'ci');
export const KUSTOMIZE = join(ROOT, 'deploy', 'kustomize');
const RENDER_CACHE = join(ROOT, 'node_modules', '.cache', 'flockmq-helm', 'renders');

/** A rendered Kubernetes document (loosely typed: tests read what they assert on). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Doc = Record<string, any>;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const CONCURRENCY = 4;
let running = 0;
const queue: (() => void)[] = [];

async function limited<T>(task: () => Promise<T>): Promise<T> {
  if (running >= CONCURRENCY) await new Promise<void>((resolve) => queue.push(resolve));
  running++;
  try {
    return await task();
  } finally {
    running--;
    queue.shift()?.();
  }
}

export function run(file: string, args: readonly string[], input?: string): Promise<Run> {
  return limited(
    () =>
      new Promise<Run>((resolve) => {
        const child = execFile(file, args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        });
        if (input !== undefined) child.stdin?.end(input);
      }),
  );
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

let chartHash: string | undefined;
/** Hash of every file of the chart: part of the render cache key. */
function hashChart(): string {
  if (chartHash === undefined) {
    const hash = createHash('sha256');
    for (const file of listFiles(CHART).sort()) {
      hash.update(relative(CHART, file)).update('\0').update(readFileSync(file)).update('\0');
    }
    chartHash = hash.digest('hex');
  }
  return chartHash;
}

export interface RenderOptions {
  /** Values files (paths relative to the repository root or absolute). */
  valuesFiles?: string[];
  /** --set-json style overrides: { 'replicaCount': 3 } → --set-json replicaCount=3. */
  set?: Record<string, unknown>;
  /** --kube-version (default 1.31.0). */
  kubeVersion?: string;
  /** --api-versions to simulate (e.g. monitoring.coreos.com/v1). */
  apiVersions?: string[];
  helm?: HelmMajor;
  releaseName?: string;
  namespace?: string;
}

export interface Rendered {
  ok: boolean;
  /** stderr of a failed render (where `fail` messages and schema errors show). */
  error: string;
  docs: Doc[];
}

function helmArgs(options: RenderOptions): string[] {
  const args = [
    'template',
    options.releaseName ?? 'flock',
    CHART,
    '--namespace',
    options.namespace ?? 'mqtt',
    '--kube-version',
    options.kubeVersion ?? '1.31.0',
  ];
  for (const file of options.valuesFiles ?? []) args.push('--values', file);
  for (const [key, value] of Object.entries(options.set ?? {}))
    args.push('--set-json', `${key}=${JSON.stringify(value)}`);
  for (const api of options.apiVersions ?? []) args.push('--api-versions', api);
  return args;
}

function parseDocs(text: string): Doc[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Doc | null)
    .filter((d): d is Doc => d !== null && typeof d === 'object');
}

const memo = new Map<string, Promise<Rendered>>();

/** `helm template` with the given values; never throws on a failed render (see `ok`/`error`). */
export function render(options: RenderOptions = {}): Promise<Rendered> {
  const major = options.helm ?? 4;
  const args = helmArgs(options);
  const valuesContent = (options.valuesFiles ?? []).map((f) => readFileSync(f, 'utf8'));
  const key = createHash('sha256')
    .update(JSON.stringify({ major, args, valuesContent, chart: hashChart() }))
    .digest('hex');
  const known = memo.get(key);
  if (known) return known;
  const result = (async (): Promise<Rendered> => {
    const cached = join(RENDER_CACHE, `${key}.json`);
    if (existsSync(cached)) return JSON.parse(readFileSync(cached, 'utf8')) as Rendered;
    const out = await run(helmBinary(major), args);
    const rendered: Rendered =
      out.code === 0
        ? { ok: true, error: '', docs: parseDocs(out.stdout) }
        : { ok: false, error: out.stderr, docs: [] };
    mkdirSync(RENDER_CACHE, { recursive: true });
    writeFileSync(cached, JSON.stringify(rendered));
    return rendered;
  })();
  memo.set(key, result);
  return result;
}

/** Renders and throws with helm's message when the render fails. */
export async function renderOk(options: RenderOptions = {}): Promise<Doc[]> {
  const rendered = await render(options);
  if (!rendered.ok) throw new Error(`helm template failed: ${rendered.error}`);
  return rendered.docs;
}

/** `helm lint --strict` of the chart with one values file (or the defaults). */
export function lint(major: HelmMajor, valuesFile?: string): Promise<Run> {
  const args = ['lint', '--strict', CHART];
  if (valuesFile) args.push('--values', valuesFile);
  return run(helmBinary(major), args);
}

/** `kubectl kustomize <dir>` (kubectl 1.35's built-in kustomize). */
export async function kustomize(dir: string): Promise<Doc[]> {
  const out = await run(kubectlBinary(), ['kustomize', dir]);
  if (out.code !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${out.stderr}`);
  return parseDocs(out.stdout);
}

/** The CI values files of the chart (helm/flockmq/ci/*-values.yaml). */
export function ciValuesFiles(): string[] {
  return readdirSync(CI_DIR)
    .filter((f) => f.endsWith('-values.yaml'))
    .sort()
    .map((f) => join(CI_DIR, f));
}

export function find(docs: Doc[], kind: string, nameSuffix = ''): Doc | undefined {
  return docs.find((d) => d.kind === kind && String(d.metadata?.name ?? '').endsWith(nameSuffix));
}

export function get(docs: Doc[], kind: string, nameSuffix = ''): Doc {
  const doc = find(docs, kind, nameSuffix);
  if (!doc) throw new Error(`no ${kind}${nameSuffix ? ` named *${nameSuffix}` : ''} among ${kinds(docs).join(', ')}`);
  return doc;
}

export const kinds = (docs: Doc[]): string[] => docs.map((d) => `${d.kind}/${d.metadata?.name}`);

/** The broker container of a rendered Deployment. */
export function brokerContainer(docs: Doc[]): Doc {
  return get(docs, 'Deployment').spec.template.spec.containers.find((c: Doc) => c.name === 'flockmq');
}

export interface Validation {
  index: number;
  kind: string;
  name: string;
  errors: string[];
}

/** Validates documents strictly against the kubernetes-models schemas; returns the problems only. */
export async function validate(docs: Doc[]): Promise<string[]> {
  const out = await run(
    process.execPath,
    [join(__dirname, 'validate-worker.mjs')],
    JSON.stringify({ documents: docs }),
  );
  if (out.code !== 0) throw new Error(`validate-worker failed: ${out.stderr}`);
  const results = JSON.parse(out.stdout) as Validation[];
  return results.flatMap((r) => r.errors.map((e) => `${r.kind}/${r.name}: ${e}`));
}

/** The broker's JSON config file as the chart renders it. */
export const configOf = (docs: Doc[]): Doc => JSON.parse(get(docs, 'ConfigMap', 'flockmq').data['flockmq.json']);
export const podSpec = (docs: Doc[]): Doc => get(docs, 'Deployment').spec.template.spec;

/** Renders expecting the chart to refuse; resolves with its message. */
export async function refusal(options: RenderOptions): Promise<string> {
  const rendered = await render(options);
  expect(rendered.ok).toBe(false);
  return rendered.error;
}
