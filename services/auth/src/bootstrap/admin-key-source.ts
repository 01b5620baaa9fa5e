import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { generateKeySecret } from '../keys/api-key-secret';

export const DEFAULT_ADMIN_KEY_FILE = '.state/secrets/admin-key';

export interface AdminKeySource {
  secret: string;
  origin: 'env' | 'file' | 'generated';
  file?: string;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * The bootstrap admin secret: VECTORSTACK_ADMIN_KEY, else the file, else a new key written
 * to the file (mode 0600, exclusive create so replicas starting together agree on one).
 */
export async function resolveAdminKey(env: { VECTORSTACK_ADMIN_KEY?: string; VECTORSTACK_ADMIN_KEY_FILE?: string }): Promise<AdminKeySource> {
  if (env.VECTORSTACK_ADMIN_KEY) return { secret: env.VECTORSTACK_ADMIN_KEY, origin: 'env' };
  const file = resolve(env.VECTORSTACK_ADMIN_KEY_FILE ?? DEFAULT_ADMIN_KEY_FILE);
  try {
    const secret = (await readFile(file, 'utf8')).trim();
    if (secret) return { secret, origin: 'file', file };
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const generated = generateKeySecret();
  try {
    await writeFile(file, `${generated}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(file, 0o600);
    return { secret: generated, origin: 'generated', file };
  } catch (error) {
    // Another replica won the race (or an empty file was there): use what is on disk.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const secret = (await readFile(file, 'utf8')).trim();
    if (!secret) throw new Error(`admin key file ${file} is empty; delete it or set VECTORSTACK_ADMIN_KEY`);
    return { secret, origin: 'file', file };
  }
}
