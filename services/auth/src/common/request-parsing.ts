import { parseOrThrow } from '@vectorstack/http';
import { z } from 'zod';
import { authError } from './auth-errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids in paths: anything that is not a uuid cannot exist, so it is a 404 like an unknown id. */
export function pathIdOrNotFound(id: string, what: string): string {
  if (!UUID.test(id)) throw authError('not_found', `No ${what} with id '${id}'.`);
  return id.toLowerCase();
}

export const uuidSchema = z.string().regex(UUID, 'must be a uuid').transform((value) => value.toLowerCase());

/** Validates query parameters (always an object, possibly empty). */
export function parseQuery<S extends z.ZodTypeAny>(schema: S, query: unknown): z.infer<S> {
  return parseOrThrow(schema, query ?? {});
}

/** For routes whose body may be omitted entirely. */
export function parseOptionalBody<S extends z.ZodTypeAny>(schema: S, body: unknown): z.infer<S> {
  return parseOrThrow(schema, body === undefined || body === null || body === '' ? {} : body);
}

/** Unix seconds, the OpenAI convention for timestamps. */
export function unixSeconds(date: Date): number;
export function unixSeconds(date: Date | null): number | null;
export function unixSeconds(date: Date | null): number | null {
  return date === null ? null : Math.floor(date.getTime() / 1000);
}
