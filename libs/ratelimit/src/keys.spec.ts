import { PLAN_SHARDS, RateLimitKeys, shardOf } from './keys';

/** Redis Cluster's key slot (CRC16/XMODEM of the hash tag, modulo 16384). */
function clusterSlot(key: string): number {
  const open = key.indexOf('{');
  const close = open >= 0 ? key.indexOf('}', open + 1) : -1;
  const tagged = open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(tagged)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

describe('key layout', () => {
  const keys = new RateLimitKeys('vs:rl:');

  it('puts every key a check touches, the plan copy included, in one cluster slot', () => {
    for (const keyId of ['2f0c6d4e-8b1a-4c1e-9d53-1f7a2b3c4d5e', 'key-a', 'ключ']) {
      const space = keys.forKey(keyId);
      const slots = new Set([keys.planMirrorOf(keyId, 'pro'), ...Object.values(space)].map(clusterSlot));
      expect(slots.size).toBe(1);
    }
  });

  it('spreads keys over the shards and is stable', () => {
    const shards = new Set(Array.from({ length: 2_000 }, (_, i) => shardOf(`key-${i}`)));
    expect(shards.size).toBe(PLAN_SHARDS);
    expect(shardOf('key-a')).toBe(shardOf('key-a'));
    expect(keys.override('key-a')).toMatch(/^vs:rl:\{s\d{3}\}:key:key-a:override$/);
  });

  it('keeps the plans admins edit outside the shards', () => {
    expect(keys.plan('free')).toBe('vs:rl:plan:free');
    expect(keys.planMirror(7, 'free')).toBe('vs:rl:{s007}:plan:free');
  });
});
