import { type DynamicModule, Global, Module } from '@nestjs/common';
import { loadConfigOrExit, z } from '@vectorstack/config';

/** Variables only the auth service reads; the platform shape (PORT, DATABASE_URL, …) is loaded by runHttpService. */
export const authConfigShape = {
  /** Server-side secret of the HMAC-SHA-256 under which key secrets are stored. */
  KEY_HASH_SECRET: z.string().min(32, 'must be at least 32 characters'),
  /** Secret of the bootstrap platform admin key; wins over the file. */
  VECTORSTACK_ADMIN_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Where the bootstrap admin key is read from, or written to (mode 0600) when generated. */
  VECTORSTACK_ADMIN_KEY_FILE: z.string().min(1).optional(),
  /** How long a rotated-out secret keeps working unless the rotate call says otherwise. */
  KEY_ROTATION_GRACE_SECONDS: z.coerce.number().int().min(0).max(604_800).default(86_400),
  /**
   * How long other services may keep a Verify answer. A later change of the key still wins
   * at once: it reaches their cache over the key-state topic, which is consulted first.
   */
  VERIFY_VALID_TTL_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /** Negative answers (unknown, revoked…) are kept briefly, to blunt key-guessing floods. */
  VERIFY_REFUSED_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(2_000),
};

export type AuthConfig = z.infer<z.ZodObject<typeof authConfigShape>>;

export const AUTH_CONFIG = Symbol('AUTH_CONFIG');

/** Validated before any module is built: a bad variable stops the process with one line naming it. */
export function loadAuthConfig(env: Record<string, string | undefined> = process.env): AuthConfig {
  return loadConfigOrExit(authConfigShape, env);
}

@Global()
@Module({})
export class AuthConfigModule {
  static forRoot(config: AuthConfig): DynamicModule {
    return { module: AuthConfigModule, providers: [{ provide: AUTH_CONFIG, useValue: config }], exports: [AUTH_CONFIG] };
  }
}
