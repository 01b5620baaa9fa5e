import { AuthService } from '@vectorstack/contracts';
import { createGrpcClient, type GrpcClient } from '@vectorstack/grpc';
import type { KeyVerifier } from './principal-resolver';
import { evaluationFromVerifyResponse } from './verify-codec';

/** Asks the auth service's gRPC Verify about keys this replica's cache does not hold. */
export class GrpcKeyVerifier implements KeyVerifier {
  private readonly client: GrpcClient<(typeof AuthService)['method']>;

  constructor(address: string, deadlineMs: number) {
    this.client = createGrpcClient(AuthService, address, { deadlineMs });
  }

  async verify(secret: string) {
    const response = await this.client.verify({ apiKey: secret });
    return { evaluation: evaluationFromVerifyResponse(response), cacheTtlMs: response.cacheTtlMs };
  }

  close(): void {
    this.client.close();
  }
}
