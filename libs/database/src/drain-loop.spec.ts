import { DrainLoop } from './drain-loop';

describe('DrainLoop', () => {
  const logger = { warn: jest.fn() };

  it('coalesces kicks during a pass into exactly one more pass, and logs a failed pass without stopping', async () => {
    let passes = 0;
    let release!: () => void;
    const loop = new DrainLoop({
      name: 'test relay',
      pollIntervalMs: 60_000,
      logger,
      pass: async () => {
        passes += 1;
        if (passes === 1) await new Promise<void>((resolve) => (release = resolve));
        if (passes === 2) throw new Error('broker down');
      },
    });
    loop.kick();
    loop.kick();
    loop.kick();
    expect(passes).toBe(1);
    release();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(passes).toBe(2);
    expect(logger.warn).toHaveBeenCalledWith('test relay failed, will retry: Error: broker down');
    loop.kick();
    await loop.stop();
    expect(passes).toBe(3);
    expect(loop.stopped).toBe(true);
    loop.kick();
    expect(passes).toBe(3);
  });
});
