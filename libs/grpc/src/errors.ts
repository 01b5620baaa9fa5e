import { status as GrpcStatus } from '@grpc/grpc-js';

export { GrpcStatus };

/** An error whose gRPC status and message are meant for the caller. */
export class GrpcStatusError extends Error {
  constructor(
    readonly code: GrpcStatus,
    message: string,
  ) {
    super(message);
    this.name = 'GrpcStatusError';
  }
}

/** A failed call as the client sees it: the status code and the server's message. */
export class GrpcCallError extends Error {
  constructor(
    readonly code: GrpcStatus,
    readonly details: string,
    readonly path: string,
  ) {
    super(`${path} failed: ${GrpcStatus[code] ?? code} ${details}`);
    this.name = 'GrpcCallError';
  }
}
