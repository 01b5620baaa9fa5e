import { backoffDelayMs } from './backoff';

describe('backoffDelayMs', () => {
  const policy = { baseMs: 200, maxMs: 2_000 };

  it('doubles per retry between half and all of the ceiling', () => {
    expect(backoffDelayMs(1, policy, () => 0)).toBe(100);
    expect(backoffDelayMs(1, policy, () => 1)).toBe(200);
    expect(backoffDelayMs(2, policy, () => 1)).toBe(400);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(600);
  });

  it('never exceeds the cap', () => {
    for (let retry = 1; retry <= 40; retry++) {
      expect(backoffDelayMs(retry, policy, () => 0.999)).toBeLessThanOrEqual(2_000);
    }
    expect(backoffDelayMs(30, policy, () => 1)).toBe(2_000);
  });

  it('uses jitter so delays differ', () => {
    const delays = new Set(Array.from({ length: 20 }, () => backoffDelayMs(3, policy)));
    expect(delays.size).toBeGreaterThan(1);
  });
});
