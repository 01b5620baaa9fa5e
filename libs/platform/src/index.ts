export { httpServiceModule, PlatformModule } from './platform.module';
export { HealthFileHeartbeat, runHttpService, runMigrations, runWorker, type AppModuleFactory } from './run';
export {
  loadHttpServiceConfig,
  loadWorkerConfig,
  serviceConfigShape,
  type HttpServiceConfig,
  type PlatformConfig,
  type ServiceDefinition,
  type WorkerServiceConfig,
} from './service-definition';
