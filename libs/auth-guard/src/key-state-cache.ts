import type { ApiKeyState } from '@vectorstack/contracts';
import { evaluateKeyState, type KeyEvaluation } from './evaluate';

/**
 * Every key's latest state, indexed by the hashes it accepts. Each replica fills it
 * from the compacted key-state topic; applying is idempotent and ignores stale versions,
 * so replays and redeliveries are harmless.
 */
export class KeyStateCache {
  private readonly byKeyId = new Map<string, ApiKeyState>();
  private readonly keyIdByHash = new Map<string, string>();

  get size(): number {
    return this.byKeyId.size;
  }

  /** Applies a state; returns false when an equal or newer version is already held. */
  apply(state: ApiKeyState): boolean {
    const keyId = state.principal?.keyId;
    if (!keyId) return false;
    const held = this.byKeyId.get(keyId);
    if (held && held.version >= state.version) return false;
    if (held) this.unindex(held);
    this.byKeyId.set(keyId, state);
    for (const hash of state.secretHashes) this.keyIdByHash.set(Buffer.from(hash.hmacSha256).toString('hex'), keyId);
    return true;
  }

  /** The latest state of a key (its tenant, tier, status…), e.g. to check a tenant admin's reach over a key id. */
  stateOf(keyId: string): ApiKeyState | undefined {
    return this.byKeyId.get(keyId);
  }

  /** A tombstone: the key no longer exists. */
  remove(keyId: string): void {
    const held = this.byKeyId.get(keyId);
    if (!held) return;
    this.unindex(held);
    this.byKeyId.delete(keyId);
  }

  /** The evaluation of the key with this hash (`hex`: the same in hex, when known), or undefined when no key accepts it. */
  evaluate(hash: Buffer, now: Date = new Date(), hex: string = hash.toString('hex')): KeyEvaluation | undefined {
    const keyId = this.keyIdByHash.get(hex);
    const state = keyId === undefined ? undefined : this.byKeyId.get(keyId);
    return state === undefined ? undefined : evaluateKeyState(state, hash, now);
  }

  private unindex(state: ApiKeyState): void {
    for (const hash of state.secretHashes) {
      const hex = Buffer.from(hash.hmacSha256).toString('hex');
      if (this.keyIdByHash.get(hex) === state.principal?.keyId) this.keyIdByHash.delete(hex);
    }
  }
}
