import { type DynamicModule, Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
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
  /** Asked on a cache miss (gRPC Verify to the auth service). */
  verifier?: KeyVerifier;
  /** How long start-up waits for the cache to catch up before serving anyway. */
  catchUpTimeoutMs?: number;
}

const OPTIONS = Symbol('AUTH_GUARD_OPTIONS');

/** Starts following the key-state topic before the service listens, and stops it on shutdown. */
class KeyCacheLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(KeyStateFollower) private readonly follower: KeyStateFollower,
    @Inject(OPTIONS) private readonly options: AuthGuardOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.follower.start();
    const timeoutMs = this.options.catchUpTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.follower.caughtUp, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.follower.stop();
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
        KeyStateCache,
        {
          provide: KeyStateFollower,
          inject: [KeyStateCache, KafkaConnection, KafkaConsumerRunner],
          useFactory: (cache: KeyStateCache, connection: KafkaConnection, runner: KafkaConsumerRunner) =>
            new KeyStateFollower(cache, connection, runner, options.topic ?? Topics.apiKeyState, options.serviceName, createLogger(options.serviceName)),
        },
        {
          provide: PrincipalResolver,
          inject: [KeyStateCache],
          useFactory: (cache: KeyStateCache) => new PrincipalResolver(cache, options.hmacSecret, options.verifier),
        },
        ApiKeyGuard,
        KeyCacheLifecycle,
      ],
      exports: [KeyStateCache, KeyStateFollower, PrincipalResolver, ApiKeyGuard],
    };
  }
}
