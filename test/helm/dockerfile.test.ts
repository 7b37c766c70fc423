/**
 * Static checks of deploy/Dockerfile and .dockerignore (no Docker engine in CI: the image is not
 * built here, see deploy/README.md). They pin the runtime contract the chart relies on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './tools';

interface Instruction {
  op: string;
  args: string;
  stage: number;
}

/** Instructions with continuation lines joined and comments dropped; `stage` counts FROMs. */
function parseDockerfile(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  let stage = -1;
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => {
      const [op = '', ...rest] = line.split(/\s+/);
      if (op.toUpperCase() === 'FROM') stage++;
      return { op: op.toUpperCase(), args: rest.join(' '), stage };
    });
}

const dockerfile = readFileSync(join(ROOT, 'deploy', 'Dockerfile'), 'utf8');
const instructions = parseDockerfile(dockerfile);
const froms = instructions.filter((i) => i.op === 'FROM');
const last = froms.length - 1;
const runtime = instructions.filter((i) => i.stage === last);

test('multi-stage: a node:24 build stage and a small runtime stage', () => {
  expect(froms.length).toBeGreaterThanOrEqual(2);
  expect(froms[0]!.args).toMatch(/^node:\$\{NODE_VERSION\}\S* AS build$/);
  expect(dockerfile).toMatch(/ARG NODE_VERSION=24\b/);
  expect(froms[last]!.args).toMatch(/^gcr\.io\/distroless\/nodejs24-debian12:nonroot\b/);
  expect(runtime.some((i) => i.op === 'COPY' && i.args.includes('--from=build'))).toBe(true);
});

test('the build installs from the lockfile with the pinned pnpm and deploys a pruned production tree', () => {
  const pinned = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).packageManager.split('@')[1];
  expect(dockerfile).toContain(`ARG PNPM_VERSION=${pinned}`);
  const build = instructions.filter((i) => i.stage === 0 && i.op === 'RUN').map((i) => i.args);
  expect(build.some((r) => r.includes('npm i -g pnpm@${PNPM_VERSION}'))).toBe(true);
  expect(build.some((r) => r.includes('pnpm install --frozen-lockfile'))).toBe(true);
  expect(build.some((r) => /pnpm --filter @flockmq\/server deploy --prod/.test(r))).toBe(true);
});

test('runs as 65532:65532', () => {
  const users = runtime.filter((i) => i.op === 'USER');
  expect(users.map((u) => u.args)).toEqual(['65532:65532']);
});

test('exec-form ENTRYPOINT (node is PID 1 and gets SIGTERM) with the bin’s Node.js flags, and `start` as the default command', () => {
  const entrypoint = runtime.find((i) => i.op === 'ENTRYPOINT')!;
  // The flags the `flockmq` bin's shebang gives node (V8 heap settings): the image runs the same broker.
  const shebang = readFileSync(join(ROOT, 'packages/server/bin/flockmq.js'), 'utf8').split('\n')[0]!;
  const flags = shebang
    .replace(/^#!\/usr\/bin\/env -S node ?/, '')
    .split(' ')
    .filter(Boolean);
  expect(flags).toContain('--max-semi-space-size=2');
  expect(JSON.parse(entrypoint.args)).toEqual(['/nodejs/bin/node', ...flags, '/app/bin/flockmq.js']);
  expect(JSON.parse(runtime.find((i) => i.op === 'CMD')!.args)).toEqual(['start']);
});

test('exposes 1883 8083 8883 8084 9090 9091 and has no HEALTHCHECK', () => {
  const exposed = runtime.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
  expect(exposed.sort()).toEqual(['1883', '8083', '8084', '8883', '9090', '9091']);
  expect(instructions.some((i) => i.op === 'HEALTHCHECK')).toBe(false);
});

test('the runtime stage writes nothing at run time (no VOLUME, no RUN in the runtime stage)', () => {
  expect(runtime.filter((i) => i.op === 'RUN' || i.op === 'VOLUME')).toEqual([]);
});

test('.dockerignore keeps host builds, git and test artefacts out of the context', () => {
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const entry of ['.git', '**/node_modules', '**/dist', 'bench/results', 'coverage', 'test']) {
    expect(ignored).toContain(entry);
  }
  // What the build needs must stay in.
  for (const needed of ['packages', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', 'package.json', 'tsconfig.base.json']) {
    expect(ignored).not.toContain(needed);
  }
});
