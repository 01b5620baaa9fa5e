import { type DynamicModule, Module } from '@nestjs/common';
import { AuthGuardModule } from '@vectorstack/auth-guard';
import { httpServiceModule, type HttpServiceConfig } from '@vectorstack/platform';
import { AuditModule } from './audit/audit.module';
import { BootstrapModule } from './bootstrap/bootstrap.module';
import { BudgetsModule } from './budgets/budgets.module';
import { AuthConfigModule, loadAuthConfig } from './config/auth.config';
import { KeyStateModule } from './key-state/key-state.module';
import { KeysModule } from './keys/keys.module';
import { OpenApiModule } from './openapi/openapi.controller';
import { AUTH_SERVICE } from './service.definition';
import { TenantsModule } from './tenants/tenants.module';
import { PostgresKeyVerifier } from './verify/postgres-key-verifier';
import { VerifyModule } from './verify/verify.module';

@Module({})
export class AppModule {
  static forRoot(config: HttpServiceConfig): DynamicModule {
    const authConfig = loadAuthConfig();
    return httpServiceModule(AppModule, AUTH_SERVICE, config, [
      AuthConfigModule.forRoot(authConfig),
      // The same guard (and refusals) as every other service, but answered from Postgres on each
      // request instead of the key cache: the service that writes keys sees its own writes at once.
      AuthGuardModule.forRoot({
        serviceName: AUTH_SERVICE.name,
        hmacSecret: authConfig.KEY_HASH_SECRET,
        verifier: PostgresKeyVerifier,
        authoritativeVerifier: true,
      }),
      VerifyModule,
      AuditModule,
      KeyStateModule,
      TenantsModule,
      KeysModule,
      BudgetsModule,
      BootstrapModule,
      OpenApiModule,
    ]);
  }
}
