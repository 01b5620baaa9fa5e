import { z } from 'zod';
import { paginationShape } from '../common/pagination';

const tenantName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'must start with a letter or digit and contain only letters, digits, spaces, ".", "_" and "-"');

export const createTenantBody = z.object({ name: tenantName }).strict();

export const updateTenantBody = z
  .object({ name: tenantName.optional(), status: z.enum(['active', 'disabled']).optional() })
  .strict();

export const listTenantsQuery = z.object(paginationShape).strict();

export type CreateTenantBody = z.infer<typeof createTenantBody>;
export type UpdateTenantBody = z.infer<typeof updateTenantBody>;
