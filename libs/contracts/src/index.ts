import { resolve } from 'node:path';

export * from './topics';
export * from './gen/vectorstack/common/v1/tier_pb';
export * from './gen/vectorstack/auth/v1/principal_pb';
export * from './gen/vectorstack/auth/v1/api_key_state_pb';
export * from './gen/vectorstack/auth/v1/auth_service_pb';
export * from './gen/vectorstack/ratelimit/v1/ratelimit_service_pb';
export * from './gen/vectorstack/usage/v1/usage_recorded_pb';
export * from './gen/vectorstack/data/v1/dataset_event_pb';
export * from './gen/vectorstack/training/v1/training_job_event_pb';
export * from './gen/vectorstack/inference/v1/model_registered_pb';
export * from './gen/vectorstack/router/v1/model_catalog_pb';
export * from './gen/vectorstack/metering/v1/budget_status_pb';

/** The proto/ tree (src/ and dist/ sit at the same depth), for gRPC servers that load it at run time. */
export const PROTO_ROOT: string = resolve(__dirname, '../../../proto');
