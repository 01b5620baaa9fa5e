import { Kafka, type Admin, type KafkaConfig } from 'kafkajs';
import { kafkaLogCreator, silentLogger, toKafkaLogLevel, type KafkaLogger, type KafkaLogLevelName } from './logging';
import { applyRequestQueueFix } from './request-queue-fix';

// Before any client exists: kafkajs would otherwise spin a 1 ms timer per broker connection.
applyRequestQueueFix();

export interface KafkaConnectionOptions {
  /** Identifies this service in broker logs and in the `producer` record header. */
  readonly clientId: string;
  /** `host:port` list, or one comma-separated string (the KAFKA_BROKERS format). */
  readonly brokers: readonly string[] | string;
  /** Where this library and kafkajs log; silent when omitted. */
  readonly logger?: KafkaLogger;
  /** Minimum kafkajs log level forwarded to `logger` (default `warn`). */
  readonly logLevel?: KafkaLogLevelName;
  /** Extra kafkajs settings (ssl, sasl, timeouts) for clusters that need them. */
  readonly kafkaConfig?: Omit<KafkaConfig, 'clientId' | 'brokers' | 'logCreator' | 'logLevel'>;
}

export function parseBrokers(brokers: readonly string[] | string): string[] {
  const list = typeof brokers === 'string' ? brokers.split(',') : [...brokers];
  const cleaned = list.map((broker) => broker.trim()).filter((broker) => broker !== '');
  if (cleaned.length === 0) throw new Error('Kafka broker list is empty (expected host:port[,host:port...])');
  return cleaned;
}

export type KafkaPingResult =
  | { readonly status: 'up'; readonly latencyMs: number; readonly brokers: number; readonly controllerId: number | null }
  | { readonly status: 'down'; readonly latencyMs: number; readonly error: string };

/** One kafkajs client per process: the producer, consumers and admin calls share it. */
export class KafkaConnection {
  readonly kafka: Kafka;
  readonly clientId: string;
  readonly brokers: readonly string[];
  readonly logger: KafkaLogger;
  private admin?: Admin;
  private adminConnecting?: Promise<Admin>;
  /** The admin being connected or connected, so close() can abort a connect still retrying. */
  private adminPending?: Admin;

  constructor(options: KafkaConnectionOptions) {
    this.clientId = options.clientId;
    this.brokers = parseBrokers(options.brokers);
    this.logger = options.logger ?? silentLogger;
    this.kafka = new Kafka({
      connectionTimeout: 3_000,
      requestTimeout: 30_000,
      ...options.kafkaConfig,
      clientId: options.clientId,
      brokers: [...this.brokers],
      logLevel: toKafkaLogLevel(options.logLevel ?? 'warn'),
      logCreator: kafkaLogCreator(this.logger),
    });
  }

  /** A connected admin client, created on first use and reused. */
  async getAdmin(): Promise<Admin> {
    if (this.admin) return this.admin;
    if (this.adminConnecting) return this.adminConnecting;
    const admin = this.kafka.admin({ retry: { retries: 2 } });
    this.adminPending = admin;
    this.adminConnecting = admin.connect().then(
      () => {
        this.admin = admin;
        return admin;
      },
      (error: unknown) => {
        this.adminConnecting = undefined;
        throw error;
      },
    );
    return this.adminConnecting;
  }

  /**
   * Readiness check: can the cluster be reached and described within `timeoutMs`? Never throws,
   * so a /readyz handler can report it as is.
   */
  async ping(timeoutMs = 2_000): Promise<KafkaPingResult> {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Kafka did not answer within ${timeoutMs} ms`)), timeoutMs);
      });
      const cluster = await Promise.race([this.getAdmin().then((admin) => admin.describeCluster()), timeout]);
      return { status: 'up', latencyMs: Date.now() - started, brokers: cluster.brokers.length, controllerId: cluster.controller };
    } catch (error) {
      return { status: 'down', latencyMs: Date.now() - started, error: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    const admin = this.adminPending;
    this.admin = undefined;
    this.adminConnecting = undefined;
    this.adminPending = undefined;
    // Disconnecting also stops a connect that is still retrying against an unreachable cluster.
    await admin?.disconnect();
  }
}
