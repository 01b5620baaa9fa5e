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
};

export type AuthConfig = z.infer<z.ZodObject<typeof authConfigShape>>;

export const AUTH_CONFIG = Symbol('AUTH_CONFIG');

/** Validated at module construction, i.e. before anything connects: a bad variable stops the process with one line. */
@Global()
@Module({})
export class AuthConfigModule {
  static forRoot(env: Record<string, string | undefined> = process.env): DynamicModule {
    const config = loadConfigOrExit(authConfigShape, env);
    return { module: AuthConfigModule, providers: [{ provide: AUTH_CONFIG, useValue: config }], exports: [AUTH_CONFIG] };
  }
}
