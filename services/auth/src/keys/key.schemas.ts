import { isIP } from 'node:net';
import { isCidr } from '@vectorstack/config';
import { z } from 'zod';
import { paginationShape } from '../common/pagination';
import { uuidSchema } from '../common/request-parsing';
import { SCOPES, TIERS, type TierName } from './api-key.entity';

/** Most CIDRs a key of each tier may carry in its IP allowlist. */
export const MAX_ALLOWLIST_ENTRIES: Record<TierName, number> = { free: 1, starter: 5, pro: 20, enterprise: 100 };
export const MAX_METADATA_BYTES = 4096;
export const MAX_ROTATION_GRACE_SECONDS = 604_800;

/** A CIDR, or a bare address taken as a single-host CIDR (/32, /128). */
export function normaliseCidr(value: string): string | undefined {
  const trimmed = value.trim();
  if (isCidr(trimmed)) return trimmed;
  const family = isIP(trimmed);
  if (family === 4) return `${trimmed}/32`;
  if (family === 6) return `${trimmed}/128`;
  return undefined;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** RFC 3339 string or unix seconds → Date; undefined when it is neither. */
export function parseTimestamp(value: string | number): Date | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? new Date(value * 1000) : undefined;
  if (!RFC3339.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

export function metadataSize(metadata: Record<string, unknown>): number {
  return Buffer.byteLength(JSON.stringify(metadata), 'utf8');
}

const name = z.string().trim().min(1).max(200);
const tier = z.enum(TIERS);
const scopes = z
  .array(z.enum(SCOPES))
  .min(1)
  .max(SCOPES.length)
  .transform((list) => [...new Set(list)]);
const models = z.array(z.string().trim().min(1).max(200)).max(200);
const ipAllowlist = z.array(z.string().max(64)).superRefine((entries, ctx) => {
  entries.forEach((entry, index) => {
    if (normaliseCidr(entry) === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [index], message: `'${entry}' is not a valid IPv4/IPv6 address or CIDR` });
    }
  });
}).transform((entries) => [...new Set(entries.map((entry) => normaliseCidr(entry) as string))]);
const expiresAt = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const date = parseTimestamp(value);
    if (!date) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be an RFC 3339 timestamp or unix seconds' });
      return z.NEVER;
    }
    if (date.getTime() <= Date.now()) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be in the future' });
      return z.NEVER;
    }
    return date;
  });
const metadata = z.record(z.string(), z.unknown()).refine((value) => metadataSize(value) <= MAX_METADATA_BYTES, {
  message: `must be at most ${MAX_METADATA_BYTES} bytes as JSON`,
});

export const createKeyBody = z
  .object({
    name,
    tenant_id: uuidSchema.optional(),
    tier,
    scopes,
    models: models.default([]),
    ip_allowlist: ipAllowlist.default([]),
    expires_at: expiresAt.nullable().optional(),
    metadata: metadata.default({}),
  })
  .strict();

export const updateKeyBody = z
  .object({
    name: name.optional(),
    tier: tier.optional(),
    scopes: scopes.optional(),
    models: models.optional(),
    ip_allowlist: ipAllowlist.optional(),
    expires_at: expiresAt.nullable().optional(),
    metadata: metadata.optional(),
  })
  .strict();

export const rotateKeyBody = z.object({ grace_seconds: z.number().int().min(0).max(MAX_ROTATION_GRACE_SECONDS).optional() }).strict();

export const listKeysQuery = z.object({ ...paginationShape, tenant_id: uuidSchema.optional() }).strict();

export type CreateKeyBody = z.infer<typeof createKeyBody>;
export type UpdateKeyBody = z.infer<typeof updateKeyBody>;
export type RotateKeyBody = z.infer<typeof rotateKeyBody>;
