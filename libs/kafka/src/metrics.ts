import { Counter, Gauge, register, type Registry } from 'prom-client';

// Get-or-create, because the lib may be loaded twice in one process (tests, or a service that
// bundles two copies) and prom-client throws on duplicate registration.
function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter<string> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<string>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

function gauge(registry: Registry, name: string, help: string, labelNames: string[]): Gauge<string> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge<string>;
  return new Gauge({ name, help, labelNames, registers: [registry] });
}

export interface KafkaMetrics {
  readonly producedRecords: Counter<string>;
  readonly consumedRecords: Counter<string>;
  readonly handlerFailures: Counter<string>;
  readonly deadLetterRecords: Counter<string>;
  readonly consumerLag: Gauge<string>;
}

export function kafkaMetrics(registry: Registry = register): KafkaMetrics {
  return {
    producedRecords: counter(registry, 'vectorstack_kafka_produced_records_total', 'Records acknowledged by the broker.', ['topic']),
    consumedRecords: counter(
      registry,
      'vectorstack_kafka_consumed_records_total',
      'Records handled successfully (or tombstones delivered) and committed.',
      ['topic', 'group'],
    ),
    handlerFailures: counter(
      registry,
      'vectorstack_kafka_handler_failures_total',
      'Handler attempts that threw (each retry counts).',
      ['topic', 'group'],
    ),
    deadLetterRecords: counter(
      registry,
      'vectorstack_kafka_dead_letter_records_total',
      'Records sent to the dead-letter topic.',
      ['topic', 'group', 'reason'],
    ),
    consumerLag: gauge(
      registry,
      'vectorstack_kafka_consumer_lag',
      'Records between the last processed offset and the partition high watermark, as of the last batch.',
      ['topic', 'group', 'partition'],
    ),
  };
}
