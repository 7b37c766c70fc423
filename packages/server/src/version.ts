import { readFileSync } from 'node:fs';
import path from 'node:path';

let cached: string | undefined;

/** This package's version (src/ and dist/ both sit next to package.json). */
export function version(): string {
  if (cached === undefined) {
    const file = path.join(__dirname, '..', 'package.json');
    cached = (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
  }
  return cached;
}
