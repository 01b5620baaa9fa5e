import { Global, Module } from '@nestjs/common';
import { ApiKeyGuard } from './auth.guard';
import { PRINCIPAL_RESOLVER } from './principal';
import { PostgresPrincipalResolver } from './postgres-principal-resolver';

/** Authentication of the auth service's own routes; swap the resolver for the shared guard lib when it lands. */
@Global()
@Module({
  providers: [{ provide: PRINCIPAL_RESOLVER, useClass: PostgresPrincipalResolver }, ApiKeyGuard],
  exports: [PRINCIPAL_RESOLVER, ApiKeyGuard],
})
export class PrincipalModule {}
