import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { BudgetScope, BudgetState, BudgetStatusSchema } from '@vectorstack/contracts';
import { blockRowFor } from './budget-status.consumer';

const KEY = '0190a3c2-7f6e-7a1b-8c2d-3e4f5a6b7c8d';
const TENANT = '0190a3c2-7f6e-7a1b-8c2d-000000000001';
const status = (fields: Parameters<typeof create<typeof BudgetStatusSchema>>[1]) =>
  create(BudgetStatusSchema, { scope: BudgetScope.KEY, subjectId: KEY, tenantId: TENANT, month: '2026-12', version: 1n, ...fields });

describe('blockRowFor', () => {
  it('keeps blocked_until of a hard state', () => {
    const until = new Date('2027-01-01T00:00:00Z');
    expect(blockRowFor(status({ state: BudgetState.HARD_EXCEEDED, blockedUntil: timestampFromDate(until) }))).toEqual({
      ok: true,
      row: { scope: 'key', state: 'hard_exceeded', blockedUntil: until },
    });
  });

  it('ends a hard state without blocked_until at the start of the month after its own (December rolls into January)', () => {
    expect(blockRowFor(status({ state: BudgetState.HARD_EXCEEDED }))).toEqual({
      ok: true,
      row: { scope: 'key', state: 'hard_exceeded', blockedUntil: new Date('2027-01-01T00:00:00Z') },
    });
  });

  it('records soft and within states without a block', () => {
    expect(blockRowFor(status({ scope: BudgetScope.TENANT, subjectId: TENANT, state: BudgetState.SOFT_EXCEEDED }))).toEqual({
      ok: true,
      row: { scope: 'tenant', state: 'soft_exceeded', blockedUntil: null },
    });
  });

  it.each([
    ['an unknown scope', { scope: BudgetScope.UNSPECIFIED, state: BudgetState.WITHIN }],
    ['an unknown state', { state: BudgetState.UNSPECIFIED }],
    ['a subject that is not a key id', { subjectId: 'key-1', state: BudgetState.WITHIN }],
    ['a hard state with neither blocked_until nor a month', { state: BudgetState.HARD_EXCEEDED, month: '' }],
  ])('refuses %s', (_case, fields) => {
    expect(blockRowFor(status(fields))).toMatchObject({ ok: false });
  });
});
