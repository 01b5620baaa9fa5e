/**
 * The parts of the gRPC-over-HTTP/2 protocol a unary call needs
 * (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md): length-prefixed messages,
 * `grpc-timeout`, `grpc-status`/`grpc-message`, and what an HTTP status means when a response
 * carries no gRPC status.
 */
import { GrpcStatus } from './errors';

export const GRPC_CONTENT_TYPE = 'application/grpc+proto';

/** One uncompressed length-prefixed message: flag byte 0, 4-byte big-endian length, bytes. */
export function frameMessage(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

export type UnframeResult = { ok: true; message: Buffer } | { ok: false; code: GrpcStatus; reason: string };

/** The single message of a unary request or response body. */
export function unframeMessage(body: Buffer): UnframeResult {
  if (body.length < 5) return { ok: false, code: GrpcStatus.INTERNAL, reason: body.length === 0 ? 'no message' : 'truncated message prefix' };
  if (body[0] !== 0) return { ok: false, code: GrpcStatus.UNIMPLEMENTED, reason: 'compressed messages are not supported' };
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length) return { ok: false, code: GrpcStatus.INTERNAL, reason: 'truncated message' };
  if (body.length > 5 + length) return { ok: false, code: GrpcStatus.INTERNAL, reason: 'more than one message in a unary call' };
  return { ok: true, message: body.subarray(5) };
}

const TIMEOUT_UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000001 };

/** `grpc-timeout` in milliseconds, or undefined when absent or malformed (then no deadline). */
export function parseTimeout(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * TIMEOUT_UNIT_MS[match[2]!]!;
}

/** A `grpc-timeout` value for a deadline `ms` from now (at most 8 digits, as the spec requires). */
export function formatTimeout(ms: number): string {
  const whole = Math.max(0, Math.ceil(ms));
  return whole < 100_000_000 ? `${whole}m` : `${Math.ceil(whole / 1_000)}S`;
}

/** `grpc-message` is percent-encoded: every UTF-8 byte outside printable ASCII, and `%` itself. */
export function encodeGrpcMessage(message: string): string {
  if (/^[\x20-\x24\x26-\x7e]*$/.test(message)) return message;
  let encoded = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    encoded += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

export function decodeGrpcMessage(value: string | string[] | undefined): string {
  if (typeof value !== 'string') return '';
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The status a client reports for an HTTP response without `grpc-status` (from the gRPC spec's table). */
export function statusFromHttp(httpStatus: number): GrpcStatus {
  switch (httpStatus) {
    case 400:
      return GrpcStatus.INTERNAL;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcStatus.UNAVAILABLE;
    default:
      return GrpcStatus.UNKNOWN;
  }
}

/** A `grpc-status` header value as a code; anything unparseable is UNKNOWN. */
export function parseStatus(value: string | string[] | undefined): GrpcStatus | undefined {
  if (value === undefined) return undefined;
  const code = Number(Array.isArray(value) ? value[0] : value);
  return Number.isInteger(code) && code >= 0 && code <= 16 ? (code as GrpcStatus) : GrpcStatus.UNKNOWN;
}
