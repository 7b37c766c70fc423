import { readFileSync } from 'node:fs';
import { FlockError } from '@flockmq/protocol';

/** Reads a PEM file named by a setting; a failure is a config error naming the flag and the path. */
export function readPem(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new FlockError(
      'FLOCK_ERR_CONFIG_INVALID',
      `${flag}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}
