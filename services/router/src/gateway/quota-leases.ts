import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { LimitName, PlanTier, RateLimiter, RateLimitResult, WindowState } from '@vectorstack/ratelimit';
import { HotCounter } from '@vectorstack/observability';
import { Counter } from 'prom-client';

export interface QuotaLeaseOptions {
  /** How long a lease admits requests (0: no leases, every request is checked in Redis). */
  readonly leaseMs: number;
  /** A lease takes at most 1/headroom of what is left in any window of the key. */
  readonly headroom: number;
  /** Most requests one lease reserves. */
  readonly maxRequests?: number;
  /** Most concurrency slots one lease holds (when the key's plan limits concurrency). */
  readonly maxSlots?: number;
  /** Milliseconds, monotonic (tests pass their own). */
  readonly clock?: () => number;
}

export const DEFAULT_QUOTA_LEASE_MS = 1_000;
export const DEFAULT_QUOTA_LEASE_HEADROOM = 10;

const REQUEST_WINDOWS: ReadonlySet<LimitName> = new Set(['requests_per_minute', 'requests_per_hour', 'requests_per_day']);
const TOKEN_WINDOWS: ReadonlySet<LimitName> = new Set(['tokens_per_minute', 'tokens_per_day']);
/** Keys without traffic for this long are forgotten. */
const IDLE_KEY_MS = 60_000;

// Counted on every request: a HotCounter (see hot-metrics.ts).
const admissions = new HotCounter({
  name: 'vectorstack_router_rate_limit_admissions_total',
  help: 'Requests the router admitted, by how: from a quota lease held in memory, or checked in Redis one by one.',
  labelNames: ['path'] as const,
});
const leaseAdmission = admissions.labels('lease');
const exactAdmission = admissions.labels('exact');
const leases = new Counter({ name: 'vectorstack_router_quota_leases_total', help: 'Quota leases asked of Redis, by outcome.', labelNames: ['outcome'] as const });

/** One reservation in Redis (request cost B, token estimate T, S concurrency slots) that admits up to B requests here. */
class Lease {
  admitted = 0;
  /** Reserved tokens of the requests it admitted; a settle replaces a reservation by the actual count. */
  tokens = 0;
  inflight = 0;
  retired = false;
  closed = false;

  constructor(
    readonly id: string,
    readonly keyId: string,
    readonly requests: number,
    readonly tokenBudget: number,
    readonly slots: number,
    readonly expiresAt: number,
    private readonly snapshot: RateLimitResult,
  ) {}

  /** Spent or expired: it admits nothing more and closes when its last request settles. */
  used(now: number): boolean {
    return now >= this.expiresAt || this.admitted >= this.requests || this.tokens >= this.tokenBudget;
  }

  fits(estimate: number): boolean {
    return this.admitted < this.requests && this.tokens + estimate <= this.tokenBudget && (this.slots === 0 || this.inflight < this.slots);
  }

  /** A quarter or less left: time to ask for the next one. */
  low(): boolean {
    return this.requests - this.admitted <= this.requests / 4 || this.tokenBudget - this.tokens <= this.tokenBudget / 4;
  }

  /**
   * The answer a check of this request would have given on this replica: the lease's snapshot plus
   * what the lease still holds. Built field by field (it runs once per leased request): spreading
   * the snapshot and each window went through V8's slow object-cloning path, ~2 µs per request in the router.
   */
  result(): RateLimitResult {
    const snapshot = this.snapshot;
    const spareRequests = this.requests - this.admitted;
    const spareTokens = Math.max(0, this.tokenBudget - this.tokens);
    const spareSlots = this.slots - this.inflight;
    const windows: WindowState[] = [];
    for (const w of snapshot.windows) {
      const spare = REQUEST_WINDOWS.has(w.window) ? spareRequests : TOKEN_WINDOWS.has(w.window) ? spareTokens : spareSlots;
      windows.push({ window: w.window, limit: w.limit, remaining: Math.min(w.limit, w.remaining + spare), resetAtMs: w.resetAtMs });
    }
    // A lease is only ever granted from an admitting answer (see acquire).
    return { allowed: true, retryAfterMs: 0, windows, failedOpen: false, failedClosed: false, requestTooLarge: false, duplicate: false, nowMs: snapshot.nowMs };
  }
}

/** What the router knows about one key's traffic and its current leases. */
class KeyQuota {
  lease?: Lease;
  next?: Lease;
  acquiring?: Promise<void>;
  /** Every window of the key's plan as Redis last answered (for sizing leases). */
  windows: readonly WindowState[] = [];
  holdOffUntil = 0;
  lastUsed = 0;
  /** Admissions per second over the last full period, and the running period. */
  rate = 0;
  private periodStart?: number;
  private periodCount = 0;
  /** Moving average of token estimates. */
  avgTokens = 0;

  constructor(
    readonly keyId: string,
    public tenantId: string,
    /** The key's tier as its latest request carried it (a changed tier applies from the next lease). */
    public tier: PlanTier,
  ) {}

  observe(now: number, estimate: number): void {
    this.lastUsed = now;
    if (this.periodStart === undefined) this.periodStart = now;
    else if (now - this.periodStart >= 1_000) {
      this.rate = (this.periodCount * 1_000) / (now - this.periodStart);
      this.periodStart = now;
      this.periodCount = 0;
    }
    this.periodCount++;
    this.avgTokens = this.avgTokens === 0 ? estimate : this.avgTokens * 0.9 + estimate * 0.1;
  }
}

/**
 * Quota leases: a key with steady traffic is not checked in Redis request by request. The
 * router reserves a block of its quota in one check (request cost B, token estimate T, S
 * concurrency slots, recorded in every window like one big request), admits requests from it
 * in memory, and settles it when it expires or is spent: the windows keep what its requests
 * actually used, and the rest goes back. The next lease is asked for before this one runs out,
 * so the request path does not wait for Redis.
 *
 * Sizing keeps limits exact where they matter: B is about one lease period of the key's recent
 * traffic and never more than 1/headroom of what is left in any window (the same for tokens and
 * slots), so near a limit — or for a small plan — leases shrink below two requests and every
 * request is checked in Redis one by one, with Redis's denial and Retry-After. A refused
 * lease does the same for one lease period.
 *
 * Costs, stated: a leased request is counted at the lease's time (up to `leaseMs` early) in the
 * sliding windows; quota held by one replica's lease is unavailable to others until it is
 * settled (at most `leaseMs` plus the lease's last request); if the router dies, its open
 * leases keep their whole reservation until they leave the windows, and their slots until the
 * concurrency lease (RATELIMIT_LEASE_MS) ends.
 */
export class QuotaLeases {
  private readonly logger = new Logger('QuotaLeases');
  private readonly keys = new Map<string, KeyQuota>();
  /** Leased requests waiting for their settle: request id → lease and its reservation. */
  private readonly byRequest = new Map<string, { lease: Lease; reserved: number }>();
  private readonly closing = new Set<Promise<unknown>>();
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly maxRequests: number;
  private readonly maxSlots: number;
  private readonly clock: () => number;
  /** Flushed (shutting down): no more leases are asked for. */
  private stopped = false;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly options: QuotaLeaseOptions,
  ) {
    this.clock = options.clock ?? (() => performance.now());
    this.maxRequests = options.maxRequests ?? 10_000;
    this.maxSlots = options.maxSlots ?? 256;
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(50, options.leaseMs / 2));
    this.sweepTimer.unref();
  }

  /**
   * Admits the request from a lease (asking for one first when the key's traffic warrants it);
   * undefined: check it in Redis. Answers at once (no promise) when a lease held fits, as it does
   * for nearly every request of a key with steady traffic; a promise only when it has to wait for
   * a lease being granted.
   */
  admit(keyId: string, tenantId: string, tier: PlanTier, requestId: string, estimate: number): RateLimitResult | undefined | Promise<RateLimitResult | undefined> {
    const now = this.clock();
    let quota = this.keys.get(keyId);
    if (!quota) this.keys.set(keyId, (quota = new KeyQuota(keyId, tenantId, tier)));
    quota.tenantId = tenantId;
    quota.tier = tier;
    quota.observe(now, estimate);
    const lease = this.fitting(quota, estimate, now);
    if (lease) return this.admitFrom(lease, quota, requestId, estimate, now);
    // Nothing held fits: wait for the lease being asked for, or ask for one now (one round trip, as a check would be).
    if (!quota.acquiring) this.acquire(quota, estimate, now);
    const acquiring = quota.acquiring;
    if (!acquiring) return undefined;
    return acquiring.then(() => {
      const later = this.clock();
      const granted = this.fitting(quota, estimate, later);
      return granted ? this.admitFrom(granted, quota, requestId, estimate, later) : undefined;
    });
  }

  private admitFrom(lease: Lease, quota: KeyQuota, requestId: string, estimate: number, now: number): RateLimitResult {
    lease.admitted++;
    lease.tokens += estimate;
    lease.inflight++;
    this.byRequest.set(requestId, { lease, reserved: estimate });
    leaseAdmission.inc();
    if (lease.low() && !quota.next && !quota.acquiring) this.acquire(quota, estimate, now);
    return lease.result();
  }

  /** A request checked in Redis one by one: its answer sizes the key's next lease. */
  observeExact(keyId: string, result: RateLimitResult): void {
    exactAdmission.inc();
    const quota = this.keys.get(keyId);
    if (quota && result.windows.length > 0) quota.windows = result.windows;
  }

  /** Settles a leased request in memory; false when the request was not leased. */
  settle(requestId: string, actualTokens: number): boolean {
    const entry = this.byRequest.get(requestId);
    if (!entry) return false;
    this.byRequest.delete(requestId);
    const { lease, reserved } = entry;
    lease.tokens += actualTokens - reserved;
    lease.inflight--;
    if (lease.retired && lease.inflight === 0) this.close(lease);
    return true;
  }

  /** Settles every lease with what it used so far (at shutdown) and waits for Redis. */
  async flush(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.stopped = true;
    // A lease being granted now must be settled too.
    await Promise.all([...this.keys.values()].map((quota) => quota.acquiring));
    for (const quota of this.keys.values()) {
      for (const lease of [quota.lease, quota.next]) if (lease) this.close(lease);
      quota.lease = quota.next = undefined;
    }
    await Promise.all(this.closing);
  }

  /** The current lease, or else the next, if it can admit this request. */
  private fitting(quota: KeyQuota, estimate: number, now: number): Lease | undefined {
    const current = this.current(quota, now);
    if (current?.fits(estimate)) return current;
    return quota.next?.fits(estimate) && !quota.next.used(now) ? quota.next : undefined;
  }

  /** The lease that admits now: retires a spent or expired one and moves to the next. */
  private current(quota: KeyQuota, now: number): Lease | undefined {
    while (quota.lease?.used(now)) {
      this.retire(quota.lease);
      quota.lease = quota.next;
      quota.next = undefined;
    }
    return quota.lease;
  }

  /** Asks Redis for a lease sized to the key's traffic, unless the key should be checked one by one. */
  private acquire(quota: KeyQuota, estimate: number, now: number): void {
    const size = this.stopped ? undefined : this.size(quota, estimate, now);
    if (!size) return;
    const id = `lease_${randomUUID()}`;
    quota.acquiring = this.limiter
      .check({ tenantId: quota.tenantId, keyId: quota.keyId, tier: quota.tier, requestId: id, requestCost: size.requests, tokenEstimate: size.tokens, concurrencySlots: size.slots })
      .then((result) => {
        if (result.windows.length > 0) quota.windows = result.windows;
        if (!result.allowed || result.failedOpen || result.failedClosed || result.duplicate) {
          leases.inc({ outcome: 'refused' });
          quota.holdOffUntil = this.clock() + this.options.leaseMs;
          return;
        }
        leases.inc({ outcome: 'granted' });
        const lease = new Lease(id, quota.keyId, size.requests, size.tokens, size.slots, this.clock() + this.options.leaseMs, result);
        if (quota.lease && !quota.lease.used(this.clock())) {
          if (quota.next) this.retire(quota.next);
          quota.next = lease;
        } else {
          if (quota.lease) this.retire(quota.lease);
          quota.lease = lease;
        }
      })
      .catch((error: unknown) => {
        leases.inc({ outcome: 'failed' });
        quota.holdOffUntil = this.clock() + this.options.leaseMs;
        this.logger.debug(`lease for key ${quota.keyId} failed (requests are checked one by one): ${String(error)}`);
      })
      .finally(() => {
        quota.acquiring = undefined;
      });
  }

  /** B, T and S for the key's next lease; undefined when it should be checked request by request. */
  private size(quota: KeyQuota, estimate: number, now: number): { requests: number; tokens: number; slots: number } | undefined {
    if (now < quota.holdOffUntil || quota.windows.length === 0) return undefined;
    let requests = Math.min(this.maxRequests, Math.ceil(quota.rate * (this.options.leaseMs / 1_000) * 1.25));
    let tokens = Math.max(estimate, Math.ceil(requests * Math.max(1, quota.avgTokens) * 1.25));
    let slots = 0;
    let limitsConcurrency = false;
    for (const w of quota.windows) {
      const share = Math.floor(w.remaining / this.options.headroom);
      if (REQUEST_WINDOWS.has(w.window)) requests = Math.min(requests, share);
      else if (TOKEN_WINDOWS.has(w.window)) tokens = Math.min(tokens, share);
      else {
        limitsConcurrency = true;
        slots = share;
      }
    }
    if (limitsConcurrency) slots = Math.min(slots, requests, this.maxSlots);
    if (requests < 2 || tokens < estimate || (limitsConcurrency && slots < 1)) return undefined;
    return { requests, tokens, slots };
  }

  private retire(lease: Lease): void {
    lease.retired = true;
    if (lease.inflight === 0) this.close(lease);
  }

  private close(lease: Lease): void {
    if (lease.closed) return;
    lease.closed = true;
    const settled = this.limiter
      .settleLease(lease.keyId, lease.id, { requests: lease.admitted, tokens: Math.max(0, lease.tokens), slots: lease.slots })
      .catch((error: unknown) => this.logger.warn(`settling lease ${lease.id} of key ${lease.keyId} failed (its whole reservation stays counted): ${String(error)}`))
      .finally(() => this.closing.delete(settled));
    this.closing.add(settled);
  }

  /** Retires expired leases (a key whose traffic stopped gives its quota back) and forgets idle keys. */
  private sweep(): void {
    const now = this.clock();
    for (const [keyId, quota] of this.keys) {
      this.current(quota, now);
      if (quota.next?.used(now)) {
        this.retire(quota.next);
        quota.next = undefined;
      }
      if (!quota.lease && !quota.next && !quota.acquiring && now - quota.lastUsed > IDLE_KEY_MS) this.keys.delete(keyId);
    }
  }
}
