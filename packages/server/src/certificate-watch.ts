/**
 * Rotated certificates (cert-manager renews them in place; a Kubernetes Secret volume swaps the
 * files) are picked up without a restart: the files are polled, and when they change the TLS
 * listeners serve new connections with the new certificate. Open connections keep theirs.
 */
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import type { Logger } from '@flockmq/broker';
import type { TlsMaterial } from './listeners/tcp';
import { readPem } from './pem';

export interface CertificateFiles {
  cert: string;
  key: string;
  ca?: string;
}

export function readCertificates(
  files: CertificateFiles,
  flags: { cert: string; key: string; ca: string },
): TlsMaterial {
  return {
    cert: readPem(files.cert, flags.cert),
    key: readPem(files.key, flags.key),
    ...(files.ca !== undefined && { ca: readPem(files.ca, flags.ca) }),
  };
}

/** Polls the files every `intervalMs`; calls `apply` with the new material after a change. Returns the stop function. */
export function watchCertificates(
  files: CertificateFiles,
  intervalMs: number,
  apply: (material: TlsMaterial) => void,
  logger: Logger,
): () => void {
  const paths = [files.cert, files.key, ...(files.ca !== undefined ? [files.ca] : [])];
  const onChange = (current: Stats, previous: Stats): void => {
    if (current.mtimeMs === previous.mtimeMs && current.ino === previous.ino) return;
    try {
      apply(readCertificates(files, { cert: '--tls-cert', key: '--tls-key', ca: '--tls-ca' }));
      logger.info({ cert: files.cert }, 'tls_certificate_reloaded');
    } catch (error) {
      // Mid-rotation (a key without its certificate yet) or unreadable: keep serving the old one.
      logger.warn({ cert: files.cert, err: (error as Error).message }, 'tls_certificate_reload_failed');
    }
  };
  for (const path of paths) watchFile(path, { interval: intervalMs, persistent: false }, onChange);
  return () => {
    for (const path of paths) unwatchFile(path, onChange);
  };
}
