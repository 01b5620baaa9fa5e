import { Topics } from '@vectorstack/contracts';
import { diffConfigs, planTopics, replicationFactorFromEnv } from './admin';

describe('planTopics', () => {
  it('plans a compacted topic that actually compacts, plus its dead-letter topic', () => {
    const [source, dlq] = planTopics(Topics.apiKeyState);
    expect(source).toMatchObject({ name: 'vectorstack.auth.api-key-state.v1', partitions: 3 });
    expect(source!.configs).toMatchObject({ 'cleanup.policy': 'compact', 'segment.ms': '3600000' });
    expect(source!.configs['retention.ms']).toBeUndefined();
    expect(dlq).toEqual({
      name: 'vectorstack.auth.api-key-state.v1.dlq',
      partitions: 3,
      configs: { 'cleanup.policy': 'delete', 'retention.ms': String(14 * 24 * 3600 * 1000) },
    });
  });

  it('plans event topics with their retention and min ISR on replicated clusters', () => {
    const [source] = planTopics(Topics.usageRecorded, 3);
    expect(source!.configs).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': String(7 * 24 * 3600 * 1000), 'min.insync.replicas': '2' });
  });
});

describe('diffConfigs', () => {
  it('lists only managed configs that differ', () => {
    expect(diffConfigs({ 'cleanup.policy': 'compact', 'segment.ms': '1' }, { 'cleanup.policy': 'delete', 'segment.ms': '1', other: 'x' })).toEqual({
      'cleanup.policy': { from: 'delete', to: 'compact' },
    });
  });
});

describe('replicationFactorFromEnv', () => {
  it('defaults to 1 and rejects nonsense', () => {
    expect(replicationFactorFromEnv({})).toBe(1);
    expect(replicationFactorFromEnv({ KAFKA_REPLICATION_FACTOR: '3' })).toBe(3);
    expect(() => replicationFactorFromEnv({ KAFKA_REPLICATION_FACTOR: 'two' })).toThrow(/KAFKA_REPLICATION_FACTOR/);
  });
});
