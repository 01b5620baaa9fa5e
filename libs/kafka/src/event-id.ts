import { fillRandom } from './random-pool';

/**
 * A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits. Time-ordered ids keep
 * database indexes on event ids compact, and the time is readable from the id when debugging.
 */
export function uuidv7(now: number = Date.now()): string {
  const bytes = Buffer.allocUnsafe(16);
  // 48-bit milliseconds, big-endian: the high 16 bits, then the low 32 (exact in a double).
  bytes.writeUInt16BE(Math.floor(now / 0x1_0000_0000) & 0xffff, 0);
  bytes.writeUInt32BE(now >>> 0, 2);
  fillRandom(bytes, 6, 10);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The message's own `eventId` field, when its schema has one and it is set. */
export function eventIdOf(message: object): string | undefined {
  const value = (message as { eventId?: unknown }).eventId;
  return typeof value === 'string' && value !== '' ? value : undefined;
}
