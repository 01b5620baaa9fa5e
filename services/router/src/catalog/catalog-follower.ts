import type { GenMessage } from '@bufbuild/protobuf/codegenv2';
import type { ModelCatalogEntry, TopicSpec } from '@vectorstack/contracts';
import { CompactedTopicFollower, type KafkaConnection, type KafkaConsumerRunner, type KafkaLogger } from '@vectorstack/kafka';
import type { CatalogCache } from './catalog-cache';
import { entryFromProto } from './catalog-entry.mapper';

/**
 * Keeps a CatalogCache in step with the compacted catalog topic (every replica reads it whole,
 * then follows it); `caughtUp` resolves once it was read up to where it ended at start, so a
 * replica does not serve before it knows the catalog.
 */
export class CatalogFollower extends CompactedTopicFollower<GenMessage<ModelCatalogEntry>> {
  constructor(
    cache: CatalogCache,
    connection: KafkaConnection,
    runner: KafkaConsumerRunner,
    topic: TopicSpec<GenMessage<ModelCatalogEntry>>,
    serviceName: string,
    logger?: KafkaLogger,
  ) {
    super({
      connection,
      runner,
      topic,
      logger,
      groupIdPrefix: `vectorstack-${serviceName}-model-catalog`,
      label: 'model catalog',
      caughtUpFields: () => ({ models: cache.size }),
      onValue: (message, record) => {
        const entry = entryFromProto(message);
        if (!entry) {
          logger?.warn({ key: record.key, offset: record.offset }, 'skipped a catalog record without a model id');
          return;
        }
        if (entry.deployments.length < message.deployments.length) {
          logger?.warn({ model: entry.id }, 'left out deployments of a provider this router does not know');
        }
        cache.apply(entry);
      },
      onTombstone: (modelId) => cache.remove(modelId),
    });
  }
}
