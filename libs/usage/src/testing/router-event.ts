import type { MessageInitShape } from '@bufbuild/protobuf';
import { type UsageRecordedSchema, UsageSource } from '@vectorstack/contracts';

/** A streamed router usage event with every field set but its event id: the encoding and decoding tests' sample. */
export const routerEvent = {
  requestId: 'b3c5e7d1-2f4a-4c6e-8a0b-1d3f5a7c9e0b',
  source: UsageSource.ROUTER,
  tenantId: '0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000',
  keyId: '0190aaaa-bbbb-7ccc-8ddd-eeeeffff0001',
  model: 'gpt-4o-mini',
  deployment: 'gpt-4o-mini/openai-a',
  provider: 'openai-compatible',
  promptTokens: 12n,
  completionTokens: 345n,
  totalTokens: 357n,
  latencyMs: 812,
  timeToFirstTokenMs: 96,
  httpStatus: 200,
  streamed: true,
  reservedTokens: 4_108n,
  occurredAt: { seconds: 1_795_354_864n, nanos: 123_000_000 },
  endpoint: '/v1/chat/completions',
  rateLimitSettled: true,
} satisfies MessageInitShape<typeof UsageRecordedSchema>;
