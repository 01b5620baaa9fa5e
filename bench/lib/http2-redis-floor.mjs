// The floor under a rate-limit Check on this machine: a server on bare node:http2 that, for each
// request, makes one Redis round trip (INCR) and answers in gRPC's shape (HEADERS, one DATA
// frame, trailers), called by a bare node:http2 client. No gRPC library, no protobuf, no Lua, no
// service code, no metrics: the three processes (client, server, Redis) and the two loopback
// hops a Check cannot do without. bench/ratelimit/grpc-check.bench.mjs measures it in turns
// with Check, so what Check costs above the machine's floor is visible.
//
//   node bench/lib/http2-redis-floor.mjs   # the probe alone: sequential latency, 5,000 calls
//
// Needs a Redis (REDIS_URL, default the local platform's redis://127.0.0.1:6380).
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import http2 from 'node:http2';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
export const FLOOR_COUNTER_KEY = 'vectorstack:bench:http2-redis-floor';

async function serve(redisUrl, responseBytes) {
  const Redis = require('ioredis');
  const redis = new Redis(redisUrl);
  const response = Buffer.alloc(responseBytes + 5); // a gRPC length-prefixed message of responseBytes zero bytes
  response.writeUInt32BE(responseBytes, 1);
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.on('error', () => undefined);
    stream.on('data', () => undefined);
    stream.on('end', () => {
      redis.incr(FLOOR_COUNTER_KEY).then(
        () => {
          if (stream.destroyed) return;
          stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
          stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
          stream.end(response);
        },
        () => stream.destroy(),
      );
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.send?.(server.address().port);
}

/** Starts the floor server in a child process (its own event loop, like a service). */
export async function startFloorServer({ redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6380', responseBytes = 48 } = {}) {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', redisUrl, String(responseBytes)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`http2+Redis floor server exited with ${code}`)));
  });
  return { address: `127.0.0.1:${port}`, pid: child.pid, stop: () => child.kill() };
}

/** A bare node:http2 client of the floor server: `call()` resolves when the response's trailers arrived. */
export function floorClient(address, { requestBytes = 72 } = {}) {
  const session = http2.connect(`http://${address}`);
  const request = Buffer.alloc(requestBytes);
  const headers = { ':method': 'POST', ':path': '/vectorstack.bench.v1.Floor/Call', 'content-type': 'application/grpc', te: 'trailers' };
  return {
    call: () =>
      new Promise((resolve, reject) => {
        const stream = session.request(headers);
        let trailers;
        stream.on('trailers', (received) => (trailers = received));
        stream.on('data', () => undefined);
        stream.on('error', reject);
        stream.on('close', () => (trailers?.['grpc-status'] === '0' ? resolve() : reject(new Error('floor call ended without grpc-status 0'))));
        stream.end(request);
      }),
    close: () => session.close(),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--serve') {
    await serve(process.argv[3], Number(process.argv[4]));
  } else {
    const { sequentialLatency } = await import('./latency.mjs');
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6380';
    const server = await startFloorServer({ redisUrl });
    const client = floorClient(server.address);
    const summary = await sequentialLatency(() => client.call());
    client.close();
    server.stop();
    const Redis = require('ioredis');
    const redis = new Redis(redisUrl);
    await redis.del(FLOOR_COUNTER_KEY);
    redis.disconnect();
    console.log(`node:http2 + one Redis INCR per call, ${summary.n} sequential calls:`, summary);
  }
}
