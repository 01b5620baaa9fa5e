// A reference point for gRPC benchmarks on this machine: a bare @grpc/grpc-js unary round trip
// over loopback to a server in its own process, with no protobuf, no metrics, no service code.
// The handler answers a fixed byte string at once, so what remains is HTTP/2 framing, grpc-js on
// both sides, two event loops and the kernel's loopback. The gRPC benches print it beside their
// numbers (measured alternately with them, so both see the same machine); the platform's own
// transport (libs/grpc, on node:http2) can come in under it: bench/grpc/transport.bench.mjs.
//
//   node bench/lib/grpc-noop.mjs                 # the probe alone: sequential latency, 5,000 calls
//   node bench/lib/grpc-noop.mjs --serve [port]  # only the server (prints its port)
//
// Both ends use grpc-js defaults (channelz on, no keepalive) unless `channelOptions` say otherwise.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js');

export const NOOP_PATH = '/vectorstack.bench.v1.Noop/Call';
const identity = (bytes) => bytes;

/** Serves NOOP_PATH: answers `responseBytes` zero bytes whatever the request. */
export function serveNoop({ port = 0, responseBytes = 64, serverOptions = {} } = {}) {
  const server = new grpc.Server(serverOptions);
  const response = Buffer.alloc(responseBytes);
  server.addService(
    { call: { path: NOOP_PATH, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } },
    { call: (_call, callback) => callback(null, response) },
  );
  return new Promise((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve({ server, port: bound }))),
  );
}

/** Starts the no-op server in a child process (so it has its own event loop, like a real service). */
export function startNoopServer({ responseBytes = 64 } = {}) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', '0', String(responseBytes)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`no-op gRPC server exited with ${code}`)));
    child.stdout.on('data', (chunk) => {
      out += chunk.toString();
      const match = /listening on (\d+)/.exec(out);
      if (match) resolve({ address: `127.0.0.1:${match[1]}`, pid: child.pid, stop: () => child.kill() });
    });
  });
}

/** A client of the no-op server: `call()` resolves with the response bytes. `requestBytes` mirrors the service call's request size. */
export function noopClient(address, { requestBytes = 64, deadlineMs = 5_000, channelOptions = {} } = {}) {
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), channelOptions);
  const request = Buffer.alloc(requestBytes);
  return {
    call: () =>
      new Promise((resolve, reject) =>
        client.makeUnaryRequest(NOOP_PATH, identity, identity, request, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (error, response) =>
          error ? reject(error) : resolve(response),
        ),
      ),
    close: () => client.close(),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--serve') {
    const { port } = await serveNoop({ port: Number(process.argv[3] ?? 0), responseBytes: Number(process.argv[4] ?? 64) });
    console.log(`no-op gRPC server listening on ${port}`);
  } else {
    const { sequentialLatency } = await import('./latency.mjs');
    const server = await startNoopServer();
    const client = noopClient(server.address);
    const summary = await sequentialLatency(() => client.call());
    client.close();
    server.stop();
    console.log(`bare grpc-js no-op round trip over loopback, ${summary.n} sequential calls:`, summary);
  }
}
