import { Injectable, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { ApiError } from './api-error';

/** ['messages', 0, 'role'] → "messages[0].role" — the OpenAI `param` style. */
export function formatParamPath(path: ReadonlyArray<PropertyKey>): string | null {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out === '' ? null : out;
}

/** First zod issue as a 400 with `param` naming the offending field. */
export function zodErrorToApiError(error: z.ZodError): ApiError {
  const issue = error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    const param = formatParamPath([...issue.path, key]);
    return ApiError.badRequest(`Unrecognized request argument supplied: ${key}`, param, 'unknown_parameter');
  }
  const param = formatParamPath(issue.path);
  if (param === null && issue.code === 'invalid_type') {
    return ApiError.badRequest('The request body must be a JSON object.', null, 'invalid_body');
  }
  const missing = issue.code === 'invalid_type' && issue.received === 'undefined';
  if (missing) return ApiError.badRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
  const message = param === null ? issue.message : `Invalid '${param}': ${issue.message}`;
  return ApiError.badRequest(message, param, 'invalid_value');
}

/** Validates and parses with a zod schema; anything else is a client error. */
export function parseOrThrow<S extends z.ZodTypeAny>(schema: S, value: unknown): z.infer<S> {
  if (value === undefined || value === null) {
    throw ApiError.badRequest('A JSON request body is required.', null, 'missing_body');
  }
  const result = schema.safeParse(value);
  if (!result.success) throw zodErrorToApiError(result.error);
  return result.data;
}

/** `@Body(new ZodValidationPipe(schema))` */
@Injectable()
export class ZodValidationPipe<S extends z.ZodTypeAny> implements PipeTransform<unknown, z.infer<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.infer<S> {
    return parseOrThrow(this.schema, value);
  }
}
