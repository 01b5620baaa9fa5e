import { type DynamicModule, Module } from '@nestjs/common';
import { httpServiceModule, type HttpServiceConfig } from '@vectorstack/platform';
import { AuditModule } from './audit/audit.module';
import { BootstrapModule } from './bootstrap/bootstrap.module';
import { AuthConfigModule } from './config/auth.config';
import { KeyStateModule } from './key-state/key-state.module';
import { KeysModule } from './keys/keys.module';
import { OpenApiModule } from './openapi/openapi.controller';
import { PrincipalModule } from './principal/principal.module';
import { AUTH_SERVICE } from './service.definition';
import { TenantsModule } from './tenants/tenants.module';

@Module({})
export class AppModule {
  static forRoot(config: HttpServiceConfig): DynamicModule {
    return httpServiceModule(AppModule, AUTH_SERVICE, config, [
      AuthConfigModule.forRoot(),
      PrincipalModule,
      AuditModule,
      KeyStateModule,
      TenantsModule,
      KeysModule,
      BootstrapModule,
      OpenApiModule,
    ]);
  }
}
