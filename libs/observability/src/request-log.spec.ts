import { Writable } from 'node:stream';
import pino from 'pino';
import { baseLoggerOptions } from './logging';
import { storage } from 'nestjs-pino/storage';
import { holdRequestContext, logFinishedRequest } from './request-log';

function capture(level = 'info') {
  const lines: Array<Record<string, any>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, logger: pino(baseLoggerOptions('router', level), stream) };
}

const finished = (statusCode: number) => ({
  id: 'req-1',
  method: 'POST',
  url: '/v1/chat/completions',
  headers: { authorization: 'Bearer vsk_secret', 'x-api-key': 'vsk_secret', 'content-type': 'application/json' },
  remoteAddress: '127.0.0.1',
  statusCode,
  responseTime: 3,
});

describe('self-logged requests', () => {
  it('logs a failed request at info with its request id and its headers, secrets redacted', () => {
    const { lines, logger } = capture();
    logFinishedRequest(logger, finished(401));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', requestId: 'req-1', req: { id: 'req-1', method: 'POST', url: '/v1/chat/completions' }, res: { statusCode: 401 }, responseTime: 3 });
    expect(lines[0].req.headers).toEqual({ authorization: '[redacted]', 'x-api-key': '[redacted]', 'content-type': 'application/json' });
  });

  it('logs a successful request only at debug, without headers', () => {
    const info = capture('info');
    logFinishedRequest(info.logger, finished(200));
    expect(info.lines).toHaveLength(0);
    const debug = capture('debug');
    logFinishedRequest(debug.logger, finished(200));
    expect(debug.lines[0]).toMatchObject({ level: 'debug', requestId: 'req-1', res: { statusCode: 200 } });
    expect(debug.lines[0].req.headers).toBeUndefined();
  });

});

describe('holdRequestContext', () => {
  const store = { logger: pino({ level: 'silent' }) } as never;
  const inContext = (fn: () => Promise<void>) => storage.run(store, fn);

  it('disables the request context once the last request holding it has ended, and a new request turns it back on', async () => {
    const first = holdRequestContext();
    const second = holdRequestContext();
    await inContext(async () => {
      await Promise.resolve();
      first();
      first(); // once only
      expect(storage.getStore()).toBe(store);
      second();
      expect(storage.getStore()).toBeUndefined();
    });
    const third = holdRequestContext();
    await inContext(async () => {
      await Promise.resolve();
      expect(storage.getStore()).toBe(store);
    });
    third();
  });
});
