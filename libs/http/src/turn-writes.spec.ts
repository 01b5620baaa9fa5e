import { createServer, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { atTurnEnd, endAtTurnEnd, isEnding } from './turn-writes';

describe('turn writes', () => {
  let server: Server;
  let port: number;
  const waiting: ServerResponse[] = [];
  let arrived: (() => void) | undefined;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      waiting.push(res);
      arrived?.();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** `n` requests on their own connections, held by the server until the test answers them; their bodies. */
  async function held(n: number): Promise<{ responses: ServerResponse[]; bodies: Array<Promise<string>> }> {
    waiting.length = 0;
    const all = new Promise<void>((resolve) => (arrived = () => waiting.length === n && resolve()));
    const bodies = Array.from(
      { length: n },
      () =>
        new Promise<string>((resolve, reject) => {
          const req = httpRequest({ port, host: '127.0.0.1', agent: false }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.once('end', () => resolve(text));
            res.once('error', reject);
          });
          req.once('error', reject);
          req.end();
        }),
    );
    await all;
    return { responses: [...waiting], bodies };
  }

  it('ends the responses of one turn together at its end, each with its own body', async () => {
    const { responses, bodies } = await held(3);
    responses.forEach((res, i) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      endAtTurnEnd(res, `body ${i}`);
    });
    // The head is set (status, headersSent), the bytes wait for the turn's end.
    expect(responses.map((res) => [res.headersSent, res.statusCode, res.writableEnded, isEnding(res)])).toEqual([
      [true, 200, false, true],
      [true, 200, false, true],
      [true, 200, false, true],
    ]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(responses.map((res) => res.writableEnded)).toEqual([true, true, true]);
    await expect(Promise.all(bodies)).resolves.toEqual(['body 0', 'body 1', 'body 2']);
  });

  it('runs tasks and ends in the order asked, and a task asked while they run at the next turn end', async () => {
    const { responses, bodies } = await held(1);
    const [res] = responses;
    const order: string[] = [];
    res.writeHead(200);
    atTurnEnd((chunk: string) => {
      order.push('first write');
      res.write(chunk);
      atTurnEnd(() => order.push('asked during the run'), undefined);
    }, 'a');
    endAtTurnEnd(res, 'b');
    atTurnEnd(() => order.push(`after the end: ended ${res.writableEnded}`), undefined);
    expect(order).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['first write', 'after the end: ended true']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['first write', 'after the end: ended true', 'asked during the run']);
    await expect(bodies[0]).resolves.toBe('ab');
  });

  it('skips a response that is gone or already ended by then, and still ends the others', async () => {
    const { responses, bodies } = await held(3);
    const [gone, endedAlready, fine] = responses;
    for (const res of responses) res.writeHead(200);
    endAtTurnEnd(gone, 'never sent');
    endAtTurnEnd(endedAlready, 'never sent either');
    endAtTurnEnd(fine, 'sent');
    gone.destroy();
    endedAlready.end('ended at once');
    const [goneBody, endedBody, fineBody] = bodies.map((body) => body.then((text) => text, (error: Error) => `failed: ${error.message}`));
    await expect(goneBody).resolves.toMatch(/^failed: /);
    await expect(endedBody).resolves.toBe('ended at once');
    await expect(fineBody).resolves.toBe('sent');
  });

  it('a task that throws does not hold up the others (the error is a process warning)', async () => {
    const { responses, bodies } = await held(1);
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      responses[0].writeHead(200);
      atTurnEnd(() => {
        throw new Error('a bug in a task');
      }, undefined);
      endAtTurnEnd(responses[0], 'still sent');
      await expect(bodies[0]).resolves.toBe('still sent');
      expect(emitWarning).toHaveBeenCalledWith(expect.objectContaining({ message: 'a bug in a task' }), { code: 'VECTORSTACK_TURN_END_TASK' });
    } finally {
      emitWarning.mockRestore();
    }
  });
});
