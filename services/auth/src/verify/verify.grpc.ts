import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { verifyResponseFor } from '@vectorstack/auth-guard';
import { AuthService } from '@vectorstack/contracts';
import { GrpcServer, GrpcStatus, GrpcStatusError } from '@vectorstack/grpc';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth.config';
import { CachedKeyVerifier } from './cached-key-verifier';

/** Longest secret worth hashing; anything longer is not a key this platform issued. */
const MAX_API_KEY_LENGTH = 256;

/** gRPC `vectorstack.auth.v1.AuthService/Verify`: what other services ask when their key cache misses. */
@Injectable()
export class VerifyGrpcService implements OnModuleInit {
  constructor(
    private readonly server: GrpcServer,
    private readonly verifier: CachedKeyVerifier,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  onModuleInit(): void {
    this.server.addService(AuthService, {
      verify: async (request) => {
        if (request.apiKey.length === 0 || request.apiKey.length > MAX_API_KEY_LENGTH) {
          throw new GrpcStatusError(GrpcStatus.INVALID_ARGUMENT, `api_key must be 1 to ${MAX_API_KEY_LENGTH} characters`);
        }
        const ttls = { validMs: this.config.VERIFY_VALID_TTL_MS, refusedMs: this.config.VERIFY_REFUSED_TTL_MS };
        return verifyResponseFor(await this.verifier.evaluate(request.apiKey), ttls);
      },
    });
  }
}
