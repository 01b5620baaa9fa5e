import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from './env';

/** Ports freePort() has handed out in this process: the OS may offer a closed one again at once. */
const handedOut = new Set<number>();

/**
 * A port nothing listens on right now (the OS picks it), and not one this process was given
 * before — two replicas started at the same moment must not get the same port.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await anyFreePort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface ServiceProcess {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  /** Everything the process wrote, for diagnostics. */
  output(): string;
  stop(): Promise<void>;
}

/** Attempts at start-up when the ports picked turn out to be taken (see startServiceProcess). */
const START_ATTEMPTS = 3;

/**
 * Starts one more replica of a built service (services/<name>/dist/main.js) as its own OS process,
 * with the platform's environment (the test process's own) and fresh ports, and waits until its
 * /readyz answers 200. Each replica follows Kafka with its own consumer groups, like a new pod.
 *
 * A port freePort() found free can be taken before the replica binds it (by another replica
 * started at the same moment, or as the local port of an outgoing connection): a replica that
 * exits with EADDRINUSE is started again on new ports.
 */
export async function startServiceProcess(name: string, env: Record<string, string> = {}, readyTimeoutMs = 60_000): Promise<ServiceProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(name, env, readyTimeoutMs);
    } catch (error) {
      if (attempt >= START_ATTEMPTS || !(error instanceof PortTakenError)) throw error;
    }
  }
}

class PortTakenError extends Error {}

async function startOnce(name: string, env: Record<string, string>, readyTimeoutMs: number): Promise<ServiceProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [join(REPO_ROOT, 'services', name, 'dist', 'main.js')], {
    env: { ...process.env, SERVICE_NAME: name, HOST: '127.0.0.1', PORT: String(port), GRPC_PORT: String(await freePort()), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // 'close': the process has exited and its output has all been read.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      await closed;
      const message = `${name} replica exited (${child.exitCode}) during start-up:\n${output}`;
      throw output.includes('EADDRINUSE') ? new PortTakenError(message) : new Error(message);
    }
    const ready = await fetch(`${url}/readyz`).then((res) => res.status === 200, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} replica not ready within ${readyTimeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    name,
    url,
    pid: child.pid ?? -1,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
