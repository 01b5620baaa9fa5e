import type { PlanTier } from './plan';

/**
 * Number of plan shards. Every key's state lives in one shard, whose Redis hash tag
 * `{sNNN}` it shares with that shard's copy of the plan table, so the check script reads
 * the plan, the key's override and the key's counters inside one Redis Cluster slot.
 * Changing it re-homes every key (its counters start afresh), so it is a constant.
 */
export const PLAN_SHARDS = 128;

export const DEFAULT_KEY_PREFIX = 'vs:rl:';

/** FNV-1a (32 bit) of the key id, modulo PLAN_SHARDS: stable across processes and versions. */
export function shardOf(keyId: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(keyId, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % PLAN_SHARDS;
}

/** The Redis keys one API key's check touches (all in one hash slot). */
export interface KeySpace {
  readonly override: string;
  /** Hash: running sums of the sliding windows, the minute cut-off, the day and its counters. */
  readonly state: string;
  /** Sorted set: request id → admission time (ms). */
  readonly log: string;
  /** Hash: request id → "admittedAtMs:requestCost:tokens:state" (the reservation). */
  readonly requests: string;
  /** Sorted set: request id → lease expiry (ms) of requests in flight. */
  readonly inflight: string;
}

/**
 * Key layout under a prefix (`vs:rl:` in production, a per-run prefix in tests):
 *
 *   <prefix>plan:<tier>                          the plan (what the admin API reads and writes)
 *   <prefix>{sNNN}:plan:<tier>                   shard NNN's copy of it (what checks read)
 *   <prefix>{sNNN}:key:<keyId>:override          the key's overrides (no expiry)
 *   <prefix>{sNNN}:key:<keyId>:state|log|req     counters and reservations (expire when idle)
 *   <prefix>{sNNN}:key:<keyId>:inflight          concurrency leases (expire when idle)
 */
export class RateLimitKeys {
  constructor(readonly prefix: string = DEFAULT_KEY_PREFIX) {}

  plan(tier: PlanTier): string {
    return `${this.prefix}plan:${tier}`;
  }

  planMirror(shard: number, tier: PlanTier): string {
    return `${this.shardPrefix(shard)}plan:${tier}`;
  }

  override(keyId: string): string {
    return `${this.keyPrefix(keyId)}override`;
  }

  /** The copy of `tier`'s plan in the shard of `keyId`. */
  planMirrorOf(keyId: string, tier: PlanTier): string {
    return this.planMirror(shardOf(keyId), tier);
  }

  forKey(keyId: string): KeySpace {
    const base = this.keyPrefix(keyId);
    return {
      override: `${base}override`,
      state: `${base}state`,
      log: `${base}log`,
      requests: `${base}req`,
      inflight: `${base}inflight`,
    };
  }

  private shardPrefix(shard: number): string {
    return `${this.prefix}{s${String(shard).padStart(3, '0')}}:`;
  }

  private keyPrefix(keyId: string): string {
    return `${this.shardPrefix(shardOf(keyId))}key:${keyId}:`;
  }
}
