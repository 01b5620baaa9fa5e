// The platform's gRPC transport (libs/grpc: unary gRPC on node:http2) against @grpc/grpc-js, the
// reference Node implementation, on loopback, in one run: no service code, so what differs is
// the transport alone.   Run: npm run build (or npm start) && node bench/grpc/transport.bench.mjs
//
// Each server runs in its own process and answers a fixed Verify-sized response at once; calls
// take turns (grpc-js, libs/grpc, grpc-js, ...) in blocks of BENCH_BLOCK (default 250) calls, one
// at a time, so a busy moment of a shared machine hits both alike and neither client's garbage
// lands in the other's samples. Printed: latency of each, the difference, and each server process's
// CPU per call and the client's own CPU per call (measured apart, each transport alone).
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { alternate, describeGc, processCpuMicros, TURN_BLOCK } from '../lib/latency.mjs';
import { noopClient, startNoopServer } from '../lib/grpc-noop.mjs';
import { round, writeResults } from '../lib/stats.mjs';

const require = createRequire(import.meta.url);
const { AuthService, Tier, VerifyOutcome } = require('@vectorstack/contracts');
const { createGrpcClient, GrpcServer } = require('@vectorstack/grpc');

const RESPONSE = {
  outcome: VerifyOutcome.VALID,
  cacheTtlMs: 30_000,
  principal: { tenantId: '0193a3c4-5a1e-7b6f-8c2d-3e4f5a6b7c8d', keyId: '0193a3c4-5a1e-7b6f-8c2d-3e4f5a6b7c8e', tier: Tier.PRO, scopes: ['chat', 'embeddings'] },
};

if (process.argv[2] === '--serve') {
  const server = new GrpcServer();
  server.addService(AuthService, { verify: async () => RESPONSE });
  const port = await server.listen('127.0.0.1', 0);
  process.send?.(port);
} else {
  const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 5_000);
  const CPU_CALLS = Number(process.env.BENCH_CPU_CALLS ?? 3_000);
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`libs/grpc server exited with ${code}`)));
  });
  const ours = createGrpcClient(AuthService, `127.0.0.1:${port}`, { deadlineMs: 5_000 });
  const request = { apiKey: 'vsk_' + 'x'.repeat(43) };
  const noopServer = await startNoopServer({ responseBytes: 120 });
  const reference = noopClient(noopServer.address, { requestBytes: 49 });
  const targets = { grpc_js: () => reference.call(), libs_grpc: () => ours.verify(request) };

  const { results, paired, client_gc } = await alternate(targets, {
    iterations: ITERATIONS,
    check: (name, response) => {
      if (name === 'libs_grpc' && response.outcome !== VerifyOutcome.VALID) throw new Error('unexpected Verify response');
    },
  });

  // CPU per call, each transport alone: the server process from /proc, the client from this process.
  const cpu = {};
  for (const [name, pid] of [
    ['grpc_js', noopServer.pid],
    ['libs_grpc', child.pid],
  ]) {
    const serverBefore = processCpuMicros(pid);
    const clientBefore = process.cpuUsage();
    for (let i = 0; i < CPU_CALLS; i++) await targets[name]();
    const client = process.cpuUsage(clientBefore);
    const serverAfter = processCpuMicros(pid);
    cpu[name] = {
      server_us_per_call: serverBefore === undefined || serverAfter === undefined ? undefined : round((serverAfter - serverBefore) / CPU_CALLS),
      client_us_per_call: round((client.user + client.system) / CPU_CALLS),
    };
  }
  ours.close();
  reference.close();
  noopServer.stop();
  child.kill();

  console.log(`unary gRPC over loopback, ${ITERATIONS} sequential calls each, in turns of ${TURN_BLOCK}`);
  console.log('@grpc/grpc-js:', results.grpc_js, cpu.grpc_js);
  console.log('libs/grpc:    ', results.libs_grpc, cpu.libs_grpc);
  console.log('difference (calls at the same place in their turns):', paired);
  console.log(describeGc(client_gc));
  const ratio = (field) => round(results.libs_grpc[field] / results.grpc_js[field]);
  console.log(`libs/grpc / grpc-js: p50 ${ratio('p50_us')}x, p99 ${ratio('p99_us')}x`);
  writeResults('grpc-transport', { grpc_js: { latency: results.grpc_js, cpu: cpu.grpc_js }, libs_grpc: { latency: results.libs_grpc, cpu: cpu.libs_grpc }, paired_difference: paired, client_gc });
}
