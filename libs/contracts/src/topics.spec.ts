import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ALL_TOPICS, deadLetterTopicName, isValidTopicName, Topics, UsageRecordedSchema, UsageSource } from './index';

describe('topic registry', () => {
  it('names every topic vectorstack.<domain>.<entity>.v<N>, uniquely', () => {
    for (const spec of ALL_TOPICS) expect(isValidTopicName(spec.name)).toBe(true);
    expect(new Set(ALL_TOPICS.map((t) => t.name)).size).toBe(ALL_TOPICS.length);
    expect(isValidTopicName('vectorstack.usage.recorded')).toBe(false);
    expect(isValidTopicName('other.usage.recorded.v1')).toBe(false);
    expect(deadLetterTopicName(Topics.usageRecorded.name)).toBe('vectorstack.usage.recorded.v2.dlq');
  });

  it('compacts the topics that carry state and ages out the event topics', () => {
    const compacted = ALL_TOPICS.filter((t) => t.cleanupPolicy === 'compact').map((t) => t.name);
    expect(compacted.sort()).toEqual([Topics.apiKeyState.name, Topics.modelRegistered.name, Topics.modelCatalog.name, Topics.budgetStatus.name].sort());
    for (const spec of ALL_TOPICS.filter((t) => t.cleanupPolicy === 'delete')) expect(spec.retentionMs).toBeGreaterThan(0);
  });

  it('round-trips a usage event through its protobuf schema', () => {
    const event = create(UsageRecordedSchema, {
      eventId: 'e1',
      tenantId: 't1',
      source: UsageSource.ROUTER,
      promptTokens: 12n,
      completionTokens: 20n,
      totalTokens: 32n,
    });
    const decoded = fromBinary(UsageRecordedSchema, toBinary(UsageRecordedSchema, event));
    expect(decoded.totalTokens).toBe(32n);
    expect(decoded.source).toBe(UsageSource.ROUTER);
  });
});
