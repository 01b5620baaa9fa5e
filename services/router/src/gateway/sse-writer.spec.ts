import { EventEmitter } from 'node:events';
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

  it('writes the events given in one turn together', async () => {
    const writes: string[] = [];
    handle = (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const write = res.write.bind(res) as (chunk: string) => boolean;
      res.write = ((chunk: string) => (writes.push(chunk), write(chunk))) as typeof res.write;
      const writer = new SseWriter(res, new Cancellation());
      // From a microtask, as the relay runs (each chunk of an upstream read is handled in one).
      void Promise.resolve().then(async () => {
        await writer.data('1');
        await writer.data('2');
        await new Promise((resolve) => setImmediate(resolve));
        await writer.data('3');
        await new Promise((resolve) => setImmediate(resolve));
        writer.done();
      });
    };
    const response = await request();
    await expect(body(response)).resolves.toBe('data: 1\n\ndata: 2\n\ndata: 3\n\ndata: [DONE]\n\n');
    expect(writes).toEqual(['data: 1\n\ndata: 2\n\n', 'data: 3\n\n']);
  });

  it('asks to wait while the response needs draining, until it drains or the client goes', async () => {
    // A stand-in for the response: what SseWriter uses of it.
    const response = Object.assign(new EventEmitter(), { writableNeedDrain: false, writableEnded: false, destroyed: false, write: () => true, flushHeaders: () => undefined });
    const signal = new Cancellation();
    const writer = new SseWriter(response as unknown as ServerResponse, signal);
    expect(writer.data('1')).toBeUndefined();
    response.writableNeedDrain = true;
    const drained = writer.data('2');
    expect(drained).toBeInstanceOf(Promise);
    let settled = false;
    void drained!.then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    response.emit('drain');
    await drained;
    const abandoned = writer.data('3');
    signal.abort();
    await expect(abandoned).resolves.toBeUndefined();
    writer.close();
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
