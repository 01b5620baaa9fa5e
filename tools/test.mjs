#!/usr/bin/env node
// `npm test`: the whole suite (unit + integration + end-to-end) on real infrastructure.
// 1. brings the platform up with the same command as `npm start` (installs dependencies,
//    builds, starts Postgres/Redis/Kafka/nginx, runs migrations, starts every service);
// 2. runs Jest with the platform's environment (DATABASE_URL, REDIS_URL, KAFKA_BROKERS, ...);
// 3. ends with one line totalling every suite: "N passed, N failed, N skipped".
// Extra arguments go to Jest, e.g. `npm test -- libs/http`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const vs = join(root, 'deploy/local/vs.mjs');
const resultsFile = join(root, '.state/test-results.json');
const chaosResultsFile = join(root, '.state/test-results-chaos.json');

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function platformEnv() {
  const result = spawnSync(process.execPath, [vs, 'env', '--json'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`vs.mjs env failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

function summarise(file) {
  if (!existsSync(file)) return { passed: 0, failed: 1, skipped: 0 };
  const report = JSON.parse(readFileSync(file, 'utf8'));
  // A suite that failed to load counts as a failure even though it ran no test.
  const brokenSuites = report.testResults.filter((suite) => suite.status === 'failed' && suite.assertionResults.length === 0).length;
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests + brokenSuites,
    skipped: report.numPendingTests + report.numTodoTests,
  };
}

let exitCode = 1;
let platformUp = false;
try {
  rmSync(resultsFile, { force: true });
  rmSync(chaosResultsFile, { force: true });
  platformUp = run(process.execPath, [vs, 'up']) === 0;
  if (platformUp) {
    const env = { ...process.env, ...platformEnv(), NODE_ENV: 'test' };
    mkdirSync(dirname(resultsFile), { recursive: true });
    const jest = join(root, 'node_modules/jest/bin/jest.js');
    // Paths given narrow both runs; a run they match nothing in passes empty (the total below
    // must not be 0 though).
    const extra = process.argv.slice(2);
    // Unit, integration and end-to-end suites in parallel, then the chaos suites one at a time on
    // their own: they stop Kafka or kill a service, which suites running alongside would see.
    // (--selectProjects comes last: it takes every argument after it as a project name.)
    const jestArgs = ['--ci', '--maxWorkers=2', '--passWithNoTests', '--json', `--outputFile=${resultsFile}`, ...extra, '--selectProjects', 'unit', 'integration', 'e2e'];
    exitCode = run(process.execPath, [jest, ...jestArgs], { env });
    const chaos = run(process.execPath, [jest, '--ci', '--runInBand', '--passWithNoTests', '--json', `--outputFile=${chaosResultsFile}`, ...extra, '--selectProjects', 'chaos'], { env });
    if (exitCode === 0) exitCode = chaos;
  } else {
    console.error('The platform did not come up; see the messages above (and `npm run logs -- <component>`).');
  }
} finally {
  // In CI nothing may outlive the run; locally the platform stays up for the next run.
  if (process.env.CI === 'true' && process.env.VS_KEEP_RUNNING !== 'true') run(process.execPath, [vs, 'down']);
}
const main = summarise(resultsFile);
const chaos = existsSync(chaosResultsFile) ? summarise(chaosResultsFile) : { passed: 0, failed: 0, skipped: 0 };
const [passed, failed, skipped] = [main.passed + chaos.passed, main.failed + chaos.failed, main.skipped + chaos.skipped];
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
if (platformUp && passed + failed + skipped === 0) console.error(`no test matched ${process.argv.slice(2).join(' ') || 'anything'}`);
process.exit(exitCode === 0 && failed === 0 && passed + failed + skipped > 0 ? 0 : 1);
