import { grpcAuthority } from './client';
import { GrpcStatus } from './errors';
import { decodeGrpcMessage, encodeGrpcMessage, formatTimeout, frameMessage, parseStatus, parseTimeout, statusFromHttp, unframeMessage } from './wire';

describe('gRPC wire helpers', () => {
  it('reads every grpc-timeout unit and ignores malformed values', () => {
    expect(parseTimeout('2H')).toBe(7_200_000);
    expect(parseTimeout('3M')).toBe(180_000);
    expect(parseTimeout('5S')).toBe(5_000);
    expect(parseTimeout('250m')).toBe(250);
    expect(parseTimeout('1500u')).toBe(1.5);
    expect(parseTimeout('2000000n')).toBe(2);
    for (const bad of [undefined, '', '10', 'm', '123456789m', '-1m', '1.5S', ['5S']]) expect(parseTimeout(bad as string | undefined)).toBeUndefined();
  });

  it('writes a deadline as at most 8 digits', () => {
    expect(formatTimeout(499.2)).toBe('500m');
    expect(formatTimeout(-3)).toBe('0m');
    expect(formatTimeout(100_000_000)).toBe('100000S');
  });

  it('percent-encodes grpc-message as the spec says, and decodes it back', () => {
    expect(encodeGrpcMessage('plain: text (ok)')).toBe('plain: text (ok)');
    expect(encodeGrpcMessage('100% é\n')).toBe('100%25 %C3%A9%0A');
    expect(decodeGrpcMessage(encodeGrpcMessage('clé ✗ 50%'))).toBe('clé ✗ 50%');
    expect(decodeGrpcMessage('broken %E0%A4%A')).toBe('broken %E0%A4%A');
  });

  it('frames one message and rejects anything else', () => {
    const framed = frameMessage(Buffer.from('abc'));
    expect([...framed]).toEqual([0, 0, 0, 0, 3, 97, 98, 99]);
    expect(unframeMessage(framed)).toEqual({ ok: true, message: Buffer.from('abc') });
    expect(unframeMessage(Buffer.alloc(0))).toMatchObject({ ok: false, code: GrpcStatus.INTERNAL });
    expect(unframeMessage(framed.subarray(0, 6))).toMatchObject({ ok: false, code: GrpcStatus.INTERNAL });
    expect(unframeMessage(Buffer.concat([framed, framed]))).toMatchObject({ ok: false, code: GrpcStatus.INTERNAL });
    expect(unframeMessage(Buffer.from([1, 0, 0, 0, 0]))).toMatchObject({ ok: false, code: GrpcStatus.UNIMPLEMENTED });
  });

  it('accepts the address forms the services are configured with', () => {
    expect(grpcAuthority('auth:50051')).toBe('http://auth:50051');
    expect(grpcAuthority('dns:///auth.vectorstack.svc:50051')).toBe('http://auth.vectorstack.svc:50051');
    expect(grpcAuthority('http://127.0.0.1:50051')).toBe('http://127.0.0.1:50051');
    expect(grpcAuthority('[::1]:50051')).toBe('http://[::1]:50051');
  });

  it('maps statuses', () => {
    expect(parseStatus('7')).toBe(GrpcStatus.PERMISSION_DENIED);
    expect(parseStatus('99')).toBe(GrpcStatus.UNKNOWN);
    expect(parseStatus(undefined)).toBeUndefined();
    expect(statusFromHttp(503)).toBe(GrpcStatus.UNAVAILABLE);
    expect(statusFromHttp(404)).toBe(GrpcStatus.UNIMPLEMENTED);
    expect(statusFromHttp(418)).toBe(GrpcStatus.UNKNOWN);
  });
});
