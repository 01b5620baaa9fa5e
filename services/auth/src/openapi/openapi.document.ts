import { openApiErrorSchema, openApiKeySecurity, openApiKeySecuritySchemes } from '@vectorstack/http';
import type { z } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { listAuditQuery } from '../audit/audit.controller';
import { MAX_ALLOWLIST_ENTRIES } from '../keys/key.schemas';
import { createKeyBody, listKeysQuery, rotateKeyBody, updateKeyBody } from '../keys/key.schemas';
import { createTenantBody, listTenantsQuery, updateTenantBody } from '../tenants/tenant.schemas';

type JsonSchema = Record<string, unknown>;

/** The request schemas are the zod schemas the routes validate with, so docs and behaviour cannot drift. */
function schemaOf(schema: z.ZodTypeAny): JsonSchema {
  // The cast to a plain signature avoids zod-to-json-schema's deep generic instantiation.
  const convert = zodToJsonSchema as unknown as (schema: unknown, options: object) => JsonSchema;
  const { $schema: _ignored, ...rest } = convert(schema, { target: 'openApi3', $refStrategy: 'none' });
  return rest;
}

function queryParameters(schema: z.ZodTypeAny): JsonSchema[] {
  const properties = (schemaOf(schema).properties ?? {}) as Record<string, JsonSchema>;
  return Object.entries(properties).map(([name, property]) => ({ name, in: 'query', required: false, schema: property }));
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: JsonSchema) => ({ content: { 'application/json': { schema } } });
const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const errors = Object.fromEntries(
  [
    ['400', 'Invalid request (invalid_request_error, with `param`)'],
    ['401', 'missing_api_key / invalid_api_key'],
    ['403', 'insufficient_scope'],
    ['404', 'Unknown id, or not visible to the caller (not_found)'],
    ['413', 'Body larger than HTTP_BODY_LIMIT_BYTES'],
  ].map(([status, description]) => [status, { description, ...json(ref('Error')) }]),
);
const ok = (status: string, description: string, schema: JsonSchema) => ({ [status]: { description, ...json(schema) }, ...errors });
const list = (item: string) => ({
  type: 'object',
  required: ['object', 'data', 'has_more'],
  properties: { object: { const: 'list' }, data: { type: 'array', items: ref(item) }, has_more: { type: 'boolean' } },
});
const timestamp = { type: ['integer', 'null'], description: 'unix seconds' };

export function buildOpenApiDocument(): JsonSchema {
  const apiKey = {
    type: 'object',
    properties: {
      object: { const: 'api_key' },
      id: { type: 'string', format: 'uuid' },
      name: { type: 'string' },
      display_prefix: { type: 'string', example: 'vsk_AbCd1234' },
      tenant_id: { type: 'string', format: 'uuid' },
      tier: { enum: Object.keys(MAX_ALLOWLIST_ENTRIES) },
      scopes: { type: 'array', items: { type: 'string' } },
      models: { type: 'array', items: { type: 'string' } },
      ip_allowlist: { type: 'array', items: { type: 'string' } },
      expires_at: timestamp,
      metadata: { type: 'object' },
      status: { enum: ['active', 'revoked'] },
      created_at: timestamp,
      updated_at: timestamp,
      last_rotated_at: timestamp,
      revoked_at: timestamp,
      previous_key_valid_until: timestamp,
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'VectorAIStack auth: tenants, API keys, audit',
      version: '1.0.0',
      description: `Keys are shown once. IP allowlist limits per tier: ${JSON.stringify(MAX_ALLOWLIST_ENTRIES)}.`,
    },
    security: openApiKeySecurity,
    components: {
      securitySchemes: openApiKeySecuritySchemes,
      schemas: {
        Error: openApiErrorSchema,
        Tenant: {
          type: 'object',
          properties: {
            object: { const: 'tenant' },
            id: { type: 'string', format: 'uuid' },
            name: { type: 'string' },
            status: { enum: ['active', 'disabled'] },
            created_at: timestamp,
            updated_at: timestamp,
          },
        },
        ApiKey: apiKey,
        ApiKeyWithSecret: { allOf: [ref('ApiKey'), { type: 'object', properties: { key: { type: 'string', description: 'the secret, shown only in this response' } } }] },
        AuditEvent: { type: 'object', properties: { object: { const: 'audit_event' }, id: { type: 'string' }, action: { type: 'string' }, at: timestamp } },
      },
    },
    paths: {
      '/v1/tenants': {
        post: { summary: 'Create a tenant (admin)', requestBody: json(schemaOf(createTenantBody)), responses: ok('201', 'Created', ref('Tenant')) },
        get: { summary: 'List tenants (admin)', parameters: queryParameters(listTenantsQuery), responses: ok('200', 'A page', list('Tenant')) },
      },
      '/v1/tenants/{id}': {
        parameters: [idParameter],
        get: { summary: 'Get a tenant (admin, or its own tenant admin)', responses: ok('200', 'The tenant', ref('Tenant')) },
        patch: { summary: 'Rename, disable or enable a tenant (admin)', requestBody: json(schemaOf(updateTenantBody)), responses: ok('200', 'Updated', ref('Tenant')) },
      },
      '/v1/keys': {
        post: { summary: 'Create an API key', requestBody: json(schemaOf(createKeyBody)), responses: ok('201', 'Created; `key` is shown only here', ref('ApiKeyWithSecret')) },
        get: { summary: 'List API keys of the caller’s tenant (admin: any)', parameters: queryParameters(listKeysQuery), responses: ok('200', 'A page', list('ApiKey')) },
      },
      '/v1/keys/{id}': {
        parameters: [idParameter],
        get: { summary: 'Get an API key', responses: ok('200', 'The key', ref('ApiKey')) },
        patch: { summary: 'Update an API key', requestBody: json(schemaOf(updateKeyBody)), responses: ok('200', 'Updated', ref('ApiKey')) },
        delete: {
          summary: 'Revoke an API key (immediate, idempotent)',
          responses: ok('200', 'Revoked', { type: 'object', properties: { id: { type: 'string' }, object: { const: 'api_key' }, status: { const: 'revoked' } } }),
        },
      },
      '/v1/keys/{id}/rotate': {
        parameters: [idParameter],
        post: {
          summary: 'Rotate: a new secret now, the old one valid for the grace period',
          requestBody: { required: false, ...json(schemaOf(rotateKeyBody)) },
          responses: ok('200', 'Rotated; `key` is shown only here', ref('ApiKeyWithSecret')),
        },
      },
      '/v1/audit': {
        get: { summary: 'List audit events (admin: all; tenant admin: own tenant)', parameters: queryParameters(listAuditQuery), responses: ok('200', 'A page', list('AuditEvent')) },
      },
    },
  };
}
