/** Turns a failed admin call into the one line `flockmq ctl` prints. */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { isServiceError } from '../client';
import { ADMIN_ERROR_TRAILER } from '../grpc-handlers';

/** What went wrong at the network level, in words, from grpc-js's details. */
function transportCause(details: string): string {
  const causes: [RegExp, string][] = [
    [/ECONNREFUSED/, 'connection refused'],
    [/ENOTFOUND|EAI_AGAIN|Name resolution failed|DNS resolution failed/i, 'unknown host'],
    [/ETIMEDOUT/, 'connection timed out'],
    [/EHOSTUNREACH|ENETUNREACH/, 'host unreachable'],
    [/ECONNRESET|Connection dropped|Connection closed|socket hang up/i, 'connection closed by the server'],
  ];
  const found = causes.find(([pattern]) => pattern.test(details));
  return found ? found[1] : details.replace(/^No connection established\. Last error: /, '').replace(/\s+/g, ' ');
}

const TLS_PROBLEM = /SSL|TLS|certificate|self[- ]signed|handshake|wrong version number|altnames/i;

/** The line after `flockmq ctl: ` for an error thrown by an AdminClient call. */
export function describeCallError(err: unknown, server: string, timeoutMs: number): string {
  if (!isServiceError(err)) return err instanceof Error ? err.message : String(err);
  const details = err.details || err.message;
  if (err.code === GrpcStatus.UNAUTHENTICATED) {
    return 'the admin API refused the call: wrong or missing token; pass --token or set FLOCKMQ_ADMIN_TOKEN';
  }
  // Statuses the admin service sent itself carry a marker trailer; the rest come from the transport.
  const fromService = err.metadata?.get(ADMIN_ERROR_TRAILER).length > 0;
  if (fromService) {
    if (err.code === GrpcStatus.INVALID_ARGUMENT) return `the admin API rejected the request: ${details}`;
    return details;
  }
  switch (err.code) {
    case GrpcStatus.UNAVAILABLE:
      if (TLS_PROBLEM.test(details)) {
        return `TLS with the admin API at ${server} failed (${transportCause(details)}): check --ca, --cert and --key, or drop --tls if the admin API has no TLS`;
      }
      return `cannot reach the admin API at ${server} (${transportCause(details)}): is the node running, and is --server right? The admin port is set with --admin-port`;
    case GrpcStatus.DEADLINE_EXCEEDED:
      return `the admin API at ${server} did not answer within ${timeoutMs} ms: is --server right (a TLS port needs --tls)? Raise --timeout if the cluster is slow`;
    case GrpcStatus.UNIMPLEMENTED:
      return `the server at ${server} does not offer this call: is it a FlockMQ admin port of the same version?`;
    default:
      return `the call failed (${GrpcStatus[err.code] ?? err.code}): ${details}`;
  }
}
