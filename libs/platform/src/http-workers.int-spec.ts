/**
 * HTTP_WORKERS on a service that also serves gRPC (auth): refused at start-up with a clear
 * message, since a gRPC port shared by several processes is not supported. (The router runs
 * clustered in services/router/src/http-workers.int-spec.ts.)
 */
import { startServiceProcess } from '@vectorstack/testing';

describe('HTTP_WORKERS on a service that serves gRPC', () => {
  it('exits non-zero at start-up and says why', async () => {
    await expect(startServiceProcess('auth', { HTTP_WORKERS: '2' }, 30_000)).rejects.toThrow(
      /auth replica exited \(1\) during start-up:[\s\S]*HTTP_WORKERS=2: auth serves gRPC and runs as one process; scale it with replicas/,
    );
  });
});
