import { status as GrpcStatus } from '@grpc/grpc-js';

/**
 * An error the admin API reports to its caller as a gRPC status. The message is written for a
 * human at a terminal: `flockmq ctl` prints it as is.
 */
export class AdminError extends Error {
  constructor(
    readonly code: GrpcStatus,
    message: string,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

export function invalidArgument(message: string): AdminError {
  return new AdminError(GrpcStatus.INVALID_ARGUMENT, message);
}

export function notFound(message: string): AdminError {
  return new AdminError(GrpcStatus.NOT_FOUND, message);
}

export function unavailable(message: string): AdminError {
  return new AdminError(GrpcStatus.UNAVAILABLE, message);
}

/** The message of anything thrown, for logs and error details. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
