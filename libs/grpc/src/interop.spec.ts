/**
 * The node:http2 transport against @grpc/grpc-js, the reference Node implementation, both ways:
 * a grpc-js client calling GrpcServer, and createGrpcClient calling a grpc-js server. Plus the
 * protocol edges a unary server and client must get right.
 */
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AuthService, Tier, VerifyOutcome, VerifyRequestSchema, VerifyResponseSchema, type VerifyResponse } from '@vectorstack/contracts';
import { createGrpcClient, GrpcServer, GrpcStatus, GrpcStatusError } from './index';
import { frameMessage } from './wire';

const VERIFY = '/vectorstack.auth.v1.AuthService/Verify';
const encodeRequest = (apiKey: string) => Buffer.from(toBinary(VerifyRequestSchema, create(VerifyRequestSchema, { apiKey })));
const decodeResponse = (bytes: Buffer) => fromBinary(VerifyResponseSchema, bytes);

describe('gRPC interop with @grpc/grpc-js', () => {
  const server = new GrpcServer({ maxReceiveMessageBytes: 1_024 });
  let port: number;
  let lastDeadline = 0;

  beforeAll(async () => {
    server.addService(AuthService, {
      async verify(request, context) {
        lastDeadline = context.deadline;
        if (request.apiKey === 'denied') throw new GrpcStatusError(GrpcStatus.PERMISSION_DENIED, 'clé refusée: 100% sûr');
        if (request.apiKey === 'slow') await new Promise((resolve) => setTimeout(resolve, 500));
        return { outcome: VerifyOutcome.VALID, principal: { keyId: request.apiKey, tier: Tier.ENTERPRISE, scopes: ['chat', 'train'] } };
      },
    });
    port = await server.listen('127.0.0.1', 0);
  });

  afterAll(() => server.shutdown(1_000));

  function grpcJsCall(apiKey: string, deadlineMs = 2_000, path = VERIFY, request: Buffer = encodeRequest(apiKey)): Promise<VerifyResponse> {
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return new Promise<VerifyResponse>((resolve, reject) =>
      client.makeUnaryRequest(path, (bytes: Buffer) => bytes, decodeResponse, request, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (error, response) =>
        error ? reject(error) : resolve(response as VerifyResponse),
      ),
    ).finally(() => client.close());
  }

  it('serves a grpc-js client: the response, and the caller deadline reaching the handler', async () => {
    const before = Date.now();
    const response = await grpcJsCall('vsk_interop', 3_000);
    expect(response.outcome).toBe(VerifyOutcome.VALID);
    expect(response.principal).toMatchObject({ keyId: 'vsk_interop', tier: Tier.ENTERPRISE, scopes: ['chat', 'train'] });
    expect(lastDeadline).toBeGreaterThan(before + 2_500);
    expect(lastDeadline).toBeLessThan(Date.now() + 3_100);
  });

  it('gives a grpc-js client the status and the (percent-encoded) message of a GrpcStatusError', async () => {
    await expect(grpcJsCall('denied')).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED, details: 'clé refusée: 100% sûr' });
  });

  it('answers UNIMPLEMENTED for an unknown method and RESOURCE_EXHAUSTED for an oversize request', async () => {
    await expect(grpcJsCall('x', 2_000, '/vectorstack.auth.v1.AuthService/Nope')).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
    await expect(grpcJsCall('x', 2_000, VERIFY, encodeRequest('k'.repeat(4_000)))).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
  });

  it('answers DEADLINE_EXCEEDED when the handler outlives the caller deadline', async () => {
    await expect(grpcJsCall('slow', 100)).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
  });

  it('calls a grpc-js server from createGrpcClient, errors included', async () => {
    const reference = new grpc.Server();
    reference.addService(
      {
        verify: { path: VERIFY, requestStream: false, responseStream: false, requestSerialize: encodeRequest as never, requestDeserialize: (b: Buffer) => fromBinary(VerifyRequestSchema, b), responseSerialize: (m: VerifyResponse) => Buffer.from(toBinary(VerifyResponseSchema, m)), responseDeserialize: decodeResponse },
      },
      {
        verify: (call: grpc.ServerUnaryCall<{ apiKey: string }, VerifyResponse>, callback: grpc.sendUnaryData<VerifyResponse>) => {
          if (call.request.apiKey === 'gone') callback({ code: grpc.status.NOT_FOUND, details: 'no such key ✗' });
          else callback(null, create(VerifyResponseSchema, { outcome: VerifyOutcome.UNKNOWN, cacheTtlMs: 7 }));
        },
      },
    );
    const referencePort = await new Promise<number>((resolve, reject) => reference.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    const client = createGrpcClient(AuthService, `127.0.0.1:${referencePort}`, { deadlineMs: 2_000 });
    try {
      await expect(client.verify({ apiKey: 'any' })).resolves.toMatchObject({ outcome: VerifyOutcome.UNKNOWN, cacheTtlMs: 7 });
      await expect(client.verify({ apiKey: 'gone' })).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND, details: 'no such key ✗' });
    } finally {
      client.close();
      reference.forceShutdown();
    }
  });
});

describe('GrpcServer protocol edges', () => {
  const server = new GrpcServer();
  let port: number;

  beforeAll(async () => {
    server.addService(AuthService, { verify: async (request) => ({ outcome: VerifyOutcome.VALID, principal: { keyId: request.apiKey } }) });
    port = await server.listen('127.0.0.1', 0);
  });
  afterAll(() => server.shutdown(1_000));

  async function rawCall(headers: http2.OutgoingHttpHeaders, body: Buffer): Promise<{ headers: http2.IncomingHttpHeaders; trailers?: http2.IncomingHttpHeaders }> {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      return await new Promise((resolve, reject) => {
        const stream = session.request({ ':method': 'POST', ':path': VERIFY, 'content-type': 'application/grpc', te: 'trailers', ...headers });
        let responseHeaders: http2.IncomingHttpHeaders = {};
        let trailers: http2.IncomingHttpHeaders | undefined;
        stream.on('response', (h) => (responseHeaders = h));
        stream.on('trailers', (t) => (trailers = t));
        stream.on('data', () => undefined);
        stream.on('error', reject);
        stream.on('close', () => resolve({ headers: responseHeaders, trailers }));
        if (stream.writable) stream.end(body); // a GET request is already ended
      });
    } finally {
      session.close();
    }
  }

  it('refuses a request that is not gRPC with an HTTP status', async () => {
    expect((await rawCall({ 'content-type': 'application/json' }, Buffer.from('{}'))).headers[':status']).toBe(415);
    expect((await rawCall({ ':method': 'GET' }, Buffer.alloc(0))).headers[':status']).toBe(405);
  });

  it('answers a compressed, truncated, doubled or undecodable message with a gRPC status, not a crash', async () => {
    const message = Buffer.from(toBinary(VerifyRequestSchema, create(VerifyRequestSchema, { apiKey: 'k' })));
    const compressed = frameMessage(message);
    compressed[0] = 1;
    const status = async (body: Buffer) => Number((await rawCall({}, body)).headers['grpc-status']);
    expect(await status(compressed)).toBe(GrpcStatus.UNIMPLEMENTED);
    expect(await status(frameMessage(message).subarray(0, 4))).toBe(GrpcStatus.INTERNAL);
    expect(await status(Buffer.concat([frameMessage(message), frameMessage(message)]))).toBe(GrpcStatus.INTERNAL);
    expect(await status(frameMessage(Buffer.from([0xff, 0xff, 0xff])))).toBe(GrpcStatus.INVALID_ARGUMENT);
    // And the server still serves.
    const ok = await rawCall({}, frameMessage(message));
    expect(ok.trailers?.['grpc-status']).toBe('0');
  });
});

describe('createGrpcClient connection handling', () => {
  it('reconnects after the server restarts, and fails fast while it is down', async () => {
    const first = new GrpcServer();
    first.addService(AuthService, { verify: async () => ({ outcome: VerifyOutcome.VALID }) });
    const port = await first.listen('127.0.0.1', 0);
    const client = createGrpcClient(AuthService, `127.0.0.1:${port}`, { deadlineMs: 1_000 });
    try {
      expect((await client.verify({ apiKey: 'a' })).outcome).toBe(VerifyOutcome.VALID);
      await first.shutdown(100);

      const started = Date.now();
      await expect(client.verify({ apiKey: 'a' })).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
      await expect(client.verify({ apiKey: 'a' })).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
      expect(Date.now() - started).toBeLessThan(900); // refused, not left to the deadline

      const second = new GrpcServer();
      second.addService(AuthService, { verify: async () => ({ outcome: VerifyOutcome.UNKNOWN }) });
      await second.listen('127.0.0.1', port);
      try {
        let outcome: VerifyOutcome | undefined;
        for (const deadline = Date.now() + 10_000; outcome === undefined && Date.now() < deadline; ) {
          outcome = await client.verify({ apiKey: 'a' }).then(
            (response) => response.outcome,
            async () => void (await new Promise((resolve) => setTimeout(resolve, 50))),
          );
        }
        expect(outcome).toBe(VerifyOutcome.UNKNOWN);
      } finally {
        await second.shutdown(100);
      }
    } finally {
      client.close();
    }
    await expect(client.verify({ apiKey: 'a' })).rejects.toMatchObject({ code: GrpcStatus.CANCELLED });
  });

  it('multiplexes many concurrent calls over its one connection', async () => {
    const server = new GrpcServer();
    let connections = 0;
    server.addService(AuthService, {
      verify: async (request) => {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
        return { outcome: VerifyOutcome.VALID, principal: { keyId: request.apiKey } };
      },
    });
    const port = await server.listen('127.0.0.1', 0);
    (server as unknown as { server: http2.Http2Server }).server.on('session', () => (connections += 1));
    const client = createGrpcClient(AuthService, `127.0.0.1:${port}`, { deadlineMs: 5_000 });
    try {
      const keys = Array.from({ length: 500 }, (_, i) => `vsk_${i}`);
      const responses = await Promise.all(keys.map((apiKey) => client.verify({ apiKey })));
      expect(responses.map((response) => response.principal?.keyId)).toEqual(keys);
      expect(connections).toBe(1);
    } finally {
      client.close();
      await server.shutdown(1_000);
    }
  });

  it('lets calls in flight finish when the server shuts down gracefully', async () => {
    const server = new GrpcServer();
    server.addService(AuthService, {
      verify: async () => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        return { outcome: VerifyOutcome.VALID };
      },
    });
    const port = await server.listen('127.0.0.1', 0);
    const client = createGrpcClient(AuthService, `127.0.0.1:${port}`, { deadlineMs: 2_000 });
    try {
      const inFlight = client.verify({ apiKey: 'a' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await server.shutdown(2_000);
      expect((await inFlight).outcome).toBe(VerifyOutcome.VALID);
    } finally {
      client.close();
    }
  });
});
