import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveAdminKey } from './admin-key-source';

describe('resolveAdminKey', () => {
  const dir = mkdtempSync(join(tmpdir(), 'admin-key-'));

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prefers VECTORSTACK_ADMIN_KEY', async () => {
    const file = join(dir, 'unused');
    expect(await resolveAdminKey({ VECTORSTACK_ADMIN_KEY: 'vsk_env', VECTORSTACK_ADMIN_KEY_FILE: file })).toEqual({ secret: 'vsk_env', origin: 'env' });
  });

  it('reads the file when it exists', async () => {
    const file = join(dir, 'existing');
    writeFileSync(file, 'vsk_fromfile\n');
    expect(await resolveAdminKey({ VECTORSTACK_ADMIN_KEY_FILE: file })).toMatchObject({ secret: 'vsk_fromfile', origin: 'file' });
  });

  it('generates a key into a new 0600 file, and reads it back next time', async () => {
    const file = join(dir, 'nested', 'admin-key');
    const first = await resolveAdminKey({ VECTORSTACK_ADMIN_KEY_FILE: file });
    expect(first.origin).toBe('generated');
    expect(first.secret).toMatch(/^vsk_[A-Za-z0-9_-]{43}$/);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.secret);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await resolveAdminKey({ VECTORSTACK_ADMIN_KEY_FILE: file })).toMatchObject({ secret: first.secret, origin: 'file' });
  });
});
