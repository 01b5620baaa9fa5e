import type { DescMessage } from '@bufbuild/protobuf';
import { deadLetterTopicName, isValidTopicName, type TopicSpec } from '@vectorstack/contracts';

const DLQ_SUFFIX = deadLetterTopicName('');

/** A source topic name, or the dead-letter topic of one (`<source>.dlq`). */
export function isValidKafkaTopicName(name: string): boolean {
  if (name.endsWith(DLQ_SUFFIX)) {
    return isValidTopicName(name.slice(0, -DLQ_SUFFIX.length));
  }
  return isValidTopicName(name);
}

export function assertValidTopicName(name: string): void {
  if (!isValidKafkaTopicName(name)) {
    throw new Error(
      `Invalid Kafka topic name "${name}": expected vectorstack.<domain>.<entity>.v<N> (optionally with a ${DLQ_SUFFIX} suffix)`,
    );
  }
}

/** The same topic definition under another name (tests use it for per-run topics). */
export function withTopicName<S extends DescMessage>(spec: TopicSpec<S>, name: string): TopicSpec<S> {
  assertValidTopicName(name);
  return { ...spec, name };
}

/**
 * A per-run copy of a topic, e.g. `vectorstack.test-k3x9f2.usage-recorded.v1`, so every test run
 * starts from empty topics. The domain segment carries the run id, keeping the name valid.
 */
export function testTopic<S extends DescMessage>(spec: TopicSpec<S>, runId: string): TopicSpec<S> {
  const [, domain, entity, version] = spec.name.split('.');
  const safeRunId = runId.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return withTopicName(spec, `vectorstack.test-${safeRunId}.${domain}-${entity}.${version}`);
}

/** A short random id for `testTopic` and consumer group names. */
export function newTestRunId(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}
