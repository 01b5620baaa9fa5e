import { openApiErrorSchema, openApiKeySecurity, openApiKeySecuritySchemes } from '@vectorstack/http';
import { TIER_NAMES } from '@vectorstack/auth-guard';
import type { z } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { PROVIDERS } from '../catalog/catalog-entry';
import { createModelBody, disableModelBody, replaceModelBody } from '../catalog/model.schemas';

type JsonSchema = Record<string, unknown>;

/** The request schemas are the zod schemas the routes validate with, so docs and behaviour cannot drift. */
function schemaOf(schema: z.ZodTypeAny): JsonSchema {
  // The cast to a plain signature avoids zod-to-json-schema's deep generic instantiation.
  const convert = zodToJsonSchema as unknown as (schema: unknown, options: object) => JsonSchema;
  const { $schema: _ignored, ...rest } = convert(schema, { target: 'openApi3', $refStrategy: 'none' });
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: JsonSchema) => ({ content: { 'application/json': { schema } } });
const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const error = (description: string) => ({ description, ...json(ref('Error')) });
const common = {
  '401': error('missing_api_key / invalid_api_key'),
  '403': error('insufficient_scope (and the codes below where listed)'),
};
const decimal = { type: 'string', description: 'USD per 1,000 tokens, exact decimal', example: '0.0005' };
const unix = { type: 'integer', description: 'unix seconds' };

export function buildOpenApiDocument(): JsonSchema {
  const deployment = {
    type: 'object',
    properties: {
      id: { type: 'string' },
      provider: { enum: [...PROVIDERS] },
      base_url: { type: 'string', format: 'uri' },
      upstream_model: { type: 'string' },
      credential_ref: { type: ['string', 'null'], description: "'env:NAME' or 'file:/path' of a mounted secret; never the credential" },
      weight: { type: 'integer' },
      timeout_ms: { type: 'integer' },
      max_retries: { type: 'integer' },
    },
  };
  const adminModel = {
    type: 'object',
    properties: {
      object: { const: 'model' },
      id: { type: 'string' },
      aliases: { type: 'array', items: { type: 'string' } },
      display_name: { type: 'string' },
      owned_by: { type: 'string' },
      context_window: { type: 'integer' },
      max_output_tokens: { type: 'integer' },
      input_price_per_1k: decimal,
      output_price_per_1k: decimal,
      tiers: { type: 'array', items: { enum: [...TIER_NAMES] } },
      disabled: { type: 'boolean' },
      disabled_message: { type: ['string', 'null'] },
      fallbacks: { type: 'array', items: { type: 'string' } },
      deployments: { type: 'array', items: ref('Deployment') },
      created: unix,
      updated_at: unix,
      version: { type: 'integer', description: 'increases with every change; send it back with PUT to refuse lost updates' },
    },
  };
  const publicModel = {
    type: 'object',
    required: ['id', 'object', 'created', 'owned_by'],
    properties: {
      id: { type: 'string' },
      object: { const: 'model' },
      created: unix,
      owned_by: { type: 'string' },
      display_name: { type: 'string' },
      aliases: { type: 'array', items: { type: 'string' } },
      context_window: { type: 'integer' },
      max_output_tokens: { type: 'integer' },
      pricing: { type: 'object', properties: { currency: { const: 'USD' }, input_per_1k: decimal, output_per_1k: decimal } },
    },
  };
  const list = (item: string) => ({ type: 'object', properties: { object: { const: 'list' }, data: { type: 'array', items: ref(item) } } });
  const admin = (responses: Record<string, unknown>) => ({ ...responses, ...common, '404': error('model_not_found') });
  return {
    openapi: '3.1.0',
    info: {
      title: 'VectorAIStack router: model catalog',
      version: '1.0.0',
      description:
        'GET /v1/models lists the enabled models the key may use (allow-list and tier). /v1/admin/models manages the catalog (admin scope); ' +
        'changes reach every router replica within a second.',
    },
    security: openApiKeySecurity,
    components: {
      securitySchemes: openApiKeySecuritySchemes,
      schemas: {
        Error: openApiErrorSchema,
        Model: publicModel,
        AdminModel: adminModel,
        Deployment: deployment,
      },
    },
    paths: {
      '/v1/models': {
        get: { summary: 'Models this key may use (scope chat or embeddings)', responses: { '200': { description: 'OpenAI model list', ...json(list('Model')) }, ...common } },
      },
      '/v1/models/{id}': {
        parameters: [idParameter],
        get: {
          summary: 'One model, by id or alias',
          responses: {
            '200': { description: 'The model', ...json(ref('Model')) },
            ...common,
            '403': error('insufficient_scope, model_access_denied (tier or allow-list), MODEL_DISABLED (with alternatives in the message)'),
            '404': error('model_not_found'),
          },
        },
      },
      '/v1/admin/models': {
        get: { summary: 'Every catalog entry, deployments included', responses: { '200': { description: 'All entries', ...json(list('AdminModel')) }, ...common } },
        post: {
          summary: 'Create an entry',
          requestBody: json(schemaOf(createModelBody)),
          responses: {
            '201': { description: 'Created', ...json(ref('AdminModel')) },
            '400': error('invalid_value / unknown_parameter / invalid_credential_ref / unknown_fallback, with `param`'),
            '409': error('model_exists / alias_taken'),
            ...common,
          },
        },
      },
      '/v1/admin/models/{id}': {
        parameters: [idParameter],
        get: { summary: 'One entry', responses: admin({ '200': { description: 'The entry', ...json(ref('AdminModel')) } }) },
        put: {
          summary: 'Replace an entry (what GET returned may be sent back; `version` guards against lost updates)',
          requestBody: json(schemaOf(replaceModelBody)),
          responses: admin({
            '200': { description: 'Replaced', ...json(ref('AdminModel')) },
            '400': error('invalid request, with `param`'),
            '409': error('alias_taken / version_conflict'),
          }),
        },
        delete: {
          summary: 'Delete an entry',
          responses: admin({
            '200': { description: 'Deleted', ...json({ type: 'object', properties: { id: { type: 'string' }, object: { const: 'model' }, deleted: { const: true } } }) },
            '409': error('model_in_use: another entry falls back to it'),
          }),
        },
      },
      '/v1/admin/models/{id}/disable': {
        parameters: [idParameter],
        post: {
          summary: 'Disable: requests get 403 MODEL_DISABLED with the message (or are served by the fallbacks)',
          requestBody: { required: false, ...json(schemaOf(disableModelBody)) },
          responses: admin({ '200': { description: 'Disabled', ...json(ref('AdminModel')) } }),
        },
      },
      '/v1/admin/models/{id}/enable': {
        parameters: [idParameter],
        post: { summary: 'Enable again', responses: admin({ '200': { description: 'Enabled', ...json(ref('AdminModel')) } }) },
      },
      '/v1/admin/models/openapi.json': { get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } } },
    },
  };
}
