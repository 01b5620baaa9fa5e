import { logLevel } from 'kafkajs';
import { kafkaLogCreator, type KafkaLogger } from './logging';

describe('kafkaLogCreator', () => {
  function capture(): { logger: KafkaLogger; lines: [string, object, string | undefined][] } {
    const lines: [string, object, string | undefined][] = [];
    const at = (level: string) => (obj: object, msg?: string) => void lines.push([level, obj, msg]);
    return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
  }

  it('maps kafkajs levels, keeps structured fields, and logs a rebalance as info', () => {
    const { logger, lines } = capture();
    const log = kafkaLogCreator(logger)(logLevel.INFO);
    log({ namespace: 'Consumer', level: logLevel.ERROR, label: 'ERROR', log: { timestamp: 't', logger: 'kafkajs', message: 'Crash', groupId: 'g' } });
    log({ namespace: 'Producer', level: logLevel.WARN, label: 'WARN', log: { timestamp: 't', logger: 'kafkajs', message: 'slow' } });
    log({ namespace: 'Producer', level: logLevel.WARN, label: 'WARN', log: { timestamp: 't', logger: 'kafkajs', message: 'Limiting retries for the idempotent producer may invalidate EoS guarantees' } });
    const rebalancing = { error: 'The group is rebalancing, so a rejoin is needed' };
    log({ namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: { timestamp: 't', logger: 'kafkajs', message: 'Response Heartbeat(key: 12, version: 3)', ...rebalancing } });
    expect(lines).toEqual([
      ['error', { kafkajs: 'Consumer', groupId: 'g' }, 'Crash'],
      ['warn', { kafkajs: 'Producer' }, 'slow'],
      ['debug', { kafkajs: 'Producer' }, 'Limiting retries for the idempotent producer may invalidate EoS guarantees'],
      ['info', { kafkajs: 'Connection', ...rebalancing }, 'Response Heartbeat(key: 12, version: 3)'],
    ]);
  });
});
