import { logLevel as KafkaLogLevel, type logCreator } from 'kafkajs';

/** The subset of a pino logger this library writes to (pino, nestjs-pino and console all fit). */
export interface KafkaLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export type KafkaLogLevelName = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

const LEVELS: Record<KafkaLogLevelName, KafkaLogLevel> = {
  nothing: KafkaLogLevel.NOTHING,
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
};

export function toKafkaLogLevel(name: KafkaLogLevelName): KafkaLogLevel {
  return LEVELS[name];
}

/** Discards everything: the default when no logger is given, so tests and CLIs stay quiet. */
export const silentLogger: KafkaLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

// kafkajs warns about this on every idempotent producer with bounded retries; we bound them on
// purpose (see producer.ts) so it is noise.
const DOWNGRADED_MESSAGES = ['Limiting retries for the idempotent producer may invalidate EoS guarantees'];

// A replica joining or leaving makes every member's next heartbeat answer REBALANCE_IN_PROGRESS;
// kafkajs logs that answer as a connection error, but it is the group working as designed.
const REBALANCING = 'The group is rebalancing, so a rejoin is needed';

/**
 * Routes kafkajs's own logs to `logger` as structured lines (`{ kafkajs: namespace, ...extra }`)
 * instead of kafkajs's default console JSON.
 */
export function kafkaLogCreator(logger: KafkaLogger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...extra } = log;
      const fields = { kafkajs: namespace, ...extra };
      if (DOWNGRADED_MESSAGES.includes(message)) {
        logger.debug(fields, message);
        return;
      }
      if ((extra as { error?: unknown }).error === REBALANCING) {
        logger.info(fields, message);
        return;
      }
      switch (level) {
        case KafkaLogLevel.ERROR:
        case KafkaLogLevel.NOTHING:
          logger.error(fields, message);
          break;
        case KafkaLogLevel.WARN:
          logger.warn(fields, message);
          break;
        case KafkaLogLevel.INFO:
          logger.info(fields, message);
          break;
        default:
          logger.debug(fields, message);
      }
    };
}
