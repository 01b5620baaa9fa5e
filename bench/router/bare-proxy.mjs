#!/usr/bin/env node
// The baseline of the router benchmark: the floor for any Node gateway. Node's `http` server
// forwards every request's bytes to one upstream through a pooled undici client and streams the
// answer back chunk by chunk, parsing nothing (no JSON, no auth, no routing); only hop-by-hop
// headers are dropped. The request body is collected into one Buffer before it is sent (a
// gateway reads the whole request anyway, and undici sends a Buffer much more cheaply than a
// stream: 45–65% more requests/s in a quick comparison); --stream-request-body hands undici the request stream.
//
// --meter makes it the floor of a *metering* gateway instead: the same forwarding, plus what
// metering costs at the least — the answer's usage is read (the JSON body, or the last SSE
// event that carries usage) and one usage event per response goes to the platform's Kafka
// through the platform's own UsagePublisher (libs/usage, built), where the metering service
// consumes it like the router's. No auth, validation, rate limiting or routing. The events are
// attributed to --tenant/--key-id/--model (the benchmark's own tenant) and say
// rate_limit_settled (there is no reservation to reconcile). Needs KAFKA_BROKERS.
//
//   node bench/router/bare-proxy.mjs --upstream http://127.0.0.1:41234 [--port 0] [--host 127.0.0.1] [--stream-request-body]
//   node bench/router/bare-proxy.mjs --upstream … --meter --tenant <id> --key-id <id> --model <id>
//
// Prints one JSON line {"url","port","pid"} when listening; stops on SIGTERM/SIGINT.
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { Pool } = require('undici');

const { values } = parseArgs({
  options: {
    upstream: { type: 'string' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'stream-request-body': { type: 'boolean', default: false },
    meter: { type: 'boolean', default: false },
    tenant: { type: 'string', default: 'bench-floor' },
    'key-id': { type: 'string', default: 'bench-floor' },
    model: { type: 'string', default: 'mock' },
  },
});
if (!values.upstream) {
  process.stderr.write('usage: node bench/router/bare-proxy.mjs --upstream <origin> [--port 0] [--host 127.0.0.1]\n');
  process.exit(2);
}

// Enough keep-alive connections for every request in flight at concurrency 64.
const pool = new Pool(new URL(values.upstream).origin, { connections: 128, pipelining: 1, keepAliveTimeout: 60_000 });

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

function forwardable(headers) {
  const out = {};
  for (const name in headers) if (!HOP_BY_HOP.has(name)) out[name] = headers[name];
  return out;
}

const meter = values.meter ? await startMetering() : undefined;

/** The platform's usage publisher on its Kafka (no spool: a failed send is reported, and the run is void). */
async function startMetering() {
  const repo = new URL('../../', import.meta.url).pathname;
  const { KafkaConnection, KafkaProducer } = require(`${repo}libs/kafka/dist/index.js`);
  const { UsagePublisher } = require(`${repo}libs/usage/dist/index.js`);
  const { UsageSource } = require(`${repo}libs/contracts/dist/index.js`);
  const pino = require('pino');
  if (!process.env.KAFKA_BROKERS) throw new Error('--meter needs KAFKA_BROKERS');
  const producer = new KafkaProducer(new KafkaConnection({ clientId: 'bench-metered-proxy', brokers: process.env.KAFKA_BROKERS }));
  await producer.connect();
  const noSpool = {
    add: async () => {
      throw new Error('the metered bench proxy has no spool');
    },
    drain: async () => 0,
  };
  const publisher = new UsagePublisher(producer, noSpool, pino({ level: 'warn' }, process.stderr));
  const { register } = require('prom-client');
  let sequence = 0;
  return {
    /** How many events were recorded and how many Kafka acknowledged (GET /__metering). */
    async counts() {
      const value = async (name) => (await register.getSingleMetric(name)?.get())?.values.reduce((sum, sample) => sum + sample.value, 0) ?? 0;
      return { recorded: sequence, published: await value('vectorstack_usage_events_published_total'), dropped: await value('vectorstack_usage_events_dropped_total') };
    },
    record(startedAt, status, streamed, usage) {
      const now = Date.now();
      publisher.record({
        requestId: `bench-floor-${process.pid}-${++sequence}`,
        source: UsageSource.ROUTER,
        tenantId: values.tenant,
        keyId: values['key-id'],
        model: values.model,
        deployment: `${values.model}/mock`,
        provider: 'openai-compatible',
        promptTokens: BigInt(usage?.prompt_tokens ?? 0),
        completionTokens: BigInt(usage?.completion_tokens ?? 0),
        totalTokens: BigInt(usage?.total_tokens ?? 0),
        latencyMs: Math.round(performance.now() - startedAt),
        httpStatus: status,
        streamed,
        occurredAt: { seconds: BigInt(Math.floor(now / 1000)), nanos: (now % 1000) * 1_000_000 },
        endpoint: '/v1/chat/completions',
        rateLimitSettled: true,
      });
    },
  };
}

/** The usage object of a JSON answer, or of the last SSE event in `text` that has one. */
function usageOf(text, streamed) {
  try {
    if (!streamed) return JSON.parse(text).usage;
    for (const line of text.split('\n').reverse()) {
      if (line.startsWith('data: {') && line.includes('"usage"')) {
        const usage = JSON.parse(line.slice(6)).usage;
        if (usage) return usage;
      }
    }
  } catch {
    // A body that is not JSON meters as zero tokens.
  }
  return undefined;
}

/**
 * Forwards like `forward`, then meters: the body is kept whole (JSON) or its last chunks (SSE) to
 * read the usage. Through undici's `dispatch` with a handler that writes each chunk to the client
 * as it comes (pausing the upstream while the client's socket is full), as the router's upstream
 * client does: a Writable between the two (undici's `stream`) made every chunk wait for the
 * previous one's flush, which cost a stream of a dozen events ~120 µs more than `forward`.
 */
function forwardMetered(req, res, body) {
  const startedAt = performance.now();
  let status = 502;
  let streamed = false;
  const kept = [];
  pool.dispatch(
    { method: req.method, path: req.url, headers: forwardable(req.headers), body },
    {
      onRequestStart(controller) {
        // A client that leaves mid-answer aborts the upstream request, as `forward`'s pipe does.
        res.once('close', () => {
          if (!res.writableFinished) controller.abort(new Error('the client closed the connection'));
        });
      },
      onResponseStart(controller, statusCode, headers) {
        if (statusCode < 200) return;
        status = statusCode;
        streamed = String(headers['content-type'] ?? '').startsWith('text/event-stream');
        res.writeHead(statusCode, forwardable(headers));
        res.on('drain', () => controller.resume());
      },
      onResponseData(controller, chunk) {
        kept.push(chunk);
        if (streamed && kept.length > 2) kept.shift();
        if (!res.write(chunk)) controller.pause();
      },
      onResponseEnd() {
        res.end();
        meter.record(startedAt, status, streamed, usageOf(Buffer.concat(kept).toString('utf8'), streamed));
      },
      onResponseError() {
        failed(res);
      },
    },
  );
}

function forward(req, res, body) {
  if (meter) return forwardMetered(req, res, body);
  pool
    .stream(
      { method: req.method, path: req.url, headers: forwardable(req.headers), body },
      ({ statusCode, headers }) => {
        res.writeHead(statusCode, forwardable(headers));
        return res;
      },
    )
    .catch(() => failed(res));
}

/** The upstream failed: a 502 if nothing was sent yet, else the connection is cut. */
function failed(res) {
  if (!res.headersSent) {
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"bad gateway","type":"server_error","param":null,"code":null}}');
  } else res.destroy();
}

const server = createServer((req, res) => {
  if (meter && req.url === '/__metering') {
    void meter.counts().then((counts) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(counts)));
    return;
  }
  if (req.method === 'GET' || req.method === 'HEAD') return forward(req, res, null);
  if (values['stream-request-body']) return forward(req, res, req);
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => forward(req, res, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
});
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

server.listen(Number(values.port), values.host, () => {
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ url: `http://${values.host}:${port}`, port, pid: process.pid })}\n`);
});

const stop = () => {
  server.close();
  server.closeAllConnections();
  pool.close().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
