import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Cancellation } from './cancellation';
import { UpstreamHttp } from './http/upstream-http';

describe('Cancellation', () => {
  it('tells each listener once, not the removed ones, and not those added after the abort', () => {
    const cancellation = new Cancellation();
    const calls: string[] = [];
    const kept = () => calls.push('kept');
    const removed = () => calls.push('removed');
    cancellation.addEventListener('abort', kept);
    cancellation.addEventListener('abort', removed);
    cancellation.removeEventListener('abort', removed);
    cancellation.abort();
    cancellation.abort();
    cancellation.addEventListener('abort', () => calls.push('late'));
    expect(calls).toEqual(['kept']);
    expect(cancellation.aborted).toBe(true);
    expect(cancellation.reason).toMatchObject({ name: 'AbortError' });
  });

  it('takes listener objects too (handleEvent), as EventTarget does, and removes them by identity', () => {
    const cancellation = new Cancellation();
    const calls: string[] = [];
    const listener = { handleEvent: () => calls.push('object') };
    const removed = { handleEvent: () => calls.push('removed') };
    cancellation.addEventListener('abort', listener);
    cancellation.addEventListener('abort', removed);
    cancellation.addEventListener('abort', () => calls.push('function'));
    cancellation.removeEventListener('abort', removed);
    cancellation.abort();
    expect(calls).toEqual(['object', 'function']);
  });

  describe('as the signal of an upstream request (undici)', () => {
    let server: Server;
    let baseUrl: string;
    const http = new UpstreamHttp();

    beforeAll(async () => {
      // Never answers: only a cancellation ends the request.
      server = createServer(() => undefined);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      server.closeAllConnections();
      await Promise.all([http.close(), new Promise((resolve) => server.close(resolve))]);
    });

    const target = () => ({ id: 'm/d', provider: 'openai-compatible' as const, baseUrl, upstreamModel: 'x', timeoutMs: 10_000 });

    it('aborts the request in flight, as an aborted UpstreamError', async () => {
      const cancellation = new Cancellation();
      const pending = http.post(target(), '/chat/completions', { 'content-type': 'application/json' }, '{}', cancellation);
      setTimeout(() => cancellation.abort(), 20);
      await expect(pending).rejects.toMatchObject({ name: 'UpstreamError', kind: 'aborted' });
    });

    it('refuses to start a request already cancelled', async () => {
      const cancellation = new Cancellation();
      cancellation.abort();
      await expect(http.post(target(), '/chat/completions', {}, '{}', cancellation)).rejects.toMatchObject({ kind: 'aborted' });
    });
  });
});
