#!/usr/bin/env node
// A minimal zero-latency OpenAI-compatible upstream for the router benchmark: POST
// /v1/chat/completions answers the same bytes libs/fake-upstream would (the completion JSON, or
// the SSE stream with each event its own chunk, a usage chunk only when
// `stream_options.include_usage` is true, then `data: [DONE]`), prebuilt once, so the upstream
// costs as little CPU as a Node server can and is never the bottleneck. Anything else: 404.
//
//   node bench/router/mock-upstream.mjs [--port 0] [--host 127.0.0.1]
//
// Prints one JSON line {"kind":"openai","url","baseUrl","port","pid"} when listening (the shape of
// libs/fake-upstream's CLI); stops on SIGTERM/SIGINT.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } });

const created = Math.floor(Date.now() / 1000);
const words = ['You', 'said:', 'Hello', 'there,', 'benchmark'];
const usage = { prompt_tokens: 3, completion_tokens: words.length, total_tokens: 3 + words.length };
const id = 'chatcmpl-mock';

const completion = JSON.stringify({
  id,
  object: 'chat.completion',
  created,
  model: 'mock',
  system_fingerprint: null,
  choices: [{ index: 0, message: { role: 'assistant', content: words.join(' '), refusal: null }, logprobs: null, finish_reason: 'stop' }],
  usage,
});
const completionHeaders = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(completion) };

function frames(includeUsage) {
  const chunk = (delta, finish = null) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: 'mock', system_fingerprint: null, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}) })}\n\n`;
  const out = [chunk({ role: 'assistant', content: '', refusal: null })];
  words.forEach((word, i) => out.push(chunk({ content: i === 0 ? word : ` ${word}` })));
  out.push(chunk({}, 'stop'));
  if (includeUsage) out.push(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: 'mock', system_fingerprint: null, choices: [], usage })}\n\n`);
  out.push('data: [DONE]\n\n');
  return out.map((frame) => Buffer.from(frame));
}
const streamFrames = { plain: frames(false), withUsage: frames(true) };
const STREAM_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };
const NOT_FOUND = '{"error":{"message":"Unknown request URL","type":"invalid_request_error","param":null,"code":null}}';

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(NOT_FOUND);
    req.resume();
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"The request body is not valid JSON.","type":"invalid_request_error","param":null,"code":null}}');
      return;
    }
    if (body.stream !== true) {
      res.writeHead(200, completionHeaders);
      res.end(completion);
      return;
    }
    res.writeHead(200, STREAM_HEADERS);
    for (const frame of body.stream_options?.include_usage === true ? streamFrames.withUsage : streamFrames.plain) res.write(frame);
    res.end();
  });
});
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

server.listen(Number(values.port), values.host, () => {
  const { port } = server.address();
  const url = `http://${values.host}:${port}`;
  process.stdout.write(`${JSON.stringify({ kind: 'openai', url, baseUrl: `${url}/v1`, port, pid: process.pid })}\n`);
});

const stop = () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
