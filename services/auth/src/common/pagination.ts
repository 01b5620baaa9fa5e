import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { z } from 'zod';
import { authError } from './auth-errors';
import { uuidSchema } from './request-parsing';

/** `limit` 1–100 (default 20) and `after` (the id of the last item of the previous page). */
export const paginationShape = {
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: uuidSchema.optional(),
};

export interface ListPage<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
}

/**
 * Keyset pagination, newest first, on (timeColumn, id). The cursor row is looked up in
 * `table`, so a cursor that does not exist (or is not visible) is a 400 on `after`.
 */
export async function fetchPage<E extends ObjectLiteral>(
  query: SelectQueryBuilder<E>,
  options: { alias: string; table: string; timeColumn: string; limit: number; after?: string },
): Promise<{ rows: E[]; hasMore: boolean }> {
  const { alias, table, timeColumn, limit, after } = options;
  if (after) {
    const exists = await query.clone().andWhere(`${alias}.id = :cursorId`, { cursorId: after }).getExists();
    if (!exists) throw authError('invalid_cursor', `Unknown cursor '${after}'.`, 'after');
    query.andWhere(`(${alias}.${timeColumn}, ${alias}.id) < (SELECT c.${timeColumn}, c.id FROM ${table} c WHERE c.id = :cursorId)`, {
      cursorId: after,
    });
  }
  const rows = await query
    .orderBy(`${alias}.${timeColumn}`, 'DESC')
    .addOrderBy(`${alias}.id`, 'DESC')
    .take(limit + 1)
    .getMany();
  return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
}

export function listPage<T>(data: T[], hasMore: boolean): ListPage<T> {
  return { object: 'list', data, has_more: hasMore };
}
