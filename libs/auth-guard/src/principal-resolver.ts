import type { KeyEvaluation } from './evaluate';
import { KeyHasher } from './key-material';
import type { KeyStateCache } from './key-state-cache';

/** Asks the auth service about a key this replica's cache does not hold (gRPC Verify). */
export interface KeyVerifier {
  /** The evaluation and how long it may be cached; undefined `evaluation` means unknown key. */
  verify(secret: string): Promise<{ evaluation: KeyEvaluation | undefined; cacheTtlMs: number }>;
  /** Releases connections on shutdown. */
  close?(): void;
}

/**
 * Secret → evaluation: the local cache first; on a miss, the verifier, whose answers
 * (negative ones too, to blunt key-guessing floods) are kept briefly. A key that later
 * reaches the cache is found there first, so a cached "unknown" never hides it.
 */
export class PrincipalResolver {
  private readonly answers = new Map<string, { evaluation: KeyEvaluation | undefined; until: number }>();
  private static readonly MAX_ANSWERS = 10_000;
  private readonly hasher: KeyHasher;

  /** `cache` undefined: the verifier is the source of truth and is asked every time (the auth service itself). */
  constructor(
    private readonly cache: KeyStateCache | undefined,
    hmacSecret: string,
    private readonly verifier?: KeyVerifier,
  ) {
    this.hasher = new KeyHasher(hmacSecret, PrincipalResolver.MAX_ANSWERS);
  }

  /**
   * The evaluation itself when this replica's cache decides (nearly every request: no promise, no
   * turn), else a promise of the verifier's answer.
   */
  resolve(secret: string, now: Date = new Date()): KeyEvaluation | undefined | Promise<KeyEvaluation | undefined> {
    if (!this.cache) {
      if (!this.verifier) throw new Error('PrincipalResolver needs a cache or a verifier');
      return this.verifier.verify(secret).then((answer) => answer.evaluation);
    }
    const { hash, hex } = this.hasher.hash(secret);
    const cached = this.cache.evaluate(hash, now, hex);
    if (cached || !this.verifier) return cached;

    const remembered = this.answers.get(hex);
    if (remembered && remembered.until > now.getTime()) return remembered.evaluation;
    return this.verify(secret, hex, now);
  }

  private async verify(secret: string, hex: string, now: Date): Promise<KeyEvaluation | undefined> {
    const { evaluation, cacheTtlMs } = await this.verifier!.verify(secret);
    if (this.answers.size >= PrincipalResolver.MAX_ANSWERS) this.answers.delete(this.answers.keys().next().value as string);
    this.answers.set(hex, { evaluation, until: now.getTime() + cacheTtlMs });
    return evaluation;
  }
}
