/**
 * The local platform's command line (deploy/local/vs.mjs) as the end-to-end and chaos suites
 * drive it: `vs(...)`, `npm run status --json`, the environment it exports, and waiting.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const root = join(__dirname, '../..');
const vsScript = join(root, 'deploy/local/vs.mjs');

export interface ManifestEntry {
  name: string;
  port?: number;
  worker?: boolean;
  entry: string;
}

export interface ComponentStatus {
  component: string;
  state: 'up' | 'down';
  ready: boolean;
  pid: number | null;
  port: number | null;
}

export const manifest: ManifestEntry[] = JSON.parse(readFileSync(join(root, 'deploy/services.json'), 'utf8')).services;

export function vs(...args: string[]) {
  return spawnSync(process.execPath, [vsScript, ...args], { cwd: root, encoding: 'utf8', env: process.env, timeout: 240_000 });
}

export function status(): { code: number; components: ComponentStatus[] } {
  const result = vs('status', '--json');
  return { code: result.status ?? -1, components: JSON.parse(result.stdout) as ComponentStatus[] };
}

export const platformEnv: Record<string, string> = JSON.parse(vs('env', '--json').stdout);

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
