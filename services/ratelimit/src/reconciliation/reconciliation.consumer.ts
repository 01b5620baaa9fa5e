import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { UsageHeaders, type UsageRecorded } from '@vectorstack/contracts';
import { HIGH_VOLUME_FETCH, KafkaConsumerRunner, type RunningConsumer } from '@vectorstack/kafka';
import { RateLimiter, type SettleOutcome } from '@vectorstack/ratelimit';
import { Counter, register } from 'prom-client';
import { RATELIMIT_OPTIONS, type RatelimitOptions } from '../config/ratelimit.config';
import { usageAction } from './usage-action';

function settledCounter(): Counter<string> {
  const name = 'vectorstack_ratelimit_reservations_settled_total';
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Counter<string>;
  return new Counter({ name, help: 'Usage events applied to token reservations, by action and outcome.', labelNames: ['action', 'outcome'] });
}

/**
 * Consumes usage events and settles the token reservation of each request: reconcile to the
 * actual tokens, or release a failed request's reservation. One consumer group shared by all
 * replicas; a Redis failure throws, so the record (a batch of events) is retried (and
 * dead-lettered if it keeps failing) rather than lost.
 */
@Injectable()
export class ReconciliationConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Reconciliation');
  private readonly settled = settledCounter();
  private consumer?: RunningConsumer;

  constructor(
    private readonly runner: KafkaConsumerRunner,
    private readonly limiter: RateLimiter,
    @Inject(RATELIMIT_OPTIONS) private readonly options: RatelimitOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = await this.runner.runConsumer({
      groupId: this.options.reconciliationGroupId,
      topicSpec: this.options.usageTopic,
      ...HIGH_VOLUME_FETCH,
      // A fetched slice is settled concurrently: its Redis calls are in flight together instead
      // of one round trip after another (one usage event per model request reaches this
      // consumer). Settling is idempotent per request id, so a slice retried as a whole (or
      // record by record, before dead-lettering) changes nothing twice.
      // A record whose events their publisher all settled (quota leases) says so: nothing to
      // decode or do for it (see skipSettled).
      skip: (headers) => this.skipSettled(headers),
      handler: (records) => this.handleAll(records.flatMap((record) => record.message?.events ?? [])),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }

  /** True for a record marked `rate-limit-settled: <n>`: its n events are counted as ignored, undecoded. */
  skipSettled(headers: Readonly<Record<string, string>>): boolean {
    const settled = headers[UsageHeaders.rateLimitSettled];
    if (settled === undefined) return false;
    const events = Number(settled);
    if (Number.isSafeInteger(events) && events > 0) this.settled.inc({ action: 'ignore', outcome: 'ignored' }, events);
    return true;
  }

  async handleAll(events: readonly UsageRecorded[]): Promise<void> {
    await Promise.all(events.map((event) => this.handle(event)));
  }

  async handle(event: UsageRecorded): Promise<void> {
    const action = usageAction(event);
    let outcome: SettleOutcome;
    switch (action.kind) {
      case 'ignore':
        this.settled.inc({ action: 'ignore', outcome: 'ignored' });
        return;
      case 'release':
        outcome = (await this.limiter.release(action.keyId, action.requestId)).outcome;
        break;
      case 'reconcile':
        outcome = (await this.limiter.reconcile(action.keyId, action.requestId, action.actualTokens)).outcome;
        break;
    }
    this.settled.inc({ action: action.kind, outcome });
    if (outcome === 'unknown_request') {
      this.logger.debug(`no reservation for request ${action.requestId} of key ${action.keyId} (not admitted here, or older than an hour)`);
    }
  }
}
