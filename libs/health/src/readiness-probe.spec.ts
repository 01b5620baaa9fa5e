import { checkWithTimeout, ProbeTimeoutError } from './readiness-probe';

describe('checkWithTimeout', () => {
  it('resolves when the probe answers in time', async () => {
    await expect(checkWithTimeout({ name: 'fast', check: async () => undefined }, 100)).resolves.toBeUndefined();
  });

  it('rejects with a timeout naming the dependency when the probe hangs', async () => {
    const hung = { name: 'kafka', check: () => new Promise<void>(() => undefined) };
    await expect(checkWithTimeout(hung, 30)).rejects.toThrow(new ProbeTimeoutError('kafka', 30));
  });

  it('passes the probe failure through', async () => {
    await expect(checkWithTimeout({ name: 'pg', check: async () => Promise.reject(new Error('refused')) }, 100)).rejects.toThrow('refused');
  });
});
