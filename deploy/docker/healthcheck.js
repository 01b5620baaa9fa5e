// Container health probe for VectorAIStack images (Docker HEALTHCHECK and compose healthcheck).
// Plain Node, no dependencies: the runtime image has no curl/wget.
//
// - Training worker (HEALTH_FILE set): healthy while the worker keeps refreshing the file's
//   mtime, i.e. it is younger than HEALTH_MAX_AGE_SECONDS (default 30).
// - HTTP services: GET http://127.0.0.1:$PORT$HEALTHCHECK_PATH (default /readyz: compose's
//   `service_healthy` is used to order start-up, so "healthy" means "dependencies reachable").
// Exit code 0 = healthy, 1 = unhealthy (the HEALTHCHECK contract).
'use strict';
const { statSync } = require('node:fs');
const http = require('node:http');

const TIMEOUT_MS = Number(process.env.HEALTHCHECK_TIMEOUT_MS || 4000);

function fail(message) {
  process.stderr.write(`unhealthy: ${message}\n`);
  process.exit(1);
}

function checkHealthFile(file) {
  const maxAgeSeconds = Number(process.env.HEALTH_MAX_AGE_SECONDS || 30);
  let ageSeconds;
  try {
    ageSeconds = (Date.now() - statSync(file).mtimeMs) / 1000;
  } catch (err) {
    return fail(`${file}: ${err.code || err.message}`);
  }
  if (ageSeconds > maxAgeSeconds) fail(`${file} last refreshed ${Math.round(ageSeconds)}s ago`);
  process.exit(0);
}

function checkHttp() {
  const port = Number(process.env.PORT);
  if (!Number.isInteger(port) || port <= 0) fail('PORT is not set');
  const path = process.env.HEALTHCHECK_PATH || '/readyz';
  const req = http.get({ host: '127.0.0.1', port, path, timeout: TIMEOUT_MS }, (res) => {
    res.resume();
    if (res.statusCode >= 200 && res.statusCode < 300) process.exit(0);
    fail(`GET ${path} -> ${res.statusCode}`);
  });
  req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out after ${TIMEOUT_MS}ms`)));
  req.on('error', (err) => fail(err.message));
}

if (process.env.HEALTH_FILE) checkHealthFile(process.env.HEALTH_FILE);
else checkHttp();
