import { Topics } from '@vectorstack/contracts';
import { assertValidTopicName, isValidKafkaTopicName, newTestRunId, testTopic, withTopicName } from './topic-names';

describe('topic names', () => {
  it('accepts registry names and their dead-letter topics', () => {
    expect(isValidKafkaTopicName('vectorstack.usage.recorded.v1')).toBe(true);
    expect(isValidKafkaTopicName('vectorstack.usage.recorded.v1.dlq')).toBe(true);
  });

  it.each(['usage.recorded.v1', 'vectorstack.usage.recorded', 'vectorstack.usage.recorded.v1.dlq.dlq', 'vectorstack.Usage.recorded.v1', '.dlq'])(
    'rejects %s',
    (name) => {
      expect(isValidKafkaTopicName(name)).toBe(false);
      expect(() => assertValidTopicName(name)).toThrow(/Invalid Kafka topic name/);
    },
  );

  it('builds a valid per-run test topic that keeps the spec', () => {
    const spec = testTopic(Topics.usageRecorded, newTestRunId());
    expect(spec.name).toMatch(/^vectorstack\.test-[a-z0-9-]+\.usage-recorded\.v2$/);
    expect(isValidKafkaTopicName(spec.name)).toBe(true);
    expect(spec.schema).toBe(Topics.usageRecorded.schema);
    expect(spec.partitions).toBe(Topics.usageRecorded.partitions);
  });

  it('sanitises odd run ids', () => {
    expect(testTopic(Topics.apiKeyState, 'Run_42!').name).toBe('vectorstack.test-run-42.auth-api-key-state.v1');
  });

  it('refuses to rename a spec to an invalid name', () => {
    expect(() => withTopicName(Topics.usageRecorded, 'my-topic')).toThrow();
  });
});
