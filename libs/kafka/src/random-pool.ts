import { randomFillSync } from 'node:crypto';

/**
 * Cryptographically random bytes served from a buffer refilled 4 KB at a time: event ids and
 * trace ids are made for every produced record, and one `randomBytes` call each (a native job
 * and a new Buffer) cost more than the rest of building the id. Node's randomUUID() caches the
 * same way.
 */
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/** Copies `count` (≤ 256) fresh random bytes into `target` at `at`. */
export function fillRandom(target: Uint8Array, at: number, count: number): void {
  if (offset + count > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  pool.copy(target, at, offset, offset + count);
  offset += count;
}

/** `count` random bytes as lowercase hex. */
export function randomHex(count: number): string {
  if (offset + count > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + count);
  offset += count;
  return hex;
}
