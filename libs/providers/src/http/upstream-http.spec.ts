import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as tick } from 'node:timers/promises';
import { Cancellation } from '../cancellation';
import type { DeploymentTarget } from '../types';
import { UpstreamHttp } from './upstream-http';

/** A body far over the 64 KiB the client lets wait unread, so pausing and resuming happen. */
const BIG = Buffer.alloc(1024 * 1024);
for (let i = 0; i < BIG.length; i++) BIG[i] = 97 + (i % 26);

let server: Server;
let baseUrl: string;
const sockets = new Set<string>();
let http: UpstreamHttp;

beforeAll(async () => {
  server = createServer((req, res) => {
    sockets.add(`${req.socket.remotePort}`);
    req.resume();
    req.on('end', () => {
      if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        // Many writes, so the body arrives in many chunks.
        for (let offset = 0; offset < BIG.length; offset += 16 * 1024) res.write(BIG.subarray(offset, offset + 16 * 1024));
        res.end();
      } else if (req.url === '/bom') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"ok":"é"}')]));
      } else {
        res.writeHead(404, { 'content-type': 'application/json', 'retry-after': '3' });
        res.end('{"error":{"message":"no such path"}}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

beforeEach(() => {
  sockets.clear();
  http = new UpstreamHttp();
});

afterEach(() => http.close());

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const target = (): DeploymentTarget => ({ id: 'm/d', provider: 'openai-compatible', baseUrl, upstreamModel: 'm', timeoutMs: 5_000, defaultMaxTokens: 16 });

describe('UpstreamHttp (undici dispatch, no body stream)', () => {
  it('reads a body many times the pause threshold whole, byte for byte', async () => {
    const response = await http.post(target(), '/big', {}, '{}', new Cancellation());
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain');
    const text = await response.body.text();
    expect(text.length).toBe(BIG.length);
    expect(text).toBe(BIG.toString('latin1'));
    expect(response.body.complete).toBe(true);
  });

  it('feeds a slow reader every chunk in order (pausing the connection meanwhile), then reuses the connection', async () => {
    const response = await http.post(target(), '/big', {}, '{}', new Cancellation());
    const received: Buffer[] = [];
    for await (const chunk of response.body) {
      received.push(chunk);
      await tick();
      await tick();
    }
    expect(Buffer.concat(received).equals(BIG)).toBe(true);
    response.body.destroy(); // complete: nothing to abandon
    const again = await http.post(target(), '/bom', {}, '{}', new Cancellation());
    await again.body.text();
    expect(sockets.size).toBe(1);
  });

  it('drops a UTF-8 byte order mark and decodes UTF-8, as undici does', async () => {
    const response = await http.post(target(), '/bom', {}, '{}', new Cancellation());
    await expect(response.body.json()).resolves.toEqual({ ok: 'é' });
  });

  it('resolves with any status and its headers (the adapters classify it)', async () => {
    const response = await http.post(target(), '/missing', {}, '{}', new Cancellation());
    expect(response.statusCode).toBe(404);
    expect(response.headers['retry-after']).toBe('3');
    await expect(response.body.text()).resolves.toContain('no such path');
  });

  it('a reader that abandons a body midway closes that connection; the next call gets a new one', async () => {
    const response = await http.post(target(), '/big', {}, '{}', new Cancellation());
    for await (const chunk of response.body) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    response.body.destroy();
    expect(response.body.complete).toBe(false);
    const again = await http.post(target(), '/bom', {}, '{}', new Cancellation());
    await expect(again.body.json()).resolves.toEqual({ ok: 'é' });
    expect(sockets.size).toBe(2);
  });

  it('cancelling mid-body fails the reader with the cancellation reason', async () => {
    const cancellation = new Cancellation();
    const response = await http.post(target(), '/big', {}, '{}', cancellation);
    const read = (async () => {
      let bytes = 0;
      for await (const chunk of response.body) {
        bytes += chunk.length;
        if (bytes > 0) cancellation.abort();
        await tick();
      }
      return bytes;
    })();
    await expect(read).rejects.toMatchObject({ name: 'AbortError' });
    expect(response.body.complete).toBe(false);
  });
});
