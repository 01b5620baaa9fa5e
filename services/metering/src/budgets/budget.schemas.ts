import { z } from 'zod';
import { parseDecimal } from '../common/decimal';

/** Budgets are USD with at most 6 decimals, below 10^14. */
const BUDGET_INTEGER_DIGITS = 14;
const BUDGET_FRACTION_DIGITS = 6;

const usd = z
  .union([z.string(), z.number()], { invalid_type_error: 'must be a decimal string such as "100.00", a number, or null' })
  .transform((value, ctx) => {
    const parsed = parseDecimal(value, BUDGET_INTEGER_DIGITS, BUDGET_FRACTION_DIGITS);
    if (!parsed.ok) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: parsed.reason });
      return z.NEVER;
    }
    return parsed.value;
  });

/** PUT replaces the budget: a limit left out or null is no limit. */
export const budgetBody = z
  .object({
    soft_limit_usd: usd.nullable().optional(),
    hard_limit_usd: usd.nullable().optional(),
  })
  .strict()
  .transform((body) => ({ soft: body.soft_limit_usd ?? null, hard: body.hard_limit_usd ?? null }))
  .superRefine((body, ctx) => {
    // Exact comparison of canonical decimals without floats.
    if (body.soft !== null && body.hard !== null && compareDecimals(body.soft, body.hard) > 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['soft_limit_usd'], message: 'must not be above hard_limit_usd' });
    }
  });

export type BudgetLimits = z.infer<typeof budgetBody>;

const ID = /^[A-Za-z0-9._:-]{1,128}$/;

export const tenantQuery = z.object({ tenant_id: z.string().regex(ID, 'must be a tenant id').optional() }).strict();

/** Compares two canonical non-negative decimal strings ("12.5", "3") exactly. */
export function compareDecimals(a: string, b: string): number {
  const [ai = '0', af = ''] = a.split('.');
  const [bi = '0', bf = ''] = b.split('.');
  if (ai.length !== bi.length) return ai.length < bi.length ? -1 : 1;
  if (ai !== bi) return ai < bi ? -1 : 1;
  const width = Math.max(af.length, bf.length);
  const left = af.padEnd(width, '0');
  const right = bf.padEnd(width, '0');
  return left === right ? 0 : left < right ? -1 : 1;
}
