/** gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
export enum GrpcStatus {
  OK = 0,
  CANCELLED = 1,
  UNKNOWN = 2,
  INVALID_ARGUMENT = 3,
  DEADLINE_EXCEEDED = 4,
  NOT_FOUND = 5,
  ALREADY_EXISTS = 6,
  PERMISSION_DENIED = 7,
  RESOURCE_EXHAUSTED = 8,
  FAILED_PRECONDITION = 9,
  ABORTED = 10,
  OUT_OF_RANGE = 11,
  UNIMPLEMENTED = 12,
  INTERNAL = 13,
  UNAVAILABLE = 14,
  DATA_LOSS = 15,
  UNAUTHENTICATED = 16,
}

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
