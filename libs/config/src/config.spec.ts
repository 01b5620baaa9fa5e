import { ConfigError, databaseShape, httpShape, isCidr, kafkaShape, parseConfig } from './index';

describe('parseConfig', () => {
  it('parses and coerces valid variables, applying defaults', () => {
    const config = parseConfig(
      { ...httpShape, ...kafkaShape },
      { PORT: '3001', KAFKA_BROKERS: 'a:9092, b:9093', TRUSTED_PROXIES: '127.0.0.1/32,::1/128' },
    );
    expect(config.PORT).toBe(3001);
    expect(config.HOST).toBe('0.0.0.0');
    expect(config.KAFKA_BROKERS).toEqual(['a:9092', 'b:9093']);
    expect(config.TRUSTED_PROXIES).toEqual(['127.0.0.1/32', '::1/128']);
  });

  it('names a missing variable', () => {
    expect(() => parseConfig(databaseShape, {})).toThrow(new ConfigError('DATABASE_URL', 'is required but not set'));
  });

  it('treats an empty value as unset', () => {
    expect(() => parseConfig(databaseShape, { DATABASE_URL: '' })).toThrow(/DATABASE_URL is required/);
  });

  it.each([
    ['mysql://u:p@h/db', /DATABASE_URL is invalid: must be a postgres: or postgresql:\/\/ URL/],
    ['not a url', /DATABASE_URL is invalid/],
    ['postgres://u:p@host:5432', /DATABASE_URL is invalid: must name a database/],
  ])('rejects DATABASE_URL=%s', (value, message) => {
    expect(() => parseConfig(databaseShape, { DATABASE_URL: value })).toThrow(message);
  });

  it('rejects a port out of range and a bad broker list', () => {
    expect(() => parseConfig(httpShape, { PORT: '70000' })).toThrow(/^Invalid configuration: PORT is invalid/);
    expect(() => parseConfig(kafkaShape, { KAFKA_BROKERS: 'localhost' })).toThrow(/KAFKA_BROKERS is invalid/);
  });

  it('reads HTTP_WORKERS as a count or auto, one by default', () => {
    expect(parseConfig(httpShape, { PORT: '1' }).HTTP_WORKERS).toBe(1);
    expect(parseConfig(httpShape, { PORT: '1', HTTP_WORKERS: '4' }).HTTP_WORKERS).toBe(4);
    expect(parseConfig(httpShape, { PORT: '1', HTTP_WORKERS: 'auto' }).HTTP_WORKERS).toBe('auto');
    for (const bad of ['0', '65', '1.5', 'many']) {
      expect(() => parseConfig(httpShape, { PORT: '1', HTTP_WORKERS: bad })).toThrow(/HTTP_WORKERS is invalid: must be 'auto' or a whole number from 1 to 64/);
    }
  });

  it('validates CIDRs', () => {
    expect(isCidr('10.0.0.0/8')).toBe(true);
    expect(isCidr('::1/128')).toBe(true);
    expect(isCidr('10.0.0.0/33')).toBe(false);
    expect(isCidr('10.0.0.0')).toBe(false);
    expect(isCidr('banana/8')).toBe(false);
  });
});
