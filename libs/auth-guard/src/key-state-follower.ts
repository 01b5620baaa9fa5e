import type { GenMessage } from '@bufbuild/protobuf/codegenv2';
import type { ApiKeyState, TopicSpec } from '@vectorstack/contracts';
import { CompactedTopicFollower, type KafkaConnection, type KafkaConsumerRunner, type KafkaLogger } from '@vectorstack/kafka';
import type { KeyStateCache } from './key-state-cache';

/**
 * Keeps a KeyStateCache in step with the compacted key-state topic (every replica reads it
 * whole, then follows it); `caughtUp` resolves once it was read up to where it ended at start,
 * so a replica does not serve before it knows the keys.
 */
export class KeyStateFollower extends CompactedTopicFollower<GenMessage<ApiKeyState>> {
  constructor(
    cache: KeyStateCache,
    connection: KafkaConnection,
    runner: KafkaConsumerRunner,
    topic: TopicSpec<GenMessage<ApiKeyState>>,
    serviceName: string,
    logger?: KafkaLogger,
  ) {
    super({
      connection,
      runner,
      topic,
      logger,
      groupIdPrefix: `vectorstack-${serviceName}-key-cache`,
      label: 'key cache',
      caughtUpFields: () => ({ keys: cache.size }),
      onValue: (state) => cache.apply(state),
      onTombstone: (keyId) => cache.remove(keyId),
    });
  }
}
