#!/usr/bin/env node
// The baseline of the router benchmark: the floor for any Node gateway. Node's `http` server
// forwards every request's bytes to one upstream through a pooled undici client and streams the
// answer back chunk by chunk, parsing nothing (no JSON, no auth, no routing); only hop-by-hop
// headers are dropped. The request body is collected into one Buffer before it is sent (a
// gateway reads the whole request anyway, and undici sends a Buffer much more cheaply than a
// stream: 45–65% more requests/s in a quick comparison); --stream-request-body hands undici the request stream.
//
//   node bench/router/bare-proxy.mjs --upstream http://127.0.0.1:41234 [--port 0] [--host 127.0.0.1] [--stream-request-body]
//
// Prints one JSON line {"url","port","pid"} when listening; stops on SIGTERM/SIGINT.
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { Pool } = require('undici');

const { values } = parseArgs({
  options: { upstream: { type: 'string' }, port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' }, 'stream-request-body': { type: 'boolean', default: false } },
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

function forward(req, res, body) {
  pool
    .stream(
      { method: req.method, path: req.url, headers: forwardable(req.headers), body },
      ({ statusCode, headers }) => {
        res.writeHead(statusCode, forwardable(headers));
        return res;
      },
    )
    .catch(() => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"bad gateway","type":"server_error","param":null,"code":null}}');
      } else res.destroy();
    });
}

const server = createServer((req, res) => {
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
