import { Logger } from '@nestjs/common';
import type { KafkaConnection } from '@vectorstack/kafka';
import { Gauge, register } from 'prom-client';

function lagGauge(): Gauge<string> {
  const name = 'vectorstack_metering_consumer_lag';
  return (
    (register.getSingleMetric(name) as Gauge<string> | undefined) ??
    new Gauge({
      name,
      help: 'Usage events not yet ingested: partition end offset minus the ingest group’s committed offset (polled from the broker, so a stuck consumer shows its lag growing). Every replica reports the same value; use max() across instances.',
      labelNames: ['topic', 'group', 'partition'],
    })
  );
}

/**
 * Polls the broker for the ingest group's lag. The consumer runner's own gauge is set when a
 * batch is processed, so it freezes when the consumer is stuck or gone; this one does not.
 */
export class ConsumerLagPoller {
  private readonly logger = new Logger('ConsumerLag');
  private readonly gauge = lagGauge();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly connection: KafkaConnection,
    private readonly topic: string,
    private readonly groupId: string,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    const tick = () => {
      this.poll().catch((error: unknown) => this.logger.debug(`lag poll failed: ${error instanceof Error ? error.message : String(error)}`));
    };
    tick();
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Lag per partition (also returned, for tests and benchmarks). */
  async poll(): Promise<Map<number, bigint>> {
    const admin = await this.connection.getAdmin();
    const [ends, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(this.topic),
      admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] }),
    ]);
    const committedByPartition = new Map((committed?.partitions ?? []).map((p) => [p.partition, p.offset]));
    const lag = new Map<number, bigint>();
    for (const { partition, high, low } of ends) {
      const offset = committedByPartition.get(partition);
      const position = offset === undefined || offset === '-1' ? BigInt(low) : BigInt(offset);
      const value = BigInt(high) - position;
      lag.set(partition, value > 0n ? value : 0n);
      this.gauge.set({ topic: this.topic, group: this.groupId, partition: String(partition) }, Number(value > 0n ? value : 0n));
    }
    return lag;
  }
}
