import { TIER_NAMES } from '@vectorstack/auth-guard';
import { z } from 'zod';
import { PROVIDERS, type CatalogDeployment, type CatalogEntry } from './catalog-entry';
import { credentialRefError, type CredentialPolicy } from './credential-ref';
import { normalizePrice } from './decimal';

/** Model ids are path segments of the admin routes: no slash. */
export const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** Aliases may look like Hugging Face names (`meta-llama/Llama-3.1-8B-Instruct`), which clients send as `model`. */
export const ALIAS = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/;
const DEPLOYMENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
/** `GET /v1/admin/models/openapi.json` is the catalog's OpenAPI document. */
export const RESERVED_MODEL_IDS: ReadonlySet<string> = new Set(['openapi.json']);
/** Query parameters that would carry a secret in the URL instead of in credential_ref. */
const SECRET_QUERY_PARAMETER = /key|token|secret|password|signature|auth/i;

export const DEFAULTS = { weight: 1, timeoutMs: 60_000, maxRetries: 2, ownedBy: 'vectorstack' } as const;

const modelId = z
  .string()
  .regex(MODEL_ID, 'must be 1-128 letters, digits, ".", "_", ":" or "-", starting with a letter or digit')
  .refine((id) => !RESERVED_MODEL_IDS.has(id), { message: 'is reserved' });
const alias = z.string().regex(ALIAS, 'must be 1-200 letters, digits, ".", "_", ":", "/" or "-", starting with a letter or digit');

const price = z.union([z.string(), z.number()], { invalid_type_error: 'must be a decimal string such as "0.0005" or a number' }).transform((value, ctx) => {
  const result = normalizePrice(value);
  if (!result.ok) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: result.reason });
    return z.NEVER;
  }
  return result.value;
});

/** http(s), a host, no user:password@, no fragment, no secret in the query; the trailing slash dropped. */
export function normalizeBaseUrl(value: string): { ok: true; value: string } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: 'must be an absolute http:// or https:// URL' };
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') return { ok: false, reason: 'must be an absolute http:// or https:// URL' };
  if (url.username || url.password) return { ok: false, reason: 'must not contain credentials; use credential_ref' };
  if (url.hash) return { ok: false, reason: 'must not have a fragment' };
  for (const name of url.searchParams.keys()) {
    if (SECRET_QUERY_PARAMETER.test(name)) return { ok: false, reason: `must not carry a credential in the query (${name}); use credential_ref` };
  }
  return { ok: true, value: `${url.origin}${url.pathname.replace(/\/+$/, '')}${url.search}` };
}

const baseUrl = z
  .string()
  .max(2048)
  .transform((value, ctx) => {
    const result = normalizeBaseUrl(value.trim());
    if (!result.ok) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: result.reason });
      return z.NEVER;
    }
    return result.value;
  });

/** Only the length here: what a reference may be is checked by specProblem (code invalid_credential_ref). */
const credentialRef = z.string().max(600);

/** Flags the second occurrence of a value, at its index. */
function noRepeats(what: string) {
  return (values: readonly string[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    values.forEach((value, index) => {
      if (seen.has(value)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [index], message: `'${value}' is listed twice in ${what}` });
      seen.add(value);
    });
  };
}

const deployment = z
  .object({
    id: z.string().regex(DEPLOYMENT_ID, 'must be 1-64 letters, digits, ".", "_", ":" or "-", starting with a letter or digit'),
    provider: z.enum(PROVIDERS),
    base_url: baseUrl,
    upstream_model: z.string().trim().min(1).max(256),
    credential_ref: credentialRef.nullable().default(null),
    weight: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1_000_000).default(DEFAULTS.weight),
    timeout_ms: z.number().int().min(100).max(600_000).default(DEFAULTS.timeoutMs),
    max_retries: z.number().int().min(0).max(10).default(DEFAULTS.maxRetries),
  })
  .strict();

/** The fields of a model entry, as the admin API and the YAML seed take them (snake_case, like the OpenAI API). */
const modelFields = {
  id: modelId,
  aliases: z.array(alias).max(32).superRefine(noRepeats('aliases')).default([]),
  display_name: z.string().trim().min(1).max(200).optional(),
  owned_by: z.string().trim().min(1).max(100).default(DEFAULTS.ownedBy),
  context_window: z.number().int().min(1).max(100_000_000),
  max_output_tokens: z.number().int().min(1).max(100_000_000),
  input_price_per_1k: price,
  output_price_per_1k: price,
  tiers: z
    .array(z.enum(TIER_NAMES))
    .min(1)
    .transform((tiers) => TIER_NAMES.filter((tier) => tiers.includes(tier)))
    .default([...TIER_NAMES]),
  disabled: z.boolean().default(false),
  disabled_message: z.string().trim().min(1).max(1000).nullable().default(null),
  fallbacks: z.array(modelId).max(16).superRefine(noRepeats('fallbacks')).default([]),
  deployments: z
    .array(deployment)
    .min(1, 'must list at least one deployment')
    .max(32)
    .superRefine((deployments, ctx) => {
      const seen = new Set<string>();
      deployments.forEach((d, index) => {
        if (seen.has(d.id)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [index, 'id'], message: `'${d.id}' is used by another deployment of this model` });
        seen.add(d.id);
      });
    }),
};

export const createModelBody = z.object(modelFields).strict();

/**
 * PUT replaces the whole entry. What GET returned can be sent back as is: `object`, `created`
 * and `updated_at` are ignored, `id` must match the path, and `version`, when given, must still
 * be the current one (409 otherwise), so a read-modify-write cannot overwrite a change it missed.
 */
export const replaceModelBody = z
  .object({
    ...modelFields,
    id: modelId.optional(),
    object: z.literal('model').optional(),
    created: z.number().optional(),
    updated_at: z.number().optional(),
    version: z.number().int().min(1).optional(),
  })
  .strict();

export const disableModelBody = z.object({ message: z.string().trim().min(1).max(1000).optional() }).strict();

export type CreateModelBody = z.infer<typeof createModelBody>;
export type ReplaceModelBody = z.infer<typeof replaceModelBody>;
export type DisableModelBody = z.infer<typeof disableModelBody>;
type DeploymentBody = z.infer<typeof deployment>;

/** What an admin or the seed file asks an entry to be: an entry without its bookkeeping. */
export type ModelSpec = Omit<CatalogEntry, 'createdAt' | 'updatedAt' | 'version'>;

function deploymentSpec(body: DeploymentBody): CatalogDeployment {
  return {
    id: body.id,
    provider: body.provider,
    baseUrl: body.base_url,
    upstreamModel: body.upstream_model,
    credentialRef: body.credential_ref,
    weight: body.weight,
    timeoutMs: body.timeout_ms,
    maxRetries: body.max_retries,
  };
}

export function specFromBody(body: Omit<CreateModelBody, 'id'>, id: string): ModelSpec {
  return {
    id,
    aliases: body.aliases,
    displayName: body.display_name ?? id,
    ownedBy: body.owned_by,
    contextWindow: body.context_window,
    maxOutputTokens: body.max_output_tokens,
    inputPricePer1k: body.input_price_per_1k,
    outputPricePer1k: body.output_price_per_1k,
    tiers: body.tiers,
    disabled: body.disabled,
    disabledMessage: body.disabled_message,
    fallbacks: body.fallbacks,
    deployments: body.deployments.map(deploymentSpec),
  };
}

/** A problem of one field of a request or seed entry, named the way the client wrote it. */
export interface FieldProblem {
  readonly code: 'invalid_value' | 'invalid_credential_ref';
  readonly param: string;
  readonly message: string;
}

/**
 * Rules the schema cannot check field by field: credential references (a plaintext secret is
 * refused here, before anything is written), and rules that span fields of one entry.
 */
export function specProblem(spec: ModelSpec, policy: CredentialPolicy): FieldProblem | undefined {
  for (const [index, deployment] of spec.deployments.entries()) {
    const problem = deployment.credentialRef === null ? undefined : credentialRefError(deployment.credentialRef, policy);
    if (problem) return { code: 'invalid_credential_ref', param: `deployments[${index}].credential_ref`, message: problem };
  }
  const selfAlias = spec.aliases.indexOf(spec.id);
  if (selfAlias >= 0) return { code: 'invalid_value', param: `aliases[${selfAlias}]`, message: `'${spec.id}' is the model's own id` };
  const selfFallback = spec.fallbacks.indexOf(spec.id);
  if (selfFallback >= 0) return { code: 'invalid_value', param: `fallbacks[${selfFallback}]`, message: 'a model cannot fall back to itself' };
  if (spec.maxOutputTokens > spec.contextWindow) {
    return { code: 'invalid_value', param: 'max_output_tokens', message: `must not exceed context_window (${spec.contextWindow})` };
  }
  if (!spec.disabled && spec.disabledMessage !== null) {
    return { code: 'invalid_value', param: 'disabled_message', message: 'only applies to a disabled model (set disabled: true, or use POST /v1/admin/models/{id}/disable)' };
  }
  return undefined;
}

/** Canonical JSON of what an entry says (bookkeeping left out): equal strings mean equal entries. */
export function specContent(spec: ModelSpec): string {
  const { id, aliases, displayName, ownedBy, contextWindow, maxOutputTokens, inputPricePer1k, outputPricePer1k, tiers, disabled, disabledMessage, fallbacks } =
    spec;
  const deployments = spec.deployments.map(({ id: deploymentId, provider, baseUrl, upstreamModel, credentialRef, weight, timeoutMs, maxRetries }) => ({
    deploymentId,
    provider,
    baseUrl,
    upstreamModel,
    credentialRef,
    weight,
    timeoutMs,
    maxRetries,
  }));
  return JSON.stringify({
    id,
    aliases,
    displayName,
    ownedBy,
    contextWindow,
    maxOutputTokens,
    inputPricePer1k,
    outputPricePer1k,
    tiers,
    disabled,
    disabledMessage,
    fallbacks,
    deployments,
  });
}
