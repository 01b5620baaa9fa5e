import type Redis from 'ioredis';
import { RateLimitKeys } from './keys';
import { rateLimitMetrics, type RateLimitMetrics } from './metrics';
import { LIMIT_NAMES, defaultRedisUnavailablePolicy, type LimitName, type PlanTier, type RedisUnavailablePolicy } from './plan';
import { PlanStore } from './plan-store';
import { CHECK_SCRIPT, SETTLE_SCRIPT } from './scripts';
import { defineScript, isRedisUnavailable, type ScriptCall } from './redis-scripts';

export interface RateLimitRequest {
  readonly tenantId: string;
  readonly keyId: string;
  readonly tier: PlanTier;
  /** Unique per request: the usage event carrying it reconciles the reservation. */
  readonly requestId: string;
  /** Requests to count (default 1). */
  readonly requestCost?: number;
  /** Tokens to reserve: prompt tokens plus max_tokens or the model's default (default 0). */
  readonly tokenEstimate?: number;
  /** Concurrency slots to hold when the plan limits concurrency (default 1; a quota lease holds several). */
  readonly concurrencySlots?: number;
}

/** What a quota lease (one reservation for many requests) actually used, to settle it. */
export interface LeaseUsage {
  /** Requests admitted under the lease (the rest of its request cost is given back). */
  readonly requests: number;
  /** Tokens those requests used (the rest of its token reservation is given back). */
  readonly tokens: number;
  /** The concurrency slots it held (`concurrencySlots` of its check), all freed. */
  readonly slots: number;
}

export interface WindowState {
  readonly window: LimitName;
  readonly limit: number;
  /** What is left after this request (when admitted). */
  readonly remaining: number;
  /** When the window next frees capacity, unix ms (day windows: next 00:00 UTC). */
  readonly resetAtMs: number;
}

export interface RateLimitResult {
  readonly allowed: boolean;
  /** The window that denied (the one with the longest wait when several did). */
  readonly deniedBy?: LimitName;
  /** When denied: how long until the same request can be admitted (0 when allowed). */
  readonly retryAfterMs: number;
  /** Every window the key's plan limits, in LIMIT_NAMES order; empty when Redis was unreachable. */
  readonly windows: readonly WindowState[];
  /** Redis was unreachable and the plan fails open: admitted without counting. */
  readonly failedOpen: boolean;
  /** Redis was unreachable and the plan fails closed: denied without a window. */
  readonly failedClosed: boolean;
  /** The request needs more than `deniedBy`'s whole limit: waiting cannot help. */
  readonly requestTooLarge: boolean;
  /** This request id was already admitted: nothing was counted again. */
  readonly duplicate: boolean;
  /** The clock the decision used (Redis TIME unless the caller passed one), unix ms. */
  readonly nowMs: number;
}

export type SettleOutcome = 'settled' | 'already_settled' | 'unknown_request';

export interface SettleResult {
  readonly outcome: SettleOutcome;
  readonly reservedTokens: number;
  readonly chargedTokens: number;
}

/** The subset of a pino logger the limiter writes to. */
export interface RateLimitLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface RateLimiterOptions {
  /** A connection made with createRateLimitRedis (fails fast instead of queueing). */
  readonly redis: Redis;
  readonly keys?: RateLimitKeys;
  /** How long an admitted request holds its concurrency slot unless released first (default 10 min). */
  readonly leaseMs?: number;
  readonly logger?: RateLimitLogger;
  readonly metrics?: RateLimitMetrics;
  /** While Redis stays unreachable, at most one log line per this interval (default 10 s). */
  readonly outageLogIntervalMs?: number;
}

const STATUS_NO_PLAN = -1;
const STATUS_DENIED = 0;
const STATUS_DUPLICATE = 2;
const RETRY_WHEN_UNAVAILABLE_MS = 1_000;

function nonNegativeInteger(value: number | undefined, fallback: number, what: string): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < 0) throw new RangeError(`${what} must be a non-negative integer, got ${resolved}`);
  return resolved;
}

/** Decodes the check script's flat reply. */
export function decodeCheckReply(reply: readonly number[]): Omit<RateLimitResult, 'failedOpen' | 'failedClosed'> & { policy: RedisUnavailablePolicy } {
  const [status, deniedCode, retryAfterMs, tooLarge, failOpen, nowMs] = reply;
  const windows: WindowState[] = [];
  for (let i = 6; i + 3 < reply.length; i += 4) {
    windows.push({ window: LIMIT_NAMES[reply[i] - 1], limit: reply[i + 1], remaining: reply[i + 2], resetAtMs: reply[i + 3] });
  }
  const allowed = status !== STATUS_DENIED;
  return {
    allowed,
    deniedBy: allowed ? undefined : LIMIT_NAMES[deniedCode - 1],
    retryAfterMs: allowed ? 0 : retryAfterMs,
    windows,
    requestTooLarge: !allowed && tooLarge === 1,
    duplicate: status === STATUS_DUPLICATE,
    nowMs,
    policy: failOpen === 1 ? 'fail_open' : 'fail_closed',
  };
}

/**
 * Admits or denies requests against every window of a key's plan in one atomic Redis step
 * (one round trip), reserving token estimates that `reconcile` or `release` settle later.
 *
 * Clock: pass `now` only in tests. Without it the script uses Redis TIME, one clock for all
 * replicas; per key, time never moves backwards (see scripts.ts).
 *
 * Redis unavailable (refused, lost, timed out): the tier's `redis_unavailable` policy
 * decides — fail open (admit, `failedOpen`) or fail closed (deny, `failedClosed`) — counted
 * in `vectorstack_ratelimit_redis_unavailable_total` and logged (rate-limited); ioredis
 * reconnects in the background and checks recover with the next call that gets through.
 */
export class RateLimiter {
  readonly keys: RateLimitKeys;
  readonly plans: PlanStore;
  private readonly checkScript: ScriptCall;
  private readonly settleScript: ScriptCall;
  private readonly leaseMs: number;
  private readonly metrics: RateLimitMetrics;
  /** The policy each tier's plan last had, for deciding without Redis. */
  private readonly policies = new Map<PlanTier, RedisUnavailablePolicy>();
  private outage?: { since: number; lastLogged: number; unlogged: number };

  constructor(private readonly options: RateLimiterOptions) {
    this.keys = options.keys ?? new RateLimitKeys();
    this.plans = new PlanStore(options.redis, this.keys);
    this.checkScript = defineScript(options.redis, 'vsRateLimitCheck', CHECK_SCRIPT, 6);
    this.settleScript = defineScript(options.redis, 'vsRateLimitSettle', SETTLE_SCRIPT, 3);
    this.leaseMs = options.leaseMs ?? 10 * 60_000;
    this.metrics = options.metrics ?? rateLimitMetrics();
  }

  /** Admits the request (recording it in every window) or denies it (recording nothing). */
  async check(request: RateLimitRequest, now?: number): Promise<RateLimitResult> {
    const result = await this.evaluate(request, 'check', now);
    this.count(request.tier, result);
    return result;
  }

  /** What `check` would answer, without recording anything (for dashboards and tests). */
  peek(request: Omit<RateLimitRequest, 'requestId'>, now?: number): Promise<RateLimitResult> {
    return this.evaluate({ ...request, requestId: '' }, 'peek', now);
  }

  /** A failed or aborted request: give back its whole token reservation and its concurrency slot. */
  release(keyId: string, requestId: string): Promise<SettleResult> {
    return this.settle(keyId, requestId, 0, 'r');
  }

  /** The request finished: replace its token reservation by the actual count (refund or charge). Idempotent. */
  reconcile(keyId: string, requestId: string, actualTokens: number): Promise<SettleResult> {
    return this.settle(keyId, requestId, nonNegativeInteger(actualTokens, 0, 'actualTokens'), 's');
  }

  /**
   * Ends a quota lease (a reservation `check`ed with a request cost, token estimate and
   * concurrency slots for many requests): it keeps counting what its requests used, gives back
   * the rest in every window it still counts in, and frees its slots. Idempotent.
   */
  settleLease(keyId: string, leaseId: string, used: LeaseUsage): Promise<SettleResult> {
    return this.settle(keyId, leaseId, nonNegativeInteger(used.tokens, 0, 'tokens'), 's', nonNegativeInteger(used.requests, 0, 'requests'), nonNegativeInteger(used.slots, 0, 'slots'));
  }

  private async evaluate(request: RateLimitRequest, mode: 'check' | 'peek', now: number | undefined): Promise<RateLimitResult> {
    const cost = nonNegativeInteger(request.requestCost, 1, 'requestCost');
    const tokens = nonNegativeInteger(request.tokenEstimate, 0, 'tokenEstimate');
    const slots = nonNegativeInteger(request.concurrencySlots, 1, 'concurrencySlots');
    const space = this.keys.forKey(request.keyId);
    const run = () =>
      this.checkScript(
        this.keys.planMirrorOf(request.keyId, request.tier),
        space.override,
        space.state,
        space.log,
        space.requests,
        space.inflight,
        now === undefined ? '' : Math.floor(now),
        request.requestId,
        cost,
        tokens,
        this.leaseMs,
        mode,
        slots,
      ) as Promise<number[]>;
    let reply: number[];
    try {
      reply = await run();
      if (reply[0] === STATUS_NO_PLAN) {
        // Plans vanished (Redis flushed or replaced): put the defaults back and try again.
        await this.plans.seedDefaults();
        reply = await run();
        if (reply[0] === STATUS_NO_PLAN) throw new Error(`no rate-limit plan stored for tier ${request.tier}`);
      }
    } catch (error) {
      if (!isRedisUnavailable(error)) throw error;
      return this.unavailable(request, error, now);
    }
    this.recovered();
    const { policy, ...result } = decodeCheckReply(reply);
    this.policies.set(request.tier, policy);
    return { ...result, failedOpen: false, failedClosed: false };
  }

  private async settle(keyId: string, requestId: string, tokens: number, state: 'r' | 's', requests?: number, slots?: number): Promise<SettleResult> {
    const space = this.keys.forKey(keyId);
    const [status, reservedTokens, chargedTokens] = (await this.settleScript(space.state, space.requests, space.inflight, requestId, tokens, state, requests ?? '', slots ?? 1)) as number[];
    this.recovered();
    const outcome: SettleOutcome = status === 1 ? 'settled' : status === 2 ? 'already_settled' : 'unknown_request';
    return { outcome, reservedTokens, chargedTokens };
  }

  private unavailable(request: RateLimitRequest, error: unknown, now: number | undefined): RateLimitResult {
    const policy = this.policies.get(request.tier) ?? defaultRedisUnavailablePolicy(request.tier);
    this.metrics.redisUnavailable.inc({ tier: request.tier, policy });
    this.metrics.redisAvailable.set(0);
    this.logOutage(error, request, policy);
    const failOpen = policy === 'fail_open';
    return {
      allowed: failOpen,
      retryAfterMs: failOpen ? 0 : RETRY_WHEN_UNAVAILABLE_MS,
      windows: [],
      failedOpen: failOpen,
      failedClosed: !failOpen,
      requestTooLarge: false,
      duplicate: false,
      nowMs: now ?? Date.now(),
    };
  }

  private logOutage(error: unknown, request: RateLimitRequest, policy: RedisUnavailablePolicy): void {
    const logger = this.options.logger;
    const wallClock = Date.now();
    const err = error instanceof Error ? error.message : String(error);
    if (!this.outage) {
      this.outage = { since: wallClock, lastLogged: wallClock, unlogged: 0 };
      logger?.warn({ err, tier: request.tier, policy }, `rate limiter: Redis unavailable; ${request.tier} requests ${policy === 'fail_open' ? 'admitted without counting' : 'denied'} until it returns`);
      return;
    }
    if (wallClock - this.outage.lastLogged < (this.options.outageLogIntervalMs ?? 10_000)) {
      this.outage.unlogged++;
      return;
    }
    logger?.warn(
      { err, tier: request.tier, policy, downForMs: wallClock - this.outage.since, checksSinceLastLog: this.outage.unlogged + 1 },
      'rate limiter: Redis still unavailable',
    );
    this.outage.lastLogged = wallClock;
    this.outage.unlogged = 0;
  }

  private recovered(): void {
    this.metrics.redisAvailable.set(1);
    if (!this.outage) return;
    this.options.logger?.info({ downForMs: Date.now() - this.outage.since }, 'rate limiter: Redis reachable again');
    this.outage = undefined;
  }

  private count(tier: PlanTier, result: RateLimitResult): void {
    const outcome = result.failedOpen ? 'failed_open' : result.failedClosed ? 'failed_closed' : result.allowed ? 'allowed' : 'denied';
    this.metrics.checks.inc({ tier, outcome });
    if (result.deniedBy) this.metrics.denials.inc({ tier, window: result.deniedBy });
  }
}
