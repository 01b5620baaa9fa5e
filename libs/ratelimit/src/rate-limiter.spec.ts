import { decodeCheckReply } from './rate-limiter';
import { isRedisUnavailable } from './redis-scripts';

describe('decodeCheckReply', () => {
  it('decodes an admission with its windows', () => {
    const decoded = decodeCheckReply([1, 0, 0, 0, 1, 1_000, 1, 60, 59, 61_000, 6, 5, 4, 601_000]);
    expect(decoded).toEqual({
      allowed: true,
      deniedBy: undefined,
      retryAfterMs: 0,
      requestTooLarge: false,
      duplicate: false,
      nowMs: 1_000,
      policy: 'fail_open',
      windows: [
        { window: 'requests_per_minute', limit: 60, remaining: 59, resetAtMs: 61_000 },
        { window: 'max_concurrent', limit: 5, remaining: 4, resetAtMs: 601_000 },
      ],
    });
  });

  it('decodes a denial by the token window of a request too large to ever fit', () => {
    const decoded = decodeCheckReply([0, 4, 60_000, 1, 0, 5, 4, 100, 100, 5]);
    expect(decoded).toMatchObject({ allowed: false, deniedBy: 'tokens_per_minute', retryAfterMs: 60_000, requestTooLarge: true, policy: 'fail_closed' });
  });

  it('treats a repeated request id as admitted', () => {
    expect(decodeCheckReply([2, 0, 0, 0, 0, 5])).toMatchObject({ allowed: true, duplicate: true });
  });
});

describe('isRedisUnavailable', () => {
  const replyError = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });

  it('counts lost connections, timeouts and a busy or failing-over Redis as unavailable', () => {
    expect(isRedisUnavailable(new Error('connect ECONNREFUSED 127.0.0.1:1'))).toBe(true);
    expect(isRedisUnavailable(new Error('Command timed out'))).toBe(true);
    expect(isRedisUnavailable(replyError('LOADING Redis is loading the dataset in memory'))).toBe(true);
    expect(isRedisUnavailable(replyError('READONLY You can\'t write against a read only replica.'))).toBe(true);
  });

  it('lets script errors through: a bug must not fail open', () => {
    expect(isRedisUnavailable(replyError('ERR user_script:1: Script attempted to access nonexistent global variable'))).toBe(false);
  });
});
