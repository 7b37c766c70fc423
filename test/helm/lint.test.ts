/**
 * `helm lint --strict` under Helm 3 and Helm 4: the default values and every ci/*-values.yaml.
 * Lint cannot be told which APIs a cluster has, so the optional Prometheus Operator and
 * cert-manager resources are linted with assumeApiVersions (render-matrix.test.ts covers the
 * refusals when those APIs are absent).
 */
import { basename } from 'node:path';
import { ciValuesFiles, lint, run } from './chart';
import { helmBinary, type HelmMajor } from './tools';

const ASSUME = ['--set', 'assumeApiVersions={monitoring.coreos.com/v1,cert-manager.io/v1}'];

describe.each([3, 4] as HelmMajor[])('helm %d', (major) => {
  test('is the expected major version', async () => {
    const out = await run(helmBinary(major), ['version', '--short']);
    expect(out.stdout.trim()).toMatch(new RegExp(`^v${major}\\.`));
  });

  test('lint --strict passes with the default values', async () => {
    const out = await lint(major);
    expect(out.stderr + out.stdout).toContain('0 chart(s) failed');
    expect(out.code).toBe(0);
  });

  test.each(ciValuesFiles().map((f) => [basename(f), f]))('lint --strict passes with ci/%s', async (_name, file) => {
    const out = await run(helmBinary(major), ['lint', '--strict', 'helm/flockmq', '--values', file, ...ASSUME]);
    expect({ code: out.code, output: out.stdout + out.stderr }).toEqual({
      code: 0,
      output: expect.stringContaining('0 chart(s) failed'),
    });
    expect(out.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
  });
});
