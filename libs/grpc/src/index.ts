export { createGrpcClient, type CallOptions, type GrpcClient, type GrpcClientOptions } from './client';
export { GrpcCallError, GrpcStatus, GrpcStatusError } from './errors';
export { GrpcServer, type CallContext, type GrpcServerOptions, type UnaryHandlers } from './server';
export { GrpcServerModule, type GrpcServerModuleOptions } from './grpc-server.module';
