import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { GrpcCallError, GrpcStatus } from './errors';
import { codecs, methodPath, unaryMethods, type RequestInitOf, type ResponseOf, type UnaryMethodsOf } from './methods';
import { rpcClientDuration } from './metrics';

export interface CallOptions {
  /** Overrides the client's default deadline for this call. */
  deadlineMs?: number;
}

/** A promise-returning function per unary method of the service. */
export type GrpcClient<S extends GenServiceMethods> = {
  [K in keyof UnaryMethodsOf<S>]: (request: RequestInitOf<UnaryMethodsOf<S>[K]>, options?: CallOptions) => Promise<ResponseOf<UnaryMethodsOf<S>[K]>>;
} & { close(): void };

export interface GrpcClientOptions {
  /** Deadline of each call unless the call sets its own. */
  deadlineMs: number;
}

/**
 * A client over one long-lived HTTP/2 channel (grpc-js reconnects it with backoff),
 * using the generated message types both ways. Failed calls reject with GrpcCallError.
 */
export function createGrpcClient<S extends GenServiceMethods>(service: GenService<S>, address: string, options: GrpcClientOptions): GrpcClient<S> {
  const client = new Client(address, credentials.createInsecure(), {
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 5_000,
    'grpc.initial_reconnect_backoff_ms': 200,
    'grpc.max_reconnect_backoff_ms': 5_000,
    // No channelz service is exposed; its per-call bookkeeping is pure overhead (see server.ts).
    'grpc.enable_channelz': 0,
  });
  const methods: Record<string, unknown> = { close: () => client.close() };
  for (const [localName, method] of unaryMethods(service)) {
    const path = methodPath(method);
    const codec = codecs(method);
    const labels = { rpc_service: service.typeName, rpc_method: method.name };
    methods[localName] = (request: MessageInitShape<DescMessage>, callOptions: CallOptions = {}) =>
      new Promise((resolve, reject) => {
        const stopTimer = rpcClientDuration.startTimer(labels);
        client.makeUnaryRequest(
          path,
          codec.serializeRequest,
          codec.deserializeResponse,
          request,
          new Metadata(),
          { deadline: Date.now() + (callOptions.deadlineMs ?? options.deadlineMs) },
          (error: ServiceError | null, response) => {
            stopTimer({ rpc_grpc_status_code: error ? error.code : GrpcStatus.OK });
            if (error) reject(new GrpcCallError(error.code, error.details, path));
            else resolve(response);
          },
        );
      });
  }
  return methods as GrpcClient<S>;
}
