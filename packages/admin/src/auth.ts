import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { AdminLogger } from './fanout';
import { ADMIN_ERROR_TRAILER } from './grpc-handlers';

const HOW_TO = "send the metadata 'authorization: Bearer <token>' (flockmq ctl: --token or FLOCKMQ_ADMIN_TOKEN)";

// Both sides are hashed first so timingSafeEqual always compares equal lengths and the time taken
// says nothing about the token, not even its length.
const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** The problem with a call's credentials, or undefined when the token is right. */
function checkToken(metadata: grpc.Metadata, expected: Buffer): string | undefined {
  const header = metadata.get('authorization')[0];
  if (typeof header !== 'string' || header === '') return `missing admin token: ${HOW_TO}`;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (match === null) return `the authorization metadata is not 'Bearer <token>': ${HOW_TO}`;
  return timingSafeEqual(digest(match[1]!), expected) ? undefined : `wrong admin token: ${HOW_TO}`;
}

/**
 * Requires the bearer token on every call of the server, server reflection included: reflection
 * shares the port and describes the whole API, and one simple rule ("every call needs the token")
 * is easier to reason about than exceptions. grpcurl passes it with -H 'authorization: Bearer …'.
 */
export function bearerTokenInterceptor(token: string, logger: AdminLogger | undefined): grpc.ServerInterceptor {
  const expected = digest(token);
  return (methodDescriptor, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            const problem = checkToken(metadata, expected);
            if (problem === undefined) {
              nextMetadata(metadata);
              return;
            }
            logger?.warn({ method: methodDescriptor.path, peer: call.getPeer() }, 'admin_unauthenticated');
            const trailer = new grpc.Metadata();
            trailer.set(ADMIN_ERROR_TRAILER, '1');
            call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: problem, metadata: trailer });
          },
        });
      },
    });
}
