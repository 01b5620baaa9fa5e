import { type DynamicModule, Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown, type Provider, type Type } from '@nestjs/common';
import type { GenMessage } from '@bufbuild/protobuf/codegenv2';
import { type ApiKeyState, Topics, type TopicSpec } from '@vectorstack/contracts';
import { KafkaConnection, KafkaConsumerRunner } from '@vectorstack/kafka';
import { createLogger } from '@vectorstack/observability';
import { ApiKeyGuard } from './api-key.guard';
import { KeyStateCache } from './key-state-cache';
import { KeyStateFollower } from './key-state-follower';
import { PrincipalResolver, type KeyVerifier } from './principal-resolver';

export interface AuthGuardOptions {
  serviceName: string;
  /** KEY_HASH_SECRET: the HMAC key under which secrets are hashed. */
  hmacSecret: string;
  /** The key-state topic (tests pass a per-run copy). */
  topic?: TopicSpec<GenMessage<ApiKeyState>>;
  /**
   * Asked on a cache miss: normally a GrpcKeyVerifier (the auth service's Verify);
   * the auth service passes its own Postgres-backed class, resolved with its dependencies.
   */
  verifier?: KeyVerifier | Type<KeyVerifier>;
  /**
   * The verifier is the source of truth (the auth service's own Postgres): ask it on every
   * request and skip the key cache, so the auth service's own routes see a revocation at once.
   */
  authoritativeVerifier?: boolean;
  /** How long start-up waits for the cache to catch up before serving anyway. */
  catchUpTimeoutMs?: number;
}

const OPTIONS = Symbol('AUTH_GUARD_OPTIONS');
const KEY_VERIFIER = Symbol('KEY_VERIFIER');

function verifierProvider(verifier: AuthGuardOptions['verifier']): Provider {
  if (typeof verifier === 'function') return { provide: KEY_VERIFIER, useClass: verifier };
  return { provide: KEY_VERIFIER, useValue: verifier };
}

/** Starts following the key-state topic before the service listens, and stops it on shutdown. */
class KeyCacheLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(KeyStateFollower) private readonly follower: KeyStateFollower,
    @Inject(OPTIONS) private readonly options: AuthGuardOptions,
    @Inject(KEY_VERIFIER) private readonly verifier: KeyVerifier | undefined,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.authoritativeVerifier) return;
    await this.follower.start();
    const timeoutMs = this.options.catchUpTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.follower.caughtUp, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.follower.stop();
    this.verifier?.close?.();
  }
}

/**
 * The shared authentication of every public service: a local key cache built from the
 * compacted key-state topic, the resolver (cache, then verifier) and `ApiKeyGuard`.
 * Needs KafkaModule (PlatformModule provides it for services that use Kafka).
 */
@Module({})
export class AuthGuardModule {
  static forRoot(options: AuthGuardOptions): DynamicModule {
    return {
      module: AuthGuardModule,
      global: true,
      providers: [
        { provide: OPTIONS, useValue: options },
        verifierProvider(options.verifier),
        KeyStateCache,
        {
          provide: KeyStateFollower,
          inject: [KeyStateCache, KafkaConnection, KafkaConsumerRunner],
          useFactory: (cache: KeyStateCache, connection: KafkaConnection, runner: KafkaConsumerRunner) =>
            new KeyStateFollower(cache, connection, runner, options.topic ?? Topics.apiKeyState, options.serviceName, createLogger(options.serviceName)),
        },
        {
          provide: PrincipalResolver,
          inject: [KeyStateCache, KEY_VERIFIER],
          useFactory: (cache: KeyStateCache, verifier: KeyVerifier | undefined) =>
            new PrincipalResolver(options.authoritativeVerifier ? undefined : cache, options.hmacSecret, verifier),
        },
        ApiKeyGuard,
        KeyCacheLifecycle,
      ],
      exports: [KeyStateCache, KeyStateFollower, PrincipalResolver, ApiKeyGuard],
    };
  }
}
