import { Histogram } from 'prom-client';

const buckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** OpenTelemetry RPC semantic conventions: rpc.server.duration / rpc.client.duration, in seconds. */
export const rpcServerDuration = new Histogram({
  name: 'rpc_server_duration_seconds',
  help: 'Duration of gRPC calls served.',
  labelNames: ['rpc_service', 'rpc_method', 'rpc_grpc_status_code'] as const,
  buckets,
});

export const rpcClientDuration = new Histogram({
  name: 'rpc_client_duration_seconds',
  help: 'Duration of gRPC calls made.',
  labelNames: ['rpc_service', 'rpc_method', 'rpc_grpc_status_code'] as const,
  buckets,
});
