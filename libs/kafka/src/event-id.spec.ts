import { create } from '@bufbuild/protobuf';
import { UsageRecordedSchema } from '@vectorstack/contracts';
import { eventIdOf, uuidv7 } from './event-id';

describe('uuidv7', () => {
  it('is a version-7 RFC 9562 UUID carrying the time', () => {
    const id = uuidv7(0x0189_abcd_ef01);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(id.replace(/-/g, '').slice(0, 12)).toBe('0189abcdef01');
  });

  it('sorts by creation time', () => {
    expect(uuidv7(1_000) < uuidv7(2_000)).toBe(true);
  });
});

describe('eventIdOf', () => {
  it('reads a set eventId and ignores an empty one', () => {
    expect(eventIdOf(create(UsageRecordedSchema, { eventId: 'abc' }))).toBe('abc');
    expect(eventIdOf(create(UsageRecordedSchema, {}))).toBeUndefined();
    expect(eventIdOf({})).toBeUndefined();
  });
});

describe('uuidv7 randomness', () => {
  it('gives distinct ids in the same millisecond, across pool refills', () => {
    const ids = new Set(Array.from({ length: 2_000 }, () => uuidv7(1_700_000_000_000)));
    expect(ids.size).toBe(2_000);
    for (const id of ids) expect(id.startsWith('018bcfe5-6800-7')).toBe(true);
  });
});
