import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedPrincipal } from '@vectorstack/auth-guard';
import type { FastifyRequest } from 'fastify';

/** Who is calling: the principal the shared ApiKeyGuard resolved. */
export type RequestPrincipal = AuthenticatedPrincipal;

/** Platform admins (`admin`) see every tenant; everyone else only their own. */
export function isPlatformAdmin(principal: RequestPrincipal): boolean {
  return principal.scopes.includes('admin');
}

/** Who did it and from where, for the audit trail. request.ip honours TRUSTED_PROXIES. */
export interface Actor {
  readonly principal: RequestPrincipal;
  readonly sourceIp: string | null;
}

export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const request = context.switchToHttp().getRequest<FastifyRequest & { principal?: RequestPrincipal }>();
  if (!request.principal) throw new Error('CurrentActor used on a route without ApiKeyGuard');
  return { principal: request.principal, sourceIp: request.ip ?? null };
});
