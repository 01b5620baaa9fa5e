import { isIP } from 'node:net';
import { z } from 'zod';

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** A URL whose scheme is one of `protocols` and that names a host. */
export function urlWithScheme(protocols: readonly string[], example: string) {
  return z.string().refine(
    (value) => {
      const url = parseUrl(value);
      return url !== undefined && protocols.includes(url.protocol) && url.hostname !== '';
    },
    { message: `must be a ${protocols.join(' or ')}// URL, e.g. ${example}` },
  );
}

/** postgres://user:password@host:port/database */
export const postgresUrl = urlWithScheme(['postgres:', 'postgresql:'], 'postgres://user:password@127.0.0.1:5432/vectorstack').refine(
  (value) => (parseUrl(value)?.pathname.length ?? 0) > 1,
  { message: 'must name a database, e.g. postgres://user:password@127.0.0.1:5432/vectorstack' },
);

export const redisUrl = urlWithScheme(['redis:', 'rediss:'], 'redis://127.0.0.1:6379');

export const port = z.coerce.number().int().min(1).max(65535);

/** Comma-separated host:port list, e.g. "kafka-0:9092,kafka-1:9092". */
export const hostPortList = z
  .string()
  .transform((value) => value.split(',').map((entry) => entry.trim()).filter(Boolean))
  .refine((entries) => entries.length > 0 && entries.every((entry) => /^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(entry)), {
    message: 'must be a comma-separated list of host:port',
  });

/** One host:port, e.g. "auth:50051" (a gRPC target). */
export const hostPort = z.string().regex(/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/, 'must be host:port, e.g. auth:50051');

/** Returns true for an IPv4 or IPv6 CIDR such as 10.0.0.0/8 or ::1/128. */
export function isCidr(value: string): boolean {
  const [address, bits, ...rest] = value.split('/');
  if (rest.length > 0 || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
  const family = isIP(address);
  if (family === 0) return false;
  const prefix = Number(bits);
  return family === 4 ? prefix <= 32 : prefix <= 128;
}

/** Comma-separated CIDR list; empty means none. */
export const cidrList = z
  .string()
  .transform((value) => value.split(',').map((entry) => entry.trim()).filter(Boolean))
  .refine((entries) => entries.every(isCidr), { message: 'must be a comma-separated list of CIDRs, e.g. 10.0.0.0/8,::1/128' });

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
