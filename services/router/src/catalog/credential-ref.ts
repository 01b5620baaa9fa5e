import { readFileSync } from 'node:fs';
import { posix } from 'node:path';

/**
 * Deployments name where their credential is, never the credential: `env:NAME` (a variable of
 * the router's environment) or `file:/path` (a mounted Kubernetes/Docker secret). Anything else
 * is refused before it can reach the database.
 */
export type CredentialRef = { readonly kind: 'env'; readonly name: string } | { readonly kind: 'file'; readonly path: string };

export const CREDENTIAL_REF_HINT =
  "must be a credential reference, 'env:VARIABLE_NAME' or 'file:/absolute/path' of a mounted secret; the credential itself is never stored";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_PATH = 512;

/** The syntax of a reference; undefined for anything else (a pasted key, a URL, a relative path…). */
export function parseCredentialRef(ref: string): CredentialRef | undefined {
  if (ref.startsWith('env:')) {
    const name = ref.slice(4);
    return ENV_NAME.test(name) ? { kind: 'env', name } : undefined;
  }
  if (ref.startsWith('file:')) {
    const path = ref.slice(5);
    const wellFormed =
      path.startsWith('/') && path.length > 1 && path.length <= MAX_PATH && !path.includes('\0') && !path.endsWith('/') && posix.normalize(path) === path;
    return wellFormed ? { kind: 'file', path } : undefined;
  }
  return undefined;
}

/** Which references this router may read (from ROUTER_CREDENTIAL_DIRS). */
export interface CredentialPolicy {
  /** Absolute directories a `file:` reference must be inside. */
  readonly fileDirs: readonly string[];
}

/**
 * The router's own secrets are not upstream credentials: a catalog entry naming them would send
 * them to whatever base_url the entry has. The same goes for the pod's service-account token.
 */
const PLATFORM_VARIABLES = new Set(['KEY_HASH_SECRET', 'DATABASE_URL', 'REDIS_URL', 'VECTORSTACK_ADMIN_KEY', 'VECTORSTACK_ADMIN_KEY_FILE']);
const PLATFORM_VARIABLE_PREFIXES = ['OTEL_'];
const FORBIDDEN_DIRS = ['/var/run/secrets/kubernetes.io', '/run/secrets/kubernetes.io'];

function inside(path: string, dir: string): boolean {
  const base = dir.endsWith('/') ? dir : `${dir}/`;
  return path.startsWith(base);
}

/** Why this router may not use the reference, or undefined when it may. */
export function credentialRefProblem(ref: CredentialRef, policy: CredentialPolicy): string | undefined {
  if (ref.kind === 'env') {
    if (PLATFORM_VARIABLES.has(ref.name) || PLATFORM_VARIABLE_PREFIXES.some((prefix) => ref.name.startsWith(prefix))) {
      return `may not name the platform's own setting ${ref.name}`;
    }
    return undefined;
  }
  if (FORBIDDEN_DIRS.some((dir) => inside(ref.path, dir))) return 'may not name the Kubernetes service-account credentials';
  if (!policy.fileDirs.some((dir) => inside(ref.path, dir))) {
    return `must be a file under ${policy.fileDirs.join(', ') || '(no directory: ROUTER_CREDENTIAL_DIRS is empty)'} (ROUTER_CREDENTIAL_DIRS)`;
  }
  return undefined;
}

/** The message of a reference the router cannot use: syntax first, then policy. */
export function credentialRefError(ref: string, policy: CredentialPolicy): string | undefined {
  const parsed = parseCredentialRef(ref);
  if (!parsed) return CREDENTIAL_REF_HINT;
  return credentialRefProblem(parsed, policy);
}

/** A deployment's credential cannot be read right now (variable unset, file missing). The message never holds a secret. */
export class CredentialUnavailableError extends Error {
  constructor(
    readonly ref: string,
    reason: string,
  ) {
    super(`credential ${ref} is unavailable: ${reason}`);
    this.name = 'CredentialUnavailableError';
  }
}

/** Mounted secrets change in place when rotated; re-read at most this often. */
const FILE_REFRESH_MS = 5_000;

/**
 * Turns a deployment's reference into the credential's value at call time. Variables are read
 * from the environment on every call; files are cached briefly so a rotated Kubernetes secret is
 * picked up without a restart.
 */
export class CredentialReader {
  private readonly files = new Map<string, { value: string; readAt: number }>();

  constructor(
    private readonly policy: CredentialPolicy,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly now: () => number = Date.now,
  ) {}

  /** The value, or undefined when the reference is null (no credential needed). */
  read(ref: string | null): string | undefined {
    if (ref === null) return undefined;
    const parsed = parseCredentialRef(ref);
    if (!parsed) throw new CredentialUnavailableError(ref, 'not a credential reference');
    const problem = credentialRefProblem(parsed, this.policy);
    if (problem) throw new CredentialUnavailableError(ref, problem);
    if (parsed.kind === 'env') {
      const value = this.env[parsed.name];
      if (!value) throw new CredentialUnavailableError(ref, `environment variable ${parsed.name} is not set`);
      return value;
    }
    return this.readFile(ref, parsed.path);
  }

  private readFile(ref: string, path: string): string {
    const cached = this.files.get(path);
    if (cached && this.now() - cached.readAt < FILE_REFRESH_MS) return cached.value;
    let value: string;
    try {
      value = readFileSync(path, 'utf8').trim();
    } catch (error) {
      throw new CredentialUnavailableError(ref, (error as NodeJS.ErrnoException).code ?? 'unreadable');
    }
    if (!value) throw new CredentialUnavailableError(ref, 'the file is empty');
    this.files.set(path, { value, readAt: this.now() });
    return value;
  }
}
