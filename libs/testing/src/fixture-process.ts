import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT } from './env';

// Loaded with `node -e` in the child: compiles .ts on require with @swc/core (already a
// devDependency, the same compiler Jest uses) and maps @vectorstack/<lib> to its sources, so
// fixtures run from source without a build step or an extra register package.
const REGISTER_AND_RUN = `
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const { transformSync } = require('@swc/core');
const root = process.env.VS_REPO_ROOT;
const swcrc = JSON.parse(fs.readFileSync(path.join(root, '.swcrc'), 'utf8'));
delete swcrc.$schema;
const originalResolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const lib = /^@vectorstack\\/([a-z-]+)$/.exec(request);
  return originalResolve.call(this, lib ? path.join(root, 'libs', lib[1], 'src', 'index.ts') : request, ...rest);
};
require.extensions['.ts'] = function (module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), { ...swcrc, filename, swcrc: false, sourceMaps: 'inline' });
  module._compile(code, filename);
};
require(process.env.VS_FIXTURE);
`;

/** A TypeScript fixture running in its own Node process, reporting JSON lines (`{"event": ...}`) on stdout. */
export class FixtureProcess {
  readonly events: Array<Record<string, unknown>> = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private stdout = '';
  private stderr = '';
  private readonly waiters = new Set<() => void>();

  constructor(fixturePath: string, env: Record<string, string>) {
    this.child = spawn(process.execPath, ['-e', REGISTER_AND_RUN], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env, VS_REPO_ROOT: REPO_ROOT, VS_FIXTURE: fixturePath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffered = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      this.stdout += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line.startsWith('{')) this.events.push(JSON.parse(line) as Record<string, unknown>);
      }
      this.waiters.forEach((wake) => wake());
    });
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        this.waiters.forEach((wake) => wake());
        resolve(code);
      }),
    );
  }

  /** The first event named `name` (rejects if the process exits first or the time runs out). */
  waitFor(name: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`fixture did not report "${name}" within ${timeoutMs} ms: ${this.stderr.slice(-2_000)}`)), timeoutMs);
      const finish = (error?: Error, event?: Record<string, unknown>): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (error) reject(error);
        else resolve(event as Record<string, unknown>);
      };
      const check = (): void => {
        const event = this.events.find((e) => e.event === name);
        if (event) finish(undefined, event);
        else if (this.child.exitCode !== null) finish(new Error(`fixture exited (${this.child.exitCode}) before "${name}": ${this.stderr.slice(-2_000)}`));
      };
      this.waiters.add(check);
      check();
    });
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  get stdoutText(): string {
    return this.stdout;
  }

  get stderrText(): string {
    return this.stderr;
  }
}
