import { ALL_TOPICS, deadLetterTopicName, type TopicSpec } from '@vectorstack/contracts';
import { ConfigResourceTypes, type Admin, type ITopicConfig } from 'kafkajs';
import { KafkaConnection } from './kafka-connection';
import { silentLogger, type KafkaLogger } from './logging';
import { assertValidTopicName } from './topic-names';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

export const DEAD_LETTER_RETENTION_MS = 14 * DAY_MS;

export interface TopicPlan {
  readonly name: string;
  readonly partitions: number;
  /** The configs this library manages on the topic; others are left as the operator set them. */
  readonly configs: Readonly<Record<string, string>>;
}

/**
 * The topics (and configs) a spec stands for: the topic itself and its dead-letter topic.
 * Compacted topics roll a segment every hour so the cleaner (which never touches the active
 * segment) gets to run, keep a minute of uncompacted history, and keep tombstones for a week
 * so a consumer that was down for days still sees deletes.
 */
export function planTopics(spec: TopicSpec, replicationFactor = 1): TopicPlan[] {
  const durability: Record<string, string> = replicationFactor >= 3 ? { 'min.insync.replicas': '2' } : {};
  const sourceConfigs: Record<string, string> =
    spec.cleanupPolicy === 'compact'
      ? {
          'cleanup.policy': 'compact',
          'segment.ms': String(HOUR_MS),
          'min.compaction.lag.ms': String(60_000),
          'delete.retention.ms': String(7 * DAY_MS),
          ...durability,
        }
      : {
          'cleanup.policy': 'delete',
          ...(spec.retentionMs !== undefined ? { 'retention.ms': String(spec.retentionMs) } : {}),
          ...durability,
        };
  return [
    { name: spec.name, partitions: spec.partitions, configs: sourceConfigs },
    {
      name: deadLetterTopicName(spec.name),
      partitions: spec.partitions,
      configs: { 'cleanup.policy': 'delete', 'retention.ms': String(DEAD_LETTER_RETENTION_MS), ...durability },
    },
  ];
}

export interface EnsuredTopic {
  readonly name: string;
  readonly action: 'created' | 'exists' | 'updated';
  readonly partitions: number;
  readonly cleanupPolicy: string;
  /** Managed configs that differed and were corrected (`updated` only). */
  readonly changed?: Readonly<Record<string, { from: string | null; to: string }>>;
}

export interface EnsureTopicsOptions {
  /** Default: env KAFKA_REPLICATION_FACTOR, else 1. */
  readonly replicationFactor?: number;
  readonly logger?: KafkaLogger;
  /** Use an existing connection instead of opening one from `brokers`. */
  readonly connection?: KafkaConnection;
}

export function replicationFactorFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.KAFKA_REPLICATION_FACTOR;
  if (raw === undefined || raw.trim() === '') return 1;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`KAFKA_REPLICATION_FACTOR must be a positive integer, got "${raw}"`);
  }
  return value;
}

/**
 * Creates every topic of `specs` (and its dead-letter topic) that is missing, and corrects the
 * managed configs of those that exist. Idempotent; never deletes a topic or lowers partitions.
 */
export async function ensureTopics(
  brokers: readonly string[] | string,
  specs: readonly TopicSpec[] = ALL_TOPICS,
  options: EnsureTopicsOptions = {},
): Promise<EnsuredTopic[]> {
  const logger = options.logger ?? silentLogger;
  const replicationFactor = options.replicationFactor ?? replicationFactorFromEnv();
  const plans = specs.flatMap((spec) => planTopics(spec, replicationFactor));
  plans.forEach((plan) => assertValidTopicName(plan.name));

  const connection = options.connection ?? new KafkaConnection({ clientId: 'vectorstack-ensure-topics', brokers, logger, logLevel: 'error' });
  try {
    const admin = await connection.getAdmin();
    return await ensureWithAdmin(admin, plans, replicationFactor, logger);
  } finally {
    if (!options.connection) await connection.close();
  }
}

async function ensureWithAdmin(admin: Admin, plans: TopicPlan[], replicationFactor: number, logger: KafkaLogger): Promise<EnsuredTopic[]> {
  const existing = new Set(await admin.listTopics());
  const missing = plans.filter((plan) => !existing.has(plan.name));
  const createdNow = new Set<string>();
  if (missing.length > 0) {
    const topics: ITopicConfig[] = missing.map((plan) => ({
      topic: plan.name,
      numPartitions: plan.partitions,
      replicationFactor,
      configEntries: Object.entries(plan.configs).map(([name, value]) => ({ name, value })),
    }));
    try {
      await admin.createTopics({ topics, waitForLeaders: true });
    } catch (error) {
      // Another instance may have created some of them meanwhile: only fail if still missing.
      const now = new Set(await admin.listTopics());
      if (missing.some((plan) => !now.has(plan.name))) throw error;
    }
    const now = new Set(await admin.listTopics());
    missing.filter((plan) => now.has(plan.name)).forEach((plan) => createdNow.add(plan.name));
    for (const plan of missing) logger.info({ topic: plan.name, partitions: plan.partitions, replicationFactor }, 'kafka topic created');
  }

  const present = plans.filter((plan) => !createdNow.has(plan.name));
  const current = await describeTopicConfigs(admin, present.map((plan) => plan.name));
  const partitionCounts = await partitionCountsOf(admin, plans.map((plan) => plan.name));

  const results: EnsuredTopic[] = [];
  for (const plan of plans) {
    const partitions = partitionCounts.get(plan.name) ?? plan.partitions;
    if (createdNow.has(plan.name)) {
      results.push({ name: plan.name, action: 'created', partitions, cleanupPolicy: plan.configs['cleanup.policy']! });
      continue;
    }
    if (partitions < plan.partitions) {
      // Adding partitions moves keys to other partitions (breaking per-key order): an operator's call.
      logger.warn({ topic: plan.name, partitions, expected: plan.partitions }, 'kafka topic has fewer partitions than its spec; not changing it');
    }
    const configs = current.get(plan.name) ?? { explicit: {}, effective: {} };
    const changed = diffConfigs(plan.configs, configs.effective);
    if (Object.keys(changed).length === 0) {
      results.push({ name: plan.name, action: 'exists', partitions, cleanupPolicy: configs.effective['cleanup.policy'] ?? plan.configs['cleanup.policy']! });
      continue;
    }
    // AlterConfigs replaces the whole topic config: send the operator's explicit settings too.
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: plan.name,
          configEntries: Object.entries({ ...configs.explicit, ...plan.configs }).map(([name, value]) => ({ name, value })),
        },
      ],
    });
    logger.warn({ topic: plan.name, changed }, 'kafka topic config corrected to match its spec');
    results.push({ name: plan.name, action: 'updated', partitions, cleanupPolicy: plan.configs['cleanup.policy']!, changed });
  }
  return results;
}

/** Managed configs whose live value differs from the plan. */
export function diffConfigs(
  wanted: Readonly<Record<string, string>>,
  live: Readonly<Record<string, string>>,
): Record<string, { from: string | null; to: string }> {
  const changed: Record<string, { from: string | null; to: string }> = {};
  for (const [name, value] of Object.entries(wanted)) {
    const from = live[name] ?? null;
    if (from !== value) changed[name] = { from, to: value };
  }
  return changed;
}

interface TopicConfigs {
  /** Set on the topic itself (not inherited from broker defaults). */
  readonly explicit: Record<string, string>;
  readonly effective: Record<string, string>;
}

const TOPIC_CONFIG_SOURCE = 1; // DescribeConfigs source DYNAMIC_TOPIC_CONFIG

async function describeTopicConfigs(admin: Admin, names: string[]): Promise<Map<string, TopicConfigs>> {
  const result = new Map<string, TopicConfigs>();
  if (names.length === 0) return result;
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
  });
  for (const resource of described.resources) {
    const explicit: Record<string, string> = {};
    const effective: Record<string, string> = {};
    for (const entry of resource.configEntries) {
      if (entry.configValue === null || entry.isSensitive) continue;
      effective[entry.configName] = entry.configValue;
      const source = (entry as { configSource?: number }).configSource;
      if (source === TOPIC_CONFIG_SOURCE || (source === undefined && !entry.isDefault)) explicit[entry.configName] = entry.configValue;
    }
    result.set(resource.resourceName, { explicit, effective });
  }
  return result;
}

async function partitionCountsOf(admin: Admin, names: string[]): Promise<Map<string, number>> {
  const { topics } = await admin.fetchTopicMetadata({ topics: names });
  return new Map(topics.map((topic) => [topic.name, topic.partitions.length]));
}
