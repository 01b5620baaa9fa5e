import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredentialReader, CredentialUnavailableError, credentialRefError, parseCredentialRef } from './credential-ref';

const policy = { fileDirs: ['/var/run/secrets', '/run/secrets'] };

describe('credential references', () => {
  it('accepts env:NAME and absolute, normalised file paths', () => {
    expect(parseCredentialRef('env:OPENAI_API_KEY')).toEqual({ kind: 'env', name: 'OPENAI_API_KEY' });
    expect(parseCredentialRef('file:/var/run/secrets/openai/api-key')).toEqual({ kind: 'file', path: '/var/run/secrets/openai/api-key' });
  });

  it.each([
    'sk-proj-abcdefghijklmnop',
    'Bearer sk-123',
    'env:',
    'env:1ABC',
    'env:OPENAI-KEY',
    'file:relative/path',
    'file:/var/run/secrets/../../etc/passwd',
    'file:/var/run/secrets/dir/',
    'file:/',
    'https://vault.example.com/secret',
    'ENV:OPENAI_API_KEY',
  ])('refuses %s', (ref) => {
    expect(parseCredentialRef(ref)).toBeUndefined();
    expect(credentialRefError(ref, policy)).toMatch(/credential reference/);
  });

  it("refuses the platform's own secrets, files outside the allowed directories and the service-account token", () => {
    expect(credentialRefError('env:KEY_HASH_SECRET', policy)).toMatch(/platform's own setting/);
    expect(credentialRefError('env:DATABASE_URL', policy)).toMatch(/platform's own setting/);
    expect(credentialRefError('env:OTEL_EXPORTER_OTLP_HEADERS', policy)).toMatch(/platform's own setting/);
    expect(credentialRefError('file:/etc/passwd', policy)).toMatch(/must be a file under \/var\/run\/secrets, \/run\/secrets/);
    expect(credentialRefError('file:/var/run/secretsX/key', policy)).toMatch(/must be a file under/);
    expect(credentialRefError('file:/var/run/secrets/kubernetes.io/serviceaccount/token', policy)).toMatch(/service-account/);
    expect(credentialRefError('env:OPENAI_API_KEY', policy)).toBeUndefined();
    expect(credentialRefError('file:/run/secrets/openai', policy)).toBeUndefined();
  });
});

describe('CredentialReader', () => {
  it('reads variables at call time and says which one is missing without leaking values', () => {
    const env: NodeJS.ProcessEnv = { OPENAI_API_KEY: 'sk-live' };
    const reader = new CredentialReader(policy, env);
    expect(reader.read(null)).toBeUndefined();
    expect(reader.read('env:OPENAI_API_KEY')).toBe('sk-live');
    env.OPENAI_API_KEY = 'sk-rotated';
    expect(reader.read('env:OPENAI_API_KEY')).toBe('sk-rotated');
    expect(() => reader.read('env:GROQ_API_KEY')).toThrow(CredentialUnavailableError);
    expect(() => reader.read('env:GROQ_API_KEY')).toThrow('environment variable GROQ_API_KEY is not set');
    expect(() => reader.read('env:KEY_HASH_SECRET')).toThrow(/platform's own setting/);
  });

  it('reads mounted secrets, trimmed, and picks up a rotation after the refresh interval', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-'));
    try {
      const file = join(dir, 'api-key');
      writeFileSync(file, 'first\n');
      let now = 0;
      const reader = new CredentialReader({ fileDirs: [dir] }, {}, () => now);
      expect(reader.read(`file:${file}`)).toBe('first');
      writeFileSync(file, 'second\n');
      expect(reader.read(`file:${file}`)).toBe('first');
      now += 5_000;
      expect(reader.read(`file:${file}`)).toBe('second');
      expect(() => reader.read(`file:${join(dir, 'missing')}`)).toThrow(/ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
