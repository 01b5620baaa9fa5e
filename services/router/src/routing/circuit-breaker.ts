/** Per-deployment health: closed (in use), open (cooling down), half-open (one probe allowed). */
export interface BreakerPolicy {
  /** Consecutive failures that open the breaker. */
  failureThreshold: number;
  /** First cool-down; doubles each time a probe fails, up to maxCooldownMs. */
  cooldownMs: number;
  maxCooldownMs: number;
}

export const DEFAULT_BREAKER: BreakerPolicy = { failureThreshold: 3, cooldownMs: 5_000, maxCooldownMs: 120_000 };

interface BreakerState {
  failures: number;
  openUntil: number;
  cooldownMs: number;
  probing: boolean;
}

export type BreakerStatus = 'closed' | 'open' | 'half-open';

/**
 * Decides which deployments may be tried now. A deployment that keeps failing is skipped for
 * a cool-down, then one request probes it; success closes it, failure doubles the cool-down.
 * Local to each replica (no coordination needed: each learns within a few requests).
 */
export class CircuitBreakers {
  private readonly states = new Map<string, BreakerState>();

  constructor(
    private readonly policy: BreakerPolicy = DEFAULT_BREAKER,
    private readonly now: () => number = Date.now,
  ) {}

  status(deploymentId: string): BreakerStatus {
    const state = this.states.get(deploymentId);
    if (!state || state.openUntil === 0) return 'closed';
    return this.now() < state.openUntil ? 'open' : 'half-open';
  }

  /** Whether a request may go to this deployment now; claims the probe of a half-open one. */
  tryAcquire(deploymentId: string): boolean {
    const state = this.states.get(deploymentId);
    if (!state || state.openUntil === 0) return true;
    if (this.now() < state.openUntil || state.probing) return false;
    state.probing = true;
    return true;
  }

  /** Gives back a probe claimed by tryAcquire but never used (the request went elsewhere). */
  release(deploymentId: string): void {
    const state = this.states.get(deploymentId);
    if (state) state.probing = false;
  }

  success(deploymentId: string): void {
    this.states.delete(deploymentId);
  }

  failure(deploymentId: string): void {
    const state = this.states.get(deploymentId) ?? { failures: 0, openUntil: 0, cooldownMs: 0, probing: false };
    state.failures += 1;
    if (state.probing) {
      // The probe failed: back to open, for longer.
      state.cooldownMs = Math.min(state.cooldownMs * 2, this.policy.maxCooldownMs);
      state.openUntil = this.now() + state.cooldownMs;
      state.probing = false;
    } else if (state.openUntil === 0 && state.failures >= this.policy.failureThreshold) {
      state.cooldownMs = this.policy.cooldownMs;
      state.openUntil = this.now() + state.cooldownMs;
    }
    this.states.set(deploymentId, state);
  }
}
