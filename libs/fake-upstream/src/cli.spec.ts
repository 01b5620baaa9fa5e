import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseCliArgs } from './cli-main';

describe('parseCliArgs', () => {
  it('reads the kind and options', () => {
    expect(parseCliArgs(['--kind', 'anthropic', '--port', '0', '--api-key', 'k', '--record-limit', '0', '--latency-ms', '5', '--stream-chunk-delay-ms', '2'])).toEqual({
      kind: 'anthropic',
      options: { port: 0, apiKey: 'k', recordLimit: 0, behaviour: { latencyMs: 5, streamChunkDelayMs: 2 } },
    });
  });

  it.each([
    [[], '--kind must be openai or anthropic'],
    [['--kind', 'gemini'], '--kind must be openai or anthropic'],
    [['--kind', 'openai', '--port', 'x'], '--port must be a non-negative integer'],
    [['--kind', 'openai', '--nope'], "Unknown option '--nope'"],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});

describe('cli.js as a separate process', () => {
  const root = join(__dirname, '../../..');
  let outDir: string;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    // Compile this lib's current sources the way its build target does, into a scratch directory.
    outDir = mkdtempSync(join(tmpdir(), 'fake-upstream-cli-'));
    execFileSync(join(root, 'node_modules/.bin/swc'), ['src', '-d', outDir, '--strip-leading-paths', '--config-file', '../../.swcrc', '--ignore', '**/*spec.ts', '--quiet'], {
      cwd: join(root, 'libs/fake-upstream'),
      stdio: 'pipe',
    });
  });

  afterAll(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    rmSync(outDir, { recursive: true, force: true });
  });

  it('prints one JSON line when listening, serves, and exits 0 on SIGTERM', async () => {
    const started = spawn(process.execPath, [join(outDir, 'cli.js'), '--kind', 'openai', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    child = started;
    const [line] = await new Promise<string[]>((resolve) => createInterface({ input: started.stdout as NodeJS.ReadableStream }).once('line', (first: string) => resolve([first])));
    const address = JSON.parse(line) as { kind: string; url: string; baseUrl: string; port: number; pid: number };
    expect(address).toEqual({ kind: 'openai', url: `http://127.0.0.1:${address.port}`, baseUrl: `http://127.0.0.1:${address.port}/v1`, port: expect.any(Number), pid: started.pid });

    const response = await fetch(`${address.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fake-model', messages: [{ role: 'user', content: 'ping' }] }),
    });
    expect(((await response.json()) as { choices: Array<{ message: { content: string } }> }).choices[0].message.content).toBe('You said: ping');

    const exited = new Promise<number | null>((resolve) => started.once('exit', (code) => resolve(code)));
    started.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
