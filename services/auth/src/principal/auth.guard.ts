import { type CanActivate, createParamDecorator, type ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { authError } from '../common/auth-errors';
import type { Scope } from '../keys/api-key.entity';
import { PRINCIPAL_RESOLVER, presentedKey, type PrincipalResolver, type RequestPrincipal } from './principal';

const ANY_OF_SCOPES = 'vectorstack:auth:any-of-scopes';

/** The route needs a key holding at least one of these scopes. */
export const RequireAnyScope = (...scopes: Scope[]) => SetMetadata(ANY_OF_SCOPES, scopes);

type AuthenticatedRequest = FastifyRequest & { principal?: RequestPrincipal };

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(PRINCIPAL_RESOLVER) private readonly resolver: PrincipalResolver,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const secret = presentedKey(request.headers);
    if (!secret) throw authError('missing_api_key');
    const principal = await this.resolver.resolve(secret);
    const needed = this.reflector.getAllAndOverride<Scope[] | undefined>(ANY_OF_SCOPES, [context.getHandler(), context.getClass()]) ?? [];
    if (needed.length > 0 && !needed.some((scope) => principal.scopes.includes(scope))) throw authError('insufficient_scope');
    request.principal = principal;
    return true;
  }
}

/** The principal the guard resolved. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): RequestPrincipal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a route without ApiKeyGuard');
  return principal;
});

/** Who did it and from where, for the audit trail. request.ip honours TRUSTED_PROXIES. */
export interface Actor {
  readonly principal: RequestPrincipal;
  readonly sourceIp: string | null;
}

export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!request.principal) throw new Error('CurrentActor used on a route without ApiKeyGuard');
  return { principal: request.principal, sourceIp: request.ip ?? null };
});
