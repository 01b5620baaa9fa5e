import { create } from '@bufbuild/protobuf';
import { UsageRecordedSchema } from '@vectorstack/contracts';
import { usageAction } from './usage-action';

const usage = (fields: Partial<{ keyId: string; requestId: string; totalTokens: bigint; httpStatus: number; rateLimitSettled: boolean }>) =>
  create(UsageRecordedSchema, { keyId: 'key-1', requestId: 'req-1', totalTokens: 120n, httpStatus: 200, ...fields });

describe('usageAction', () => {
  it('reconciles a served request to its actual total tokens', () => {
    expect(usageAction(usage({}))).toEqual({ kind: 'reconcile', keyId: 'key-1', requestId: 'req-1', actualTokens: 120 });
  });

  it('releases a failed request that used no tokens', () => {
    expect(usageAction(usage({ httpStatus: 502, totalTokens: 0n }))).toEqual({ kind: 'release', keyId: 'key-1', requestId: 'req-1' });
  });

  it('charges a failed request for the tokens it did use (a stream cut half-way)', () => {
    expect(usageAction(usage({ httpStatus: 500, totalTokens: 40n }))).toMatchObject({ kind: 'reconcile', actualTokens: 40 });
  });

  it('reconciles a successful request with zero tokens to zero (embeddings of nothing, cached answers)', () => {
    expect(usageAction(usage({ totalTokens: 0n }))).toMatchObject({ kind: 'reconcile', actualTokens: 0 });
  });

  it('ignores events that cannot name a reservation', () => {
    expect(usageAction(usage({ keyId: '' })).kind).toBe('ignore');
    expect(usageAction(usage({ requestId: '' })).kind).toBe('ignore');
  });

  it('ignores a request its publisher settled itself (admitted from the router\'s quota lease), served or failed', () => {
    expect(usageAction(usage({ rateLimitSettled: true }))).toEqual({ kind: 'ignore', reason: 'settled by its publisher (a quota lease)' });
    expect(usageAction(usage({ rateLimitSettled: true, httpStatus: 502, totalTokens: 0n })).kind).toBe('ignore');
  });
});
