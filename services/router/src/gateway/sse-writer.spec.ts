import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Cancellation } from '@vectorstack/providers';
import { SseWriter } from './sse-writer';

describe('SseWriter', () => {
  let server: Server;
  let url: string;
  let handle: (res: ServerResponse) => void;

  beforeAll(async () => {
    server = createServer((_req, res) => handle(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const request = () => new Promise<IncomingMessage>((resolve, reject) => get(url, resolve).once('error', reject));
  const body = (response: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.once('end', () => resolve(text));
    });

  it('sends the head on its own when no event follows at once (a client waiting for a slow first token sees the response start)', async () => {
    let writer: SseWriter | undefined;
    handle = (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': 'req-1' });
      writer = new SseWriter(res, new Cancellation());
      // No event until the client has seen the head: without the head's own flush this never resolves.
    };
    const response = await request();
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-request-id']).toBe('req-1');
    const text = body(response);
    await writer!.data('{"n":1}');
    writer!.done();
    await expect(text).resolves.toBe('data: {"n":1}\n\ndata: [DONE]\n\n');
  });

  it('sends the head with the first event when it follows at once, then every event and [DONE]', async () => {
    handle = (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const writer = new SseWriter(res, new Cancellation());
      void (async () => {
        await writer.data('{"n":1}');
        await writer.data('{"n":2}');
        writer.done();
      })();
    };
    const response = await request();
    await expect(body(response)).resolves.toBe('data: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\n');
  });

  it('asks to wait only when the socket is full, and the wait ends when the client has read', async () => {
    const big = `"${'x'.repeat(256 * 1024)}"`;
    const waits: Array<boolean> = [];
    handle = (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const writer = new SseWriter(res, new Cancellation());
      void (async () => {
        const small = writer.data('1');
        waits.push(small !== undefined);
        const full = writer.data(big);
        waits.push(full !== undefined);
        await full;
        writer.done();
      })();
    };
    const response = await request();
    await expect(body(response)).resolves.toBe(`data: 1\n\ndata: ${big}\n\ndata: [DONE]\n\n`);
    expect(waits).toEqual([false, true]);
  });

  it('ends with an error event in the OpenAI shape', async () => {
    handle = (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      new SseWriter(res, new Cancellation()).error({ message: 'upstream failed', type: 'server_error', code: 'upstream_error' });
    };
    const response = await request();
    await expect(body(response)).resolves.toBe('data: {"error":{"message":"upstream failed","type":"server_error","code":"upstream_error","param":null}}\n\n');
  });
});
