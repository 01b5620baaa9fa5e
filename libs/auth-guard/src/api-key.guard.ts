import { type CanActivate, createParamDecorator, type ExecutionContext, Injectable, Logger, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiError } from '@vectorstack/http';
import type { FastifyRequest } from 'fastify';
import { ipAllowed } from './client-ip';
import type { KeyEvaluation } from './evaluate';
import { displayPrefix, presentedApiKey } from './key-material';
import { PrincipalResolver } from './principal-resolver';
import { hasScope, type AuthenticatedPrincipal, type Scope } from './principal';

const REQUIRED_SCOPES = 'vectorstack:required-scopes';
const OVER_BUDGET_ALLOWED = 'vectorstack:over-budget-allowed';

/** Scopes a route needs (any one of them); `admin` satisfies every scope. */
export const RequireScopes = (...scopes: Scope[]) => SetMetadata(REQUIRED_SCOPES, scopes);

/**
 * A route a key over its hard budget may still use (reading its usage and budgets, so the
 * team can see why it is blocked). Every other route refuses it with 403 budget_exceeded.
 */
export const AllowOverBudget = () => SetMetadata(OVER_BUDGET_ALLOWED, true);

type AuthenticatedRequest = FastifyRequest & { principal?: AuthenticatedPrincipal };

/** The principal the guard attached to this request. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): AuthenticatedPrincipal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a route without ApiKeyGuard');
  return principal;
});

function masked(secret: string): string {
  return secret.length > 12 ? `${displayPrefix(secret)}${'*'.repeat(4)}` : '****';
}

/**
 * The one guard every public route uses: resolves the presented key, then checks
 * the client IP and the route's scopes. Errors are the OpenAI shape with the
 * platform's codes (missing_api_key, invalid_api_key, budget_exceeded,
 * ip_not_allowed, insufficient_scope).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly logger = new Logger(ApiKeyGuard.name);

  constructor(
    private readonly resolver: PrincipalResolver,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const targets = [context.getHandler(), context.getClass()];
    request.principal = await this.authorize(request.headers, request, {
      scopes: this.reflector.getAllAndOverride<Scope[] | undefined>(REQUIRED_SCOPES, targets),
      overBudgetAllowed: this.reflector.getAllAndOverride<boolean | undefined>(OVER_BUDGET_ALLOWED, targets) === true,
    });
    return true;
  }

  /**
   * The guard's decision for a request outside Nest's pipeline (a hot route): the principal, or
   * the ApiError a guarded route would answer (thrown, or the promise's rejection). The principal
   * itself, without a promise, when this replica's key cache decides, as it does for nearly every
   * request. `client.ip` is read only when the key has an allowlist.
   */
  authorize(
    headers: Record<string, string | string[] | undefined>,
    client: { readonly ip: string },
    route: { readonly scopes?: readonly Scope[]; readonly overBudgetAllowed?: boolean },
  ): AuthenticatedPrincipal | Promise<AuthenticatedPrincipal> {
    const secret = presentedApiKey(headers);
    if (!secret) {
      throw new ApiError(401, {
        message: "You didn't provide an API key. Send it as 'Authorization: Bearer <key>' (or the X-API-Key header).",
        code: 'missing_api_key',
      });
    }
    let resolved: KeyEvaluation | undefined | Promise<KeyEvaluation | undefined>;
    try {
      resolved = this.resolver.resolve(secret);
    } catch (error) {
      throw this.unverifiable(error);
    }
    if (resolved instanceof Promise) {
      return resolved.then(
        (evaluation) => decide(secret, evaluation, client, route),
        (error: unknown) => {
          throw this.unverifiable(error);
        },
      );
    }
    return decide(secret, resolved, client, route);
  }

  /** The cache missed and the auth service did not answer: the key may well be valid, so not a 401. */
  private unverifiable(error: unknown): ApiError {
    this.logger.warn(`key verification unavailable: ${error instanceof Error ? error.message : String(error)}`);
    return new ApiError(503, {
      message: 'Your API key could not be verified right now. Please retry shortly.',
      code: 'auth_unavailable',
      headers: { 'retry-after': '1' },
    });
  }
}

/** The guard's checks on a resolved key: known, within budget (unless the route allows), from an allowed IP, with the route's scope. */
function decide(
  secret: string,
  evaluation: KeyEvaluation | undefined,
  client: { readonly ip: string },
  route: { readonly scopes?: readonly Scope[]; readonly overBudgetAllowed?: boolean },
): AuthenticatedPrincipal {
  if (!evaluation || (!evaluation.ok && evaluation.refusal === 'invalid_api_key')) {
    throw ApiError.unauthorized(`Incorrect API key provided: ${masked(secret)}.`, 'invalid_api_key');
  }
  if (!evaluation.ok && !route.overBudgetAllowed) {
    throw ApiError.forbidden('This key has reached its hard budget for the month; raise the budget or wait for the next month.', 'budget_exceeded');
  }
  const principal = evaluation.principal;
  if (principal.ipAllowlist.length > 0) {
    const address = client.ip;
    if (!ipAllowed(address, principal.ipAllowlist)) {
      throw ApiError.forbidden(`Requests from ${address} are not allowed for this key (IP not whitelisted).`, 'ip_not_allowed');
    }
  }
  const required = route.scopes;
  if (required && required.length > 0 && !required.some((scope) => hasScope(principal, scope))) {
    throw ApiError.forbidden(`This key lacks the scope this operation needs: ${required.join(' or ')}.`, 'insufficient_scope');
  }
  return principal;
}
